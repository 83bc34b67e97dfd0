# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
"""An OAuth2 client registered in Odoo and the steps of a sign-in from aiflow."""

import json
from urllib.parse import parse_qs, urlencode, urlsplit

from odoo.tests import HttpCase, new_test_user

CLIENT_ID = "APP001"
CLIENT_SECRET = "s3cret-for-tests"
REDIRECT_URI = "http://aiflow.test/aflow/api/oauth2/callback"
AUTHORIZE = "/odoo/api/oauth2/authorize"
TOKEN = "/odoo/api/oauth2/token"
USERINFO = "/odoo/api/oauth2/userinfo"
PASSWORD = "Sso-user-pa55word"


class Oauth2HttpCase(HttpCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.params = cls.env["ir.config_parameter"].sudo()
        cls.params.set_param("aiflow_connector.app_id", CLIENT_ID)
        cls.params.set_param("aiflow_connector.oauth_client_id", False)
        # hashed as in production (Odoo's test base lowers the rounds)
        cls.env["aiflow.oauth.client"]._oauth_set_client_secret(CLIENT_SECRET)
        cls.params.set_param("aiflow_connector.oauth_redirect_uris", REDIRECT_URI)
        # counters a server run left in this database would lock the tests out
        cls.env["aiflow.oauth.throttle"].search([]).unlink()
        cls.department = cls.env["hr.department"].create({"name": "SSO Technology"})
        cls.user = new_test_user(
            cls.env,
            login="sso_user",
            password=PASSWORD,
            name="Zhang San",
            email="zhangsan@example.com",
            groups="base.group_user",
        )
        cls.employee = cls.env["hr.employee"].create(
            {
                "name": "Zhang San",
                "user_id": cls.user.id,
                "department_id": cls.department.id,
                "mobile_phone": "13800138000",
                "work_email": "zhangsan@corp.example.com",
                "company_id": cls.user.company_id.id,
            }
        )

    # ------------------------------------------------------------ helpers

    def expected_userinfo(self):
        """What userinfo must say of the fixture's user (spec part 2, 1.3)."""
        return {
            "userId": self.employee.aiflow_code,
            "username": "sso_user",
            "name": "Zhang San",
            "phoneNumber": "13800138000",
            "email": "zhangsan@corp.example.com",
            "deptId": self.department.aiflow_code,
            "deptName": "SSO Technology",
        }

    def authorize(self, **params):
        query = {
            "client_id": CLIENT_ID,
            "redirect_uri": REDIRECT_URI,
            "response_type": "code",
            "scope": "basic",
            "state": "st-123",
        }
        query.update(params)
        query = {k: v for k, v in query.items() if v is not None}
        return self.url_open(AUTHORIZE + "?" + urlencode(query), allow_redirects=False)

    def location_query(self, response):
        location = response.headers.get("Location", "")
        return location, {k: v[0] for k, v in parse_qs(urlsplit(location).query).items()}

    def get_code(self, user=None, **params):
        self.authenticate((user or self.user).login, PASSWORD)
        response = self.authorize(**params)
        self.assertEqual(response.status_code, 302, response.text[:300])
        location, query = self.location_query(response)
        self.assertTrue(location.startswith(REDIRECT_URI + "?"), location)
        self.assertIn("code", query)
        return query["code"]

    def post_raw(self, path, body, content_type=None, headers=None):
        all_headers = dict(headers or {})
        if content_type is not None:
            all_headers["Content-Type"] = content_type
        return self.opener.post(
            self.base_url() + path,
            data=body,
            headers=all_headers,
            timeout=15,
            allow_redirects=False,
        )

    def token_json(self, body):
        return self.post_raw(TOKEN, json.dumps(body).encode(), "application/json")

    def exchange(self, code, **overrides):
        body = {
            "clientId": CLIENT_ID,
            "clientSecret": CLIENT_SECRET,
            "grantType": "authorization_code",
            "code": code,
            "redirectUri": REDIRECT_URI,
        }
        body.update(overrides)
        return self.token_json({k: v for k, v in body.items() if v is not None})

    def refresh(self, refresh_token, **overrides):
        body = {
            "clientId": CLIENT_ID,
            "clientSecret": CLIENT_SECRET,
            "grantType": "refresh_token",
            "refreshToken": refresh_token,
        }
        body.update(overrides)
        return self.token_json(body)

    def login_tokens(self, user=None):
        response = self.exchange(self.get_code(user))
        self.assertEqual(response.status_code, 200, response.text)
        return response.json()

    def userinfo(self, access_token, method="POST"):
        headers = {"Authorization": "Bearer " + access_token}
        if method == "GET":
            return self.opener.get(self.base_url() + USERINFO, headers=headers, timeout=15)
        return self.post_raw(USERINFO, b"", headers=headers)

    def assertOauthError(self, response, status, error):
        self.assertEqual(response.status_code, status, response.text[:500])
        self.assertTrue(
            response.headers.get("Content-Type", "").startswith("application/json"),
            response.headers.get("Content-Type"),
        )
        body = response.json()
        self.assertEqual(body.get("error"), error, body)
        self.assertIsInstance(body.get("error_description"), str)
        return body

    def assertInvalidToken(self, response):
        self.assertOauthError(response, 401, "invalid_token")
        challenge = response.headers.get("WWW-Authenticate", "")
        self.assertTrue(challenge.startswith("Bearer "), challenge)
        self.assertIn('error="invalid_token"', challenge)


# ----------------------------------------------------------------------
# task center: a flow for departments (a model every install has) and people
# with and without an employee
