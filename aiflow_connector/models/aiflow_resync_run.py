# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
from odoo import fields, models


class AiflowResyncRun(models.Model):
    """A full resync the worker is sending, or has sent (see
    :mod:`..outbox.resync`): what it set out to send, and whether the worker
    is still at it. Its rows in the sync queue carry its token."""

    _name = "aiflow.resync.run"
    _description = "aiflow Full Resync Run"
    _order = "id desc"

    resync_token = fields.Char(required=True, readonly=True, copy=False)
    state = fields.Selection(
        [("running", "Running"), ("done", "Sent")],
        required=True,
        default="running",
        readonly=True,
    )
    total_count = fields.Integer(
        string="To send", readonly=True, help="Departments and employees in scope at its start."
    )

    _sql_constraints = [
        ("resync_token_unique", "unique(resync_token)", "A resync token names one run."),
    ]
