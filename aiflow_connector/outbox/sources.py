# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
"""The kinds of calls the outbox delivers, each declared in one place.

A :class:`Source` says which aiflow endpoint a kind of call goes to, which
Odoo model its rows come from, how its payload is built from the current
data when it is sent, what aiflow must know before it, and how its rows are
ordered. The worker, the claim and the console know sources only through
this declaration: adding a kind of call is registering one more.

Whether one call carries many records (a list endpoint such as user sync,
answered with ``failDetails`` per record) or one record (a single JSON
object, such as a third-party flow) follows from the endpoint's schema.
"""

from collections.abc import Callable
from dataclasses import dataclass

from ..protocol.request_body import encode_list_body
from ..protocol.schema import ENDPOINTS

DEFAULT_PRIORITY = 50

_registry = {}


@dataclass(frozen=True)
class Source:
    """One kind of call to aiflow.

    ``build(env, res_ids, settings)``
        res_id -> the item to send now (a list element, or the whole body of
        a one-record endpoint), None when there is nothing to send; called
        at send time on the current data. Times go on the wire through
        ``settings.to_wire``.
    ``describe(records)``
        res_id -> (aiflow id, display name) of the records that get a row
        when they change; those left out get none.
    ``key(item)``
        the aiflow id of an item (default: the endpoint's list key).
    ``dependencies(item)``
        ``(endpoint, aiflow id)`` pairs aiflow must have before the item, of
        this source or another (a parent department, the people an order
        names); the item waits while one of them is undelivered.
    ``parent(item)``
        aiflow id of the record of this source sent before it in the same
        run (a hierarchy); None keeps the queued order.
    ``supersedes``
        a newer row replaces an unsent older one of the same record (org
        records, order snapshots); False for append-only calls (approval
        logs): every row is delivered, one after the other, in queued order.
    ``on_success(env, res_id, item, data)``
        called with aiflow's answer once it accepted a record (e.g. to
        store a flow version on the Odoo record).
    ``every(env)``
        what a full resync sends of this source: a row for every record in
        scope, starting with (res_id, parent res_id or None, aiflow id,
        display name) (see :mod:`.resync`); None for a source a full resync
        leaves alone.
    ``every_ids(env)``
        an SQL query of the ids ``every`` gives, for the start of a full
        resync (which counts and claims, reading no rows).
    ``build_every(env, rows, settings)``
        as ``build``, for rows ``every`` gave, from what they hold (no query
        per batch). A source with ``every`` declares these two as well.
    """

    endpoint: str
    model: str
    build: Callable
    describe: Callable
    key: Callable = None
    dependencies: Callable = None
    parent: Callable = None
    parent_name: str = "parent"
    priority: int = DEFAULT_PRIORITY
    fixed_priority: int = None
    supersedes: bool = True
    on_success: Callable = None
    every: Callable = None
    every_ids: Callable = None
    build_every: Callable = None

    @property
    def batched(self):
        """Many records per call (a list endpoint) rather than one."""
        return bool(ENDPOINTS[self.endpoint].list_field)

    def wrap(self, items):
        """The request body for ``items`` (one item on a one-record endpoint)."""
        if self.batched:
            return {ENDPOINTS[self.endpoint].list_field: list(items)}
        (item,) = items
        return item

    def encode(self, item_texts):
        """The bytes of :meth:`wrap`'s body, from its items' JSON texts
        (:func:`..protocol.request_body.encode_json`)."""
        if self.batched:
            return encode_list_body(ENDPOINTS[self.endpoint].list_field, item_texts)
        (text,) = item_texts
        return text.encode("utf-8")

    def item_key(self, item):
        if self.key is not None:
            return self.key(item)
        name = ENDPOINTS[self.endpoint].item_key
        return item.get(name) if name else None

    def depends_on(self, item):
        return list(self.dependencies(item)) if self.dependencies else []

    def row_priority(self, mode):
        """Priority of a live row (built at send time) or a fixed one."""
        if mode == "fixed" and self.fixed_priority is not None:
            return self.fixed_priority
        return self.priority


def register(source):
    """Declare ``source``; one per endpoint and model."""
    if source.endpoint not in ENDPOINTS:
        raise ValueError(f"unknown aiflow endpoint {source.endpoint!r}")
    if source.every and not (source.every_ids and source.build_every):
        raise ValueError(f"{source.model}: a full resync needs every_ids and build_every too")
    _registry[(source.endpoint, source.model)] = source
    return source


def unregister(source):
    _registry.pop((source.endpoint, source.model), None)


def resynced():
    """The sources a full resync sends, in sending order (by priority)."""
    return sorted((src for src in _registry.values() if src.every), key=lambda s: s.priority)


def get(endpoint, model):
    """The source of rows of ``endpoint`` from ``model``, or None. A stored
    payload written without a model goes as the endpoint's first source."""
    if model:
        return _registry.get((endpoint, model))
    return next((src for (name, _m), src in _registry.items() if name == endpoint), None)
