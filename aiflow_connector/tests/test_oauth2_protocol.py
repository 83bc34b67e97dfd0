# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
"""The plain OAuth2 rules (protocol/oauth2.py), without a database."""

import base64

from odoo.tests import BaseCase, tagged

from odoo.addons.aiflow_connector.protocol import oauth2, oauth2_token

REDIRECT = "https://aiflow.example.com/aflow/api/oauth2/callback"


@tagged("post_install", "-at_install")
class TestOauth2Protocol(BaseCase):
    def test_pkce_s256_rfc7636_vector(self):
        verifier = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk"
        challenge = "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM"
        self.assertEqual(oauth2.s256_challenge(verifier), challenge)
        self.assertTrue(oauth2.verify_pkce_s256(verifier, challenge))
        self.assertFalse(oauth2.verify_pkce_s256(verifier[:-1] + "l", challenge))
        self.assertFalse(oauth2.verify_pkce_s256("short", oauth2.s256_challenge("short")))
        self.assertFalse(oauth2.verify_pkce_s256(verifier, challenge + "="))
        self.assertFalse(oauth2.verify_pkce_s256(None, challenge))

    def test_tokens_are_256_bit_and_hashed(self):
        token = oauth2.generate_token()
        self.assertEqual(len(base64.urlsafe_b64decode(token + "=")), 32)
        self.assertNotEqual(token, oauth2.generate_token())
        self.assertEqual(len(oauth2.hash_token(token)), 64)
        self.assertNotIn(token, oauth2.hash_token(token))

    def test_redirect_uri_exact_match(self):
        registered = oauth2.parse_redirect_uris(f"\n {REDIRECT} \n\nhttps://b.example/cb\n")
        self.assertEqual(registered, [REDIRECT, "https://b.example/cb"])
        self.assertTrue(oauth2.is_registered_redirect_uri(REDIRECT, registered))
        for uri in (
            REDIRECT + "/",
            REDIRECT + "?a=1",
            REDIRECT.upper(),
            "",
            None,
            "https://aiflow.example.com/aflow/api/oauth2/callback#x",
        ):
            self.assertFalse(oauth2.is_registered_redirect_uri(uri, registered), uri)

    def test_with_query_keeps_registered_query(self):
        uri = oauth2.authorize_success_uri("https://a.example/cb?tenant=7", "C", "S t")
        self.assertEqual(uri, "https://a.example/cb?tenant=7&code=C&state=S+t")
        uri = oauth2.authorize_error_uri("https://a.example/cb", "invalid_request", "no", None)
        self.assertEqual(uri, "https://a.example/cb?error=invalid_request&error_description=no")

    def test_authorize_request_order_of_checks(self):
        def parse(**params):
            base = {
                "client_id": "APP",
                "redirect_uri": REDIRECT,
                "response_type": "code",
                "state": "s",
            }
            base.update(params)
            pairs = [(k, v) for k, v in base.items() if v is not None]
            return oauth2.parse_authorize_request(pairs, "APP", [REDIRECT])

        self.assertEqual(parse().scope, "basic")
        # client and redirect problems never redirect
        for params in (
            {"client_id": "X"},
            {"client_id": None},
            {"redirect_uri": None},
            {"redirect_uri": "https://evil.example/"},
        ):
            with self.assertRaises(oauth2.AuthorizeClientError):
                parse(**params)
        with self.assertRaises(oauth2.AuthorizeClientError):
            oauth2.parse_authorize_request(
                [("client_id", "APP"), ("redirect_uri", REDIRECT), ("redirect_uri", REDIRECT)],
                "APP",
                [REDIRECT],
            )
        # the others redirect, with the error code of RFC 6749 4.1.2.1
        for params, error in (
            ({"state": None}, "invalid_request"),
            ({"state": "a\nb"}, "invalid_request"),
            ({"response_type": "token"}, "unsupported_response_type"),
            ({"scope": "openid"}, "invalid_scope"),
            ({"code_challenge": "x" * 43}, "invalid_request"),
            ({"code_challenge": "x" * 42, "code_challenge_method": "S256"}, "invalid_request"),
        ):
            with self.assertRaises(oauth2.OAuthError) as caught:
                parse(**params)
            self.assertEqual(caught.exception.error, error, params)
            self.assertEqual(caught.exception.request.redirect_uri, REDIRECT)
        # no client configured: nobody is a client
        with self.assertRaises(oauth2.AuthorizeClientError):
            oauth2.parse_authorize_request([("client_id", "")], "", [REDIRECT])

    def test_token_request_dialects(self):
        json_request = oauth2_token.parse_token_request(
            "application/json; charset=utf-8",
            b'{"clientId":"APP","clientSecret":"s","grantType":"authorization_code",'
            b'"code":"c","redirectUri":"r","extra":[1]}',
        )
        self.assertEqual(
            (
                json_request.dialect,
                json_request.client_id,
                json_request.client_secret,
                json_request.code,
                json_request.redirect_uri,
            ),
            ("json", "APP", "s", "c", "r"),
        )
        form_request = oauth2_token.parse_token_request(
            "application/x-www-form-urlencoded",
            b"grant_type=refresh_token&refresh_token=R&scope=basic",
            "Basic " + base64.b64encode(b"APP%3A1:p%40ss").decode(),
        )
        self.assertEqual(
            (
                form_request.dialect,
                form_request.client_id,
                form_request.client_secret,
                form_request.refresh_token,
                form_request.basic_auth_used,
            ),
            ("form", "APP:1", "p@ss", "R", True),
        )
        self.assertEqual(
            set(oauth2_token.token_response("json", "a", "r", 60, "basic")),
            {"accessToken", "tokenType", "expiresIn", "refreshToken"},
        )
        self.assertEqual(
            oauth2_token.token_response("form", "a", "r", 60, "basic"),
            {
                "access_token": "a",
                "token_type": "Bearer",
                "expires_in": 60,
                "refresh_token": "r",
                "scope": "basic",
            },
        )

    def test_token_request_refusals(self):
        cases = [
            ("text/plain", b"{}", None, "invalid_request"),
            (None, b"", None, "invalid_request"),
            ("application/json", b"{", None, "invalid_request"),
            ("application/json", b"[1]", None, "invalid_request"),
            ("application/json", b'{"grantType": 5}', None, "invalid_request"),
            ("application/json", b'{"clientId": "a"}', None, "invalid_request"),
            ("application/json", b'{"grantType": "x"}', None, "invalid_client"),
            ("application/json", b"x" * (oauth2.MAX_BODY_BYTES + 1), None, "invalid_request"),
            (
                "application/x-www-form-urlencoded",
                b"grant_type=a&grant_type=a",
                None,
                "invalid_request",
            ),
            (
                "application/x-www-form-urlencoded",
                b"grant_type=x&client_secret=s",
                "Basic YTpi",
                "invalid_request",
            ),
            ("application/x-www-form-urlencoded", b"grant_type=x", "Basic !!", "invalid_client"),
            ("application/x-www-form-urlencoded", b"grant_type=x", "Basic YWJj", "invalid_client"),
            ("application/x-www-form-urlencoded", b"grant_type=%ff", None, "invalid_request"),
        ]
        for content_type, body, authorization, error in cases:
            with self.subTest(body=body[:30], authorization=authorization):
                with self.assertRaises(oauth2.OAuthError) as caught:
                    oauth2_token.parse_token_request(content_type, body, authorization)
                self.assertEqual(caught.exception.error, error)

    def test_bearer_parsing(self):
        self.assertEqual(oauth2_token.parse_bearer("Bearer abc-_.~+/=="), "abc-_.~+/==")
        self.assertEqual(oauth2_token.parse_bearer("bearer  abc "), "abc")
        for header in (None, "", "Bearer", "Basic abc", "Bearer a b", "Bearer ä", "abc"):
            with self.assertRaises(oauth2.OAuthError) as caught:
                oauth2_token.parse_bearer(header)
            self.assertEqual(caught.exception.status, 401)
            self.assertIn('error="invalid_token"', caught.exception.headers["WWW-Authenticate"])

    def test_scope_normalisation(self):
        self.assertEqual(oauth2.normalize_scope(None), "basic")
        self.assertEqual(oauth2.normalize_scope("basic basic"), "basic")
        for scope in ("admin", "basic  admin", 'ba"sic'):
            with self.assertRaises(oauth2.OAuthError):
                oauth2.normalize_scope(scope)
