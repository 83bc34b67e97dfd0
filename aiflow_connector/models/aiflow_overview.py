# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
"""The figures of the aiflow Overview (the app's first page): the state of the
connection and of the sync queue, each figure with the filter of the rows
behind it, so that what is counted is what a click opens."""

from datetime import datetime, time, timedelta

import pytz

from odoo import api, fields, models
from odoo.exceptions import UserError

from .. import settings as aiflow_settings
from ..outbox import states

# Bars of the two charts: hours, days.
SLOTS = {"hour": 48, "day": 14}
# What an unsynced install cannot do without (settings field -> parameter).
CREDENTIALS = (
    ("aiflow_base_url", "base_url"),
    ("aiflow_enterprise_code", "enterprise_code"),
    ("aiflow_app_id", "app_id"),
    ("aiflow_app_secret", "app_secret"),
)


class AiflowOverview(models.AbstractModel):
    _name = "aiflow.overview"
    _description = "aiflow Overview"

    @api.model
    def _overview_tz(self):
        tz_name = self.env.context.get("tz")
        return tz_name if tz_name in pytz.all_timezones_set else "UTC"

    @api.model
    def _overview_slots(self, unit):
        """The last SLOTS[unit] hours or days, oldest first, as (start in the
        user's timezone, start in UTC), both naive like Odoo's datetimes."""
        tz = pytz.timezone(self._overview_tz())
        now = pytz.utc.localize(fields.Datetime.now()).astimezone(tz)
        slots = []
        for back in range(SLOTS[unit] - 1, -1, -1):
            if unit == "hour":
                current = now.replace(minute=0, second=0, microsecond=0)
                start = tz.normalize(current - timedelta(hours=back))
            else:
                day = now.date() - timedelta(days=back)
                start = tz.localize(datetime.combine(day, time()))
            slots.append(
                (start.replace(tzinfo=None), start.astimezone(pytz.utc).replace(tzinfo=None))
            )
        return slots

    @api.model
    def _overview_domains(self):
        """Figure -> the outbox rows it counts."""
        now = fields.Datetime.now()
        return {
            "waiting": [("state", "in", states.ON_THE_WAY)],
            "retrying": [("state", "=", states.RETRYING)],
            "dead": [("state", "=", states.DEAD)],
            "delivered_24h": [
                ("state", "=", states.DONE),
                ("done_at", ">=", now - timedelta(hours=24)),
            ],
            "sent_48h": [("sent_at", ">=", self._overview_slots("hour")[0][1])],
            "sent_14d": [("sent_at", ">=", self._overview_slots("day")[0][1])],
        }

    @api.model
    def _overview_missing_credentials(self):
        """Labels of the Settings fields still empty (the settings declaration
        says which credentials are missing)."""
        missing = aiflow_settings.of_env(self.env).missing_credentials()
        # sudo: the App Secret field is for administrators; its label is not.
        fields_info = (
            self.env["res.config.settings"]
            .sudo()
            .fields_get([name for name, _key in CREDENTIALS], ["string"])
        )
        return [fields_info[name]["string"] for name, key in CREDENTIALS if key in missing]

    @api.model
    def _overview_bars(self, unit):
        """Rows sent in each of the last hours or days: delivered, and not
        delivered by that call (failed, or queued again since), each with
        the filter of its rows."""
        slots = self._overview_slots(unit)
        counts = {}
        # Grouped in the user's timezone, like the slots above.
        outbox = self.env["aiflow.outbox"].with_context(tz=self._overview_tz())
        for start, state, count in outbox._read_group(
            [("sent_at", ">=", slots[0][1])], [f"sent_at:{unit}", "state"], ["__count"]
        ):
            bucket = counts.setdefault(start, {"delivered": 0, "failed": 0})
            bucket["delivered" if state == states.DONE else "failed"] += count
        ends = [utc for _local, utc in slots[1:]] + [None]
        return [
            dict(
                counts.get(local, {"delivered": 0, "failed": 0}),
                start=fields.Datetime.to_string(local),
                domain=[("sent_at", ">=", utc)] + ([("sent_at", "<", end)] if end else []),
            )
            for (local, utc), end in zip(slots, ends, strict=True)
        ]

    @api.model
    def get_overview(self):
        """Everything the Overview page shows, read with the user's rights."""
        Outbox = self.env["aiflow.outbox"]
        domains = self._overview_domains()
        figures = {
            key: Outbox.search_count(domains[key])
            for key in ("waiting", "retrying", "dead", "delivered_24h")
        }
        oldest = Outbox.search(
            [("state", "in", states.UNDELIVERED)], order="create_date, id", limit=1
        )
        [(last_success,)] = Outbox._read_group(
            [("state", "=", states.DONE), ("sent_at", "!=", False)], [], ["sent_at:max"]
        )
        [(last_failed_call,)] = Outbox._read_group(
            [("state", "in", states.FAILED), ("sent_at", "!=", False)], [], ["sent_at:max"]
        )
        error = Outbox.search(
            [("state", "in", states.FAILED), ("last_error", "!=", False)],
            order="write_date desc, id desc",
            limit=1,
        )
        if last_failed_call and (not last_success or last_failed_call > last_success):
            connection = "failing"
        else:
            connection = "ok" if last_success else "idle"
        sync_enabled = aiflow_settings.of_env(self.env).sync_enabled
        return {
            "sync_enabled": sync_enabled,
            "missing_credentials": self._overview_missing_credentials() if sync_enabled else [],
            "can_configure": self.env.user.has_group("base.group_system"),
            "connection": connection,
            "last_success": last_success or False,
            "last_error": (
                {"id": error.id, "at": error.write_date, "message": error.last_error}
                if error
                else False
            ),
            "figures": figures,
            "oldest": {"id": oldest.id, "created": oldest.create_date} if oldest else False,
            "hourly": self._overview_bars("hour"),
            "daily": self._overview_bars("day"),
        }

    @api.model
    def action_open_figure(self, key):
        """The sync queue filtered to the rows behind the figure ``key``."""
        domains = self._overview_domains()
        if key not in domains:
            raise UserError(self.env._("Unknown figure: %(key)s", key=key))
        action = self.env["ir.actions.act_window"]._for_xml_id(
            "aiflow_connector.aiflow_outbox_action"
        )
        modes = ["list", "form", "graph", "pivot"]
        if key.startswith("sent_"):
            modes = ["graph", "pivot", "list", "form"]
        views = {mode: view_id for view_id, mode in action["views"]}
        action.update(
            domain=domains[key],
            context={},
            views=[(views.get(mode, False), mode) for mode in modes],
            view_mode=",".join(modes),
        )
        return action
