# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
"""How a received event changes Odoo (DESIGN.md, "Approvals").

* How an event finds its flow: ``processVariables.flowCode`` when aiflow
  sends it, else the businessKey's ``<FLOWCODE>-`` prefix (the longest
  engine-mode flow code that prefixes it).
* START: an order already holding the businessKey is that process (it is
  linked, and nothing else changes; its flow is the order's); otherwise the document is created from
  formData through the flow's form fields, and an engine-mode order holding
  aiflow's orderId and the businessKey is opened for it.
* COMPLETE / REJECT / CANCEL: the order holding the businessKey ends
  approved / rejected / withdrawn and the flow's effect (a server action)
  runs on the document. An order already ended the same way stays as it is;
  one ended otherwise refuses the event.
* Approval logs: each line not yet on the order becomes a log line and a
  note in the document's chatter (when the document has one).

Every event is kept on the order's timeline (its received events) with its
task, handler and time. Anything that prevents applying raises
:class:`InboundEventError`, and the savepoint around the application undoes
all of it.
"""

import psycopg2
from markupsafe import Markup, escape

from odoo import fields, models
from odoo.service.model import _as_validation_error
from odoo.tools import mute_logger

from .. import settings as aiflow_settings
from ..protocol import form_values, webhook, wire_time
from ..protocol.task_center import APPROVED, REJECTED
from .aiflow_flow_engine import MODE_ENGINE
from .aiflow_inbound_event import InboundEventError


def _fail(message):
    raise InboundEventError(message)


END_RESULT = {"COMPLETE": "pass", "REJECT": "reject", "CANCEL": "revoke"}
EFFECT_FIELD = {
    "COMPLETE": "effect_pass_action_id",
    "REJECT": "effect_reject_action_id",
    "CANCEL": "effect_cancel_action_id",
}
KNOWN_LOG_RESULTS = (APPROVED, REJECTED)
# what applying reads of an order, fetched with the search (one query)
ORDER_FIELDS_READ = [
    "flow_id",
    "business_key",
    "aiflow_order_ref",
    "res_model",
    "res_id",
    "status",
    "result",
]


class AiflowInboundEvent(models.Model):
    _inherit = "aiflow.inbound.event"

    def _aiflow_apply_payload(self, payload):
        """Apply the event; the values it adds to the stored row."""
        self.ensure_one()
        tz_name = aiflow_settings.of_env(self.env).timezone
        if self.kind == webhook.WORKFLOW:
            return self._aiflow_apply_workflow(payload, tz_name)
        return self._aiflow_apply_logs(payload, tz_name)

    # ------------------------------------------------------------------
    # shared lookups

    def _aiflow_user_of_code(self, code):
        """The user whose aiflow code is ``code``, or an empty recordset."""
        Users = self.env["res.users"]
        return Users._aiflow_users_of_codes([code]).get(code) or Users.browse()

    def _aiflow_flow_of(self, payload):
        Flow = self.env["aiflow.flow"].sudo().with_context(active_test=False)
        engine_codes = Flow.search([("mode", "=", MODE_ENGINE)]).mapped("flow_code")
        code = webhook.flow_code_of(payload, engine_codes)
        if not code:
            _fail(
                self.env._(
                    "No engine-mode flow matches businessKey %(key)s: send "
                    "processVariables.flowCode or start the businessKey with a flow code and '-'.",
                    key=payload["businessKey"],
                )
            )
        flow = Flow.search([("flow_code", "=", code)], limit=1)
        if not flow:
            _fail(self.env._("Unknown flow %(code)s.", code=code))
        if flow.mode != MODE_ENGINE:
            _fail(
                self.env._(
                    "Flow %(code)s is not in process-engine mode: aiflow does not run it.",
                    code=code,
                )
            )
        return flow

    def _aiflow_order_of(self, payload):
        """The order holding the event's businessKey (and, once known, its orderId)."""
        key = payload["businessKey"]
        # the flow's mode in the same query (an archived flow still counts):
        # the order's flow is read only when the event cannot apply
        Order = self.env["aiflow.order"].sudo()
        order = (
            Order.with_context(active_test=False)
            .search_fetch(
                [("business_key", "=", key), ("flow_id.mode", "=", MODE_ENGINE)],
                ORDER_FIELDS_READ,
                limit=1,
            )
            .with_env(Order.env)
        )
        if not order:
            order = Order.search([("business_key", "=", key)], limit=1)
            if not order:
                _fail(
                    self.env._(
                        "No order has businessKey %(key)s (was its START received?).", key=key
                    )
                )
            _fail(
                self.env._(
                    "Order %(key)s belongs to task-center flow %(code)s: aiflow does not run it.",
                    key=key,
                    code=order.flow_id.flow_code,
                )
            )
        aiflow_id = str(payload["orderId"])
        if order.aiflow_order_ref and order.aiflow_order_ref != aiflow_id:
            _fail(
                self.env._(
                    "Order %(key)s is aiflow order %(known)s, not %(sent)s.",
                    key=key,
                    known=order.aiflow_order_ref,
                    sent=aiflow_id,
                )
            )
        return order

    def _aiflow_document_of(self, order):
        document = order._aiflow_document()
        if not document:
            _fail(
                self.env._(
                    "The document of order %(key)s (%(model)s #%(id)s) no longer exists.",
                    key=order.business_key,
                    model=order.res_model,
                    id=order.res_id,
                )
            )
        return document

    def _aiflow_handle_time(self, text, tz_name, field="handleTime"):
        if not text:
            return fields.Datetime.now()
        try:
            return wire_time.from_wire(text, tz_name)
        except ValueError as exc:  # a wire time out of Odoo's range (year 1)
            _fail(
                self.env._("%(field)s cannot be kept: %(problem)s", field=field, problem=str(exc))
            )

    def _aiflow_touched(self, order, handler=None, handle_time=None):
        vals = {"order_id": order.id, "res_model": order.res_model, "res_id": order.res_id}
        if handler is not None:
            vals["handler_id"] = handler.id or False
        if handle_time is not None:
            vals["handle_time"] = handle_time
        return vals

    def _aiflow_failure_context(self, payload):
        """What a failed event can still say: its handler and time, and the
        order (and document) its businessKey names, if any."""
        vals = {}
        if self.kind == webhook.WORKFLOW:
            tz_name = aiflow_settings.of_env(self.env).timezone
            handler = self._aiflow_user_of_code(payload.get("handlerUserCode"))
            vals["handler_id"] = handler.id or False
            try:
                vals["handle_time"] = self._aiflow_handle_time(payload.get("handleTime"), tz_name)
            except InboundEventError:
                vals["handle_time"] = False  # why the event failed: said in its error
        order = (
            self.env["aiflow.order"]
            .sudo()
            .search([("business_key", "=", payload["businessKey"])], limit=1)
        )
        if order:
            vals.update(order_id=order.id, res_model=order.res_model, res_id=order.res_id)
        return vals

    # ------------------------------------------------------------------
    # workflow events

    def _aiflow_apply_workflow(self, payload, tz_name):
        handler = self._aiflow_user_of_code(payload.get("handlerUserCode"))
        when = self._aiflow_handle_time(payload.get("handleTime"), tz_name)
        action = payload["action"]
        if action == "START":
            order = self._aiflow_start(payload, handler, tz_name)
        else:
            order = self._aiflow_end(payload, action)
        return self._aiflow_touched(order, handler, when)

    def _aiflow_start(self, payload, handler, tz_name):
        key = payload["businessKey"]
        aiflow_id = str(payload["orderId"])
        Order = self.env["aiflow.order"].sudo()
        if Order.search_count([("business_key", "=", key)]):
            # this process is known (e.g. its order was opened from Odoo): link it
            order = self._aiflow_order_of(payload)
            named = webhook.flow_code_of(payload, ())  # an explicit flowCode only
            if named and named != order.flow_id.flow_code:
                _fail(
                    self.env._(
                        "businessKey %(key)s belongs to flow %(other)s, not %(code)s.",
                        key=key,
                        other=order.flow_id.flow_code,
                        code=named,
                    )
                )
            self._aiflow_document_of(order)
            if not order.aiflow_order_ref:
                order.aiflow_order_ref = aiflow_id
            return order
        flow = self._aiflow_flow_of(payload)
        other = Order.search([("aiflow_order_ref", "=", aiflow_id)], limit=1)
        if other:
            _fail(
                self.env._(
                    "aiflow order %(id)s already has businessKey %(key)s.",
                    id=aiflow_id,
                    key=other.business_key,
                )
            )
        if flow.model not in self.env:
            _fail(
                self.env._(
                    "The document model %(model)s of flow %(code)s is not installed.",
                    model=flow.model,
                    code=flow.flow_code,
                )
            )
        values = self._aiflow_form_values(flow, payload.get("formData") or {}, tz_name)
        document = self._aiflow_create_document(flow, values)
        return Order.create(
            {
                "flow_id": flow.id,
                "business_key": key,
                "aiflow_order_ref": aiflow_id,
                "res_model": document._name,
                "res_id": document.id,
                "document_name": document.display_name,
                # who started it, as aiflow says: their user when Odoo knows
                # the code, else the code alone (never someone else)
                "initiator_id": handler.id or False,
                "initiator_code": payload.get("handlerUserCode") or False,
            }
        )

    def _aiflow_create_document(self, flow, values):
        """The new document; a database rule of its model that the values
        break (a required column, a check such as "Contacts require a
        name") is a reason not to apply, said without the row's data."""
        try:
            # the failed INSERT is expected here, not an error to log
            with mute_logger("odoo.sql_db"), self.env.cr.savepoint():
                return self.env[flow.model].sudo().create(values)
        except psycopg2.IntegrityError as exc:
            known = isinstance(exc, psycopg2.errors.NotNullViolation) or (
                exc.diag.constraint_name in self.env.registry._sql_constraints
            )
            problem = (
                _as_validation_error(self.env, exc).args[0]
                if known
                else self.env._("database rule %(rule)s", rule=exc.diag.constraint_name)
            )
            _fail(
                self.env._(
                    "formData does not make a %(model)s document: %(problem)s",
                    model=flow.model,
                    problem=problem,
                )
            )

    def _aiflow_form_values(self, flow, form_data, tz_name):
        """Values of the new document from formData, each checked against
        its field on the flow's form (keys not on the form are ignored)."""
        Model = self.env[flow.model]
        values = {}
        for line in flow.form_field_ids:
            name = line.field_id.name
            if name not in form_data:
                continue
            field = Model._fields.get(name)
            if field is None:
                continue
            try:
                value = form_values.read_value(
                    name,
                    field.type,
                    form_data[name],
                    required=field.required,
                    selection_keys=self._aiflow_selection_keys(Model, field),
                    tz_name=tz_name,
                )
            except form_values.FormValueError as exc:
                _fail(
                    self.env._(
                        "formData.%(field)s does not fit field %(label)s: %(problem)s",
                        field=name,
                        label=field.get_description(self.env)["string"],
                        problem=exc.problem,
                    )
                )
            if field.type == "many2one" and value:
                if not self.env[field.comodel_name].sudo().browse(value).exists():
                    _fail(
                        self.env._(
                            "formData.%(field)s: no %(model)s record has id %(id)s.",
                            field=name,
                            model=field.comodel_name,
                            id=value,
                        )
                    )
            values[name] = value
        return values

    @staticmethod
    def _aiflow_selection_keys(Model, field):
        if field.type != "selection":
            return ()
        return tuple(key for key, _label in field._description_selection(Model.env))

    def _aiflow_end(self, payload, action):
        order = self._aiflow_order_of(payload)
        document = self._aiflow_document_of(order)
        result = END_RESULT[action]
        if order.status == "over":
            if order.result == result:
                return order  # ended so already: nothing runs twice
            results = dict(order._fields["result"]._description_selection(self.env))
            _fail(
                self.env._(
                    "Order %(key)s already ended (%(result)s): %(action)s cannot apply.",
                    key=order.business_key,
                    result=results.get(order.result, order.result),
                    action=action,
                )
            )
        if not order.aiflow_order_ref:
            order.aiflow_order_ref = str(payload["orderId"])
        order._aiflow_set_result(result)
        effect = order.flow_id[EFFECT_FIELD[action]]
        if effect:
            effect.sudo().with_context(
                active_model=document._name,
                active_id=document.id,
                active_ids=document.ids,
            ).run()
        return order

    # ------------------------------------------------------------------
    # approval logs

    def _aiflow_apply_logs(self, payload, tz_name):
        order = self._aiflow_order_of(payload)
        document = self._aiflow_document_of(order)
        keys = [webhook.log_line_key(payload["orderId"], line) for line in payload["logs"]]
        handlers = self.env["res.users"]._aiflow_users_of_codes(
            [line["handlerUserCode"] for line in payload["logs"]]
        )
        no_user = self.env["res.users"].browse()
        lines = {}  # the same line twice in one list is one line
        for index, (key, line) in enumerate(zip(keys, payload["logs"], strict=True)):
            if key in lines:
                continue
            handler = handlers.get(line["handlerUserCode"], no_user)
            result = line["handleResult"]
            vals = {
                "order_id": order.id,
                "inbound_key": key,
                "task_key": line["taskId"],
                "task_name": line["taskName"],
                "handler_id": handler.id or None,
                "handler_code": line["handlerUserCode"],
                "result": result if result in KNOWN_LOG_RESULTS else None,
                "result_text": result,
                "comment": line.get("handleComment") or None,
                "handle_time": self._aiflow_handle_time(
                    line["handleTime"], tz_name, f"logs[{index}].handleTime"
                ),
            }
            lines[key] = (line, handler, vals)
        # lines kept by an earlier delivery (even inside a longer list) are
        # neither kept nor posted again
        new = self.env["aiflow.order.log"]._aiflow_insert_received(
            [vals for _line, _handler, vals in lines.values()]
        )
        for key, (line, handler, _vals) in lines.items():
            if key in new:
                self._aiflow_post_log(document, line, handler)
        return self._aiflow_touched(order)

    def _aiflow_post_log(self, document, line, handler):
        if not hasattr(document, "_message_log"):
            return
        who = handler.name if handler else line["handlerUserCode"]
        body = Markup("<p>{}</p>").format(
            self.env._(
                "aiflow: %(task)s — %(result)s by %(who)s at %(time)s",
                task=line["taskName"],
                result=line["handleResult"],
                who=who,
                time=line["handleTime"],
            )
        )
        if line.get("handleComment"):
            body += Markup("<p>{}</p>").format(escape(line["handleComment"]))
        # a log line on the document's chatter: a note (who, result, time,
        # comment) that notifies no follower, as aiflow already told them.
        # Someone Odoo does not know is named in the text; the note is then
        # the system's (OdooBot's), with no address to compute.
        # what the note's reply-to needs of the company (its catchall),
        # read alone rather than with the company's whole row
        self.env.company.fetch(["alias_domain_id", "name"])
        if handler:
            author = {"author_id": handler.partner_id.id}
        else:
            root = self.env["ir.model.data"]._xmlid_to_res_id("base.partner_root")
            author = {"author_id": root, "email_from": False}
        document.sudo()._message_log(body=body, message_type="comment", **author)
