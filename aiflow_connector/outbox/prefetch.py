# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
"""The next claim, taken and its payloads built on a thread and a connection
of their own while the worker still sends the last batches of the current
one.

Claiming and building a claim's rows cost about as much as sending them;
done beside the sending, the HTTP calls follow each other with little wait.
What the next claim's rows wait for is still decided once the current claim
is over (:class:`..group.Group` plans them then): only the claim and the
build move earlier. The claim leaves out a record whose row is still being
sent, as it does for another worker's, and the build reads the records after
the claim, as before. After a claim with a success callback (a flow's
version stored when aiflow accepts it, which a later payload may carry) the
next claim waits for it to be over.

Inside a test's transaction (nothing may be committed) there is no prefetch:
the worker claims when it needs to.
"""

import json
import threading
import time

from odoo import api, sql_db

from ..protocol.errors import PayloadError
from ..protocol.schema import validate, validate_item
from .claims import claim, commit, defer_commit_flush, release


def build_items(env, source, rows, settings):
    """row id -> item to send (or None: nothing to send) for ``rows`` of
    ``source``, built from the current records (stored ones as stored)."""
    items = {}
    live = []
    for row in rows:
        if row.mode == "fixed":
            items[row.id] = json.loads(row.payload)
        else:
            live.append(row)
    if live:
        built = source.build(env, list({row.res_id for row in live}), settings)
        for row in live:
            items[row.id] = built.get(row.res_id)
    return items


def item_problem(source, item):
    """The PayloadError ``item`` breaks the aiflow specification with, or None."""
    try:
        if source.batched:
            validate_item(source.endpoint, item, 0)
        else:
            validate(source.endpoint, item)
    except PayloadError as exc:
        return exc
    return None


class Claim:
    """Claimed rows: their token, when they were claimed (monotonic clock),
    the rows, and for those already built their items and problems."""

    def __init__(self, token, rows, claimed):
        self.token = token
        self.rows = rows
        self.claimed = claimed
        self.items = {}
        self.problems = {}  # row id -> item_problem(), for the items built


def claim_now(env, limit, skip):
    token, rows = claim(env, limit, skip)
    return Claim(token, rows, time.monotonic())


class Prefetch:
    """The next claim, on its way."""

    def __init__(self, env, settings, limit, skip):
        self.env = env
        self.error = None
        self.claim = None
        self._thread = threading.Thread(
            target=self._work,
            name="aiflow-prefetch",
            args=(env.cr.dbname, env.uid, dict(env.context), settings, limit, set(skip)),
            daemon=True,
        )
        self._thread.start()

    def result(self):
        """The claim (its rows may be none); raises what the thread raised."""
        self._thread.join()
        if self.error is not None:
            self._release()  # claimed, then the build failed
            raise self.error
        return self.claim

    def cancel(self):
        """The rows go back to the queue unsent, as if never claimed."""
        self._thread.join()
        self._release()

    def _release(self):
        taken, self.claim = self.claim, None
        if taken is not None and taken.rows:
            release(self.env, taken.token, dict.fromkeys(row.id for row in taken.rows))
            commit(self.env)

    def _work(self, dbname, uid, context, settings, limit, skip):
        try:
            with sql_db.db_connect(dbname).cursor() as cr:
                env = api.Environment(cr, uid, context)
                defer_commit_flush(cr)  # see claims.defer_commit_flush
                token, rows = claim(env, limit, skip)
                self.claim = taken = Claim(token, rows, time.monotonic())
                by_source = {}
                for row in rows:
                    if row.source is not None:
                        by_source.setdefault(row.source, []).append(row)
                for source, source_rows in by_source.items():
                    items = build_items(env, source, source_rows, settings)
                    taken.items.update(items)
                    taken.problems.update(
                        (row_id, item_problem(source, item))
                        for row_id, item in items.items()
                        if item is not None
                    )
                cr.rollback()  # the build wrote nothing; the claim is committed
        except Exception as exc:  # handed to the worker's thread
            self.error = exc
