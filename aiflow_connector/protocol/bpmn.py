"""BPMN 2.0 processes of engine flows (spec part 1 §5.1 ``bpmnXml``).

Two ways to get one: :func:`linear_process` writes a start event, one user
task per step and an end event, joined in order by sequence flows; or an
admin uploads a file made with a BPMN modeler, which :func:`check` reads
before anything keeps it.

Decisions (the spec only says "BPMN XML"):

* The people of a step are standard BPMN ``potentialOwner`` elements whose
  formal expression lists ``user(CODE)`` per person (CODE: the aiflow user
  code, as in user sync); :func:`candidate_users` reads them back from any
  process, generated or uploaded, so the connector can sync those people
  before the flow.
* An uploaded file must not carry a DOCTYPE at all: BPMN never needs one,
  and refusing it outright leaves no room for entity expansion ("billion
  laughs") or external entities. The parser itself resolves no entity and
  fetches nothing from the network either.
"""

import re

from lxml import etree

BPMN_NS = "http://www.omg.org/spec/BPMN/20100524/MODEL"
TARGET_NS = "http://aiflow.example.com/bpmn/odoo"
MAX_BYTES = 5 * 1024 * 1024  # a process a person drew, not a data dump

_NCNAME_BAD = re.compile(r"[^A-Za-z0-9_.-]")
_DOCTYPE = re.compile(rb"<!DOCTYPE", re.IGNORECASE)
_USER_EXPR = re.compile(r"user\(\s*([^()\s,][^(),]*?)\s*\)")

# Problems :func:`check` reports (``BpmnError.problem``); the Odoo layer
# words them in the admin's language.
EMPTY = "empty"
TOO_LARGE = "too_large"
DOCTYPE = "doctype"
NOT_XML = "not_xml"
NOT_BPMN = "not_bpmn"
NO_PROCESS = "no_process"
NO_START = "no_start"
NO_END = "no_end"


class BpmnError(ValueError):
    """What is wrong with a BPMN file; ``details`` fill the message."""

    def __init__(self, problem, **details):
        super().__init__(f"{problem}: {details}" if details else problem)
        self.problem = problem
        self.details = details


def _q(tag):
    return f"{{{BPMN_NS}}}{tag}"


def ncname(text, prefix="Process_"):
    """``text`` made a valid XML NCName (the id of a BPMN element)."""
    name = _NCNAME_BAD.sub("_", text or "")
    if not name or not (name[0].isalpha() or name[0] == "_"):
        name = prefix + name
    return name


def linear_process(flow_code, flow_name, steps):
    """The BPMN 2.0 XML (str) of a process going through ``steps`` in order.

    ``steps``: dicts with ``name`` and ``user_codes`` (may be empty: the
    task is then left to aiflow's own assignment rules).
    """
    if not steps:
        raise ValueError("a linear process needs at least one step")
    process_id = ncname(flow_code)
    root = etree.Element(
        _q("definitions"),
        nsmap={"bpmn": BPMN_NS},
        id=f"Definitions_{process_id}",
        targetNamespace=TARGET_NS,
    )
    process = etree.SubElement(
        root, _q("process"), id=process_id, name=flow_name or flow_code, isExecutable="true"
    )
    node_ids = ["StartEvent_1"] + [f"UserTask_{n}" for n in range(1, len(steps) + 1)]
    node_ids.append("EndEvent_1")
    flow_ids = [f"Flow_{n}" for n in range(1, len(node_ids))]

    def node(tag, node_id, name=None):
        element = etree.SubElement(process, _q(tag), id=node_id)
        if name:
            element.set("name", name)
        index = node_ids.index(node_id)
        if index > 0:
            etree.SubElement(element, _q("incoming")).text = flow_ids[index - 1]
        if index < len(flow_ids):
            etree.SubElement(element, _q("outgoing")).text = flow_ids[index]
        return element

    node("startEvent", node_ids[0])
    for index, step in enumerate(steps, start=1):
        task = node("userTask", node_ids[index], step["name"])
        codes = [code for code in dict.fromkeys(step.get("user_codes") or ()) if code]
        if codes:
            owner = etree.SubElement(task, _q("potentialOwner"))
            expression = etree.SubElement(
                etree.SubElement(owner, _q("resourceAssignmentExpression")),
                _q("formalExpression"),
            )
            expression.text = ", ".join(f"user({code})" for code in codes)
    node("endEvent", node_ids[-1])
    for index, flow_id in enumerate(flow_ids):
        etree.SubElement(
            process,
            _q("sequenceFlow"),
            id=flow_id,
            sourceRef=node_ids[index],
            targetRef=node_ids[index + 1],
        )
    return etree.tostring(root, xml_declaration=True, encoding="UTF-8", pretty_print=True).decode()


def _parser():
    return etree.XMLParser(
        resolve_entities=False,
        no_network=True,
        load_dtd=False,
        dtd_validation=False,
        huge_tree=False,
        remove_comments=True,
    )


def parse(data):
    """The root element of the BPMN 2.0 document ``data`` (bytes or str)
    once :func:`check` found nothing wrong."""
    if isinstance(data, str):
        data = data.encode("utf-8")
    if not data or not data.strip():
        raise BpmnError(EMPTY)
    if len(data) > MAX_BYTES:
        raise BpmnError(TOO_LARGE, limit=MAX_BYTES)
    if _DOCTYPE.search(data):
        # before parsing: libxml2 reads a DTD's entity declarations (and
        # may stop at a loop in them) even when it expands none
        raise BpmnError(DOCTYPE)
    try:
        tree = etree.fromstring(data, _parser()).getroottree()
    except etree.XMLSyntaxError as exc:
        line = exc.position[0] if exc.position else exc.lineno
        raise BpmnError(NOT_XML, line=line or 1, error=exc.msg or str(exc)) from None
    if tree.docinfo.doctype or tree.docinfo.internalDTD is not None:
        raise BpmnError(DOCTYPE)
    root = tree.getroot()
    if root.tag != _q("definitions"):
        raise BpmnError(NOT_BPMN, root=root.tag)
    processes = root.findall(_q("process"))
    if not processes:
        raise BpmnError(NO_PROCESS)
    for process in processes:
        name = process.get("id") or process.get("name") or "?"
        if process.find(_q("startEvent")) is None:
            raise BpmnError(NO_START, process=name)
        if process.find(_q("endEvent")) is None:
            raise BpmnError(NO_END, process=name)
    return root


def check(data):
    """Raise :class:`BpmnError` unless ``data`` is a BPMN 2.0 document with
    at least one process, each with a start and an end event."""
    parse(data)


def candidate_users(xml):
    """User codes the process's ``potentialOwner`` / ``humanPerformer``
    expressions name (``user(CODE)``), in order, once each."""
    try:
        root = parse(xml)
    except BpmnError:
        return []
    codes = []
    for tag in ("potentialOwner", "humanPerformer"):
        for role in root.iter(_q(tag)):
            for expression in role.iter(_q("formalExpression")):
                codes.extend(_USER_EXPR.findall(expression.text or ""))
    return list(dict.fromkeys(codes))
