"""Payload rules of every endpoint: each rule kind, with the field path reported."""

import pytest

from aiflow_connector.protocol import schema
from aiflow_connector.protocol.errors import PayloadError
from aiflow_connector.protocol.schema import ENDPOINTS, endpoint_for, validate, validate_item

from .samples import SAMPLES, sample

NAMES = sorted(ENDPOINTS)


def problem(name, payload):
    with pytest.raises(PayloadError) as info:
        validate(name, payload)
    return info.value


def set_path(payload, path, value):
    """Set ``a.b[2].c`` in ``payload``; value ``DELETE`` removes the key."""
    target = payload
    steps = path.replace("]", "").replace("[", ".").split(".")
    for step in steps[:-1]:
        target = target[int(step)] if step.isdigit() else target[step]
    last = steps[-1]
    if last.isdigit():
        target[int(last)] = value
    elif value is DELETE:
        del target[last]
    else:
        target[last] = value
    return payload


DELETE = object()


# -- the endpoint table ------------------------------------------------------
def test_every_agreed_endpoint_exists_with_its_method_and_path():
    expected = {
        "department_sync": ("POST", "/aflow/api/sys/sync/department"),
        "user_sync": ("POST", "/aflow/api/sys/sync/user"),
        "flow_create_third_party": ("POST", "/aflow/api/flow/create_third_party"),
        "flow_online_third_party": ("POST", "/aflow/api/flow/online_third_party"),
        "order_task_sync": ("POST", "/aflow/api/order/sync/task"),
        "flow_create": ("POST", "/aflow/api/flow/create"),
        "flow_update": ("PUT", "/aflow/api/flow/update"),
        "flow_publish": ("POST", "/aflow/api/flow/publish"),
        "form_sync": ("POST", "/aflow/api/form/sync"),
        "approval_log_sync": ("POST", "/aflow/api/order/approval/log"),
        "workflow_event": ("POST", "/odoo/api/workflow/receive"),
        "approval_log_event": ("POST", "/odoo/api/workflow/approval/log"),
    }
    assert {n: (e.method, e.path) for n, e in ENDPOINTS.items()} == expected
    assert all(ENDPOINTS[n].name == n for n in ENDPOINTS)
    assert {n for n, e in ENDPOINTS.items() if e.direction == schema.INBOUND} == {
        "workflow_event",
        "approval_log_event",
    }


def test_endpoint_for_finds_by_method_and_path():
    assert endpoint_for("put", "/aflow/api/flow/update/").name == "flow_update"
    assert endpoint_for("POST", "/aflow/api/flow/update") is None
    assert endpoint_for("POST", "/odoo/api/workflow/receive").name == "workflow_event"


def test_unknown_endpoint_name_is_a_key_error():
    with pytest.raises(KeyError):
        validate("department_delete", {})


# -- valid payloads ----------------------------------------------------------
def test_every_endpoint_has_a_sample():
    assert set(SAMPLES) == set(ENDPOINTS)


@pytest.mark.parametrize("name", NAMES)
def test_spec_examples_are_valid(name):
    validate(name, sample(name))


@pytest.mark.parametrize(
    "name, list_field", [("department_sync", "departments"), ("user_sync", "users")]
)
def test_top_level_lists_may_be_empty(name, list_field):
    validate(name, {list_field: []})


def test_unknown_extra_fields_are_allowed():
    payload = sample("department_sync")
    payload["batchNo"] = 7
    payload["departments"][0]["leader"] = {"any": ["thing"]}
    validate("department_sync", payload)


def test_optional_fields_may_be_absent_or_null():
    validate("department_sync", {"departments": [{"deptId": "D", "deptName": "x"}]})
    validate(
        "department_sync",
        {"departments": [{"deptId": "D", "deptName": "x", "parentId": None, "status": None}]},
    )
    event = sample("workflow_event")
    for key in ("formData", "processVariables", "handlerUserCode", "handleTime"):
        del event[key]
    validate("workflow_event", event)


def test_optional_string_may_be_empty():
    validate(
        "user_sync",
        {
            "users": [
                {"userId": "U", "userName": "u", "deptId": "D", "directSupervisor": "", "email": ""}
            ]
        },
    )


# -- missing -------------------------------------------------------------------
@pytest.mark.parametrize(
    "name, path",
    [
        ("department_sync", "departments"),
        ("department_sync", "departments[0].deptId"),
        ("department_sync", "departments[1].deptName"),
        ("user_sync", "users[1].deptId"),
        ("user_sync", "users[0].userName"),
        ("flow_create_third_party", "initiateUrl.h5Url"),
        ("flow_create_third_party", "detailUrl"),
        ("flow_create_third_party", "createBy"),
        ("flow_online_third_party", "flowVersion"),
        ("order_task_sync", "tasks[0].deadLine"),
        ("order_task_sync", "tasks[0].showMobile"),
        ("order_task_sync", "ccUsers[0].ccTime"),
        ("order_task_sync", "businessKey"),
        ("flow_create", "bpmnXml"),
        ("flow_update", "flowCode"),
        ("flow_publish", "flowCode"),
        ("form_sync", "syncType"),
        ("approval_log_sync", "logs[0].handleTime"),
        ("workflow_event", "action"),
        ("workflow_event", "orderId"),
        ("approval_log_event", "logs"),
    ],
)
def test_missing_required_field_is_named(name, path):
    error = problem(name, set_path(sample(name), path, DELETE))
    assert error.field == path
    assert error.problem == "missing"


def test_null_required_field_is_missing():
    error = problem(
        "department_sync", set_path(sample("department_sync"), "departments[2].deptName", None)
    )
    assert error.field == "departments[2].deptName"
    assert "missing" in error.problem


@pytest.mark.parametrize("value", ["", "   "])
def test_required_string_must_not_be_empty(value):
    error = problem(
        "order_task_sync", set_path(sample("order_task_sync"), "tasks[0].taskId", value)
    )
    assert (error.field, error.problem) == ("tasks[0].taskId", "must not be empty")


def test_array_elements_that_are_strings_must_not_be_empty():
    error = problem(
        "order_task_sync", set_path(sample("order_task_sync"), "tasks[0].assigneeUserCode[1]", "")
    )
    assert error.field == "tasks[0].assigneeUserCode[1]"


def test_a_task_needs_an_assignee():
    error = problem(
        "order_task_sync", set_path(sample("order_task_sync"), "tasks[0].assigneeUserCode", [])
    )
    assert error.field == "tasks[0].assigneeUserCode"
    assert "at least 1" in error.problem


# -- types ---------------------------------------------------------------------
@pytest.mark.parametrize(
    "name, path, value, expected, got",
    [
        ("department_sync", "departments[2].parentId", 3, "String", "Integer"),
        ("department_sync", "departments[0].orderNum", "100", "Integer", "String"),
        ("department_sync", "departments", {"deptId": "D"}, "Array", "Object"),
        ("department_sync", "departments[1]", "DEPT002", "Object", "String"),
        ("user_sync", "users[0].personnelType", 1.0, "Integer", "Number"),
        ("flow_create_third_party", "initiateUrl", "https://x", "Object", "String"),
        ("flow_create_third_party", "allowedApplyRule.userCodes", "U1", "Array", "String"),
        ("flow_online_third_party", "flowVersion", "1", "Integer", "String"),
        ("order_task_sync", "orderId", "123456", "Long", "String"),
        ("order_task_sync", "tasks[0].showPc", "true", "Boolean", "String"),
        ("order_task_sync", "tasks[0].showPc", 1, "Boolean", "Integer"),
        ("order_task_sync", "tasks[0].deadLine", 1737712800, "String", "Integer"),
        ("order_task_sync", "tasks", {}, "Array", "Object"),
        ("flow_create", "formSchema", "{}", "Object", "String"),
        ("form_sync", "formSchema", [], "Object", "Array"),
        ("workflow_event", "formData", ["a"], "Object", "Array"),
        ("approval_log_event", "logs[0].formData", "x", "Object", "String"),
    ],
)
def test_wrong_type_names_expected_and_actual(name, path, value, expected, got):
    error = problem(name, set_path(sample(name), path, value))
    assert error.field == path
    assert error.problem == f"wrong type: expected {expected}, got {got}"


@pytest.mark.parametrize(
    "name, path",
    [
        ("department_sync", "departments[0].status"),
        ("department_sync", "departments[0].orderNum"),
        ("user_sync", "users[0].personnelType"),
        ("order_task_sync", "orderId"),
        ("order_task_sync", "version"),
        ("flow_publish", "flowVersion"),
    ],
)
@pytest.mark.parametrize("value", [True, False])
def test_bool_is_not_an_integer(name, path, value):
    error = problem(name, set_path(sample(name), path, value))
    assert error.field == path
    assert error.problem.endswith("got Boolean")


def test_integer_is_32_bit_and_long_is_64_bit():
    validate("order_task_sync", set_path(sample("order_task_sync"), "orderId", 2**63 - 1))
    error = problem("order_task_sync", set_path(sample("order_task_sync"), "orderId", 2**63))
    assert error.field == "orderId" and "out of range" in error.problem
    validate(
        "department_sync", set_path(sample("department_sync"), "departments[0].orderNum", 2**31 - 1)
    )
    error = problem(
        "department_sync", set_path(sample("department_sync"), "departments[0].orderNum", 2**31)
    )
    assert error.field == "departments[0].orderNum" and "out of range for Integer" in error.problem


def test_body_must_be_an_object():
    with pytest.raises(PayloadError) as info:
        validate("user_sync", [{"userId": "U"}])
    assert info.value.field == "(body)"


# -- enums -----------------------------------------------------------------------
@pytest.mark.parametrize(
    "name, path, bad, allowed",
    [
        ("department_sync", "departments[0].status", 2, "[0, 1]"),
        ("user_sync", "users[1].status", -1, "[0, 1]"),
        ("user_sync", "users[0].personnelType", 6, "[1, 2, 3, 4, 5]"),
        ("user_sync", "users[0].personnelType", 0, "[1, 2, 3, 4, 5]"),
        ("order_task_sync", "orderStatus", "done", '["new", "ing", "over"]'),
        (
            "order_task_sync",
            "orderResult",
            "approved",
            '["ing", "pass", "reject", "revoke", "delete"]',
        ),
        ("order_task_sync", "tasks[0].taskStatus", "ING", '["new", "ing", "over"]'),
        (
            "order_task_sync",
            "tasks[0].taskResult",
            "approve",
            '["new", "accept", "pass", "reject", "revoke", "rebut"]',
        ),
        ("order_task_sync", "tasks[0].nodeType", "review", '["handle", "audit", "notify"]'),
        ("form_sync", "syncType", "create", '["CREATE", "UPDATE", "DELETE"]'),
        ("workflow_event", "action", "APPROVE", '["START", "COMPLETE", "REJECT", "CANCEL"]'),
        ("flow_create_third_party", "allowedApplyTerminals[1]", "tablet", '["pc", "mobile"]'),
    ],
)
def test_value_outside_enum_lists_the_allowed_values(name, path, bad, allowed):
    error = problem(name, set_path(sample(name), path, bad))
    assert error.field == path
    assert error.problem.startswith(f"not one of {allowed}")
    assert repr(bad) in error.problem


@pytest.mark.parametrize("action", ["START", "COMPLETE", "REJECT", "CANCEL"])
def test_every_workflow_action_is_accepted(action):
    validate("workflow_event", set_path(sample("workflow_event"), "action", action))


@pytest.mark.parametrize("personnel_type", [1, 2, 3, 4, 5])
def test_every_personnel_type_is_accepted(personnel_type):
    validate("user_sync", set_path(sample("user_sync"), "users[0].personnelType", personnel_type))


# -- times -------------------------------------------------------------------------
@pytest.mark.parametrize(
    "value, impossible",
    [
        ("2025-01-25T18:00:00", False),
        ("2025-01-25 18:00", False),
        ("2025-1-25 18:00:00", False),
        ("2025-01-25 18:00:00.000", False),
        ("2025-01-25 18:00:00 ", False),
        ("25-01-25 18:00:00", False),
        ("", False),
        ("2025-02-30 10:00:00", True),
        ("2025-13-01 10:00:00", True),
        ("2025-01-25 24:00:00", True),
        ("2025-01-25 23:60:00", True),
        ("2023-02-29 00:00:00", True),
    ],
)
def test_time_must_be_a_real_wire_time(value, impossible):
    error = problem(
        "order_task_sync", set_path(sample("order_task_sync"), "tasks[0].deadLine", value)
    )
    assert error.field == "tasks[0].deadLine"
    assert error.problem.startswith("not yyyy-MM-dd HH:mm:ss")
    assert ("no such date or time" in error.problem) == impossible


def test_leap_day_is_a_real_date():
    validate(
        "order_task_sync", set_path(sample("order_task_sync"), "createTime", "2024-02-29 23:59:59")
    )


@pytest.mark.parametrize(
    "name, path",
    [
        ("order_task_sync", "createTime"),
        ("order_task_sync", "updateTime"),
        ("order_task_sync", "ccUsers[0].ccTime"),
        ("order_task_sync", "tasks[0].handleTime"),
        ("approval_log_sync", "logs[0].handleTime"),
        ("workflow_event", "handleTime"),
        ("approval_log_event", "logs[0].handleTime"),
    ],
)
def test_every_time_field_is_checked(name, path):
    error = problem(name, set_path(sample(name), path, "2025/01/24 10:00:00"))
    assert error.field == path


def test_long_values_are_cut_short_in_the_problem():
    error = problem("form_sync", set_path(sample("form_sync"), "syncType", "X" * 500))
    assert len(error.problem) < 150


# -- validate_item ---------------------------------------------------------------
def test_validate_item_names_the_position_in_the_request():
    with pytest.raises(PayloadError) as info:
        validate_item("user_sync", {"userId": "U9", "userName": "x"}, 3)
    assert info.value.field == "users[3].deptId"
    with pytest.raises(PayloadError) as info:
        validate_item("department_sync", {"deptId": "D", "deptName": "d", "status": 5}, 2)
    assert info.value.field == "departments[2].status"
    with pytest.raises(PayloadError) as info:
        validate_item("department_sync", None, 0)
    assert info.value.field == "departments[0]"


def test_validate_item_accepts_a_valid_record():
    validate_item("department_sync", SAMPLES["department_sync"]["departments"][1], 1)
    validate_item("user_sync", SAMPLES["user_sync"]["users"][0], 0)


def test_validate_item_needs_a_batch_endpoint():
    with pytest.raises(ValueError):
        validate_item("form_sync", {}, 0)


def test_batch_endpoints_name_their_id_and_parent_keys():
    assert (
        ENDPOINTS["department_sync"].item_key,
        ENDPOINTS["department_sync"].item_parent_key,
    ) == (
        "deptId",
        "parentId",
    )
    assert (ENDPOINTS["user_sync"].item_key, ENDPOINTS["user_sync"].item_parent_key) == (
        "userId",
        "directSupervisor",
    )


def test_first_error_in_list_order_is_reported():
    payload = sample("department_sync")
    payload["departments"][1]["deptId"] = 1
    payload["departments"][2]["deptName"] = None
    assert problem("department_sync", payload).field == "departments[1].deptId"
