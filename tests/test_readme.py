"""The README's `govmon check` examples, run: what the README shows is what the command prints."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def examples() -> list[tuple[str, str]]:
    """(command line, printed output) of every ```-block in the README that starts with `$ govmon check`."""
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    out = []
    for block in re.findall(r"```\n(\$ govmon check .*?)```", text, re.S):
        command, _, rest = block.partition("\n")
        out.append((command[2:], rest.split("$ echo $?")[0]))
    return out


def run(command: str) -> str:
    args = command.split()[2:]
    done = subprocess.run(
        [sys.executable, "-m", "monitor", "check", *args], cwd=ROOT, capture_output=True, text=True, check=False
    )
    return done.stdout


def test_the_readme_shows_two_check_examples():
    assert [c.split()[2] for c, _ in examples()] == ["monitor/demo/seeds/003_750a97d35f8bfe5c.txt", "../shared/corpus/"]


def test_each_check_example_prints_what_the_readme_shows():
    for command, shown in examples():
        printed = run(command)
        if "…\n" in shown:  # the folder example shows only its closing summary table
            head, tail = shown.split("…\n")
            assert printed.startswith(head)
            assert printed.endswith(tail), (command, printed[-len(tail) :])
        else:
            assert printed == shown, command


def test_ci_runs_the_readme_test_command():
    readme = (ROOT / "README.md").read_text(encoding="utf-8").split("# 2. set up and run the tests", 1)[1]
    command = readme.split("\n", 2)[1]
    ci = (ROOT / ".ci" / "run").read_text(encoding="utf-8").split("# --- the README's test command", 1)[1]
    assert command.startswith("python3 -m venv .venv && ")
    assert ci.split("\n", 2)[1] == command
