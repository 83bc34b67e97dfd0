"""Payload rules of every aiflow endpoint, as data (spec part 1 §2, §4, §5 and
the inbound webhooks of part 2 §2).

Each endpoint is an :class:`Endpoint` whose ``fields`` are :class:`Field`
rules; one generic walker (:mod:`.rule_check`) applies them, so the Odoo side
(before sending), the client and the sandbox (on receipt) enforce the same
contract.  A violation raises :class:`~.errors.PayloadError` whose ``field``
is the path of the offending value (``departments[2].parentId``,
``tasks[0].deadLine``, ``initiateUrl.h5Url``) and whose ``problem`` says what
is wrong.

Decisions where the spec is silent (kept here so both sides agree):

* Unknown extra fields are allowed: aiflow may add fields, and a newer Odoo
  side may send some an older aiflow ignores.
* An optional field may be absent or ``null``; a required one may be neither.
* A required String must not be empty or blank; an optional String may be
  ``""`` (the spec itself sends ``"parentId": ""`` for a root department).
* Integer is a 32-bit and Long a 64-bit JSON integer; ``true``/``false`` and
  ``1.0`` are not integers (Java's aiflow would not bind them).
* Time fields are strictly ``yyyy-MM-dd HH:mm:ss`` and a real date/time
  (``2025-02-30 10:00:00`` is rejected); an optional time may be absent or
  null but not ``""``.
* The top-level ``departments`` / ``users`` lists may be empty (that is how
  a ping changes nothing); ``tasks[].assigneeUserCode`` must name at least
  one assignee (a todo item nobody can handle is meaningless).
* ``flow_update`` has no body in the spec: it takes the fields of
  ``flow_create`` (``flowCode`` identifies the flow to update).
* ``online_third_party`` / ``flow/publish`` have no parameter table:
  ``flowCode`` and ``flowVersion`` are required (they name what goes online),
  ``updateDesc`` is optional.
* Approval logs have no parameter table: every log names its task, handler,
  result and time; ``handleComment`` (and inbound ``formData``) is optional.
* No string of an inbound body (at any depth, keys included) may hold a NUL
  character (U+0000): PostgreSQL text cannot store it, so Odoo could keep
  neither the value nor the event's columns.
"""

import functools
from dataclasses import dataclass

from .rule_check import (
    ARRAY,
    BOOLEAN,
    INBOUND,
    INTEGER,
    LONG,
    NUL_PROBLEM,
    OBJECT,
    OUTBOUND,
    STRING,
    TIME,
    Field,
    check_body,
    check_element,
    json_type,
)

# Re-exported: the vocabulary callers name as schema.<name>.
__all__ = [
    "ARRAY",
    "BOOLEAN",
    "ENDPOINTS",
    "INBOUND",
    "INTEGER",
    "LONG",
    "NUL_PROBLEM",
    "OBJECT",
    "OUTBOUND",
    "STRING",
    "TIME",
    "Endpoint",
    "Field",
    "endpoint_for",
    "json_type",
    "opt",
    "req",
    "validate",
    "validate_item",
]


@dataclass(frozen=True)
class Endpoint:
    name: str
    method: str
    path: str
    fields: tuple = ()
    # For the batch endpoints: the top-level list whose elements are records
    # (validate_item checks one of them, failDetails index into it).
    list_field: str = None
    direction: str = OUTBOUND
    # Which key of a list element identifies it (deptId / userId).
    item_key: str = None
    item_parent_key: str = None


def req(name, kind, **options):
    return Field(name, kind, required=True, **options)


def opt(name, kind, **options):
    return Field(name, kind, required=False, **options)


def _element(kind, **options):
    # Array elements are always present; "required" makes null an error.
    return Field("", kind, required=True, **options)


# -- shared enums (spec tables and "状态枚举说明") ----------------------------
STATUS = (0, 1)
PERSONNEL_TYPES = (1, 2, 3, 4, 5)
ORDER_STATUS = ("new", "ing", "over")
ORDER_RESULT = ("ing", "pass", "reject", "revoke", "delete")
TASK_STATUS = ("new", "ing", "over")
TASK_RESULT = ("new", "accept", "pass", "reject", "revoke", "rebut")
NODE_TYPE = ("handle", "audit", "notify")
SYNC_TYPE = ("CREATE", "UPDATE", "DELETE")
WORKFLOW_ACTION = ("START", "COMPLETE", "REJECT", "CANCEL")
APPLY_TERMINALS = ("pc", "mobile")

# -- record rules -----------------------------------------------------------
DEPARTMENT = (
    req("deptId", STRING),
    req("deptName", STRING),
    opt("parentId", STRING),
    opt("deptCode", STRING),
    opt("orderNum", INTEGER),
    opt("status", INTEGER, choices=STATUS),
)

USER = (
    req("userId", STRING),
    req("userName", STRING),
    opt("realName", STRING),
    opt("email", STRING),
    opt("mobile", STRING),
    req("deptId", STRING),
    opt("personnelType", INTEGER, choices=PERSONNEL_TYPES),
    opt("directSupervisor", STRING),
    opt("status", INTEGER, choices=STATUS),
)

_PAGE_URLS = (req("h5Url", STRING), req("webUrl", STRING))

_ACCESS_RULE = (
    opt("allowedApplyType", STRING),
    opt("userCodes", ARRAY, item=_element(STRING)),
    opt("deptCodes", ARRAY, item=_element(STRING)),
    opt("userGroupCodes", ARRAY, item=_element(STRING)),
)

THIRD_PARTY_FLOW = (
    req("flowCode", STRING),
    req("title", STRING),
    req("initiateUrl", OBJECT, fields=_PAGE_URLS),
    req("detailUrl", OBJECT, fields=_PAGE_URLS),
    req("groupId", STRING),
    req("managerUserCode", STRING),
    req("operationUserCode", STRING),
    req("configUserCode", STRING),
    req("createBy", STRING),
    opt("allowedApplyTerminals", ARRAY, item=_element(STRING, choices=APPLY_TERMINALS)),
    opt("allowedApplyRule", OBJECT, fields=_ACCESS_RULE),
    opt("allowedManageRule", OBJECT, fields=_ACCESS_RULE),
)

FLOW_VERSION_CHANGE = (
    req("flowCode", STRING),
    req("flowVersion", INTEGER),
    opt("updateDesc", STRING),
)

TASK = (
    req("taskId", STRING),
    req("taskName", STRING),
    req("assigneeUserCode", ARRAY, item=_element(STRING), min_items=1),
    req("taskStatus", STRING, choices=TASK_STATUS),
    req("taskResult", STRING, choices=TASK_RESULT),
    req("deadLine", TIME),
    req("nodeType", STRING, choices=NODE_TYPE),
    opt("handleTime", TIME),
    req("showPc", BOOLEAN),
    req("showMobile", BOOLEAN),
)

CC_USER = (
    req("userCode", STRING),
    req("ccTime", TIME),
)

ORDER_TASKS = (
    req("orderId", LONG),
    req("orderStatus", STRING, choices=ORDER_STATUS),
    req("orderResult", STRING, choices=ORDER_RESULT),
    req("initiator", STRING),
    opt("version", INTEGER),
    opt("parentOrderId", LONG),
    opt("parentTaskOrderId", STRING),
    req("businessKey", STRING),
    req("createTime", TIME),
    req("updateTime", TIME),
    opt("ccUsers", ARRAY, item=_element(OBJECT, fields=CC_USER)),
    req("tasks", ARRAY, item=_element(OBJECT, fields=TASK)),
)

FLOW_DEFINITION = (
    req("flowCode", STRING),
    req("flowName", STRING),
    req("formSchema", OBJECT),
    req("bpmnXml", STRING),
)

FORM = (
    req("formCode", STRING),
    req("formName", STRING),
    req("formSchema", OBJECT),
    req("syncType", STRING, choices=SYNC_TYPE),
)

APPROVAL_LOG = (
    req("taskId", STRING),
    req("taskName", STRING),
    req("handlerUserCode", STRING),
    req("handleResult", STRING),
    opt("handleComment", STRING),
    req("handleTime", TIME),
)

APPROVAL_LOGS = (
    req("orderId", LONG),
    req("businessKey", STRING),
    req("logs", ARRAY, item=_element(OBJECT, fields=APPROVAL_LOG)),
)

INBOUND_APPROVAL_LOGS = (
    req("orderId", LONG),
    req("businessKey", STRING),
    req(
        "logs",
        ARRAY,
        item=_element(OBJECT, fields=(*APPROVAL_LOG, opt("formData", OBJECT))),
    ),
)

WORKFLOW_EVENT = (
    req("orderId", LONG),
    req("businessKey", STRING),
    req("taskId", STRING),
    req("taskName", STRING),
    req("action", STRING, choices=WORKFLOW_ACTION),
    opt("formData", OBJECT),
    opt("processVariables", OBJECT),
    opt("handlerUserCode", STRING),
    opt("handleTime", TIME),
)

ENDPOINTS = {
    e.name: e
    for e in (
        Endpoint(
            "department_sync",
            "POST",
            "/aflow/api/sys/sync/department",
            fields=(req("departments", ARRAY, item=_element(OBJECT, fields=DEPARTMENT)),),
            list_field="departments",
            item_key="deptId",
            item_parent_key="parentId",
        ),
        Endpoint(
            "user_sync",
            "POST",
            "/aflow/api/sys/sync/user",
            fields=(req("users", ARRAY, item=_element(OBJECT, fields=USER)),),
            list_field="users",
            item_key="userId",
            item_parent_key="directSupervisor",
        ),
        Endpoint(
            "flow_create_third_party",
            "POST",
            "/aflow/api/flow/create_third_party",
            fields=THIRD_PARTY_FLOW,
        ),
        Endpoint(
            "flow_online_third_party",
            "POST",
            "/aflow/api/flow/online_third_party",
            fields=FLOW_VERSION_CHANGE,
        ),
        Endpoint("order_task_sync", "POST", "/aflow/api/order/sync/task", fields=ORDER_TASKS),
        Endpoint("flow_create", "POST", "/aflow/api/flow/create", fields=FLOW_DEFINITION),
        Endpoint("flow_update", "PUT", "/aflow/api/flow/update", fields=FLOW_DEFINITION),
        Endpoint("flow_publish", "POST", "/aflow/api/flow/publish", fields=FLOW_VERSION_CHANGE),
        Endpoint("form_sync", "POST", "/aflow/api/form/sync", fields=FORM),
        Endpoint(
            "approval_log_sync",
            "POST",
            "/aflow/api/order/approval/log",
            fields=APPROVAL_LOGS,
        ),
        Endpoint(
            "workflow_event",
            "POST",
            "/odoo/api/workflow/receive",
            fields=WORKFLOW_EVENT,
            direction=INBOUND,
        ),
        Endpoint(
            "approval_log_event",
            "POST",
            "/odoo/api/workflow/approval/log",
            fields=INBOUND_APPROVAL_LOGS,
            direction=INBOUND,
        ),
    )
}


def endpoint_for(method, path):
    """The endpoint served at ``method`` ``path`` (trailing slash ignored), or None."""
    path = path.rstrip("/") or "/"
    for endpoint in ENDPOINTS.values():
        if endpoint.method == method.upper() and endpoint.path == path:
            return endpoint
    return None


def _endpoint(name):
    try:
        return ENDPOINTS[name]
    except KeyError:
        raise KeyError(f"unknown aiflow endpoint {name!r}") from None


def validate(name, payload):
    """Raise PayloadError for the first rule of endpoint ``name`` that ``payload`` breaks."""
    endpoint = _endpoint(name)
    check_body(endpoint.fields, payload, inbound=endpoint.direction == INBOUND)


def validate_item(name, item, index):
    """Validate one element of a batch endpoint's list (departments / users).

    The path in the error is the one the element has in the request,
    e.g. ``users[3].deptId``.
    """
    list_field, element_rule = _element_rule(name)
    check_element(list_field, element_rule, item, index)


@functools.cache
def _element_rule(name):
    # Looked up once: validate_item runs for every record of a resync.
    endpoint = _endpoint(name)
    if not endpoint.list_field:
        raise ValueError(f"endpoint {name!r} has no record list")
    list_rule = next(r for r in endpoint.fields if r.name == endpoint.list_field)
    return endpoint.list_field, list_rule.item
