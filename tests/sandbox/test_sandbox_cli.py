"""``python -m aiflow_connector.sandbox``: runs until SIGTERM, takes its
secrets from the environment or a file (never from its command line) and
documents its options and control endpoints in ``--help``."""

import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from types import SimpleNamespace

import requests

from aiflow_connector.protocol.signing import Credential
from aiflow_connector.sandbox import __main__ as cli
from aiflow_connector.sandbox.launch import sandbox_command
from aiflow_connector.sandbox.server import SandboxServer
from conftest import SANDBOX_CREDENTIAL, signed_post

ROOT = Path(__file__).resolve().parents[2]


def test_cli_prints_its_url_serves_and_stops_on_sigterm():
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "aiflow_connector.sandbox",
            "--port",
            "0",
            "--enterprise-code",
            "COMPANY001",
            "--app-id",
            "APP001",
            "--odoo-url",
            "http://127.0.0.1:9",
            "--public-url",
            "https://aiflow.example.com",
        ],
        cwd=ROOT,
        env=dict(os.environ, AIFLOW_APP_SECRET=SANDBOX_CREDENTIAL.app_secret),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        first_line = process.stdout.readline()
        assert first_line.startswith("aiflow sandbox listening on http://127.0.0.1:"), first_line
        url = first_line.split()[-1]
        assert "https://aiflow.example.com/aflow/api/oauth2/callback" in process.stdout.readline()

        remote = SimpleNamespace(url=url, credential=SANDBOX_CREDENTIAL)
        answer = signed_post(remote, "/aflow/api/sys/sync/department", {"departments": []}).json()
        assert answer["status"] == 0
        login = requests.get(url + "/sandbox/login", allow_redirects=False, timeout=5)
        assert (
            "redirect_uri=https%3A%2F%2Faiflow.example.com%2Faflow%2Fapi%2Foauth2%2Fcallback"
            in (login.headers["Location"])
        )
        started = time.monotonic()
        process.send_signal(signal.SIGTERM)
        assert process.wait(timeout=5) == 0
        assert time.monotonic() - started < 3
        assert "stopped" in process.stdout.read()
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()


def test_launch_command_keeps_the_secret_off_the_command_line():
    # a secret starting with '-' must not be taken for an option either
    credential = ("COMPANY001", "APP001", "-generated-secret-x7Qz")
    argv, env = sandbox_command(sys.executable, 0, credential, "http://127.0.0.1:9")
    process = subprocess.Popen(
        argv,
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        first_line = process.stdout.readline()
        assert first_line.startswith("aiflow sandbox listening on http://127.0.0.1:"), (
            first_line + process.stderr.read()
        )
        # what ps shows every user of the machine
        cmdline = Path(f"/proc/{process.pid}/cmdline").read_bytes()
        assert b"aiflow_connector.sandbox" in cmdline
        assert b"generated-secret" not in cmdline
        remote = SimpleNamespace(url=first_line.split()[-1], credential=Credential(*credential))
        answer = signed_post(remote, "/aflow/api/sys/sync/department", {"departments": []}).json()
        assert answer["status"] == 0
        wrong = signed_post(
            remote, "/aflow/api/sys/sync/department", {"departments": []}, secret="other"
        )
        assert wrong.status_code == 403
    finally:
        process.terminate()
        process.wait(timeout=10)


REQUIRED = ["--enterprise-code", "E1", "--app-id", "A1", "--odoo-url", "http://127.0.0.1:9"]


def test_secrets_come_from_the_environment():
    args = cli.parse_args(REQUIRED, {"AIFLOW_APP_SECRET": "s1", "AIFLOW_OAUTH_CLIENT_SECRET": "o1"})
    assert (args.app_secret, args.oauth_client_secret) == ("s1", "o1")


def test_secret_files_win_over_the_environment(tmp_path):
    (tmp_path / "app").write_text("from-file secret\n", encoding="utf-8")
    (tmp_path / "oauth").write_text("oauth-from-file", encoding="utf-8")
    args = cli.parse_args(
        [
            *REQUIRED,
            "--app-secret-file",
            str(tmp_path / "app"),
            "--oauth-client-secret-file",
            str(tmp_path / "oauth"),
        ],
        {"AIFLOW_APP_SECRET": "env", "AIFLOW_OAUTH_CLIENT_SECRET": "env"},
    )
    # the first line, without its line break; inner spaces are the secret's
    assert (args.app_secret, args.oauth_client_secret) == ("from-file secret", "oauth-from-file")


def test_missing_or_unreadable_secret_stops_with_a_clear_message(tmp_path, capsys):
    for argv in (REQUIRED, [*REQUIRED, "--app-secret-file", str(tmp_path / "absent")]):
        try:
            cli.parse_args(argv, {})
        except SystemExit as exc:
            assert exc.code == 2
        else:
            raise AssertionError(f"{argv} started without an app secret")
    err = capsys.readouterr().err
    assert "no app secret: give --app-secret-file or set AIFLOW_APP_SECRET" in err
    assert f"cannot read the secret file {tmp_path / 'absent'}" in err
    empty = tmp_path / "empty"
    empty.write_text("")
    try:
        cli.parse_args([*REQUIRED, "--app-secret-file", str(empty)], {"AIFLOW_APP_SECRET": "x"})
    except SystemExit as exc:
        assert exc.code == 2
    else:
        raise AssertionError("an empty secret file was accepted")


def test_secret_options_on_the_command_line_are_refused():
    for option in ("--app-secret=s", "--oauth-client-secret=s"):
        try:
            cli.parse_args([*REQUIRED, option], {"AIFLOW_APP_SECRET": "x"})
        except SystemExit as exc:
            assert exc.code == 2
        else:
            raise AssertionError(f"{option} was accepted")


def test_help_documents_every_option_and_the_control_endpoints():
    result = subprocess.run(
        [sys.executable, "-m", "aiflow_connector.sandbox", "--help"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=30,
    )
    assert result.returncode == 0, result.stderr
    text = result.stdout
    options, _, epilog = text.partition("\nsecrets:\n")
    for action in cli.build_parser()._actions:
        assert action.help, f"{action.option_strings} has no help text"
        for option in action.option_strings:
            assert option in options, option
    assert "--app-secret-file" in options and "--oauth-client-secret-file" in options
    # every control and SSO route the server serves, and the failure modes
    server = SandboxServer(credential=Credential("E", "A", "S"))
    for path in server._routes:
        if path != "/":
            assert path in epilog, path
    for mode in ("http503", "status-1024", "hang", "hangSeconds"):
        assert mode in epilog, mode
    assert "AIFLOW_APP_SECRET" in epilog and "AIFLOW_OAUTH_CLIENT_SECRET" in epilog
