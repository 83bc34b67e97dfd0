"""``python -m aiflow_connector.sandbox`` runs until SIGTERM."""

import signal
import subprocess
import sys
import time
from pathlib import Path
from types import SimpleNamespace

import requests

from aiflow_connector.protocol.signing import Credential
from aiflow_connector.sandbox.launch import sandbox_argv
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
            "--app-secret",
            "your_app_secret",
            "--odoo-url",
            "http://127.0.0.1:9",
            "--public-url",
            "https://aiflow.example.com",
        ],
        cwd=ROOT,
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


def test_launch_command_takes_a_secret_starting_with_a_dash():
    credential = ("COMPANY001", "APP001", "-generated-secret")
    process = subprocess.Popen(
        sandbox_argv(sys.executable, 0, credential, "http://127.0.0.1:9"),
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        first_line = process.stdout.readline()
        assert first_line.startswith("aiflow sandbox listening on http://127.0.0.1:"), (
            first_line + process.stderr.read()
        )
        remote = SimpleNamespace(url=first_line.split()[-1], credential=Credential(*credential))
        answer = signed_post(remote, "/aflow/api/sys/sync/department", {"departments": []}).json()
        assert answer["status"] == 0
    finally:
        process.terminate()
        process.wait(timeout=10)
