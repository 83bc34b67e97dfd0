"""Take the documentation's screenshots from the running demo.

Start the demo first (``scripts/run.sh``), then ``scripts/screenshots.sh``,
which runs this script with the project's virtualenv (it has ``requests``,
``websocket-client`` and Pillow, from Odoo's requirements)::

    scripts/screenshots.sh [--url http://127.0.0.1:8069] [--db aiflow_demo]

Each page is opened in headless Chromium as ``admin``, once in English and
once in Chinese (the admin's language is switched, then put back), and saved
as ``docs/screenshots/<page>.<lang>.png``; the English overview, settings and
console are also copied to ``aiflow_connector/static/description/`` for the
module page (not when ``--out`` names another folder). A page that does not
reach its expected state stops the script: a screenshot of a half-loaded page
is worse than none.
"""

import argparse
import base64
import io
import json
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import requests
import websocket
from PIL import Image

REPO = Path(__file__).resolve().parent.parent
DOCS = REPO / "docs" / "screenshots"
LANGS = ("en_US", "zh_CN")
# Copied to the module page (static/description), English only.
MODULE_PAGE = ("overview", "settings", "console")


class Browser:
    """Just enough of the Chrome DevTools protocol: open a page, run
    JavaScript in it, capture it."""

    def __init__(self, chromium, width, height):
        self.profile = tempfile.mkdtemp(prefix="aiflow-shots-")
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            port = probe.getsockname()[1]
        self.process = subprocess.Popen(
            [
                chromium,
                "--headless=new",
                "--no-sandbox",
                "--disable-gpu",
                "--hide-scrollbars",
                "--no-first-run",
                "--force-device-scale-factor=1",
                f"--window-size={width},{height}",
                f"--user-data-dir={self.profile}",
                f"--remote-debugging-port={port}",
                "about:blank",
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        self.ws = None
        self.next_id = 0
        self.errors = []  # the page's console errors, for a page that fails
        try:
            target = self._page_target(port)
            self.ws = websocket.create_connection(target, timeout=60, suppress_origin=True)
            self.call("Page.enable")
            self.call("Runtime.enable")
            self.call("Emulation.setDeviceMetricsOverride", width=width, height=height,
                      deviceScaleFactor=1, mobile=False)  # fmt: skip
        except Exception:
            self.close()  # no Chromium left behind
            raise

    @staticmethod
    def _page_target(port):
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            try:
                pages = requests.get(f"http://127.0.0.1:{port}/json/list", timeout=2).json()
            except requests.RequestException:
                time.sleep(0.2)
                continue
            for page in pages:
                if page.get("type") == "page":
                    return page["webSocketDebuggerUrl"]
            time.sleep(0.2)
        raise RuntimeError("Chromium did not start (no DevTools page)")

    def call(self, method, **params):
        self.next_id += 1
        self.ws.send(json.dumps({"id": self.next_id, "method": method, "params": params}))
        while True:
            message = json.loads(self.ws.recv())
            if message.get("method") == "Runtime.exceptionThrown":
                self.errors.append(message["params"]["exceptionDetails"].get("exception", {}))
            elif message.get("method") == "Runtime.consoleAPICalled":
                if message["params"]["type"] == "error":
                    self.errors.append(message["params"]["args"])
            if message.get("id") == self.next_id:
                if "error" in message:
                    raise RuntimeError(f"{method}: {message['error']}")
                return message.get("result", {})

    def evaluate(self, expression):
        result = self.call(
            "Runtime.evaluate", expression=expression, awaitPromise=True, returnByValue=True
        )
        if "exceptionDetails" in result:
            raise RuntimeError(f"{expression}: {result['exceptionDetails']}")
        return result["result"].get("value")

    def wait_for(self, what, expression, timeout=45):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.evaluate(expression):
                return
            time.sleep(0.25)
        raise RuntimeError(f"timed out waiting for {what} ({expression})")

    def open(self, url):
        self.call("Page.navigate", url=url)

    def capture(self):
        data = self.call("Page.captureScreenshot", format="png")["data"]
        return Image.open(io.BytesIO(base64.b64decode(data)))

    def close(self):
        try:
            if self.ws:
                self.ws.close()
        finally:
            self.process.terminate()
            self.process.wait(10)
            shutil.rmtree(self.profile, ignore_errors=True)


class Odoo:
    """The demo's JSON-RPC, as admin."""

    def __init__(self, url, db, login, password):
        self.url = url.rstrip("/")
        self.session = requests.Session()
        answer = self.rpc("/web/session/authenticate", db=db, login=login, password=password)
        self.uid = answer["uid"]

    def rpc(self, path, **params):
        response = self.session.post(
            self.url + path,
            json={"jsonrpc": "2.0", "method": "call", "params": params},
            timeout=60,
        )
        response.raise_for_status()
        body = response.json()
        if body.get("error"):
            raise RuntimeError(f"{path}: {body['error'].get('data', {}).get('message')}")
        return body["result"]

    def call(self, model, method, *args, **kwargs):
        return self.rpc(
            f"/web/dataset/call_kw/{model}/{method}",
            model=model,
            method=method,
            args=list(args),
            kwargs=kwargs,
        )


PAGES = (
    "overview",
    "settings",
    "console",
    "console_row",
    "resync",
    "flow",
    "engine_flow",
    "events",
    "event",
)
# What each page must show before it is captured (JavaScript conditions).
READY = {
    "overview": "document.querySelectorAll('.o_aiflow_overview .o_aiflow_bar').length === 48 + 14",
    "settings": '!!document.querySelector(\'.o_settings_container div[name="aiflow_base_url"] '
    "input') && document.querySelector('.settings_tab .tab.selected')?.dataset.key"
    " === 'aiflow_connector'",
    "console": "document.querySelectorAll('.o_list_view .o_data_row').length > 0",
    "console_row": "!!document.querySelector("
    "'.o_form_view div[name=\"request_body_display\"] .ace_line')",
    "resync": "!!document.querySelector('.modal div[name=\"department_enabled_count\"]')",
    "flow": "!!document.querySelector('.o_form_view div[name=\"flow_code\"]')",
    "engine_flow": "!!document.querySelector("
    "'.o_form_view div[name=\"form_field_ids\"] .o_data_row')",
    "events": "document.querySelectorAll('.o_list_view .o_data_row').length > 0",
    "event": "!!document.querySelector('.o_form_view div[name=\"body_pretty\"] .ace_line')",
}


def shoot(browser, odoo, name, lang, out_dir):
    base = odoo.url
    if name == "overview":
        browser.open(f"{base}/odoo/aiflow-overview")
    elif name == "settings":
        browser.open(f"{base}/odoo/action-aiflow_connector.res_config_settings_action")
    elif name == "console":
        browser.open(f"{base}/odoo/action-aiflow_connector.aiflow_outbox_action")
        browser.wait_for("the console", "!!document.querySelector('.o_list_view')")
        # Every row, not only those still waiting: remove the default filter.
        browser.evaluate("document.querySelector('.o_searchview_facet .o_facet_remove')?.click()")
    elif name == "console_row":
        [row] = odoo.call(
            "aiflow.outbox",
            "search_read",
            [("endpoint", "=", "user_sync"), ("request_body", "!=", False)],
            ["id"],
            limit=1,
        )
        browser.open(f"{base}/odoo/action-aiflow_connector.aiflow_outbox_action/{row['id']}")
    elif name == "flow":
        [flow] = odoo.call("aiflow.flow", "search_read", [], ["id"], limit=1)
        browser.open(f"{base}/odoo/action-aiflow_connector.aiflow_flow_action/{flow['id']}")
    elif name == "engine_flow":
        [flow] = odoo.call("aiflow.flow", "search_read", [("mode", "=", "engine")], ["id"], limit=1)
        browser.open(f"{base}/odoo/action-aiflow_connector.aiflow_flow_action/{flow['id']}")
    elif name == "events":
        browser.open(f"{base}/odoo/action-aiflow_connector.aiflow_inbound_event_action")
    elif name == "event":
        [event] = odoo.call(
            "aiflow.inbound.event", "search_read", [("state", "=", "failed")], ["id"], limit=1
        )
        browser.open(
            f"{base}/odoo/action-aiflow_connector.aiflow_inbound_event_action/{event['id']}"
        )
    elif name == "resync":
        action = odoo.rpc(
            "/web/action/load", action_id="aiflow_connector.aiflow_full_resync_action"
        )
        browser.open(f"{base}/odoo/action-aiflow_connector.res_config_settings_action")
        browser.wait_for("the settings", READY["settings"])
        time.sleep(1)  # a button clicked before the form settles can be dropped
        browser.evaluate(f"document.querySelector('button[name=\"{action['id']}\"]').click()")
    try:
        browser.wait_for(name, READY[name])
    except RuntimeError:
        failed = out_dir / f"{name}.{lang}.failed.png"
        browser.capture().save(failed)
        print(f"  {name} did not load: see {failed}", file=sys.stderr)
        for error in browser.errors[-5:]:
            print(f"  console: {json.dumps(error)[:2000]}", file=sys.stderr)
        raise
    time.sleep(1.5)  # animations (charts, dialogs) come to rest
    image = browser.capture().convert("RGB")
    path = out_dir / f"{name}.{lang}.png"
    # A palette of 256 colours keeps interface captures sharp and small.
    image.quantize(colors=256, method=Image.Quantize.MEDIANCUT).save(path, optimize=True)
    print(f"  {path} ({path.stat().st_size // 1024} KiB)")
    return path


# Events the sandbox pushes to a demo that has received none yet, so that the
# received-events pages have something to show: a process started, approved
# and completed, and a COMPLETE for a process Odoo never saw (it fails).
DEMO_EVENTS = (
    (
        "workflow",
        {
            "orderId": 9001,
            "businessKey": "PARTNER_REVIEW-DEMO-1",
            "taskId": "start",
            "taskName": "发起",
            "action": "START",
            "handlerUserCode": "U000001",
            "handleTime": "2026-12-04 14:05:00",
            "formData": {"name": "上海云帆科技有限公司", "is_company": True, "type": "contact"},
        },
    ),
    (
        "approval_log",
        {
            "orderId": 9001,
            "businessKey": "PARTNER_REVIEW-DEMO-1",
            "logs": [
                {
                    "taskId": "T1",
                    "taskName": "销售经理审批",
                    "handlerUserCode": "U000001",
                    "handleResult": "APPROVED",
                    "handleComment": "资质齐全，同意",
                    "handleTime": "2026-12-04 14:20:00",
                }
            ],
        },
    ),
    (
        "workflow",
        {
            "orderId": 9001,
            "businessKey": "PARTNER_REVIEW-DEMO-1",
            "taskId": "T2",
            "taskName": "财务审批",
            "action": "COMPLETE",
            "handlerUserCode": "U000001",
            "handleTime": "2026-12-04 15:30:00",
        },
    ),
    (
        "workflow",
        {
            "orderId": 9002,
            "businessKey": "PARTNER_REVIEW-DEMO-2",
            "taskId": "T1",
            "taskName": "销售经理审批",
            "action": "COMPLETE",
            "handlerUserCode": "U000001",
            "handleTime": "2026-12-04 16:00:00",
        },
    ),
)


def seed_events(odoo, sandbox_url):
    """Have the sandbox push DEMO_EVENTS when Odoo has received no event."""
    if odoo.call("aiflow.inbound.event", "search_count", []):
        return
    for kind, body in DEMO_EVENTS:
        response = requests.post(f"{sandbox_url}/sandbox/push/{kind}", json=body, timeout=30)
        response.raise_for_status()


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    port = os.environ.get("ODOO_PORT", "8069")
    parser.add_argument("--url", default=f"http://127.0.0.1:{port}", help="the demo's Odoo")
    parser.add_argument("--db", default=os.environ.get("AIFLOW_DEMO_DB", "aiflow_demo"))
    sandbox_port = os.environ.get("SANDBOX_PORT", "8090")
    parser.add_argument(
        "--sandbox",
        default=f"http://127.0.0.1:{sandbox_port}",
        help="the demo's sandbox, which pushes demo events when Odoo has none",
    )
    parser.add_argument("--login", default="admin")
    parser.add_argument("--password", default="admin")
    parser.add_argument("--out", type=Path, default=DOCS)
    parser.add_argument("--size", default="1280x800", help="window size, WIDTHxHEIGHT")
    parser.add_argument("--chromium", default=shutil.which("chromium") or "chromium")
    args = parser.parse_args()
    # Without a Chinese font, Chromium draws the Chinese pages as empty boxes.
    fc_list = shutil.which("fc-list")
    if (
        fc_list
        and not subprocess.run(
            [fc_list, ":lang=zh"], capture_output=True, text=True, check=False
        ).stdout.strip()
    ):
        sys.exit("No Chinese font found: install one (Debian: fonts-wqy-microhei).")
    width, height = (int(part) for part in args.size.split("x"))
    args.out.mkdir(parents=True, exist_ok=True)

    odoo = Odoo(args.url, args.db, args.login, args.password)
    [user] = odoo.call("res.users", "read", [odoo.uid], ["lang"])
    seed_events(odoo, args.sandbox.rstrip("/"))
    browser = Browser(args.chromium, width, height)
    try:
        browser.call(
            "Network.setCookie",
            name="session_id",
            value=odoo.session.cookies["session_id"],
            url=odoo.url,
        )
        for lang in LANGS:
            print(f"{lang}:")
            odoo.call("res.users", "write", [odoo.uid], {"lang": lang})
            for name in PAGES:
                path = shoot(browser, odoo, name, lang, args.out)
                if lang == "en_US" and name in MODULE_PAGE and args.out == DOCS:
                    shutil.copyfile(
                        path, REPO / "aiflow_connector" / "static" / "description" / path.name
                    )
    finally:
        odoo.call("res.users", "write", [odoo.uid], {"lang": user["lang"]})
        browser.close()


if __name__ == "__main__":
    sys.exit(main())
