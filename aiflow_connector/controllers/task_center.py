# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
"""The pages behind a flow's initiateUrl and detailUrl (spec part 1 §4.1).

aiflow sends a person here, logged in through SSO (``auth='user'`` sends
anyone else to Odoo's login first, and back afterwards). Each route checks
the person's own access and then hands over to the web client; anything it
cannot open is explained on a page in the person's language, which shows
nothing of the document.
"""

from odoo import http
from odoo.http import request

from ..protocol import task_center

PROBLEM_TEMPLATE = "aiflow_connector.flow_page_problem"
STATUS = {"unknown_flow": 404, "unknown_document": 404, "no_create": 403, "no_access": 403}
# Longest flow code echoed back on the page.
SHOWN_CODE = 64


def _problem(problem, flow_code=""):
    return request.render(
        PROBLEM_TEMPLATE,
        {"problem": problem, "flow_code": (flow_code or "")[:SHOWN_CODE]},
        status=STATUS[problem],
    )


def _web_client_url(model_name, res_id):
    # the web client reads a dotted name as a model, others need "m-"
    model_in_url = model_name if "." in model_name else "m-" + model_name
    return f"/odoo/{model_in_url}/{res_id}"


def _cookie_companies(user):
    """Companies the user's web client has active (its ``cids`` cookie)."""
    try:
        cids = [int(cid) for cid in request.cookies.get("cids", "").split("-") if cid]
    except ValueError:
        cids = []
    return [cid for cid in cids if cid in user.company_ids.ids] or [user.company_id.id]


def _companies_to_read(document):
    """Companies the web client must have active for the user to read
    ``document``, or None when the user may not read it at all."""
    user = request.env.user
    document = document.with_user(user)
    if not document.with_context(allowed_company_ids=user.company_ids.ids).has_access("read"):
        return None
    cids = _cookie_companies(user)
    if document.with_context(allowed_company_ids=cids).has_access("read"):
        return cids
    # the document belongs to another company of the user: activate it too
    suggested = document.sudo()._get_redirect_suggested_company()
    if not suggested or suggested.id not in user.company_ids.ids:
        return None
    cids = [*cids, suggested.id]
    if not document.with_context(allowed_company_ids=cids).has_access("read"):
        return None
    return cids


class AiflowFlowPages(http.Controller):
    @http.route(
        task_center.INITIATE_PATH.format(flow_code="<string:flow_code>"),
        type="http",
        auth="user",
        methods=["GET"],
    )
    def flow_new(self, flow_code, **_params):
        flow = request.env["aiflow.flow"].sudo().search([("flow_code", "=", flow_code)], limit=1)
        if not flow or flow.model not in request.env:
            return _problem("unknown_flow", flow_code)
        if not request.env[flow.model].has_access("create"):
            return _problem("no_create")
        return request.redirect(_web_client_url(flow.model, "new"))

    @http.route(
        task_center.DETAIL_PATH.format(flow_code="<string:flow_code>"),
        type="http",
        auth="user",
        methods=["GET"],
    )
    def flow_detail(self, flow_code, **params):
        flow = request.env["aiflow.flow"].sudo().search([("flow_code", "=", flow_code)], limit=1)
        if not flow:
            return _problem("unknown_flow", flow_code)
        business_key = params.get(task_center.BUSINESS_KEY_PARAM)
        order = request.env["aiflow.order"].sudo().browse()
        if isinstance(business_key, str) and business_key:
            order = order.search(
                [("flow_id", "=", flow.id), ("business_key", "=", business_key)], limit=1
            )
        document = order._aiflow_document() if order else None
        if not document:
            return _problem("unknown_document")
        cids = _companies_to_read(document)
        if cids is None:
            return _problem("no_access")
        request.future_response.set_cookie("cids", "-".join(map(str, cids)))
        return request.redirect(_web_client_url(document._name, document.id))
