"""The prompt on a real pseudo-terminal: the banner, the pager, pipes and shell escapes.

pexpect runs `q4` as a person would see it; PAGER is a `sed` that marks each line it pages, so
the test sees which output went through the pager.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Callable, Iterator
from pathlib import Path

import pexpect
import pytest

from q4py.program import Program
from q4py.render.banner import render_banner

SEED = "hpux1100-32-kalloc-sysmap"
# prompt_toolkit draws the prompt then moves the cursor with escape sequences, which command
# output never holds.
PROMPT = r"q4>\x1b\["


# A narrow 11.00 panic and a wide 11i TOC, with the crash each banner names.
CRASHES = {SEED: 'PANIC "kalloc: out of kernel virtual space"',
           "hpux1111-64-hang-lock-contention-p4": "TOC on processor 0 (+7 more events)"}


@pytest.fixture(params=sorted(CRASHES))
def dump(request: pytest.FixtureRequest, forged_dump: Callable[[str], Path]) -> Path:
    return forged_dump(request.param)


@pytest.fixture
def terminal(dump: Path, tmp_path: Path) -> Iterator[pexpect.spawn]:
    env = dict(os.environ, TERM="xterm", PAGER="sed s/^/PAGED:/", NO_COLOR="1",
               PROMPT_TOOLKIT_NO_CPR="1", Q4PY_CONFIG_DIR=str(tmp_path / "config"),
               Q4PY_STATE_DIR=str(tmp_path / "state"))
    env.pop("LINES", None)
    env.pop("COLUMNS", None)
    child = pexpect.spawn(
        sys.executable, ["-c", "from q4py.cli import main; raise SystemExit(main())",
                         str(dump)],
        env=env, dimensions=(20, 100), encoding="utf-8", timeout=30, cwd=str(tmp_path))
    try:
        yield child
    finally:
        child.close(force=True)


def run(child: pexpect.spawn, line: str) -> str:
    """Send one line and return what came back before the next prompt."""
    child.sendline(line)
    child.expect(PROMPT)
    return str(child.before).replace("\r\n", "\n")


def test_banner_pager_pipes_and_escapes(terminal: pexpect.spawn, dump: Path, tmp_path: Path,
                                        request: pytest.FixtureRequest) -> None:
    terminal.expect(PROMPT)
    banner = str(terminal.before)
    crash = next(line for line in render_banner(Program.open(dump)) if "CRASH:" in line)
    assert crash.split("CRASH: ")[1] == CRASHES[request.node.callspec.params["dump"]]
    assert "DUMP TIME:" in banner and crash in banner.replace("\r\n", "\n")

    paged = run(terminal, "help")  # longer than the 20 rows: through the pager
    assert "PAGED:commands:" in paged
    short = run(terminal, "help exit")  # fits: straight out
    assert "usage: exit" in short and "PAGED:" not in short

    piped = run(terminal, "help | sed -n 1p | tr a-z A-Z")  # a pipe is never paged
    assert "COMMANDS:" in piped and "PAGED:" not in piped
    assert "PIPED-3" in run(terminal, "!echo PIPED-$((1+2))")

    run(terminal, "set pager off")
    unpaged = run(terminal, "help")
    assert "commands:" in unpaged and "PAGED:" not in unpaged
    assert 'pager = "off"' in (tmp_path / "config" / "config.toml").read_text()

    terminal.sendline("exit")
    terminal.expect(pexpect.EOF)
