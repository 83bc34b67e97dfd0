"""In what order a set of records of one kind may be sent to aiflow, and
which must wait for a record aiflow does not have yet.

Plain Python, for any kind of call: the caller says how to read an item's
key, its parent of the same kind (sent first in the same run) and the
``(endpoint, id)`` pairs aiflow must know before it. Messages are English
data; the Odoo layer translates them.
"""

from .hierarchy import HierarchyError, order_parents_first


class Plan:
    """What to do with a set of items of one kind.

    ``ordered``  tokens to send now, parents first;
    ``waiting``  token -> the ``(endpoint, id)`` it waits for;
    ``invalid``  token -> a message (e.g. a manager cycle).
    """

    def __init__(self, ordered, waiting, invalid):
        self.ordered = ordered
        self.waiting = waiting
        self.invalid = invalid


def plan(kind, entries, blocked, *, key, parent=None, parent_name="parent", dependencies=None):
    """Decide the sending order of ``entries`` (pairs ``(token, item)``, in
    the order they were queued).

    ``blocked`` is a set of ``(endpoint, id)`` that aiflow does not have and
    will not get before these items are sent (pending elsewhere, failed or
    dead-lettered): an item depending on one of them waits, and so does every
    item below it in the same set. Other parents outside the set are taken
    as already known to aiflow. Without ``parent`` the queued order is kept.
    """
    waiting = {}
    invalid = {}
    candidates = []
    for token, item in entries:
        deps = dependencies(item) if dependencies else ()
        blocker = next((dep for dep in deps if dep in blocked), None)
        if blocker is not None:
            waiting[token] = blocker
        else:
            candidates.append((token, item))
    if parent is None:
        return Plan([token for token, _item in candidates], waiting, invalid)

    in_set = {key(item): token for token, item in entries}
    waiting_keys = {key(item) for token, item in entries if token in waiting}
    # Parents outside the set are known to aiflow (or were just judged not
    # blocked); parents inside it but waiting are not.
    known = {
        parent(item) for _token, item in candidates if parent(item) and parent(item) not in in_set
    }
    pairs = [(item, token) for token, item in candidates]
    try:
        ordered = order_parents_first(
            pairs,
            key=lambda pair: key(pair[0]),
            parent_key=lambda pair: parent(pair[0]),
            known=known,
        )
    except HierarchyError as exc:
        ordered = exc.ordered
        in_cycle = {ident for cycle in exc.cycles for ident in cycle}
        parent_of = {key(item): parent(item) for item, _token in pairs}
        for item, token in pairs:
            ident = key(item)
            if ident not in exc.blocked:
                continue
            if ident in in_cycle:
                invalid[token] = (
                    f"{parent_name} {parent_of[ident]!r} makes a cycle: "
                    f"{' -> '.join(_cycle_of(exc.cycles, ident))}"
                )
                continue
            # Below a waiting (or cyclic) record: find the first such ancestor.
            ancestor = parent_of[ident]
            seen = set()
            while ancestor in parent_of and ancestor not in seen and ancestor not in waiting_keys:
                seen.add(ancestor)
                if ancestor in in_cycle:
                    break
                ancestor = parent_of[ancestor]
            waiting[token] = (kind, ancestor)
    return Plan([token for _item, token in ordered], waiting, invalid)


def _cycle_of(cycles, ident):
    for cycle in cycles:
        if ident in cycle:
            return [str(i) for i in cycle + cycle[:1]]
    return [str(ident)]
