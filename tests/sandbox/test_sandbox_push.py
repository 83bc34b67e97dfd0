"""The sandbox pushing signed workflow events and approval logs to Odoo."""

import json

import pytest
import requests

from aiflow_connector.protocol.signing import Signer

EVENT = {
    "orderId": 123456,
    "businessKey": "SALES_ORDER_20250124001",
    "taskId": "TASK001",
    "taskName": "部门经理审批",
    "action": "COMPLETE",
    "handlerUserCode": "USER002",
    "handleTime": "2025-01-24 15:30:00",
}
LOG = {
    "orderId": 123456,
    "businessKey": "SALES_ORDER_20250124001",
    "logs": [
        {
            "taskId": "TASK001",
            "taskName": "部门经理审批",
            "handlerUserCode": "USER002",
            "handleResult": "APPROVED",
            "handleTime": "2025-01-24 15:30:00",
        }
    ],
}


def test_workflow_event_is_signed_over_the_exact_bytes(linked_sandbox, fake_odoo):
    result = linked_sandbox.push_workflow_event(EVENT)
    assert result["httpStatus"] == 200
    assert result["response"] == {"status": 0, "msg": "success", "data": {"success": True}}
    (received,) = fake_odoo.received("/odoo/api/workflow/receive")
    assert json.loads(received["body"]) == EVENT
    assert Signer(linked_sandbox.credential).verify(
        received["body"], received["headers"]["A-Signature"]
    )
    assert received["headers"]["Content-Type"] == "application/json"
    (push,) = linked_sandbox.state["pushes"]
    assert (push["kind"], push["httpStatus"], push["body"]) == ("workflow", 200, EVENT)


def test_the_spec_vector_event_gets_the_spec_signature(linked_sandbox, fake_odoo):
    raw = (
        '{"orderId":123456,"businessKey":"SALES_ORDER_20250124001","taskId":"TASK001",'
        '"taskName":"部门经理审批","action":"COMPLETE"}'
    )
    linked_sandbox.push_workflow_event(raw)
    (received,) = fake_odoo.received("/odoo/api/workflow/receive")
    assert received["body"] == raw.encode()
    assert received["headers"]["A-Signature"] == (
        "fb30c84f17cf31433ae64e7a029a7c90b775aa8f5261ec8dbe22f463aff9c62f"
    )


def test_secret_override_makes_a_wrong_signature(linked_sandbox, fake_odoo):
    result = linked_sandbox.push_workflow_event(EVENT, secret="not_the_secret")
    assert result["httpStatus"] == 403
    assert result["response"]["data"]["errorCode"] == "INVALID_SIGNATURE"
    assert result["signedWithOtherSecret"] is True
    (received,) = fake_odoo.received("/odoo/api/workflow/receive")
    assert not Signer(linked_sandbox.credential).verify(
        received["body"], received["headers"]["A-Signature"]
    )


def test_approval_log_goes_to_its_endpoint(linked_sandbox, fake_odoo):
    result = linked_sandbox.push_approval_log(LOG)
    assert result["httpStatus"] == 200
    (received,) = fake_odoo.received("/odoo/api/workflow/approval/log")
    assert json.loads(received["body"]) == LOG
    assert fake_odoo.received("/odoo/api/workflow/receive") == []


def test_http_push_routes_forward_bytes_signed(linked_sandbox, fake_odoo):
    raw = json.dumps(EVENT, ensure_ascii=False, indent=1).encode()
    answer = requests.post(
        linked_sandbox.url + "/sandbox/push/workflow", data=raw, timeout=5
    ).json()
    assert answer["status"] == 0
    assert answer["data"]["httpStatus"] == 200
    (received,) = fake_odoo.received("/odoo/api/workflow/receive")
    assert received["body"] == raw

    answer = requests.post(
        linked_sandbox.url + "/sandbox/push/approval_log",
        params={"secret": "wrong"},
        json=LOG,
        timeout=5,
    ).json()
    assert answer["data"]["httpStatus"] == 403
    assert len(fake_odoo.received("/odoo/api/workflow/approval/log")) == 1


def test_malformed_event_is_sent_as_is(linked_sandbox, fake_odoo):
    linked_sandbox.push_workflow_event(b'{"orderId": ')
    (received,) = fake_odoo.received("/odoo/api/workflow/receive")
    assert received["body"] == b'{"orderId": '
    assert Signer(linked_sandbox.credential).verify(
        received["body"], received["headers"]["A-Signature"]
    )


def test_unreachable_odoo(sandbox):
    with pytest.raises(requests.ConnectionError):
        sandbox.push_workflow_event(EVENT)
    response = requests.post(sandbox.url + "/sandbox/push/workflow", json=EVENT, timeout=10)
    assert response.status_code == 502
    assert response.json()["data"]["errorCode"] == "UPSTREAM_UNREACHABLE"
    assert [p.get("error") for p in sandbox.state["pushes"]] == [
        "ConnectionError",
        "ConnectionError",
    ]
