"""Task-center payloads (spec part 1 §4.1-§4.3, §5.3) built from plain data.

The Odoo layer reads flows, orders, tasks and approval decisions into plain
values (user codes already resolved, times as Odoo stores them: naive UTC);
these functions shape them for the wire. Every time goes through
:mod:`.wire_time` in the configured timezone. Nothing here imports Odoo.

Decisions where the spec is silent (kept here so both sides agree):

* A rule limited to chosen people says ``allowedApplyType: "custom"`` and
  lists them; ``"all"`` sends the lists empty, as the spec's request example.
* The pages behind ``initiateUrl`` / ``detailUrl`` are served by Odoo under
  :data:`INITIATE_PATH` / :data:`DETAIL_PATH`; aiflow appends
  ``?businessKey=...`` to the detail page. Odoo's web client adapts to
  phones, so the H5 and PC pages are the same unless an admin overrides one.
* An order's cc users were copied when the order was created: ``ccTime`` is
  the order's creation time.
"""

from .wire_time import to_wire

# Endpoint names of schema.ENDPOINTS.
FLOW_CREATE_THIRD_PARTY = "flow_create_third_party"
FLOW_ONLINE_THIRD_PARTY = "flow_online_third_party"
ORDER_TASK_SYNC = "order_task_sync"
APPROVAL_LOG_SYNC = "approval_log_sync"

RULE_ALL = "all"
RULE_CUSTOM = "custom"
TERMINALS = ("pc", "mobile")

INITIATE_PATH = "/aiflow/flow/{flow_code}/new"
DETAIL_PATH = "/aiflow/flow/{flow_code}/detail"
BUSINESS_KEY_PARAM = "businessKey"

# Approval-log results (§5.3 handleResult).
APPROVED = "APPROVED"
REJECTED = "REJECTED"


def _unique(values):
    """``values`` without empties or repeats, in their first order."""
    seen = []
    for value in values or ():
        if value and value not in seen:
            seen.append(value)
    return seen


def default_page_urls(base_url, flow_code):
    """``{"initiate": {...}, "detail": {...}}`` of a flow served by the Odoo at
    ``base_url`` (its public URL), each with ``h5Url`` and ``webUrl``."""
    base = (base_url or "").rstrip("/")
    initiate = base + INITIATE_PATH.format(flow_code=flow_code)
    detail = base + DETAIL_PATH.format(flow_code=flow_code)
    return {
        "initiate": {"h5Url": initiate, "webUrl": initiate},
        "detail": {"h5Url": detail, "webUrl": detail},
    }


def access_rule(kind, user_codes=(), dept_codes=(), group_codes=()):
    """An ``allowedApplyRule`` / ``allowedManageRule`` object.

    ``kind`` is :data:`RULE_ALL` (everyone; the lists are ignored) or
    :data:`RULE_CUSTOM` (only the people named by the three lists).
    """
    if kind not in (RULE_ALL, RULE_CUSTOM):
        raise ValueError(f"unknown access rule kind {kind!r}")
    if kind == RULE_ALL:
        return {
            "allowedApplyType": RULE_ALL,
            "userCodes": [],
            "deptCodes": [],
            "userGroupCodes": [],
        }
    return {
        "allowedApplyType": RULE_CUSTOM,
        "userCodes": _unique(user_codes),
        "deptCodes": _unique(dept_codes),
        "userGroupCodes": _unique(group_codes),
    }


def third_party_flow(values):
    """Body of ``create_third_party`` (§4.1).

    ``values``: ``flow_code``, ``title``, ``initiate_url`` and ``detail_url``
    (dicts with ``h5Url`` / ``webUrl``), ``group_id``, ``manager_code``,
    ``operation_code``, ``config_code``, ``creator_code``, ``terminals`` (a
    subset of :data:`TERMINALS`), ``apply_rule`` and ``manage_rule`` (from
    :func:`access_rule`).
    """
    terminals = [terminal for terminal in TERMINALS if terminal in (values.get("terminals") or ())]
    return {
        "flowCode": values["flow_code"],
        "title": values["title"],
        "initiateUrl": {
            "h5Url": values["initiate_url"]["h5Url"],
            "webUrl": values["initiate_url"]["webUrl"],
        },
        "detailUrl": {
            "h5Url": values["detail_url"]["h5Url"],
            "webUrl": values["detail_url"]["webUrl"],
        },
        "groupId": values["group_id"],
        "managerUserCode": values["manager_code"],
        "operationUserCode": values["operation_code"],
        "configUserCode": values["config_code"],
        "createBy": values["creator_code"],
        "allowedApplyTerminals": terminals,
        "allowedApplyRule": values.get("apply_rule") or access_rule(RULE_ALL),
        "allowedManageRule": values.get("manage_rule") or access_rule(RULE_ALL),
    }


def flow_online(flow_code, flow_version, update_desc=""):
    """Body of ``online_third_party`` (§4.2)."""
    return {"flowCode": flow_code, "flowVersion": flow_version, "updateDesc": update_desc or ""}


def _task(task, tz_name):
    item = {
        "taskId": task["task_id"],
        "taskName": task["name"],
        "assigneeUserCode": _unique(task["assignee_codes"]),
        "taskStatus": task["status"],
        "taskResult": task["result"],
        "deadLine": to_wire(task["deadline"], tz_name),
        "nodeType": task["node_type"],
        "showPc": bool(task["show_pc"]),
        "showMobile": bool(task["show_mobile"]),
    }
    if task.get("handle_time"):
        item["handleTime"] = to_wire(task["handle_time"], tz_name)
    return item


def order_snapshot(order, tasks, tz_name=None):
    """Body of ``order/sync/task`` (§4.3): the whole order, every task.

    ``order``: ``order_id``, ``status``, ``result``, ``initiator_code``,
    ``business_key``, ``create_time``, ``update_time`` (naive UTC or aware
    datetimes), ``cc_codes`` (user codes), optional ``version``.
    ``tasks``: dicts with ``task_id``, ``name``, ``assignee_codes``,
    ``status``, ``result``, ``deadline``, ``node_type``, ``show_pc``,
    ``show_mobile`` and, once handled, ``handle_time``.
    """
    body = {
        "orderId": order["order_id"],
        "orderStatus": order["status"],
        "orderResult": order["result"],
        "initiator": order["initiator_code"],
        "businessKey": order["business_key"],
        "createTime": to_wire(order["create_time"], tz_name),
        "updateTime": to_wire(order["update_time"], tz_name),
        "tasks": [_task(task, tz_name) for task in tasks],
    }
    if order.get("version"):
        body["version"] = order["version"]
    cc_codes = _unique(order.get("cc_codes"))
    if cc_codes:
        cc_time = body["createTime"]
        body["ccUsers"] = [{"userCode": code, "ccTime": cc_time} for code in cc_codes]
    return body


def approval_log(order_id, business_key, logs, tz_name=None):
    """Body of ``order/approval/log`` (§5.3).

    ``logs``: dicts with ``task_id``, ``task_name``, ``handler_code``,
    ``result`` (:data:`APPROVED` / :data:`REJECTED`), ``comment`` (may be
    empty) and ``handle_time``.
    """
    return {
        "orderId": order_id,
        "businessKey": business_key,
        "logs": [
            {
                "taskId": log["task_id"],
                "taskName": log["task_name"],
                "handlerUserCode": log["handler_code"],
                "handleResult": log["result"],
                "handleComment": log.get("comment") or "",
                "handleTime": to_wire(log["handle_time"], tz_name),
            }
            for log in logs
        ],
    }


# -- what aiflow must have before each call (outbox dependencies) -------------
# Endpoint names of the organization sync (schema.ENDPOINTS).
USER_SYNC = "user_sync"
DEPARTMENT_SYNC = "department_sync"


def _people(codes):
    return [(USER_SYNC, code) for code in _unique(codes)]


def flow_dependencies(item):
    """The people and departments a ``create_third_party`` body names. A user
    without an employee is named by login, which no user sync carries: such
    a pair never waits."""
    codes = [
        item.get("managerUserCode"),
        item.get("operationUserCode"),
        item.get("configUserCode"),
        item.get("createBy"),
    ]
    departments = []
    for rule in (item.get("allowedApplyRule") or {}, item.get("allowedManageRule") or {}):
        codes.extend(rule.get("userCodes") or ())
        departments.extend(rule.get("deptCodes") or ())
    return _people(codes) + [(DEPARTMENT_SYNC, code) for code in _unique(departments)]


def flow_online_dependencies(item):
    """A flow goes online once its registration reached aiflow."""
    return [(FLOW_CREATE_THIRD_PARTY, item["flowCode"])]


def order_key(item):
    """Outbox key of an order snapshot or approval log: the orderId."""
    return str(item["orderId"])


def order_dependencies(item):
    """The people an order snapshot names: initiator, assignees, cc users."""
    codes = [item.get("initiator")]
    for task in item.get("tasks") or ():
        codes.extend(task.get("assigneeUserCode") or ())
    codes.extend(cc.get("userCode") for cc in item.get("ccUsers") or ())
    return _people(codes)


def approval_log_dependencies(item):
    """A decision goes after the order's snapshot (which holds its task) and
    after its handler is known to aiflow."""
    handlers = [log.get("handlerUserCode") for log in item.get("logs") or ()]
    return [(ORDER_TASK_SYNC, order_key(item)), *_people(handlers)]
