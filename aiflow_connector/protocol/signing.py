"""A-Signature: the one place where aiflow requests are signed and verified.

Built-in rule (DESIGN.md, "Shared contracts"):

    lowercase hex(HMAC-SHA256(app_secret,
                              enterprise_code + "\\n" + app_id + "\\n" + raw_body))

The vendor SDK (``aflow-client-python``, ``from auth import ASign, Credential``)
keeps its algorithm private; where it is installed and chosen, signing is
delegated to it so that both sides agree whatever the SDK does.
"""

import hmac
from dataclasses import dataclass

from Crypto.Hash import HMAC, SHA256

SIGNATURE_HEADER = "A-Signature"
METHOD_BUILTIN = "builtin"
METHOD_SDK = "sdk"


class VendorSdkUnavailable(RuntimeError):
    """The vendor SDK was chosen but cannot be imported."""


@dataclass(frozen=True)
class Credential:
    enterprise_code: str
    app_id: str
    app_secret: str

    def __repr__(self):
        # Keeps the secret out of logs and tracebacks.
        return (
            f"Credential(enterprise_code={self.enterprise_code!r}, "
            f"app_id={self.app_id!r}, app_secret='***')"
        )


def _as_bytes(body):
    if body is None:
        return b""
    if isinstance(body, str):
        return body.encode("utf-8")
    return bytes(body)


def builtin_signature(credential, body):
    """Hex signature of ``body`` (bytes or str) under the built-in rule."""
    prefix = f"{credential.enterprise_code}\n{credential.app_id}\n".encode()
    mac = HMAC.new(credential.app_secret.encode("utf-8"), digestmod=SHA256)
    mac.update(prefix + _as_bytes(body))
    return mac.hexdigest().lower()


def vendor_sdk_error():
    """None when the vendor SDK can be imported, else why it cannot."""
    try:
        from auth import ASign  # noqa: F401
    except Exception as exc:  # any import-time failure makes it unusable
        return f"{type(exc).__name__}: {exc}"
    return None


def sdk_signature(credential, body):
    try:
        from auth import ASign
        from auth import Credential as SdkCredential
    except Exception as exc:
        raise VendorSdkUnavailable(str(exc)) from exc
    sdk_credential = SdkCredential(
        enterprise_code=credential.enterprise_code,
        app_id=credential.app_id,
        app_secret=credential.app_secret,
    )
    return ASign.get_hex_signature(sdk_credential, _as_bytes(body).decode("utf-8")).lower()


class Signer:
    """Signs and verifies with one credential and one method."""

    def __init__(self, credential, method=METHOD_BUILTIN):
        if method not in (METHOD_BUILTIN, METHOD_SDK):
            raise ValueError(f"unknown signing method {method!r}")
        self.credential = credential
        self.method = method

    def sign(self, body):
        if self.method == METHOD_SDK:
            return sdk_signature(self.credential, body)
        return builtin_signature(self.credential, body)

    def verify(self, body, signature):
        """True when ``signature`` matches ``body``; constant-time, any case."""
        if not signature or not isinstance(signature, str):
            return False
        expected = self.sign(body)
        given = signature.strip().lower()
        # compare_digest needs ASCII str; a non-ASCII header is simply wrong.
        if not given.isascii():
            return False
        return hmac.compare_digest(expected, given)
