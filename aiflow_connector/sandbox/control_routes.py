# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
"""The sandbox's control routes (``/``, ``/sandbox/...``): its state, a reset,
failures, downtime and slowness on demand, and pushes to Odoo. Never subject
to injected failures, never recorded in ``calls``."""

import threading

import requests

from . import envelope as env
from . import failures as fail
from . import pages
from .exchange import html_reply, json_reply, parse_json
from .pusher import APPROVAL_LOG_PATH, WORKFLOW_EVENT_PATH

MAX_DOWN_SECONDS = 3600


class ControlRoutes:
    """Mixed into :class:`.server.SandboxServer`."""

    def _index(self, exchange):
        return html_reply(200, pages.index_page(self.odoo_url))

    def _get_state(self, exchange):
        # indented: people read it in a browser while the demo runs
        return json_reply(200, self.state, indent=2)

    def _post_reset(self, exchange):
        self.reset()
        return json_reply(200, env.success({"reset": True}))

    def _control_json(self, exchange):
        try:
            payload = parse_json(exchange.body())
        except ValueError as exc:
            raise env.ApiError(
                env.STATUS_INVALID, env.INVALID_JSON, str(exc), http_status=400
            ) from exc
        if not isinstance(payload, dict):
            raise env.ApiError(
                env.STATUS_INVALID,
                env.INVALID_PARAMETER,
                "body must be a JSON object",
                http_status=400,
            )
        return payload

    def _post_fail(self, exchange):
        payload = self._control_json(exchange)
        try:
            self.fail_next(
                payload.get("count", 1),
                payload.get("mode", fail.MODE_HTTP503),
                payload.get("hangSeconds"),
            )
        except ValueError as exc:
            raise env.ApiError(
                env.STATUS_INVALID, env.INVALID_PARAMETER, str(exc), http_status=400
            ) from exc
        return json_reply(200, env.success({"pendingFailures": self._failures.pending()}))

    def _post_down(self, exchange):
        payload = self._control_json(exchange)
        seconds = payload.get("seconds")
        if (
            isinstance(seconds, bool)
            or not isinstance(seconds, int | float)
            or not 0 < seconds <= MAX_DOWN_SECONDS
        ):
            raise env.ApiError(
                env.STATUS_INVALID,
                env.INVALID_PARAMETER,
                f"seconds must be a number in (0, {MAX_DOWN_SECONDS}]",
                http_status=400,
            )
        # after this answer is on its way: shutdown() waits for the serving loop
        threading.Thread(target=self.go_down, args=(seconds,), daemon=True).start()
        return json_reply(200, env.success({"downSeconds": seconds}))

    def _post_slow(self, exchange):
        payload = self._control_json(exchange)
        try:
            self.slow_down(payload.get("seconds", 0), payload.get("jitterSeconds", 0))
        except ValueError as exc:
            raise env.ApiError(
                env.STATUS_INVALID, env.INVALID_PARAMETER, str(exc), http_status=400
            ) from exc
        with self._slow_lock:
            seconds, jitter = self._slowness
        return json_reply(200, env.success({"seconds": seconds, "jitterSeconds": jitter}))

    def _post_push_workflow(self, exchange):
        return self._push_reply("workflow", WORKFLOW_EVENT_PATH, exchange)

    def _post_push_approval_log(self, exchange):
        return self._push_reply("approval_log", APPROVAL_LOG_PATH, exchange)

    def _push_reply(self, kind, path, exchange):
        # the body is forwarded byte for byte, malformed or not
        try:
            result = self._push(kind, path, exchange.body(), exchange.query.get("secret"))
        except requests.RequestException as exc:
            return json_reply(
                502,
                env.failure(
                    env.STATUS_GENERAL,
                    env.UPSTREAM_UNREACHABLE,
                    f"Odoo cannot be reached at {self.odoo_url}{path}: {type(exc).__name__}",
                ),
            )
        return json_reply(200, env.success(result))
