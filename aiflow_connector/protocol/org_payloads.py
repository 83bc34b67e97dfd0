"""Department and user sync payloads (spec part 1 §2.1, §2.2), and the order
in which a set of them may be sent.

Plain Python: the Odoo layer reads records into plain dicts, these functions
turn them into spec items and decide which of them can go now, in what
order, and which must wait for a parent that aiflow does not have yet.
Messages are English data; the Odoo layer translates them.
"""

from .hierarchy import HierarchyError, order_parents_first
from .schema import ENDPOINTS

DEPARTMENT_SYNC = "department_sync"
USER_SYNC = "user_sync"

STATUS_ENABLED = 1
STATUS_DISABLED = 0

# DESIGN.md "Identifiers": Odoo employee_type -> aiflow personnelType.
PERSONNEL_TYPES = {
    "employee": 1,
    "student": 2,
    "trainee": 2,
    "contractor": 3,
    "worker": 4,
    "freelance": 5,
}
DEFAULT_PERSONNEL_TYPE = 1


def _status(active):
    return STATUS_ENABLED if active else STATUS_DISABLED


def department_item(values):
    """Spec item for a department.

    ``values``: ``code``, ``name``, ``parent_code`` (falsy for a root),
    ``active``.
    """
    return {
        "deptId": values["code"],
        "deptName": values["name"] or values["code"],
        "parentId": values.get("parent_code") or "",
        "status": _status(values.get("active", True)),
    }


def user_item(values):
    """Spec item for an employee.

    ``values``: ``code``, ``login`` (of the linked user, falsy without one),
    ``name``, ``email``, ``mobile``, ``dept_code``, ``employee_type``,
    ``manager_code`` (falsy for the top boss), ``active``.  Without a user
    account the aiflow code doubles as the user name, so it is never empty.
    """
    return {
        "userId": values["code"],
        "userName": values.get("login") or values["code"],
        "realName": values.get("name") or "",
        "email": values.get("email") or "",
        "mobile": values.get("mobile") or "",
        "deptId": values["dept_code"],
        "personnelType": PERSONNEL_TYPES.get(values.get("employee_type"), DEFAULT_PERSONNEL_TYPE),
        "directSupervisor": values.get("manager_code") or "",
        "status": _status(values.get("active", True)),
    }


def disabled(item):
    """The same item telling aiflow the record is gone (``status: 0``)."""
    return dict(item, status=STATUS_DISABLED)


def item_key(endpoint_name, item):
    """The aiflow id of ``item`` (deptId / userId), or None for endpoints
    whose payloads are not per-record lists."""
    key = ENDPOINTS[endpoint_name].item_key
    return item.get(key) if key else None


def dependencies(endpoint_name, item):
    """``(endpoint, id)`` pairs that aiflow must already know before ``item``
    can be accepted: a department's parent; a user's department and direct
    supervisor."""
    if endpoint_name == DEPARTMENT_SYNC:
        parent = item.get("parentId")
        return [(DEPARTMENT_SYNC, parent)] if parent else []
    if endpoint_name == USER_SYNC:
        deps = []
        if item.get("deptId"):
            deps.append((DEPARTMENT_SYNC, item["deptId"]))
        if item.get("directSupervisor"):
            deps.append((USER_SYNC, item["directSupervisor"]))
        return deps
    return []


class Plan:
    """What to do with a set of items of one endpoint.

    ``ordered``  tokens to send now, parents first;
    ``waiting``  token -> the ``(endpoint, id)`` it waits for;
    ``invalid``  token -> a message (e.g. a manager cycle).
    """

    def __init__(self, ordered, waiting, invalid):
        self.ordered = ordered
        self.waiting = waiting
        self.invalid = invalid


def plan(endpoint_name, entries, blocked):
    """Decide the sending order of ``entries`` (pairs ``(token, item)``).

    ``blocked`` is a set of ``(endpoint, id)`` that aiflow does not have and
    will not get before these items are sent (pending elsewhere, failed or
    dead-lettered): an item depending on one of them waits, and so does every
    item below it in the same set.  Other parents outside the set are taken
    as already known to aiflow.
    """
    endpoint = ENDPOINTS[endpoint_name]
    waiting = {}
    invalid = {}
    candidates = []
    for token, item in entries:
        blocker = next((dep for dep in dependencies(endpoint_name, item) if dep in blocked), None)
        if blocker is not None:
            waiting[token] = blocker
        else:
            candidates.append((token, item))
    if not endpoint.item_key:
        return Plan([token for token, _item in candidates], waiting, invalid)

    key, parent_key = endpoint.item_key, endpoint.item_parent_key
    in_set = {item[key]: token for token, item in entries}
    waiting_keys = {item[key] for token, item in entries if token in waiting}
    # Parents outside the set are known to aiflow (or were just judged not
    # blocked); parents inside it but waiting are not.
    known = {
        item.get(parent_key)
        for _token, item in candidates
        if item.get(parent_key) and item.get(parent_key) not in in_set
    }
    pairs = [(item, token) for token, item in candidates]
    try:
        ordered = order_parents_first(
            pairs,
            key=lambda pair: pair[0][key],
            parent_key=lambda pair: pair[0].get(parent_key),
            known=known,
        )
    except HierarchyError as exc:
        ordered = exc.ordered
        in_cycle = {ident for cycle in exc.cycles for ident in cycle}
        parent_of = {item[key]: item.get(parent_key) for item, _token in pairs}
        for item, token in pairs:
            ident = item[key]
            if ident not in exc.blocked:
                continue
            if ident in in_cycle:
                invalid[token] = (
                    f"{parent_key} {parent_of[ident]!r} makes a cycle: "
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
            waiting[token] = (endpoint_name, ancestor)
    return Plan([token for _item, token in ordered], waiting, invalid)


def _cycle_of(cycles, ident):
    for cycle in cycles:
        if ident in cycle:
            return [str(i) for i in cycle + cycle[:1]]
    return [str(ident)]
