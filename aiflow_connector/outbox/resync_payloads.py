# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
"""The payloads of a full resync's records, built in sending order a batch
at a time from the rows ``Source.every`` read, each checked against the
specification and encoded once, for the body and for its row.

A batch is built while the previous one is on the wire. Built 2,000 at a
time (a query each), the worker stopped for about 28 ms every 20 calls
while aiflow waited for it. Tried and dropped: building them on a thread
and a connection of their own (no faster).
"""

from collections import deque

from ..protocol.errors import PayloadError
from ..protocol.request_body import encode_json
from .prefetch import item_problem


def build_batch(env, source, settings, entries):
    """[(entry, item, problem, JSON text)] for ``entries``, in their order:
    item None when there is nothing to send, problem the PayloadError the
    item breaks the specification with."""
    items = source.build_every(env, [entry.row for entry in entries], settings)
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
        self._batch = settings.sync_batch_size

    def __bool__(self):
        return self.taken < len(self.entries)

    def next(self):
        """The next (entry, item, problem, JSON text)."""
        if not self._ready:
            start = self.taken
            self._ready.extend(
                build_batch(
                    self.env, self.source, self.settings, self.entries[start : start + self._batch]
                )
            )
        self.taken += 1
        return self._ready.popleft()

    def unsent(self):
        """The entries not handed out yet."""
        return self.entries[self.taken :]
