"""Why a TLS handshake failed, in a few words instead of urllib3's chain.

``requests`` reports a failed handshake as ``SSLError(MaxRetryError(
"HTTPSConnectionPool(host=..., port=...): Max retries exceeded with url: ...
(Caused by SSLError(SSLCertVerificationError(1, '[SSL:
CERTIFICATE_VERIFY_FAILED] certificate verify failed: self-signed certificate
(_ssl.c:1006)')))"))``.  :func:`tls_problem` digs out the :class:`ssl.SSLError`
at the bottom and returns ``(code, detail)``: a ``TLS_*`` code the Odoo layer
translates, and OpenSSL's own short words for what has no code of its own.
"""

import ssl

TLS_SELF_SIGNED = "self_signed"
TLS_EXPIRED = "expired"
TLS_UNKNOWN_ISSUER = "unknown_issuer"
TLS_HOSTNAME_MISMATCH = "hostname_mismatch"
TLS_CERTIFICATE = "certificate"  # another verification failure: detail says which
TLS_NOT_TLS = "not_tls"  # the server does not speak TLS: http:// behind https://
TLS_OTHER = "other"  # detail: OpenSSL's reason

# Words of OpenSSL's verify message -> code, first match wins.
_VERIFY_CODES = (
    ("self-signed", TLS_SELF_SIGNED),
    ("self signed", TLS_SELF_SIGNED),
    ("expired", TLS_EXPIRED),
    ("unable to get local issuer", TLS_UNKNOWN_ISSUER),
    ("unable to get issuer", TLS_UNKNOWN_ISSUER),
    ("mismatch", TLS_HOSTNAME_MISMATCH),
    ("doesn't match", TLS_HOSTNAME_MISMATCH),
)
# OpenSSL reasons seen when the other end answers in plain HTTP.
_NOT_TLS_REASONS = (
    "WRONG_VERSION_NUMBER",
    "RECORD_LAYER_FAILURE",
    "PACKET_LENGTH_TOO_LONG",
    "UNKNOWN_PROTOCOL",
    "HTTP_REQUEST",
)

# English, for logs and the protocol's own error messages.
ENGLISH = {
    TLS_SELF_SIGNED: "certificate verify failed: self-signed certificate",
    TLS_EXPIRED: "certificate verify failed: certificate has expired",
    TLS_UNKNOWN_ISSUER: "certificate verify failed: unknown issuer "
    "(unable to get local issuer certificate)",
    TLS_HOSTNAME_MISMATCH: "certificate verify failed: the certificate is not for this host",
    TLS_CERTIFICATE: "certificate verify failed: {detail}",
    TLS_NOT_TLS: "wrong version number (is it http:// instead of https://?)",
    TLS_OTHER: "{detail}",
}


def _causes(exc, seen=None):
    """``exc`` and every exception it wraps (args, urllib3's ``reason``,
    ``__cause__`` / ``__context__``), depth first."""
    seen = seen if seen is not None else set()
    if not isinstance(exc, BaseException) or id(exc) in seen:
        return
    seen.add(id(exc))
    yield exc
    inner = [*exc.args, getattr(exc, "reason", None), exc.__cause__, exc.__context__]
    for candidate in inner:
        yield from _causes(candidate, seen)


def _short(text, limit=160):
    text = " ".join(str(text).split())
    return text if len(text) <= limit else text[: limit - 3] + "..."


def _openssl_words(error):
    """``sslv3 alert handshake failure`` out of ``[SSL: X] sslv3 alert
    handshake failure (_ssl.c:1006)``."""
    text = next((arg for arg in error.args if isinstance(arg, str)), "") or str(error)
    if text.startswith("[") and "] " in text:
        text = text.split("] ", 1)[1]
    return _short(text.split(" (_ssl.c")[0]) or (getattr(error, "reason", None) or "")


def tls_problem(exc):
    """``(code, detail)`` for a TLS failure ``exc`` (any wrapper of it)."""
    ssl_errors = [cause for cause in _causes(exc) if isinstance(cause, ssl.SSLError)]
    for error in ssl_errors:
        verify_message = getattr(error, "verify_message", None)
        if isinstance(error, ssl.SSLCertVerificationError) or verify_message:
            message = verify_message or ""
            for words, code in _VERIFY_CODES:
                if words in message.lower():
                    return code, message
            return TLS_CERTIFICATE, _short(message) if message else _openssl_words(error)
    for error in ssl_errors:
        reason = getattr(error, "reason", None) or ""
        if reason in _NOT_TLS_REASONS:
            return TLS_NOT_TLS, reason
    # No ssl.SSLError kept (some libraries pass only text): read the words.
    text = str(exc)
    lowered = text.lower()
    if "certificate verify failed" in lowered:
        after = text[
            lowered.index("certificate verify failed") + len("certificate verify failed") :
        ]
        message = after.lstrip(": ").split("(_ssl.c")[0].split("')")[0].strip()
        for words, code in _VERIFY_CODES:
            if words in message.lower():
                return code, message
        return TLS_CERTIFICATE, _short(message)
    if "wrong version number" in lowered or "record layer failure" in lowered:
        return TLS_NOT_TLS, ""
    if ssl_errors:
        error = ssl_errors[-1]
        return TLS_OTHER, _openssl_words(error)
    return TLS_OTHER, _short(text)


def describe(code, detail):
    """The problem in English."""
    return ENGLISH[code].format(detail=detail)
