"""Parents before children, as aiflow requires for department and user sync.

Spec part 1 §2.1/§2.2: records must arrive level by level ("一级、二级、三级…");
a child sent before its parent exists in aiflow fails.  The same function
orders departments (``deptId`` / ``parentId``) and users (``userId`` /
``directSupervisor``).

The result is in level order (all roots, then their children, then
grandchildren ...) and stable: within a level, records keep their input
order, so siblings do too.  It runs in linear time without recursion, so a
100,000-deep chain is fine, and it always terminates: records that cannot be
placed (a cycle, an unknown parent, or below one of those) are reported.
"""


class HierarchyError(ValueError):
    """Some records cannot be put in parents-first order.

    ``cycles``           list of cycles, each the list of ids along the parent
                         links, starting from the one earliest in the input;
    ``unknown_parents``  dict: parent id that is neither among the records nor
                         ``known`` -> ids of the records that name it;
    ``duplicates``       ids that occur more than once;
    ``blocked``          ids of every record that could not be placed (in a
                         cycle, under an unknown parent, or below those);
    ``ordered``          the records that could be placed, in order, so a
                         caller may still send those and mark the rest.
    """

    def __init__(self, cycles, unknown_parents, duplicates, blocked, ordered):
        self.cycles = cycles
        self.unknown_parents = unknown_parents
        self.duplicates = duplicates
        self.blocked = blocked
        self.ordered = ordered
        super().__init__(self._describe())

    def _describe(self, limit=5):
        def some(values):
            values = list(values)
            text = ", ".join(str(v) for v in values[:limit])
            return text + (f" and {len(values) - limit} more" if len(values) > limit else "")

        parts = []
        if self.cycles:
            shown = "; ".join(
                " -> ".join(str(i) for i in cycle + cycle[:1]) for cycle in self.cycles[:limit]
            )
            parts.append(f"{len(self.cycles)} cycle(s): {shown}")
        if self.unknown_parents:
            shown = "; ".join(
                f"{parent} (named by {some(children)})"
                for parent, children in list(self.unknown_parents.items())[:limit]
            )
            parts.append(f"{len(self.unknown_parents)} unknown parent(s): {shown}")
        if self.duplicates:
            parts.append(f"duplicate id(s): {some(self.duplicates)}")
        return "cannot order parents first: " + "; ".join(parts)


def _values(items, key):
    if callable(key):
        return [key(item) for item in items]
    return [item.get(key) for item in items]


def _is_root_marker(parent):
    # The spec marks a root with an empty parentId / directSupervisor.
    if parent is None or parent == "":
        return True
    return isinstance(parent, str) and not parent.strip()


# parent_pos markers (a real parent is its position, >= 0)
_ROOT = -1
_UNKNOWN = -2
# depth markers (a placed record has its level, >= 0)
_UNSEEN = -1
_ON_WALK = -2
_BLOCKED = -3


def order_parents_first(items, key, parent_key, known=None):
    """Return ``items`` (dicts) reordered so every parent precedes its children.

    ``key`` / ``parent_key`` are dict keys (or callables taking an item).
    An empty or None parent means a root.  A parent id that is not among the
    items is an error unless it is in ``known`` (ids already in aiflow), in
    which case the item counts as a root.  Raises :class:`HierarchyError`
    when some items cannot be placed, and ``ValueError`` for an item without id.
    """
    items = list(items)
    ids = _values(items, key)
    parents = _values(items, parent_key)
    if not isinstance(known, (set, frozenset, dict)):
        known = set(known or ())
    count = len(items)

    if None in ids or "" in ids:
        index = next(i for i, item_id in enumerate(ids) if item_id is None or item_id == "")
        raise ValueError(f"item {index} has no id ({key!r})")
    # Built from the end so that a duplicated id maps to its first occurrence.
    position = {ids[index]: index for index in range(count - 1, -1, -1)}
    duplicates = []
    if len(position) != count:
        seen = set()
        for item_id in ids:
            if item_id in seen and item_id not in duplicates:
                duplicates.append(item_id)
            seen.add(item_id)

    parent_pos = [position.get(parent, _UNKNOWN) for parent in parents]
    unknown_parents = {}
    for index in [i for i, found in enumerate(parent_pos) if found == _UNKNOWN]:
        parent = parents[index]
        if _is_root_marker(parent) or parent in known:
            parent_pos[index] = _ROOT
        else:
            unknown_parents.setdefault(parent, []).append(ids[index])

    # Each record's level is one more than its parent's.  Walk up the parent
    # links until a record whose level is known (or a root), then fill the
    # levels in on the way back: every record is walked once, so this is
    # linear, and the explicit list replaces recursion.
    depth = [_UNSEEN] * count
    cycles = []
    for start in range(count):
        if depth[start] != _UNSEEN:
            continue
        walk = []
        node = start
        while True:
            level = depth[node]
            if level == _ON_WALK:  # came back to the walk: a cycle
                cycle = walk[walk.index(node) :]
                first = cycle.index(min(cycle))
                cycles.append([ids[i] for i in cycle[first:] + cycle[:first]])
                base = _BLOCKED
                break
            if level != _UNSEEN:
                base = level
                break
            depth[node] = _ON_WALK
            walk.append(node)
            parent = parent_pos[node]
            if parent == _ROOT:
                base = -1
                break
            if parent == _UNKNOWN:
                base = _BLOCKED
                break
            node = parent
        if base == _BLOCKED:
            for node in walk:
                depth[node] = _BLOCKED
        else:
            for node in reversed(walk):
                base += 1
                depth[node] = base

    blocked = []
    placed = range(count)
    if count and min(depth) < 0:
        blocked = [ids[index] for index in range(count) if depth[index] < 0]
        placed = [index for index in range(count) if depth[index] >= 0]
    # A stable sort by level keeps the input order inside each level.
    ordered = [items[index] for index in sorted(placed, key=depth.__getitem__)]

    if blocked or duplicates:
        raise HierarchyError(cycles, unknown_parents, duplicates, blocked, ordered)
    return ordered
