# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
"""Registering a flow in aiflow and putting it online, through the outbox."""

from odoo import fields, models
from odoo.exceptions import AccessError, UserError

from ..outbox import queries, sources
from ..protocol import engine_flow, task_center
from .aiflow_code_mixin import SYNC_STATES

FLOW_ENDPOINTS = (
    task_center.FLOW_CREATE_THIRD_PARTY,
    task_center.FLOW_ONLINE_THIRD_PARTY,
    # engine flows (aiflow_flow_engine_delivery.py)
    engine_flow.FLOW_CREATE,
    engine_flow.FLOW_UPDATE,
    engine_flow.FLOW_PUBLISH,
    engine_flow.FORM_SYNC,
)


class AiflowFlow(models.Model):
    _inherit = "aiflow.flow"

    aiflow_call = fields.Selection(
        [
            (task_center.FLOW_CREATE_THIRD_PARTY, "Registration"),
            (task_center.FLOW_ONLINE_THIRD_PARTY, "Going online"),
            (engine_flow.FLOW_CREATE, "Creation in the process engine"),
            (engine_flow.FLOW_UPDATE, "Update in the process engine"),
            (engine_flow.FLOW_PUBLISH, "Publication"),
            (engine_flow.FORM_SYNC, "Form sync"),
        ],
        string="Last aiflow Call",
        compute="_compute_aiflow_call",
    )
    aiflow_sync_state = fields.Selection(
        SYNC_STATES, string="aiflow Call State", compute="_compute_aiflow_call"
    )
    aiflow_last_error = fields.Text(string="Last aiflow Error", compute="_compute_aiflow_call")
    online_version = fields.Integer(
        readonly=True, copy=False, help="Version of the flow online in aiflow."
    )

    def _compute_aiflow_call(self):
        latest = {}
        if self.ids:
            latest = queries.latest_calls(self.env.cr, self._name, FLOW_ENDPOINTS, self.ids)
        for flow in self:
            endpoint, state, error = latest.get(flow.id, (False, "not_synced", False))
            flow.aiflow_call = endpoint
            flow.aiflow_sync_state = state
            flow.aiflow_last_error = error or False

    def _aiflow_check_admin(self):
        if not self.env.su and not self.env.user.has_group("base.group_system"):
            raise AccessError(self.env._("Only administrators can send flows to aiflow."))

    def _aiflow_check_task_center(self):
        for flow in self:
            if flow.mode != "task_center":
                raise UserError(
                    self.env._(
                        "Flow %(code)s runs in aiflow's process engine: create, update and "
                        "publish it there instead.",
                        code=flow.flow_code,
                    )
                )

    def action_aiflow_register(self):
        """Queue create_third_party; aiflow's flowVersion is stored when it
        accepts. The people and departments the flow names go first."""
        self._aiflow_check_admin()
        self._aiflow_check_task_center()
        for flow in self:
            flow._aiflow_people()._aiflow_sync_unknown_employees()
            departments = flow.apply_department_ids | flow.manage_department_ids
            departments.sudo()._aiflow_sync_if_never_queued()
        self.env["aiflow.outbox"]._aiflow_enqueue(task_center.FLOW_CREATE_THIRD_PARTY, self)
        return True

    def action_aiflow_go_online(self):
        """Queue online_third_party for the version aiflow gave."""
        self._aiflow_check_admin()
        self._aiflow_check_task_center()
        for flow in self:
            if flow.state == "draft" or not flow.flow_version:
                raise UserError(
                    self.env._(
                        "Flow %(code)s has no aiflow version yet: register it in aiflow first.",
                        code=flow.flow_code,
                    )
                )
        self.env["aiflow.outbox"]._aiflow_enqueue(task_center.FLOW_ONLINE_THIRD_PARTY, self)
        return True

    def _aiflow_store_outcome(self, values, note):
        self.sudo().write(dict(values, last_outcome=note, last_outcome_at=fields.Datetime.now()))


def _flows(env, res_ids):
    return env["aiflow.flow"].sudo().browse(res_ids).exists()


def _build_registrations(env, res_ids, _settings):
    return {flow.id: flow._aiflow_create_payload() for flow in _flows(env, res_ids)}


def _build_online(env, res_ids, _settings):
    # A flow with no version yet was never registered: nothing to put online.
    return {
        flow.id: flow._aiflow_online_payload() for flow in _flows(env, res_ids) if flow.flow_version
    }


def _registered(env, res_id, item, data):
    flow = env["aiflow.flow"].browse(res_id)
    version = int(data["flowVersion"])
    # An online flow stays online (aiflow keeps its online version, and
    # orders keep opening) until the new version goes online in turn.
    flow._aiflow_store_outcome(
        {"flow_version": version, "state": "registered" if flow.state == "draft" else flow.state},
        env._("Registered in aiflow as version %(version)s.", version=version),
    )


def _online(env, res_id, item, data):
    env["aiflow.flow"].browse(res_id)._aiflow_store_outcome(
        {"state": "online", "online_version": int(item["flowVersion"])},
        env._("Version %(version)s is online in aiflow.", version=item["flowVersion"]),
    )


def _describe(flows):
    return {flow.id: (flow.flow_code, flow.title) for flow in flows.exists()}


def _flow_key(item):
    return item["flowCode"]


# After the organization (10-40): the people a flow names are known first.
sources.register(
    sources.Source(
        endpoint=task_center.FLOW_CREATE_THIRD_PARTY,
        model="aiflow.flow",
        build=_build_registrations,
        describe=_describe,
        key=_flow_key,
        dependencies=task_center.flow_dependencies,
        priority=45,
        on_success=_registered,
    )
)
sources.register(
    sources.Source(
        endpoint=task_center.FLOW_ONLINE_THIRD_PARTY,
        model="aiflow.flow",
        build=_build_online,
        describe=_describe,
        key=_flow_key,
        dependencies=task_center.flow_online_dependencies,
        priority=46,
        on_success=_online,
    )
)
