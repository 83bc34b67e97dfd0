# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
"""Every user-facing string of the addon exists in Chinese.

The terms come from Odoo's own exporter (the same reader that builds the
.pot), so a new label, help text, selection value, menu, view string or
``_()`` message without a zh_CN translation fails here.
"""

import re
from pathlib import Path

from odoo.tests import TransactionCase, tagged
from odoo.tools.translate import PoFileReader, TranslationModuleReader

I18N = Path(__file__).resolve().parent.parent / "i18n"
# Words that stay as they are in Chinese; OCA's PO format leaves a msgstr
# empty when it would repeat the msgid, so such terms need no translation.
NEUTRAL_WORDS = {"aiflow", "ID"}


def is_language_neutral(source):
    """True for codes, URLs and product names, which read the same in Chinese."""
    text = re.sub(r"<[^>]*>", " ", source)
    text = re.sub(r"https?://\S+", " ", text)
    words = re.findall(r"[A-Za-z][A-Za-z0-9_]*", text)
    return all(word in NEUTRAL_WORDS or re.fullmatch(r"[A-Z0-9_]+", word) for word in words)


@tagged("post_install", "-at_install")
class TestZhCnCatalogue(TransactionCase):
    def _catalogue(self):
        with open(I18N / "zh_CN.po", "rb") as po_file:
            return {
                entry["src"]: entry["value"]
                for entry in PoFileReader(po_file)
                if entry["module"] == "aiflow_connector"
            }

    def test_every_exported_term_has_a_chinese_translation(self):
        catalogue = self._catalogue()
        reader = TranslationModuleReader(self.env.cr, modules=["aiflow_connector"])
        sources = {source for _module, _type, _name, _res_id, source, _value, _c in reader}
        self.assertGreater(len(sources), 50, "the exporter found suspiciously few terms")
        missing = sorted(
            source
            for source in sources
            if not catalogue.get(source) and not is_language_neutral(source)
        )
        absent = sorted(source for source in sources if source not in catalogue)
        self.assertFalse(absent, "terms missing from zh_CN.po (run scripts/i18n.sh): %s" % absent)
        self.assertFalse(
            missing,
            "%d terms have no zh_CN translation (run scripts/i18n.sh), e.g. %s"
            % (len(missing), missing[:10]),
        )

    def test_chinese_is_used_when_the_user_speaks_it(self):
        self.env["res.lang"]._activate_lang("zh_CN")
        self.env["ir.module.module"]._load_module_terms(["aiflow_connector"], ["zh_CN"])
        settings = self.env["res.config.settings"].with_context(lang="zh_CN")
        label = settings.fields_get(["aiflow_base_url"])["aiflow_base_url"]["string"]
        catalogue = self._catalogue()
        english = self.env["res.config.settings"].fields_get(["aiflow_base_url"])[
            "aiflow_base_url"
        ]["string"]
        self.assertEqual(label, catalogue[english])
        self.assertNotEqual(label, english)
