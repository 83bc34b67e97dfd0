# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
"""The Overview's figures against counts taken from the database itself, and
the rows each figure opens."""

import json
from datetime import datetime, time, timedelta

from odoo import fields
from odoo.exceptions import AccessError, UserError
from odoo.tests import TransactionCase, new_test_user, tagged
from odoo.tools import SQL

from odoo.addons.aiflow_connector.outbox import queries

PREFIX = "aiflow_connector."


@tagged("post_install", "-at_install")
class TestOverview(TransactionCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.operator = new_test_user(
            cls.env,
            login="aiflow_overview_operator",
            groups="aiflow_connector.group_aiflow_operator",
        )
        cls.Overview = cls.env["aiflow.overview"].with_user(cls.operator)
        params = cls.env["ir.config_parameter"].sudo()
        for key, value in (
            ("base_url", "https://aiflow.example.com"),
            ("enterprise_code", "ENT"),
            ("app_id", "APP"),
            ("app_secret", "secret"),
            ("sync_enabled", "True"),
        ):
            params.set_param(PREFIX + key, value)

    def make_rows(self):
        """Rows in every state, at known times (UTC, as stored)."""
        now = fields.Datetime.now()
        ago = lambda **delta: now - timedelta(**delta)  # noqa: E731
        Outbox = self.env["aiflow.outbox"]
        rows = {}

        def row(name, state, **values):
            rows[name] = Outbox.create(
                dict(
                    {
                        "endpoint": "department_sync",
                        "mode": "fixed",
                        "record_key": f"OVW-{name}",
                        "payload": json.dumps({"deptId": name}),
                        "state": state,
                    },
                    **values,
                )
            )

        row("pending", "pending")
        row("pending2", "pending")
        row("sending", "sending", claimed_at=now)
        row("retrying", "retrying", attempts=2, sent_at=ago(minutes=5), last_error="503")
        row("dead", "dead", attempts=8, sent_at=ago(hours=2), last_error="refused")
        row("done_recent", "done", attempts=1, sent_at=ago(hours=1), done_at=ago(hours=1))
        row("done_old", "done", attempts=1, sent_at=ago(days=3), done_at=ago(days=3))
        row("done_unsent", "done", done_at=ago(hours=1))
        row("cancelled", "cancelled")
        # The oldest row still on its way (the ORM sets create_date to now).
        queries.set_date(self.env.cr, rows["retrying"].ids, "create_date", ago(days=2))
        self.env.invalidate_all()
        return rows

    def sql_ids(self, where, *params):
        return {row[0] for row in queries.select(self.env.cr, SQL("id"), SQL(where, *params))}

    def test_figures_equal_the_database_and_open_those_rows(self):
        rows = self.make_rows()
        self.env.flush_all()
        now = fields.Datetime.now()
        expected = {
            "waiting": self.sql_ids("state IN ('pending', 'sending')"),
            "retrying": self.sql_ids("state = 'retrying'"),
            "dead": self.sql_ids("state = 'dead'"),
            "delivered_24h": self.sql_ids(
                "state = 'done' AND done_at >= %s", now - timedelta(hours=24)
            ),
            "sent_48h": self.sql_ids("sent_at >= %s", now - timedelta(hours=48)),
            "sent_14d": self.sql_ids("sent_at >= %s", now - timedelta(days=14)),
        }
        # This test's rows are where they belong.
        self.assertTrue({rows["pending"].id, rows["sending"].id} <= expected["waiting"])
        self.assertIn(rows["done_recent"].id, expected["delivered_24h"])
        self.assertNotIn(rows["done_old"].id, expected["delivered_24h"])

        data = self.Overview.get_overview()
        for key in ("waiting", "retrying", "dead", "delivered_24h"):
            with self.subTest(figure=key):
                self.assertEqual(data["figures"][key], len(expected[key]))
        for key, ids in expected.items():
            with self.subTest(link=key):
                action = self.Overview.action_open_figure(key)
                self.assertEqual(action["res_model"], "aiflow.outbox")
                self.assertFalse(action["context"], "a default filter would hide rows")
                opened = self.env["aiflow.outbox"].with_user(self.operator).search(action["domain"])
                self.assertEqual(set(opened.ids), ids)

        # The oldest row not delivered, the last success, the last error.
        ((oldest,),) = queries.select(
            self.env.cr,
            SQL("id"),
            SQL("state IN ('pending', 'sending', 'retrying')"),
            SQL("ORDER BY create_date, id LIMIT 1"),
        )
        self.assertEqual(data["oldest"]["id"], oldest)
        self.assertEqual(data["oldest"]["id"], rows["retrying"].id)
        ((last_success,),) = queries.select(self.env.cr, SQL("max(sent_at)"), SQL("state = 'done'"))
        self.assertEqual(data["last_success"], last_success)
        ((last_error,),) = queries.select(
            self.env.cr,
            SQL("id"),
            SQL("state IN ('retrying', 'dead') AND last_error IS NOT NULL"),
            SQL("ORDER BY write_date DESC, id DESC LIMIT 1"),
        )
        self.assertEqual(data["last_error"]["id"], last_error)
        # The retry (5 minutes ago) failed after the last success (1 hour ago).
        self.assertEqual(data["connection"], "failing")
        self.assertTrue(data["sync_enabled"])
        self.assertEqual(data["missing_credentials"], [])

    def test_bars_equal_the_database_and_open_those_rows(self):
        rows = self.make_rows()
        self.env.flush_all()
        data = self.Overview.with_context(tz="UTC").get_overview()
        Outbox = self.env["aiflow.outbox"].with_user(self.operator)
        now = fields.Datetime.now()
        for key, unit, count, first in (
            (
                "hourly",
                "hour",
                48,
                now.replace(minute=0, second=0, microsecond=0) - timedelta(hours=47),
            ),
            ("daily", "day", 14, datetime.combine(now.date() - timedelta(days=13), time())),
        ):
            with self.subTest(chart=key):
                bars = data[key]
                self.assertEqual(len(bars), count)
                self.assertEqual(fields.Datetime.to_datetime(bars[0]["start"]), first)
                counts = queries.select(
                    self.env.cr,
                    SQL("date_trunc(%s, sent_at), state = 'done', count(*)", unit),
                    SQL("sent_at >= %s", first),
                    SQL("GROUP BY 1, 2"),
                )
                expected = {}
                for start, delivered, number in counts:
                    bucket = expected.setdefault(fields.Datetime.to_string(start), [0, 0])
                    bucket[0 if delivered else 1] += number
                shown = {
                    bar["start"]: [bar["delivered"], bar["failed"]]
                    for bar in bars
                    if bar["delivered"] or bar["failed"]
                }
                self.assertEqual(shown, expected)
                for bar in bars:
                    opened = Outbox.search(bar["domain"])
                    self.assertEqual(len(opened), bar["delivered"] + bar["failed"], bar["start"])
                # The figure's link opens the rows of all the bars.
                action = self.Overview.with_context(tz="UTC").action_open_figure(
                    "sent_48h" if unit == "hour" else "sent_14d"
                )
                self.assertEqual(
                    Outbox.search_count(action["domain"]),
                    sum(bar["delivered"] + bar["failed"] for bar in bars),
                )
        # This test's retry (5 minutes ago) is in one of the last two hours,
        # its delivery of 3 days ago among the days.
        hours = data["hourly"]
        last_two = Outbox.search(hours[-2]["domain"]) | Outbox.search(hours[-1]["domain"])
        self.assertIn(rows["retrying"].id, last_two.ids)
        self.assertIn(rows["done_old"].id, Outbox.search(data["daily"][-4]["domain"]).ids)

    def test_connection_state_follows_the_latest_call(self):
        rows = self.make_rows()
        data = self.Overview.get_overview()
        self.assertEqual(data["connection"], "failing")
        # A success after the failures: the connection works again.
        rows["done_recent"].write({"sent_at": fields.Datetime.now()})
        self.assertEqual(self.Overview.get_overview()["connection"], "ok")

    def test_sync_off_and_incomplete_credentials_are_said(self):
        params = self.env["ir.config_parameter"].sudo()
        params.set_param(PREFIX + "enterprise_code", "")
        params.set_param(PREFIX + "app_secret", "  ")
        data = self.Overview.get_overview()
        self.assertTrue(data["sync_enabled"])
        self.assertEqual(data["missing_credentials"], ["Enterprise Code", "App Secret"])
        self.assertFalse(data["can_configure"])
        # In the user's language.
        self.env["res.lang"]._activate_lang("zh_CN")
        self.env["ir.module.module"].search(
            [("name", "=", "aiflow_connector")]
        )._update_translations(["zh_CN"], overwrite=True)
        missing = self.Overview.with_context(lang="zh_CN").get_overview()["missing_credentials"]
        self.assertEqual(len(missing), 2)
        self.assertNotIn("Enterprise Code", missing)
        self.assertNotIn("App Secret", missing)
        # Sync off: changes wait, and nothing is said about credentials.
        params.set_param(PREFIX + "sync_enabled", "False")
        data = self.Overview.get_overview()
        self.assertFalse(data["sync_enabled"])
        self.assertEqual(data["missing_credentials"], [])

    def test_nothing_yet(self):
        self.env["aiflow.outbox"].search([]).unlink()
        data = self.Overview.get_overview()
        self.assertEqual(data["connection"], "idle")
        # Plain values, as the page receives them in JSON.
        self.assertIs(data["last_success"], False)
        self.assertIs(data["last_error"], False)
        self.assertIs(data["oldest"], False)
        self.assertEqual(set(data["figures"].values()), {0})

    def test_unknown_figure_and_users_outside_the_connector(self):
        with self.assertRaises(UserError):
            self.Overview.action_open_figure("everything")
        outsider = new_test_user(
            self.env, login="aiflow_overview_outsider", groups="base.group_user"
        )
        with self.assertRaises(AccessError):
            self.env["aiflow.overview"].with_user(outsider).get_overview()

    def test_the_app_opens_on_the_overview(self):
        root = self.env.ref("aiflow_connector.aiflow_root_menu")
        first = root.child_id.sorted("sequence")[0]
        self.assertEqual(first.action, self.env.ref("aiflow_connector.aiflow_overview_action"))
