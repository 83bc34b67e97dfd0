# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
"""The form schema of engine flows (spec part 1 §5.1, §5.2) read from real
Odoo models: every field type's component, options, the many2one cap, and
labels in the company's language."""

from odoo.tests import TransactionCase, tagged

from odoo.addons.aiflow_connector.protocol.form_schema import MANY2ONE_OPTION_CAP

from .common import PARTNER_FIELDS, EngineDefinitionFixtures


@tagged("post_install", "-at_install")
class TestEngineFormSchema(EngineDefinitionFixtures, TransactionCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.setup_engine_flow()

    def test_form_schema_gives_each_field_type_its_component(self):
        self.set_company_lang("en_US")
        components = self.components()
        self.assertEqual([c["name"] for c in components], list(PARTNER_FIELDS))
        simple = [
            {key: c[key] for key in ("type", "name", "label", "required")} for c in components
        ]
        self.assertEqual(
            simple,
            [
                {"type": "input", "name": "name", "label": "Name", "required": False},
                {"type": "textarea", "name": "comment", "label": "Notes", "required": False},
                {"type": "number", "name": "color", "label": "Color Index", "required": False},
                {
                    "type": "number",
                    "name": "partner_latitude",
                    "label": "Geo Latitude",
                    "required": False,
                },
                {
                    "type": "switch",
                    "name": "is_company",
                    "label": "Is a Company",
                    "required": False,
                },
                {
                    "type": "datetime",
                    "name": "create_date",
                    "label": "Created on",
                    "required": False,
                },
                {"type": "select", "name": "type", "label": "Address Type", "required": False},
                {"type": "select", "name": "title", "label": "Title", "required": False},
                {"type": "select", "name": "country_id", "label": "Country", "required": False},
            ],
        )
        # a selection: its keys and labels, nothing else
        self.assertEqual(
            components[6]["options"],
            [
                {"label": label, "value": key}
                for key, label in self.env["res.partner"]
                ._fields["type"]
                ._description_selection(self.env)
            ],
        )
        self.assertIn({"label": "Delivery Address", "value": "delivery"}, components[6]["options"])
        self.assertNotIn("model", components[6])
        # a many2one: the records' ids (integers) and names, and the comodel
        titles = self.env["res.partner.title"].search([])
        self.assertTrue(titles)
        self.assertEqual(components[7]["model"], "res.partner.title")
        self.assertEqual(
            components[7]["options"],
            [{"label": title.display_name, "value": title.id} for title in titles],
        )
        self.assertTrue(components[7]["optionsComplete"])

    def test_many2one_options_are_capped(self):
        self.set_company_lang("en_US")
        countries = self.env["res.country"].search([])
        self.assertGreater(len(countries), MANY2ONE_OPTION_CAP)
        country = self.components()[8]
        self.assertEqual(country["model"], "res.country")
        self.assertEqual(len(country["options"]), MANY2ONE_OPTION_CAP)
        self.assertFalse(country["optionsComplete"])
        self.assertEqual(
            [option["value"] for option in country["options"]],
            countries[:MANY2ONE_OPTION_CAP].ids,
        )
        self.assertTrue(all(isinstance(o["value"], int) for o in country["options"]))

    def test_required_fields_and_a_text_field_of_employees(self):
        self.set_company_lang("en_US")
        flow = self.env["aiflow.flow"].create(
            {
                "flow_code": "EMPLOYEE_FORM",
                "title": "Employee form",
                "mode": "engine",
                "model_id": self.env["ir.model"]._get_id("hr.employee"),
                "form_field_ids": [
                    (0, 0, {"sequence": n, "field_id": self.field("hr.employee", name).id})
                    for n, name in enumerate(("notes", "birthday", "gender"))
                ],
            }
        )
        notes, birthday, gender = self.components(flow)
        self.assertEqual(
            notes, {"type": "textarea", "name": "notes", "label": "Notes", "required": False}
        )
        self.assertEqual(
            birthday,
            {"type": "date", "name": "birthday", "label": "Date of Birth", "required": False},
        )
        self.assertEqual(
            gender["options"],
            [
                {"label": "Male", "value": "male"},
                {"label": "Female", "value": "female"},
                {"label": "Other", "value": "other"},
            ],
        )
        # required in Odoo, required on the form
        company_line = self.env["aiflow.flow.form.field"].create(
            {
                "flow_id": flow.id,
                "sequence": 99,
                "field_id": self.field("hr.employee", "company_id").id,
            }
        )
        self.assertTrue(company_line.required)
        company = self.components(flow)[-1]
        self.assertEqual((company["name"], company["required"]), ("company_id", True))
        self.assertEqual(company["model"], "res.company")
        self.assertIn(
            {"label": self.env.company.name, "value": self.env.company.id}, company["options"]
        )

    def test_labels_are_chinese_when_the_company_speaks_chinese(self):
        self.env["res.lang"]._activate_lang("zh_CN")
        self.env["ir.module.module"]._load_module_terms(["base", "hr"], ["zh_CN"])
        self.set_company_lang("zh_CN")
        components = self.components()
        labels = {c["name"]: c["label"] for c in components}
        self.assertEqual(labels["name"], "名称")
        self.assertEqual(labels["is_company"], "是公司")
        self.assertEqual(labels["country_id"], "国家/地区")
        self.assertEqual(labels["type"], "地址类型")
        options = {o["value"]: o["label"] for o in components[6]["options"]}
        self.assertEqual(options["delivery"], "收货地址")
        self.assertEqual(options["invoice"], "发票地址")
        # the records' names in Chinese too
        titles = {o["value"]: o["label"] for o in components[7]["options"]}
        self.assertEqual(titles[self.env.ref("base.res_partner_title_doctor").id], "博士")
        # the same flow in English when the company speaks English
        self.set_company_lang("en_US")
        self.assertEqual(self.components()[0]["label"], "Name")

    # ------------------------------------------------------------ the process
