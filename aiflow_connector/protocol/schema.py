"""Payload rules of every aiflow endpoint, as data (spec part 1 §2, §4, §5 and
the inbound webhooks of part 2 §2).

Each endpoint is an :class:`Endpoint` whose ``fields`` are :class:`Field`
rules; one generic walker (:func:`validate`) applies them, so the Odoo side
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

import json
from dataclasses import dataclass

from .errors import PayloadError
from .wire_time import WIRE_PATTERN, has_wire_layout, parse_wire_naive

# Field kinds, named as in the spec's "类型" column.
STRING = "String"
INTEGER = "Integer"
LONG = "Long"
BOOLEAN = "Boolean"
ARRAY = "Array"
OBJECT = "Object"
TIME = "Time"  # a String in yyyy-MM-dd HH:mm:ss

_INT_RANGES = {
    INTEGER: (-(2**31), 2**31 - 1),
    LONG: (-(2**63), 2**63 - 1),
}

OUTBOUND = "outbound"  # Odoo -> aiflow (spec part 1)
INBOUND = "inbound"  # aiflow -> Odoo (spec part 2 §2)


@dataclass(frozen=True)
class Field:
    """One rule: a named value of a kind, maybe required, maybe an enum.

    ``fields`` are the nested rules of an Object; ``item`` is the rule every
    element of an Array follows (its ``name`` is unused); ``min_items`` is the
    smallest allowed Array length.
    """

    name: str
    kind: str
    required: bool = False
    choices: tuple = None
    fields: tuple = ()
    item: "Field" = None
    min_items: int = 0


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


# -- the walker ----------------------------------------------------------------
def json_type(value):
    """How a value looks on the wire, for error messages."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "Boolean"
    if isinstance(value, int):
        return "Integer"
    if isinstance(value, float):
        return "Number"
    if isinstance(value, str):
        return "String"
    if isinstance(value, (list, tuple)):
        return "Array"
    if isinstance(value, dict):
        return "Object"
    return type(value).__name__


def _choices_text(choices):
    return "not one of " + json.dumps(list(choices), ensure_ascii=False)


def _shown(value, limit=60):
    """A value quoted for an error message, cut short so a huge one stays readable."""
    text = repr(value)
    return text if len(text) <= limit else text[: limit - 3] + "..."


def _join(path, name):
    return f"{path}.{name}" if path else name


_ABSENT = object()


def _path_text(where):
    """The path of a value, from where the walker met it: a path already,
    or (where its container is, field name or list index). Spelled out
    only for an error: the walker meets every field of every record."""
    if not isinstance(where, tuple):
        return where
    container, key = where
    if isinstance(key, int):
        return f"{_path_text(container)}[{key}]"
    return _join(_path_text(container), key)


def _wrong_type(where, rule, value):
    expected = STRING if rule.kind == TIME else rule.kind
    raise PayloadError(
        _path_text(where), f"wrong type: expected {expected}, got {json_type(value)}"
    )


def _check_value(where, rule, value):
    kind = rule.kind
    if kind in (STRING, TIME):
        if not isinstance(value, str):
            _wrong_type(where, rule, value)
        if kind == TIME:
            if not has_wire_layout(value):
                raise PayloadError(_path_text(where), f"not {WIRE_PATTERN}: {_shown(value)}")
            try:
                parse_wire_naive(value)
            except ValueError:
                raise PayloadError(
                    _path_text(where),
                    f"not {WIRE_PATTERN} (no such date or time): {_shown(value)}",
                ) from None
        elif rule.required and not value.strip():
            raise PayloadError(_path_text(where), "must not be empty")
    elif kind in (INTEGER, LONG):
        if isinstance(value, bool) or not isinstance(value, int):
            _wrong_type(where, rule, value)
        low, high = _INT_RANGES[kind]
        if not low <= value <= high:
            raise PayloadError(_path_text(where), f"out of range for {kind}: {value}")
    elif kind == BOOLEAN:
        if not isinstance(value, bool):
            _wrong_type(where, rule, value)
    elif kind == OBJECT:
        if not isinstance(value, dict):
            _wrong_type(where, rule, value)
        _check_fields(where, rule.fields, value)
    elif kind == ARRAY:
        if not isinstance(value, (list, tuple)):
            _wrong_type(where, rule, value)
        if len(value) < rule.min_items:
            raise PayloadError(_path_text(where), f"must have at least {rule.min_items} item(s)")
        if rule.item is not None:
            for index, element in enumerate(value):
                _check_present((where, index), rule.item, element)
    else:  # a rule table typo, not a payload problem
        raise AssertionError(f"unknown field kind {kind!r} at {_path_text(where)}")
    if rule.choices is not None and value not in rule.choices:
        raise PayloadError(_path_text(where), f"{_choices_text(rule.choices)}: {_shown(value)}")


def _check_present(where, rule, value):
    if value is None:
        if rule.required:
            raise PayloadError(_path_text(where), "missing (null)")
        return
    _check_value(where, rule, value)


def _check_fields(where, rules, obj):
    for rule in rules:
        name = rule.name
        value = obj.get(name, _ABSENT)
        if value is None or value is _ABSENT:  # _check_present, inlined: once per field
            if rule.required:
                problem = "missing" if value is _ABSENT else "missing (null)"
                raise PayloadError(_path_text((where, name)), problem)
            continue
        _check_value((where, name), rule, value)


NUL = "\x00"
NUL_PROBLEM = "holds a NUL character (U+0000), which Odoo cannot store"


def _key_in_path(key):
    # a key is shown in the path with its NUL escaped: a message holding a
    # NUL could not be stored either
    return str(key).replace(NUL, "\\u0000")


def _check_no_nul(payload):
    """PayloadError naming the first string (value or key) holding NUL.
    Iterative: a body may nest as deep as the JSON parser allows."""
    stack = [("", payload)]
    while stack:
        path, value = stack.pop()
        if isinstance(value, str):
            if NUL in value:
                raise PayloadError(path, NUL_PROBLEM)
        elif isinstance(value, dict):
            children = []
            for key, item in value.items():
                child = _join(path, _key_in_path(key))
                if NUL in str(key):
                    raise PayloadError(child, f"a key that {NUL_PROBLEM}")
                children.append((child, item))
            stack.extend(reversed(children))  # checked in document order
        elif isinstance(value, (list, tuple)):
            stack.extend(reversed([(f"{path}[{i}]", item) for i, item in enumerate(value)]))


def validate(name, payload):
    """Raise PayloadError for the first rule of endpoint ``name`` that ``payload`` breaks."""
    endpoint = _endpoint(name)
    if not isinstance(payload, dict):
        raise PayloadError("(body)", f"wrong type: expected Object, got {json_type(payload)}")
    _check_fields("", endpoint.fields, payload)
    if endpoint.direction == INBOUND:
        _check_no_nul(payload)


def validate_item(name, item, index):
    """Validate one element of a batch endpoint's list (departments / users).

    The path in the error is the one the element has in the request,
    e.g. ``users[3].deptId``.
    """
    endpoint = _endpoint(name)
    if not endpoint.list_field:
        raise ValueError(f"endpoint {name!r} has no record list")
    list_rule = next(r for r in endpoint.fields if r.name == endpoint.list_field)
    _check_present((endpoint.list_field, index), list_rule.item, item)
