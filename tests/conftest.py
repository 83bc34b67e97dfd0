"""Shared fixtures for the plain-Python tests (run with ``-p no:odoo``).

``sandbox``: a strict aiflow sandbox on 127.0.0.1 (free port) with the
credential of the spec's examples, stopped after the test.
``signed_post(sandbox, path, body, secret=None, method="POST")``: send a
signed request to it the way the connector would.
``fresh_clone``: a clone of the repository's committed HEAD (once per run).
"""

import json
import sys
from pathlib import Path

import pytest
import requests

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    # lets `import aiflow_connector` work whatever directory pytest starts in
    sys.path.insert(0, str(ROOT))

from readme_commands import clone_head  # noqa: E402

from aiflow_connector.protocol.signing import SIGNATURE_HEADER, Credential, Signer  # noqa: E402
from aiflow_connector.sandbox.server import SandboxServer  # noqa: E402

SANDBOX_CREDENTIAL = Credential("COMPANY001", "APP001", "your_app_secret")


@pytest.fixture
def sandbox():
    server = SandboxServer(
        host="127.0.0.1",
        port=0,
        credential=SANDBOX_CREDENTIAL,
        # nothing listens here unless a test says otherwise (odoo_url is
        # only used by SSO and pushes, whose tests point it at a fake)
        odoo_url="http://127.0.0.1:9",
        oauth_client_secret="sandbox_client_secret",
    )
    server.start()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture(scope="session")
def fresh_clone(tmp_path_factory):
    return clone_head(tmp_path_factory.mktemp("fresh-clone") / "aiflow_connector")


def signed_post(sandbox, path, body, secret=None, method="POST", timeout=5, headers=None):
    """Send ``body`` (bytes, str, or a dict/list to JSON-encode) signed with the
    sandbox's credential (or with ``secret`` instead of its app secret) and
    return the ``requests.Response``; the signature covers the exact bytes sent."""
    if isinstance(body, dict | list):
        raw = json.dumps(body, ensure_ascii=False).encode("utf-8")
    elif isinstance(body, str):
        raw = body.encode("utf-8")
    else:
        raw = bytes(body)
    credential = sandbox.credential
    if secret is not None:
        credential = Credential(credential.enterprise_code, credential.app_id, secret)
    all_headers = {
        "Content-Type": "application/json",
        SIGNATURE_HEADER: Signer(credential).sign(raw),
    }
    all_headers.update(headers or {})
    return requests.request(
        method, f"{sandbox.url}{path}", data=raw, headers=all_headers, timeout=timeout
    )
