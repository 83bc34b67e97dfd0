# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
"""Claimed rows of one source and priority: their payloads built, the order
planned (parents first, dependents of undelivered records waiting), then
sent in batches (one record per call on a one-record endpoint) and their
outcomes recorded."""

import logging
import time
from collections import defaultdict, deque
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta

from odoo import fields

from ..protocol import send_plan
from ..protocol.errors import AiflowError, PayloadError
from ..protocol.request_body import encode_json
from . import answers, queries
from .answers import Answer, error_response, refusal_message, to_json
from .claims import Outcome, commit, commit_if_written, release, retry_delay
from .prefetch import build_items, item_problem
from .states import DEAD, DONE, RETRYING

_logger = logging.getLogger(__name__)


class Group:
    """Claimed rows of one source and priority: planned, then sent in batches."""

    def __init__(self, run, token, source, rows, built=None, last=False):
        self.run = run
        self.env = run.env
        self.token = token
        self.source = source
        self.rows = rows
        self.stats = run.stats
        # row id -> item to send (None: nothing to send), and the problem
        # found in it (PayloadError or None), for those built beforehand
        self.items = dict(built.items) if built else {}
        self.problems = dict(built.problems) if built else {}
        self.last = last  # the claim's last group, after which the next may be taken
        self.res_ids = {row.id: row.res_id for row in rows}
        self.waited = set()
        self.failed_keys = set()

    def build_items(self):
        missing = [row for row in self.rows if row.id not in self.items]
        if missing:
            self.items.update(build_items(self.env, self.source, missing, self.run.settings))

    def key_of(self, row_id):
        return self.source.item_key(self.items[row_id])

    def send(self):
        """Returns (stopped, ids left waiting)."""
        source, endpoint = self.source, self.source.endpoint
        # What these rows wait for may have just been settled.
        self.run.settler.drain()
        self.build_items()
        outcomes, entries, broken = [], [], []
        nothing_note = answers.nothing_to_send(self.run.words)
        for row in self.rows:
            item = self.items[row.id]
            if item is None:
                outcomes.append(Outcome(row.id, DONE, nothing_note))
                continue
            exc = self.problems[row.id] if row.id in self.problems else item_problem(source, item)
            if exc is not None:
                message = answers.broken_payload(self.run.words, exc)
                outcomes.append(Outcome(row.id, DEAD, message, to_json(item)))
                self.stats["failed"] += 1
                broken.append(row.id)
                continue
            entries.append((row.id, item))
        blocked, in_flight = self.blocked(entries)
        plan = send_plan.plan(
            endpoint,
            entries,
            blocked,
            key=source.item_key,
            parent=source.parent,
            parent_name=source.parent_name,
            dependencies=self.dependencies,
        )
        for row_id, message in plan.invalid.items():
            outcomes.append(Outcome(row_id, DEAD, message, to_json(self.items[row_id])))
            self.stats["failed"] += 1
        self.settle(outcomes)
        waiting = {row_id: self.run.waiting_note(dep[1]) for row_id, dep in plan.waiting.items()}
        release(self.env, self.token, waiting)
        self.stats["waiting"] += len(waiting)
        # Waiting for a record another worker is sending: that worker may
        # have finished its run before these rows went back to the queue.
        self.stats["waiting_in_flight"] += sum(dep in in_flight for dep in plan.waiting.values())
        commit(self.env)
        self.waited.update(waiting)
        # A record below one refused in this run waits instead of being sent
        # and refused in turn.
        self.failed_keys = {
            (endpoint, self.key_of(row_id)) for row_id in [*broken, *plan.invalid, *plan.waiting]
        }
        if self.last:
            # Nothing of this claim is planned any more: the next claim may be
            # taken while these batches are sent.
            self.run.prefetch(self.waited)
        return self.send_batches(deque(plan.ordered)), self.waited

    def dependencies(self, item):
        deps = self.source.depends_on(item)
        if not self.source.supersedes:
            # Append-only: every earlier row of the record goes first.
            deps.append((self.source.endpoint, self.source.item_key(item)))
        return deps

    def blocked(self, entries):
        """(endpoint, key) pairs the entries depend on that have rows aiflow
        does not have yet outside this group; and those another worker is
        sending right now."""
        needed = defaultdict(set)
        for _row_id, item in entries:
            for dep_endpoint, key in self.source.depends_on(item):
                needed[dep_endpoint].add(key)
        group_ids = [row.id for row in self.rows]
        blocked, in_flight = set(), set()
        for dep_endpoint, keys in needed.items():
            for key, sending_elsewhere, _first in queries.open_keys(
                self.env.cr, self.token, dep_endpoint, keys, group_ids
            ):
                blocked.add((dep_endpoint, key))
                if sending_elsewhere:
                    in_flight.add((dep_endpoint, key))
        if not self.source.supersedes and entries:
            # An earlier row of the same record, outside this group, goes
            # first; a later one (not claimed yet) must not hold it back.
            first_here = {}
            for row_id, item in entries:
                first_here.setdefault(self.source.item_key(item), row_id)
            endpoint = self.source.endpoint
            for key, sending_elsewhere, first in queries.open_keys(
                self.env.cr, self.token, endpoint, list(first_here), group_ids
            ):
                if first < first_here[key]:
                    blocked.add((endpoint, key))
                    if sending_elsewhere:
                        in_flight.add((endpoint, key))
        return blocked, in_flight

    def send_batches(self, queue):
        """Send ``queue`` (a deque of row ids in order) in batches; True =
        stop the run.

        While aiflow works on one batch (the HTTP call runs on a helper
        thread), this thread prepares the next one and the settler records
        the outcome of the previous one. A batch is sent only once the
        answer to the previous one is known, so it never holds a child of a
        record that answer refused.
        """
        size = self.run.settings.sync_batch_size if self.source.batched else 1
        stopped = False
        with ThreadPoolExecutor(max_workers=1, thread_name_prefix="aiflow-http") as http:
            previous = None
            while queue or previous:
                outcomes = []
                if previous is not None:
                    call, row_ids, sent, texts = previous
                    try:
                        data = call.result()
                    except AiflowError as exc:
                        release(self.env, self.token, dict.fromkeys(queue))
                        self.record_error(exc, row_ids)
                        return bool(exc.retryable)
                    outcomes = self.outcomes(sent, data, texts)
                    previous = None
                if queue and time.monotonic() > self.run.deadline:
                    # Out of time: the rest goes back to the queue for the
                    # next run, which is triggered right away.
                    release(self.env, self.token, dict.fromkeys(queue))
                    queue.clear()
                    stopped = True
                batch = self.next_batch(queue, size)
                if batch:
                    sent = self.group_items(batch)
                    body = self.source.wrap(item for item, _ids in sent)
                    # Each item encoded once, here, while the previous call
                    # is in flight: for the body and for its row's record.
                    try:
                        texts = [encode_json(item) for item, _ids in sent]
                    except PayloadError:
                        texts = None  # the call fails on it, as it would
                    self.run.keep_claim(self.token)
                    commit_if_written(self.env)
                    self.stats["requests"] += 1
                    # Every item was validated on its own above (so that one
                    # bad record does not sink its batch); the envelope
                    # around them cannot be wrong.
                    call = http.submit(
                        self.run.client.call,
                        self.source.endpoint,
                        body,
                        check=False,
                        encoded=self.source.encode(texts) if texts else None,
                    )
                    previous = (call, batch, sent, texts)
                self.settle(outcomes)
                commit_if_written(self.env)
        return stopped

    def settle(self, outcomes):
        # What a success callback wrote on this thread's transaction and the
        # outcome that says so are committed together.
        self.run.settler.submit(self.token, outcomes, inline=self.source.on_success is not None)

    def next_batch(self, queue, size):
        """Take up to ``size`` row ids off ``queue`` (in place); rows under a
        record refused in this run are released to wait for it."""
        endpoint = self.source.endpoint
        batch, held, taken, later = [], {}, set(), []
        while queue and len(batch) < size:
            row_id = queue.popleft()
            item = self.items[row_id]
            key = self.key_of(row_id)
            blocker = next(
                (dep for dep in self.dependencies(item) if dep in self.failed_keys), None
            )
            if blocker is not None:
                self.failed_keys.add((endpoint, key))
                held[row_id] = self.run.waiting_note(blocker[1])
            elif not self.source.supersedes and key in taken:
                later.append(row_id)  # one row of a record per call, in order
            else:
                taken.add(key)
                batch.append(row_id)
        queue.extendleft(reversed(later))
        if held:
            release(self.env, self.token, held)
            self.stats["waiting"] += len(held)
            self.waited.update(held)
        return batch

    def group_items(self, row_ids):
        """[(item, row ids)]: two rows of one record (one claimed while the
        other was sending) make one item, unless every row is its own call."""
        if not self.source.supersedes:
            return [(self.items[row_id], [row_id]) for row_id in row_ids]
        groups = {}
        for row_id in row_ids:
            key = self.key_of(row_id) or row_id
            groups.setdefault(key, []).append(row_id)
        return [(self.items[ids[0]], ids) for ids in groups.values()]

    def outcomes(self, sent, data, texts=None):
        """Outcomes for ``sent`` ([(item, row ids)]; ``texts``: the items as
        encoded in the request) from aiflow's answer ``data``; keys its
        ``failDetails`` refused join the failed ones."""
        answer = Answer(self.source, data)
        outcomes = []
        for index, (item, ids) in enumerate(sent):
            key = self.source.item_key(item)
            detail = answer.refusal(index, key)
            request = texts[index] if texts else to_json(item)
            if detail:
                message = refusal_message(self.run.words, detail)
                response = answer.refusal_response(detail)
                self.failed_keys.add((self.source.endpoint, key))
                outcomes.extend(
                    Outcome(i, DEAD, message, request, response, sent=True) for i in ids
                )
                self.stats["failed"] += len(ids)
            else:
                note = self.accepted(ids, item, data)
                outcomes.extend(
                    Outcome(i, DONE, note, request, answer.summary_text, sent=True) for i in ids
                )
                self.stats["done"] += len(ids)
        self.stats["sent"] += len(sent)
        return outcomes

    def accepted(self, row_ids, item, data):
        """Run the source's success callback; a note when it failed (aiflow
        has the record: sending it again would not help)."""
        if self.source.on_success is None:
            return None
        try:
            with self.env.cr.savepoint():
                self.source.on_success(self.env, self.res_ids[row_ids[0]], item, data)
        except Exception as exc:
            _logger.exception("aiflow outbox: storing aiflow's answer failed")
            return self.run.words._(
                "aiflow accepted the record, but storing its answer in Odoo failed: %(error)s",
                error=str(exc),
            )
        return None

    def record_error(self, exc, row_ids):
        """The whole call failed: retry later, or dead-letter."""
        now = fields.Datetime.now()
        message = self.run.words["aiflow.connection"]._aiflow_error_message(exc)
        response_text = error_response(exc)
        attempts = {row.id: row.attempts or 0 for row in self.rows}
        max_attempts = self.run.settings.sync_max_attempts
        outcomes = []
        for row_id in row_ids:
            tries = attempts[row_id] + 1
            request = to_json(self.items[row_id])
            if exc.retryable and tries < max_attempts:
                next_at = now + timedelta(seconds=retry_delay(tries))
                outcomes.append(
                    Outcome(row_id, RETRYING, message, request, response_text, next_at, True)
                )
                self.stats["retrying"] += 1
            else:
                outcomes.append(Outcome(row_id, DEAD, message, request, response_text, sent=True))
                self.stats["failed"] += 1
        self.settle(outcomes)
        commit(self.env)
