# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
"""The OpenAPI description the addon serves says what the OAuth2 endpoints
really answer: every answer of a real sign-in (and of its failures) is
checked against the served document (status listed, media type, body
schema, required headers)."""

import base64
import json
import re
from urllib.parse import urlencode

from jsonschema import Draft202012Validator

from odoo.tests import tagged

from ..protocol import openapi
from .common import AUTHORIZE, CLIENT_ID, CLIENT_SECRET, TOKEN, USERINFO, Oauth2HttpCase


@tagged("post_install", "-at_install")
class TestOpenapiDescription(Oauth2HttpCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.doc = None

    def served(self):
        if self.doc is None:
            response = self.url_open(openapi.SERVED_AT)
            self.assertEqual(response.status_code, 200)
            type(self).doc = response.json()
        return self.doc

    def ref(self, node):
        """``node`` with its ``$ref`` (a response object) followed."""
        while "$ref" in node:
            target = self.served()
            for step in node["$ref"].removeprefix("#/").split("/"):
                target = target[step]
            node = target
        return node

    def assertDescribed(self, response, path, method):
        """``response`` is one the served description lists for the operation."""
        doc = self.served()
        operation = doc["paths"][path][method]
        status = str(response.status_code)
        self.assertIn(status, operation["responses"], f"{method} {path}: {status} not described")
        described = self.ref(operation["responses"][status])
        for name, header in described.get("headers", {}).items():
            value = response.headers.get(name)
            if header.get("required"):
                self.assertIsNotNone(value, f"{method} {path} {status}: no {name} header")
            if value is not None:
                schema = header["schema"]
                valid = Draft202012Validator(schema).is_valid(value)
                self.assertTrue(valid, f"{name}: {value!r} does not match {schema}")
        content = described.get("content")
        if not content:
            return None
        media = response.headers.get("Content-Type", "").split(";")[0].strip()
        self.assertIn(media, content, f"{method} {path} {status}: {media} not described")
        if media != "application/json":
            return None
        body = response.json()
        root = {**content[media]["schema"], "components": doc["components"]}
        errors = [e.message for e in Draft202012Validator(root).iter_errors(body)]
        self.assertEqual(errors, [], f"{method} {path} {status}: {body}")
        return body

    # ------------------------------------------------------------ the file

    def test_served_document_is_the_generated_one(self):
        response = self.url_open(openapi.SERVED_AT)
        self.assertEqual(response.status_code, 200)
        self.assertIn("json", response.headers.get("Content-Type", ""))
        self.assertEqual(response.json(), json.loads(openapi.render()))

    # ------------------------------------------------------------ authorize

    def test_authorize_answers_are_described(self):
        # not signed in: to Odoo's login page
        response = self.authorize()
        self.assertEqual(response.status_code, 303)
        self.assertDescribed(response, AUTHORIZE, "get")
        # unknown client: an error page, no redirect
        response = self.authorize(client_id="someone-else")
        self.assertEqual(response.status_code, 400)
        self.assertDescribed(response, AUTHORIZE, "get")
        # signed in: a code, and an error redirect for a bad response_type
        code = self.get_code()
        self.assertTrue(code)
        response = self.authorize()
        self.assertEqual(response.status_code, 302)
        self.assertDescribed(response, AUTHORIZE, "get")
        response = self.authorize(response_type="token")
        self.assertEqual(response.status_code, 302)
        self.assertIn("error=unsupported_response_type", response.headers["Location"])
        self.assertDescribed(response, AUTHORIZE, "get")

    # ------------------------------------------------------------ token + userinfo

    def test_sign_in_in_both_dialects_is_described(self):
        response = self.exchange(self.get_code())
        self.assertEqual(response.status_code, 200)
        tokens = self.assertDescribed(response, TOKEN, "post")
        self.assertIn("accessToken", tokens)
        for method in ("GET", "POST"):
            response = self.userinfo(tokens["accessToken"], method)
            self.assertEqual(response.status_code, 200)
            self.assertEqual(
                self.assertDescribed(response, USERINFO, method.lower()), self.expected_userinfo()
            )
        response = self.refresh(tokens["refreshToken"])
        self.assertEqual(response.status_code, 200)
        self.assertDescribed(response, TOKEN, "post")

        # the RFC 6749 form dialect, client_secret_basic
        basic = base64.b64encode(f"{CLIENT_ID}:{CLIENT_SECRET}".encode()).decode()
        form = urlencode(
            {
                "grant_type": "authorization_code",
                "code": self.get_code(),
                "redirect_uri": self.location_redirect_uri(),
            }
        )
        response = self.post_raw(
            TOKEN,
            form.encode(),
            "application/x-www-form-urlencoded",
            {"Authorization": "Basic " + basic},
        )
        self.assertEqual(response.status_code, 200, response.text)
        tokens = self.assertDescribed(response, TOKEN, "post")
        self.assertEqual(tokens["token_type"], "Bearer")

    def location_redirect_uri(self):
        return self.env["aiflow.oauth.client"]._oauth_redirect_uris()[0]

    def test_token_and_userinfo_errors_are_described(self):
        cases = [
            (self.token_json({"grantType": "authorization_code"}), 401),  # no client
            (self.exchange("no-such-code"), 400),
            (self.exchange(self.get_code(), clientSecret="wrong"), 401),
            (
                self.token_json(
                    {"clientId": CLIENT_ID, "clientSecret": CLIENT_SECRET, "grantType": "password"}
                ),
                400,
            ),
            (self.post_raw(TOKEN, b"{", "application/json"), 400),
            (self.post_raw(TOKEN, b"x", "text/plain"), 400),
        ]
        for response, status in cases:
            self.assertEqual(response.status_code, status, response.text)
            body = self.assertDescribed(response, TOKEN, "post")
            self.assertIn("error", body)
        basic = base64.b64encode(b"nobody:wrong").decode()
        response = self.post_raw(
            TOKEN,
            b"grant_type=refresh_token&refresh_token=x",
            "application/x-www-form-urlencoded",
            {"Authorization": "Basic " + basic},
        )
        self.assertEqual(response.status_code, 401)
        self.assertDescribed(response, TOKEN, "post")
        self.assertTrue(re.match("^Basic ", response.headers["WWW-Authenticate"]))
        # a guesser is throttled: 429 with Retry-After, still an RFC 6749 error
        for _attempt in range(6):
            response = self.token_json(
                {"clientId": "guesser", "clientSecret": "x", "grantType": "refresh_token"}
            )
        self.assertEqual(response.status_code, 429)
        self.assertEqual(self.assertDescribed(response, TOKEN, "post")["error"], "invalid_client")
        for token in ("not-a-token", "a" * 43, "x y"):
            for method in ("GET", "POST"):
                response = self.userinfo(token, method)
                self.assertEqual(response.status_code, 401)
                self.assertDescribed(response, USERINFO, method.lower())
