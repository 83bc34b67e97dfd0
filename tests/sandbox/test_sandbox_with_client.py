"""The connector's own client against the sandbox: both read the spec alike.

Every client method succeeds on a valid payload, and every way the sandbox
can fail lands in the outcome class the connector's retry logic expects.
"""

import pytest

from aiflow_connector.protocol.client import AiflowClient
from aiflow_connector.protocol.errors import (
    REASON_REJECTED,
    REASON_SERVER,
    REASON_SIGNATURE,
    REASON_TIMEOUT,
    REASON_UNREACHABLE,
    PermanentError,
    RetryableError,
)
from aiflow_connector.protocol.signing import Credential, Signer

from .payloads import (
    approval_logs,
    department,
    engine_flow,
    form,
    order_tasks,
    third_party_flow,
    user,
    version_change,
)


@pytest.fixture
def client(sandbox):
    with AiflowClient(
        sandbox.url, Signer(sandbox.credential), connect_timeout=1, read_timeout=5
    ) as aiflow:
        yield aiflow


def test_every_client_method_is_accepted(sandbox, client):
    client.ping()
    assert client.sync_departments([department("D1"), department("D2", "D1")])["failCount"] == 0
    assert client.sync_users([user("U1", "D1"), user("U2", "D2", "U1")])["successCount"] == 2
    assert client.create_third_party_flow(third_party_flow("SALES"))["flowVersion"] == 1
    assert client.online_third_party_flow(version_change("SALES", 1)) == {"success": True}
    assert client.sync_order_tasks(order_tasks(9)) == {"success": True}
    assert client.create_flow(engine_flow("BUY"))["flowVersion"] == 1
    assert client.update_flow(engine_flow("BUY"))["flowVersion"] == 1
    assert client.publish_flow(version_change("BUY", 1)) == {"success": True}
    assert client.sync_form(form("F1")) == {"success": True}
    assert client.sync_approval_log(approval_logs(9)) == {"success": True}
    state = sandbox.state
    assert set(state["users"]) == {"U1", "U2"}
    assert state["flows"]["BUY"]["onlineVersion"] == 1
    assert "9" in state["orders"] and "9" in state["approval_logs"]
    assert all(call["status"] == 0 for call in state["calls"])


def test_fail_details_come_back_as_data(client):
    data = client.sync_departments([department("ORPHAN", "NOWHERE")])
    assert data["failCount"] == 1
    assert data["failDetails"][0]["id"] == "ORPHAN"


def test_refusals_are_permanent(client):
    with pytest.raises(PermanentError) as caught:
        client.publish_flow(version_change("GHOST", 1))
    assert caught.value.reason == REASON_REJECTED
    assert caught.value.status == -4002


def test_wrong_secret_is_a_signature_error(sandbox):
    other = Signer(Credential("COMPANY001", "APP001", "stale_secret"))
    with AiflowClient(sandbox.url, other) as aiflow, pytest.raises(PermanentError) as caught:
        aiflow.ping()
    assert caught.value.reason == REASON_SIGNATURE


@pytest.mark.parametrize("mode", ["http503", "status-1024"])
def test_injected_failures_are_retryable(sandbox, client, mode):
    sandbox.fail_next(1, mode=mode)
    with pytest.raises(RetryableError) as caught:
        client.ping()
    assert caught.value.reason == REASON_SERVER
    client.ping()


def test_hang_is_a_retryable_timeout(sandbox):
    sandbox.fail_next(1, mode="hang", hang_seconds=1)
    with (
        AiflowClient(sandbox.url, Signer(sandbox.credential), read_timeout=0.4) as aiflow,
        pytest.raises(RetryableError) as caught,
    ):
        aiflow.ping()
    assert caught.value.reason == REASON_TIMEOUT


def test_down_is_retryable_unreachable(sandbox, client):
    sandbox.go_down()
    with pytest.raises(RetryableError) as caught:
        client.ping()
    assert caught.value.reason == REASON_UNREACHABLE
    sandbox.come_back()
    client.ping()
