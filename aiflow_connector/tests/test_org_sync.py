# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
# pylint: disable=invalid-commit
# (these tests commit on connections of their own, never the test's transaction)
"""Departments and employees reach the aiflow sandbox over HTTP, through the
outbox and its worker, complete, correctly mapped and parents first."""

from itertools import pairwise

from psycopg2 import IntegrityError

from odoo import Command
from odoo.exceptions import AccessError
from odoo.tests import new_test_user, tagged
from odoo.tools import mute_logger

from .common import DEPT_PATH, PREFIX, SECRET, USER_PATH, OrgSyncCase


@tagged("post_install", "-at_install")
class TestOrgSync(OrgSyncCase):
    def test_login_change_reaches_aiflow_as_user_name(self):
        dept = self.Dept.create({"name": "Login dept"})
        user = self.env["res.users"].create({"name": "Renamed", "login": "old.login"})
        employee = self.Emp.create(
            {"name": "Renamed", "department_id": dept.id, "user_id": user.id}
        )
        self.deliver()
        self.assertEqual(self.aiflow_user(employee)["userName"], "old.login")
        self.deliver()
        calls = len(self.calls(USER_PATH))
        user.login = "new.login"
        self.deliver()
        self.assertEqual(len(self.calls(USER_PATH)), calls + 1)
        self.assertEqual(self.aiflow_user(employee)["userName"], "new.login")

    def test_tree_arrives_complete_mapped_parents_first(self):
        root, mid, leaf, boss, cto, lead, staff = self.make_tree()
        user = self.env["res.users"].create(
            {"name": "Lead login", "login": "lead.login@example.com"}
        )
        lead.user_id = user
        stats = self.deliver()

        # Departments first, in one call (batch), parents before children.
        calls = self.calls()
        self.assertEqual([c["path"] for c in calls], [DEPT_PATH, USER_PATH])
        self.assertTrue(all(c["httpStatus"] == 200 and c["status"] == 0 for c in calls))
        dept_ids = [i["deptId"] for i in self.sent_items(DEPT_PATH)]
        self.assertEqual(dept_ids, [root.aiflow_code, mid.aiflow_code, leaf.aiflow_code])
        user_ids = [i["userId"] for i in self.sent_items(USER_PATH)]
        self.assertEqual(user_ids[:3], [boss.aiflow_code, cto.aiflow_code, lead.aiflow_code])
        self.assertEqual(len(user_ids), 9)
        self.assertFalse(stats.get("failed"))

        self.assertEqual(
            self.aiflow_dept(leaf),
            dict(
                self.aiflow_dept(leaf),
                deptName="Platform",
                parentId=mid.aiflow_code,
                status=1,
            ),
        )
        self.assertEqual(self.aiflow_dept(root)["parentId"], "")
        mapped = self.aiflow_user(lead)
        self.assertEqual(mapped["userName"], "lead.login@example.com")
        self.assertEqual(mapped["realName"], "Lead")
        self.assertEqual(mapped["deptId"], leaf.aiflow_code)
        self.assertEqual(mapped["directSupervisor"], cto.aiflow_code)
        self.assertEqual(self.aiflow_user(boss)["directSupervisor"], "")
        self.assertEqual(self.aiflow_user(boss)["email"], "boss@example.com")
        expected_types = {
            "employee": 1,
            "student": 2,
            "trainee": 2,
            "contractor": 3,
            "worker": 4,
            "freelance": 5,
        }
        for employee in staff:
            got = self.aiflow_user(employee)
            self.assertEqual(got["personnelType"], expected_types[employee.employee_type])
            # Without a user account the code is the user name.
            self.assertEqual(got["userName"], employee.aiflow_code)
            self.assertEqual(got["mobile"], "13800138000")
            self.assertEqual(got["email"], f"{employee.employee_type}@example.com")
            self.assertEqual(got["status"], 1)
        # The rows say so, and keep what was sent and the answer.
        rows = self.rows(staff | lead | boss | cto)
        self.assertEqual(set(rows.mapped("state")), {"done"})
        self.assertIn(lead.aiflow_code, rows.filtered(lambda r: r.res_id == lead.id).request_body)
        self.assertIn("successCount", rows[0].response_body)
        self.assertNotIn(
            SECRET, "".join(rows.mapped("request_body") + rows.mapped("response_body"))
        )
        self.assertEqual(lead.aiflow_sync_state, "done")
        self.assertTrue(lead.aiflow_last_sync)

    def test_rename_move_archive_unarchive_unlink_code_change(self):
        _root, mid, leaf, _boss, _cto, lead, staff = self.make_tree()
        self.deliver()
        other = self.Dept.create({"name": "Sales"})
        self.deliver()

        # Rename and move: one call, that department only.
        before = len(self.calls())
        leaf.write({"name": "Platform Group", "parent_id": other.id})
        self.deliver()
        new_calls = self.calls()[before:]
        self.assertEqual(len(new_calls), 1)
        self.assertEqual(
            [i["deptId"] for i in new_calls[0]["body"]["departments"]], [leaf.aiflow_code]
        )
        self.assertEqual(self.aiflow_dept(leaf)["deptName"], "Platform Group")
        self.assertEqual(self.aiflow_dept(leaf)["parentId"], other.aiflow_code)

        # Archive, unarchive.
        staff[0].action_archive()
        self.deliver()
        self.assertEqual(self.aiflow_user(staff[0])["status"], 0)
        staff[0].action_unarchive()
        self.deliver()
        self.assertEqual(self.aiflow_user(staff[0])["status"], 1)
        mid.action_archive()
        self.deliver()
        self.assertEqual(self.aiflow_dept(mid)["status"], 0)
        mid.action_unarchive()
        self.deliver()
        self.assertEqual(self.aiflow_dept(mid)["status"], 1)

        # Unlink: status 0 under the last known code.
        gone = staff[1]
        gone_code = gone.aiflow_code
        gone.unlink()
        self.deliver()
        self.assertEqual(self.sandbox.state["users"][gone_code]["status"], 0)

        # Department code change: new code enabled, children and members
        # moved to it, then the old one disabled.
        old_code = leaf.aiflow_code
        before = len(self.calls())
        leaf.aiflow_code = "DPLATFORM"
        self.deliver()
        state = self.sandbox.state
        self.assertEqual(state["departments"]["DPLATFORM"]["status"], 1)
        self.assertEqual(state["departments"][old_code]["status"], 0)
        for employee in staff[2:] | lead:
            self.assertEqual(state["users"][employee.aiflow_code]["deptId"], "DPLATFORM")
        paths = [c["path"] for c in self.calls()[before:]]
        self.assertEqual(paths, [DEPT_PATH, USER_PATH, DEPT_PATH])
        self.assertEqual(
            self.calls()[-1]["body"]["departments"],
            [
                {
                    "deptId": old_code,
                    "deptName": "Platform Group",
                    "parentId": other.aiflow_code,
                    "status": 0,
                }
            ],
        )

        # Employee code change: subordinates re-pointed, old code disabled.
        old_lead = lead.aiflow_code
        lead.aiflow_code = "ULEAD"
        self.deliver()
        state = self.sandbox.state
        self.assertEqual(state["users"]["ULEAD"]["status"], 1)
        self.assertEqual(state["users"][old_lead]["status"], 0)
        for employee in staff[2:]:
            self.assertEqual(state["users"][employee.aiflow_code]["directSupervisor"], "ULEAD")

        # Department unlink: its children become roots, then it is disabled.
        child = self.Dept.create({"name": "Child of Sales", "parent_id": other.id})
        self.deliver()
        other_code = other.aiflow_code
        other.unlink()
        self.deliver()
        state = self.sandbox.state
        self.assertEqual(state["departments"][other_code]["status"], 0)
        self.assertEqual(state["departments"][child.aiflow_code]["parentId"], "")
        self.assertEqual(set(self.Outbox.search([]).mapped("state")) - {"done", "cancelled"}, set())

    def test_move_department_moves_nothing_else(self):
        _root, mid, leaf, *_people = self.make_tree()
        other = self.Dept.create({"name": "Other"})
        self.deliver()
        before = len(self.calls())
        mid.parent_id = other
        self.deliver()
        new_calls = self.calls()[before:]
        self.assertEqual(len(new_calls), 1)
        self.assertEqual(new_calls[0]["body"]["departments"][0]["deptId"], mid.aiflow_code)
        self.assertEqual(len(new_calls[0]["body"]["departments"]), 1)
        self.assertEqual(self.aiflow_dept(leaf)["parentId"], mid.aiflow_code)

    def test_no_op_writes_enqueue_nothing_and_twenty_writes_make_one_call(self):
        _root, _mid, leaf, _boss, _cto, _lead, staff = self.make_tree()
        self.deliver()
        count = self.Outbox.search_count([])
        employee = staff[0]
        # Same values, a field aiflow does not see, and a fresh cache.
        employee.write({"name": employee.name, "work_email": employee.work_email})
        employee.write({"job_title": "Engineer", "private_street": "1 Road"})
        # Without tracking nothing reads the old value first: the hook must
        # compare with the database itself.
        name, email = employee.name, employee.work_email
        self.env.invalidate_all()
        self.Emp.with_context(tracking_disable=True).browse(employee.id).write(
            {"name": name, "work_email": email}
        )
        self.Dept.with_context(tracking_disable=True).browse(leaf.id).write({"name": "Platform"})
        leaf.write({"name": "Platform", "color": 3})
        self.commit_point()
        self.assertEqual(self.Outbox.search_count([]), count)

        before = len(self.calls())
        for n in range(20):
            employee.write({"name": f"Renamed {n}", "mobile_phone": f"1390000{n:04d}"})
        self.commit_point()
        self.assertEqual(self.Outbox.search_count([]), count + 1)
        self.deliver()
        new_calls = self.calls()[before:]
        self.assertEqual(len(new_calls), 1)
        self.assertEqual(new_calls[0]["body"]["users"][0]["realName"], "Renamed 19")
        self.assertEqual(self.aiflow_user(employee)["mobile"], "13900000019")

    def test_parent_and_child_created_together_parent_first(self):
        child_first = self.Dept.create({"name": "Later parent"})
        parent = self.Dept.create({"name": "Parent"})
        child_first.parent_id = parent  # the child has the smaller id
        grandchild = self.Dept.create({"name": "Grandchild", "parent_id": child_first.id})
        self.deliver()
        ids = [i["deptId"] for i in self.sent_items(DEPT_PATH)]
        self.assertEqual(ids, [parent.aiflow_code, child_first.aiflow_code, grandchild.aiflow_code])
        self.assertTrue(all(self.aiflow_dept(d) for d in (parent, child_first, grandchild)))

    def test_supervisors_in_later_departments_and_deep_chains(self):
        depts = self.Dept.browse()
        for n in range(5):
            depts |= self.Dept.create({"name": f"Dept {n}"})
        # 20-level manager chain, created bottom-up, each boss in a later
        # department than the person they lead.
        chain = []
        for level in range(20):
            chain.append(
                self.Emp.create({"name": f"Level {level}", "department_id": depts[level % 5].id})
            )
        for lower, upper in pairwise(chain):
            lower.parent_id = upper
        self.deliver()
        users = self.sent_items(USER_PATH)
        self.assertEqual(len(users), 20)
        self.assertFalse(self.Outbox.search([("state", "!=", "done")]))
        for employee in chain:
            self.assertEqual(self.aiflow_user(employee)["status"], 1)
        self.assertEqual(self.aiflow_user(chain[0])["directSupervisor"], chain[1].aiflow_code)
        self.assertEqual([u["userId"] for u in users], [e.aiflow_code for e in reversed(chain)])

    def test_codes_stable_unique_and_admin_only(self):
        dept = self.Dept.create({"name": "Coded"})
        employee = self.Emp.create({"name": "Coded person", "department_id": dept.id})
        self.assertRegex(dept.aiflow_code, r"^D\d{6}$")
        self.assertRegex(employee.aiflow_code, r"^U\d{6}$")
        code = dept.aiflow_code
        dept.write({"name": "Renamed", "parent_id": self.Dept.create({"name": "P"}).id})
        self.assertEqual(dept.aiflow_code, code)
        officer = new_test_user(self.env, login="aiflow_hr_officer", groups="hr.group_hr_user")
        with self.assertRaises(AccessError):
            employee.with_user(officer).write({"aiflow_code": "UHACK"})
        employee.with_user(officer).write({"name": "Officer may rename"})
        with self.assertRaises(IntegrityError), mute_logger("odoo.sql_db"):
            employee.aiflow_code = self.Emp.create({"name": "Other"}).aiflow_code
            self.env.flush_all()

    def test_companies_in_scope_only(self):
        company_b = self.env["res.company"].create({"name": "Company B"})
        dept_a = self.Dept.create({"name": "A dept"})
        dept_b = self.Dept.create({"name": "B dept", "company_id": company_b.id})
        self.env["ir.config_parameter"].sudo().set_param(
            PREFIX + "sync_company_ids", str(self.env.company.id)
        )
        self.deliver()
        self.assertTrue(self.aiflow_dept(dept_a))
        self.assertFalse(self.aiflow_dept(dept_b))
        self.assertFalse(self.rows(dept_b))

    def test_changing_companies_in_settings_sends_and_disables(self):
        company_b = self.env["res.company"].create({"name": "Company B"})
        dept_b = self.Dept.create({"name": "B dept", "company_id": company_b.id})
        person_b = self.Emp.create(
            {"name": "B person", "department_id": dept_b.id, "company_id": company_b.id}
        )
        self.deliver()
        self.assertEqual(self.aiflow_dept(dept_b)["status"], 1)

        def choose(companies):
            self.env["res.config.settings"].create(
                {"aiflow_sync_company_ids": [Command.set(companies.ids)]}
            ).execute()

        # Company B leaves the scope: what aiflow knows of it is disabled.
        choose(self.env.company)
        self.deliver()
        self.assertEqual(self.aiflow_dept(dept_b)["status"], 0)
        self.assertEqual(self.aiflow_user(person_b)["status"], 0)
        dept_b.name = "B dept renamed"  # out of scope now: nothing more is sent
        self.deliver()
        self.assertEqual(self.aiflow_dept(dept_b)["deptName"], "B dept")

        # Every company again: B's records are sent enabled, current data.
        choose(self.env["res.company"])
        self.assertEqual(
            self.env["res.config.settings"].create({}).aiflow_sync_company_ids,
            self.env["res.company"],
        )
        self.deliver()
        self.assertEqual(self.aiflow_dept(dept_b)["status"], 1)
        self.assertEqual(self.aiflow_dept(dept_b)["deptName"], "B dept renamed")
        self.assertEqual(self.aiflow_user(person_b)["status"], 1)
