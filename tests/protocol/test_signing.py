"""The A-Signature rule of DESIGN.md, checked against its published test vectors."""

import pytest

from aiflow_connector.protocol.signing import Credential, Signer

CREDENTIAL = Credential("COMPANY001", "APP001", "your_app_secret")

VECTORS = [
    (
        '{"departments": [{"deptId": "DEPT001", "deptName": "技术部", "parentId": "", '
        '"orderNum": 100, "status": 1}]}',
        "b0423225c3820f69babf4ca7c244f396332f65c11b08337c7bbbf21207a7d559",
    ),
    ("", "64cbd2ccc46433f19991fc81f7a900f61a413b6dbc91d8bebf6be6b4a7557818"),
    (
        '{"orderId":123456,"businessKey":"SALES_ORDER_20250124001","taskId":"TASK001",'
        '"taskName":"部门经理审批","action":"COMPLETE"}',
        "fb30c84f17cf31433ae64e7a029a7c90b775aa8f5261ec8dbe22f463aff9c62f",
    ),
]


@pytest.mark.parametrize("body, expected", VECTORS)
def test_design_vectors_sign_from_str_and_bytes(body, expected):
    signer = Signer(CREDENTIAL)
    assert signer.sign(body) == expected
    assert signer.sign(body.encode("utf-8")) == expected


def test_none_body_signs_like_empty_body():
    assert Signer(CREDENTIAL).sign(None) == VECTORS[1][1]


@pytest.mark.parametrize("body, expected", VECTORS)
def test_design_vectors_verify_in_any_case(body, expected):
    signer = Signer(CREDENTIAL)
    assert signer.verify(body.encode("utf-8"), expected)
    assert signer.verify(body.encode("utf-8"), expected.upper())


@pytest.mark.parametrize("body, expected", [v for v in VECTORS if v[0]])
def test_one_changed_body_byte_fails_verify(body, expected):
    raw = bytearray(body.encode("utf-8"))
    for position in (0, len(raw) // 2, len(raw) - 1):
        tampered = bytearray(raw)
        tampered[position] ^= 0x01
        assert not Signer(CREDENTIAL).verify(bytes(tampered), expected)


def test_appended_byte_fails_verify():
    _empty, expected = VECTORS[1]
    assert not Signer(CREDENTIAL).verify(b" ", expected)


@pytest.mark.parametrize(
    "credential",
    [
        Credential("COMPANY001", "APP001", "your_app_secreT"),
        Credential("COMPANY001", "APP002", "your_app_secret"),
        Credential("COMPANY002", "APP001", "your_app_secret"),
        # the separator matters: moving a character across it changes the signature
        Credential("COMPANY00", "1APP001", "your_app_secret"),
    ],
    ids=["secret", "app_id", "enterprise_code", "shifted_separator"],
)
def test_other_credential_fails_verify(credential):
    for body, expected in VECTORS:
        assert not Signer(credential).verify(body, expected)


@pytest.mark.parametrize("signature", ["", None, "é" * 64, "b0423225c3820f69", 12345, b"\x00" * 32])
def test_unusable_signatures_are_refused(signature):
    body, _expected = VECTORS[0]
    assert not Signer(CREDENTIAL).verify(body, signature)


def test_signature_is_lowercase_hex_of_sha256_length():
    signature = Signer(CREDENTIAL).sign(b'{"a":1}')
    assert len(signature) == 64
    assert signature == signature.lower()
    int(signature, 16)


def test_credential_repr_hides_the_secret():
    assert "your_app_secret" not in repr(CREDENTIAL)


def test_unknown_method_is_refused():
    with pytest.raises(ValueError):
        Signer(CREDENTIAL, method="md5")
