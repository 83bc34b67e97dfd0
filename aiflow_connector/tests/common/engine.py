# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
"""An engine-mode flow definition: a form with a field of every kind, and steps."""

from odoo.tests import new_test_user

# engine mode: a flow on contacts (a model every install has)

# res.partner fields covering every component but text and date (the
# employee flow covers them) and monetary (no installed model has one: the
# plain tests cover it).
PARTNER_FIELDS = (
    "name",  # char
    "comment",  # html
    "color",  # integer
    "partner_latitude",  # float
    "is_company",  # boolean
    "create_date",  # datetime
    "type",  # selection
    "title",  # many2one, few records
    "country_id",  # many2one, more records than the cap
)


class EngineDefinitionFixtures:
    @classmethod
    def setup_engine_flow(cls):
        """An engine flow on contacts whose form has a field of every kind
        (PARTNER_FIELDS), two steps: one person with an employee, one by login."""
        env = cls.env
        cls.dept = env["hr.department"].create({"name": "Purchasing"})
        cls.approver = new_test_user(env, login="eng_approver", name="Zhao Approver")
        cls.approver_employee = env["hr.employee"].create(
            {
                "name": "Zhao Approver",
                "user_id": cls.approver.id,
                "department_id": cls.dept.id,
                "company_id": cls.approver.company_id.id,
            }
        )
        cls.loginonly = new_test_user(env, login="eng_loginonly", name="Qian Login")
        cls.flow = env["aiflow.flow"].create(
            {
                "flow_code": "PARTNER_APPROVAL",
                "title": "客户审批",
                "mode": "engine",
                "model_id": env["ir.model"]._get_id("res.partner"),
                "step_ids": [
                    (0, 0, {"name": "部门经理审批", "user_ids": [(6, 0, cls.approver.ids)]}),
                    (0, 0, {"name": "财务审批", "user_ids": [(6, 0, cls.loginonly.ids)]}),
                ],
            }
        )
        cls.flow.form_field_ids = [
            (0, 0, {"sequence": n, "field_id": cls.field("res.partner", name).id})
            for n, name in enumerate(PARTNER_FIELDS)
        ]

    @classmethod
    def field(cls, model, name):
        return cls.env["ir.model.fields"]._get(model, name)

    def never_synced(self):
        """The approver and their department, as if aiflow never got them
        (no outbox row ever): creating the flow must queue them."""
        self.commit_point()
        (self.rows(self.approver_employee) | self.rows(self.dept)).unlink()

    def as_admin(self, flow=None):
        return (flow or self.flow).with_user(self.admin)

    def components(self, flow=None):
        return (flow or self.flow)._aiflow_form_schema()["components"]

    def set_company_lang(self, lang):
        self.env.company.partner_id.lang = lang
