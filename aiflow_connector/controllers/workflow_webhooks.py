# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
"""The two webhooks aiflow calls (spec part 2 §2.1, §2.2).

Thin: the checks are ``protocol/webhook.py``, storing and applying are the
``aiflow.inbound.event`` model, which commits on the request's cursor (the
event is committed before it is applied). This layer reads the body within
the limit and answers the envelope; no input ends in an HTTP 500.
"""

import logging

from odoo import SUPERUSER_ID, api, http
from odoo.http import request

from .. import settings as aiflow_settings
from ..protocol import webhook
from ..protocol.signing import Credential, Signer

_logger = logging.getLogger(__name__)


def _answer(verdict):
    return request.make_json_response(verdict.envelope(), status=verdict.http_status)


def _signer(env):
    settings = aiflow_settings.of_env(env)
    credential = Credential(settings.enterprise_code, settings.app_id, settings.app_secret)
    return Signer(credential, settings.signing_method)


def _body_stream():
    """werkzeug's input stream of the request.

    Odoo's request wrapper offers only ``get_data()``, which reads the whole
    body (up to 128 MiB); a chunked body of unknown length must be read in
    pieces and abandoned past the limit, so the werkzeug request it wraps
    is read directly.
    """
    wrapped = getattr(request.httprequest, "_HTTPRequest__wrapped", None)
    return wrapped.stream if wrapped is not None else None


def _read_body():
    """(raw bytes, None), or (None, the 413 verdict) past the limit."""
    stream = _body_stream()
    if stream is None:  # an Odoo without that wrapper: read whole, then measured
        raw = request.httprequest.get_data()
        too_long = len(raw) > webhook.MAX_BODY_BYTES
    else:
        raw, too_long = webhook.read_limited(stream.read, webhook.MAX_BODY_BYTES)
    if too_long:
        return None, webhook.too_large()
    return raw, None


def receive(kind):
    httprequest = request.httprequest
    verdict = webhook.precheck(httprequest.method, httprequest.content_length)
    if verdict is None:
        raw, verdict = _read_body()
    if verdict is not None:
        _logger.info("aiflow webhook %s refused: %s", webhook.PATHS[kind], verdict.msg)
        return _answer(verdict)
    env = api.Environment(request.env.cr, SUPERUSER_ID, {})
    try:
        signer = _signer(env)
        verdict = webhook.judge(kind, httprequest.headers, raw, signer)
    except Exception:  # pylint: disable=broad-except
        # e.g. the vendor SDK chosen for signing cannot be imported
        _logger.exception("aiflow webhook %s: the signature could not be checked", kind)
        verdict = webhook.general_error("the signature could not be checked")
        return _answer(verdict)
    if not verdict.signed:
        # refused unsigned: counted in the log, never stored, body not logged
        _logger.info(
            "aiflow webhook %s refused: %s (%s bytes)", webhook.PATHS[kind], verdict.msg, len(raw)
        )
        return _answer(verdict)
    try:
        # the request's own cursor: nothing of Odoo's is pending on it yet
        # (reading the settings wrote nothing), and a second connection
        # per call would cost a borrow and a reset
        verdict = env["aiflow.inbound.event"]._aiflow_receive(request.env.cr, kind, raw, verdict)
    except Exception:  # pylint: disable=broad-except
        _logger.exception("aiflow webhook %s: the event could not be handled", kind)
        request.env.cr.rollback()  # whatever it began is not Odoo's to commit
        verdict = webhook.general_error("the event could not be handled; send it again")
    return _answer(verdict)


# Every method is routed, so that a GET is answered -4001, not 404.
ROUTE = {
    "type": "http",
    "auth": "none",
    "csrf": False,
    "save_session": False,
    "readonly": False,
}


class AiflowWorkflowWebhooks(http.Controller):
    @http.route(webhook.PATHS[webhook.WORKFLOW], **ROUTE)
    def workflow_receive(self, **_params):
        return receive(webhook.WORKFLOW)

    @http.route(webhook.PATHS[webhook.APPROVAL_LOG], **ROUTE)
    def approval_log_receive(self, **_params):
        return receive(webhook.APPROVAL_LOG)
