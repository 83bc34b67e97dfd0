"""The shipped OpenAPI 3.1 description: up to date, valid, and saying what the
payload rules enforce (generated bodies are judged by both and must agree)."""

import copy
import json
from pathlib import Path

import pytest
from hypothesis import HealthCheck, assume, given, settings
from jsonschema import Draft202012Validator
from openapi_spec_validator import OpenAPIV31SpecValidator

from aiflow_connector.protocol import (
    json_schema,
    oauth2,
    oauth2_token,
    openapi,
    openapi_oauth2,
    schema,
)
from aiflow_connector.protocol.errors import PayloadError

schemathesis = pytest.importorskip("schemathesis")

REPO = Path(__file__).resolve().parents[2]
SHIPPED = REPO / openapi.SHIPPED_PATH
DOC = openapi.document()
WEBHOOK_BODIES = {"workflow_event": "WorkflowEvent", "approval_log_event": "ApprovalLogs"}

VALID = {
    "workflow_event": {
        "orderId": 123456,
        "businessKey": "SALES_ORDER_20250124001",
        "taskId": "TASK001",
        "taskName": "部门经理审批",
        "action": "COMPLETE",
        "formData": {"amount": 10000},
        "processVariables": {"v": 1},
        "handlerUserCode": "U001",
        "handleTime": "2025-01-24 15:30:00",
    },
    "approval_log_event": {
        "orderId": 123456,
        "businessKey": "SALES_ORDER_20250124001",
        "logs": [
            {
                "taskId": "TASK001",
                "taskName": "部门经理审批",
                "handlerUserCode": "U001",
                "handleResult": "APPROVED",
                "handleComment": "同意",
                "handleTime": "2025-01-24 15:30:00",
                "formData": {"comment": "ok"},
            }
        ],
    },
}


def body_validator(endpoint_name):
    """A JSON Schema validator of the document's body schema for ``endpoint_name``."""
    body = DOC["components"]["schemas"][WEBHOOK_BODIES[endpoint_name]]
    return Draft202012Validator(body)


def rules_accept(endpoint_name, payload):
    try:
        schema.validate(endpoint_name, payload)
    except PayloadError:
        return False
    return True


# ---------------------------------------------------------------- the file


def test_shipped_file_is_the_generated_document():
    # Fails when schema.py or openapi.py changed without `python scripts/openapi.py`.
    assert SHIPPED.read_text(encoding="utf-8") == openapi.render()


def test_document_is_valid_openapi_3_1():
    shipped = json.loads(SHIPPED.read_text(encoding="utf-8"))
    assert shipped["openapi"].startswith("3.1.")
    errors = list(OpenAPIV31SpecValidator(shipped).iter_errors())
    assert errors == []


def test_an_invalid_document_is_caught_by_the_validator():
    # The check above proves something: an apiKey scheme without its header
    # name, a response without description and a bad JSON Schema type are reported.
    broken = copy.deepcopy(DOC)
    del broken["components"]["securitySchemes"]["aSignature"]["name"]
    assert list(OpenAPIV31SpecValidator(broken).iter_errors())
    broken = copy.deepcopy(DOC)
    broken["paths"]["/odoo/api/oauth2/token"]["post"]["responses"]["200"] = {"content": {}}
    assert list(OpenAPIV31SpecValidator(broken).iter_errors())
    broken = copy.deepcopy(DOC)
    broken["components"]["schemas"]["Envelope"]["type"] = "envelope"
    assert list(OpenAPIV31SpecValidator(broken).iter_errors())


def test_schemathesis_loads_the_five_endpoints():
    loaded = schemathesis.openapi.from_path(str(SHIPPED))
    labels = {op.ok().label for op in loaded.get_all_operations()}
    assert {
        "GET /odoo/api/oauth2/authorize",
        "POST /odoo/api/oauth2/token",
        "GET /odoo/api/oauth2/userinfo",
        "POST /odoo/api/oauth2/userinfo",
        "POST /odoo/api/workflow/receive",
        "POST /odoo/api/workflow/approval/log",
    } <= labels
    assert {label.split(" ", 1)[1] for label in labels} == {
        "/odoo/api/oauth2/authorize",
        "/odoo/api/oauth2/token",
        "/odoo/api/oauth2/userinfo",
        "/odoo/api/workflow/receive",
        "/odoo/api/workflow/approval/log",
    }


def test_webhook_paths_are_the_inbound_endpoints_of_the_rules():
    inbound = {e.path: e.name for e in schema.ENDPOINTS.values() if e.direction == schema.INBOUND}
    assert {path: names[0] for path, names in openapi.WEBHOOKS.items()} == inbound


def test_webhook_answers_follow_the_contract_table():
    for path in openapi.WEBHOOKS:
        post = DOC["paths"][path]["post"]
        assert set(post["responses"]) == {"200", "400", "403", "413"}
        assert post["security"] == [{"aSignature": []}]
        for method in ("get", "put", "patch", "delete"):
            assert set(DOC["paths"][path][method]["responses"]) == {"405"}
    scheme = DOC["components"]["securitySchemes"]["aSignature"]
    assert scheme == {**scheme, "type": "apiKey", "in": "header", "name": "A-Signature"}
    schemas = DOC["components"]["schemas"]
    envelope = Draft202012Validator(schemas["Envelope"])
    assert envelope.is_valid({"status": 0, "msg": "success", "data": None})
    assert not envelope.is_valid({"status": 0, "msg": "success"})  # data is always there
    assert not envelope.is_valid({"status": 500, "msg": "x", "data": None})
    assert not envelope.is_valid({"status": 0, "msg": "x", "data": None, "trace": "..."})


def resolve(name, instance):
    """Validate ``instance`` against component ``name`` with the document's refs."""
    root = {**DOC["components"]["schemas"][name], "components": DOC["components"]}
    return Draft202012Validator(root).is_valid(instance)


@pytest.mark.parametrize(
    "name, instance, ok",
    [
        ("SignatureFailed", {"status": -4002, "msg": "签名验证失败", "data": None}, True),
        ("SignatureFailed", {"status": -4002, "msg": "signature failed", "data": None}, False),
        ("Applied", {"status": 0, "msg": "success", "data": {"success": True, "eventId": 7}}, True),
        (
            "Applied",
            {
                "status": 0,
                "msg": "success",
                "data": {"success": True, "eventId": 7, "duplicate": True},
            },
            True,
        ),
        ("Applied", {"status": 0, "msg": "success", "data": {"success": True}}, False),
        ("NotApplied", {"status": -1024, "msg": "not now", "data": {"eventId": 7}}, True),
        ("NotApplied", {"status": -1024, "msg": "unknown businessKey", "data": None}, False),
        ("Rejected", {"status": -4002, "msg": "orderId: missing", "data": None}, True),
        ("Rejected", {"status": 0, "msg": "orderId: missing", "data": None}, False),
        ("MethodNotAllowed", {"status": -4001, "msg": "only POST", "data": None}, True),
    ],
)
def test_answer_schemas(name, instance, ok):
    assert resolve(name, instance) is ok


def test_oauth_errors_cover_every_error_the_token_and_userinfo_endpoints_answer():
    codes = {value for key, value in vars(oauth2).items() if key.startswith("ERROR_")}
    # These two only travel in the authorize redirect's query, never as JSON.
    redirect_only = {oauth2.ERROR_ACCESS_DENIED, oauth2.ERROR_UNSUPPORTED_RESPONSE_TYPE}
    assert set(openapi_oauth2.OAUTH_ERRORS) == codes - redirect_only


def test_token_answers_are_the_dialects_of_protocol_oauth2():
    token = "t" * 43
    as_json = oauth2_token.token_response(oauth2_token.DIALECT_JSON, token, token, 3600, "basic")
    as_form = oauth2_token.token_response(oauth2_token.DIALECT_FORM, token, token, 3600, "basic")
    assert resolve("TokenResponseJson", as_json) and not resolve("TokenResponseForm", as_json)
    assert resolve("TokenResponseForm", as_form) and not resolve("TokenResponseJson", as_form)
    error = oauth2.invalid_grant("The authorization code is invalid.").body()
    assert resolve("OAuthError", error)
    assert not resolve("OAuthError", {"error": "server_error", "error_description": "x"})


# ---------------------------------------------------------------- body schemas


@pytest.mark.parametrize("name", sorted(WEBHOOK_BODIES))
def test_sample_bodies_are_valid_for_both(name):
    assert rules_accept(name, VALID[name])
    assert body_validator(name).is_valid(VALID[name])


def mutations(name):
    """Bodies every rule refuses: (path, replacement) applied to VALID[name]."""
    prefix = "logs.0." if name == "approval_log_event" else ""
    endpoint = schema.ENDPOINTS[name]
    fields = endpoint.fields
    if prefix:
        fields = next(f for f in fields if f.name == "logs").item.fields
    yield from (("orderId", bad) for bad in (None, "1", True, 2**63, -(2**63) - 1, []))
    for rule in fields:
        if rule.required:
            yield prefix + rule.name, DELETE
            yield prefix + rule.name, None
        if rule.kind == schema.STRING and rule.required:
            yield prefix + rule.name, "   "
            yield prefix + rule.name, 5
        if rule.kind == schema.TIME:
            for bad in ("2025-1-24 15:30:00", "２０２５-01-24 15:30:00", "", "2025-01-24T15:30:00"):
                yield prefix + rule.name, bad
        if rule.kind == schema.OBJECT:
            yield prefix + rule.name, ["not", "an", "object"]
    if name == "workflow_event":
        yield "action", "APPROVE"
        yield "action", "start"
    else:
        yield "logs", {}
        yield "logs", [None]
        yield "logs", ["log"]


DELETE = object()


def mutated(payload, path, value):
    payload = copy.deepcopy(payload)
    target = payload
    steps = path.split(".")
    for step in steps[:-1]:
        target = target[int(step)] if step.isdigit() else target[step]
    if value is DELETE:
        del target[steps[-1]]
    else:
        target[steps[-1]] = value
    return payload


@pytest.mark.parametrize("name", sorted(WEBHOOK_BODIES))
def test_what_the_rules_refuse_the_schema_refuses(name):
    validator = body_validator(name)
    checked = 0
    for path, value in mutations(name):
        body = mutated(VALID[name], path, value)
        assert not rules_accept(name, body), (path, value)
        assert not validator.is_valid(body), (path, value)
        checked += 1
    assert checked > 20


@pytest.mark.parametrize("name", sorted(WEBHOOK_BODIES))
def test_edges_agree(name):
    validator = body_validator(name)
    for value in (2**63 - 1, -(2**63), 0):
        body = mutated(VALID[name], "orderId", value)
        assert rules_accept(name, body) and validator.is_valid(body)
    optional = mutated(VALID[name], "businessKey", "B")
    extra = {**optional, "somethingNew": {"x": 1}}  # unknown fields are allowed
    assert rules_accept(name, extra) and validator.is_valid(extra)


def test_what_json_schema_cannot_say_is_documented():
    # The two known differences, both refused by the rules only.
    impossible = mutated(VALID["workflow_event"], "handleTime", "2025-02-30 10:00:00")
    float_id = mutated(VALID["workflow_event"], "orderId", 1.0)
    validator = body_validator("workflow_event")
    for body in (impossible, float_id):
        assert validator.is_valid(body) and not rules_accept("workflow_event", body)
    assert (
        "real date and time"
        in json_schema.field_schema(schema.opt("t", schema.TIME))["description"]
    )
    assert "1.0" in DOC["info"]["description"]


def generated_bodies(label):
    loaded = schemathesis.openapi.from_path(str(SHIPPED))
    method, path = label.split(" ", 1)
    return loaded[path][method].as_strategy()


def only_known_differences(name, body, error):
    """True when the rules refused a schema-valid body for a documented reason."""
    if "no such date or time" in error.problem:
        return True
    # a NUL inside a free-form Object (formData...): said in its description
    if schema.NUL_PROBLEM in error.problem and (
        "formData" in error.field or "processVariables" in error.field
    ):
        return True
    # JSON Schema's integer includes 0.0; the rules refuse it (Java would).
    return error.problem.endswith("got Number") and (
        "expected Integer" in error.problem or "expected Long" in error.problem
    )


@pytest.mark.parametrize(
    "name, label",
    [
        ("workflow_event", "POST /odoo/api/workflow/receive"),
        ("approval_log_event", "POST /odoo/api/workflow/approval/log"),
    ],
)
def test_bodies_generated_from_the_description_pass_the_rules(name, label):
    accepted = []

    @settings(
        max_examples=100,
        derandomize=True,
        deadline=None,
        database=None,
        suppress_health_check=list(HealthCheck),
    )
    @given(case=generated_bodies(label))
    def check(case):
        body = case.body
        # The generator's regex engine may disagree with Python's on what \S
        # matches (it produced "\x1f", which Python counts as blank): judge
        # only bodies that the schema itself accepts.
        assume(body_validator(name).is_valid(body))
        try:
            schema.validate(name, body)
        except PayloadError as error:
            assert only_known_differences(name, body, error), (body, error)
        else:
            accepted.append(json.dumps(body, sort_keys=True))

    check()
    # The rules accepted many different generated bodies, not one over and over.
    assert len(set(accepted)) >= 10
