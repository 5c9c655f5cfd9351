"""Garbled 11.00 tables (found by the targeted corruptions of benchmarks/fuzz.py's `structures`
category): a thread or process count, or a name array, that runs past the dump. The commands
show the entries the dump holds instead of failing whole; each test failed before its fix."""

from __future__ import annotations

import re
import shutil
from collections.abc import Callable
from pathlib import Path

import pytest
from helpers import Shell, poke

from q4py.program import Program

NARROW_1100 = "hpux1100-32-hang-nfs-swap-p4"  # kthread and proc tables, pst_ucomms, pst_cmds
PAST_THE_DUMP = 0x1FF00000  # a narrow address above every page the fixture holds
COUNT_PAST_THE_DUMP = 0x7FFFFFFF


def garbled(forged_dump: Callable[[str], Path], tmp_path: Path, word: dict[str, int]) -> Shell:
    """A shell on a copy of the fixture with 32-bit globals overwritten."""
    dump = Path(shutil.copytree(forged_dump(NARROW_1100), tmp_path / "garbled"))
    prog = Program.open(dump)
    for name, value in word.items():
        poke(dump, prog.symbol(name).address, value.to_bytes(4, "big"))
    return Shell(Program.open(dump))


@pytest.fixture(scope="module")
def clean(forged_dump: Callable[[str], Path]) -> Shell:
    return Shell(Program.open(forged_dump(NARROW_1100)))


@pytest.mark.parametrize(("count", "listing", "trace", "column"), [
    ("nkthread", "threads", "trace -U tid {}", 1),
    ("nproc", "ps", "trace -W pid {}", 1),
])
def test_a_count_past_the_dump_shows_the_entries_it_holds(
        forged_dump: Callable[[str], Path], tmp_path: Path, clean: Shell, count: str,
        listing: str, trace: str, column: int) -> None:
    shell = garbled(forged_dump, tmp_path, {count: COUNT_PAST_THE_DUMP})
    rows = clean.run(listing)
    assert len(rows) > 100
    shown = shell.run(listing)
    if count == "nkthread":  # the threads, then where the table ended
        assert re.fullmatch(r"threads: the kthread table ends after \d+ of nkthread's "
                            rf"{COUNT_PAST_THE_DUMP} entries: cannot read 0x0\.0x\w+: .*",
                            shown[-1])
        shown = shown[:-1]
    assert shown == rows
    command = trace.format(rows[1].split()[column])
    assert shell.run(command) == clean.run(command)
    assert shell.run("stacks")[0] == clean.run("stacks")[0]


def test_command_names_past_the_dump_leave_the_rest_of_each_row(
        forged_dump: Callable[[str], Path], tmp_path: Path, clean: Shell) -> None:
    shell = garbled(forged_dump, tmp_path, {"pst_ucomms": PAST_THE_DUMP})
    ps = shell.run("ps")
    assert len(ps) == len(clean.run("ps"))  # every row: the command lines are in pst_cmds
    threads = shell.run("threads")
    expected = clean.run("threads")
    assert len(threads) == len(expected)
    # the pid column still comes from the process table
    assert [row.split()[:3] for row in threads] == [row.split()[:3] for row in expected]
    pid = ps[1].split()[1]
    assert shell.run(f"trace -W pid {pid}")[0].startswith("proc[")
    assert not any(line.startswith("crashinfo: memory:") for line in shell.run("crashinfo"))

