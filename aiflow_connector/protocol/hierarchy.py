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

from collections import deque


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


def _getter(key):
    if callable(key):
        return key
    return lambda item: item.get(key)


def _is_root_marker(parent):
    # The spec marks a root with an empty parentId / directSupervisor.
    if parent is None or parent == "":
        return True
    return isinstance(parent, str) and not parent.strip()


def order_parents_first(items, key, parent_key, known=None):
    """Return ``items`` (dicts) reordered so every parent precedes its children.

    ``key`` / ``parent_key`` are dict keys (or callables taking an item).
    An empty or None parent means a root.  A parent id that is not among the
    items is an error unless it is in ``known`` (ids already in aiflow), in
    which case the item counts as a root.  Raises :class:`HierarchyError`
    when some items cannot be placed, and ``ValueError`` for an item without id.
    """
    items = list(items)
    id_of = _getter(key)
    parent_of = _getter(parent_key)
    if not isinstance(known, (set, frozenset, dict)):
        known = set(known or ())

    ids = []
    position = {}
    duplicates = []
    for index, item in enumerate(items):
        item_id = id_of(item)
        if _is_root_marker(item_id):
            raise ValueError(f"item {index} has no id ({key!r})")
        if item_id in position:
            if item_id not in duplicates:
                duplicates.append(item_id)
        else:
            position[item_id] = index
        ids.append(item_id)

    count = len(items)
    depth = [-1] * count
    parent_pos = [None] * count  # position of the parent among items, if there
    children = {}
    unknown_parents = {}
    queue = deque()
    for index, item in enumerate(items):
        parent = parent_of(item)
        if _is_root_marker(parent):
            depth[index] = 0
            queue.append(index)
        elif parent in position:
            parent_pos[index] = position[parent]
            children.setdefault(position[parent], []).append(index)
        elif parent in known:
            depth[index] = 0
            queue.append(index)
        else:
            unknown_parents.setdefault(parent, []).append(ids[index])

    # Breadth-first from the roots; children lists are in input order.
    while queue:
        index = queue.popleft()
        for child in children.get(index, ()):
            depth[child] = depth[index] + 1
            queue.append(child)

    cycles = _find_cycles(depth, parent_pos, ids)

    blocked = [ids[index] for index in range(count) if depth[index] < 0]
    # A stable sort by level keeps the input order inside each level.
    placed = sorted(
        (index for index in range(count) if depth[index] >= 0), key=depth.__getitem__
    )
    ordered = [items[index] for index in placed]

    if blocked or duplicates:
        raise HierarchyError(cycles, unknown_parents, duplicates, blocked, ordered)
    return ordered


def _find_cycles(depth, parent_pos, ids):
    """Cycles among the unplaced records (each has at most one parent link)."""
    cycles = []
    # 0 unseen, 1 on the walk being followed, 2 finished
    state = [0] * len(depth)
    for start in range(len(depth)):
        if depth[start] >= 0 or state[start]:
            continue
        walk = []
        node = start
        while node is not None and state[node] == 0:
            state[node] = 1
            walk.append(node)
            node = parent_pos[node]
        if node is not None and state[node] == 1:
            cycle = walk[walk.index(node):]
            first = cycle.index(min(cycle))
            cycles.append([ids[i] for i in cycle[first:] + cycle[:first]])
        for visited in walk:
            state[visited] = 2
    return cycles
