# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
"""Outcomes recorded on a connection and a thread of their own, while the
worker goes on with the next batch.

Recording a batch's outcomes (one UPDATE of its rows and a commit) cost the
worker about as much as the HTTP call itself; done beside it, the worker
only waits for it where what it reads next depends on it (:meth:`drain`):
before a claim, before planning a group (whose rows may wait for records
just settled), before renewing its claim and at the end of its run.

A full resync's new rows are written a few calls at a time
(:attr:`Settler.new_rows_per_write`), not in a statement per call:
measured over 10 pairs of runs of 22,002 records, PostgreSQL spent 13 %
less CPU (0.45 against 0.51 s) and the worker 5 % less; the resync's time
did not move beyond the machine's noise. A worker that dies before
writing them leaves those records without a row: the run sends them
again when it goes on, as it does any record it had not reached.

Inside a test's transaction (nothing may be committed) the outcomes are
recorded on the worker's own cursor, as before.
"""

import queue
import threading

from odoo import fields, sql_db

from . import queries
from .claims import auto_commit, defer_commit_flush


class Settler:
    """Records outcomes of rows claimed by a token, in the order given."""

    new_rows_per_write = 500

    def __init__(self, env):
        self.env = env
        self.threaded = auto_commit(env)
        self.error = None
        self._queue = queue.Queue()
        self._thread = None  # started with the first outcomes
        self._new = None  # (token, source, rows) not handed over yet

    def submit(self, token, outcomes, inline=False):
        """Record ``outcomes``: committed by the time :meth:`drain` returns;
        ``inline``, at once on the worker's own transaction."""
        if outcomes:
            self._submit(queries.settle, (token, outcomes), inline)

    def submit_new(self, token, source, rows):
        """Write the rows of records a full resync sent, with their outcomes
        (:func:`.queries.insert_outcomes`): gathered until there are
        :attr:`new_rows_per_write`, another token or source comes, or
        anything else is submitted or drained."""
        if not rows:
            return
        if self._new is not None and self._new[:2] != (token, source):
            self._write_new()
        if self._new is None:
            self._new = (token, source, [])
        self._new[2].extend(rows)
        if len(self._new[2]) >= self.new_rows_per_write:
            self._write_new()

    def _write_new(self):
        if self._new is not None:
            args, self._new = self._new, None
            self._submit(queries.insert_outcomes, args)

    def _submit(self, query, args, inline=False):
        # query(cr, *args, now, uid): one statement on the outbox table.
        self._write_new()  # what was gathered goes first, in the order given
        if inline or not self.threaded:
            self.drain()  # in the order given
            query(self.env.cr, *args, fields.Datetime.now(), self.env.uid)
            self.env["aiflow.outbox"].invalidate_model()
            return
        self._raise_error()
        if self._thread is None:
            self._thread = threading.Thread(
                target=self._work,
                name="aiflow-settle",
                args=(self.env.cr.dbname, self.env.uid),
                daemon=True,
            )
            self._thread.start()
        self._queue.put((query, args, fields.Datetime.now()))

    def drain(self):
        """Wait until every outcome submitted so far is committed."""
        self._write_new()
        if self.threaded:
            self._queue.join()
            self._raise_error()
            self.env["aiflow.outbox"].invalidate_model()

    def close(self):
        """Drain (the rows still gathered too), then end the thread (also
        after an error elsewhere)."""
        try:
            self.drain()
        finally:
            if self._thread is not None:
                self._queue.put(None)
                self._thread.join()
                self._thread = None

    def _raise_error(self):
        # Sticky: once an outcome could not be recorded, the run stops (its
        # rows stay claimed and come back when their lease runs out).
        if self.error is not None:
            raise self.error

    def _work(self, dbname, uid):
        cursor = None
        try:
            cursor = sql_db.db_connect(dbname).cursor()
            # Each settle is one statement: run as a transaction of its own
            # (one round trip, no BEGIN or COMMIT), at READ COMMITTED, where
            # a row whose lease ran out while it was sent, and that another
            # worker claimed meanwhile, is re-checked (its token) and left
            # alone instead of failing the statement.
            cursor.connection.autocommit = True
            defer_commit_flush(cursor)
        except Exception as exc:  # no connection: the worker raises it
            self.error = exc
        try:
            while True:
                job = self._queue.get()
                try:
                    if job is None:
                        return
                    if self.error is None:
                        query, args, now = job
                        query(cursor, *args, now, uid)
                except Exception as exc:  # handed to the worker's thread
                    self.error = exc
                finally:
                    self._queue.task_done()
        finally:
            if cursor is not None:
                try:
                    # The pool lends the connection again as Odoo expects it.
                    cursor.connection.autocommit = False
                finally:
                    cursor.close()
