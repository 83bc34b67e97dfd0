# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
"""A full resync: every record of the sources that list theirs
(``Source.every``), sent straight from the records, parents first, in
batches, and each record's row written once, with its outcome.

Queued as rows, a resync of 22,000 records wrote each row three times
(queued, claimed, settled) and spent more time in the database than on the
wire. Here nothing is queued: the worker reads the records in scope, builds
their payloads, sends them, and writes one row per record after aiflow's
answer (on the settler's connection, beside the next call). The rows a
record already had waiting when the resync started are claimed by it
(:func:`start`) and settled instead, so no record is sent twice.

What a run has handled is read back from its rows: a run that ran out of
time, or whose worker died, goes on where it stopped. A record aiflow
refused holds back what depends on it: those rows go to the queue, waiting
for it, as queued rows would. When aiflow cannot be reached, everything
left goes to the queue, which retries it with its backoff.
"""

import gc
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from datetime import datetime, timedelta
from typing import NamedTuple

from odoo import fields

from ..protocol.errors import AiflowError
from . import answers, queries, sources
from .claims import LEASE_RENEWAL, Outcome, commit, release, renew, retry_delay
from .resync_payloads import Payloads
from .resync_reads import Entry, ReadAhead
from .states import DEAD, DONE, PENDING, RETRYING

# One worker sends the full resyncs at a time (a session-level lock, let go
# when the run ends or its connection closes).
RUN_LOCK_KEY = 0x41494653  # "AIFS"


class Written(NamedTuple):
    """A record's row with its outcome: written once as it is (its fields
    in the order :func:`.queries.insert_outcomes` reads them), or, for a
    row the resync claimed, settled with the same outcome."""

    res_id: int
    key: str
    name: str
    state: str
    error: str = None
    request: str = None
    response: str = None
    next_at: datetime = None
    sent: bool = False


class Ready(NamedTuple):
    """A record of the next call: its entry, aiflow id, item and JSON text."""

    entry: Entry
    key: str
    item: dict
    text: str


def start(env, token):
    """Claim for the full resync ``token`` the rows already waiting for the
    records it sends; returns how many records it sends."""
    now = fields.Datetime.now()
    total = 0
    for source in sources.resynced():
        total += queries.adopt_waiting_rows(
            env.cr, token, source.endpoint, source.model, source.every_ids(env), now
        )
    env["aiflow.outbox"].invalidate_model()
    return total


# What became of one source's records in this run.
FINISHED = "finished"
OUT_OF_TIME = "out_of_time"
HANDED_OVER = "handed_over"  # aiflow unreachable: the rest is in the queue


class FullResync:
    """The records of the full resync ``token``, sent within the worker's
    :class:`.delivery.Run` (its client, settler, deadline and counters)."""

    def __init__(self, run, token):
        self.run = run
        self.env = run.env
        self.settings = run.settings
        self.token = token
        self.stats = run.stats
        self.renewed = time.monotonic()
        self.held_back = set()  # (endpoint, aiflow id) not delivered in this run

    def deliver(self):
        """Send what is left; returns FINISHED, OUT_OF_TIME or HANDED_OVER."""
        self.run.settler.drain()
        commit(self.env)  # read what earlier runs wrote
        self.held_back = queries.resync_held_back(self.env.cr, self.token)
        resynced = sources.resynced()
        upcoming = None  # the next source's records, read beside this one's calls
        try:
            for position, source in enumerate(resynced):
                read, upcoming = upcoming or ReadAhead.now(self.env, self.token, source), None
                left, adopted = read.result()
                following = resynced[position + 1 : position + 2]
                if following:
                    upcoming = ReadAhead(self.env, self.token, following[0])
                outcome, unsent = self._send(source, left, adopted)
                if outcome == FINISHED and adopted:
                    # Claimed rows of records no longer sent (deleted, or out
                    # of scope since): the queue deals with them as before.
                    self.run.settler.drain()
                    release(self.env, self.token, dict.fromkeys(adopted.values()))
                    commit(self.env)
                if outcome == HANDED_OVER:
                    self._hand_over(source, unsent, adopted)
                    for later in resynced[position + 1 :]:
                        read, upcoming = (
                            upcoming or ReadAhead.now(self.env, self.token, later),
                            None,
                        )
                        self._hand_over(later, *read.result())
                if outcome != FINISHED:
                    return outcome
            return FINISHED
        finally:
            if upcoming is not None:
                upcoming.close()  # its thread's connection back to the pool

    def _send(self, source, entries, adopted):
        """Send ``entries``; returns (outcome, entries left unsent).

        The HTTP call runs on a helper thread. Once its request is on the
        wire, and while aiflow works on it, the next batch is planned (its
        payloads built, :mod:`.resync_payloads`, and its request signed and
        built) and the previous answer's rows handed to the settler; once
        the answer is known, the planned batch loses what now waits for a
        record that answer refused, and goes at once.
        """
        size = self.settings.sync_batch_size if source.batched else 1
        payloads = Payloads(self.env, source, self.settings, entries)
        with ThreadPoolExecutor(max_workers=1, thread_name_prefix="aiflow-http") as http:
            in_flight = None
            ready = self._next_batch(source, payloads, size, adopted)
            prepared = self._prepare(source, ready)
            while ready or in_flight:
                answered = None
                if in_flight is not None:
                    call, sent = in_flight
                    in_flight = None
                    held = len(self.held_back)
                    try:
                        answer = answers.Answer(source, call.result())
                    except AiflowError as exc:
                        self._failed(source, sent, exc, adopted)
                        if exc.retryable:
                            unsent = [record.entry for record in ready]
                            return HANDED_OVER, unsent + payloads.unsent()
                    else:
                        answered = (sent, answer, self._hold_back_refused(source, sent, answer))
                    if len(self.held_back) > held:
                        kept = self._still_sendable(source, ready, adopted)
                        if len(kept) < len(ready):
                            ready, prepared = kept, self._prepare(source, kept)
                out_of_time = ready and time.monotonic() > self.run.deadline
                if ready and not out_of_time:
                    in_flight = (self._call(http, prepared), ready)
                if answered:
                    self._answered(source, *answered, adopted)
                if out_of_time:
                    return OUT_OF_TIME, []
                ready = self._next_batch(source, payloads, size, adopted)
                prepared = self._prepare(source, ready)
        return FINISHED, []

    def _prepare(self, source, batch):
        """The call of ``batch``, signed and built (its rows' JSON texts
        joined, not encoded again); what stops it (a signing SDK that can
        no longer be imported) is raised when it would have gone."""
        if not batch:
            return None
        try:
            return self.run.client.prepare(
                source.endpoint,
                source.wrap(ready.item for ready in batch),
                check=False,  # each item was checked on its own when built
                encoded=source.encode([ready.text for ready in batch]),
            )
        except AiflowError as exc:
            return exc

    def _call(self, http, prepared):
        """Send ``prepared`` on the helper thread; returns once its request
        is on the wire (or the call ended)."""
        self._keep_claim()
        self.stats["requests"] += 1
        sent = threading.Event()

        def call():
            try:
                if isinstance(prepared, AiflowError):
                    raise prepared
                return self.run.client.send(prepared, on_sent=sent.set)
            finally:
                sent.set()

        call = http.submit(call)
        # Built while aiflow works on this call, the next batch would hold
        # Python's lock the request needs to go out: measured, the call
        # then started only once the batch was built, one after the other.
        sent.wait()
        return call

    def _next_batch(self, source, payloads, size, adopted):
        """Up to ``size`` :class:`Ready` records to send; the records that
        are not sent (nothing to send, a broken payload, under a record
        held back) get their rows here."""
        batch, written = [], []
        while len(batch) < size and payloads:
            entry, item, problem, text = payloads.next()
            if item is None:
                written.append(
                    Written(
                        entry.res_id,
                        entry.key,
                        entry.name,
                        DONE,
                        answers.nothing_to_send(self.run.words),
                    )
                )
                continue
            key = source.item_key(item) or entry.key
            if problem is not None:
                message = answers.broken_payload(self.run.words, problem)
                written.append(
                    Written(entry.res_id, key, entry.name, DEAD, message, answers.to_json(item))
                )
                self.stats["failed"] += 1
                self.held_back.add((source.endpoint, key))
                continue
            waiting = self._waiting(source, entry, key, item)
            if waiting is not None:
                written.append(waiting)
                continue
            batch.append(Ready(entry, key, item, text))
        self._write(source, written, adopted)
        return batch

    def _waiting(self, source, entry, key, item):
        """The row of a record that depends on one held back: queued,
        waiting for it, as a queued row would; None when it may go."""
        if not self.held_back:
            return None
        blocker = next((dep for dep in source.depends_on(item) if dep in self.held_back), None)
        if blocker is None:
            return None
        self.stats["waiting"] += 1
        self.held_back.add((source.endpoint, key))
        return Written(entry.res_id, key, entry.name, PENDING, self.run.waiting_note(blocker[1]))

    def _still_sendable(self, source, batch, adopted):
        """``batch`` without what now waits for a record held back."""
        kept, written = [], []
        for ready in batch:
            waiting = self._waiting(source, ready.entry, ready.key, ready.item)
            if waiting is None:
                kept.append(ready)
            else:
                written.append(waiting)
        self._write(source, written, adopted)
        return kept

    def _hold_back_refused(self, source, batch, answer):
        """aiflow's failDetail or None for each record of ``batch``; the
        refused records are held back at once, before the next batch goes."""
        if not answer.refused_any:
            return [None] * len(batch)
        refusals = []
        for index, ready in enumerate(batch):
            detail = answer.refusal(index, ready.key)
            if detail:
                self.held_back.add((source.endpoint, ready.key))
            refusals.append(detail)
        return refusals

    def _answered(self, source, batch, answer, refusals, adopted):
        written = []
        summary = answer.summary_text
        for (entry, key, _item, text), detail in zip(batch, refusals, strict=True):
            if detail:
                written.append(
                    Written(
                        entry.res_id,
                        key,
                        entry.name,
                        DEAD,
                        answers.refusal_message(self.run.words, detail),
                        text,
                        answer.refusal_response(detail),
                        sent=True,
                    )
                )
                self.stats["failed"] += 1
            else:
                written.append(
                    Written(entry.res_id, key, entry.name, DONE, None, text, summary, None, True)
                )
                self.stats["done"] += 1
        self.stats["sent"] += len(batch)
        self._write(source, written, adopted)

    def _failed(self, source, batch, exc, adopted):
        """The whole call failed: its records retry later through the queue,
        or are dead when retrying cannot help."""
        message = self.run.words["aiflow.connection"]._aiflow_error_message(exc)
        response = answers.error_response(exc)
        retry = exc.retryable and self.settings.sync_max_attempts > 1
        next_at = fields.Datetime.now() + timedelta(seconds=retry_delay(1)) if retry else None
        written = []
        for entry, key, _item, text in batch:
            written.append(
                Written(
                    entry.res_id,
                    key,
                    entry.name,
                    RETRYING if retry else DEAD,
                    message,
                    text,
                    response,
                    next_at,
                    sent=True,
                )
            )
            self.held_back.add((source.endpoint, key))
        self.stats["retrying" if retry else "failed"] += len(batch)
        self._write(source, written, adopted)

    def _hand_over(self, source, entries, adopted):
        """aiflow cannot be reached: ``entries`` go to the queue as pending
        rows, which it retries with its backoff."""
        self._write(
            source,
            [Written(entry.res_id, entry.key, entry.name, PENDING) for entry in entries],
            adopted,
        )
        self.stats["waiting"] += len(entries)

    def _write(self, source, written, adopted):
        """Rows for ``written``: the row this resync claimed for a record is
        settled; a record without one gets a new row."""
        if adopted:
            settled = [w for w in written if w.res_id in adopted]
            written = [w for w in written if w.res_id not in adopted]
            self.run.settler.submit(
                self.token,
                [
                    Outcome(
                        adopted.pop(w.res_id),
                        w.state,
                        w.error,
                        w.request,
                        w.response,
                        w.next_at,
                        w.sent,
                    )
                    for w in settled
                ],
            )
        self.run.settler.submit_new(self.token, source, written)

    def _keep_claim(self):
        """The rows this resync claimed stay claimed while it runs."""
        if time.monotonic() - self.renewed >= LEASE_RENEWAL.total_seconds():
            self.run.settler.drain()
            renew(self.env, self.token)
            commit(self.env)
            self.renewed = time.monotonic()


@contextmanager
def heap_frozen():
    """The objects alive before a run (Odoo's registry, caches: ~140 MB) are
    left out of the cyclic GC's full collections while it runs. A run reads
    tens of thousands of rows that survive for a while, which set off full
    collections walking that whole heap (measured: 70-90 ms each). A
    process that froze its heap itself (a pre-fork server) is left alone."""
    if gc.get_freeze_count():
        yield
        return
    gc.freeze()
    try:
        yield
    finally:
        gc.unfreeze()


def deliver_running(run):
    """Send the records of every full resync still running, oldest first;
    returns whether the run ran out of time. Another worker already doing
    it is left to it."""
    env = run.env
    cr = env.cr
    running = env["aiflow.resync.run"].search([("state", "=", "running")], order="id")
    if not running:
        return False  # the common case: no lock taken
    cr.execute("SELECT pg_try_advisory_lock(%s)", (RUN_LOCK_KEY,))
    if not cr.fetchone()[0]:
        return False
    try:
        # A run another worker finished meanwhile has nothing left: it is
        # only marked sent again.
        for resync in running:
            with heap_frozen():
                outcome = FullResync(run, resync.resync_token).deliver()
            if outcome == OUT_OF_TIME:
                return True
            run.settler.drain()
            resync.state = "done"
            commit(env)
        return False
    finally:
        cr.execute("SELECT pg_advisory_unlock(%s)", (RUN_LOCK_KEY,))
