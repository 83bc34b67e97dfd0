"""Field rules and aiflow's memory for flows, orders, forms and approval logs."""

import json

import pytest

from conftest import signed_post

from .payloads import (
    PATHS,
    VALID,
    approval_logs,
    engine_flow,
    form,
    order_tasks,
    third_party_flow,
    version_change,
)


def call(sandbox, name, body):
    method = "PUT" if name == "flow_update" else "POST"
    response = signed_post(sandbox, PATHS[name], body, method=method)
    assert response.status_code == 200, response.text
    return response.json()


def assert_invalid(answer, error_code, mentions):
    assert answer["status"] == -4002, answer
    assert answer["msg"] == "请求参数错误"
    assert answer["data"]["errorCode"] == error_code
    assert mentions in answer["data"]["errorMessage"]


# -- whole-request rejections -------------------------------------------------


@pytest.mark.parametrize("name", sorted(PATHS))
def test_malformed_json_is_refused(sandbox, name):
    answer = call(sandbox, name, b'{"flowCode": "X",')
    assert_invalid(answer, "INVALID_JSON", "malformed JSON")


@pytest.mark.parametrize("raw", [b"", b"NaN", b'{"orderId": Infinity}', b"\xff\xfe{}"])
def test_non_json_bodies_are_refused(sandbox, raw):
    answer = call(sandbox, "order_task_sync", raw)
    assert answer["status"] == -4002
    assert answer["data"]["errorCode"] == "INVALID_JSON"


@pytest.mark.parametrize("body", [[], "text", 42, None], ids=["array", "string", "number", "null"])
def test_wrong_top_level_type_is_refused(sandbox, body):
    answer = call(sandbox, "form_sync", json.dumps(body).encode())
    assert_invalid(answer, "INVALID_PARAMETER", "JSON object")


# one missing required field per endpoint family
@pytest.mark.parametrize(
    ("name", "drop", "path"),
    [
        ("flow_create_third_party", ("initiateUrl", "h5Url"), "initiateUrl.h5Url"),
        ("flow_create_third_party", ("groupId",), "groupId"),
        ("flow_online_third_party", ("flowVersion",), "flowVersion"),
        ("order_task_sync", ("businessKey",), "businessKey"),
        ("order_task_sync", ("tasks", 0, "showPc"), "tasks[0].showPc"),
        ("flow_create", ("bpmnXml",), "bpmnXml"),
        ("flow_update", ("flowName",), "flowName"),
        ("flow_publish", ("flowCode",), "flowCode"),
        ("form_sync", ("syncType",), "syncType"),
        ("approval_log_sync", ("logs", 0, "handleTime"), "logs[0].handleTime"),
    ],
)
def test_missing_required_field(sandbox, name, drop, path):
    body = VALID[name]()
    target = body
    for key in drop[:-1]:
        target = target[key]
    del target[drop[-1]]
    assert_invalid(call(sandbox, name, body), "INVALID_PARAMETER", path)


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("orderStatus", "done"),
        ("orderResult", "approved"),
        (("tasks", 0, "taskStatus"), "closed"),
        (("tasks", 0, "taskResult"), "APPROVED"),
        (("tasks", 0, "nodeType"), "review"),
    ],
)
def test_bad_enum_in_order_sync(sandbox, field, value):
    body = order_tasks()
    keys = field if isinstance(field, tuple) else (field,)
    target = body
    for key in keys[:-1]:
        target = target[key]
    target[keys[-1]] = value
    answer = call(sandbox, "order_task_sync", body)
    assert_invalid(answer, "INVALID_PARAMETER", keys[-1])
    assert sandbox.state["orders"] == {}


def test_bad_sync_type_is_refused(sandbox):
    assert_invalid(
        call(sandbox, "form_sync", form(sync_type="MERGE")), "INVALID_PARAMETER", "syncType"
    )


@pytest.mark.parametrize(
    "value",
    [
        "2025/01/24 10:00:00",
        "2025-01-24T10:00:00",
        "2025-01-24",
        "2025-02-30 10:00:00",
        "2025-01-24 24:00:00",
    ],
    ids=["slashes", "iso-t", "date-only", "feb-30", "hour-24"],
)
def test_bad_time_is_refused(sandbox, value):
    body = order_tasks()
    body["tasks"][0]["deadLine"] = value
    assert_invalid(call(sandbox, "order_task_sync", body), "INVALID_PARAMETER", "tasks[0].deadLine")


def test_bad_time_in_approval_log_is_refused(sandbox):
    body = approval_logs()
    body["logs"][0]["handleTime"] = "2025-13-01 10:00:00"
    assert_invalid(
        call(sandbox, "approval_log_sync", body), "INVALID_PARAMETER", "logs[0].handleTime"
    )
    assert sandbox.state["approval_logs"] == {}


# -- third-party flows --------------------------------------------------------


def test_create_third_party_counts_versions(sandbox):
    first = call(sandbox, "flow_create_third_party", third_party_flow("SALES"))
    second = call(sandbox, "flow_create_third_party", third_party_flow("SALES"))
    other = call(sandbox, "flow_create_third_party", third_party_flow("HR"))
    assert first["data"] == {"flowCode": "SALES", "flowVersion": 1}
    assert second["data"] == {"flowCode": "SALES", "flowVersion": 2}
    assert other["data"] == {"flowCode": "HR", "flowVersion": 1}
    flow = sandbox.state["flows"]["SALES"]
    assert flow["type"] == "third_party"
    assert flow["latestVersion"] == 2
    assert flow["versions"]["1"]["definition"]["title"] == "销售订单审批流程"


def test_online_third_party(sandbox):
    call(sandbox, "flow_create_third_party", third_party_flow("SALES"))
    answer = call(sandbox, "flow_online_third_party", version_change("SALES", 1))
    assert answer == {"status": 0, "msg": "success", "data": {"success": True}}
    flow = sandbox.state["flows"]["SALES"]
    assert flow["onlineVersion"] == 1
    assert flow["versions"]["1"]["status"] == "online"


def test_online_unknown_flow_code_is_refused(sandbox):
    assert_invalid(
        call(sandbox, "flow_online_third_party", version_change("GHOST", 1)),
        "FLOW_NOT_FOUND",
        "GHOST",
    )


def test_online_unknown_version_is_refused(sandbox):
    call(sandbox, "flow_create_third_party", third_party_flow("SALES"))
    assert_invalid(
        call(sandbox, "flow_online_third_party", version_change("SALES", 2)),
        "FLOW_VERSION_NOT_FOUND",
        "flowVersion",
    )
    assert sandbox.state["flows"]["SALES"]["onlineVersion"] is None


# -- full-engine flows --------------------------------------------------------


def test_update_unknown_flow_is_refused(sandbox):
    assert_invalid(call(sandbox, "flow_update", engine_flow("GHOST")), "FLOW_NOT_FOUND", "GHOST")
    assert sandbox.state["flows"] == {}


def test_publish_unknown_flow_is_refused(sandbox):
    assert_invalid(
        call(sandbox, "flow_publish", version_change("GHOST", 1)), "FLOW_NOT_FOUND", "GHOST"
    )


def test_engine_flow_lifecycle(sandbox):
    assert call(sandbox, "flow_create", engine_flow("BUY"))["data"] == {
        "flowCode": "BUY",
        "flowVersion": 1,
    }
    changed = dict(engine_flow("BUY"), flowName="采购审批 v1b")
    # the draft is edited in place
    assert call(sandbox, "flow_update", changed)["data"] == {"flowCode": "BUY", "flowVersion": 1}
    assert call(sandbox, "flow_publish", version_change("BUY", 1))["status"] == 0
    # once published, an update starts a new draft version
    assert call(sandbox, "flow_update", engine_flow("BUY"))["data"] == {
        "flowCode": "BUY",
        "flowVersion": 2,
    }
    flow = sandbox.state["flows"]["BUY"]
    assert flow["versions"]["1"]["definition"]["flowName"] == "采购审批 v1b"
    assert flow["versions"]["1"]["status"] == "online"
    assert flow["versions"]["2"]["status"] == "draft"
    assert flow["onlineVersion"] == 1


def test_flow_kinds_do_not_mix(sandbox):
    call(sandbox, "flow_create_third_party", third_party_flow("SALES"))
    assert_invalid(
        call(sandbox, "flow_publish", version_change("SALES", 1)), "FLOW_TYPE_MISMATCH", "SALES"
    )
    assert_invalid(
        call(sandbox, "flow_create", engine_flow("SALES")), "FLOW_TYPE_MISMATCH", "SALES"
    )


def test_flow_update_is_put_only(sandbox):
    response = signed_post(sandbox, PATHS["flow_update"], engine_flow(), method="POST")
    assert response.status_code == 405
    assert response.headers["Allow"] == "PUT"
    assert response.json()["status"] == -4001


# -- orders -------------------------------------------------------------------


def test_order_sync_upserts_by_order_id(sandbox):
    assert call(sandbox, "order_task_sync", order_tasks(1))["data"] == {"success": True}
    update = order_tasks(1)
    update["orderStatus"], update["orderResult"] = "over", "pass"
    update["tasks"][0].update(
        taskStatus="over", taskResult="pass", handleTime="2025-01-24 16:00:00"
    )
    call(sandbox, "order_task_sync", update)
    orders = sandbox.state["orders"]
    assert list(orders) == ["1"]
    assert orders["1"]["orderResult"] == "pass"
    assert orders["1"]["syncCount"] == 2
    # assignees aiflow has never heard of are kept as sent
    assert orders["1"]["tasks"][0]["assigneeUserCode"] == ["USER002"]


def test_order_needs_an_assignee(sandbox):
    body = order_tasks()
    body["tasks"][0]["assigneeUserCode"] = []
    assert_invalid(call(sandbox, "order_task_sync", body), "INVALID_PARAMETER", "assigneeUserCode")


# -- forms --------------------------------------------------------------------


def test_form_update_of_unknown_form_is_refused(sandbox):
    assert_invalid(call(sandbox, "form_sync", form("GHOST", "UPDATE")), "FORM_NOT_FOUND", "GHOST")
    assert sandbox.state["forms"] == {}


def test_form_delete_of_unknown_form_is_refused(sandbox):
    assert_invalid(call(sandbox, "form_sync", form("GHOST", "DELETE")), "FORM_NOT_FOUND", "GHOST")


def test_form_lifecycle(sandbox):
    assert call(sandbox, "form_sync", form("F1"))["status"] == 0
    # a replayed CREATE is harmless; a different CREATE is a conflict
    assert call(sandbox, "form_sync", form("F1"))["status"] == 0
    assert_invalid(call(sandbox, "form_sync", form("F1", name="另一个")), "FORM_EXISTS", "F1")
    assert call(sandbox, "form_sync", form("F1", "UPDATE", name="改名"))["status"] == 0
    assert sandbox.state["forms"]["F1"]["formName"] == "改名"
    assert call(sandbox, "form_sync", form("F1", "DELETE"))["status"] == 0
    assert sandbox.state["forms"]["F1"]["status"] == "deleted"
    assert_invalid(call(sandbox, "form_sync", form("F1", "UPDATE")), "FORM_NOT_FOUND", "F1")
    assert call(sandbox, "form_sync", form("F1"))["status"] == 0
    assert sandbox.state["forms"]["F1"]["status"] == "active"


# -- approval logs ------------------------------------------------------------


def test_approval_logs_are_kept_per_order_once(sandbox):
    call(sandbox, "approval_log_sync", approval_logs(7))
    second = approval_logs(7)
    second["logs"].append(dict(second["logs"][0], taskId="TASK002", handleResult="REJECTED"))
    call(sandbox, "approval_log_sync", second)
    entry = sandbox.state["approval_logs"]["7"]
    assert entry["businessKey"] == "SALES_ORDER_20250124001"
    assert [log["taskId"] for log in entry["logs"]] == ["TASK001", "TASK002"]


# -- the record of calls --------------------------------------------------------


def test_calls_record_path_status_and_parsed_body(sandbox):
    call(sandbox, "form_sync", form("F1"))
    call(sandbox, "form_sync", form("GHOST", "UPDATE"))
    first, second = sandbox.calls
    assert first["path"] == "/aflow/api/form/sync" and first["method"] == "POST"
    assert (first["httpStatus"], first["status"]) == (200, 0)
    assert first["body"]["formCode"] == "F1"
    assert first["signatureValid"] is True
    assert second["status"] == -4002
    assert first["time"] <= second["time"]
