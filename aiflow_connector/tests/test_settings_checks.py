# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
"""Settings refuse what cannot work, and say why in English and Chinese: a bad
aiflow base URL (a pasted endpoint path is cut off instead), and sync turned
on without complete credentials."""

from odoo.exceptions import ValidationError
from odoo.tests import TransactionCase, new_test_user, tagged

PREFIX = "aiflow_connector."
GOOD_URL = "https://aiflow.example.com"
CREDENTIALS = {
    "aiflow_base_url": GOOD_URL,
    "aiflow_enterprise_code": "COMPANY001",
    "aiflow_app_id": "APP001",
    "aiflow_app_secret": "your_app_secret",
}

# typed URL, English words of the refusal, Chinese words of the refusal
BAD_URLS = [
    (
        "https://aiflow。example.com",
        'the full-width character "。" (U+3002) at position 15: type the half-width "." instead',
        '第 15 个字符是全角字符"。"（U+3002），请改用半角"."',
    ),
    (
        "https：//aiflow.example.com",
        'the full-width character "：" (U+FF1A) at position 6: type the half-width ":" instead',
        '第 6 个字符是全角字符"："（U+FF1A），请改用半角":"',
    ),
    (
        "https:／／aiflow.example.com",
        'the full-width character "／" (U+FF0F) at position 7: type the half-width "/" instead',
        '第 7 个字符是全角字符"／"（U+FF0F），请改用半角"/"',
    ),
    (
        "http://aiflow example.com",
        "it contains a space at position 14",
        "第 14 个字符是空格",
    ),
    (
        "https://aiflow.example.com?tenant=1",
        'it contains a query "?tenant=1": the base URL ends with the host or a path prefix',
        '地址中包含查询参数"?tenant=1"：基础地址应止于主机名或路径前缀',
    ),
    (
        "https://aiflow.example.com/#/home",
        'it contains a fragment "#/home"',
        '地址中包含片段"#/home"',
    ),
    (
        "https://admin:pw@aiflow.example.com",
        "it contains a user name or password (before @)",
        "地址中包含用户名或密码（@ 之前的部分）",
    ),
    (
        "https://aiflow.example.com:99999",
        'the port "99999" is not a number from 1 to 65535',
        '端口"99999"不是 1 到 65535 之间的数字',
    ),
    ("https://", "it names no host", "地址中没有主机名"),
    (
        "ftp://aiflow.example.com",
        'it must start with http:// or https://, not "ftp://"',
        '地址必须以 http:// 或 https:// 开头，而不是"ftp://"',
    ),
    (
        "aiflow.example.com",
        "it does not start with http:// or https:// (did you mean https://aiflow.example.com?)",
        "地址未以 http:// 或 https:// 开头（是否应为 https://aiflow.example.com？）",
    ),
    (
        "https://-aiflow.example.com",
        '"-aiflow.example.com" is not a valid host name',
        '"-aiflow.example.com"不是有效的主机名',
    ),
]


class SettingsCase(TransactionCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.params = cls.env["ir.config_parameter"].sudo()
        cls.admin = new_test_user(cls.env, login="aiflow_checks_admin", groups="base.group_system")
        cls.env["res.lang"]._activate_lang("zh_CN")
        cls.env["ir.module.module"].search(
            [("name", "=", "aiflow_connector")]
        )._update_translations(["zh_CN"], overwrite=True)

    def _param(self, name):
        return self.params.get_param(PREFIX + name)

    def _settings(self, lang="en_US"):
        return self.env["res.config.settings"].with_user(self.admin).with_context(lang=lang)

    def _save(self, lang="en_US", **values):
        settings = self._settings(lang).create(values)
        settings.execute()
        return settings

    def _refusal(self, lang="en_US", **values):
        with self.assertRaises(ValidationError) as caught:
            self._save(lang, **values)
        return str(caught.exception)


@tagged("post_install", "-at_install")
class TestBaseUrlOnSave(SettingsCase):
    def test_each_bad_url_is_refused_with_its_reason_in_english_and_chinese(self):
        self._save(aiflow_base_url=GOOD_URL)
        for typed, english, chinese in BAD_URLS:
            with self.subTest(url=typed):
                message = self._refusal(aiflow_base_url=typed)
                self.assertIn(f'The aiflow base URL "{typed}" is invalid: ', message)
                self.assertIn(english, message)
                message = self._refusal("zh_CN", aiflow_base_url=typed)
                self.assertIn(f'aiflow 基础地址"{typed}"无效：', message)
                self.assertIn(chinese, message)
                self.assertNotIn("invalid", message)
                self.assertEqual(self._param("base_url"), GOOD_URL)

    def test_one_message_for_settings_and_calls(self):
        bad = "http://aiflow example.com"
        self._save(**CREDENTIALS)
        for lang in ("en_US", "zh_CN"):
            saved = self._refusal(lang, aiflow_base_url=bad)
            # the same URL stored by a script: the call refuses it in the same words
            self.params.set_param(PREFIX + "base_url", bad)
            connection = self.env["aiflow.connection"].with_context(lang=lang)
            ok, message = connection._aiflow_test_connection()
            self.assertFalse(ok)
            self.assertEqual(message, saved)
            self.params.set_param(PREFIX + "base_url", GOOD_URL)

    def test_pasted_endpoint_path_is_cut_off(self):
        self._save(aiflow_base_url="https://x.example.com/aflow/api/sys/sync/department")
        self.assertEqual(self._param("base_url"), "https://x.example.com")
        self._save(aiflow_base_url="https://x.example.com/gw/aflow/api/sys/sync/user/")
        self.assertEqual(self._param("base_url"), "https://x.example.com/gw")

    def test_good_urls_are_stored_clean(self):
        for typed, stored in (
            ("https://aiflow.example.com/", "https://aiflow.example.com"),
            ("HTTPS://AIFLOW.EXAMPLE.COM", "https://aiflow.example.com"),
            ("https://流程.example.cn", "https://流程.example.cn"),
            ("http://127.0.0.1:8090", "http://127.0.0.1:8090"),
            ("http://localhost:8090/", "http://localhost:8090"),
            ("https://gw.example.com/aiflow", "https://gw.example.com/aiflow"),
        ):
            with self.subTest(url=typed):
                self._save(aiflow_base_url=typed)
                self.assertEqual(self._param("base_url"), stored)
        self._save(aiflow_base_url=False)
        self.assertFalse(self._param("base_url"))

    def test_typing_a_pasted_endpoint_says_it_was_cut_off(self):
        for lang, words in (
            ("en_US", "The aiflow endpoint path /aflow/api/sys/sync/department was removed"),
            ("zh_CN", "已从基础地址中去掉 aiflow 接口路径 /aflow/api/sys/sync/department"),
        ):
            form = self._settings(lang).new({})
            form.aiflow_base_url = "https://x.example.com/aflow/api/sys/sync/department"
            result = form._onchange_aiflow_base_url()
            self.assertEqual(form.aiflow_base_url, "https://x.example.com")
            self.assertIn(words, result["warning"]["message"])
            self.assertIn("https://x.example.com", result["warning"]["message"])

    def test_typing_a_bad_url_says_why_at_once(self):
        for lang, words in (
            ("en_US", "it contains a space at position 14"),
            ("zh_CN", "第 14 个字符是空格"),
        ):
            form = self._settings(lang).new({})
            form.aiflow_base_url = "http://aiflow example.com"
            result = form._onchange_aiflow_base_url()
            self.assertIn(words, result["warning"]["message"])
            self.assertEqual(form.aiflow_base_url, "http://aiflow example.com")
        form = self._settings().new({})
        form.aiflow_base_url = GOOD_URL
        self.assertIsNone(form._onchange_aiflow_base_url())


@tagged("post_install", "-at_install")
class TestSyncNeedsCredentials(SettingsCase):
    def test_sync_on_without_enterprise_code_is_refused(self):
        values = dict(CREDENTIALS, aiflow_enterprise_code=False, aiflow_sync_enabled=True)
        message = self._refusal(**values)
        self.assertIn("missing: Enterprise Code.", message)
        self.assertNotIn("App ID", message.split("missing:")[1])
        message = self._refusal("zh_CN", **values)
        self.assertIn("缺少：企业编码。", message)
        self.assertFalse(self._param("sync_enabled"))

    def test_every_missing_credential_is_named(self):
        message = self._refusal(aiflow_sync_enabled=True)
        missing = message.split("missing:")[1]
        for label in ("aiflow Base URL", "Enterprise Code", "App ID", "App Secret"):
            self.assertIn(label, missing)
        message = self._refusal("zh_CN", aiflow_sync_enabled=True)
        for label in ("aiflow 基础地址", "企业编码", "应用 ID", "应用密钥"):
            self.assertIn(label, message)

    def test_clearing_a_credential_while_sync_is_on_is_refused(self):
        self._save(aiflow_sync_enabled=True, **CREDENTIALS)
        self.assertEqual(self._param("sync_enabled"), "True")
        message = self._refusal(aiflow_sync_enabled=True, **dict(CREDENTIALS, aiflow_app_id=""))
        self.assertIn("missing: App ID.", message)
        self.assertEqual(self._param("app_id"), "APP001")
        # turning sync off at the same time is fine
        self._save(aiflow_sync_enabled=False, **dict(CREDENTIALS, aiflow_app_id=""))
        self.assertFalse(self._param("app_id"))

    def test_a_saved_secret_counts_as_present(self):
        self._save(**CREDENTIALS)
        # a fresh form, as the browser opens it: only sync is switched on
        form = self._settings().create({"aiflow_sync_enabled": True})
        form.execute()
        self.assertEqual(self._param("sync_enabled"), "True")
        self.assertEqual(self._param("app_secret"), "your_app_secret")

    def test_an_unrelated_save_is_not_blocked_by_an_older_state(self):
        # sync switched on by a script with a credential missing
        self._save(**CREDENTIALS)
        self.params.set_param(PREFIX + "sync_enabled", "True")
        self.params.set_param(PREFIX + "enterprise_code", False)
        self._settings().create({"aiflow_read_timeout": 12}).execute()
        self.assertEqual(self._param("read_timeout"), "12")

    def test_switching_sync_on_in_the_form_is_undone_with_a_warning(self):
        for lang, words in (
            ("en_US", "missing: Enterprise Code, App Secret."),
            ("zh_CN", "缺少：企业编码, 应用密钥。"),
        ):
            form = self._settings(lang).new(
                dict(CREDENTIALS, aiflow_enterprise_code=False, aiflow_app_secret=False)
            )
            form.aiflow_sync_enabled = True
            result = form._onchange_aiflow_sync_enabled()
            self.assertFalse(form.aiflow_sync_enabled)
            self.assertIn(words, result["warning"]["message"])
        form = self._settings().new(dict(CREDENTIALS))
        form.aiflow_sync_enabled = True
        self.assertIsNone(form._onchange_aiflow_sync_enabled())
        self.assertTrue(form.aiflow_sync_enabled)
