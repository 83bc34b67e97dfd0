"""Every AiflowClient method over real HTTP against the strict sandbox.

The sandbox recomputes A-Signature over the raw bytes it received, so every
success here also proves that the bytes signed are the bytes sent.
"""

import random
import time

import pytest

from aiflow_connector.protocol.client import AiflowClient, fail_detail_ids
from aiflow_connector.protocol.errors import (
    REASON_REJECTED,
    REASON_SERVER,
    REASON_SIGNATURE,
    REASON_TIMEOUT,
    REASON_TLS,
    REASON_UNREACHABLE,
    PermanentError,
    RetryableError,
)
from aiflow_connector.protocol.hierarchy import order_parents_first
from aiflow_connector.protocol.signing import Credential, Signer

from .samples import sample


def make_client(sandbox, secret=None, read_timeout=5.0, scheme="http"):
    credential = sandbox.credential
    if secret is not None:
        credential = Credential(credential.enterprise_code, credential.app_id, secret)
    url = sandbox.url.replace("http://", f"{scheme}://")
    return AiflowClient(url, Signer(credential), connect_timeout=2.0, read_timeout=read_timeout)


@pytest.fixture
def client(sandbox):
    with make_client(sandbox) as c:
        yield c


def last_call(sandbox):
    return sandbox.calls[-1]


def load_org(client):
    client.sync_departments(sample("department_sync")["departments"])
    client.sync_users(sample("user_sync")["users"])


# -- each method succeeds and the sandbox holds what was sent ------------------------
def test_ping_is_signed_and_changes_nothing(sandbox, client):
    assert client.ping() == {"successCount": 0, "failCount": 0, "failDetails": []}
    state = sandbox.state
    assert state["departments"] == {} and state["users"] == {}
    call = last_call(sandbox)
    assert call["path"] == "/aflow/api/sys/sync/department"
    assert call["signatureValid"] is True
    assert call["body"] == {"departments": []}


def test_sync_departments_in_hierarchy_order(sandbox, client):
    departments = [
        {"deptId": f"D{i}", "deptName": f"部门{i}", "parentId": f"D{i // 3}" if i else ""}
        for i in range(40)
    ]
    random.Random(3).shuffle(departments)
    ordered = order_parents_first(departments, "deptId", "parentId")
    data = client.sync_departments(ordered)
    assert (data["successCount"], data["failCount"], data["failDetails"]) == (40, 0, [])
    stored = sandbox.state["departments"]
    assert set(stored) == {f"D{i}" for i in range(40)}
    assert stored["D7"]["parentId"] == "D2"
    assert stored["D7"]["deptName"] == "部门7"
    assert last_call(sandbox)["signatureValid"] is True


def test_child_before_parent_comes_back_in_fail_details(sandbox, client):
    data = client.sync_departments(
        [
            {"deptId": "CHILD", "deptName": "子部门", "parentId": "PARENT"},
            {"deptId": "PARENT", "deptName": "父部门", "parentId": ""},
        ]
    )
    assert data["successCount"] == 1
    assert data["failCount"] == 1
    assert data["failDetails"][0]["index"] == 0
    assert fail_detail_ids(data["failDetails"]) == {"CHILD"}
    assert set(sandbox.state["departments"]) == {"PARENT"}


def test_sync_users(sandbox, client):
    load_org(client)
    users = sandbox.state["users"]
    assert set(users) == {"USER001", "USER002"}
    assert users["USER002"]["directSupervisor"] == "USER001"
    assert users["USER001"]["realName"] == "张三"


def test_create_and_online_third_party_flow(sandbox, client):
    created = client.create_third_party_flow(sample("flow_create_third_party"))
    assert created == {"flowCode": "SALES_ORDER", "flowVersion": 1}
    assert client.online_third_party_flow(
        {"flowCode": "SALES_ORDER", "flowVersion": created["flowVersion"], "updateDesc": "上线"}
    ) == {"success": True}
    flow = sandbox.state["flows"]["SALES_ORDER"]
    assert flow["onlineVersion"] == 1
    assert flow["versions"]["1"]["definition"]["title"] == "销售订单审批流程"
    assert flow["versions"]["1"]["updateDesc"] == "上线"


def test_sync_order_tasks(sandbox, client):
    order = sample("order_task_sync")
    assert client.sync_order_tasks(order) == {"success": True}
    stored = sandbox.state["orders"]["123456"]
    assert stored["tasks"] == order["tasks"]
    assert stored["businessKey"] == "SALES_ORDER_20250124001"


def test_create_update_publish_flow(sandbox, client):
    assert client.create_flow(sample("flow_create")) == {"flowCode": "FLOW001", "flowVersion": 1}
    updated = client.update_flow(sample("flow_update"))
    assert updated == {"flowCode": "FLOW001", "flowVersion": 1}
    call = last_call(sandbox)
    assert (call["method"], call["path"], call["signatureValid"]) == (
        "PUT",
        "/aflow/api/flow/update",
        True,
    )
    assert client.publish_flow({"flowCode": "FLOW001", "flowVersion": 1}) == {"success": True}
    flow = sandbox.state["flows"]["FLOW001"]
    assert flow["versions"]["1"]["definition"]["flowName"] == "请假流程 v2"
    assert flow["onlineVersion"] == 1


def test_sync_form(sandbox, client):
    assert client.sync_form(sample("form_sync")) == {"success": True}
    update = dict(sample("form_sync"), syncType="UPDATE", formName="销售订单表单 v2")
    client.sync_form(update)
    form = sandbox.state["forms"]["SALES_FORM"]
    assert (form["formName"], form["lastSyncType"], form["status"]) == (
        "销售订单表单 v2",
        "UPDATE",
        "active",
    )


def test_sync_approval_log(sandbox, client):
    log = sample("approval_log_sync")
    assert client.sync_approval_log(log) == {"success": True}
    stored = sandbox.state["approval_logs"]["123456"]
    assert stored["logs"] == log["logs"]


def test_body_received_is_the_body_sent(sandbox, client):
    order = sample("order_task_sync")
    order["tasks"][0]["taskName"] = '审批 "引号" \\ 反斜杠 ✓ 🚀'
    client.sync_order_tasks(order)
    call = last_call(sandbox)
    assert call["signatureValid"] is True
    assert call["body"] == order


# -- each failure kind ----------------------------------------------------------
def test_unknown_flow_is_rejected_with_4002(sandbox, client):
    with pytest.raises(PermanentError) as info:
        client.online_third_party_flow({"flowCode": "NO_SUCH_FLOW", "flowVersion": 1})
    error = info.value
    assert (error.reason, error.status, error.http_status) == (REASON_REJECTED, -4002, 200)
    assert error.msg == "请求参数错误"
    assert error.data["errorCode"] == "FLOW_NOT_FOUND"
    assert "NO_SUCH_FLOW" in str(error)
    assert not error.retryable


def test_payload_the_client_would_refuse_is_rejected_by_the_sandbox_too(sandbox, client):
    with pytest.raises(PermanentError) as info:
        client.call("form_sync", dict(sample("form_sync"), syncType="MERGE"), check=False)
    assert (info.value.reason, info.value.status) == (REASON_REJECTED, -4002)
    assert "syncType" in str(info.value)
    assert sandbox.state["forms"] == {}


def test_status_1024_is_retryable_then_succeeds(sandbox, client):
    sandbox.fail_next(1, mode="status-1024")
    with pytest.raises(RetryableError) as info:
        client.sync_form(sample("form_sync"))
    assert (info.value.reason, info.value.status, info.value.http_status) == (
        REASON_SERVER,
        -1024,
        200,
    )
    assert info.value.msg
    assert sandbox.state["forms"] == {}
    client.sync_form(sample("form_sync"))
    assert "SALES_FORM" in sandbox.state["forms"]


def test_http_503_is_retryable(sandbox, client):
    sandbox.fail_next(1, mode="http503")
    with pytest.raises(RetryableError) as info:
        client.ping()
    assert (info.value.reason, info.value.http_status, info.value.status) == (
        REASON_SERVER,
        503,
        None,
    )
    assert client.ping()["failCount"] == 0


def test_hang_past_read_timeout_is_a_timeout(sandbox):
    sandbox.fail_next(1, mode="hang", hang_seconds=5)
    with make_client(sandbox, read_timeout=0.5) as c:
        started = time.monotonic()
        with pytest.raises(RetryableError) as info:
            c.ping()
        elapsed = time.monotonic() - started
    assert info.value.reason == REASON_TIMEOUT
    assert elapsed < 3
    sandbox.reset()  # wakes the hanging handler


def test_sandbox_down_is_unreachable_and_recovers(sandbox, client):
    sandbox.go_down()
    with pytest.raises(RetryableError) as info:
        client.ping()
    assert info.value.reason == REASON_UNREACHABLE
    sandbox.come_back()
    assert client.ping()["successCount"] == 0


def test_wrong_secret_is_a_signature_error(sandbox):
    with make_client(sandbox, secret="not_the_app_secret") as c:
        with pytest.raises(PermanentError) as info:
            c.sync_departments(sample("department_sync")["departments"])
    error = info.value
    assert (error.reason, error.http_status, error.status) == (REASON_SIGNATURE, 403, -4002)
    assert error.msg == "签名验证失败"
    assert "not_the_app_secret" not in str(error)
    assert "your_app_secret" not in str(error)
    assert sandbox.state["departments"] == {}
    assert last_call(sandbox)["signatureValid"] is False


def test_https_against_the_plain_http_port_is_a_tls_error(sandbox):
    with make_client(sandbox, scheme="https") as c:
        with pytest.raises(PermanentError) as info:
            c.ping()
    assert info.value.reason == REASON_TLS
