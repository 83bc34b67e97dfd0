"""The sending order of any kind of call, without Odoo."""

from aiflow_connector.protocol.send_plan import plan


def flow(code, parent=None, manager="U1"):
    return {"code": code, "parent": parent, "manager": manager}


def flow_plan(entries, blocked):
    return plan(
        "flows",
        entries,
        blocked,
        key=lambda item: item["code"],
        parent=lambda item: item["parent"],
        dependencies=lambda item: (
            [("user_sync", item["manager"])]
            + ([("flows", item["parent"])] if item["parent"] else [])
        ),
    )


def test_parents_first_and_a_missing_person_holds_its_flow_and_those_below():
    entries = [(1, flow("C", "B")), (2, flow("B", "A", manager="U9")), (3, flow("A"))]
    result = flow_plan(entries, blocked=set())
    assert result.ordered == [3, 2, 1]
    result = flow_plan(entries, blocked={("user_sync", "U9")})
    assert result.ordered == [3]
    assert result.waiting == {2: ("user_sync", "U9"), 1: ("flows", "B")}


def test_without_a_parent_the_queued_order_is_kept():
    entries = [(5, {"id": "O1"}), (2, {"id": "O1"}), (9, {"id": "O2"})]
    result = plan("logs", entries, set(), key=lambda item: item["id"])
    assert result.ordered == [5, 2, 9]
    result = plan(
        "logs",
        entries,
        {("logs", "O1")},
        key=lambda item: item["id"],
        dependencies=lambda item: [("logs", item["id"])],
    )
    assert result.ordered == [9]
    assert set(result.waiting) == {5, 2}
