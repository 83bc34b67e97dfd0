"""Every aiflow API call must carry a valid A-Signature over the raw body."""

import json

import pytest
import requests

from aiflow_connector.protocol.signing import Signer
from conftest import signed_post

from .payloads import PATHS, VALID, department

DEPT_PATH = PATHS["department_sync"]


def _assert_signature_refused(response, sandbox):
    assert response.status_code == 403
    body = response.json()
    assert body["status"] == -4002
    assert body["msg"] == "签名验证失败"
    assert body["data"]["errorCode"] == "INVALID_SIGNATURE"
    assert sandbox.state["departments"] == {}


def test_wrong_secret_is_refused(sandbox):
    response = signed_post(sandbox, DEPT_PATH, {"departments": [department("D1")]}, secret="not_it")
    _assert_signature_refused(response, sandbox)
    assert "does not match" in response.json()["data"]["errorMessage"]


def test_tampered_body_is_refused(sandbox):
    original = json.dumps(
        {"departments": [department("D1", name="技术部")]}, ensure_ascii=False
    ).encode()
    signature = Signer(sandbox.credential).sign(original)
    tampered = original.replace("技术部".encode(), "财务部".encode())
    response = requests.post(
        sandbox.url + DEPT_PATH,
        data=tampered,
        headers={"Content-Type": "application/json", "A-Signature": signature},
        timeout=5,
    )
    _assert_signature_refused(response, sandbox)


def test_reserialised_body_is_refused(sandbox):
    # Same JSON value, different bytes: the signature covers bytes, not meaning.
    payload = {"departments": [department("D1")]}
    signature = Signer(sandbox.credential).sign(json.dumps(payload))
    response = requests.post(
        sandbox.url + DEPT_PATH,
        data=json.dumps(payload, separators=(",", ":")).encode(),
        headers={"Content-Type": "application/json", "A-Signature": signature},
        timeout=5,
    )
    _assert_signature_refused(response, sandbox)


def test_missing_header_is_refused(sandbox):
    response = requests.post(
        sandbox.url + DEPT_PATH,
        data=json.dumps({"departments": [department("D1")]}).encode(),
        headers={"Content-Type": "application/json"},
        timeout=5,
    )
    _assert_signature_refused(response, sandbox)
    assert "missing" in response.json()["data"]["errorMessage"]
    call = sandbox.calls[-1]
    assert call["signatureValid"] is False and call["httpStatus"] == 403


@pytest.mark.parametrize("name", sorted(PATHS))
def test_every_endpoint_checks_the_signature(sandbox, name):
    method = "PUT" if name == "flow_update" else "POST"
    response = signed_post(sandbox, PATHS[name], VALID[name](), secret="wrong", method=method)
    assert response.status_code == 403
    assert response.json()["data"]["errorCode"] == "INVALID_SIGNATURE"


def test_uppercase_signature_is_accepted(sandbox):
    raw = json.dumps({"departments": [department("D1")]}).encode()
    signature = Signer(sandbox.credential).sign(raw).upper()
    response = requests.post(
        sandbox.url + DEPT_PATH,
        data=raw,
        headers={"Content-Type": "application/json", "A-Signature": signature},
        timeout=5,
    )
    assert response.json()["status"] == 0
    assert "D1" in sandbox.state["departments"]


def test_signed_body_must_be_sent_as_json(sandbox):
    response = signed_post(
        sandbox, DEPT_PATH, {"departments": []}, headers={"Content-Type": "text/plain"}
    )
    assert response.status_code == 415
    assert response.json()["status"] == -4002
    assert response.json()["data"]["errorCode"] == "UNSUPPORTED_MEDIA_TYPE"
