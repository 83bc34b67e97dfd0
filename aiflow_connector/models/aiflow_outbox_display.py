# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
"""How the sync console shows a row's JSON: indented, for reading. What is
stored and sent stays compact and unchanged."""

import json

from odoo import api, fields, models


def indented(text):
    """``text`` indented when it is JSON, as it is otherwise."""
    if not text:
        return text
    try:
        return json.dumps(json.loads(text), indent=2, ensure_ascii=False)
    except ValueError:
        return text


class AiflowOutbox(models.Model):
    _inherit = "aiflow.outbox"

    request_body_display = fields.Text(
        string="Request sent (indented)", compute="_compute_body_display"
    )
    response_body_display = fields.Text(
        string="Response (indented)", compute="_compute_body_display"
    )
    payload_display = fields.Text(
        string="Stored payload (indented)", compute="_compute_body_display"
    )

    @api.depends("request_body", "response_body", "payload")
    def _compute_body_display(self):
        for row in self:
            row.request_body_display = indented(row.request_body)
            row.response_body_display = indented(row.response_body)
            row.payload_display = indented(row.payload)
