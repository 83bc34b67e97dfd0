"""Department and user sync payloads (spec part 1 §2.1, §2.2), and the order
in which a set of them may be sent.

Plain Python: the Odoo layer reads records into plain dicts, these functions
turn them into spec items and decide which of them can go now, in what
order, and which must wait for a parent that aiflow does not have yet.
Messages are English data; the Odoo layer translates them.
"""

from . import send_plan
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


def parent(endpoint_name, item):
    """The id of ``item``'s parent of the same endpoint (parent department,
    direct supervisor), to be sent before it; None for a root."""
    parent_key = ENDPOINTS[endpoint_name].item_parent_key
    return (item.get(parent_key) or None) if parent_key else None


def parent_name(endpoint_name):
    """The field naming the parent (parentId, directSupervisor)."""
    return ENDPOINTS[endpoint_name].item_parent_key


def plan(endpoint_name, entries, blocked):
    """The sending order of department or user ``entries`` (see :func:`.send_plan.plan`)."""
    return send_plan.plan(
        endpoint_name,
        entries,
        blocked,
        key=lambda item: item_key(endpoint_name, item),
        parent=lambda item: parent(endpoint_name, item),
        parent_name=parent_name(endpoint_name),
        dependencies=lambda item: dependencies(endpoint_name, item),
    )
