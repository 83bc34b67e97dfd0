# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
"""A task-center flow and a document it approves."""

from odoo.tests import new_test_user

from .oauth2 import PASSWORD


class TaskCenterFixtures:
    @classmethod
    def setup_task_center(cls):
        env = cls.env
        cls.params = env["ir.config_parameter"].sudo()
        cls.params.set_param("web.base.url", "http://odoo.example.com")
        cls.manager = new_test_user(
            env, login="tc_manager", password=PASSWORD, name="Li Manager", groups="base.group_user"
        )
        cls.manager_employee = env["hr.employee"].create(
            {
                "name": "Li Manager",
                "user_id": cls.manager.id,
                "company_id": cls.manager.company_id.id,
            }
        )
        cls.reviewer = new_test_user(
            env,
            login="tc_reviewer",
            password=PASSWORD,
            name="Wang Reviewer",
            groups="base.group_user",
        )
        cls.flow = env["aiflow.flow"].create(
            {
                "flow_code": "DEPT_CHANGE",
                "title": "部门变更审批",
                "model_id": env["ir.model"]._get_id("hr.department"),
                "group_id": "GROUP001",
                "manager_user_id": cls.manager.id,
                "operation_user_id": cls.reviewer.id,
                "config_user_id": env.user.id,
                "creator_user_id": cls.manager.id,
            }
        )
        cls.document = env["hr.department"].create({"name": "Research Lab"})
