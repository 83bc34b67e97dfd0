"""BPMN 2.0 of engine flows: the generated linear process, and the checks an
uploaded file goes through (spec part 1 §5.1 bpmnXml)."""

import pytest
from lxml import etree

from aiflow_connector.protocol import bpmn

NS = "{http://www.omg.org/spec/BPMN/20100524/MODEL}"
STEPS = [
    {"name": "部门经理审批", "user_codes": ["E001", "E002", "E001", ""]},
    {"name": "财务审批", "user_codes": []},
    {"name": "总经理审批", "user_codes": ["boss<&>"]},
]


def walk(process):
    """Node ids from the start event along the sequence flows."""
    flows = {f.get("sourceRef"): f.get("targetRef") for f in process.iter(NS + "sequenceFlow")}
    (start,) = process.findall(NS + "startEvent")
    path = [start.get("id")]
    while path[-1] in flows:
        path.append(flows[path[-1]])
    return path


def test_linear_process_goes_start_tasks_end_in_step_order():
    xml = bpmn.linear_process("SALES_ORDER", "销售订单审批", STEPS)
    root = etree.fromstring(xml.encode())
    assert root.tag == NS + "definitions"
    assert root.get("targetNamespace")
    (process,) = root.findall(NS + "process")
    assert (process.get("id"), process.get("name")) == ("SALES_ORDER", "销售订单审批")
    assert process.get("isExecutable") == "true"
    by_id = {element.get("id"): element for element in process}
    path = walk(process)
    kinds = [by_id[node].tag[len(NS) :] for node in path]
    assert kinds == ["startEvent", "userTask", "userTask", "userTask", "endEvent"]
    assert [by_id[node].get("name") for node in path[1:4]] == [s["name"] for s in STEPS]
    # every node names its incoming and outgoing flows, and they match
    for flow in process.iter(NS + "sequenceFlow"):
        source, target = by_id[flow.get("sourceRef")], by_id[flow.get("targetRef")]
        assert flow.get("id") in [e.text for e in source.findall(NS + "outgoing")]
        assert flow.get("id") in [e.text for e in target.findall(NS + "incoming")]
    assert len(list(process.iter(NS + "sequenceFlow"))) == 4
    # the step's people, each once; a step without people has no owner
    expression = by_id[path[1]].find(f"{NS}potentialOwner/{NS}resourceAssignmentExpression")
    assert expression.find(NS + "formalExpression").text == "user(E001), user(E002)"
    assert by_id[path[2]].find(NS + "potentialOwner") is None
    assert bpmn.candidate_users(xml) == ["E001", "E002", "boss<&>"]
    bpmn.check(xml)  # what Odoo generates passes its own check


@pytest.mark.parametrize(
    "code, expected",
    [
        ("SALES_ORDER", "SALES_ORDER"),
        ("sales-2", "sales-2"),
        ("1FLOW", "Process_1FLOW"),
        ("a b:c", "a_b_c"),
        ("", "Process_"),
    ],
)
def test_process_id_is_a_valid_ncname(code, expected):
    assert bpmn.ncname(code) == expected


def test_a_linear_process_needs_a_step():
    with pytest.raises(ValueError):
        bpmn.linear_process("FLOW", "Flow", [])


def problem(data):
    with pytest.raises(bpmn.BpmnError) as caught:
        bpmn.check(data)
    return caught.value.problem, caught.value.details


BPMN_OPEN = b'<definitions xmlns="http://www.omg.org/spec/BPMN/20100524/MODEL">'


def test_bad_files_are_refused_saying_what_is_wrong():
    assert problem(b"") == (bpmn.EMPTY, {})
    assert problem(b"  \n") == (bpmn.EMPTY, {})
    kind, details = problem(b"<a>\n<b>\n</a>")
    assert (kind, details["line"]) == (bpmn.NOT_XML, 3)
    assert problem(b"just text")[0] == bpmn.NOT_XML
    assert problem(b"<definitions><process/></definitions>") == (
        bpmn.NOT_BPMN,
        {"root": "definitions"},
    )
    assert problem(b'<process xmlns="http://www.omg.org/spec/BPMN/20100524/MODEL"/>')[0] == (
        bpmn.NOT_BPMN
    )
    assert problem(BPMN_OPEN + b"</definitions>") == (bpmn.NO_PROCESS, {})
    assert problem(BPMN_OPEN + b'<process id="p"><endEvent id="e"/></process></definitions>') == (
        bpmn.NO_START,
        {"process": "p"},
    )
    assert problem(BPMN_OPEN + b'<process id="p"><startEvent id="s"/></process></definitions>') == (
        bpmn.NO_END,
        {"process": "p"},
    )
    assert problem(b"x" * (bpmn.MAX_BYTES + 1))[0] == bpmn.TOO_LARGE


@pytest.mark.parametrize(
    "data",
    [
        # billion laughs
        b'<?xml version="1.0"?><!DOCTYPE d [<!ENTITY a "aaaaaaaaaa">'
        b'<!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;"><!ENTITY c "&b;&b;&b;&b;&b;&b;&b;&b;">]>'
        + BPMN_OPEN
        + b"&c;</definitions>",
        # an external entity reading a local file
        b'<!DOCTYPE d [<!ENTITY x SYSTEM "file:///etc/passwd">]>'
        + BPMN_OPEN
        + b"&x;</definitions>",
        # a harmless-looking DOCTYPE is refused too
        b"<!doctype definitions>" + BPMN_OPEN + b"</definitions>",
    ],
)
def test_doctypes_and_entities_are_refused_before_anything_expands(data):
    assert problem(data) == (bpmn.DOCTYPE, {})


def test_candidate_users_of_an_uploaded_process():
    xml = (
        BPMN_OPEN + b'<process id="p"><startEvent id="s"/>'
        b'<userTask id="t"><humanPerformer><resourceAssignmentExpression>'
        b"<formalExpression>user(U1)</formalExpression></resourceAssignmentExpression>"
        b"</humanPerformer><potentialOwner><resourceAssignmentExpression>"
        b"<formalExpression>user(U2), group(G1), user( U1 )</formalExpression>"
        b"</resourceAssignmentExpression></potentialOwner></userTask>"
        b'<endEvent id="e"/></process></definitions>'
    )
    bpmn.check(xml)
    # owners first, then performers, each once; groups are not people
    assert bpmn.candidate_users(xml) == ["U2", "U1"]
    assert bpmn.candidate_users(b"not xml") == []
