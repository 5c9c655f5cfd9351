"""docs/commands.md is the generated one, and every command documents itself.

`help CMD` and docs/commands.md come from the same registry entry (q4py.docgen); this test
fails when a command's help changed and `python -m q4py.docgen > docs/commands.md` was not run.
"""

from __future__ import annotations

import io

import pytest
from conftest import REPO_ROOT

from q4py.commands import Command, load_builtin_commands
from q4py.docgen import commands_markdown
from q4py.shell import Session

COMMANDS = load_builtin_commands().all()


def test_commands_md_is_generated() -> None:
    committed = (REPO_ROOT / "docs" / "commands.md").read_text(encoding="utf-8")
    assert committed == commands_markdown(), (
        "docs/commands.md is stale: run `python -m q4py.docgen > docs/commands.md`")


@pytest.mark.parametrize("cmd", COMMANDS, ids=[c.name for c in COMMANDS])
def test_every_command_has_usage_summary_and_help(cmd: Command) -> None:
    assert cmd.usage.strip(), f"{cmd.name}: no usage"
    assert cmd.summary.strip(), f"{cmd.name}: no summary"
    assert cmd.help.strip(), f"{cmd.name}: no help text"
    assert "\n" not in cmd.summary


@pytest.mark.parametrize("cmd", COMMANDS, ids=[c.name for c in COMMANDS])
def test_help_agrees_with_the_docs(cmd: Command) -> None:
    out = io.StringIO()
    Session(None, out).execute(f"help {cmd.name}")
    lines = out.getvalue().split("\n")
    assert lines[0] == f"usage: {cmd.usage}"
    doc = commands_markdown()
    section = doc.split(f"## `{cmd.name}`\n", 1)[1].split("\n## ", 1)[0]
    for line in lines[1:]:
        if line.strip() and not line.startswith("aliases: "):
            assert line in section, f"help {cmd.name}: {line!r} is not in docs/commands.md"
