# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).

import hashlib
import os
import sys
import tempfile
import textwrap

from lxml import etree

from odoo.exceptions import AccessError, UserError, ValidationError
from odoo.tests import TransactionCase, new_test_user, tagged

from odoo.addons.aiflow_connector import settings as aiflow_settings
from odoo.addons.aiflow_connector.protocol.signing import (
    Credential,
    builtin_signature,
    vendor_sdk_error,
)

PREFIX = "aiflow_connector."

# A stand-in for the vendor SDK (aflow-client-python), importable as ``auth``:
# its signature is deliberately different from the built-in rule and
# upper-case, so delegation (and lower-casing) is visible.
FAKE_SDK = textwrap.dedent(
    """
    import hashlib


    class Credential:
        def __init__(self, enterprise_code, app_id, app_secret):
            self.enterprise_code = enterprise_code
            self.app_id = app_id
            self.app_secret = app_secret


    class ASign:
        @staticmethod
        def get_hex_signature(credential, body):
            text = "|".join(
                (credential.enterprise_code, credential.app_id,
                 credential.app_secret, body)
            )
            return hashlib.sha256(text.encode("utf-8")).hexdigest().upper()
    """
)


def fake_sdk_signature(enterprise_code, app_id, app_secret, body):
    text = "|".join((enterprise_code, app_id, app_secret, body))
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


@tagged("post_install", "-at_install")
class TestAiflowSettings(TransactionCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.params = cls.env["ir.config_parameter"].sudo()
        cls.operator = new_test_user(
            cls.env,
            login="aiflow_operator_user",
            groups="base.group_user,aiflow_connector.group_aiflow_operator",
        )
        cls.internal = new_test_user(
            cls.env, login="aiflow_internal_user", groups="base.group_user"
        )
        cls.admin = new_test_user(
            cls.env, login="aiflow_settings_admin", groups="base.group_system"
        )

    def _param(self, name):
        return self.params.get_param(PREFIX + name)

    def _save(self, **values):
        settings = self.env["res.config.settings"].with_user(self.admin).create(values)
        settings.execute()
        return settings

    def _install_fake_sdk(self):
        folder = tempfile.mkdtemp(prefix="aiflow_fake_sdk_")
        os.mkdir(os.path.join(folder, "auth"))
        with open(os.path.join(folder, "auth", "__init__.py"), "w") as handle:
            handle.write(FAKE_SDK)
        sys.path.insert(0, folder)

        self.addCleanup(self._uninstall_fake_sdk)

    def _uninstall_fake_sdk(self):
        sys.path[:] = [path for path in sys.path if "aiflow_fake_sdk_" not in path]
        sys.modules.pop("auth", None)

    # -- defaults and round trip ------------------------------------------------

    def test_defaults_after_install(self):
        self.assertEqual(self._param("timezone"), "Asia/Shanghai")
        self.assertEqual(self._param("signing_method"), "builtin")
        self.assertEqual(self._param("connect_timeout"), "5")
        self.assertEqual(self._param("read_timeout"), "30")
        defaults = self.env["res.config.settings"].default_get(
            ["aiflow_sync_enabled", "aiflow_timezone", "aiflow_read_timeout"]
        )
        self.assertFalse(defaults["aiflow_sync_enabled"])
        self.assertEqual(defaults["aiflow_timezone"], "Asia/Shanghai")
        self.assertEqual(defaults["aiflow_read_timeout"], 30)

    def test_round_trip_to_config_parameters(self):
        self._save(
            aiflow_base_url="  https://aiflow.example.com/  ",
            aiflow_enterprise_code="COMPANY001",
            aiflow_app_id="APP001",
            aiflow_app_secret="your_app_secret",
            aiflow_oauth_client_id="CLIENT001",
            aiflow_oauth_client_secret="client-secret",
            aiflow_oauth_redirect_uris=(
                " https://aiflow.example.com/aflow/api/oauth2/callback \n\n"
                "https://aiflow2.example.com/cb\n"
            ),
            aiflow_timezone="Europe/Berlin",
            aiflow_sync_enabled=True,
            aiflow_signing_method="builtin",
            aiflow_connect_timeout=3,
            aiflow_read_timeout=12,
        )
        expected = {
            "base_url": "https://aiflow.example.com",
            "enterprise_code": "COMPANY001",
            "app_id": "APP001",
            "app_secret": "your_app_secret",
            "oauth_client_id": "CLIENT001",
            "oauth_redirect_uris": "https://aiflow.example.com/aflow/api/oauth2/callback"
            "\nhttps://aiflow2.example.com/cb",
            "timezone": "Europe/Berlin",
            "sync_enabled": "True",
            "signing_method": "builtin",
            "connect_timeout": "3",
            "read_timeout": "12",
        }
        for name, value in expected.items():
            self.assertEqual(self._param(name), value, name)
        # the OAuth client secret is kept, but never in clear (stored as a hash)
        self.assertTrue(self._param("oauth_client_secret"))
        self.assertNotIn("client-secret", self._param("oauth_client_secret"))

        # ... and back into a fresh settings form
        fresh = self.env["res.config.settings"].with_user(self.admin).create({})
        self.assertEqual(fresh.aiflow_base_url, "https://aiflow.example.com")
        self.assertEqual(fresh.aiflow_app_secret, "your_app_secret")
        self.assertEqual(
            fresh.aiflow_oauth_redirect_uris.splitlines(),
            [
                "https://aiflow.example.com/aflow/api/oauth2/callback",
                "https://aiflow2.example.com/cb",
            ],
        )
        self.assertTrue(fresh.aiflow_sync_enabled)
        self.assertEqual(fresh.aiflow_read_timeout, 12)

        settings = self.env["aiflow.connection"]._aiflow_settings()
        self.assertEqual(settings.oauth_client_id, "CLIENT001")
        self.assertEqual(
            list(settings.oauth_redirect_uris),
            [
                "https://aiflow.example.com/aflow/api/oauth2/callback",
                "https://aiflow2.example.com/cb",
            ],
        )
        self.assertIs(settings.sync_enabled, True)
        self.assertEqual(settings.connect_timeout, 3.0)
        self.assertEqual(settings.read_timeout, 12.0)
        self.assertEqual(self.env["aiflow.connection"]._aiflow_settings().timezone, "Europe/Berlin")

        # turning sync off and clearing a value removes the parameter
        self._save(aiflow_sync_enabled=False, aiflow_oauth_client_id=False)
        self.assertFalse(self._param("sync_enabled"))
        self.assertIs(self.env["aiflow.connection"]._aiflow_settings().sync_enabled, False)
        # the OAuth client id falls back to the app id
        self.assertEqual(self.env["aiflow.connection"]._aiflow_settings().oauth_client_id, "APP001")

    def test_odoo_urls_follow_web_base_url(self):
        self.params.set_param("web.base.url", "https://erp.example.com/")
        settings = self.env["res.config.settings"].create({})
        self.assertEqual(
            settings.aiflow_url_oauth_authorize,
            "https://erp.example.com/odoo/api/oauth2/authorize",
        )
        self.assertEqual(
            settings.aiflow_url_oauth_token, "https://erp.example.com/odoo/api/oauth2/token"
        )
        self.assertEqual(
            settings.aiflow_url_oauth_userinfo,
            "https://erp.example.com/odoo/api/oauth2/userinfo",
        )

    def test_settings_view_has_the_aiflow_section(self):
        arch = (
            self.env["res.config.settings"]
            .with_user(self.admin)
            .get_views([(False, "form")])["views"]["form"]["arch"]
        )
        self.assertIn('name="aiflow_connector"', arch)
        # An app of its own (a sidebar entry), holding the section "aiflow".
        block = etree.fromstring(arch).xpath("//block[@name='aiflow_connector']")
        self.assertEqual(len(block), 1)
        self.assertEqual(block[0].get("title"), "aiflow")
        app = block[0].getparent()
        self.assertEqual(
            (app.tag, app.get("name"), app.get("string")), ("app", "aiflow_connector", "aiflow")
        )
        self.assertIn('name="action_aiflow_test_connection"', arch)
        for field_name in (
            "aiflow_base_url",
            "aiflow_enterprise_code",
            "aiflow_app_id",
            "aiflow_app_secret",
            "aiflow_oauth_client_id",
            "aiflow_oauth_client_secret",
            "aiflow_oauth_redirect_uris",
            "aiflow_timezone",
            "aiflow_sync_enabled",
            "aiflow_signing_method",
            "aiflow_signing_warning",
            "aiflow_connect_timeout",
            "aiflow_read_timeout",
            "aiflow_url_oauth_authorize",
            "aiflow_url_oauth_token",
            "aiflow_url_oauth_userinfo",
        ):
            self.assertIn(f'name="{field_name}"', arch)

    def test_unknown_timezone_falls_back(self):
        self.params.set_param(PREFIX + "timezone", "Mars/Olympus_Mons")
        with self.assertLogs("odoo.addons.aiflow_connector.settings", "WARNING") as logs:
            self.assertEqual(
                self.env["aiflow.connection"]._aiflow_settings().timezone, "Asia/Shanghai"
            )
        self.assertIn("Mars/Olympus_Mons", logs.output[0])

    # -- validation ---------------------------------------------------------------

    def test_invalid_base_url_refused(self):
        self._save(aiflow_base_url="https://aiflow.example.com")
        for bad in (
            "ftp://aiflow.example.com",
            "aiflow.example.com",
            "http://",
            "javascript:alert(1)",
        ):
            with self.subTest(url=bad):
                with self.assertRaisesRegex(ValidationError, "The aiflow base URL .* is invalid"):
                    self._save(aiflow_base_url=bad)
                self.assertEqual(self._param("base_url"), "https://aiflow.example.com")
        self._save(aiflow_base_url="http://127.0.0.1:8090")
        self.assertEqual(self._param("base_url"), "http://127.0.0.1:8090")

    def test_invalid_redirect_uri_refused(self):
        with self.assertRaisesRegex(ValidationError, "redirect URI"):
            self._save(aiflow_oauth_redirect_uris="https://ok.example.com/cb\nnot a url")
        self.assertFalse(self._param("oauth_redirect_uris"))

    def test_invalid_timeouts_refused(self):
        for field_name, key, word in (
            ("aiflow_connect_timeout", "connect_timeout", "connect timeout"),
            ("aiflow_read_timeout", "read_timeout", "read timeout"),
        ):
            for bad in (0, -1):
                with self.subTest(field=field_name, value=bad):
                    with self.assertRaisesRegex(ValidationError, word):
                        self._save(**{field_name: bad})
            self._save(**{field_name: 7})
            self.assertEqual(self._param(key), "7")

    def test_sync_queue_numbers_refused_out_of_range(self):
        for field_name, key, bad_values, good in (
            ("aiflow_sync_batch_size", "sync_batch_size", (0, -3, 1001), 250),
            ("aiflow_sync_max_attempts", "sync_max_attempts", (0, -1), 12),
            ("aiflow_outbox_vacuum_days", "outbox_vacuum_days", (0, -7), 90),
        ):
            for bad in bad_values:
                with self.subTest(field=field_name, value=bad):
                    with self.assertRaisesRegex(ValidationError, "must be a whole number"):
                        self._save(**{field_name: bad})
                    self.assertNotEqual(self._param(key), str(bad))
            self._save(**{field_name: good})
            self.assertEqual(self._param(key), str(good))

    def test_sync_queue_numbers_edited_by_hand_are_bounded(self):
        # A system parameter typed in Technical > Parameters skips Settings.
        for raw, expected in (("5000", 1000), ("abc", 100), ("-4", 100), ("250", 250)):
            with self.subTest(raw=raw):
                self.env["ir.config_parameter"].sudo().set_param(PREFIX + "sync_batch_size", raw)
                self.assertEqual(aiflow_settings.of_env(self.env).sync_batch_size, expected)

    def test_settings_read_once_until_a_parameter_changes(self):
        # every webhook call and every save of a department reads them:
        # the second read costs no query, a change is seen at once
        params = self.env["ir.config_parameter"].sudo()
        params.set_param(PREFIX + "sync_batch_size", "40")
        self.assertEqual(aiflow_settings.of_env(self.env).sync_batch_size, 40)
        with self.assertQueryCount(0):
            self.assertEqual(aiflow_settings.of_env(self.env).sync_batch_size, 40)
        params.set_param(PREFIX + "sync_batch_size", "41")
        self.assertEqual(aiflow_settings.of_env(self.env).sync_batch_size, 41)
        params.search([("key", "=", PREFIX + "sync_batch_size")]).unlink()
        self.assertEqual(aiflow_settings.of_env(self.env).sync_batch_size, 100)

    def test_sync_queue_number_message_in_chinese(self):
        self.env["res.lang"]._activate_lang("zh_CN")
        self.env["ir.module.module"].search(
            [("name", "=", "aiflow_connector")]
        )._update_translations(["zh_CN"], overwrite=True)
        with self.assertRaises(ValidationError) as caught:
            self.env["res.config.settings"].with_user(self.admin).with_context(lang="zh_CN").create(
                {"aiflow_sync_batch_size": 5000}
            ).execute()
        self.assertIn("1 到 1000", str(caught.exception))
        self.assertNotIn("must be", str(caught.exception))

    def test_sdk_refused_when_not_importable(self):
        reason = vendor_sdk_error()
        self.assertTrue(reason, "the vendor SDK must not be installed in this test environment")
        with self.assertRaises(UserError) as caught:
            self._save(aiflow_signing_method="sdk")
        message = str(caught.exception)
        self.assertIn("aflow-client-python", message)
        self.assertIn("from auth import ASign, Credential", message)
        self.assertIn(reason, message)
        self.assertEqual(self._param("signing_method"), "builtin")
        # the form shows the same warning before saving
        form = self.env["res.config.settings"].new({"aiflow_signing_method": "sdk"})
        self.assertIn("aflow-client-python", form.aiflow_signing_warning)
        builtin = self.env["res.config.settings"].new({"aiflow_signing_method": "builtin"})
        self.assertFalse(builtin.aiflow_signing_warning)

    def test_sdk_signing_delegates_to_vendor_sdk(self):
        self._install_fake_sdk()
        self.assertIsNone(vendor_sdk_error())
        self._save(
            aiflow_enterprise_code="COMPANY001",
            aiflow_app_id="APP001",
            aiflow_app_secret="your_app_secret",
            aiflow_signing_method="sdk",
        )
        self.assertEqual(self._param("signing_method"), "sdk")
        self.assertFalse(self.env["res.config.settings"].create({}).aiflow_signing_warning)
        signer = self.env["aiflow.connection"]._aiflow_signer()
        body = '{"departments":[]}'
        expected = fake_sdk_signature("COMPANY001", "APP001", "your_app_secret", body)
        self.assertEqual(signer.sign(body), expected)
        self.assertNotEqual(
            expected,
            builtin_signature(Credential("COMPANY001", "APP001", "your_app_secret"), body),
        )
        self.assertTrue(signer.verify(body, expected.upper()))

    def test_sdk_gone_later_does_not_block_unrelated_saves(self):
        self._install_fake_sdk()
        self._save(aiflow_signing_method="sdk")
        self._uninstall_fake_sdk()
        self.assertTrue(vendor_sdk_error())
        # the stored choice is unchanged, so saving something else still works
        self._save(aiflow_signing_method="sdk", aiflow_read_timeout=9)
        self.assertEqual(self._param("read_timeout"), "9")
        # but signing now fails with the clear message instead of a traceback
        self.params.set_param(PREFIX + "enterprise_code", "COMPANY001")
        self.params.set_param(PREFIX + "app_id", "APP001")
        self.params.set_param(PREFIX + "app_secret", "your_app_secret")
        with self.assertRaisesRegex(UserError, "aflow-client-python"):
            self.env["aiflow.connection"]._aiflow_signer()

    def test_signer_and_client_name_what_is_missing(self):
        with self.assertRaises(UserError) as caught:
            self.env["aiflow.connection"]._aiflow_client()
        message = str(caught.exception)
        for label in ("aiflow Base URL", "Enterprise Code", "App ID", "App Secret"):
            self.assertIn(label, message)
        self.params.set_param(PREFIX + "enterprise_code", "COMPANY001")
        self.params.set_param(PREFIX + "app_id", "APP001")
        with self.assertRaises(UserError) as caught:
            self.env["aiflow.connection"]._aiflow_signer()
        self.assertIn("App Secret", str(caught.exception))
        self.assertNotIn("Enterprise Code", str(caught.exception))

    # -- access -------------------------------------------------------------------

    def test_secrets_hidden_from_non_admins(self):
        self.params.set_param(PREFIX + "app_secret", "your_app_secret")
        self.params.set_param(PREFIX + "oauth_client_secret", "client-secret")
        record = self.env["res.config.settings"].with_user(self.admin).create({})
        for user in (self.operator, self.internal):
            for field_name in ("aiflow_app_secret", "aiflow_oauth_client_secret"):
                with self.subTest(user=user.login, field=field_name):
                    settings = self.env["res.config.settings"].with_user(user)
                    with self.assertRaises(AccessError):
                        settings.default_get([field_name])
                    with self.assertRaises(AccessError):
                        record.with_user(user).read([field_name])
                    with self.assertRaises(AccessError):
                        settings.onchange({}, [], {field_name: {}})
                    with self.assertRaises(AccessError):
                        self.env["ir.config_parameter"].with_user(user).get_param(
                            PREFIX + "app_secret"
                        )
        # the administrator can
        self.assertEqual(record.aiflow_app_secret, "your_app_secret")
        self.assertEqual(
            self.env["res.config.settings"]
            .with_user(self.admin)
            .default_get(["aiflow_app_secret"])["aiflow_app_secret"],
            "your_app_secret",
        )

    def test_non_admin_cannot_run_connection_test(self):
        for user in (self.operator, self.internal):
            with self.subTest(user=user.login), self.assertRaises(AccessError):
                self.env["res.config.settings"].with_user(user).action_aiflow_test_connection()

    def test_groups_and_menus(self):
        operator_group = self.env.ref("aiflow_connector.group_aiflow_operator")
        self.assertIn(operator_group, self.env.ref("base.group_system").implied_ids)
        self.assertEqual(
            operator_group.category_id, self.env.ref("aiflow_connector.module_category_aiflow")
        )
        self.assertTrue(self.admin.has_group("aiflow_connector.group_aiflow_operator"))
        self.assertTrue(self.operator.has_group("aiflow_connector.group_aiflow_operator"))
        self.assertFalse(self.internal.has_group("aiflow_connector.group_aiflow_operator"))

        root = self.env.ref("aiflow_connector.aiflow_root_menu")
        configuration = self.env.ref("aiflow_connector.aiflow_configuration_menu")
        self.assertEqual(root.groups_id, operator_group)
        self.assertEqual(root.web_icon, "aiflow_connector,static/description/icon.png")
        self.assertEqual(configuration.parent_id, root)
        # The menu opens the settings on the aiflow app.
        self.assertEqual(
            configuration.action.context, "{'module': 'aiflow_connector', 'bin_size': False}"
        )
        menus = self.env["ir.ui.menu"]
        self.assertIn(configuration.id, menus.with_user(self.admin)._visible_menu_ids())
        self.assertIn(root.id, menus.with_user(self.admin)._visible_menu_ids())
        self.assertNotIn(configuration.id, menus.with_user(self.operator)._visible_menu_ids())
        self.assertNotIn(root.id, menus.with_user(self.internal)._visible_menu_ids())
