"""Engine-flow payloads (spec part 1 §5.1, §5.2): the form schema built from
field descriptions, the bodies, their dependencies; accepted by the schema
rules and by the strict sandbox's state."""

import pytest

from aiflow_connector.protocol import bpmn, engine_flow, form_schema
from aiflow_connector.protocol.schema import validate
from aiflow_connector.sandbox.envelope import ApiError
from aiflow_connector.sandbox.state import SandboxState

FIELDS = [
    {"name": "partner_ref", "ttype": "char", "label": "客户编号", "required": True},
    {"name": "note", "ttype": "text", "label": "备注"},
    {"name": "description", "ttype": "html", "label": "说明"},
    {"name": "qty", "ttype": "integer", "label": "数量"},
    {"name": "weight", "ttype": "float", "label": "重量"},
    {"name": "amount_total", "ttype": "monetary", "label": "总金额", "required": True},
    {"name": "urgent", "ttype": "boolean", "label": "加急"},
    {"name": "date_order", "ttype": "date", "label": "订单日期"},
    {"name": "commitment", "ttype": "datetime", "label": "承诺时间"},
    {
        "name": "priority",
        "ttype": "selection",
        "label": "优先级",
        "selection": [("0", "普通"), ("1", "紧急")],
    },
    {
        "name": "partner_id",
        "ttype": "many2one",
        "label": "客户",
        "comodel": "res.partner",
        "records": [(7, "上海公司"), (9, "北京公司")],
    },
]


def test_each_field_type_makes_its_component():
    schema = form_schema.form_schema(FIELDS)
    assert schema["components"] == [
        {"type": "input", "name": "partner_ref", "label": "客户编号", "required": True},
        {"type": "textarea", "name": "note", "label": "备注", "required": False},
        {"type": "textarea", "name": "description", "label": "说明", "required": False},
        {"type": "number", "name": "qty", "label": "数量", "required": False},
        {"type": "number", "name": "weight", "label": "重量", "required": False},
        {"type": "number", "name": "amount_total", "label": "总金额", "required": True},
        {"type": "switch", "name": "urgent", "label": "加急", "required": False},
        {"type": "date", "name": "date_order", "label": "订单日期", "required": False},
        {"type": "datetime", "name": "commitment", "label": "承诺时间", "required": False},
        {
            "type": "select",
            "name": "priority",
            "label": "优先级",
            "required": False,
            "options": [{"label": "普通", "value": "0"}, {"label": "紧急", "value": "1"}],
        },
        {
            "type": "select",
            "name": "partner_id",
            "label": "客户",
            "required": False,
            "model": "res.partner",
            "options": [{"label": "上海公司", "value": 7}, {"label": "北京公司", "value": 9}],
            "optionsComplete": True,
        },
    ]


def test_many2one_options_stop_at_the_cap():
    cap = form_schema.MANY2ONE_OPTION_CAP
    records = [(n, f"R{n}") for n in range(1, cap + 2)]
    item = form_schema.component(
        {"name": "x_id", "ttype": "many2one", "label": "X", "comodel": "x", "records": records}
    )
    assert len(item["options"]) == cap
    assert item["options"][-1] == {"label": f"R{cap}", "value": cap}
    assert item["optionsComplete"] is False
    exact = form_schema.component(
        {"name": "x_id", "ttype": "many2one", "comodel": "x", "records": records[:cap]}
    )
    assert exact["optionsComplete"] is True
    assert exact["label"] == "x_id"  # no label: the technical name


def test_fields_that_make_no_component_are_refused():
    for ttype in ("one2many", "many2many", "binary", "reference"):
        with pytest.raises(ValueError):
            form_schema.component({"name": "f", "ttype": ttype})


def test_bodies_pass_the_spec_rules_and_the_sandbox():
    schema = form_schema.form_schema(FIELDS)
    xml = bpmn.linear_process("SALES", "销售审批", [{"name": "审批", "user_codes": ["E1"]}])
    definition = engine_flow.flow_definition("SALES", "销售审批", schema, xml)
    validate(engine_flow.FLOW_CREATE, definition)
    validate(engine_flow.FLOW_UPDATE, definition)
    publish = engine_flow.flow_publish("SALES", 1, None)
    assert publish == {"flowCode": "SALES", "flowVersion": 1, "updateDesc": ""}
    state = SandboxState()
    assert state.apply("flow_create", definition) == {"flowCode": "SALES", "flowVersion": 1}
    assert state.apply("flow_publish", publish) == {"success": True}
    for kind in (engine_flow.CREATE, engine_flow.UPDATE, engine_flow.DELETE):
        body = engine_flow.form_sync("SALES", "销售审批", schema, kind)
        validate(engine_flow.FORM_SYNC, body)
        assert state.apply("form_sync", body) == {"success": True}
    # the sandbox refuses an UPDATE of a form it does not have
    with pytest.raises(ApiError):
        state.apply("form_sync", engine_flow.form_sync("SALES", "x", schema, engine_flow.UPDATE))
    with pytest.raises(ValueError):
        engine_flow.form_sync("SALES", "x", schema, "UPSERT")


def test_dependencies_name_the_process_people_and_the_creation():
    xml = bpmn.linear_process(
        "SALES",
        "S",
        [{"name": "a", "user_codes": ["E1", "E2"]}, {"name": "b", "user_codes": ["E1"]}],
    )
    item = engine_flow.flow_definition("SALES", "S", {"components": []}, xml)
    assert engine_flow.create_dependencies(item) == [("user_sync", "E1"), ("user_sync", "E2")]
    assert engine_flow.update_dependencies(item) == [
        ("flow_create", "SALES"),
        ("user_sync", "E1"),
        ("user_sync", "E2"),
    ]
    assert engine_flow.publish_dependencies(engine_flow.flow_publish("SALES", 2)) == [
        ("flow_create", "SALES"),
        ("flow_update", "SALES"),
    ]
    assert engine_flow.flow_key(item) == "SALES"
    assert engine_flow.form_key({"formCode": "SALES"}) == "SALES"
