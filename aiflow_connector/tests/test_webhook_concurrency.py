# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
# pylint: disable=invalid-commit
# (these tests commit on connections of their own, never the test's transaction)
"""Workers receiving the same event at the same moment, each on real
database connections of its own (as Odoo's workers do): the unique index
on the idempotency key and the row lock decide, and the event is applied
exactly once."""

import json
import threading
from contextlib import closing

from odoo import SUPERUSER_ID, Command, api, sql_db
from odoo.tests import TransactionCase, tagged

from ..protocol import webhook
from ..protocol.signing import SIGNATURE_HEADER, Credential, Signer

WORKERS = 4
CREDENTIAL = Credential("COMPANY001", "APP001", "concurrency-secret")


@tagged("post_install", "-at_install")
class TestConcurrentDeliveries(TransactionCase):
    def cursor(self):
        return sql_db.db_connect(self.env.cr.dbname).cursor()

    def setUp(self):
        super().setUp()
        with closing(self.cursor()) as cr:
            env = api.Environment(cr, SUPERUSER_ID, {})
            flow = env["aiflow.flow"].create(
                {
                    "flow_code": "CONCURRENT_TAG",
                    "title": "Concurrent tags",
                    "mode": "engine",
                    "model_id": env["ir.model"]._get_id("res.partner.category"),
                    "group_id": "GROUP001",
                    "manager_user_id": SUPERUSER_ID,
                    "operation_user_id": SUPERUSER_ID,
                    "config_user_id": SUPERUSER_ID,
                    "creator_user_id": SUPERUSER_ID,
                    "form_field_ids": [
                        Command.create(
                            {
                                "field_id": env["ir.model.fields"]
                                ._get("res.partner.category", "name")
                                .id
                            }
                        )
                    ],
                }
            )
            cr.commit()
        self.addCleanup(self._remove_committed, flow.id)

    def _remove_committed(self, flow_id):
        with closing(self.cursor()) as cr:
            cr.execute(
                "DELETE FROM aiflow_inbound_event WHERE business_key LIKE 'CONCURRENT_TAG-%%'"
            )
            cr.execute(
                "DELETE FROM res_partner_category WHERE id IN "
                "(SELECT res_id FROM aiflow_order WHERE flow_id = %s)",
                (flow_id,),
            )
            cr.execute(
                "DELETE FROM aiflow_order_log WHERE order_id IN "
                "(SELECT id FROM aiflow_order WHERE flow_id = %s)",
                (flow_id,),
            )
            cr.execute("DELETE FROM aiflow_order WHERE flow_id = %s", (flow_id,))
            cr.execute("DELETE FROM aiflow_flow WHERE id = %s", (flow_id,))
            cr.commit()

    def deliver_at_once(self, body, kind=webhook.WORKFLOW, bodies=None):
        """``body`` sent by WORKERS workers at once (or each of ``bodies``
        by a worker of its own); their verdicts."""
        bodies = bodies or [body] * WORKERS
        signer = Signer(CREDENTIAL)
        barrier = threading.Barrier(len(bodies))
        answers, errors = [], []

        def worker(body):
            raw = json.dumps(body).encode()
            headers = {"Content-Type": "application/json", SIGNATURE_HEADER: signer.sign(raw)}
            try:
                verdict = webhook.judge(kind, headers, raw, signer)
                with closing(self.cursor()) as cr:
                    env = api.Environment(cr, SUPERUSER_ID, {})
                    barrier.wait(30)
                    answers.append(
                        env["aiflow.inbound.event"]._aiflow_receive(cr, kind, raw, verdict)
                    )
            except Exception as exc:  # pylint: disable=broad-except
                errors.append(exc)

        threads = [threading.Thread(target=worker, args=(body,)) for body in bodies]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(120)
        self.assertFalse(errors, errors)
        self.assertEqual(len(answers), len(bodies))
        return answers

    def committed(self, query, params):
        with closing(self.cursor()) as cr:
            cr.execute(query, params)
            return cr.fetchall()

    def test_same_start_at_once_creates_one_document(self):
        body = {
            "orderId": 8_800_000_001,
            "businessKey": "CONCURRENT_TAG-1",
            "taskId": "T-START",
            "taskName": "发起",
            "action": "START",
            "formData": {"name": "Concurrent tag"},
        }
        answers = self.deliver_at_once(body)
        self.assertEqual({answer.status for answer in answers}, {0})
        duplicates = [bool(answer.data.get("duplicate")) for answer in answers]
        self.assertEqual(duplicates.count(False), 1, [a.envelope() for a in answers])
        self.assertEqual(
            {answer.data["eventId"] for answer in answers}, {answers[0].data["eventId"]}
        )
        states = self.committed(
            "SELECT state, count(*) FROM aiflow_inbound_event WHERE business_key = %s "
            "GROUP BY state ORDER BY state",
            ("CONCURRENT_TAG-1",),
        )
        self.assertEqual(states, [("applied", 1), ("duplicate", WORKERS - 1)])
        self.assertEqual(
            self.committed(
                "SELECT count(*) FROM res_partner_category WHERE name->>'en_US' = %s",
                ("Concurrent tag",),
            ),
            [(1,)],
        )
        self.assertEqual(
            self.committed(
                "SELECT aiflow_order_ref FROM aiflow_order WHERE business_key = %s",
                ("CONCURRENT_TAG-1",),
            ),
            [("8800000001",)],
        )

    def test_overlapping_log_lists_at_once_store_each_line_once(self):
        start = {
            "orderId": 8_800_000_002,
            "businessKey": "CONCURRENT_TAG-2",
            "taskId": "T-START",
            "taskName": "发起",
            "action": "START",
            "formData": {"name": "Concurrent logs"},
        }
        self.assertEqual(self.deliver_at_once(start, bodies=[start])[0].status, 0)

        def line(task, time):
            return {
                "taskId": task,
                "taskName": task,
                "handlerUserCode": "someone",
                "handleResult": "APPROVED",
                "handleTime": time,
            }

        first, second = line("T1", "2025-01-24 10:00:00"), line("T2", "2025-01-24 11:00:00")
        lists = [[first], [first, second], [first, second], [second, first]]
        answers = self.deliver_at_once(
            None,
            kind=webhook.APPROVAL_LOG,
            bodies=[
                {"orderId": 8_800_000_002, "businessKey": "CONCURRENT_TAG-2", "logs": logs}
                for logs in lists
            ],
        )
        self.assertEqual({answer.status for answer in answers}, {0})
        self.assertEqual(
            self.committed(
                "SELECT l.task_key, count(*) FROM aiflow_order_log l "
                "JOIN aiflow_order o ON o.id = l.order_id WHERE o.business_key = %s "
                "GROUP BY l.task_key ORDER BY l.task_key",
                ("CONCURRENT_TAG-2",),
            ),
            [("T1", 1), ("T2", 1)],
        )

    def test_lock_released_whatever_the_outcome(self):
        start = {
            "orderId": 8_800_000_003,
            "businessKey": "CONCURRENT_TAG-3",
            "taskId": "T-START",
            "taskName": "发起",
            "action": "START",
            "formData": {"name": "Concurrent lock"},
        }
        unknown = {**start, "businessKey": "CONCURRENT_TAG-NONE", "action": "COMPLETE"}
        signer = Signer(CREDENTIAL)
        with closing(self.cursor()) as cr:
            env = api.Environment(cr, SUPERUSER_ID, {})
            # applied, then repeated (a duplicate), then failed (no such key)
            for body, status in ((start, 0), (start, 0), (unknown, webhook.STATUS_GENERAL)):
                raw = json.dumps(body).encode()
                headers = {"Content-Type": "application/json", SIGNATURE_HEADER: signer.sign(raw)}
                verdict = webhook.judge(webhook.WORKFLOW, headers, raw, signer)
                answer = env["aiflow.inbound.event"]._aiflow_receive(
                    cr, webhook.WORKFLOW, raw, verdict
                )
                self.assertEqual(answer.status, status, answer.envelope())
                cr.execute(
                    "SELECT count(*) FROM pg_locks"
                    " WHERE locktype = 'advisory' AND pid = pg_backend_pid()"
                )
                self.assertEqual(cr.fetchone()[0], 0, body["businessKey"])
