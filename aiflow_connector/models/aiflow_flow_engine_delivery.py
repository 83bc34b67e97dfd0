# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
# One concern per file (house rule): aiflow.flow is extended in several files.
# pylint: disable=consider-merging-classes-inherited
"""Engine flows sent to aiflow through the outbox: flow/create, flow/update
(PUT), flow/publish and the form's form/sync (spec part 1 §5.1, §5.2)."""

import logging

from odoo import models
from odoo.exceptions import UserError

from ..outbox import queries, sources
from ..protocol import engine_flow
from .aiflow_flow_engine import MODE_ENGINE

_logger = logging.getLogger(__name__)

# Flow fields whose change changes the form aiflow holds (or deletes it).
FORM_FIELDS = ("flow_name", "title", "active", "mode", "model_id")


class AiflowFlow(models.Model):
    _inherit = "aiflow.flow"

    # ------------------------------------------------------------------
    # buttons

    def _aiflow_check_engine_ready(self):
        """UserError naming what keeps these flows from going to aiflow."""
        for flow in self:
            if flow.mode != MODE_ENGINE:
                raise UserError(
                    self.env._(
                        "Flow %(code)s is a task-center flow: register it in aiflow instead.",
                        code=flow.flow_code,
                    )
                )
            if not flow.active:
                raise UserError(self.env._("Flow %(code)s is archived.", code=flow.flow_code))
            if not flow.form_field_ids:
                raise UserError(
                    self.env._(
                        "Flow %(code)s has no form field: choose the document fields "
                        "that make its form.",
                        code=flow.flow_code,
                    )
                )
            flow._aiflow_bpmn_xml()  # raises when there is no process

    def _aiflow_sync_engine_people(self):
        """Queue user sync of the people the processes name that aiflow
        never got, and of the departments above them never synced (aiflow
        refuses a user whose department it lacks)."""
        for flow in self:
            queued = flow._aiflow_engine_employees()._aiflow_sync_if_never_queued()
            departments = queued.department_id
            while departments:
                departments = departments._aiflow_sync_if_never_queued().parent_id

    def action_aiflow_engine_create(self):
        """Queue flow/create (its flowVersion is stored when aiflow accepts)
        and the form's first form/sync; the people the steps name go first."""
        self._aiflow_check_admin()
        self._aiflow_check_engine_ready()
        self._aiflow_sync_engine_people()
        outbox = self.env["aiflow.outbox"]
        outbox._aiflow_enqueue(engine_flow.FLOW_CREATE, self)
        outbox._aiflow_enqueue(engine_flow.FORM_SYNC, self)
        return True

    def action_aiflow_engine_update(self):
        """Queue flow/update (PUT) with the current form and process."""
        self._aiflow_check_admin()
        self._aiflow_check_engine_ready()
        self._aiflow_check_has_version()
        self._aiflow_sync_engine_people()
        self.env["aiflow.outbox"]._aiflow_enqueue(engine_flow.FLOW_UPDATE, self)
        return True

    def action_aiflow_engine_publish(self):
        """Queue flow/publish of the version aiflow gave last."""
        self._aiflow_check_admin()
        self._aiflow_check_has_version()
        self.env["aiflow.outbox"]._aiflow_enqueue(engine_flow.FLOW_PUBLISH, self)
        return True

    def _aiflow_check_has_version(self):
        for flow in self:
            if flow.state == "draft" or not flow.flow_version:
                raise UserError(
                    self.env._(
                        "Flow %(code)s has no aiflow version yet: create it in aiflow first.",
                        code=flow.flow_code,
                    )
                )

    # ------------------------------------------------------------------
    # the form follows the flow

    def write(self, vals):
        result = super().write(vals)
        if any(name in vals for name in FORM_FIELDS):
            self._aiflow_form_changed()
        return result

    def unlink(self):
        # The record is gone when the row is sent: its DELETE is stored now.
        # aiflow gets it if it has the form, or may have it (a CREATE on
        # its way).
        flows = self.sudo().with_context(active_test=False).exists()
        reached = set()
        codes = [flow.flow_code for flow in flows if flow.flow_code]
        if codes:
            self.env.flush_all()
            reached = queries.keys_reached(self.env.cr, engine_flow.FORM_SYNC, codes)
        entries = [
            (
                flow.id,
                flow.flow_code,
                flow.title,
                flow._aiflow_form_sync_payload(engine_flow.DELETE),
            )
            for flow in flows
            if flow.aiflow_form_synced or flow.flow_code in reached
        ]
        outbox = self.env["aiflow.outbox"]
        outbox._aiflow_forget_live(engine_flow.FORM_SYNC, flows)
        outbox._aiflow_enqueue_fixed(engine_flow.FORM_SYNC, entries, res_model=self._name)
        return super().unlink()

    def _aiflow_form_changed(self):
        """Queue a form sync of the flows aiflow knows (or should know) the
        form of; the kind of sync is decided when it is sent."""
        flows = (
            self.sudo()
            .with_context(active_test=False)
            .exists()
            .filtered(
                lambda flow: (
                    flow.aiflow_form_synced
                    or (flow.mode == MODE_ENGINE and flow.active and flow.state != "draft")
                )
            )
        )
        self.env["aiflow.outbox"]._aiflow_enqueue(engine_flow.FORM_SYNC, flows)

    def _aiflow_form_sync_payload(self, sync_type):
        self.ensure_one()
        return engine_flow.form_sync(
            self.flow_code, self._aiflow_engine_name(), self._aiflow_form_schema(), sync_type
        )

    def _aiflow_form_sync_item(self):
        """The form sync to send now, None when aiflow needs none: an active
        engine flow's form is created, then updated; one that is archived
        (or no longer an engine flow) is deleted if aiflow has it."""
        self.ensure_one()
        if self.mode == MODE_ENGINE and self.active:
            kind = engine_flow.UPDATE if self.aiflow_form_synced else engine_flow.CREATE
            return self._aiflow_form_sync_payload(kind)
        if self.aiflow_form_synced:
            return self._aiflow_form_sync_payload(engine_flow.DELETE)
        return None

    def _aiflow_definition_payload(self):
        """Body of flow/create and flow/update, from the current flow."""
        self.ensure_one()
        return engine_flow.flow_definition(
            self.flow_code,
            self._aiflow_engine_name(),
            self._aiflow_form_schema(),
            self._aiflow_bpmn_xml(),
        )


def _flows(env, res_ids):
    return env["aiflow.flow"].sudo().with_context(active_test=False).browse(res_ids).exists()


def _safely(flow, build):
    """The item ``build`` makes, None when the flow cannot be sent any more
    (its BPMN file or steps removed since the button was pressed)."""
    try:
        return build(flow)
    except UserError as exc:
        _logger.warning("aiflow: flow %s cannot be sent: %s", flow.flow_code, exc.args[0])
        return None


def _build_definitions(env, res_ids, _settings):
    return {
        flow.id: _safely(flow, lambda f: f._aiflow_definition_payload())
        for flow in _flows(env, res_ids)
        if flow.mode == MODE_ENGINE
    }


def _build_publications(env, res_ids, _settings):
    return {
        flow.id: engine_flow.flow_publish(flow.flow_code, flow.flow_version, flow.update_desc)
        for flow in _flows(env, res_ids)
        if flow.flow_version
    }


def _build_form_syncs(env, res_ids, _settings):
    return {flow.id: flow._aiflow_form_sync_item() for flow in _flows(env, res_ids)}


def _created(env, res_id, item, data):
    flow = _flows(env, [res_id])
    if not flow:
        return
    version = int(data["flowVersion"])
    flow._aiflow_store_outcome(
        {"flow_version": version, "state": "registered" if flow.state == "draft" else flow.state},
        env._("Created in aiflow's process engine as version %(version)s.", version=version),
    )


def _updated(env, res_id, item, data):
    flow = _flows(env, [res_id])
    if not flow:
        return
    version = int(data["flowVersion"])
    flow._aiflow_store_outcome(
        {"flow_version": version},
        env._("Updated in aiflow: version %(version)s.", version=version),
    )


def _published(env, res_id, item, data):
    flow = _flows(env, [res_id])
    if not flow:
        return
    flow._aiflow_store_outcome(
        {"state": "online", "online_version": int(item["flowVersion"])},
        env._("Version %(version)s is published in aiflow.", version=item["flowVersion"]),
    )


def _form_synced(env, res_id, item, data):
    flow = _flows(env, [res_id])
    if flow:
        flow.write({"aiflow_form_synced": item["syncType"] != engine_flow.DELETE})


def _describe(flows):
    return {flow.id: (flow.flow_code, flow.title) for flow in flows.sudo().exists()}


# After the organization (10-40): the people a process names are known
# first. Each call waits for those it depends on (engine_flow).
for _source in (
    sources.Source(
        endpoint=engine_flow.FLOW_CREATE,
        model="aiflow.flow",
        build=_build_definitions,
        describe=_describe,
        key=engine_flow.flow_key,
        dependencies=engine_flow.create_dependencies,
        priority=45,
        on_success=_created,
    ),
    sources.Source(
        endpoint=engine_flow.FLOW_UPDATE,
        model="aiflow.flow",
        build=_build_definitions,
        describe=_describe,
        key=engine_flow.flow_key,
        dependencies=engine_flow.update_dependencies,
        priority=46,
        on_success=_updated,
    ),
    sources.Source(
        endpoint=engine_flow.FLOW_PUBLISH,
        model="aiflow.flow",
        build=_build_publications,
        describe=_describe,
        key=engine_flow.flow_key,
        dependencies=engine_flow.publish_dependencies,
        priority=47,
        on_success=_published,
    ),
    sources.Source(
        endpoint=engine_flow.FORM_SYNC,
        model="aiflow.flow",
        build=_build_form_syncs,
        describe=_describe,
        key=engine_flow.form_key,
        priority=48,
        # The stored DELETE of a deleted flow goes before a live form sync
        # of a new flow given the same code in the meantime: in one group
        # the two rows of one key would make one item, the older one.
        fixed_priority=44,
        on_success=_form_synced,
    ),
):
    sources.register(_source)
