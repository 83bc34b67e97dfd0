"""Without Odoo the commands stop at once and say how to provide it.

A test run that skipped Odoo would prove nothing, so the test and run
commands must fail loudly instead of quietly doing less.
"""

import os
import subprocess
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]


@pytest.mark.parametrize("command", ["scripts/test.sh", "scripts/run.sh", ".ci/run"])
def test_missing_odoo_fails_with_instructions(command, tmp_path):
    env = dict(os.environ, ODOO_PATH=str(tmp_path / "no-odoo-here"))
    result = subprocess.run(
        ["bash", str(REPO / command)],
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode != 0
    assert "Odoo 18.0 was not found at ODOO_PATH=" in result.stderr
    assert "ODOO_PATH=/path/to/odoo" in result.stderr
    assert "git clone" in result.stderr


def test_wrong_odoo_version_is_refused(tmp_path):
    fake = tmp_path / "odoo17"
    (fake / "odoo").mkdir(parents=True)
    (fake / "odoo-bin").write_text("")
    (fake / "odoo" / "release.py").write_text("version_info = (17, 0, 0, 'final', 0, '')\n")
    result = subprocess.run(
        ["bash", str(REPO / "scripts/test.sh")],
        cwd=REPO,
        env=dict(os.environ, ODOO_PATH=str(fake)),
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 2
    assert "holds Odoo 17.0; aiflow_connector needs 18.0" in result.stderr
