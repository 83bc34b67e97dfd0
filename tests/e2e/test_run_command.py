"""The run command brings up Odoo plus the sandbox, already connected.

Starts ``scripts/run.sh`` on free ports with its own demo database, then acts
as the admin over XML-RPC: "Test connection" must report OK against the
sandbox, and "signature rejected" once the app secret is wrong.
"""

import os
import signal
import socket
import subprocess
import time
import xmlrpc.client
from pathlib import Path

import pytest
import requests

REPO = Path(__file__).resolve().parents[2]
ODOO_PATH = Path(os.environ.get("ODOO_PATH", "/opt/odoo"))

pytestmark = pytest.mark.skipif(
    not (ODOO_PATH / "odoo-bin").exists(),
    reason=f"needs Odoo 18 at ODOO_PATH={ODOO_PATH} (scripts/test.sh provides it)",
)


def free_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_for(url, deadline, process):
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise AssertionError(f"run command exited early with {process.returncode}")
        try:
            if requests.get(url, timeout=2).status_code == 200:
                return
        except requests.RequestException:
            pass
        time.sleep(1)
    raise AssertionError(f"{url} did not answer in time")


@pytest.fixture(scope="module")
def demo(tmp_path_factory):
    state = tmp_path_factory.mktemp("state")
    odoo_port, sandbox_port = free_port(), free_port()
    env = dict(
        os.environ,
        ODOO_PORT=str(odoo_port),
        SANDBOX_PORT=str(sandbox_port),
        AIFLOW_DEMO_DB="aiflow_e2e_run",
        AIFLOW_RESET_DEMO="1",
        XDG_STATE_HOME=str(state),
    )
    log = (state / "run.log").open("w")
    process = subprocess.Popen(
        ["bash", str(REPO / "scripts" / "run.sh")],
        cwd=REPO,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    try:
        deadline = time.monotonic() + 420
        wait_for(f"http://127.0.0.1:{sandbox_port}/sandbox/state", deadline, process)
        wait_for(f"http://127.0.0.1:{odoo_port}/web/login", deadline, process)
        yield {
            "odoo": f"http://127.0.0.1:{odoo_port}",
            "sandbox": f"http://127.0.0.1:{sandbox_port}",
            "db": "aiflow_e2e_run",
            "log": state / "run.log",
        }
    finally:
        os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
        log.close()


def admin_rpc(demo):
    common = xmlrpc.client.ServerProxy(f"{demo['odoo']}/xmlrpc/2/common")
    uid = common.authenticate(demo["db"], "admin", "admin", {})
    assert uid, "the demo database's admin/admin login failed"
    models = xmlrpc.client.ServerProxy(f"{demo['odoo']}/xmlrpc/2/object", allow_none=True)

    def call(model, method, *args):
        return models.execute_kw(demo["db"], uid, "admin", model, method, list(args))

    return call


def press_test_connection(call):
    settings_id = call("res.config.settings", "create", {})
    return call("res.config.settings", "action_aiflow_test_connection", [settings_id])


def test_run_command_connects_odoo_to_the_sandbox(demo):
    call = admin_rpc(demo)
    base_url = call("ir.config_parameter", "get_param", "aiflow_connector.base_url")
    assert base_url == demo["sandbox"]

    calls_before = len(requests.get(f"{demo['sandbox']}/sandbox/state", timeout=5).json()["calls"])
    result = press_test_connection(call)
    assert result["params"]["type"] == "success", result
    calls = requests.get(f"{demo['sandbox']}/sandbox/state", timeout=5).json()["calls"]
    assert len(calls) == calls_before + 1, "Test connection must send exactly one request"
    assert calls[-1]["path"] == "/aflow/api/sys/sync/department"

    call("ir.config_parameter", "set_param", "aiflow_connector.app_secret", "not-the-secret")
    result = press_test_connection(call)
    assert result["params"]["type"] == "danger", result
    assert "signature" in result["params"]["message"].lower(), result
    assert "not-the-secret" not in result["params"]["message"]
