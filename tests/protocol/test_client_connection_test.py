"""What the connection test reports, in the protocol layer: short limits that
say which one ran out, answers from servers that are not aiflow, aiflow's own
words kept apart, URLs that cannot be used, TLS failures in a few words."""

import datetime
import ipaddress
import ssl
import threading
import time
from http.server import BaseHTTPRequestHandler, HTTPServer

import pytest
import requests
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from aiflow_connector.protocol import tls_problem
from aiflow_connector.protocol.client import (
    CONNECTION_TEST_CONNECT_TIMEOUT,
    CONNECTION_TEST_READ_TIMEOUT,
    AiflowClient,
)
from aiflow_connector.protocol.errors import (
    CAUSE_CONNECT_TIMEOUT,
    CAUSE_READ_TIMEOUT,
    REASON_INVALID_URL,
    REASON_NOT_AIFLOW,
    REASON_REJECTED,
    REASON_TIMEOUT,
    REASON_TLS,
    AiflowError,
    PermanentError,
    RetryableError,
)
from aiflow_connector.protocol.signing import Credential, Signer
from aiflow_connector.sandbox.silent import silent_server, unaccepting_server

from .test_client_local import envelope, server  # noqa: F401  (fixture)

SECRET = "s3cr3t-never-shown"
SIGNER = Signer(Credential("COMPANY001", "APP001", SECRET))


# -- limits ----------------------------------------------------------------------
def test_connection_test_limits_are_short_and_never_longer_than_configured():
    seen = []

    class Session(requests.Session):
        def send(self, *args, **kwargs):
            seen.append(kwargs["timeout"])
            raise requests.exceptions.ConnectTimeout("timed out")

    for configured, expected in (
        ((5, 30), (CONNECTION_TEST_CONNECT_TIMEOUT, CONNECTION_TEST_READ_TIMEOUT)),
        ((1, 2), (1.0, 2.0)),
        ((60, 4), (CONNECTION_TEST_CONNECT_TIMEOUT, 4.0)),
    ):
        client = AiflowClient("http://aiflow.invalid", SIGNER, *configured, session=Session())
        with pytest.raises(RetryableError):
            client.connection_test()
        assert seen[-1] == expected
        with pytest.raises(RetryableError):
            client.ping()  # the sync keeps the configured limits
        assert seen[-1] == tuple(float(value) for value in configured)
    assert CONNECTION_TEST_CONNECT_TIMEOUT <= 3 and CONNECTION_TEST_READ_TIMEOUT <= 5


def test_a_server_that_accepts_and_never_answers_hits_the_read_limit():
    with silent_server() as url, AiflowClient(url, SIGNER, 5, 30) as client:
        started = time.monotonic()
        with pytest.raises(RetryableError) as caught:
            client.connection_test()
        elapsed = time.monotonic() - started
    error = caught.value
    assert error.reason == REASON_TIMEOUT
    assert error.cause == CAUSE_READ_TIMEOUT
    assert error.limit_seconds == CONNECTION_TEST_READ_TIMEOUT
    assert CONNECTION_TEST_READ_TIMEOUT - 0.5 < elapsed < CONNECTION_TEST_READ_TIMEOUT + 3
    assert "within 5 s" in str(error)


def test_a_server_that_never_accepts_hits_the_connect_limit():
    with unaccepting_server() as url, AiflowClient(url, SIGNER, 2, 30) as client:
        started = time.monotonic()
        with pytest.raises(RetryableError) as caught:
            client.connection_test()
        elapsed = time.monotonic() - started
    error = caught.value
    assert error.reason == REASON_TIMEOUT
    assert error.cause == CAUSE_CONNECT_TIMEOUT
    assert error.limit_seconds == 2.0
    assert 1.5 < elapsed < 5
    assert "timed out after 2 s" in str(error)


# -- servers that are not aiflow --------------------------------------------------
@pytest.mark.parametrize(
    "code, body, error_class",
    [
        (404, b"<!DOCTYPE html><title>404 Not Found</title>", PermanentError),
        (404, b'{"jsonrpc": "2.0", "error": {"code": 404}}', PermanentError),
        (405, b"Method Not Allowed", PermanentError),
        (200, b"<html>Odoo login</html>", RetryableError),
        (200, b'{"result": "ok"}', RetryableError),
    ],
)
def test_an_answer_without_the_aiflow_envelope_is_not_aiflow(server, code, body, error_class):  # noqa: F811
    server.reply(code, body, {"Content-Type": "text/html"})
    with AiflowClient(server.url, SIGNER) as client, pytest.raises(AiflowError) as caught:
        client.connection_test()
    assert type(caught.value) is error_class
    assert caught.value.reason == REASON_NOT_AIFLOW
    assert caught.value.http_status == code
    assert caught.value.said == ""


def test_aiflow_words_are_kept_apart_from_the_message(server):  # noqa: F811
    server.reply(
        body=envelope(-4002, "请求参数错误", {"errorCode": "X", "errorMessage": "部门ID不能为空"})
    )
    with AiflowClient(server.url, SIGNER) as client, pytest.raises(PermanentError) as caught:
        client.connection_test()
    assert caught.value.reason == REASON_REJECTED
    assert caught.value.said == "请求参数错误: 部门ID不能为空"
    server.reply(body=envelope(-4002, "部门ID不能为空", {"errorMessage": "部门ID不能为空"}))
    with AiflowClient(server.url, SIGNER) as client, pytest.raises(PermanentError) as caught:
        client.connection_test()
    assert caught.value.said == "部门ID不能为空"


def test_an_echoed_secret_never_reaches_aiflow_words(server):  # noqa: F811
    server.reply(body=envelope(-4002, "bad", {"errorMessage": f"secret {SECRET}"}))
    with AiflowClient(server.url, SIGNER) as client, pytest.raises(PermanentError) as caught:
        client.connection_test()
    assert SECRET not in caught.value.said
    assert "***" in caught.value.said


# -- URLs that cannot be used -----------------------------------------------------
@pytest.mark.parametrize(
    "url",
    ["http://aiflow example.com", "http://aiflow。example.com", "http://x.example.com:99999"],
)
def test_an_unusable_url_is_reported_as_such_and_nothing_is_sent(url):
    sent = []

    class Session(requests.Session):
        def send(self, *args, **kwargs):
            sent.append(args)
            return super().send(*args, **kwargs)

    with pytest.raises(PermanentError) as caught:
        AiflowClient(url, SIGNER, session=Session()).connection_test()
    assert caught.value.reason == REASON_INVALID_URL
    assert caught.value.http_status is None
    assert not sent
    assert "HTTP status" not in str(caught.value)


def test_an_invalid_url_requests_refuses_is_reported_as_such():
    class Session(requests.Session):
        def send(self, *args, **kwargs):
            raise requests.exceptions.InvalidURL("Failed to parse: http://x")

    with pytest.raises(PermanentError) as caught:
        AiflowClient("http://aiflow.example.com", SIGNER, session=Session()).ping()
    assert caught.value.reason == REASON_INVALID_URL
    assert "Failed to parse" in caught.value.cause_detail


# -- TLS --------------------------------------------------------------------------
def _self_signed_pem(folder):
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "127.0.0.1")])
    now = datetime.datetime.now(datetime.timezone.utc)
    certificate = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(days=1))
        .not_valid_after(now + datetime.timedelta(days=1))
        .add_extension(
            x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]),
            critical=False,
        )
        .sign(key, hashes.SHA256())
    )
    path = folder / "self-signed.pem"
    path.write_bytes(
        certificate.public_bytes(serialization.Encoding.PEM)
        + key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    return path


class _Quiet(BaseHTTPRequestHandler):
    def log_message(self, *args):
        pass


@pytest.fixture
def self_signed_server(tmp_path):
    httpd = HTTPServer(("127.0.0.1", 0), _Quiet)
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(_self_signed_pem(tmp_path))
    httpd.socket = context.wrap_socket(httpd.socket, server_side=True)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"https://127.0.0.1:{httpd.server_address[1]}"
    finally:
        httpd.shutdown()
        httpd.server_close()


def test_a_self_signed_certificate_is_named_in_a_few_words(self_signed_server):
    with AiflowClient(self_signed_server, SIGNER) as client, pytest.raises(PermanentError) as c:
        client.connection_test()
    error = c.value
    assert error.reason == REASON_TLS
    assert error.cause == tls_problem.TLS_SELF_SIGNED
    assert "certificate verify failed: self-signed certificate" in str(error)
    for noise in ("HTTPSConnectionPool", "Max retries", "SSLError(", "_ssl.c"):
        assert noise not in str(error)


def test_https_to_a_plain_http_server_says_so(server):  # noqa: F811
    url = server.url.replace("http://", "https://")
    with AiflowClient(url, SIGNER) as client, pytest.raises(PermanentError) as caught:
        client.connection_test()
    error = caught.value
    assert error.cause == tls_problem.TLS_NOT_TLS
    assert "wrong version number (is it http:// instead of https://?)" in str(error)
    assert "HTTPSConnectionPool" not in str(error)


@pytest.mark.parametrize(
    "text, code, detail",
    [
        (
            "HTTPSConnectionPool(host='a', port=443): Max retries exceeded with url: / "
            "(Caused by SSLError(SSLCertVerificationError(1, '[SSL: CERTIFICATE_VERIFY_FAILED]"
            " certificate verify failed: certificate has expired (_ssl.c:1006)')))",
            tls_problem.TLS_EXPIRED,
            "certificate has expired",
        ),
        (
            "... certificate verify failed: unable to get local issuer certificate (_ssl.c:1006)",
            tls_problem.TLS_UNKNOWN_ISSUER,
            "unable to get local issuer certificate",
        ),
        (
            "... certificate verify failed: Hostname mismatch, certificate is not valid for "
            "'a'. (_ssl.c:1006)",
            tls_problem.TLS_HOSTNAME_MISMATCH,
            "Hostname mismatch, certificate is not valid for 'a'.",
        ),
        (
            "... certificate verify failed: invalid CA certificate (_ssl.c:1006)",
            tls_problem.TLS_CERTIFICATE,
            "invalid CA certificate",
        ),
        ("[SSL: RECORD_LAYER_FAILURE] record layer failure", tls_problem.TLS_NOT_TLS, ""),
    ],
)
def test_tls_words_are_read_from_text_when_no_ssl_error_is_kept(text, code, detail):
    assert tls_problem.tls_problem(requests.exceptions.SSLError(text)) == (code, detail)


def test_an_unknown_tls_failure_keeps_only_openssl_words():
    inner = ssl.SSLError(1, "[SSL: SSLV3_ALERT_HANDSHAKE_FAILURE] sslv3 alert handshake failure")
    outer = requests.exceptions.SSLError(inner)
    assert tls_problem.tls_problem(outer) == (
        tls_problem.TLS_OTHER,
        "sslv3 alert handshake failure",
    )
