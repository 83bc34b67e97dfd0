"""Task-center payloads (spec §4.1-§4.3, §5.3) from plain data, checked
against the same schema rules the sandbox enforces."""

from datetime import datetime, timedelta, timezone

import pytest

from aiflow_connector.protocol import task_center as tc
from aiflow_connector.protocol.errors import PayloadError
from aiflow_connector.protocol.schema import validate

# A zone that is neither UTC nor the default, with DST (UTC-5 in January).
ZONE = "America/New_York"


def flow_values(**extra):
    urls = tc.default_page_urls("https://odoo.example.com/", "SALES_ORDER")
    values = {
        "flow_code": "SALES_ORDER",
        "title": "销售订单审批流程",
        "initiate_url": urls["initiate"],
        "detail_url": urls["detail"],
        "group_id": "GROUP001",
        "manager_code": "USER001",
        "operation_code": "USER002",
        "config_code": "USER003",
        "creator_code": "USER001",
        "terminals": ["mobile", "pc"],
    }
    values.update(extra)
    return values


def test_default_pages_are_odoo_routes_under_the_public_url():
    urls = tc.default_page_urls("https://odoo.example.com/", "SALES_ORDER")
    assert urls == {
        "initiate": {
            "h5Url": "https://odoo.example.com/aiflow/flow/SALES_ORDER/new",
            "webUrl": "https://odoo.example.com/aiflow/flow/SALES_ORDER/new",
        },
        "detail": {
            "h5Url": "https://odoo.example.com/aiflow/flow/SALES_ORDER/detail",
            "webUrl": "https://odoo.example.com/aiflow/flow/SALES_ORDER/detail",
        },
    }


def test_third_party_flow_follows_the_spec():
    body = tc.third_party_flow(flow_values())
    validate(tc.FLOW_CREATE_THIRD_PARTY, body)
    assert body["flowCode"] == "SALES_ORDER"
    assert body["initiateUrl"]["webUrl"].endswith("/aiflow/flow/SALES_ORDER/new")
    assert body["detailUrl"]["h5Url"].endswith("/aiflow/flow/SALES_ORDER/detail")
    assert body["managerUserCode"] == "USER001"
    assert body["operationUserCode"] == "USER002"
    assert body["configUserCode"] == "USER003"
    assert body["createBy"] == "USER001"
    # terminals in the spec's order whatever order they were chosen in
    assert body["allowedApplyTerminals"] == ["pc", "mobile"]
    everyone = {"allowedApplyType": "all", "userCodes": [], "deptCodes": [], "userGroupCodes": []}
    assert body["allowedApplyRule"] == everyone
    assert body["allowedManageRule"] == everyone


def test_custom_rules_list_people_once_and_all_ignores_lists():
    rule = tc.access_rule(tc.RULE_CUSTOM, ["U1", "U2", "U1", ""], ["D1"], ["G1", "G1"])
    assert rule == {
        "allowedApplyType": "custom",
        "userCodes": ["U1", "U2"],
        "deptCodes": ["D1"],
        "userGroupCodes": ["G1"],
    }
    assert tc.access_rule(tc.RULE_ALL, ["U1"])["userCodes"] == []
    with pytest.raises(ValueError):
        tc.access_rule("some")
    body = tc.third_party_flow(flow_values(apply_rule=rule, terminals=["pc"]))
    validate(tc.FLOW_CREATE_THIRD_PARTY, body)
    assert body["allowedApplyRule"] == rule
    assert body["allowedApplyTerminals"] == ["pc"]


def test_a_flow_without_an_owner_breaks_the_schema():
    body = tc.third_party_flow(flow_values(manager_code=""))
    with pytest.raises(PayloadError) as error:
        validate(tc.FLOW_CREATE_THIRD_PARTY, body)
    assert error.value.field == "managerUserCode"


def test_unknown_terminals_are_not_sent():
    body = tc.third_party_flow(flow_values(terminals=["pc", "watch"]))
    assert body["allowedApplyTerminals"] == ["pc"]


def test_online_payload():
    body = tc.flow_online("SALES_ORDER", 3, "初始版本上线")
    assert body == {"flowCode": "SALES_ORDER", "flowVersion": 3, "updateDesc": "初始版本上线"}
    validate(tc.FLOW_ONLINE_THIRD_PARTY, body)
    assert tc.flow_online("SALES_ORDER", 1, None)["updateDesc"] == ""
    with pytest.raises(PayloadError):
        validate(tc.FLOW_ONLINE_THIRD_PARTY, tc.flow_online("SALES_ORDER", None))


CREATED = datetime(2025, 1, 24, 15, 0, 0)  # naive UTC, as Odoo stores it


def open_task(**extra):
    task = {
        "task_id": "7-1",
        "name": "部门经理审批",
        "assignee_codes": ["E0002", "E0002", "bob"],
        "status": "ing",
        "result": "new",
        "deadline": CREATED + timedelta(hours=24),
        "node_type": "audit",
        "show_pc": True,
        "show_mobile": 1,
    }
    task.update(extra)
    return task


def order_values(**extra):
    order = {
        "order_id": 7,
        "status": "ing",
        "result": "ing",
        "initiator_code": "E0001",
        "business_key": "SALES_ORDER-S00012",
        "create_time": CREATED,
        "update_time": CREATED + timedelta(minutes=5, seconds=1, microseconds=900),
        "cc_codes": ["E0009", "E0009"],
    }
    order.update(extra)
    return order


def test_order_snapshot_in_a_configured_timezone():
    body = tc.order_snapshot(order_values(), [open_task()], ZONE)
    validate(tc.ORDER_TASK_SYNC, body)
    # 15:00 UTC is 10:00 in New York in January; sub-seconds are dropped
    assert body["createTime"] == "2025-01-24 10:00:00"
    assert body["updateTime"] == "2025-01-24 10:05:01"
    assert body["ccUsers"] == [{"userCode": "E0009", "ccTime": "2025-01-24 10:00:00"}]
    (task,) = body["tasks"]
    assert task == {
        "taskId": "7-1",
        "taskName": "部门经理审批",
        "assigneeUserCode": ["E0002", "bob"],
        "taskStatus": "ing",
        "taskResult": "new",
        "deadLine": "2025-01-25 10:00:00",
        "nodeType": "audit",
        "showPc": True,
        "showMobile": True,
    }
    assert "handleTime" not in task
    assert "version" not in body
    # the same data in Shanghai
    shanghai = tc.order_snapshot(order_values(), [open_task()], "Asia/Shanghai")
    assert shanghai["createTime"] == "2025-01-24 23:00:00"


def test_done_tasks_carry_their_handle_time_and_aware_times_convert():
    handled = datetime(2025, 1, 24, 18, 30, tzinfo=timezone(timedelta(hours=8)))
    body = tc.order_snapshot(
        order_values(status="over", result="pass", cc_codes=[], version=2),
        [open_task(status="over", result="pass", handle_time=handled)],
        ZONE,
    )
    validate(tc.ORDER_TASK_SYNC, body)
    assert body["tasks"][0]["handleTime"] == "2025-01-24 05:30:00"
    assert body["version"] == 2
    assert "ccUsers" not in body


def test_a_snapshot_with_no_tasks_yet_is_valid():
    validate(tc.ORDER_TASK_SYNC, tc.order_snapshot(order_values(), [], ZONE))


@pytest.mark.parametrize(
    "order_extra, task_extra, field",
    [
        ({"result": "approved"}, {}, "orderResult"),
        ({"initiator_code": ""}, {}, "initiator"),
        ({}, {"assignee_codes": []}, "tasks[0].assigneeUserCode"),
        ({}, {"status": "waiting"}, "tasks[0].taskStatus"),
        ({}, {"node_type": "review"}, "tasks[0].nodeType"),
        ({"order_id": 2**63}, {}, "orderId"),
    ],
)
def test_bad_snapshots_are_refused(order_extra, task_extra, field):
    body = tc.order_snapshot(order_values(**order_extra), [open_task(**task_extra)], ZONE)
    with pytest.raises(PayloadError) as error:
        validate(tc.ORDER_TASK_SYNC, body)
    assert error.value.field == field


def test_unknown_timezone_is_an_error_not_a_guess():
    with pytest.raises(ValueError):
        tc.order_snapshot(order_values(), [open_task()], "Mars/Olympus")


def test_approval_log_payload():
    body = tc.approval_log(
        7,
        "SALES_ORDER-S00012",
        [
            {
                "task_id": "7-1",
                "task_name": "部门经理审批",
                "handler_code": "E0002",
                "result": tc.APPROVED,
                "comment": "同意",
                "handle_time": datetime(2025, 1, 24, 16, 0, 0),
            },
            {
                "task_id": "7-2",
                "task_name": "总监审批",
                "handler_code": "bob",
                "result": tc.REJECTED,
                "comment": None,
                "handle_time": datetime(2025, 1, 24, 17, 0, 0),
            },
        ],
        ZONE,
    )
    validate(tc.APPROVAL_LOG_SYNC, body)
    assert body["orderId"] == 7
    assert [log["handleResult"] for log in body["logs"]] == ["APPROVED", "REJECTED"]
    assert body["logs"][0]["handleTime"] == "2025-01-24 11:00:00"
    assert body["logs"][0]["handleComment"] == "同意"
    assert body["logs"][1]["handleComment"] == ""


# -- what each call waits for (outbox dependencies) ----------------------------


def test_a_flow_waits_for_everyone_and_every_department_it_names_once():
    rules = {
        "apply_rule": tc.access_rule(tc.RULE_CUSTOM, ["USER004", "USER001"], ["D1"], ["G1"]),
        "manage_rule": tc.access_rule(tc.RULE_CUSTOM, ["USER005"], ["D1", "D2"]),
    }
    body = tc.third_party_flow(flow_values(**rules))
    assert tc.flow_dependencies(body) == [
        ("user_sync", "USER001"),
        ("user_sync", "USER002"),
        ("user_sync", "USER003"),
        ("user_sync", "USER004"),
        ("user_sync", "USER005"),
        ("department_sync", "D1"),
        ("department_sync", "D2"),
    ]
    # user-group codes are aiflow's own: nothing to wait for
    assert ("user_sync", "G1") not in tc.flow_dependencies(body)
    assert tc.flow_online_dependencies(tc.flow_online("SALES_ORDER", 2)) == [
        ("flow_create_third_party", "SALES_ORDER")
    ]


def test_an_order_waits_for_its_initiator_assignees_and_cc_users():
    body = tc.order_snapshot(order_values(), [open_task()], ZONE)
    assert tc.order_key(body) == "7"
    assert tc.order_dependencies(body) == [
        ("user_sync", "E0001"),
        ("user_sync", "E0002"),
        ("user_sync", "bob"),
        ("user_sync", "E0009"),
    ]


def test_a_log_waits_for_its_order_snapshot_and_its_handler():
    body = tc.approval_log(
        7,
        "SALES_ORDER-S00012",
        [
            {
                "task_id": "7-1",
                "task_name": "部门经理审批",
                "handler_code": "E0002",
                "result": tc.APPROVED,
                "handle_time": CREATED,
            }
        ],
        ZONE,
    )
    assert tc.order_key(body) == "7"
    assert tc.approval_log_dependencies(body) == [
        ("order_task_sync", "7"),
        ("user_sync", "E0002"),
    ]
