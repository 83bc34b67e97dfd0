"""The run command brings up Odoo plus the sandbox, already connected.

Types the README's run command as written (through a shell, so the file
needs its execute bit) in a fresh clone of the committed HEAD, on free ports
with its own demo database, then acts as the admin over XML-RPC: "Test
connection" must report OK against the sandbox, and "signature rejected"
once the app secret is wrong. No secret may show on the sandbox's command
line (``ps`` shows it to every user of the machine).
"""

import os
import re
import signal
import socket
import subprocess
import time
import xmlrpc.client
from pathlib import Path

import pytest
import requests
from readme_commands import command_block, program_of

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


def run_line(clone):
    (line,) = [
        line
        for line in command_block((clone / "README.md").read_text(encoding="utf-8"))
        if program_of(line) == "scripts/run.sh"
    ]
    return line


@pytest.fixture(scope="module")
def demo(fresh_clone, tmp_path_factory):
    state = tmp_path_factory.mktemp("state")
    odoo_port, sandbox_port = free_port(), free_port()
    # a database of its own beside the one scripts/test.sh made (several
    # test runs may share the PostgreSQL server)
    db = f"{os.environ.get('AIFLOW_ODOO_DB', 'aiflow_e2e')}_run"
    env = dict(
        os.environ,
        ODOO_PORT=str(odoo_port),
        SANDBOX_PORT=str(sandbox_port),
        AIFLOW_DEMO_DB=db,
        AIFLOW_RESET_DEMO="1",
        XDG_STATE_HOME=str(state),
    )
    log = (state / "run.log").open("w")
    # typed as written into a shell in the clone: the shell executes the file
    process = subprocess.Popen(
        run_line(fresh_clone),
        shell=True,
        cwd=fresh_clone,
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
            "pid": process.pid,
            "db": db,
            "log": state / "run.log",
            "credentials": state / "aiflow_connector" / f"{db}.credentials",
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


def processes_of_session(leader_pid):
    """The command lines of every process in the run command's session."""
    found = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            if os.getsid(int(entry.name)) != leader_pid:
                continue
            found[int(entry.name)] = (entry / "cmdline").read_bytes().split(b"\0")
        except (OSError, ProcessLookupError):
            continue  # gone meanwhile
    return found


def test_no_secret_on_any_command_line_of_the_run_command(demo):
    credentials = dict(re.findall(r"^(\w+)=(.*)$", demo["credentials"].read_text(), re.M))
    secrets = [credentials["AIFLOW_APP_SECRET"], credentials["AIFLOW_OAUTH_CLIENT_SECRET"]]
    assert all(len(secret) >= 32 for secret in secrets)
    command_lines = processes_of_session(demo["pid"])
    sandbox = [argv for argv in command_lines.values() if b"aiflow_connector.sandbox" in argv]
    assert len(sandbox) == 1, command_lines  # the sandbox is one of them
    for pid, argv in command_lines.items():
        joined = b" ".join(argv)
        for secret in secrets:
            assert secret.encode() not in joined, f"a secret is on the command line of {pid}"
