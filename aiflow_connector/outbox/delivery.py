# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
"""One delivery run: claim due rows, build their payloads from the current
records, send them (parents first, in batches), settle the outcomes.

No user transaction stays open across an HTTP call: a claim is committed
before the call, each outcome right after its answer. What a row is sent
as, and in what order, comes from its :mod:`.sources` declaration.
"""

import time
from collections import defaultdict
from datetime import timedelta

from . import resync
from .claims import (
    CLAIM_BATCHES,
    LEASE_RENEWAL,
    Outcome,
    auto_commit,
    commit,
    defer_commit_flush,
    release,
    renew,
    restore_commit_flush,
)
from .group import Group
from .prefetch import Prefetch, claim_now
from .settler import Settler
from .states import DEAD

# Rows left waiting for a record another worker was sending are looked at
# again this much later.
IN_FLIGHT_RECHECK = timedelta(seconds=10)
# One cron run stops after this long and asks for another, so other cron
# jobs get their turn, and well before Odoo's limit_time_real (120 s by
# default) would kill a cron worker in multi-process mode.
RUN_TIME_BUDGET = 60


class Run:
    """One run of the worker over what is due, within ``time_budget`` seconds."""

    def __init__(self, env, settings, client, time_budget=RUN_TIME_BUDGET):
        self.env = env
        self.settings = settings
        self.client = client
        # The notes and errors kept on the rows are for the admin, in their
        # language; payloads are built in the worker's own (a department's
        # name), as before.
        lang, _company = env["res.users"]._aiflow_admin_lang_company()
        self.words = env(context={**env.context, "lang": lang or env.lang or "en_US"})
        self.deadline = time.monotonic() + time_budget
        self.stats = defaultdict(int)
        self.claimed = None
        self.settler = Settler(env)
        self.skip = set()  # rows left waiting in this pass: not claimed again
        self.chunk_waited = set()
        self.next_claim = None  # a Prefetch on its way

    def deliver(self):
        """Send what is due; returns whether the run ran out of time."""
        threaded = auto_commit(self.env)
        if threaded:
            defer_commit_flush(self.env.cr)
        try:
            out_of_time = self._deliver()
        finally:
            try:
                if self.next_claim is not None:
                    self.next_claim.cancel()
                    self.next_claim = None
            finally:
                self.settler.close()
        if threaded:
            restore_commit_flush(self.env.cr)
        return out_of_time

    def _deliver(self):
        # A full resync's records go first: its rows settle what waited.
        if resync.deliver_running(self):
            return True
        stopped = out_of_time = False
        # A child that had to wait for a parent claimed later in this run
        # gets another pass once something was delivered.
        while not (stopped or out_of_time):
            delivered_before = self.stats["done"]
            self.skip = skip = set()
            while True:
                if time.monotonic() > self.deadline:
                    out_of_time = True
                    break
                # What is planned next sees the outcomes recorded so far.
                self.settler.drain()
                taken = self._take_claim()
                if not taken.rows:
                    break
                self.claimed = taken.claimed
                self.stats["claims"] += 1
                stopped, waited = self.send(taken.token, taken.rows, taken)
                skip.update(waited)
                if stopped:
                    break
            if not skip or self.stats["done"] == delivered_before:
                break
        return out_of_time or time.monotonic() > self.deadline

    def _take_claim(self):
        if self.next_claim is not None:
            next_claim, self.next_claim = self.next_claim, None
            return next_claim.result()
        # Rows of a record still being sent are not claimed.
        return claim_now(self.env, self.claim_size, self.skip)

    @property
    def claim_size(self):
        return self.settings.sync_batch_size * CLAIM_BATCHES

    def prefetch(self, waited):
        """Take the next claim beside the sending of the current one (not
        inside a test's transaction, nor once out of time)."""
        if self.settler.threaded and time.monotonic() < self.deadline:
            self.next_claim = Prefetch(
                self.env, self.settings, self.claim_size, self.skip | self.chunk_waited | waited
            )

    def send(self, token, rows, built=None):
        """Send claimed ``rows`` (``built``: a prefetched :class:`.prefetch.Claim`
        whose items are built); returns (stopped, ids left waiting)."""
        self.chunk_waited = waited = set()
        groups = defaultdict(list)
        orphans = []
        for row in rows:
            source = row.source
            if source is None:
                orphans.append(row)
            else:
                groups[(source.row_priority(row.mode), row.endpoint, row.res_model)].append(row)
        self._settle_orphans(token, orphans)
        order = sorted(groups)
        # What a success callback stores (a flow's version) may be what the
        # next claim's payloads are built from: after such a claim, the next
        # one is taken once it is over, not beside it.
        prefetch = all(groups[key][0].source.on_success is None for key in order)
        for position, key in enumerate(order):
            rows_of_group = groups[key]
            stopped, group_waited = Group(
                self,
                token,
                rows_of_group[0].source,
                rows_of_group,
                built=built,
                last=prefetch and position == len(order) - 1,
            ).send()
            waited.update(group_waited)
            if stopped:
                later = [row.id for k in order[position + 1 :] for row in groups[k]]
                release(self.env, token, dict.fromkeys(later))
                commit(self.env)
                if self.next_claim is not None:
                    self.next_claim.cancel()
                    self.next_claim = None
                return True, waited
        return False, waited

    def keep_claim(self, token):
        """Before a call: renew the claim once half its lease is gone, so
        that no other worker takes its rows while this one still sends."""
        if time.monotonic() - self.claimed >= LEASE_RENEWAL.total_seconds():
            # The renewal writes every row of the claim: not while the
            # settler writes some of them.
            self.settler.drain()
            renew(self.env, token)
            self.claimed = time.monotonic()

    def _settle_orphans(self, token, rows):
        outcomes = [
            Outcome(
                row.id,
                DEAD,
                self.words._(
                    "No source is declared for %(endpoint)s rows of %(model)s: "
                    "nothing knows how to send it.",
                    endpoint=row.endpoint,
                    model=row.res_model or "-",
                ),
            )
            for row in rows
        ]
        self.stats["failed"] += len(outcomes)
        self.settler.submit(token, outcomes)

    def waiting_note(self, key):
        return self.words._("Waiting for %(key)s to reach aiflow first.", key=key)
