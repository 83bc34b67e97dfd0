"""Department and user sync: per record, in request order, parents first."""

import pytest

from conftest import signed_post

from .payloads import PATHS, department, user

DEPT_PATH = PATHS["department_sync"]
USER_PATH = PATHS["user_sync"]


def sync_departments(sandbox, departments):
    response = signed_post(sandbox, DEPT_PATH, {"departments": departments})
    assert response.status_code == 200
    body = response.json()
    assert body["status"] == 0, body
    return body["data"]


def sync_users(sandbox, users):
    response = signed_post(sandbox, USER_PATH, {"users": users})
    assert response.status_code == 200
    body = response.json()
    assert body["status"] == 0, body
    return body["data"]


def test_empty_list_is_a_successful_ping(sandbox):
    assert sync_departments(sandbox, []) == {"successCount": 0, "failCount": 0, "failDetails": []}
    assert sandbox.state["departments"] == {}
    assert sandbox.calls[-1]["status"] == 0


def test_parents_first_are_all_accepted(sandbox):
    data = sync_departments(
        sandbox, [department("D1"), department("D2", "D1"), department("D3", "D2")]
    )
    assert data == {"successCount": 3, "failCount": 0, "failDetails": []}
    departments = sandbox.state["departments"]
    assert departments["D3"]["parentId"] == "D2"
    assert departments["D1"]["parentId"] == ""


def test_child_before_parent_fails_alone(sandbox):
    data = sync_departments(sandbox, [department("CHILD", "PARENT"), department("PARENT")])
    assert data["successCount"] == 1
    assert data["failCount"] == 1
    (detail,) = data["failDetails"]
    assert detail["index"] == 0
    assert detail["id"] == "CHILD"
    assert detail["errorCode"] == "PARENT_NOT_FOUND"
    assert "departments[0].parentId" in detail["errorMessage"]
    assert set(sandbox.state["departments"]) == {"PARENT"}
    # once the parent exists, the child is accepted
    assert sync_departments(sandbox, [department("CHILD", "PARENT")])["successCount"] == 1


def test_parent_known_from_an_earlier_request(sandbox):
    sync_departments(sandbox, [department("ROOT")])
    assert sync_departments(sandbox, [department("LEAF", "ROOT")])["failCount"] == 0


def test_department_cycle_is_refused(sandbox):
    sync_departments(sandbox, [department("A"), department("B", "A")])
    data = sync_departments(sandbox, [department("A", "B")])
    assert data["failDetails"][0]["errorCode"] == "PARENT_CYCLE"
    assert sandbox.state["departments"]["A"]["parentId"] == ""


def test_upsert_by_id_and_disabled_records_are_kept(sandbox):
    sync_departments(sandbox, [department("D1", name="旧名")])
    sync_departments(sandbox, [department("D1", name="新名", status=0)])
    record = sandbox.state["departments"]["D1"]
    assert record["deptName"] == "新名"
    assert record["status"] == 0


def test_defaults_apply_to_optional_fields(sandbox):
    sync_departments(sandbox, [{"deptId": "D1", "deptName": "根"}])
    record = sandbox.state["departments"]["D1"]
    assert (record["orderNum"], record["status"], record["parentId"]) == (100, 1, "")


def test_invalid_record_fails_alone_with_its_field(sandbox):
    data = sync_departments(
        sandbox, [department("D1"), department("D2", status=2), {"deptName": "无编号"}]
    )
    assert data["successCount"] == 1
    assert [d["index"] for d in data["failDetails"]] == [1, 2]
    bad_status, no_id = data["failDetails"]
    assert bad_status["id"] == "D2"
    assert bad_status["errorCode"] == "INVALID_PARAMETER"
    assert "departments[1].status" in bad_status["errorMessage"]
    assert no_id["id"] == ""
    assert "departments[2].deptId" in no_id["errorMessage"]


@pytest.mark.parametrize(
    "body",
    [{}, {"departments": "D1"}, {"departments": None}, {"departments": {"deptId": "D1"}}],
    ids=["missing", "string", "null", "object"],
)
def test_malformed_top_level_fails_the_whole_request(sandbox, body):
    response = signed_post(sandbox, DEPT_PATH, body)
    assert response.json()["status"] == -4002
    assert response.json()["data"]["errorCode"] == "INVALID_PARAMETER"
    assert "departments" in response.json()["data"]["errorMessage"]


def test_users_need_a_known_department(sandbox):
    sync_departments(sandbox, [department("D1")])
    data = sync_users(sandbox, [user("U1", "D1"), user("U2", "NOPE")])
    assert data["successCount"] == 1
    (detail,) = data["failDetails"]
    assert (detail["index"], detail["id"], detail["errorCode"]) == (1, "U2", "DEPT_NOT_FOUND")
    assert "users[1].deptId" in detail["errorMessage"]
    assert set(sandbox.state["users"]) == {"U1"}


def test_users_need_a_known_supervisor(sandbox):
    sync_departments(sandbox, [department("D1")])
    data = sync_users(
        sandbox,
        [
            user("STAFF", "D1", supervisor="BOSS"),
            user("BOSS", "D1"),
            user("STAFF2", "D1", supervisor="BOSS"),
        ],
    )
    assert data["successCount"] == 2
    (detail,) = data["failDetails"]
    assert (detail["index"], detail["id"], detail["errorCode"]) == (
        0,
        "STAFF",
        "SUPERVISOR_NOT_FOUND",
    )
    assert sandbox.state["users"]["STAFF2"]["directSupervisor"] == "BOSS"


def test_supervisor_cycle_is_refused(sandbox):
    sync_departments(sandbox, [department("D1")])
    sync_users(sandbox, [user("A", "D1"), user("B", "D1", supervisor="A")])
    data = sync_users(sandbox, [user("A", "D1", supervisor="B"), user("C", "D1", supervisor="C")])
    assert [d["errorCode"] for d in data["failDetails"]] == [
        "SUPERVISOR_CYCLE",
        "SUPERVISOR_NOT_FOUND",
    ]


@pytest.mark.parametrize(
    ("field", "value"),
    [("personnelType", 9), ("status", 2), ("personnelType", "1"), ("userName", "")],
)
def test_user_field_rules(sandbox, field, value):
    sync_departments(sandbox, [department("D1")])
    data = sync_users(sandbox, [user("U1", "D1", **{field: value})])
    (detail,) = data["failDetails"]
    assert detail["errorCode"] == "INVALID_PARAMETER"
    assert f"users[0].{field}" in detail["errorMessage"]
    assert sandbox.state["users"] == {}


def test_state_reflects_accepted_users(sandbox):
    sync_departments(sandbox, [department("D1")])
    sync_users(sandbox, [user("U1", "D1", personnelType=3, status=0)])
    record = sandbox.state["users"]["U1"]
    assert record["deptId"] == "D1"
    assert record["personnelType"] == 3
    assert record["status"] == 0
    assert record["email"] == "u1@example.com"
