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



def test_walk_list_ends_where_a_link_loops_breaks_or_runs_past_its_bound() -> None:
    from q4py.errors import Q4Error
    from q4py.kernel.tables import walk_list

    links = {0x10: 0x20, 0x20: 0x30, 0x30: 0x20, 0x40: 0x50, 0x50: 0x0}

    def step(address: int) -> tuple[int, int]:
        if address not in links:
            raise Q4Error(f"{address:#x} is not in the dump")
        return address * 2, links[address]

    kw = {"name": "x_list", "noun": "things", "limit_name": "nx"}
    assert walk_list(0x40, step, 0, **kw) == ([(0x40, 0x80), (0x50, 0xA0)], None)
    listed, problem = walk_list(0x10, step, 0, **kw)
    assert [a for a, _ in listed] == [0x10, 0x20, 0x30]
    assert problem == "x_list loops back to 0x20 after 3 things"
    broken = "x_list ends after 0 things: 0x60 is not in the dump"
    assert walk_list(0x60, step, 0, **kw)[1] == broken
    listed, problem = walk_list(0x10, step, 2, **kw)
    assert len(listed) == 2 and problem == "x_list goes on past nx (2) things, at 0x30"
