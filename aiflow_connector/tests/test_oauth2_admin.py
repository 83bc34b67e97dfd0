# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
"""Settings, administration and housekeeping of the OAuth2 server."""

from datetime import timedelta

from odoo import fields
from odoo.exceptions import AccessError, ValidationError
from odoo.tests import new_test_user, tagged

from .common import CLIENT_ID, PASSWORD, Oauth2HttpCase

PREFIX = "aiflow_connector."


@tagged("post_install", "-at_install")
class TestOauth2Admin(Oauth2HttpCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.admin = new_test_user(
            cls.env, login="sso_admin", groups="base.group_user,base.group_system"
        )

    def _save_settings(self, **values):
        settings = self.env["res.config.settings"].with_user(self.admin).create(values)
        settings.execute()
        return settings

    def test_settings_store_the_client_secret_hashed(self):
        self._save_settings(aiflow_oauth_client_secret="Typed-Secret-1")
        stored = self.params.get_param(PREFIX + "oauth_client_secret")
        self.assertTrue(stored.startswith("$pbkdf2-sha512$"), stored)
        self.assertNotIn("Typed-Secret-1", stored)
        # hashed by Odoo's own password policy (scheme and rounds), which
        # Odoo's test base lowers to 1 round, so compare the contexts
        password_hash = self.env["res.users"]._crypt_context().hash("x")
        self.assertEqual(stored.split("$")[:3], password_hash.split("$")[:3])
        self.assertTrue(self.env["res.users"]._crypt_context().verify("Typed-Secret-1", stored))
        fresh = self.env["res.config.settings"].with_user(self.admin).create({})
        self.assertFalse(fresh.aiflow_oauth_client_secret)
        self.assertTrue(fresh.aiflow_oauth_client_secret_set)

        code = self.get_code()
        self.assertEqual(self.exchange(code, clientSecret="Typed-Secret-1").status_code, 200)

        # saving with the field left empty keeps the secret
        self._save_settings(aiflow_oauth_code_ttl=300)
        self.assertEqual(self.params.get_param(PREFIX + "oauth_client_secret"), stored)

    def test_plain_text_secret_parameter_is_upgraded_on_first_use(self):
        self.params.set_param(PREFIX + "oauth_client_secret", "plain-secret")
        code = self.get_code()
        self.assertOauthError(
            self.exchange(code, clientSecret="plain-secreT"), 401, "invalid_client"
        )
        self.assertEqual(self.params.get_param(PREFIX + "oauth_client_secret"), "plain-secret")
        self.assertEqual(self.exchange(code, clientSecret="plain-secret").status_code, 200)
        stored = self.params.get_param(PREFIX + "oauth_client_secret")
        self.assertTrue(stored.startswith("$pbkdf2-sha512$"), stored)

    def test_client_id_defaults_to_app_id(self):
        self.params.set_param(PREFIX + "oauth_client_id", "SSO-CLIENT")
        self.authenticate(self.user.login, PASSWORD)
        response = self.authorize(client_id=CLIENT_ID)
        self.assertEqual(response.status_code, 400)  # the app id no longer is the client
        self.assertEqual(self.authorize(client_id="SSO-CLIENT").status_code, 302)

    def test_lifetime_settings(self):
        self._save_settings(
            aiflow_oauth_code_ttl=60,
            aiflow_oauth_access_token_ttl=120,
            aiflow_oauth_refresh_token_ttl=86400,
        )
        self.assertEqual(self.params.get_param(PREFIX + "oauth_code_ttl"), "60")
        code = self.get_code()
        row = self.env["aiflow.oauth.code"].search([("user_id", "=", self.user.id)])
        self.assertAlmostEqual(
            (row.expires_at - fields.Datetime.now()).total_seconds(), 60, delta=15
        )
        tokens = self.exchange(code).json()
        self.assertEqual(tokens["expiresIn"], 120)
        token = self.env["aiflow.oauth.token"].search([("user_id", "=", self.user.id)])
        self.assertAlmostEqual(
            (token.refresh_expires_at - fields.Datetime.now()).total_seconds(), 86400, delta=15
        )
        with self.assertRaises(ValidationError):
            self._save_settings(aiflow_oauth_code_ttl=0)
        # a broken parameter falls back to the default rather than failing logins
        self.params.set_param(PREFIX + "oauth_code_ttl", "soon")
        self.assertEqual(self.env["aiflow.oauth.client"]._oauth_code_ttl(), 300)

    def test_admin_revokes_a_token(self):
        tokens = self.login_tokens()
        token = (
            self.env["aiflow.oauth.token"]
            .with_user(self.admin)
            .search([("user_id", "=", self.user.id)])
        )
        self.assertEqual(len(token), 1)
        token.action_revoke()
        self.env.flush_all()
        self.assertEqual(token.state, "revoked")
        self.assertEqual(token.revoke_reason, "admin")
        self.assertInvalidToken(self.userinfo(tokens["accessToken"]))
        self.assertOauthError(self.refresh(tokens["refreshToken"]), 400, "invalid_grant")

    def test_tokens_are_for_administrators_only(self):
        self.login_tokens()
        Token = self.env["aiflow.oauth.token"]
        for user in (
            self.user,
            new_test_user(
                self.env, login="sso_operator", groups="aiflow_connector.group_aiflow_operator"
            ),
        ):
            with self.subTest(user=user.login):
                with self.assertRaises(AccessError):
                    Token.with_user(user).search([])
                with self.assertRaises(AccessError):
                    self.env["aiflow.oauth.code"].with_user(user).search([])
        menu = self.env.ref("aiflow_connector.aiflow_oauth_token_menu")
        self.assertEqual(menu.groups_id, self.env.ref("base.group_system"))
        self.assertEqual(menu.parent_id, self.env.ref("aiflow_connector.aiflow_root_menu"))
        # administrators may revoke but not forge tokens
        with self.assertRaises(AccessError):
            Token.with_user(self.admin).create(
                {
                    "user_id": self.user.id,
                    "client_id": CLIENT_ID,
                    "access_expires_at": fields.Datetime.now(),
                    "refresh_expires_at": fields.Datetime.now(),
                    "family": "x",
                    "access_token_hash": "a",
                    "refresh_token_hash": "r",
                }
            )

    def test_vacuum_removes_old_rows_only(self):
        Token = self.env["aiflow.oauth.token"]
        Code = self.env["aiflow.oauth.code"]
        Throttle = self.env["aiflow.oauth.throttle"]
        self.login_tokens()
        self.login_tokens()
        tokens = Token.search([("user_id", "=", self.user.id)])
        codes = Code.search([("user_id", "=", self.user.id)])
        self.assertEqual((len(tokens), len(codes)), (2, 2))
        long_ago = fields.Datetime.now() - timedelta(days=60)
        tokens[0].refresh_expires_at = long_ago
        codes[0].expires_at = long_ago
        Throttle._oauth_count_attempt("old", "10.0.0.1")
        Throttle._oauth_count_attempt("new", "10.0.0.1")
        Throttle.search([("client_id", "=", "old")]).window_start = long_ago
        self.env.flush_all()

        # what the daily ir.autovacuum run calls (it commits, so not called here)
        for model in (Token, Code, Throttle):
            gc_methods = [
                name
                for name in dir(type(model))
                if getattr(getattr(type(model), name, None), "_autovacuum", False)
                and name.startswith("_gc_oauth")
            ]
            self.assertEqual(len(gc_methods), 1, model._name)
            getattr(model, gc_methods[0])()

        self.assertEqual(Token.search([("user_id", "=", self.user.id)]), tokens[1])
        self.assertEqual(Code.search([("user_id", "=", self.user.id)]), codes[1])
        self.assertEqual(Throttle.search([]).mapped("client_id"), ["new"])

    def test_userinfo_of_user_without_employee_uses_login(self):
        lonely = new_test_user(
            self.env,
            login="no_employee_user",
            password=PASSWORD,
            name="Li Si",
            email="lisi@example.com",
            groups="base.group_user",
        )
        lonely.partner_id.phone = "010-12345678"
        tokens = self.login_tokens(lonely)
        info = self.userinfo(tokens["accessToken"]).json()
        self.assertEqual(
            info,
            {
                "userId": "no_employee_user",
                "username": "no_employee_user",
                "name": "Li Si",
                "phoneNumber": "010-12345678",
                "email": "lisi@example.com",
                "deptId": "",
                "deptName": "",
            },
        )

    def test_userinfo_uses_the_employee_of_the_users_company(self):
        other_company = self.env["res.company"].create({"name": "Other SSO Co"})
        self.user.company_ids |= other_company
        self.env["hr.employee"].create(
            {"name": "Zhang San (other)", "user_id": self.user.id, "company_id": other_company.id}
        )
        tokens = self.login_tokens()
        info = self.userinfo(tokens["accessToken"]).json()
        self.assertEqual(info["userId"], self.employee.aiflow_code)
        self.assertEqual(info["deptId"], self.department.aiflow_code)
