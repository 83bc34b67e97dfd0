"""Parents-first ordering for departments and users."""

import random
import time

import pytest

from aiflow_connector.protocol.hierarchy import HierarchyError, order_parents_first


def dept(dept_id, parent=""):
    return {"deptId": dept_id, "parentId": parent}


def ids(items, key="deptId"):
    return [item[key] for item in items]


def assert_parents_first(ordered, key, parent_key):
    seen = set()
    for item in ordered:
        parent = item.get(parent_key)
        assert not parent or parent in seen, f"{item[key]} comes before its parent {parent}"
        seen.add(item[key])


def test_parents_come_before_children_in_level_order():
    items = [
        dept("C1", "B"),
        dept("B", "A"),
        dept("A"),
        dept("C2", "B"),
        dept("B2", "A"),
        dept("R2"),
    ]
    ordered = order_parents_first(items, "deptId", "parentId")
    assert ids(ordered) == ["A", "R2", "B", "B2", "C1", "C2"]
    assert_parents_first(ordered, "deptId", "parentId")


def test_siblings_keep_input_order():
    items = [dept("Z", "P"), dept("A", "P"), dept("M", "P"), dept("P")]
    assert ids(order_parents_first(items, "deptId", "parentId")) == ["P", "Z", "A", "M"]


def test_already_ordered_input_is_unchanged():
    items = [dept("A"), dept("B", "A"), dept("C", "B")]
    assert order_parents_first(items, "deptId", "parentId") == items


def test_returns_the_same_objects_and_leaves_input_alone():
    items = [dept("B", "A"), dept("A")]
    before = list(items)
    ordered = order_parents_first(items, "deptId", "parentId")
    assert items == before
    assert ordered[0] is items[1] and ordered[1] is items[0]


@pytest.mark.parametrize("root_marker", ["", None, "  "])
def test_empty_parent_means_root(root_marker):
    items = [dept("B", "A"), {"deptId": "A", "parentId": root_marker}]
    assert ids(order_parents_first(items, "deptId", "parentId")) == ["A", "B"]


def test_missing_parent_key_means_root():
    assert ids(order_parents_first([dept("B", "A"), {"deptId": "A"}], "deptId", "parentId")) == [
        "A",
        "B",
    ]


def test_empty_input():
    assert order_parents_first([], "deptId", "parentId") == []


def test_users_by_direct_supervisor():
    users = [
        {"userId": "U3", "directSupervisor": "U2"},
        {"userId": "U2", "directSupervisor": "U1"},
        {"userId": "U1", "directSupervisor": ""},
    ]
    assert ids(order_parents_first(users, "userId", "directSupervisor"), "userId") == [
        "U1",
        "U2",
        "U3",
    ]


def test_callables_as_keys():
    pairs = [("b", "a"), ("a", None)]
    ordered = order_parents_first(pairs, key=lambda p: p[0], parent_key=lambda p: p[1])
    assert ordered == [("a", None), ("b", "a")]


def test_deep_chain_of_100000_without_recursion():
    count = 100_000
    chain = [dept(f"D{i}", f"D{i - 1}" if i else "") for i in range(count)]
    chain.reverse()  # deepest first: the worst case for a naive approach
    ordered = order_parents_first(chain, "deptId", "parentId")
    assert ordered[0]["deptId"] == "D0"
    assert ordered[-1]["deptId"] == f"D{count - 1}"
    assert ids(ordered) == [f"D{i}" for i in range(count)]


def test_mixed_forest_shuffled_is_ordered_quickly():
    rng = random.Random(7)
    items = [dept("ROOT")]
    for i in range(1, 50_000):
        parent = items[rng.randrange(len(items))]["deptId"] if i % 3 else items[-1]["deptId"]
        items.append(dept(f"N{i}", parent))
    rng.shuffle(items)
    started = time.perf_counter()
    ordered = order_parents_first(items, "deptId", "parentId")
    elapsed = time.perf_counter() - started
    assert len(ordered) == len(items)
    assert_parents_first(ordered, "deptId", "parentId")
    assert elapsed < 5  # linear: ~0.2 s here; quadratic would take minutes


def test_cycle_is_reported_with_its_ids():
    items = [dept("A"), dept("X", "Z"), dept("Y", "X"), dept("Z", "Y"), dept("W", "Y")]
    with pytest.raises(HierarchyError) as info:
        order_parents_first(items, "deptId", "parentId")
    error = info.value
    assert error.cycles == [["X", "Z", "Y"]]
    assert error.unknown_parents == {}
    assert set(error.blocked) == {"X", "Y", "Z", "W"}
    assert ids(error.ordered) == ["A"]
    assert "X -> Z -> Y -> X" in str(error)


def test_self_parent_is_a_cycle():
    with pytest.raises(HierarchyError) as info:
        order_parents_first([dept("S", "S"), dept("T", "S")], "deptId", "parentId")
    assert info.value.cycles == [["S"]]
    assert info.value.blocked == ["S", "T"]


def test_several_cycles_are_all_reported():
    items = [dept("A", "B"), dept("B", "A"), dept("C", "D"), dept("D", "E"), dept("E", "C")]
    with pytest.raises(HierarchyError) as info:
        order_parents_first(items, "deptId", "parentId")
    assert info.value.cycles == [["A", "B"], ["C", "D", "E"]]


def test_long_cycle_terminates():
    count = 100_000
    items = [dept(f"D{i}", f"D{(i + 1) % count}") for i in range(count)]
    with pytest.raises(HierarchyError) as info:
        order_parents_first(items, "deptId", "parentId")
    assert len(info.value.cycles) == 1
    assert len(info.value.cycles[0]) == count


def test_unknown_parent_is_reported():
    items = [dept("A"), dept("B", "GONE"), dept("C", "B"), dept("D", "GONE")]
    with pytest.raises(HierarchyError) as info:
        order_parents_first(items, "deptId", "parentId")
    error = info.value
    assert error.unknown_parents == {"GONE": ["B", "D"]}
    assert error.cycles == []
    assert error.blocked == ["B", "C", "D"]
    assert ids(error.ordered) == ["A"]
    assert "GONE" in str(error)


def test_known_parents_count_as_roots():
    items = [dept("C", "B"), dept("B", "ALREADY_IN_AIFLOW"), dept("X", "ALSO_THERE")]
    ordered = order_parents_first(
        items, "deptId", "parentId", known={"ALREADY_IN_AIFLOW", "ALSO_THERE"}
    )
    assert ids(ordered) == ["B", "X", "C"]


def test_known_accepts_any_iterable():
    ordered = order_parents_first([dept("B", "K")], "deptId", "parentId", known=["K"])
    assert ids(ordered) == ["B"]


def test_a_known_parent_that_is_also_sent_still_goes_first():
    items = [dept("B", "A"), dept("A")]
    assert ids(order_parents_first(items, "deptId", "parentId", known={"A"})) == ["A", "B"]


def test_duplicates_are_reported():
    with pytest.raises(HierarchyError) as info:
        order_parents_first([dept("A"), dept("A")], "deptId", "parentId")
    assert info.value.duplicates == ["A"]


def test_item_without_id_is_a_value_error():
    with pytest.raises(ValueError):
        order_parents_first([dept("")], "deptId", "parentId")
