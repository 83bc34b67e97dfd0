"""Failure injection, going down and coming back, and the HTTP control routes."""

import threading
import time

import pytest
import requests

from aiflow_connector.protocol.signing import vendor_sdk_error
from aiflow_connector.sandbox.failures import FailurePlan
from aiflow_connector.sandbox.server import SandboxServer
from aiflow_connector.sandbox.state import SandboxState
from conftest import SANDBOX_CREDENTIAL, signed_post

from .payloads import PATHS, department

DEPT_PATH = PATHS["department_sync"]
PING = {"departments": []}


def ping(sandbox, timeout=5):
    return signed_post(sandbox, DEPT_PATH, PING, timeout=timeout)


def wait_until(predicate, seconds):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.02)
    return predicate()


def refused(sandbox):
    try:
        requests.get(sandbox.url + "/sandbox/state", timeout=1)
    except requests.ConnectionError:
        return True
    return False


def test_fail_next_http503_then_recovers(sandbox):
    sandbox.fail_next(2, mode="http503")
    for _ in range(2):
        response = signed_post(sandbox, DEPT_PATH, {"departments": [department("D1")]})
        assert response.status_code == 503
        assert "text/html" in response.headers["Content-Type"]
    assert sandbox.state["departments"] == {}
    assert ping(sandbox).json()["status"] == 0
    assert [c["httpStatus"] for c in sandbox.calls] == [503, 503, 200]
    assert sandbox.calls[0]["injectedFailure"] == "http503"


def test_fail_next_status_1024(sandbox):
    sandbox.fail_next(1, mode="status-1024")
    response = signed_post(sandbox, DEPT_PATH, {"departments": [department("D1")]})
    assert response.status_code == 200
    assert response.json()["status"] == -1024
    assert response.json()["data"]["errorCode"] == "SYSTEM_BUSY"
    assert sandbox.state["departments"] == {}
    assert ping(sandbox).json()["status"] == 0


def test_fail_next_hang_times_out_and_sandbox_keeps_serving(sandbox):
    sandbox.fail_next(1, mode="hang", hang_seconds=1)
    started = time.monotonic()
    with pytest.raises(requests.ReadTimeout):
        signed_post(sandbox, DEPT_PATH, {"departments": [department("D1")]}, timeout=(1, 0.5))
    assert time.monotonic() - started < 1.0
    # served while the hung call is still hanging
    assert ping(sandbox).json()["status"] == 0
    assert sandbox.state["departments"] == {}
    assert sandbox.calls[0]["injectedFailure"] == "hang"


def test_hang_answers_504_to_a_patient_client(sandbox):
    sandbox.fail_next(1, mode="hang", hang_seconds=0.3)
    response = ping(sandbox, timeout=5)
    assert response.status_code == 504
    assert response.json()["status"] == -1024


def test_stop_does_not_wait_for_a_hang(sandbox):
    sandbox.fail_next(1, mode="hang", hang_seconds=30)
    with pytest.raises(requests.ReadTimeout):
        ping(sandbox, timeout=(1, 0.3))
    started = time.monotonic()
    sandbox.stop()
    assert time.monotonic() - started < 1.0


def test_control_routes_never_fail(sandbox):
    sandbox.fail_next(3, mode="http503")
    assert requests.get(sandbox.url + "/sandbox/state", timeout=5).status_code == 200
    assert len(sandbox.state["pendingFailures"]) == 3


def test_fail_next_rejects_bad_arguments():
    plan = FailurePlan()
    with pytest.raises(ValueError):
        plan.arm(1, "explode")
    with pytest.raises(ValueError):
        plan.arm(-1, "http503")
    with pytest.raises(ValueError):
        plan.arm(1, "hang", hang_seconds=0)


def test_go_down_refuses_and_come_back_serves_on_the_same_port(sandbox):
    port = sandbox.port
    sandbox.go_down()
    assert not sandbox.is_up
    with pytest.raises(requests.ConnectionError):
        ping(sandbox, timeout=(1, 1))
    sandbox.come_back()
    assert sandbox.port == port
    assert ping(sandbox).json()["status"] == 0


def test_go_down_for_some_seconds_comes_back_by_itself(sandbox):
    sandbox.go_down(seconds=0.3)
    assert refused(sandbox)
    assert wait_until(lambda: not refused(sandbox), 3)


def test_state_survives_going_down(sandbox):
    signed_post(sandbox, DEPT_PATH, {"departments": [department("D1")]})
    sandbox.go_down()
    sandbox.come_back()
    assert "D1" in sandbox.state["departments"]


def test_http_down_route(sandbox):
    response = requests.post(sandbox.url + "/sandbox/down", json={"seconds": 0.4}, timeout=5)
    assert response.json()["status"] == 0
    assert wait_until(lambda: refused(sandbox), 2)
    assert wait_until(lambda: not refused(sandbox), 3)
    assert ping(sandbox).json()["status"] == 0


@pytest.mark.parametrize("body", [{}, {"seconds": 0}, {"seconds": "5"}, {"seconds": 99999}])
def test_http_down_route_needs_seconds(sandbox, body):
    response = requests.post(sandbox.url + "/sandbox/down", json=body, timeout=5)
    assert response.status_code == 400
    assert not refused(sandbox)


def test_http_fail_route(sandbox):
    response = requests.post(
        sandbox.url + "/sandbox/fail", json={"count": 1, "mode": "status-1024"}, timeout=5
    )
    assert response.json()["data"]["pendingFailures"] == [
        {"mode": "status-1024", "hangSeconds": 35.0}
    ]
    assert ping(sandbox).json()["status"] == -1024
    assert ping(sandbox).json()["status"] == 0


def test_http_fail_route_hang(sandbox):
    requests.post(
        sandbox.url + "/sandbox/fail",
        json={"count": 1, "mode": "hang", "hangSeconds": 1},
        timeout=5,
    )
    with pytest.raises(requests.ReadTimeout):
        ping(sandbox, timeout=(1, 0.5))
    assert ping(sandbox).json()["status"] == 0


def test_http_fail_route_rejects_unknown_mode(sandbox):
    response = requests.post(
        sandbox.url + "/sandbox/fail", json={"count": 1, "mode": "boom"}, timeout=5
    )
    assert response.status_code == 400
    assert sandbox.state["pendingFailures"] == []


def test_http_state_and_reset(sandbox):
    signed_post(sandbox, DEPT_PATH, {"departments": [department("D1")]})
    sandbox.fail_next(1)
    state = requests.get(sandbox.url + "/sandbox/state", timeout=5).json()
    assert set(state) >= {
        "departments",
        "users",
        "flows",
        "orders",
        "forms",
        "approval_logs",
        "calls",
    }
    assert state["departments"]["D1"]["deptName"] == "部门 D1"
    assert state["calls"][0]["body"] == {"departments": [department("D1")]}
    assert requests.post(sandbox.url + "/sandbox/reset", timeout=5).json()["status"] == 0
    state = sandbox.state
    assert state["departments"] == {} and state["calls"] == [] and state["pendingFailures"] == []


def test_state_property_is_a_copy(sandbox):
    signed_post(sandbox, DEPT_PATH, {"departments": [department("D1")]})
    sandbox.state["departments"]["D1"]["deptName"] = "changed"
    sandbox.calls.clear()
    assert sandbox.state["departments"]["D1"]["deptName"] == "部门 D1"
    assert len(sandbox.calls) == 1


def test_unknown_path_and_method(sandbox):
    response = signed_post(sandbox, "/aflow/api/sys/sync/nothing", PING)
    assert response.status_code == 404
    assert response.json()["status"] == -4001
    response = requests.get(sandbox.url + DEPT_PATH, timeout=5)
    assert response.status_code == 405
    assert response.json()["status"] == -4001
    assert response.headers["Allow"] == "POST"
    response = requests.get(sandbox.url + "/sandbox/reset", timeout=5)
    assert response.status_code == 405


def test_concurrent_calls_are_all_applied(sandbox):
    signed_post(sandbox, DEPT_PATH, {"departments": [department("ROOT")]})
    errors = []

    def worker(n):
        try:
            body = {"departments": [department(f"D{n}-{i}", "ROOT") for i in range(5)]}
            assert signed_post(sandbox, DEPT_PATH, body).json()["data"]["successCount"] == 5
        except Exception as exc:  # collected: assertion errors in threads are otherwise lost
            errors.append(exc)

    threads = [threading.Thread(target=worker, args=(n,)) for n in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(10)
    assert errors == []
    assert len(sandbox.state["departments"]) == 41


def test_refused_request_with_a_large_unread_body_still_gets_its_answer(sandbox):
    big = b'{"flowCode": "' + b"x" * 2_000_000 + b'"}'
    for _ in range(3):
        response = signed_post(sandbox, PATHS["flow_update"], big, method="POST")
        assert response.status_code == 405
        assert response.json()["status"] == -4001


def test_calls_record_aiflow_paths_only(sandbox):
    requests.get(sandbox.url + "/favicon.ico", timeout=5)
    requests.get(sandbox.url + "/sandbox/state", timeout=5)
    signed_post(sandbox, "/aflow/api/unknown", PING)
    assert [(c["path"], c["httpStatus"]) for c in sandbox.calls] == [("/aflow/api/unknown", 404)]


def test_sdk_signing_without_the_sdk_is_refused_at_construction():
    if vendor_sdk_error() is None:
        pytest.skip("the vendor SDK is installed here")
    with pytest.raises(ValueError, match="vendor signing SDK"):
        SandboxServer(credential=SANDBOX_CREDENTIAL, signing_method="sdk")


def test_recorded_lists_keep_only_the_newest_entries():
    state = SandboxState(max_entries=3)
    for n in range(5):
        state.record("calls", {"n": n})
    assert [c["n"] for c in state.calls()] == [2, 3, 4]


def test_slow_answers_late_and_records_arrival_and_answer(sandbox):
    sandbox.slow_down(0.3)
    started = time.monotonic()
    assert ping(sandbox).json()["status"] == 0
    assert time.monotonic() - started >= 0.3
    call = sandbox.calls[0]
    assert call["receivedAt"] < call["time"]
    # full speed again: far from the 30 s it would otherwise take
    sandbox.slow_down(30)
    sandbox.slow_down(0)
    assert ping(sandbox, timeout=(2, 10)).json()["status"] == 0


def test_slow_parallel_calls_all_apply(sandbox):
    sandbox.slow_down(0.2, jitter_seconds=0.2)
    errors = []

    def worker(n):
        try:
            body = {"departments": [department(f"D{n}")]}
            assert signed_post(sandbox, DEPT_PATH, body).json()["data"]["successCount"] == 1
        except Exception as exc:  # collected: assertion errors in threads are otherwise lost
            errors.append(exc)

    threads = [threading.Thread(target=worker, args=(n,)) for n in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(10)
    assert errors == []
    assert len(sandbox.state["departments"]) == 4
    calls = sandbox.calls
    assert all(call["receivedAt"] < call["time"] for call in calls)


def test_http_slow_route_and_reset(sandbox):
    response = requests.post(
        sandbox.url + "/sandbox/slow", json={"seconds": 0.2, "jitterSeconds": 0.1}, timeout=5
    )
    assert response.json()["data"] == {"seconds": 0.2, "jitterSeconds": 0.1}
    assert sandbox.state["slowness"] == {"seconds": 0.2, "jitterSeconds": 0.1}
    started = time.monotonic()
    ping(sandbox)
    assert time.monotonic() - started >= 0.2
    requests.post(sandbox.url + "/sandbox/reset", timeout=5)
    assert sandbox.state["slowness"] == {"seconds": 0.0, "jitterSeconds": 0.0}


def test_control_routes_are_never_slow(sandbox):
    sandbox.slow_down(30)
    assert requests.get(sandbox.url + "/sandbox/state", timeout=(2, 10)).status_code == 200
    assert requests.post(sandbox.url + "/sandbox/reset", timeout=(2, 10)).status_code == 200


def test_stop_does_not_wait_for_a_slow_answer(sandbox):
    sandbox.slow_down(30)
    with pytest.raises(requests.ReadTimeout):
        ping(sandbox, timeout=(1, 0.3))
    started = time.monotonic()
    sandbox.stop()
    assert time.monotonic() - started < 10


@pytest.mark.parametrize(
    "body", [{"seconds": -1}, {"seconds": "1"}, {"seconds": 61}, {"jitterSeconds": True}]
)
def test_http_slow_route_rejects_bad_values(sandbox, body):
    response = requests.post(sandbox.url + "/sandbox/slow", json=body, timeout=5)
    assert response.status_code == 400
    assert sandbox.state["slowness"] == {"seconds": 0.0, "jitterSeconds": 0.0}


def test_state_is_indented_json_with_chinese_as_is(sandbox):
    assert ping(sandbox).json()["status"] == 0
    answer = signed_post(sandbox, DEPT_PATH, {"departments": [department("D1", name="研发部")]})
    assert answer.json()["status"] == 0
    response = requests.get(sandbox.url + "/sandbox/state", timeout=5)
    assert response.headers["Content-Type"] == "application/json; charset=utf-8"
    text = response.content.decode("utf-8")
    # one key per line, two spaces per level, Chinese readable (not \u escapes)
    assert text.startswith('{\n  "')
    assert '\n    "D1": {\n' in text
    assert "研发部" in text and "\\u" not in text
    assert response.json()["departments"]["D1"]["deptName"] == "研发部"
