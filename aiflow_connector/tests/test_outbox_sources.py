# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
"""A kind of call declared here, in the test, for a model the addon never
syncs: the outbox delivers it to the sandbox, ordered, waiting for the
records it names and retried like the organization's, with no change to the
worker. And a worker whose credentials are incomplete waits quietly."""

import logging
from datetime import timedelta

from odoo import fields
from odoo.tests import tagged

from odoo.addons.aiflow_connector import settings as aiflow_settings
from odoo.addons.aiflow_connector.outbox import sources

from .common import PREFIX, OrgSyncCase

FLOW_PATH = "/aflow/api/flow/create_third_party"


def flow_code(partner):
    return f"FLOW-{partner.id}"


@tagged("post_install", "-at_install")
class TestDeclaredSource(OrgSyncCase):
    """Third-party flows of contacts: one JSON object per call, a contact's
    flow after its parent contact's, each naming an employee as manager, and
    aiflow's flowVersion stored back on the contact."""

    def setUp(self):
        super().setUp()
        self.manager_of = {}  # partner id -> employee whose code it names
        self.source = sources.register(
            sources.Source(
                endpoint="flow_create_third_party",
                model="res.partner",
                build=self.build_flows,
                describe=lambda partners: {p.id: (flow_code(p), p.name) for p in partners},
                key=lambda item: item["flowCode"],
                parent=self.parent_flow,
                dependencies=self.flow_dependencies,
                on_success=self.store_version,
            )
        )
        self.addCleanup(sources.unregister, self.source)

    # -- the declaration's functions ------------------------------------------
    def build_flows(self, env, res_ids, settings):
        flows = {}
        for partner in env["res.partner"].browse(res_ids).exists():
            manager = self.manager_of[partner.id].aiflow_code
            flows[partner.id] = {
                "flowCode": flow_code(partner),
                "title": partner.name or None,  # no name: breaks the spec
                "initiateUrl": {"h5Url": "https://erp/h5", "webUrl": "https://erp/web"},
                "detailUrl": {"h5Url": "https://erp/h5/d", "webUrl": "https://erp/web/d"},
                "groupId": flow_code(partner.parent_id) if partner.parent_id else "ROOT",
                "managerUserCode": manager,
                "operationUserCode": manager,
                "configUserCode": manager,
                "createBy": manager,
            }
        return flows

    @staticmethod
    def parent_flow(item):
        return item["groupId"] if item["groupId"] != "ROOT" else None

    def flow_dependencies(self, item):
        deps = [("user_sync", item["managerUserCode"])]
        if self.parent_flow(item):
            deps.append(("flow_create_third_party", item["groupId"]))
        return deps

    @staticmethod
    def store_version(env, res_id, item, data):
        env["res.partner"].browse(res_id).ref = f"{item['flowCode']} v{data['flowVersion']}"

    # -- helpers ----------------------------------------------------------------
    def flow_rows(self, partners):
        return self.rows(partners).filtered(lambda r: r.endpoint == "flow_create_third_party")

    def make_due(self):
        rows = self.Outbox.search([("state", "=", "retrying")])
        rows.write({"next_attempt_at": fields.Datetime.now() - timedelta(seconds=1)})

    # -- tests --------------------------------------------------------------------
    def test_a_source_a_full_resync_sends_declares_how_it_reads_and_builds(self):
        """A source that lists its records for a full resync (``every``)
        must also say how they are counted and built from what it read:
        caught when it is declared, not half-way through a resync."""
        with self.assertRaisesRegex(ValueError, "every_ids and build_every"):
            sources.register(
                sources.Source(
                    endpoint="flow_create_third_party",
                    model="res.country",
                    build=self.build_flows,
                    describe=lambda records: {},
                    every=lambda env: [],
                )
            )
        self.assertIsNone(sources.get("flow_create_third_party", "res.country"))

    def test_declared_source_delivered_in_order_after_the_people_it_names(self):
        dept = self.Dept.create({"name": "Flows"})
        boss = self.Emp.create({"name": "Flow owner", "department_id": dept.id})
        parent = self.env["res.partner"].create({"name": "Parent contact"})
        child = self.env["res.partner"].create({"name": "Child", "parent_id": parent.id})
        self.manager_of.update({parent.id: boss, child.id: boss})
        self.commit_point()
        # aiflow does not have the manager yet (say it refused him earlier).
        boss_row = self.rows(boss)
        boss_row.write({"state": "dead"})
        # Child queued first on purpose: its parent's flow must still go first.
        self.Outbox._aiflow_enqueue("flow_create_third_party", child)
        self.Outbox._aiflow_enqueue("flow_create_third_party", parent)
        self.deliver()
        rows = self.flow_rows(parent | child)
        self.assertEqual(len(rows), 2)
        self.assertEqual(set(rows.mapped("state")), {"pending"})
        self.assertIn(boss.aiflow_code, self.flow_rows(parent).last_error)
        self.assertEqual(self.calls(FLOW_PATH), [])

        # The manager reaches aiflow; then the flows go, parent first, one
        # object per call, and aiflow's answer is stored on each contact.
        boss_row.action_retry_now()
        self.deliver()
        self.assertEqual(boss_row.state, "done")
        self.assertEqual(set(rows.mapped("state")), {"done"})
        calls = self.calls(FLOW_PATH)
        self.assertEqual(
            [call["body"]["flowCode"] for call in calls], [flow_code(parent), flow_code(child)]
        )
        user_call = self.calls("/aflow/api/sys/sync/user")[0]
        self.assertLess(
            self.sandbox.state["calls"].index(user_call),
            min(self.sandbox.state["calls"].index(call) for call in calls),
        )
        self.assertEqual(parent.ref, f"{flow_code(parent)} v1")
        self.assertEqual(child.ref, f"{flow_code(child)} v1")
        self.assertEqual(self.sandbox.state["flows"][flow_code(child)]["latestVersion"], 1)
        self.assertIn("flowVersion", self.flow_rows(child).response_body)

    def test_declared_source_retried_then_dead_lettered(self):
        dept = self.Dept.create({"name": "Retry flows"})
        boss = self.Emp.create({"name": "Retry owner", "department_id": dept.id})
        partner = self.env["res.partner"].create({"name": "Retried contact"})
        self.manager_of[partner.id] = boss
        self.deliver()  # the organization first
        self.Outbox._aiflow_enqueue("flow_create_third_party", partner)
        row_of = lambda: self.flow_rows(partner)  # noqa: E731

        self.sandbox.fail_next(1, mode="http503")
        self.deliver()
        self.assertEqual((row_of().state, row_of().attempts), ("retrying", 1))
        self.assertIn("503", row_of().response_body)
        self.assertFalse(partner.ref)
        # Not due yet: left alone. Due, failing again: dead at the limit (3).
        self.deliver()
        self.assertEqual(row_of().attempts, 1)
        self.sandbox.fail_next(2, mode="status-1024")
        for attempts, state in ((2, "retrying"), (3, "dead")):
            self.make_due()
            self.deliver()
            self.assertEqual((row_of().state, row_of().attempts), (state, attempts))
        # Retried from the console: delivered, the version stored.
        row_of().action_retry_now()
        self.deliver()
        self.assertEqual(row_of().state, "done")
        self.assertEqual(partner.ref, f"{flow_code(partner)} v1")
        # Three failed tries and one accepted: aiflow made one version.
        self.assertEqual(len(self.calls(FLOW_PATH)), 4)
        self.assertEqual(self.sandbox.state["flows"][flow_code(partner)]["latestVersion"], 1)

    def test_object_breaking_the_spec_is_dead_and_what_depends_on_it_waits(self):
        dept = self.Dept.create({"name": "Bad flows"})
        boss = self.Emp.create({"name": "Bad owner", "department_id": dept.id})
        parent = self.env["res.partner"].create({"name": ""})  # no title: never sent
        child = self.env["res.partner"].create({"name": "Below", "parent_id": parent.id})
        self.manager_of.update({parent.id: boss, child.id: boss})
        self.deliver()
        self.Outbox._aiflow_enqueue("flow_create_third_party", parent | child)
        self.deliver()
        self.assertEqual(self.flow_rows(parent).state, "dead")
        self.assertIn("title", self.flow_rows(parent).last_error)
        self.assertEqual(self.flow_rows(child).state, "pending")
        self.assertEqual(self.calls(FLOW_PATH), [])


@tagged("post_install", "-at_install")
class TestAppendOnlySource(OrgSyncCase):
    """Approval logs of contacts: payloads fixed when queued, never merged,
    every row delivered, one after the other, per order."""

    def setUp(self):
        super().setUp()
        self.source = sources.register(
            sources.Source(
                endpoint="approval_log_sync",
                model="res.partner",
                build=lambda env, res_ids, settings: {},  # stored payloads only
                describe=lambda partners: {p.id: (str(p.id), p.name) for p in partners},
                key=lambda item: str(item["orderId"]),
                supersedes=False,
            )
        )
        self.addCleanup(sources.unregister, self.source)

    def queue_log(self, partner, step, when):
        settings = self.env["aiflow.connection"]._aiflow_settings()
        payload = {
            "orderId": partner.id,
            "businessKey": f"contact-{partner.id}",
            "logs": [
                {
                    "taskId": f"T{step}",
                    "taskName": f"Step {step}",
                    "handlerUserCode": "E1",
                    "handleResult": "agree",
                    "handleTime": settings.to_wire(when),
                }
            ],
        }
        self.Outbox._aiflow_enqueue_fixed(
            "approval_log_sync",
            [(partner.id, str(partner.id), partner.name, payload)],
            res_model="res.partner",
        )

    def test_every_log_delivered_in_order_an_earlier_failure_holds_the_rest(self):
        first, other = self.env["res.partner"].create([{"name": "Order A"}, {"name": "Order B"}])
        when = fields.Datetime.now().replace(microsecond=0)
        for step in (1, 2, 3):
            self.queue_log(first, step, when + timedelta(minutes=step))
        self.queue_log(other, 1, when)
        self.commit_point()
        rows = self.rows(first).sorted("id")
        self.assertEqual(len(rows), 3)  # never merged into one

        self.sandbox.fail_next(1, mode="http503")
        self.deliver()  # the first log fails: the run stops
        self.assertEqual(rows[0].state, "retrying")
        self.deliver()  # the other order goes; the later logs of A wait
        self.assertEqual(self.rows(other).state, "done")
        self.assertEqual(rows[1:].mapped("state"), ["pending", "pending"])
        self.assertIn(str(first.id), rows[1].last_error)
        self.assertNotIn(str(first.id), self.sandbox.state["approval_logs"])

        self.make_due()
        self.deliver()
        self.assertEqual(rows.mapped("state"), ["done"] * 3)
        logs = self.sandbox.state["approval_logs"][str(first.id)]["logs"]
        self.assertEqual([log["taskId"] for log in logs], ["T1", "T2", "T3"])
        # Times go on the wire in the configured zone (Asia/Shanghai: UTC+8).
        self.assertEqual(
            logs[0]["handleTime"],
            (when + timedelta(minutes=1, hours=8)).strftime("%Y-%m-%d %H:%M:%S"),
        )

    def make_due(self):
        rows = self.Outbox.search([("state", "=", "retrying")])
        rows.write({"next_attempt_at": fields.Datetime.now() - timedelta(seconds=1)})


@tagged("post_install", "-at_install")
class TestIncompleteCredentials(OrgSyncCase):
    def test_cron_run_without_enterprise_code_waits_quietly(self):
        dept = self.Dept.create({"name": "Waits for a code"})
        self.commit_point()
        # Set by hand in Technical > Parameters: sync on, code emptied.
        self._configure(enterprise_code="")
        settings = self.env["aiflow.connection"]._aiflow_settings()
        self.assertEqual(settings.missing_credentials(), ["enterprise_code"])
        aiflow_settings._reported.clear()  # other tests of this process may have warned
        with self.assertLogs("odoo", logging.WARNING) as logs:
            for _run in range(3):
                self.env.ref("aiflow_connector.ir_cron_aiflow_outbox").method_direct_trigger()
        # One WARNING line for three runs: no ERROR, no traceback.
        warnings = logs.records
        self.assertEqual(len(warnings), 1, logs.output)
        self.assertEqual(warnings[0].levelno, logging.WARNING)
        self.assertIsNone(warnings[0].exc_info)
        self.assertIn(PREFIX + "enterprise_code", warnings[0].getMessage())
        row = self.rows(dept)
        self.assertEqual((row.state, row.attempts, row.last_error), ("pending", 0, False))
        self.assertEqual(self.calls(), [])
