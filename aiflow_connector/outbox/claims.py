# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
"""A claimed outbox row and what becomes of it: the claim, committed before
any call; the outcome settled; a row given back to the queue; the wait
before a retry."""

import random
import threading
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import NamedTuple

from psycopg2.extensions import TRANSACTION_STATUS_IDLE

from odoo import fields

from . import queries, sources

# A row stays claimed this long after its claim or the claim's last
# renewal; after it, its worker is presumed dead and its rows are claimed
# again. A live worker renews its claim before a call once half the lease
# is gone, so the lease has to outlast one batch's worst case (connect +
# read timeout), not the whole claim.
CLAIM_LEASE = timedelta(minutes=10)
LEASE_RENEWAL = CLAIM_LEASE / 2
# Rows claimed at once, in batches. Each claim drains the send pipeline and
# costs a round of queries, so a full resync wants few of them; the rows of
# a claim are built at once, so the number stays bounded (memory).
CLAIM_BATCHES = 20
RETRY_BASE_SECONDS = 30
RETRY_CAP_SECONDS = 3600


def retry_delay(attempts, rand=random.random):
    """Seconds before the next try after ``attempts`` failed ones: exponential
    (30 s, 60 s, 120 s ... capped at one hour) with +-50 % jitter so that
    workers that failed together do not come back together."""
    base = min(RETRY_BASE_SECONDS * 2 ** max(attempts - 1, 0), RETRY_CAP_SECONDS)
    return base * (0.5 + rand())


@dataclass(frozen=True)
class ClaimedRow:
    """An outbox row as the worker holds it (no ORM record per row)."""

    id: int
    endpoint: str
    mode: str
    res_model: str
    res_id: int
    record_key: str
    payload: str
    attempts: int

    @property
    def source(self):
        return sources.get(self.endpoint, self.res_model)


class Outcome(NamedTuple):  # one per row sent: a tuple, cheap to make
    """What became of a claimed row."""

    row_id: int
    state: str
    error: str = None
    request: str = None
    response: str = None
    next_at: datetime = None
    sent: bool = False


def auto_commit(env):
    # Tests run inside one transaction that must not be committed.
    return not getattr(threading.current_thread(), "testing", False) or env.context.get(
        "aiflow_outbox_commit"
    )


def commit(env):
    # The worker runs in its own cron transaction, never a user's: a claim
    # must be visible to other workers before the HTTP call, and each
    # outcome must stay recorded whatever happens to the next batch.
    if auto_commit(env):
        env.cr.commit()  # pylint: disable=invalid-commit
    else:
        env.flush_all()


def commit_if_written(env):
    """:func:`commit`, skipped when this transaction wrote nothing (what the
    ORM holds is flushed first): between two batches the worker's own
    connection usually has nothing to commit, its outcomes going through the
    settler, and a commit clears every cache of the transaction. Hooks
    registered meanwhile run with the next commit of the run."""
    if auto_commit(env):
        env.flush_all()
        if env.cr.connection.info.transaction_status == TRANSACTION_STATUS_IDLE:
            return
    commit(env)


def defer_commit_flush(cr):
    """Until the session is reset, commits on ``cr`` do not wait for their
    WAL to reach the disk (Odoo's pool resets a connection it lends again).

    Such a commit is visible to every other session at once, as any commit;
    only its durability is deferred, by a fraction of a second, should the
    PostgreSQL server itself crash. Losing a claim or an outcome that way
    sends its rows again: the at-least-once delivery that an Odoo crash
    between a call and its outcome already means. Waiting for the flush
    instead cost about 1 ms for each of a full resync's ~500 commits. Only
    the worker's connections do this; the users' transactions (the
    queueing) keep waiting for the disk.
    """
    cr.execute("SET synchronous_commit TO OFF")


def restore_commit_flush(cr):
    cr.execute("RESET synchronous_commit")


def claim(env, limit, skip=()):
    """Claim due rows (and rows whose claim outlived its lease); returns
    (claim token, [:class:`ClaimedRow`]), committed before any call."""
    token = uuid.uuid4().hex
    if auto_commit(env):
        # Odoo's transactions are REPEATABLE READ, where locking a row that
        # another worker claimed (and committed) after our snapshot is a
        # serialization error; READ COMMITTED re-checks such a row and skips
        # it, which is what SKIP LOCKED claiming needs.
        env.cr.commit()  # pylint: disable=invalid-commit
        env.cr.execute("SET TRANSACTION ISOLATION LEVEL READ COMMITTED")
        # Two rows of one record never go to two workers at once.
        queries.lock_claims(env.cr)
    else:
        env.flush_all()
    now = fields.Datetime.now()
    # A lapsed claim is released first: it is claimed again with the newer
    # row of its record and both make one item.
    queries.release_lapsed_claims(env.cr, now, now - CLAIM_LEASE)
    rows = sorted(
        (ClaimedRow(*values) for values in queries.claim(env.cr, now, token, limit, skip)),
        key=lambda row: row.id,
    )
    env["aiflow.outbox"].invalidate_model()
    commit(env)
    return token, rows


def renew(env, token):
    """The rows ``token`` still holds stay claimed for another lease."""
    queries.renew_claims(env.cr, token, fields.Datetime.now())
    env["aiflow.outbox"].invalidate_model()


def settle(env, token, outcomes):
    """Record ``outcomes`` of rows claimed by ``token``; returns the ids changed."""
    if not outcomes:
        return set()
    settled = queries.settle(env.cr, token, outcomes, fields.Datetime.now(), env.uid)
    env["aiflow.outbox"].invalidate_model()
    return settled


def release(env, token, notes):
    """Back to the queue, not sent, so no attempt is counted. ``notes``: row
    id -> why it waits (None keeps the previous note)."""
    if notes:
        queries.release(env.cr, token, notes, fields.Datetime.now())
        env["aiflow.outbox"].invalidate_model()
