"""Fuzzing a live Odoo server from the shipped OpenAPI description.

schemathesis turns ``aiflow_connector/static/openapi/odoo-endpoints.json``
into requests, valid (positive) and invalid (negative), for the five
endpoints; they are sent to a real Odoo server (``--workers=2``, a database
of the test's own with a credential and an OAuth2 client configured through
``ir.config_parameter``) from four client threads. Each webhook body goes
twice: signed over the exact bytes sent, and unsigned or signed with another
secret. Where a generator cannot guess a value, some requests carry the real one:
half the userinfo calls a real access token from a real sign-in, two thirds
of the authorize calls the real client id and redirect URI (half of those
with an Odoo session, so codes are issued), a few token calls the real client
secret. Half the signed webhook bodies name the database's engine-mode flow
``FUZZ`` (on contacts, its form the name): the businessKey of its one open
document (and that order's orderId), or a new ``FUZZ-`` key with a name in
formData, so generated events and approval logs are applied too (a START
creates a contact, a COMPLETE ends the order, logs reach its chatter).

Every answer must be one the description lists for its operation (status,
media type, body schema, required headers), never a 500; beyond that:

* a signed webhook body the payload rules accept is answered 200; one they
  refuse is answered 400 with ``msg`` starting with the offending field's path;
* an unsigned or wrongly signed one is answered 403 ``签名验证失败``;
* some generated events are applied (status 0), one sent twice is answered
  as a duplicate;
* every OAuth2 JSON answer is a success or an RFC 6749 error.

At least 2,000 requests; the count is printed.
"""

import concurrent.futures
import functools
import itertools
import json
import random
import re
import threading
import time
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pytest
import requests
from hypothesis import HealthCheck, given, settings
from hypothesis.errors import Unsatisfiable
from jsonschema import Draft202012Validator
from test_multi_process_outbox import (
    ODOO_CONF,
    ODOO_PATH,
    PYTHON,
    REPO,
    TEMPLATE_DB,
    Rpc,
    conf_options,
    free_port,
    install_database,
    pg_connect,
    serving,
)

from aiflow_connector.protocol import openapi, schema
from aiflow_connector.protocol.errors import PayloadError
from aiflow_connector.protocol.signing import SIGNATURE_HEADER, Credential, Signer

schemathesis = pytest.importorskip("schemathesis")
from schemathesis import GenerationMode  # noqa: E402

pytestmark = pytest.mark.skipif(
    not (ODOO_PATH / "odoo-bin").exists() or not ODOO_CONF or not TEMPLATE_DB,
    reason="needs Odoo 18 and the database scripts/test.sh installed "
    "(ODOO_PATH, AIFLOW_ODOO_CONF, AIFLOW_ODOO_DB)",
)
psycopg2 = pytest.importorskip("psycopg2")

SHIPPED = REPO / openapi.SHIPPED_PATH
DOC = json.loads(SHIPPED.read_text(encoding="utf-8"))
CREDENTIAL = Credential("FUZZ001", "FUZZAPP", "fuzz-app-secret")
WRONG = Credential("FUZZ001", "FUZZAPP", "not-the-secret")
CLIENT_SECRET = "fuzz-client-secret"
REDIRECT_URI = "http://aiflow.fuzz/aflow/api/oauth2/callback"
MIN_REQUESTS = 2000
# the engine-mode flow of the database, and its one document's order
FLOW_CODE = "FUZZ"
DOC_KEY = "FUZZ-DOC-1"
DOC_ORDER_ID = 4_242_424_242
WEBHOOK_KINDS = {path: names[0] for path, names in openapi.WEBHOOKS.items()}
# examples generated per operation and mode (hypothesis stops earlier when an
# operation has few distinct inputs, e.g. a GET without parameters)
EXAMPLES = {"webhook": 260, "authorize": 110, "token": 150, "userinfo": 80, "other": 10}


# ----------------------------------------------------------------------
# fixtures


@pytest.fixture(scope="module")
def database(tmp_path_factory):
    db = f"{TEMPLATE_DB}_fuzz"
    admin = pg_connect("postgres")
    admin.cursor().execute(f'DROP DATABASE IF EXISTS "{db}" WITH (FORCE)')
    try:
        admin.cursor().execute(f'CREATE DATABASE "{db}" TEMPLATE "{TEMPLATE_DB}"')
    except (psycopg2.errors.ObjectInUse, psycopg2.errors.InvalidCatalogName):
        install_database(db, tmp_path_factory.mktemp("fuzz-db") / "install.log")
    try:
        yield db
    finally:
        admin.cursor().execute(f'DROP DATABASE IF EXISTS "{db}" WITH (FORCE)')
        admin.close()


@pytest.fixture(scope="module")
def server(database, tmp_path_factory):
    import configparser

    work = tmp_path_factory.mktemp("fuzz-odoo")
    options = conf_options()
    options.update(db_name=database, dbfilter=f"^{database}$", list_db="False")
    conf = configparser.ConfigParser(interpolation=None)
    conf["options"] = options
    conf_path = work / "odoo.conf"
    with conf_path.open("w") as handle:
        conf.write(handle)
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    argv = [
        PYTHON,
        str(ODOO_PATH / "odoo-bin"),
        *("-c", str(conf_path), "-d", database),
        "--workers=2",
        "--max-cron-threads=0",
        f"--http-port={port}",
        f"--gevent-port={free_port()}",
        "--http-interface=127.0.0.1",
        "--log-level=warn",
    ]
    log_path = work / "server.log"
    with serving(argv, log_path, f"{url}/web/health", 120):
        rpc = Rpc(url, database)
        set_param = {
            "enterprise_code": CREDENTIAL.enterprise_code,
            "app_id": CREDENTIAL.app_id,
            "app_secret": CREDENTIAL.app_secret,
            "signing_method": "builtin",
            # stored plain by a deployment script: hashed on first use
            "oauth_client_secret": CLIENT_SECRET,
            "oauth_redirect_uris": REDIRECT_URI,
            # nothing listens there: no outbound call may leave the test
            "base_url": "http://127.0.0.1:9",
            "sync_enabled": "False",
        }
        for name, value in set_param.items():
            rpc("ir.config_parameter", "set_param", f"aiflow_connector.{name}", value)
        engine_flow_with_a_document(rpc, url)
        yield {"url": url, "log": log_path, "db": database}


def post_signed(url, path, body):
    raw = json.dumps(body, ensure_ascii=False).encode("utf-8")
    headers = {"Content-Type": "application/json", SIGNATURE_HEADER: Signer(CREDENTIAL).sign(raw)}
    return requests.post(url + path, data=raw, headers=headers, timeout=60)


def doc_start():
    return {
        "orderId": DOC_ORDER_ID,
        "businessKey": DOC_KEY,
        "taskId": "T-START",
        "taskName": "发起",
        "action": "START",
        "formData": {"name": "Fuzz document"},
        "handlerUserCode": "admin",
    }


def engine_flow_with_a_document(rpc, url):
    """The engine-mode flow FUZZ on contacts (its form: the name), and one
    document aiflow started (the order DOC_KEY), as aiflow would."""
    (model_id,) = rpc("ir.model", "search", [("model", "=", "res.partner")])
    (name_id,) = rpc(
        "ir.model.fields", "search", [("model", "=", "res.partner"), ("name", "=", "name")]
    )
    rpc(
        "aiflow.flow",
        "create",
        {
            "flow_code": FLOW_CODE,
            "title": "Fuzz",
            "mode": "engine",
            "model_id": model_id,
            "group_id": "GROUP001",
            "form_field_ids": [(0, 0, {"sequence": 1, "field_id": name_id})],
        },
    )
    answer = post_signed(url, "/odoo/api/workflow/receive", doc_start()).json()
    assert answer["status"] == 0, answer


def sign_in(url, db):
    """A real authorization code flow as the admin; (token answer, session id)."""
    session = requests.Session()
    answer = session.post(
        f"{url}/web/session/authenticate",
        json={"jsonrpc": "2.0", "params": {"db": db, "login": "admin", "password": "admin"}},
        timeout=30,
    ).json()
    assert answer.get("result", {}).get("uid"), answer
    response = session.get(
        f"{url}/odoo/api/oauth2/authorize",
        params={
            "client_id": CREDENTIAL.app_id,
            "redirect_uri": REDIRECT_URI,
            "response_type": "code",
            "state": "fuzz",
        },
        allow_redirects=False,
        timeout=30,
    )
    assert response.status_code == 302, response.text[:300]
    code = parse_qs(urlsplit(response.headers["Location"]).query)["code"][0]
    response = requests.post(
        f"{url}/odoo/api/oauth2/token",
        json={
            "clientId": CREDENTIAL.app_id,
            "clientSecret": CLIENT_SECRET,
            "grantType": "authorization_code",
            "code": code,
            "redirectUri": REDIRECT_URI,
        },
        timeout=30,
    )
    assert response.status_code == 200, response.text
    return response, session.cookies["session_id"]


# ----------------------------------------------------------------------
# what an answer must be


def ref(node):
    while "$ref" in node:
        target = DOC
        for step in node["$ref"].removeprefix("#/").split("/"):
            target = target[step]
        node = target
    return node


def described_problems(method, path, response):
    """What is wrong with ``response`` per the description (empty: nothing)."""
    operation = DOC["paths"][path][method.lower()]
    status = str(response.status_code)
    if status not in operation["responses"]:
        return [f"status {status} not described"]
    described = ref(operation["responses"][status])
    problems = []
    for name, header in described.get("headers", {}).items():
        value = response.headers.get(name)
        if value is None:
            if header.get("required"):
                problems.append(f"no {name} header")
        elif not Draft202012Validator(header["schema"]).is_valid(value):
            problems.append(f"{name}: {value!r}")
    content = described.get("content")
    if content:
        media = response.headers.get("Content-Type", "").split(";")[0].strip()
        if media not in content:
            return [*problems, f"Content-Type {media!r} not described"]
        if media == "application/json":
            try:
                body = response.json()
            except ValueError:
                return [*problems, "body is not JSON"]
            root = {**content[media]["schema"], "components": DOC["components"]}
            problems += [e.message for e in Draft202012Validator(root).iter_errors(body)]
    return problems


def webhook_contract_problems(kind, raw, content_type, signed, response):
    """The contract's rules beyond the description, for a POST."""
    body = response.json()
    if response.status_code == 413:
        return []
    if not signed:
        if response.status_code != 403 or body["msg"] != openapi.SIGNATURE_FAILED:
            return [f"unsigned answered {response.status_code} {body}"]
        return []
    if content_type.split(";")[0].strip().lower() != "application/json":
        return [] if response.status_code == 400 else [f"{content_type} answered {body}"]
    try:
        payload = json.loads(raw.decode("utf-8"))
    except (UnicodeDecodeError, ValueError):
        return [] if response.status_code == 400 else [f"bad JSON answered {body}"]
    try:
        schema.validate(kind, payload)
    except PayloadError as error:
        if response.status_code != 400:
            return [f"rules refuse ({error}) but answered {response.status_code} {body}"]
        if isinstance(payload, dict) and not body["msg"].startswith(f"{error.field}:"):
            return [f"400 msg {body['msg']!r} does not start with {error.field!r}"]
        return []
    if response.status_code != 200:
        return [f"rules accept but answered {response.status_code} {body}"]
    return []


# ----------------------------------------------------------------------
# generation and sending


def generate(operation, mode, count):
    """Up to ``count`` cases of ``operation`` in ``mode``."""
    cases = []

    @settings(
        max_examples=count,
        deadline=None,
        database=None,
        derandomize=True,
        suppress_health_check=list(HealthCheck),
    )
    @given(case=operation.as_strategy(generation_mode=mode))
    def collect(case):
        cases.append(case)

    try:
        collect()
    except Unsatisfiable:
        # nothing to make invalid (an operation without parameters or body)
        assert mode == GenerationMode.NEGATIVE and not cases, operation.label
    return cases


def oauth_variant(path, rng):
    draw = rng.random()
    if path.endswith("/userinfo"):
        return "real token" if draw < 0.5 else "as generated"
    if path.endswith("/authorize"):
        return ["as generated", "real client", "signed in"][int(draw * 3)]
    # each real secret costs a slow hash (~0.5 s): a few
    return "real secret" if draw < 0.04 else "as generated"


def budget(path, method):
    if path in WEBHOOK_KINDS:
        return EXAMPLES["webhook" if method == "POST" else "other"]
    return EXAMPLES[path.rsplit("/", 1)[1]]


class Fuzzer:
    def __init__(self, url, access_token, session_id):
        self.url = url
        self.access_token = access_token
        self.session_id = session_id
        self.local = threading.local()
        self.lock = threading.Lock()
        self.sent = 0
        self.by_status = {}
        self.failures = []
        self.outcomes = {}  # of the signed webhook bodies answered 200
        self.new_keys = itertools.count(1)

    def session(self):
        if not hasattr(self.local, "session"):
            self.local.session = requests.Session()
        return self.local.session

    def record(self, label, response, problems, request_text):
        with self.lock:
            self.sent += 1
            key = (label, response.status_code)
            self.by_status[key] = self.by_status.get(key, 0) + 1
            if response.status_code >= 500:
                problems = [f"HTTP {response.status_code}", *problems]
            if problems and len(self.failures) < 10:
                self.failures.append((label, request_text[:300], response.text[:300], problems))

    def real_order(self, kind, body):
        """``body`` naming the FUZZ flow: its document's order, or (an
        event, half the time) a new businessKey with a name to create from."""
        body = dict(body)
        if kind == "workflow_event" and next(self.new_keys) % 2:
            number = next(self.new_keys)
            body.update(orderId=DOC_ORDER_ID + number, businessKey=f"{FLOW_CODE}-{number}")
            form = body.get("formData")
            body["formData"] = {
                **(form if isinstance(form, dict) else {}),
                "name": f"Fuzz {number}",
            }
        else:
            body.update(orderId=DOC_ORDER_ID, businessKey=DOC_KEY)
        return body

    def count_outcome(self, response):
        if response.status_code != 200:
            return
        answer = response.json()
        data = answer.get("data") or {}
        outcome = "duplicate" if data.get("duplicate") else str(answer.get("status"))
        with self.lock:
            self.outcomes[outcome] = self.outcomes.get(outcome, 0) + 1

    def send_webhook(self, case, signed_with, real=False):
        kind = WEBHOOK_KINDS[case.path]
        if case.method != "POST":
            response = self.session().request(
                case.method, self.url + case.path, timeout=60, allow_redirects=False
            )
            label = f"{case.method} {case.path}"
            self.record(label, response, described_problems(case.method, case.path, response), "")
            return
        body = case.body
        if real and isinstance(body, dict):
            body = self.real_order(kind, body)
        if isinstance(body, bytes):
            raw = body  # negative mode: bytes that are not JSON at all
        elif isinstance(body, str):
            raw = body.encode("utf-8")
        else:
            raw = json.dumps(body, ensure_ascii=False).encode("utf-8")
        headers = {"Content-Type": case.media_type or "application/json"}
        if signed_with is not None:
            headers[SIGNATURE_HEADER] = Signer(signed_with).sign(raw)
        response = self.session().post(self.url + case.path, data=raw, headers=headers, timeout=60)
        problems = described_problems("POST", case.path, response)
        if not problems:
            problems = webhook_contract_problems(
                kind, raw, headers["Content-Type"], signed_with is CREDENTIAL, response
            )
        self.record(f"POST {case.path}", response, problems, raw.decode("utf-8", "replace"))
        if signed_with is CREDENTIAL:
            self.count_outcome(response)

    def send_oauth(self, case, variant):
        """Send an OAuth2 case as generated, or with real values where the
        generator cannot guess them (``variant``): a real access token
        (userinfo), the real client and redirect URI with or without an Odoo
        session (authorize), the real client credentials (token)."""
        headers = dict(case.headers or {})
        if variant == "real token":
            headers["Authorization"] = f"Bearer {self.access_token}"
        # requests' own Response (headers as sent), from schemathesis' encoding
        kwargs = case.as_transport_kwargs(base_url=self.url, headers=headers)
        if variant in ("real client", "signed in"):
            kwargs["params"] = {
                **kwargs.get("params", {}),
                "client_id": CREDENTIAL.app_id,
                "redirect_uri": REDIRECT_URI,
            }
        if variant == "signed in":
            kwargs["cookies"] = {"session_id": self.session_id}
        if variant == "real secret":
            kwargs["headers"].pop("Authorization", None)
            if isinstance(kwargs.get("json"), dict):
                kwargs["json"].update(clientId=CREDENTIAL.app_id, clientSecret=CLIENT_SECRET)
            elif isinstance(kwargs.get("data"), dict):
                kwargs["data"].update(client_id=CREDENTIAL.app_id, client_secret=CLIENT_SECRET)
        response = requests.request(**kwargs, allow_redirects=False, timeout=60)
        problems = described_problems(case.method, case.path, response)
        if not problems and response.headers.get("Content-Type", "").startswith("application/json"):
            answer = response.json()
            success = response.status_code == 200
            if not success and set(answer) != {"error", "error_description"}:
                problems = [f"not an RFC 6749 error: {answer}"]
        self.record(f"{case.method} {case.path}", response, problems, repr(case)[:300])


def contract_edges(fuzzer):
    """Answers of the contract a generator does not reach: a body over 1 MiB,
    a signed body that is not application/json, and one sent as form data
    (whose raw bytes Odoo consumes first: answered as unsigned)."""
    path = "/odoo/api/workflow/receive"
    signer = Signer(CREDENTIAL)
    big = b'{"pad": "' + b"x" * (1024 * 1024) + b'"}'
    cases = [
        (big, "application/json", 413),
        (b'{"orderId": 1}', "text/plain", 400),
        (b"orderId=1&action=START", "application/x-www-form-urlencoded", 403),
    ]
    for raw, content_type, status in cases:
        headers = {"Content-Type": content_type, SIGNATURE_HEADER: signer.sign(raw)}
        response = requests.post(fuzzer.url + path, data=raw, headers=headers, timeout=60)
        problems = described_problems("POST", path, response)
        if response.status_code != status:
            problems.append(f"{content_type}, {len(raw)} bytes: expected {status}")
        fuzzer.record(f"POST {path}", response, problems, raw[:100].decode())
    # the document's START again: the same event, answered as a duplicate
    response = post_signed(fuzzer.url, path, doc_start())
    problems = described_problems("POST", path, response)
    if not (response.json().get("data") or {}).get("duplicate"):
        problems.append(f"the same START again answered {response.text[:200]}")
    fuzzer.record(f"POST {path}", response, problems, "the document's START again")
    fuzzer.count_outcome(response)


def test_fuzz_the_five_endpoints(server):
    token, session_id = sign_in(server["url"], server["db"])
    fuzzer = Fuzzer(server["url"], token.json()["accessToken"], session_id)
    # The real sign-in's answer is described too.
    assert described_problems("POST", "/odoo/api/oauth2/token", token) == []

    start = time.monotonic()
    loaded = schemathesis.openapi.from_path(str(SHIPPED))
    jobs = []
    rng = random.Random(11)
    for result in loaded.get_all_operations():
        operation = result.ok()
        for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE):
            for case in generate(operation, mode, budget(operation.path, operation.method.upper())):
                if operation.path in WEBHOOK_KINDS:
                    real = operation.method.upper() == "POST" and rng.random() < 0.5
                    send = functools.partial(fuzzer.send_webhook, real=real)
                    jobs.append((send, case, CREDENTIAL))
                    if operation.method.upper() == "POST":
                        jobs.append((fuzzer.send_webhook, case, rng.choice([None, WRONG])))
                else:
                    jobs.append((fuzzer.send_oauth, case, oauth_variant(operation.path, rng)))
    generated_in = time.monotonic() - start
    rng.shuffle(jobs)
    contract_edges(fuzzer)
    with concurrent.futures.ThreadPoolExecutor(max_workers=4) as pool:
        for future in [pool.submit(job, case, extra) for job, case, extra in jobs]:
            future.result()

    summary = ", ".join(
        f"{label} {status}: {count}" for (label, status), count in sorted(fuzzer.by_status.items())
    )
    print(
        f"\nopenapi fuzz: {fuzzer.sent} requests sent ({generated_in:.0f} s generating,"
        f" {time.monotonic() - start - generated_in:.0f} s sending); {summary};"
        f" signed webhook outcomes (status: count) {fuzzer.outcomes}"
    )
    assert fuzzer.failures == []
    assert fuzzer.sent >= MIN_REQUESTS
    # generated events reached the engine flow: applied, refused, repeated
    assert fuzzer.outcomes.get("0", 0) >= 20, fuzzer.outcomes
    assert fuzzer.outcomes.get("-1024", 0) >= 1, fuzzer.outcomes
    assert fuzzer.outcomes.get("duplicate", 0) >= 1, fuzzer.outcomes
    # Every kind of answer was reached, not one path over and over.
    seen = set(fuzzer.by_status)
    for expected in [
        ("POST /odoo/api/workflow/receive", 200),
        ("POST /odoo/api/workflow/receive", 400),
        ("POST /odoo/api/workflow/receive", 403),
        ("POST /odoo/api/workflow/receive", 413),
        ("POST /odoo/api/workflow/approval/log", 200),
        ("POST /odoo/api/workflow/approval/log", 400),
        ("POST /odoo/api/workflow/approval/log", 403),
        ("GET /odoo/api/workflow/receive", 405),
        ("GET /odoo/api/oauth2/authorize", 302),
        ("GET /odoo/api/oauth2/authorize", 303),
        ("GET /odoo/api/oauth2/authorize", 400),
        ("POST /odoo/api/oauth2/token", 400),
        ("POST /odoo/api/oauth2/token", 401),
        ("GET /odoo/api/oauth2/userinfo", 200),
        ("POST /odoo/api/oauth2/userinfo", 401),
    ]:
        assert expected in seen, (expected, summary)
    # An answer in the right format is not enough: nothing may have failed inside.
    log = Path(server["log"]).read_text(errors="replace")
    errors = [line for line in log.splitlines() if re.search(r" (ERROR|CRITICAL) ", line)]
    assert errors == [], f"{len(errors)} ERROR lines in {server['log']}, e.g. {errors[:2]}"
    assert "Traceback" not in log, log[-3000:]
