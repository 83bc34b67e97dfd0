"""The commands the README tells a user to type, and a fresh clone to type
them in.

A working tree can hide what a clone does not have (an execute bit set by
hand, an untracked file), so the tests that run the README's commands run
them in a clone of the committed HEAD.
"""

import re
import subprocess
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
README = REPO / "README.md"
COMMANDS_HEADING = "## The two commands"
# Every repository command the README names: scripts/x.sh, .ci/run.
COMMAND_PATH = re.compile(r"(?<![\w/.])((?:scripts/[\w-]+\.sh)|(?:\.ci/run))\b")


def command_block(readme_text):
    """The lines of the first ```bash block under "The two commands", as
    written (a trailing ``# comment`` included: a shell ignores it)."""
    _, found, rest = readme_text.partition(COMMANDS_HEADING)
    assert found, f"README.md has no {COMMANDS_HEADING!r} section"
    match = re.search(r"^```bash\n(.*?)^```", rest, re.S | re.M)
    assert match, f"no ```bash block under {COMMANDS_HEADING!r}"
    return [line for line in match.group(1).splitlines() if line.strip()]


def program_of(line):
    """What the shell runs for ``line``: its first word."""
    return line.split()[0]


def named_commands(readme_text):
    """Every ``scripts/*.sh`` and ``.ci/run`` the README mentions."""
    return sorted(set(COMMAND_PATH.findall(readme_text)))


def clone_head(destination):
    """A clone of the repository's committed HEAD in ``destination``."""
    head = subprocess.run(
        ["git", "-C", str(REPO), "rev-parse", "HEAD"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()
    subprocess.run(
        ["git", "clone", "--quiet", "--no-checkout", str(REPO), str(destination)], check=True
    )
    subprocess.run(["git", "-C", str(destination), "checkout", "--quiet", head], check=True)
    return destination


def git_mode(clone, path):
    """The mode git records for ``path`` in ``clone`` ('100755', ...)."""
    line = subprocess.run(
        ["git", "-C", str(clone), "ls-files", "--stage", "--", path],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    assert line, f"{path} is not committed"
    return line.split()[0]
