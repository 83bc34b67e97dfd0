# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
"""The whole SSO flow against Odoo's HTTP server, in both token dialects."""

import os
import re
from unittest.mock import patch
from urllib.parse import parse_qs, urlsplit

import requests
from requests.auth import HTTPBasicAuth
from requests_oauthlib import OAuth2Session

from odoo.tests import tagged

from .common import (
    AUTHORIZE,
    CLIENT_ID,
    CLIENT_SECRET,
    PASSWORD,
    REDIRECT_URI,
    TOKEN,
    USERINFO,
    Oauth2HttpCase,
)


@tagged("post_install", "-at_install")
class TestOauth2Flow(Oauth2HttpCase):
    def test_full_flow_plain_http(self):
        self.authenticate(self.user.login, PASSWORD)
        response = self.authorize()
        self.assertEqual(response.status_code, 302)
        self.assertEqual(response.headers.get("Cache-Control"), "no-store")
        location, query = self.location_query(response)
        self.assertTrue(location.startswith(REDIRECT_URI + "?"))
        self.assertEqual(query["state"], "st-123")
        code = query["code"]
        self.assertGreaterEqual(len(code), 43)  # 256 bits, base64url

        code_row = self.env["aiflow.oauth.code"].search([("user_id", "=", self.user.id)])
        self.assertEqual(len(code_row), 1)
        self.assertNotIn(code, code_row.code_hash)  # only the hash is stored
        self.assertEqual(code_row.redirect_uri, REDIRECT_URI)
        self.assertEqual(code_row.scope, "basic")

        response = self.exchange(code)
        self.assertEqual(response.status_code, 200, response.text)
        self.assertEqual(response.headers.get("Cache-Control"), "no-store")
        tokens = response.json()
        self.assertEqual(set(tokens), {"accessToken", "tokenType", "expiresIn", "refreshToken"})
        self.assertEqual(tokens["tokenType"], "Bearer")
        self.assertEqual(tokens["expiresIn"], 3600)
        self.assertNotEqual(tokens["accessToken"], tokens["refreshToken"])

        token_row = self.env["aiflow.oauth.token"].search([("user_id", "=", self.user.id)])
        self.assertEqual(len(token_row), 1)
        self.assertEqual(token_row.state, "active")
        self.assertNotIn(tokens["accessToken"], token_row.access_token_hash)
        self.assertFalse(token_row.last_used_at)

        expected = self.expected_userinfo()
        self.assertTrue(self.employee.aiflow_code and self.department.aiflow_code)
        response = self.userinfo(tokens["accessToken"])
        self.assertEqual(response.status_code, 200, response.text)
        self.assertEqual(response.json(), expected)
        response = self.userinfo(tokens["accessToken"], method="GET")
        self.assertEqual(response.json(), expected)
        token_row.invalidate_recordset()
        self.assertTrue(token_row.last_used_at)

        response = self.refresh(tokens["refreshToken"])
        self.assertEqual(response.status_code, 200, response.text)
        new_tokens = response.json()
        self.assertNotEqual(new_tokens["accessToken"], tokens["accessToken"])
        self.assertNotEqual(new_tokens["refreshToken"], tokens["refreshToken"])
        self.assertEqual(self.userinfo(new_tokens["accessToken"]).json(), expected)
        # rotation: the previous pair is dead
        self.assertInvalidToken(self.userinfo(tokens["accessToken"]))
        token_row.invalidate_recordset()
        self.assertEqual(token_row.state, "rotated")
        rows = self.env["aiflow.oauth.token"].search([("user_id", "=", self.user.id)])
        self.assertEqual(len(rows), 2)
        self.assertEqual(len(set(rows.mapped("family"))), 1)

    def test_login_page_round_trip(self):
        """A visitor without a session goes through /web/login and comes back."""
        session = requests.Session()
        base = self.base_url()
        authorize_url = (
            f"{base}{AUTHORIZE}?client_id={CLIENT_ID}&redirect_uri={REDIRECT_URI}"
            "&response_type=code&scope=basic&state=xyz"
        )
        response = session.get(authorize_url, allow_redirects=False, timeout=15)
        self.assertEqual(response.status_code, 303)
        login_location = response.headers["Location"]
        self.assertTrue(urlsplit(login_location).path.endswith("/web/login"), login_location)
        back_to = parse_qs(urlsplit(login_location).query)["redirect"][0]
        self.assertTrue(back_to.startswith(AUTHORIZE + "?"), back_to)
        self.assertIn("state=xyz", back_to)

        page = session.get(base + "/web/login?" + urlsplit(login_location).query, timeout=30)
        csrf = re.search(r'name="csrf_token" value="([^"]+)"', page.text).group(1)
        response = session.post(
            base + "/web/login",
            data={
                "login": self.user.login,
                "password": PASSWORD,
                "csrf_token": csrf,
                "redirect": back_to,
            },
            allow_redirects=False,
            timeout=30,
        )
        self.assertEqual(response.status_code, 303, response.text[:300])
        self.assertTrue(
            response.headers["Location"].endswith(back_to), response.headers["Location"]
        )
        response = session.get(base + back_to, allow_redirects=False, timeout=15)
        self.assertEqual(response.status_code, 302)
        location, query = self.location_query(response)
        self.assertTrue(location.startswith(REDIRECT_URI + "?"))
        self.assertEqual(query["state"], "xyz")
        tokens = self.exchange(query["code"]).json()
        self.assertEqual(self.userinfo(tokens["accessToken"]).json()["username"], "sso_user")

    def _oauthlib_session(self):
        return OAuth2Session(CLIENT_ID, redirect_uri=REDIRECT_URI, scope=["basic"], pkce="S256")

    def _oauthlib_authorize(self, oauth):
        url, _state = oauth.authorization_url(self.base_url() + AUTHORIZE)
        self.assertIn("code_challenge_method=S256", url)
        self.authenticate(self.user.login, PASSWORD)
        response = self.url_open(url, allow_redirects=False)
        self.assertEqual(response.status_code, 302, response.text[:300])
        code_row = self.env["aiflow.oauth.code"].search([("user_id", "=", self.user.id)], limit=1)
        self.assertEqual(code_row.code_challenge_method, "S256")
        self.assertTrue(code_row.code_challenge)
        return response.headers["Location"]

    @patch.dict(os.environ, {"OAUTHLIB_INSECURE_TRANSPORT": "1"})
    def test_requests_oauthlib_pkce_basic_auth(self):
        """Standard form-encoded path, client authenticated with HTTP Basic."""
        oauth = self._oauthlib_session()
        location = self._oauthlib_authorize(oauth)
        token = oauth.fetch_token(
            self.base_url() + TOKEN,
            authorization_response=location,
            client_secret=CLIENT_SECRET,
            timeout=15,
        )
        self.assertEqual(token["token_type"], "Bearer")
        self.assertEqual(token["expires_in"], 3600)
        self.assertEqual(token["scope"], ["basic"])
        self.assertTrue(token["refresh_token"])
        info = oauth.get(self.base_url() + USERINFO, timeout=15)
        self.assertEqual(info.status_code, 200)
        self.assertEqual(info.json()["userId"], self.employee.aiflow_code)

        old_access = token["access_token"]
        new_token = oauth.refresh_token(
            self.base_url() + TOKEN,
            auth=HTTPBasicAuth(CLIENT_ID, CLIENT_SECRET),
            timeout=15,
        )
        self.assertNotEqual(new_token["access_token"], old_access)
        self.assertEqual(oauth.get(self.base_url() + USERINFO, timeout=15).status_code, 200)
        self.assertInvalidToken(self.userinfo(old_access))

    @patch.dict(os.environ, {"OAUTHLIB_INSECURE_TRANSPORT": "1"})
    def test_requests_oauthlib_pkce_client_secret_post(self):
        """Standard form-encoded path, client_id/client_secret in the body."""
        oauth = self._oauthlib_session()
        location = self._oauthlib_authorize(oauth)
        token = oauth.fetch_token(
            self.base_url() + TOKEN,
            authorization_response=location,
            client_secret=CLIENT_SECRET,
            include_client_id=True,
            timeout=15,
        )
        self.assertTrue(token["access_token"])
        info = oauth.get(self.base_url() + USERINFO, timeout=15)
        self.assertEqual(info.json()["username"], "sso_user")
