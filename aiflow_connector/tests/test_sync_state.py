# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
"""What a department's or employee's aiflow smart button says around a save,
and how the console shows a row's JSON."""

import json

from odoo.tests import tagged

from .common import OrgSyncCase


@tagged("post_install", "-at_install")
class TestSyncState(OrgSyncCase):
    def state(self, record):
        record.invalidate_recordset(["aiflow_sync_state"])
        return record.aiflow_sync_state

    def test_a_saved_change_reads_queued_then_synced(self):
        labels = dict(self.Dept._fields["aiflow_sync_state"]._description_selection(self.env))
        self.assertEqual(labels["pending"], "Queued")
        # The form reads the record back in the save's own transaction,
        # before the outbox row is written: it is queued, not "not synced".
        dept = self.Dept.create({"name": "Smart button"})
        self.assertEqual(self.state(dept), "pending")
        self.commit_point()
        self.assertEqual(self.rows(dept).state, "pending")
        self.assertEqual(self.state(dept), "pending")
        self.deliver()
        self.assertEqual(self.state(dept), "done")
        # A new change after a delivery: queued again at once.
        dept.name = "Smart button renamed"
        self.assertEqual(self.state(dept), "pending")
        self.deliver()
        self.assertEqual(self.state(dept), "done")

    def test_only_the_changed_record_reads_queued(self):
        employee = self.Emp.create({"name": "Queued person"})
        other = self.Emp.create({"name": "Untouched person"})
        self.deliver()
        employee.name = "Queued person renamed"
        self.assertEqual(self.state(employee), "pending")
        self.assertEqual(self.state(other), "done")

    def test_console_shows_indented_json_and_stores_it_unchanged(self):
        body = json.dumps({"deptId": "D1", "deptName": "销售部", "leader": ["u1"]})
        row = self.Outbox.create(
            {
                "endpoint": "department_sync",
                "mode": "fixed",
                "record_key": "D1",
                "payload": body,
                "request_body": body,
                "response_body": "<html>502 Bad Gateway</html>",
                "state": "dead",
            }
        )
        self.assertEqual(
            row.request_body_display,
            '{\n  "deptId": "D1",\n  "deptName": "销售部",\n  "leader": [\n    "u1"\n  ]\n}',
        )
        self.assertEqual(row.payload_display, row.request_body_display)
        # Not JSON (a proxy's error page): shown as it came.
        self.assertEqual(row.response_body_display, "<html>502 Bad Gateway</html>")
        self.assertEqual(row.request_body, body)
        self.assertEqual(row.payload, body)
