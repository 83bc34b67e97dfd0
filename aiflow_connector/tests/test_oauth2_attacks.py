# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
"""Each attack on the OAuth2 endpoints, refused, one test each."""

import base64
import hashlib
import json
from datetime import timedelta

from odoo import fields
from odoo.tests import new_test_user, tagged

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

CONTROLLER_LOGGER = "odoo.addons.aiflow_connector.controllers.oauth2"
VERIFIER = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk"  # RFC 7636 appendix B
CHALLENGE = "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM"


def basic(client_id, secret):
    raw = f"{client_id}:{secret}".encode()
    return {"Authorization": "Basic " + base64.b64encode(raw).decode()}


@tagged("post_install", "-at_install")
class TestOauth2Attacks(Oauth2HttpCase):
    # ------------------------------------------------------------ codes

    def test_reused_code_refused_and_revokes_its_tokens(self):
        code = self.get_code()
        first = self.exchange(code)
        self.assertEqual(first.status_code, 200)
        tokens = first.json()
        self.assertEqual(self.userinfo(tokens["accessToken"]).status_code, 200)

        self.assertOauthError(self.exchange(code), 400, "invalid_grant")
        # RFC 6749 4.1.2: what the code produced is revoked too
        self.assertInvalidToken(self.userinfo(tokens["accessToken"]))
        self.assertOauthError(self.refresh(tokens["refreshToken"]), 400, "invalid_grant")
        row = self.env["aiflow.oauth.token"].search([("user_id", "=", self.user.id)])
        self.assertEqual(row.state, "revoked")
        self.assertEqual(row.revoke_reason, "code_reuse")

    def test_expired_code_refused(self):
        code = self.get_code()
        row = self.env["aiflow.oauth.code"].search([("user_id", "=", self.user.id)])
        self.assertAlmostEqual(
            (row.expires_at - fields.Datetime.now()).total_seconds(), 300, delta=30
        )
        row.expires_at = fields.Datetime.now() - timedelta(seconds=1)
        self.env.flush_all()
        self.assertOauthError(self.exchange(code), 400, "invalid_grant")
        self.assertFalse(self.env["aiflow.oauth.token"].search([("user_id", "=", self.user.id)]))

    def test_unknown_code_refused(self):
        self.assertOauthError(self.exchange("A" * 43), 400, "invalid_grant")

    # ------------------------------------------------------------ redirect URIs

    def _assert_error_page_without_redirect(self, response):
        self.assertEqual(response.status_code, 400, response.text[:300])
        self.assertNotIn("Location", response.headers)
        self.assertTrue(response.headers["Content-Type"].startswith("text/html"))
        self.assertNotIn("evil", response.text.split("<code>")[0])
        self.assertFalse(self.env["aiflow.oauth.code"].search([("user_id", "=", self.user.id)]))

    def test_redirect_uri_mismatch_at_authorize(self):
        self.authenticate(self.user.login, PASSWORD)
        for uri in (
            REDIRECT_URI + "?next=http://evil.example/",
            REDIRECT_URI + "/",
            REDIRECT_URI.upper(),
            REDIRECT_URI.replace("http://", "https://"),
            REDIRECT_URI + "/../../evil",
        ):
            with self.subTest(uri=uri):
                self._assert_error_page_without_redirect(self.authorize(redirect_uri=uri))

    def test_unregistered_redirect_never_redirects(self):
        self.authenticate(self.user.login, PASSWORD)
        self._assert_error_page_without_redirect(
            self.authorize(redirect_uri="http://evil.example/steal")
        )
        # nor for a visitor without a session (no detour via the login page)
        self.logout()
        self._assert_error_page_without_redirect(
            self.authorize(redirect_uri="http://evil.example/steal")
        )
        # a missing redirect_uri is not replaced by the registered one
        self.authenticate(self.user.login, PASSWORD)
        self._assert_error_page_without_redirect(self.authorize(redirect_uri=None))

    def test_redirect_uri_mismatch_at_token(self):
        self.params.set_param(
            "aiflow_connector.oauth_redirect_uris",
            REDIRECT_URI + "\nhttp://aiflow.test/other/callback",
        )
        code = self.get_code()
        response = self.exchange(code, redirectUri="http://aiflow.test/other/callback")
        self.assertOauthError(response, 400, "invalid_grant")
        code = self.get_code()
        self.assertOauthError(self.exchange(code, redirectUri=None), 400, "invalid_grant")

    # ------------------------------------------------------------ client authentication

    def test_wrong_secret_refused(self):
        code = self.get_code()
        response = self.exchange(code, clientSecret=CLIENT_SECRET + "x")
        self.assertOauthError(response, 401, "invalid_client")
        # the code was not burned by an unauthenticated caller
        self.assertEqual(self.exchange(code).status_code, 200)
        # same over HTTP Basic: 401 with a Basic challenge
        response = self.post_raw(
            TOKEN,
            {"grant_type": "refresh_token", "refresh_token": "x"},
            headers=basic(CLIENT_ID, "wrong"),
        )
        self.assertOauthError(response, 401, "invalid_client")
        self.assertTrue(response.headers["WWW-Authenticate"].startswith("Basic "))

    def test_wrong_client_refused(self):
        code = self.get_code()
        response = self.exchange(code, clientId="OTHER-APP")
        self.assertOauthError(response, 401, "invalid_client")
        # at authorize, an unknown client gets an error page, never a redirect
        self.authenticate(self.user.login, PASSWORD)
        response = self.authorize(client_id="OTHER-APP")
        self.assertEqual(response.status_code, 400)
        self.assertNotIn("Location", response.headers)

    def test_missing_client_secret_configured_refuses_everyone(self):
        self.params.set_param("aiflow_connector.oauth_client_secret", False)
        code = self.get_code()
        self.assertOauthError(self.exchange(code, clientSecret=""), 401, "invalid_client")
        self.assertOauthError(self.exchange(code), 401, "invalid_client")

    def test_failed_client_authentications_throttled(self):
        Throttle = self.env["aiflow.oauth.throttle"]
        for _attempt in range(Throttle._max_failures):
            response = self.refresh("whatever", clientSecret="guess")
            self.assertOauthError(response, 401, "invalid_client")
        response = self.refresh("whatever", clientSecret="guess")
        self.assertOauthError(response, 429, "invalid_client")
        retry_after = int(response.headers["Retry-After"])
        self.assertTrue(0 < retry_after <= Throttle._window_seconds + 1, retry_after)
        # locked out: even the right secret is refused until the window ends
        code = self.get_code()
        self.assertOauthError(self.exchange(code), 429, "invalid_client")
        row = Throttle.search([("client_id", "=", CLIENT_ID)])
        self.assertEqual(row.failures, Throttle._max_failures + 2)  # refused ones count too
        self.assertAlmostEqual(
            int(self.exchange(code).headers["Retry-After"]), retry_after, delta=2
        )
        row.window_start = fields.Datetime.now() - timedelta(seconds=Throttle._window_seconds + 1)
        self.env.flush_all()
        self.assertEqual(self.exchange(code).status_code, 200)
        self.assertFalse(Throttle.search([("client_id", "=", CLIENT_ID)]))

    # ------------------------------------------------------------ PKCE

    def test_pkce_verifier_mismatch_refused(self):
        code = self.get_code(code_challenge=CHALLENGE, code_challenge_method="S256")
        response = self.exchange(code, codeVerifier="x" * 43)
        self.assertOauthError(response, 400, "invalid_grant")
        # the code is burned by that attempt
        self.assertOauthError(self.exchange(code, codeVerifier=VERIFIER), 400, "invalid_grant")

        code = self.get_code(code_challenge=CHALLENGE, code_challenge_method="S256")
        self.assertOauthError(self.exchange(code), 400, "invalid_grant")  # verifier missing

        code = self.get_code(code_challenge=CHALLENGE, code_challenge_method="S256")
        self.assertEqual(self.exchange(code, codeVerifier=VERIFIER).status_code, 200)

        # a verifier for a code issued without challenge: downgrade attempt
        code = self.get_code()
        self.assertOauthError(self.exchange(code, codeVerifier=VERIFIER), 400, "invalid_grant")

    def test_pkce_plain_method_refused_at_authorize(self):
        self.authenticate(self.user.login, PASSWORD)
        response = self.authorize(code_challenge=VERIFIER, code_challenge_method="plain")
        self.assertEqual(response.status_code, 302)
        _location, query = self.location_query(response)
        self.assertEqual(query["error"], "invalid_request")
        self.assertNotIn("code", query)
        digest = hashlib.sha256(b"short").digest()
        short = base64.urlsafe_b64encode(digest).decode()  # padded: malformed
        _location, query = self.location_query(
            self.authorize(code_challenge=short, code_challenge_method="S256")
        )
        self.assertEqual(query["error"], "invalid_request")

    # ------------------------------------------------------------ refresh tokens

    def test_refresh_token_reuse_revokes_the_family(self):
        tokens = self.login_tokens()
        second = self.refresh(tokens["refreshToken"]).json()
        self.assertEqual(self.userinfo(second["accessToken"]).status_code, 200)

        self.assertOauthError(self.refresh(tokens["refreshToken"]), 400, "invalid_grant")
        # the whole family is dead, including the pair the thief may hold
        self.assertInvalidToken(self.userinfo(second["accessToken"]))
        self.assertOauthError(self.refresh(second["refreshToken"]), 400, "invalid_grant")
        rows = self.env["aiflow.oauth.token"].search([("user_id", "=", self.user.id)])
        self.assertEqual(set(rows.mapped("state")), {"revoked"})
        self.assertIn("refresh_reuse", rows.mapped("revoke_reason"))

    def test_refresh_token_of_another_client_or_widened_scope_refused(self):
        tokens = self.login_tokens()
        response = self.refresh(tokens["refreshToken"], scope="basic admin")
        self.assertOauthError(response, 400, "invalid_scope")
        self.assertEqual(self.refresh(tokens["refreshToken"]).status_code, 200)

    def test_expired_access_and_refresh_tokens_refused(self):
        tokens = self.login_tokens()
        row = self.env["aiflow.oauth.token"].search([("user_id", "=", self.user.id)])
        row.access_expires_at = fields.Datetime.now() - timedelta(seconds=1)
        self.env.flush_all()
        self.assertInvalidToken(self.userinfo(tokens["accessToken"]))
        row.refresh_expires_at = fields.Datetime.now() - timedelta(seconds=1)
        self.env.flush_all()
        self.assertOauthError(self.refresh(tokens["refreshToken"]), 400, "invalid_grant")

    # ------------------------------------------------------------ user changes

    def test_token_of_archived_user_refused(self):
        tokens = self.login_tokens()
        self.user.active = False
        self.env.flush_all()
        self.assertInvalidToken(self.userinfo(tokens["accessToken"]))
        self.assertOauthError(self.refresh(tokens["refreshToken"]), 400, "invalid_grant")
        row = self.env["aiflow.oauth.token"].search([("user_id", "=", self.user.id)])
        self.assertEqual(row.state, "revoked")
        self.assertEqual(row.revoke_reason, "archived")

    def test_archived_user_code_cannot_be_exchanged(self):
        code = self.get_code()
        self.user.active = False
        self.env.flush_all()
        self.assertOauthError(self.exchange(code), 400, "invalid_grant")

    def test_token_after_password_change_refused(self):
        tokens = self.login_tokens()
        self.user.password = "An0ther-pa55word"
        self.env.flush_all()
        self.assertInvalidToken(self.userinfo(tokens["accessToken"]))
        self.assertOauthError(self.refresh(tokens["refreshToken"]), 400, "invalid_grant")

    def test_token_after_password_change_bypassing_write_refused(self):
        """A password set by SQL (no ORM write hook) still kills the token:
        tokens are bound to the password hash."""
        tokens = self.login_tokens()
        self.env.cr.execute(
            "UPDATE res_users SET password = %s WHERE id = %s",
            ("$pbkdf2-sha512$1000$c2FsdA$" + "A" * 86, self.user.id),
        )
        self.assertInvalidToken(self.userinfo(tokens["accessToken"]))

    def test_portal_user_cannot_sign_in(self):
        portal = new_test_user(
            self.env, login="sso_portal", password=PASSWORD, groups="base.group_portal"
        )
        self.authenticate(portal.login, PASSWORD)
        response = self.authorize()
        self.assertEqual(response.status_code, 302)
        _location, query = self.location_query(response)
        self.assertEqual(query["error"], "access_denied")
        self.assertEqual(query["state"], "st-123")
        self.assertNotIn("code", query)

    # ------------------------------------------------------------ authorize errors

    def test_missing_state_refused(self):
        self.authenticate(self.user.login, PASSWORD)
        response = self.authorize(state=None)
        self.assertEqual(response.status_code, 302)
        location, query = self.location_query(response)
        self.assertTrue(location.startswith(REDIRECT_URI + "?"))
        self.assertEqual(query["error"], "invalid_request")
        self.assertIn("state", query["error_description"])
        self.assertNotIn("code", query)
        self.assertFalse(self.env["aiflow.oauth.code"].search([("user_id", "=", self.user.id)]))

    def test_other_authorize_errors_redirect_with_state(self):
        self.authenticate(self.user.login, PASSWORD)
        for params, error in (
            ({"response_type": "token"}, "unsupported_response_type"),
            ({"response_type": None}, "unsupported_response_type"),
            ({"scope": "basic admin"}, "invalid_scope"),
        ):
            with self.subTest(params=params):
                response = self.authorize(**params)
                self.assertEqual(response.status_code, 302)
                _location, query = self.location_query(response)
                self.assertEqual(query["error"], error)
                self.assertEqual(query["state"], "st-123")
                self.assertNotIn("code", query)
        response = self.url_open(
            AUTHORIZE + f"?client_id={CLIENT_ID}&redirect_uri={REDIRECT_URI}&response_type=code"
            "&state=a&state=b",
            allow_redirects=False,
        )
        _location, query = self.location_query(response)
        self.assertEqual(query["error"], "invalid_request")
        self.assertNotIn("state", query)

    # ------------------------------------------------------------ malformed input

    def test_malformed_json_refused(self):
        # answered as OAuth2 errors by design, not by the catch-all
        with self.assertNoLogs(CONTROLLER_LOGGER, "ERROR"):
            bodies = [
                b"",
                b"{",
                b"[]",
                b'"text"',
                b"null",
                b"\xff\xfe{}",
                b'{"clientId": 1, "clientSecret": "x", "grantType": "authorization_code"}',
                b'{"clientId": ["APP001"], "grantType": "refresh_token"}',
                b'{"clientId": "APP001", "clientSecret": "x"}',
                b'{"grantType": {"a": 1}}',
                b"[" * 100000,
                json.dumps({"grantType": "x" * 100000}).encode(),
                b'{"clientId": "APP\\u0000001", "grantType": "refresh_token"}',
            ]
            for body in bodies:
                with self.subTest(body=body[:40]):
                    response = self.post_raw(TOKEN, body, "application/json")
                    self.assertOauthError(response, 400, "invalid_request")
            # a well-formed request with an unknown grant type
            response = self.token_json(
                {"clientId": CLIENT_ID, "clientSecret": CLIENT_SECRET, "grantType": "password"}
            )
            self.assertOauthError(response, 400, "unsupported_grant_type")

    def test_wrong_content_types_refused(self):
        # answered as OAuth2 errors by design, not by the catch-all
        with self.assertNoLogs(CONTROLLER_LOGGER, "ERROR"):
            body = json.dumps(
                {
                    "clientId": CLIENT_ID,
                    "clientSecret": CLIENT_SECRET,
                    "grantType": "refresh_token",
                    "refreshToken": "x",
                }
            ).encode()
            for content_type in (
                None,
                "text/plain",
                "application/xml",
                "multipart/form-data; boundary=xyz",
                "application/jsonx",
                "",
            ):
                with self.subTest(content_type=content_type):
                    response = self.post_raw(TOKEN, body, content_type)
                    self.assertOauthError(response, 400, "invalid_request")
            # form-encoded garbage
            for body in (b"grant_type", b"grant_type=a&grant_type=b", b"%%%"):
                with self.subTest(body=body):
                    response = self.post_raw(TOKEN, body, "application/x-www-form-urlencoded")
                    self.assertEqual(response.status_code, 400, response.text)
                    self.assertIn(response.json()["error"], ("invalid_request",))
            # Basic credentials plus a body secret: two methods at once
            response = self.post_raw(
                TOKEN,
                {"grant_type": "refresh_token", "refresh_token": "x", "client_secret": "y"},
                headers=basic(CLIENT_ID, CLIENT_SECRET),
            )
            self.assertOauthError(response, 400, "invalid_request")
            response = self.post_raw(
                TOKEN,
                {"grant_type": "refresh_token", "refresh_token": "x"},
                headers={"Authorization": "Basic !!!notbase64"},
            )
            self.assertOauthError(response, 401, "invalid_client")

    def test_userinfo_malformed_authorization_refused(self):
        # answered as OAuth2 errors by design, not by the catch-all
        with self.assertNoLogs(CONTROLLER_LOGGER, "ERROR"):
            tokens = self.login_tokens()
            for header in (
                None,
                "",
                "Bearer",
                "Bearer ",
                "Basic " + tokens["accessToken"],
                tokens["accessToken"],
                "Bearer " + tokens["accessToken"] + " extra",
                "Bearer " + tokens["accessToken"][:-1],
                "Bearer " + tokens["refreshToken"],
                "Bearer ÄÖÜ",
                "Bearer " + "A" * 5000,
            ):
                with self.subTest(header=(header or "")[:30]):
                    headers = {"Authorization": header} if header is not None else {}
                    response = self.post_raw(USERINFO, b"", headers=headers)
                    self.assertInvalidToken(response)
            self.assertEqual(self.userinfo(tokens["accessToken"]).status_code, 200)

    def test_odd_methods_and_queries_never_give_a_server_error(self):
        base = self.base_url()
        self.authenticate(self.user.login, PASSWORD)
        with self.assertNoLogs(CONTROLLER_LOGGER, "ERROR"):
            for method, path in (
                ("GET", TOKEN),
                ("PUT", TOKEN),
                ("DELETE", USERINFO),
                ("POST", AUTHORIZE),
                ("PUT", AUTHORIZE),
            ):
                with self.subTest(method=method, path=path):
                    response = self.opener.request(
                        method, base + path, timeout=15, allow_redirects=False
                    )
                    self.assertLess(response.status_code, 500, response.text[:200])
            for query in (
                "client_id=%ff&redirect_uri=%00",
                f"client_id={CLIENT_ID}&redirect_uri={REDIRECT_URI}&state=" + "s" * 5000,
                f"client_id={CLIENT_ID}&redirect_uri={REDIRECT_URI}&state=%ff%fe",
                f"client_id={CLIENT_ID}&redirect_uri={REDIRECT_URI}&response_type=code"
                "&state=x&scope=%00",
                f"client_id={CLIENT_ID}&client_id={CLIENT_ID}&redirect_uri={REDIRECT_URI}",
                "client_id=" + "A" * 5000,
                "%%%&&&==",
            ):
                with self.subTest(query=query[:60]):
                    response = self.url_open(AUTHORIZE + "?" + query, allow_redirects=False)
                    self.assertIn(response.status_code, (302, 400), response.text[:200])
                    location = response.headers.get("Location", "")
                    self.assertTrue(
                        not location or location.startswith(REDIRECT_URI + "?"), location
                    )
                    self.assertNotIn("code=", location)
