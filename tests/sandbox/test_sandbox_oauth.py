"""The sandbox as aiflow's OAuth2 client of Odoo (SSO), against a fake Odoo."""

import json
from urllib.parse import parse_qs, urlsplit

import requests

from aiflow_connector.sandbox.server import SandboxServer
from conftest import SANDBOX_CREDENTIAL

from .fake_odoo import USERINFO

CALLBACK = "/aflow/api/oauth2/callback"
REFRESH = "/aflow/api/oauth2/refresh"


def login_redirect(sandbox):
    response = requests.get(sandbox.url + "/sandbox/login", allow_redirects=False, timeout=5)
    assert response.status_code == 302
    location = urlsplit(response.headers["Location"])
    return location, {k: v[-1] for k, v in parse_qs(location.query).items()}


def test_login_redirects_to_odoo_authorize_with_spec_params(linked_sandbox, fake_odoo):
    location, params = login_redirect(linked_sandbox)
    assert f"{location.scheme}://{location.netloc}{location.path}" == (
        fake_odoo.url + "/odoo/api/oauth2/authorize"
    )
    assert params["client_id"] == "APP001"
    assert params["redirect_uri"] == linked_sandbox.url + CALLBACK
    assert params["response_type"] == "code"
    assert params["scope"] == "basic"
    assert len(params["state"]) >= 20
    _, again = login_redirect(linked_sandbox)
    assert again["state"] != params["state"]


def test_public_url_and_client_id_shape_the_redirect(fake_odoo):
    with SandboxServer(
        credential=SANDBOX_CREDENTIAL,
        odoo_url=fake_odoo.url + "/",
        oauth_client_id="AIFLOW_SSO",
        public_url="https://aiflow.example.com/",
    ) as sandbox:
        location, params = login_redirect(sandbox)
    assert location.netloc == urlsplit(fake_odoo.url).netloc
    assert params["client_id"] == "AIFLOW_SSO"
    assert params["redirect_uri"] == "https://aiflow.example.com" + CALLBACK


def test_full_login_shows_who_logged_in(linked_sandbox, fake_odoo):
    session = requests.Session()
    page = session.get(linked_sandbox.url + "/sandbox/login", timeout=5)
    assert page.status_code == 200
    assert page.url == linked_sandbox.url + "/sandbox/whoami"
    html = page.text
    assert 'id="userId">EMP000042<' in html
    assert 'id="username">zhangsan<' in html
    assert 'id="phoneNumber">13800138000<' in html
    assert 'id="email">zhangsan@example.com<' in html
    assert 'id="deptId">DEP000007<' in html
    assert 'id="deptName">技术部 &amp; R&amp;D<' in html
    assert "&lt;script&gt;alert(&#x27;x&#x27;)&lt;/script&gt;" in html
    assert "<script>" not in html

    (token_request,) = fake_odoo.received("/odoo/api/oauth2/token")
    assert token_request["headers"]["Content-Type"] == "application/json"
    assert json.loads(token_request["body"]) == {
        "clientId": "APP001",
        "clientSecret": "sandbox_client_secret",
        "grantType": "authorization_code",
        "code": "code-1",
        "redirectUri": linked_sandbox.url + CALLBACK,
    }
    (userinfo_request,) = fake_odoo.received("/odoo/api/oauth2/userinfo")
    assert userinfo_request["method"] == "POST"
    assert userinfo_request["headers"]["Authorization"] == "Bearer at-1"

    (login,) = linked_sandbox.state["logins"]
    assert login["userinfo"] == USERINFO
    assert login["refreshToken"] == "rt-1"
    # the callback is recorded without the code in clear
    callback_call = next(c for c in linked_sandbox.calls if c["path"] == CALLBACK)
    assert callback_call["body"]["code"] == "***"


def test_whoami_without_a_session(linked_sandbox):
    response = requests.get(linked_sandbox.url + "/sandbox/whoami", timeout=5)
    assert response.status_code == 401
    assert 'id="status">anonymous<' in response.text
    assert 'id="userId"' not in response.text


def test_unknown_state_is_refused(linked_sandbox, fake_odoo):
    login_redirect(linked_sandbox)  # a real state exists, but not this one
    response = requests.get(
        linked_sandbox.url + CALLBACK, params={"code": "code-1", "state": "forged"}, timeout=5
    )
    assert response.status_code == 400
    assert 'id="error">invalid_state<' in response.text
    assert fake_odoo.received("/odoo/api/oauth2/token") == []


def test_missing_state_is_refused(linked_sandbox, fake_odoo):
    response = requests.get(linked_sandbox.url + CALLBACK, params={"code": "code-1"}, timeout=5)
    assert response.status_code == 400
    assert "invalid_state" in response.text
    assert fake_odoo.received("/odoo/api/oauth2/token") == []


def test_state_cannot_be_replayed(linked_sandbox, fake_odoo):
    _, params = login_redirect(linked_sandbox)
    query = {"code": "code-1", "state": params["state"]}
    first = requests.get(
        linked_sandbox.url + CALLBACK, params=query, allow_redirects=False, timeout=5
    )
    assert first.status_code == 302
    assert "aiflow_sandbox_session=" in first.headers["Set-Cookie"]
    second = requests.get(linked_sandbox.url + CALLBACK, params=query, timeout=5)
    assert second.status_code == 400
    assert len(fake_odoo.received("/odoo/api/oauth2/token")) == 1


def test_error_from_odoo_is_shown_escaped(linked_sandbox, fake_odoo):
    fake_odoo.authorize_error = ("access_denied", "<b>user said no</b>")
    response = requests.Session().get(linked_sandbox.url + "/sandbox/login", timeout=5)
    assert response.status_code == 400
    assert 'id="error">access_denied<' in response.text
    assert "&lt;b&gt;user said no&lt;/b&gt;" in response.text
    assert fake_odoo.received("/odoo/api/oauth2/token") == []


def test_refused_code_exchange_is_shown(linked_sandbox, fake_odoo):
    fake_odoo.code = "another-code"  # Odoo no longer knows the code it issued
    _, params = login_redirect(linked_sandbox)
    response = requests.get(
        linked_sandbox.url + CALLBACK,
        params={"code": "code-1", "state": params["state"]},
        timeout=5,
    )
    assert response.status_code == 502
    assert 'id="error">invalid_grant<' in response.text
    assert linked_sandbox.state["logins"] == []


def test_refresh_answers_the_spec_envelope(linked_sandbox, fake_odoo):
    response = requests.post(linked_sandbox.url + REFRESH, json={"refreshToken": "rt-1"}, timeout=5)
    assert response.json() == {
        "status": 0,
        "msg": "success",
        "data": {"accessToken": "at-2", "refreshToken": "rt-2", "expiresIn": 3600},
    }
    (token_request,) = fake_odoo.received("/odoo/api/oauth2/token")
    assert json.loads(token_request["body"]) == {
        "clientId": "APP001",
        "clientSecret": "sandbox_client_secret",
        "grantType": "refresh_token",
        "refreshToken": "rt-1",
    }
    refresh_call = next(c for c in linked_sandbox.calls if c["path"] == REFRESH)
    assert refresh_call["body"] == {"refreshToken": "***"}


def test_refresh_keeps_the_token_when_odoo_does_not_rotate(linked_sandbox, fake_odoo):
    fake_odoo.refreshed = {"accessToken": "at-3", "tokenType": "Bearer", "expiresIn": 60}
    data = requests.post(
        linked_sandbox.url + REFRESH, json={"refreshToken": "rt-1"}, timeout=5
    ).json()
    assert data["data"] == {"accessToken": "at-3", "refreshToken": "rt-1", "expiresIn": 60}


def test_refresh_refused_by_odoo_is_4002_with_its_error(linked_sandbox):
    answer = requests.post(
        linked_sandbox.url + REFRESH, json={"refreshToken": "stale"}, timeout=5
    ).json()
    assert answer["status"] == -4002
    assert answer["data"] == {"errorCode": "invalid_grant", "errorMessage": "unknown code or token"}


def test_refresh_needs_a_refresh_token(linked_sandbox, fake_odoo):
    answer = requests.post(linked_sandbox.url + REFRESH, json={}, timeout=5).json()
    assert answer["status"] == -4002
    assert "refreshToken" in answer["data"]["errorMessage"]
    assert fake_odoo.received("/odoo/api/oauth2/token") == []


def test_refresh_with_odoo_unreachable_is_1024(sandbox):
    # the plain fixture's Odoo URL has nothing listening
    answer = requests.post(sandbox.url + REFRESH, json={"refreshToken": "rt-1"}, timeout=10).json()
    assert answer["status"] == -1024
    assert answer["data"]["errorCode"] == "temporarily_unavailable"
