"""The README's commands run as written in a fresh clone.

The clone is of the committed HEAD, so an execute bit missing from git (the
README's first command once failed with "Permission denied") fails here.
The run command itself is started as written by tests/e2e/test_run_command.py;
here the test command runs as written without Odoo, where it must stop at
once (exit 2) with its instructions instead of recursing into this suite.
"""

import os
import stat
import subprocess

from readme_commands import README, command_block, git_mode, named_commands, program_of


def test_the_two_commands_are_run_and_test():
    lines = command_block(README.read_text(encoding="utf-8"))
    assert [program_of(line) for line in lines] == ["scripts/run.sh", "scripts/test.sh"]


def test_every_command_the_readme_names_is_executable_in_a_fresh_clone(fresh_clone):
    readme = (fresh_clone / "README.md").read_text(encoding="utf-8")
    named = named_commands(readme)
    # the two commands, the linters, the catalogue refresh and CI's entry point
    assert {"scripts/run.sh", "scripts/test.sh", "scripts/lint.sh", "scripts/i18n.sh"} <= set(
        named
    ), named
    for path in named:
        # scripts/lib.sh, named for its pinned linters, is sourced by the others
        if "(sourced, not run)" in (fresh_clone / path).read_text().partition("\n")[0]:
            continue
        assert git_mode(fresh_clone, path) == "100755", f"{path} is not executable in git"
        mode = (fresh_clone / path).stat().st_mode
        assert mode & stat.S_IXUSR, f"{path} checked out without its execute bit"
        assert (fresh_clone / path).read_text().startswith("#!"), f"{path} has no #! line"


def test_test_command_runs_as_written_and_stops_without_odoo(fresh_clone, tmp_path):
    (line,) = [
        line
        for line in command_block((fresh_clone / "README.md").read_text(encoding="utf-8"))
        if program_of(line) == "scripts/test.sh"
    ]
    env = dict(os.environ, ODOO_PATH=str(tmp_path / "no-odoo-here"))
    # the line as a user types it into a shell: the shell executes the file,
    # which needs its execute bit and its #! line
    result = subprocess.run(
        line, shell=True, cwd=fresh_clone, env=env, capture_output=True, text=True, timeout=60
    )
    assert "Permission denied" not in result.stderr, result.stderr
    assert result.returncode == 2, result.stderr
    assert f"Odoo 18.0 was not found at ODOO_PATH={tmp_path / 'no-odoo-here'}" in result.stderr
    assert "git clone --depth 1 --branch 18.0" in result.stderr
