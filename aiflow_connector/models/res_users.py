# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
from odoo import SUPERUSER_ID, api, models
from odoo.tools import ormcache

from ..protocol import person_phone


class ResUsers(models.Model):
    _inherit = "res.users"

    def write(self, vals):
        res = super().write(vals)
        # Tokens also check the password fingerprint and the active flag when
        # used; revoking here makes the change visible in the token list.
        if vals.get("password"):
            self.env["aiflow.oauth.token"].sudo()._oauth_revoke_users(self, "password")
        if "active" in vals and not vals["active"]:
            self.env["aiflow.oauth.token"].sudo()._oauth_revoke_users(self, "archived")
        if "login" in vals:
            # aiflow's userName is the login of the employee's user.
            self.sudo().with_context(active_test=False).employee_ids._aiflow_changed()
        return res

    @api.model
    @ormcache()
    def _aiflow_admin_lang_company(self):
        """(the admin's language, the superuser's company id), read once:
        Odoo clears its caches when a user's language or company changes,
        as it does for the context of every session. Messages the connector
        writes where no user is (webhooks, the sync worker) are for the
        admin; through the ORM these would read whole user, partner and
        company rows each time."""
        admin_id = self.env["ir.model.data"]._xmlid_to_res_id(
            "base.user_admin", raise_if_not_found=False
        )
        self.env.cr.execute(
            "SELECT (SELECT p.lang FROM res_users u JOIN res_partner p ON p.id = u.partner_id"
            " WHERE u.id = %s), (SELECT company_id FROM res_users WHERE id = %s)",
            (admin_id or None, SUPERUSER_ID),
        )
        return self.env.cr.fetchone()

    @api.model
    def _aiflow_users_of_codes(self, codes):
        """{code: user} for the codes Odoo knows, in one query (read as the
        superuser: no per-field access checks on employees): the inverse of
        :meth:`_aiflow_oauth_user_code`, beside it so the rule lives here.

        A code is an employee's aiflow code (the employee's user; the first
        employee by name when several hold it), else the login of a user
        whose code it is, i.e. who has no employee with a code of their own
        in their company."""
        wanted = sorted({code for code in codes if code})
        found = {}
        if wanted:
            self.env.cr.execute(
                """
                SELECT code, user_id FROM (
                    SELECT e.aiflow_code AS code, e.user_id, 0 AS rank, e.name AS sort, e.id
                      FROM hr_employee e
                     WHERE e.aiflow_code = ANY(%(codes)s) AND e.user_id IS NOT NULL
                    UNION ALL
                    SELECT u.login, u.id, 1, '', u.id
                      FROM res_users u
                     WHERE u.login = ANY(%(codes)s)
                       AND NOT EXISTS (
                            SELECT 1 FROM hr_employee o
                             WHERE o.user_id = u.id AND o.company_id = u.company_id
                               AND o.active AND COALESCE(o.aiflow_code, '') != ''
                               AND o.aiflow_code != u.login)
                ) found
                ORDER BY rank, sort, id
                """,
                {"codes": wanted},
            )
            for code, user_id in self.env.cr.fetchall():
                found.setdefault(code, user_id)  # the first row ranks first
        Users = self.env["res.users"].sudo().with_context(active_test=False)
        return {code: Users.browse(user_id) for code, user_id in found.items()}

    def _aiflow_oauth_employee(self):
        """The user's employee in the user's own company, the one user sync
        sends to aiflow."""
        self.ensure_one()
        return self.sudo().with_company(self.company_id).employee_id

    def _aiflow_oauth_user_code(self):
        """The userId aiflow knows this user by: the employee's aiflow code;
        a user without an employee falls back to the login, since user sync
        never sent such a user and aiflow can only match on login."""
        self.ensure_one()
        employee = self._aiflow_oauth_employee()
        return (employee and employee.aiflow_code) or self.login

    def _aiflow_oauth_userinfo(self):
        """The userinfo body of spec part 2, 1.3."""
        self.ensure_one()
        user = self.sudo()
        employee = self._aiflow_oauth_employee()
        department = employee.department_id
        return {
            "userId": self._aiflow_oauth_user_code(),
            "username": user.login,
            "name": (employee and employee.name) or user.name,
            # the same phone user sync sends (protocol/person_phone.py)
            "phoneNumber": person_phone.employee_phone(employee.mobile_phone, employee.work_phone)
            if employee
            else person_phone.contact_phone(user.partner_id.mobile, user.partner_id.phone),
            "email": (employee and employee.work_email) or user.email or "",
            "deptId": department.aiflow_code or "",
            "deptName": department.name or "",
        }

    def _aiflow_sync_unknown_employees(self):
        """Queue user sync of these users' employees that aiflow never got."""
        employees = self.env["hr.employee"].sudo()
        for user in self:
            employees |= user._aiflow_oauth_employee()
        queued = employees._aiflow_sync_if_never_queued()
        # aiflow refuses a user whose department it lacks: the departments
        # above them that were never synced go too (each waits for its parent).
        departments = queued.department_id
        while departments:
            departments = departments._aiflow_sync_if_never_queued().parent_id
