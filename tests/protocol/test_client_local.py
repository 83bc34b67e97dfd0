"""AiflowClient against a tiny scripted HTTP server: bytes on the wire and
the outcome of every kind of answer, independent of the sandbox."""

import datetime
import json
import socket
import threading
import time
from collections import deque
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
import requests

from aiflow_connector.protocol.client import AiflowClient, fail_detail_ids
from aiflow_connector.protocol.errors import (
    CAUSE_SDK_UNAVAILABLE,
    REASON_BAD_RESPONSE,
    REASON_INVALID_URL,
    REASON_NOT_AIFLOW,
    REASON_REJECTED,
    REASON_SERVER,
    REASON_SIGNATURE,
    REASON_TIMEOUT,
    REASON_TLS,
    REASON_UNREACHABLE,
    AiflowError,
    PayloadError,
    PermanentError,
    RetryableError,
)
from aiflow_connector.protocol.request_body import encode_body, encode_json, encode_list_body
from aiflow_connector.protocol.signing import METHOD_SDK, Credential, Signer

from .samples import sample

SECRET = "s3cr3t-never-shown"
SIGNER = Signer(Credential("COMPANY001", "APP001", SECRET))
OK = json.dumps({"status": 0, "msg": "success", "data": {"success": True}}).encode()


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.0"

    def log_message(self, *args):
        pass

    def _serve(self):
        size = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(size) if size else b""
        self.server.received.append(
            {"method": self.command, "path": self.path, "headers": dict(self.headers), "body": body}
        )
        code, reply, headers, delay = (
            self.server.replies.popleft() if self.server.replies else (200, OK, {}, 0)
        )
        if delay:
            time.sleep(delay)
        try:
            self.send_response(code)
            for name, value in {"Content-Type": "application/json", **headers}.items():
                self.send_header(name, value)
            self.send_header("Content-Length", str(len(reply)))
            self.end_headers()
            self.wfile.write(reply)
        except (BrokenPipeError, ConnectionResetError):
            pass

    do_POST = do_PUT = do_GET = _serve


class ScriptedServer(ThreadingHTTPServer):
    daemon_threads = True
    block_on_close = False

    def __init__(self):
        super().__init__(("127.0.0.1", 0), _Handler)
        self.received = []
        self.replies = deque()
        self.url = f"http://127.0.0.1:{self.server_address[1]}"

    def reply(self, code=200, body=OK, headers=None, delay=0):
        if isinstance(body, dict):
            body = json.dumps(body, ensure_ascii=False).encode("utf-8")
        self.replies.append((code, body, headers or {}, delay))


@pytest.fixture
def server():
    srv = ScriptedServer()
    thread = threading.Thread(target=srv.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    try:
        yield srv
    finally:
        srv.shutdown()
        srv.server_close()


@pytest.fixture
def client(server):
    with AiflowClient(server.url, SIGNER, connect_timeout=2, read_timeout=5) as c:
        yield c


def envelope(status, msg="x", data=None):
    return {"status": status, "msg": msg, "data": data}


# -- bytes on the wire ------------------------------------------------------------
def test_body_is_compact_utf8_json_and_signature_covers_exactly_it(server, client):
    payload = sample("department_sync")
    client.sync_departments(payload["departments"])
    (request,) = server.received
    assert request["body"] == encode_body(payload)
    assert "技术部".encode() in request["body"]  # not \\u escapes
    assert b", " not in request["body"] and b": " not in request["body"]
    assert json.loads(request["body"]) == payload
    assert SIGNER.verify(request["body"], request["headers"]["A-Signature"])
    assert request["headers"]["Content-Type"] == "application/json; charset=utf-8"
    assert request["method"] == "POST"
    assert request["path"] == "/aflow/api/sys/sync/department"
    assert SECRET not in json.dumps(request["headers"])


def test_a_body_from_its_items_texts_is_the_same_bytes(server, client):
    """The worker encodes each item once (for the body and for its row's
    record): the body it puts together is the one encode_body gives."""
    payload = sample("user_sync")
    payload["users"].append(dict(payload["users"][0], userId="U2", userName='张三 "二"'))
    texts = [encode_json(item) for item in payload["users"]]
    assert encode_list_body("users", texts) == encode_body(payload)
    assert encode_list_body("users", []) == encode_body({"users": []})
    # A body given already encoded is sent and signed as given.
    body = encode_list_body("users", texts)
    client.call("user_sync", payload, encoded=body)
    (request,) = server.received
    assert request["body"] == body
    assert SIGNER.verify(request["body"], request["headers"]["A-Signature"])


def test_on_sent_is_told_once_the_body_is_on_the_wire(server, client):
    """A caller sending from a helper thread is told when its request has
    gone (a full resync then builds the next batch while aiflow answers):
    the same bytes go, with their length (not chunked), and the answer is
    read after."""
    payload = sample("user_sync")
    payload["users"] = [dict(payload["users"][0], userId=f"U{n}") for n in range(400)]
    body = encode_body(payload)  # several of http.client's 8 KB blocks
    told = []
    server.reply(delay=0.3)
    started = time.monotonic()
    client.call("user_sync", payload, encoded=body, on_sent=lambda: told.append(time.monotonic()))
    (request,) = server.received
    assert request["body"] == body
    assert request["headers"]["Content-Length"] == str(len(body))
    assert "Transfer-Encoding" not in request["headers"]
    assert SIGNER.verify(request["body"], request["headers"]["A-Signature"])
    assert len(told) == 1  # once, before the server's 0.3 s answer
    assert told[0] - started < 0.25


def test_on_sent_is_not_told_when_nothing_went():
    told = []
    with AiflowClient(f"http://127.0.0.1:{_closed_port()}", SIGNER, connect_timeout=2) as c:
        with pytest.raises(RetryableError):
            c.call("user_sync", sample("user_sync"), on_sent=lambda: told.append(1))
    assert told == []


def test_a_prepared_call_goes_only_when_sent(server, client):
    """The full resync signs and builds its next call while aiflow answers
    the previous one: preparing sends nothing, and the call sent later
    carries the very bytes prepared, signed."""
    payload = sample("user_sync")
    prepared = client.prepare("user_sync", payload)
    assert server.received == []
    assert client.send(prepared) == {"success": True}
    (request,) = server.received
    assert request["path"] == "/aflow/api/sys/sync/user"
    assert request["body"] == encode_body(payload)
    assert SIGNER.verify(request["body"], request["headers"]["A-Signature"])


def test_preparing_refuses_what_cannot_go(server, client):
    payload = sample("user_sync")
    del payload["users"][0]["userId"]
    with pytest.raises(PayloadError):
        client.prepare("user_sync", payload)
    with AiflowClient("http://", SIGNER) as broken:
        with pytest.raises(PermanentError) as raised:
            broken.prepare("user_sync", sample("user_sync"))
    assert raised.value.reason == REASON_INVALID_URL
    assert server.received == []


def test_a_signing_sdk_that_cannot_be_imported_sends_nothing(server):
    """The vendor SDK chosen for signing but not importable: a permanent
    signature error that says so (aiflow refused nothing), nothing sent."""
    sdk_signer = Signer(Credential("COMPANY001", "APP001", SECRET), method=METHOD_SDK)
    with AiflowClient(server.url, sdk_signer) as c:
        with pytest.raises(PermanentError) as raised:
            c.call("user_sync", sample("user_sync"))
    assert raised.value.reason == REASON_SIGNATURE
    assert raised.value.cause == CAUSE_SDK_UNAVAILABLE
    assert "auth" in raised.value.cause_detail  # the module that cannot be imported
    assert server.received == []


def test_a_proxy_from_the_environment_is_used(server, monkeypatch):
    """An Odoo server that reaches the internet through a proxy (HTTP_PROXY
    in its environment) sends its calls through it, as requests does."""
    monkeypatch.setenv("HTTP_PROXY", server.url)
    monkeypatch.delenv("NO_PROXY", raising=False)
    monkeypatch.delenv("no_proxy", raising=False)
    with AiflowClient("http://aiflow.example.invalid", SIGNER, connect_timeout=2) as c:
        assert c.sync_users(sample("user_sync")["users"]) == {"success": True}
    (request,) = server.received
    assert request["path"] == "http://aiflow.example.invalid/aflow/api/sys/sync/user"


def test_an_item_json_cannot_carry_is_refused():
    with pytest.raises(PayloadError):
        encode_json({"deptId": float("nan")})
    with pytest.raises(PayloadError):
        encode_json({"deptId": datetime.date(2026, 12, 6)})
    looped = {"deptId": "D1"}
    looped["parent"] = looped
    with pytest.raises(PayloadError):
        encode_json(looped)


def test_encoding_is_json_dumps_compact():
    """What encode_json gives is what json.dumps gives with the same
    options, for every kind of value an item holds."""
    for value in (
        sample("user_sync"),
        {"name": '研发部 "R&D"\n', "n": [1, -2.5, None, True, False], "e": {}, "l": []},
        "text",
        None,
    ):
        assert encode_json(value) == json.dumps(
            value, ensure_ascii=False, separators=(",", ":"), allow_nan=False
        )


@pytest.mark.parametrize("suffix", ["", "/", "//"])
def test_base_url_with_or_without_trailing_slash(server, suffix):
    with AiflowClient(server.url + suffix, SIGNER) as c:
        c.ping()
    assert server.received[0]["path"] == "/aflow/api/sys/sync/department"
    assert server.received[0]["body"] == b'{"departments":[]}'


CONVENIENCE = [
    (
        "sync_departments",
        lambda: sample("department_sync")["departments"],
        "POST",
        "/aflow/api/sys/sync/department",
    ),
    ("sync_users", lambda: sample("user_sync")["users"], "POST", "/aflow/api/sys/sync/user"),
    (
        "create_third_party_flow",
        lambda: sample("flow_create_third_party"),
        "POST",
        "/aflow/api/flow/create_third_party",
    ),
    (
        "online_third_party_flow",
        lambda: sample("flow_online_third_party"),
        "POST",
        "/aflow/api/flow/online_third_party",
    ),
    ("sync_order_tasks", lambda: sample("order_task_sync"), "POST", "/aflow/api/order/sync/task"),
    ("create_flow", lambda: sample("flow_create"), "POST", "/aflow/api/flow/create"),
    ("update_flow", lambda: sample("flow_update"), "PUT", "/aflow/api/flow/update"),
    ("publish_flow", lambda: sample("flow_publish"), "POST", "/aflow/api/flow/publish"),
    ("sync_form", lambda: sample("form_sync"), "POST", "/aflow/api/form/sync"),
    (
        "sync_approval_log",
        lambda: sample("approval_log_sync"),
        "POST",
        "/aflow/api/order/approval/log",
    ),
]


@pytest.mark.parametrize(
    "method_name, make_arg, http_method, path", CONVENIENCE, ids=[c[0] for c in CONVENIENCE]
)
def test_each_method_sends_to_its_endpoint(
    server, client, method_name, make_arg, http_method, path
):
    arg = make_arg()
    assert getattr(client, method_name)(arg) == {"success": True}
    (request,) = server.received
    assert (request["method"], request["path"]) == (http_method, path)
    sent = json.loads(request["body"])
    if isinstance(arg, list):  # the batch methods wrap the list in its one key
        assert list(sent.values()) == [arg]
    else:
        assert sent == arg
    assert SIGNER.verify(request["body"], request["headers"]["A-Signature"])


def test_invalid_payload_is_refused_before_anything_is_sent(server, client):
    with pytest.raises(PayloadError) as info:
        client.sync_users([{"userId": "U1", "userName": "x"}])
    assert info.value.field == "users[0].deptId"
    assert server.received == []


def test_check_false_sends_an_invalid_payload_as_is(server, client):
    client.call("user_sync", {"users": [{"userId": 1}]}, check=False)
    assert server.received[0]["body"] == b'{"users":[{"userId":1}]}'


@pytest.mark.parametrize(
    "form_schema", [{"max": float("nan")}, {"max": float("inf")}, {"when": object()}]
)
def test_what_json_cannot_carry_is_refused_before_sending(server, client, form_schema):
    with pytest.raises(PayloadError) as info:
        client.sync_form(dict(sample("form_sync"), formSchema=form_schema))
    assert info.value.field == "(body)"
    assert server.received == []


def test_bad_base_url_is_refused():
    with pytest.raises(ValueError):
        AiflowClient("aiflow.example.com", SIGNER)


# -- outcomes ------------------------------------------------------------------------
def test_success_returns_data_with_fail_details(server, client):
    data = {
        "successCount": 1,
        "failCount": 1,
        "failDetails": [
            {"index": 1, "id": "DEPT002", "errorCode": "PARENT_NOT_FOUND", "errorMessage": "x"}
        ],
    }
    server.reply(body=envelope(0, "success", data))
    assert client.sync_departments(sample("department_sync")["departments"]) == data


def test_success_without_data_returns_empty_dict(server, client):
    server.reply(body={"status": 0, "msg": "success"})
    assert client.ping() == {}


ERROR_CASES = [
    # (http code, body, class, reason, kept aiflow status)
    (
        200,
        envelope(
            -4002,
            "请求参数错误",
            {"errorCode": "INVALID_PARAMETER", "errorMessage": "部门ID不能为空"},
        ),
        PermanentError,
        REASON_REJECTED,
        -4002,
    ),
    (200, envelope(-4001, "操作不支持"), PermanentError, REASON_REJECTED, -4001),
    (200, envelope(-1024, "系统繁忙"), RetryableError, REASON_SERVER, -1024),
    (200, envelope(-9999, "unknown"), RetryableError, REASON_SERVER, -9999),
    (403, envelope(-4002, "签名验证失败"), PermanentError, REASON_SIGNATURE, -4002),
    (401, b"", PermanentError, REASON_SIGNATURE, None),
    (400, envelope(-4002, "bad"), PermanentError, REASON_REJECTED, -4002),
    (404, b"<html>not found</html>", PermanentError, REASON_NOT_AIFLOW, None),
    (405, b"", PermanentError, REASON_NOT_AIFLOW, None),
    (415, envelope(-4002, "bad type"), PermanentError, REASON_REJECTED, -4002),
    (429, b"slow down", RetryableError, REASON_SERVER, None),
    (500, envelope(-1024, "boom"), RetryableError, REASON_SERVER, -1024),
    (502, b"<html>bad gateway</html>", RetryableError, REASON_SERVER, None),
    (503, b"<html>503</html>", RetryableError, REASON_SERVER, None),
    (200, b"<html>login page of a proxy</html>", RetryableError, REASON_NOT_AIFLOW, None),
    (200, b"", RetryableError, REASON_NOT_AIFLOW, None),
    (200, b'{"ok": true}', RetryableError, REASON_NOT_AIFLOW, None),
    (200, b'{"status": "0"}', RetryableError, REASON_NOT_AIFLOW, None),
    (200, b'{"status": true}', RetryableError, REASON_NOT_AIFLOW, None),
    (200, b"[0]", RetryableError, REASON_NOT_AIFLOW, None),
]


@pytest.mark.parametrize("code, body, error_class, reason, status", ERROR_CASES)
def test_answer_is_classified(server, client, code, body, error_class, reason, status):
    server.reply(code, body)
    with pytest.raises(AiflowError) as info:
        client.ping()
    error = info.value
    assert type(error) is error_class
    assert error.reason == reason
    assert error.retryable is (error_class is RetryableError)
    assert error.http_status == code
    assert error.status == status
    if isinstance(body, dict):
        assert error.msg == body["msg"]
        assert error.data == body["data"]
        assert body["msg"] in str(error)
    assert SECRET not in str(error)


def test_rejection_keeps_aiflow_words_and_fail_details(server, client):
    fail_details = [
        {"index": 0, "id": "U1", "errorCode": "DEPT_NOT_FOUND", "errorMessage": "no dept"}
    ]
    server.reply(
        body=envelope(
            -4002,
            "请求参数错误",
            {
                "errorCode": "INVALID_PARAMETER",
                "errorMessage": "部门ID不能为空",
                "failDetails": fail_details,
            },
        )
    )
    with pytest.raises(PermanentError) as info:
        client.ping()
    assert info.value.fail_details == fail_details
    assert "部门ID不能为空" in str(info.value)
    assert "INVALID_PARAMETER" in str(info.value)


def test_a_secret_echoed_by_the_server_is_masked(server, client):
    server.reply(body=envelope(-4002, f"bad secret {SECRET}", {"errorMessage": f"got {SECRET}"}))
    with pytest.raises(PermanentError) as info:
        client.ping()
    assert SECRET not in str(info.value)
    assert SECRET not in info.value.msg
    assert SECRET not in repr(info.value.args)
    assert "***" in str(info.value)


def test_redirect_is_not_followed(server, client):
    server.reply(301, b"", {"Location": "https://elsewhere.example.com/"})
    with pytest.raises(PermanentError) as info:
        client.ping()
    assert info.value.reason == REASON_BAD_RESPONSE
    assert "elsewhere.example.com" in str(info.value)
    assert len(server.received) == 1


def test_slow_answer_is_a_read_timeout(server):
    server.reply(delay=1.5)
    with AiflowClient(server.url, SIGNER, connect_timeout=2, read_timeout=0.3) as c:
        started = time.monotonic()
        with pytest.raises(RetryableError) as info:
            c.ping()
    assert info.value.reason == REASON_TIMEOUT
    assert time.monotonic() - started < 1.4


def _closed_port():
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    sock.close()
    return port


def test_nothing_listening_is_unreachable():
    with AiflowClient(f"http://127.0.0.1:{_closed_port()}", SIGNER, connect_timeout=2) as c:
        with pytest.raises(RetryableError) as info:
            c.ping()
    assert info.value.reason == REASON_UNREACHABLE
    assert SECRET not in str(info.value)


def test_https_against_plain_http_is_a_tls_error(server):
    with AiflowClient(
        server.url.replace("http://", "https://"), SIGNER, connect_timeout=2, read_timeout=2
    ) as c:
        with pytest.raises(PermanentError) as info:
            c.ping()
    assert info.value.reason == REASON_TLS


def test_connect_timeout_is_a_timeout():
    class Session(requests.Session):
        def send(self, *args, **kwargs):
            raise requests.exceptions.ConnectTimeout("timed out")

    with pytest.raises(RetryableError) as info:
        AiflowClient("http://aiflow.invalid", SIGNER, session=Session()).ping()
    assert info.value.reason == REASON_TIMEOUT


def test_timeout_is_always_passed(server):
    seen = {}

    class Session(requests.Session):
        def send(self, *args, **kwargs):
            seen.update(kwargs)
            return super().send(*args, **kwargs)

    AiflowClient(server.url, SIGNER, connect_timeout=3, read_timeout=7, session=Session()).ping()
    assert seen["timeout"] == (3.0, 7.0)


def test_a_given_session_is_not_closed_by_the_client(server):
    session = requests.Session()
    with AiflowClient(server.url, SIGNER, session=session) as c:
        c.ping()
    assert c.session is session
    AiflowClient(server.url, SIGNER, session=session).ping()  # still usable


# -- fail_detail_ids -------------------------------------------------------------
def test_fail_detail_ids_accepts_the_three_id_keys():
    details = [
        {"index": 0, "id": "DEPT002", "errorCode": "X"},
        {"index": 1, "deptId": "DEPT003"},
        {"userId": "U7"},
        {"index": 3, "id": ""},
        "garbage",
    ]
    assert fail_detail_ids(details) == {"DEPT002", "DEPT003", "U7"}
    assert fail_detail_ids(None) == set()
    assert fail_detail_ids([]) == set()
