"""Department/user payloads and their sending plan, without Odoo."""

import pytest

from aiflow_connector.protocol import org_payloads as op
from aiflow_connector.protocol.schema import validate, validate_item


def dept(code, parent="", name=None, active=True):
    return op.department_item(
        {"code": code, "name": name or code, "parent_code": parent, "active": active}
    )


def user(code, dept_code="D1", manager="", **extra):
    values = {"code": code, "dept_code": dept_code, "manager_code": manager, "name": code}
    values.update(extra)
    return op.user_item(values)


def test_department_item_follows_the_spec():
    item = dept("D2", parent="D1", name="开发组")
    assert item == {"deptId": "D2", "deptName": "开发组", "parentId": "D1", "status": 1}
    validate_item("department_sync", item, 0)
    assert dept("D1")["parentId"] == ""
    assert dept("D1", active=False)["status"] == 0


def test_user_item_maps_every_field():
    item = op.user_item(
        {
            "code": "U7",
            "login": "zhangsan",
            "name": "张三",
            "email": "zs@example.com",
            "mobile": "13800138000",
            "dept_code": "D1",
            "employee_type": "contractor",
            "manager_code": "U1",
            "active": True,
        }
    )
    assert item == {
        "userId": "U7",
        "userName": "zhangsan",
        "realName": "张三",
        "email": "zs@example.com",
        "mobile": "13800138000",
        "deptId": "D1",
        "personnelType": 3,
        "directSupervisor": "U1",
        "status": 1,
    }
    validate("user_sync", {"users": [item]})


@pytest.mark.parametrize(
    "employee_type, expected",
    [
        ("employee", 1),
        ("student", 2),
        ("trainee", 2),
        ("contractor", 3),
        ("worker", 4),
        ("freelance", 5),
        (None, 1),
    ],
)
def test_personnel_types(employee_type, expected):
    assert user("U1", employee_type=employee_type)["personnelType"] == expected


def test_user_without_login_uses_its_code_and_empty_optionals():
    item = user("U9", email=False, mobile=None)
    assert item["userName"] == "U9"
    assert item["email"] == "" and item["mobile"] == ""
    assert item["directSupervisor"] == ""


def test_disabled_keeps_everything_but_status():
    item = dept("D1", name="A")
    assert op.disabled(item) == dict(item, status=0)
    assert item["status"] == 1


def test_dependencies():
    assert op.dependencies("department_sync", dept("D2", "D1")) == [("department_sync", "D1")]
    assert op.dependencies("department_sync", dept("D1")) == []
    assert op.dependencies("user_sync", user("U2", "D3", "U1")) == [
        ("department_sync", "D3"),
        ("user_sync", "U1"),
    ]
    assert op.dependencies("order_task_sync", {"orderId": 1}) == []


def test_plan_orders_parents_first_and_keeps_outside_parents_as_known():
    entries = [(1, dept("C", "B")), (2, dept("B", "A")), (3, dept("A")), (4, dept("X", "OLD"))]
    plan = op.plan("department_sync", entries, blocked=set())
    assert plan.ordered.index(3) < plan.ordered.index(2) < plan.ordered.index(1)
    assert 4 in plan.ordered
    assert plan.waiting == {} and plan.invalid == {}


def test_plan_children_of_a_blocked_parent_wait_with_their_subtree():
    entries = [(1, dept("B", "A")), (2, dept("C", "B")), (3, dept("Z"))]
    plan = op.plan("department_sync", entries, blocked={("department_sync", "A")})
    assert plan.ordered == [3]
    assert plan.waiting == {1: ("department_sync", "A"), 2: ("department_sync", "B")}


def test_plan_users_wait_for_a_blocked_department_or_supervisor():
    entries = [(1, user("U1", "D1")), (2, user("U2", "D2", "U1")), (3, user("U3", "D9", "UX"))]
    plan = op.plan("user_sync", entries, blocked={("department_sync", "D1"), ("user_sync", "UX")})
    assert plan.ordered == []
    assert plan.waiting[1] == ("department_sync", "D1")
    assert plan.waiting[2] == ("user_sync", "U1")
    assert plan.waiting[3] == ("user_sync", "UX")


def test_plan_deep_chain_listed_bottom_up():
    entries = [(n, user(f"U{n}", manager=f"U{n + 1}" if n < 19 else "")) for n in range(20)]
    plan = op.plan("user_sync", entries, blocked=set())
    assert plan.ordered == list(reversed(range(20)))


def test_plan_cycle_is_invalid_not_sent():
    entries = [(1, user("U1", manager="U2")), (2, user("U2", manager="U1")), (3, user("U3"))]
    plan = op.plan("user_sync", entries, blocked=set())
    assert plan.ordered == [3]
    assert set(plan.invalid) == {1, 2}
    assert "cycle" in plan.invalid[1]
