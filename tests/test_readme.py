"""README.md: its usage table names commands that exist, and its five-line library example
runs (on the forged seed, the demo dump it names)."""

from __future__ import annotations

import contextlib
import io
import re
from collections.abc import Callable
from pathlib import Path

from q4py.commands import load_builtin_commands
from q4py.shell.session import BUILTIN_ALIASES
from tests.conftest import REPO_ROOT

README = (REPO_ROOT / "README.md").read_text(encoding="utf-8")


def test_the_usage_table_names_real_commands() -> None:
    table = README[README.index("| command | what it does |"):]
    table = table[:table.index("\n\n")]
    commands = load_builtin_commands()
    named = set()
    for row in table.splitlines()[2:]:
        first = row.split(" | ")[0]
        for cell in re.findall(r"`([^`]+)`", first):
            word = cell.split()[0]
            if word not in ("CMD", "q4") and not word.startswith("!"):
                named.add(word)
    unknown = sorted(w for w in named if commands.lookup(w) is None and w not in BUILTIN_ALIASES)
    assert not unknown, unknown
    for new in ("set", "alias", "unalias", "search", "whatis", "vtop", "ptov", "dis", "ps",
                "stacks"):
        assert new in named, new
    assert "`CMD \\| SHELL-COMMANDS`, `!COMMAND`" in table
    assert "--json" in table


def test_the_library_example_has_five_lines_and_runs(
        forged_dump: Callable[[str], Path]) -> None:
    start = README.index("As a Python library")
    block = README[README.index("```python\n", start) + len("```python\n"):]
    block = block[:block.index("```")]
    assert len(block.strip().splitlines()) == 5
    assert '"/tmp/seed"' in block
    source = block.replace('"/tmp/seed"', repr(str(forged_dump("hpux1100-32-kalloc-sysmap"))))
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        exec(compile(source, "README.md", "exec"), {})  # noqa: S102 - the README's own code
    lines = out.getvalue().splitlines()
    assert len(lines) == 3
    assert lines[1].startswith("[(0, 'swapper')")
