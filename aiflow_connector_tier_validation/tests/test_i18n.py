# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
"""Every user-facing string of the bridge exists in Chinese."""

from pathlib import Path

from odoo.tests import TransactionCase, tagged
from odoo.tools.translate import PoFileReader, TranslationModuleReader

from odoo.addons.aiflow_connector.tests.test_i18n import is_language_neutral

ADDON = "aiflow_connector_tier_validation"
PO_FILE = Path(__file__).resolve().parent.parent / "i18n" / "zh_CN.po"


@tagged("post_install", "-at_install")
class TestZhCnCatalogue(TransactionCase):
    def test_every_exported_term_has_a_chinese_translation(self):
        with open(PO_FILE, "rb") as po_file:
            catalogue = {
                entry["src"]: entry["value"]
                for entry in PoFileReader(po_file)
                if entry["module"] == ADDON
            }
        reader = TranslationModuleReader(self.env.cr, modules=[ADDON])
        sources = {source for _module, _type, _name, _res_id, source, _value, _c in reader}
        self.assertGreater(len(sources), 8, "the exporter found suspiciously few terms")
        missing = sorted(
            source
            for source in sources
            if not catalogue.get(source) and not is_language_neutral(source)
        )
        self.assertFalse(missing, "terms without a zh_CN translation: %s" % missing)
