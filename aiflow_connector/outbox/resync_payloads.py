# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
"""The payloads of a full resync's records, built in sending order ahead of
the sending: on a thread and a connection of their own, a few batches at a
time, while the worker waits for aiflow's answers.

Built on the worker's own thread, between two calls, reading and building
a batch held up every call by about as long as aiflow took to answer it.
Inside a test's transaction (whose records another connection cannot see)
they are built on the worker's thread, when needed.
"""

import contextlib
import queue
import threading
from collections import deque

from odoo import api, sql_db

from ..protocol.client import encode_json
from ..protocol.errors import PayloadError
from .claims import CLAIM_BATCHES, auto_commit
from .prefetch import item_problem

# Chunks built ahead of the sending: memory stays bounded whatever the
# number of records.
AHEAD = 2


def build_chunk(env, source, settings, entries):
    """[(entry, item, problem, JSON text)] for ``entries``, in their order:
    item None when there is nothing to send, problem the PayloadError the
    item breaks the specification with."""
    items = source.build(env, [entry.res_id for entry in entries], settings)
    built = []
    for entry in entries:
        item = items.get(entry.res_id)
        problem = text = None
        if item is not None:
            problem = item_problem(source, item)
            if problem is None:
                try:
                    text = encode_json(item)
                except PayloadError as exc:
                    problem = exc
        built.append((entry, item, problem, text))
    return built


class Payloads:
    """The built payloads of ``entries`` of ``source``, handed out in order."""

    def __init__(self, env, source, settings, entries):
        self.env = env
        self.source = source
        self.settings = settings
        self.entries = entries
        self.taken = 0
        self._ready = deque()
        size = settings.sync_batch_size * CLAIM_BATCHES
        self._chunks = deque(entries[i : i + size] for i in range(0, len(entries), size))
        self._queue = self._thread = None
        self._stop = threading.Event()
        if auto_commit(env) and self._chunks:
            self._queue = queue.Queue(maxsize=AHEAD)
            self._thread = threading.Thread(
                target=self._work,
                name="aiflow-resync-build",
                args=(env.cr.dbname, env.uid, dict(env.context)),
                daemon=True,
            )
            self._thread.start()

    def __bool__(self):
        return self.taken < len(self.entries)

    def next(self):
        """The next (entry, item, problem, JSON text)."""
        if not self._ready:
            self._ready.extend(self._next_chunk())
        self.taken += 1
        return self._ready.popleft()

    def unsent(self):
        """The entries not handed out yet."""
        return self.entries[self.taken :]

    def close(self):
        """Stop building (the rest is not needed)."""
        if self._thread is None:
            return
        self._stop.set()
        while self._thread.is_alive():
            # Make room for a chunk the thread may be putting.
            with contextlib.suppress(queue.Empty):
                self._queue.get(timeout=0.05)
        self._thread = None

    def _next_chunk(self):
        if self._queue is None:
            return build_chunk(self.env, self.source, self.settings, self._chunks.popleft())
        chunk = self._queue.get()
        if isinstance(chunk, Exception):
            raise chunk
        return chunk

    def _work(self, dbname, uid, context):
        try:
            with sql_db.db_connect(dbname).cursor() as cr:
                env = api.Environment(cr, uid, context)
                for entries in self._chunks:
                    if self._stop.is_set():
                        break
                    self._queue.put(build_chunk(env, self.source, self.settings, entries))
                cr.rollback()  # it only read
        except Exception as exc:  # handed to the worker's thread
            self._queue.put(exc)
