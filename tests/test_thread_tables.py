"""`[[thread_tables]]`: many threads stated one row each, forged as one-thread groups and read
back from the kthreads' bytes (the 11.00 table and the 11i list); the Thread Information tables
that list every thread (the usage table, All Threads)."""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

import pytest
from helpers import Shell, forged_program, small_seed_raw

from q4py.errors import ScenarioError
from q4py.forge.scenario import SCENARIO
from q4py.kernel.threads import WaitChannelNamer, threads
from q4py.layouts.sched import (
    SCHED_HPUX,
    SCHED_NOAGE,
    SCHED_POLICIES,
    SYSCALL_NUMBERS,
    TSDEACT,
    TSRUN,
    TSSLEEP,
    TSSTOP,
)
from q4py.program import Program

ROWS = """
# tid  pid  ppid command   ticks pri  spu state syscall wchan   cpu recent user  sys   start
  2141 1002 1    registrar 1504  180  0   RUN   -       -       8   7      10818 26657 0x406fbedc
  2142 1002 -    -         42    154  1   SLEEP select  selwait 0   0      0     0     -
  5546 5357 1    sysstat   7     154* 1   sleep -       lvmkd_q 0   0      4     4     0x3fc1bfaf
  5547 5357 1    -         9     -    0   STOP  read    -       -   -      -     -     -
"""
COLUMNS = ["tid", "pid", "ppid", "command", "ticks", "pri", "spu", "state", "syscall", "wchan",
           "cpu", "recent", "user_ticks", "sys_ticks", "start"]


@pytest.fixture(scope="module")
def small() -> dict[str, Any]:
    return small_seed_raw()


def with_table(raw: dict[str, Any], **table: Any) -> dict[str, Any]:
    raw = copy.deepcopy(raw)
    raw["thread_tables"] = [{"columns": COLUMNS, "rows": ROWS, "caller": "select+0x2b8",
                             "calls": ["_swtch+0xc4", "_sleep+0x1a8", "select+0x2b8"],
                             **table}]
    return raw


@pytest.mark.parametrize("release", ["B.11.00", "B.11.11"])
def test_rows_are_threads_read_back_from_the_dump(small: dict[str, Any], tmp_path: Path,
                                                  release: str) -> None:
    raw = with_table(small)
    raw["system"]["release"] = release
    prog = forged_program(raw, tmp_path)
    by_tid = {t.tid: t for t in threads(prog)}
    lbolt = prog.read_global("lbolt")
    namer = WaitChannelNamer(prog)
    first, second, noage, stopped = (by_tid[tid] for tid in (2141, 2142, 5546, 5547))
    # Processes a row creates: command and ppid from the row that first names the pid.
    assert (first.pid, first.ppid, first.command) == (1002, 1, "registrar")
    assert (second.pid, second.command) == (1002, "registrar")
    assert (noage.pid, noage.command, stopped.command) == (5357, "sysstat", "sysstat")
    # Each column lands in its member; `-` takes the table's default or the schema's.
    assert [t.stat for t in (first, second, noage, stopped)] == [TSRUN, TSSLEEP, TSSLEEP, TSSTOP]
    assert [lbolt - t.lastrun for t in (first, second, noage, stopped)] == [1504, 42, 7, 9]
    assert [t.pri for t in (first, second, noage, stopped)] == [180, 154, 154, 154]
    assert noage.policy == SCHED_NOAGE and not first.noage
    assert [t.spu for t in (first, second, noage, stopped)] == [0, 1, 1, 0]
    assert second.syscall == SYSCALL_NUMBERS["select"] and stopped.syscall == 3
    assert namer.name(second) == "selwait" and namer.name(noage) == "lvmkd_q"
    kt = prog.read_struct("struct kthread", first.address)
    assert (kt.kt_cpu, kt.kt_cpticks, kt.kt_uticks, kt.kt_sticks, kt.kt_iticks,
            kt.kt_start) == (8, 7, 10818, 26657, 0, 0x406FBEDC)
    assert prog.read_struct("struct kthread", noage.address).kt_start == 0x3FC1BFAF
    # The table-level calls are every row's stack; rows follow the scenario's thread groups.
    assert prog.symbolize(prog.read_struct("struct kthread", second.address).kt_sleep_caller
                          ) == "select+0x2b8"
    tids = [t.tid for t in threads(prog)]
    assert tids.index(2141) < tids.index(5547)
    assert len(set(tids)) == len(tids)


def test_the_other_columns_land_in_their_members(small: dict[str, Any], tmp_path: Path) -> None:
    """bound, group, policy, deactivated, caller, calls, buf_device and address (11i's list)."""
    raw = copy.deepcopy(small)
    raw["system"]["release"] = "B.11.11"
    raw["thread_tables"] = [{
        "columns": ["tid", "pid", "bound", "group", "policy", "deactivated", "caller", "calls",
                    "wchan", "buf_device", "address", "intr_ticks"],
        "rows": """
9001 2 Y 3 fifo yes biowait+0x84 _swtch+0xc4,_sleep+0x1a8,biowait+0x84 buf 64:0x50034 0x1ff0000 12
9002 2 N - -    -   -            -                                      -   -           -         -
        """, "calls": ["_swtch+0xc4", "_sleep+0x1a8", "select+0x2b8"], "caller": "select+0x2b8",
        "wchan": "selwait"}]
    prog = forged_program(raw, tmp_path)
    by_tid = {t.tid: t for t in threads(prog)}
    io, idle = by_tid[9001], by_tid[9002]
    assert io.address == 0x1FF0000 and io.bound and io.group == 3 and io.intr_ticks == 12
    assert io.policy == SCHED_POLICIES["fifo"] and io.flag & TSDEACT
    assert (not idle.bound, idle.group, idle.policy, idle.flag) == (True, -1, SCHED_HPUX, 0)
    namer = WaitChannelNamer(prog)
    assert (namer.name(io), namer.name(idle)) == ("LVM vg05/lv52", "selwait")
    stacks = Shell(prog).run("stacks -m vhand")
    assert [line.strip() for line in stacks if "+0x" in line] == [
        "_swtch+0xc4", "_sleep+0x1a8", "biowait+0x84", "_swtch+0xc4", "_sleep+0x1a8",
        "select+0x2b8"]


def test_a_process_named_by_rows_gets_no_default_thread(small: dict[str, Any],
                                                        tmp_path: Path) -> None:
    raw = with_table(small, rows="8000 2 0 vhand 5 128 0 RUN - - 0 0 0 0 0")
    prog = forged_program(raw, tmp_path)
    assert [t.tid for t in threads(prog) if t.pid == 2] == [8000]


@pytest.mark.parametrize(("rows", "path", "problem"), [
    ("1 2 3", "thread_tables[0].rows[0]", "3 values for 15 columns"),
    ("9 4000 1 - 1 154 0 sleep - - 0 0 0 0 0", "thread_tables[0].rows[0].command",
     "no process with pid 4000"),
    ("9 2 0 init 1 154 0 sleep - - 0 0 0 0 0", "thread_tables[0].rows[0].command",
     "pid 2 is 'vhand'"),
    ("9 2 7 - 1 154 0 sleep - - 0 0 0 0 0", "thread_tables[0].rows[0].ppid", "parent is 0"),
    ("9 2 0 - x1 154 0 sleep - - 0 0 0 0 0", "thread_tables[0].rows[0].ticks",
     "'x1' is not a number"),
    ("9 2 0 - 1 154 0 nap - - 0 0 0 0 0", "thread_tables[0].rows[0].state", "'nap' is not"),
    ("9 2 0 - 1 154 9 sleep - - 0 0 0 0 0", "thread_tables[0].rows[0].spu", "no processor 9"),
    ("9 2 0 - 1 154 0 sleep - - 0 0 0 0 0\n9 2 0 - 2 154 0 sleep - - 0 0 0 0 0",
     "thread_tables[0].rows[1].tid", "tid 9 is already a thread of thread_tables[0].rows[0]"),
])
def test_a_bad_row_names_its_table_row_and_column(small: dict[str, Any], tmp_path: Path,
                                                 rows: str, path: str, problem: str) -> None:
    with pytest.raises(ScenarioError) as info:
        forged_program(with_table(small, rows=f"# a comment\n\n{rows}\n"), tmp_path)
    assert info.value.key_path == path, str(info.value)
    assert problem in str(info.value)


def test_an_unknown_column_is_a_schema_error(small: dict[str, Any]) -> None:
    raw = with_table(small, columns=["tid", "colour"])
    with pytest.raises(ScenarioError) as info:
        SCENARIO.validate(raw, "")
    assert info.value.key_path == "thread_tables[0].columns[1]"


# Five rows of hpux1100-64-hang-runqueue's usage table, in its order (kt_cpu, then sys, then
# user ticks, then pid and tid, the highest first).
USAGE = [
    " 12527   21221 -16   1   255        8   5655996    103366        0  0x4046d62f midaemon",
    " 11922   13377 180   1     8        3     67887    126051        0  0x406d8355 registrar",
    " 27091   28191 180   0     8        6         0         0        0  0x406fa58a registrar",
    "    32      89 138   0     0        0         0         0        0  0x3fc1bbec vxfsd",
    "    32      88 138   1     0        0         0         0        0  0x3fc1bbec vxfsd",
]


def test_the_usage_table_lists_every_thread_by_processor_use(small: dict[str, Any],
                                                             tmp_path: Path) -> None:
    rows = "\n".join(" ".join(line.split()) for line in reversed(USAGE))
    raw = copy.deepcopy(small)
    raw["thread_defaults"] = {"enabled": False}
    raw["thread_tables"] = [{"columns": ["pid", "tid", "pri", "spu", "cpu", "recent",
                                         "user_ticks", "sys_ticks", "intr_ticks", "start",
                                         "command"], "rows": rows, "ppid": 1}]
    shell_lines = _crashinfo_threads(forged_program(raw, tmp_path), "bare")
    at = shell_lines.index("   pid     tid pri spu kt_cpu  recent      user       sys     intr"
                           "    kt_start p_comm")
    assert shell_lines[at - 3].startswith("AL: Alpha semaphores misses")
    assert shell_lines[at + 1:] == [*USAGE, ""]
    assert "Threads waiting on cpu (TSRUN) - sorted by cpu/pri/ticks-since-run" not in shell_lines
    assert not any(line.startswith("   pid     tid") for line in
                   _crashinfo_threads(Program.open(tmp_path), "3.5"))


def test_all_threads_heads_each_running_thread_anew(small: dict[str, Any],
                                                    tmp_path: Path) -> None:
    raw = copy.deepcopy(small)
    raw["thread_defaults"] = {"enabled": False}
    raw["thread_tables"] = [{"columns": ["tid", "pid", "ticks", "state", "wchan"], "rows": """
        7000 2 0  RUN   -
        7001 3 5  SLEEP selwait
        7002 0 9  RUN   -
        7003 1 12 SLEEP selwait
        7004 0 20 running -
    """}]  # 7004 runs on processor 0 (TSRUNPROC): listed as RUN too
    lines = _crashinfo_threads(forged_program(raw, tmp_path), "3.5")
    at = lines.index("All Threads - sorted by ticks-since-run")
    header = ["TID     PID   PPID  TICKS      PRI SPU STAT  SYSCALL        COMMAND        WCHAN",
              "------- ----- ----- ---------- --- --- ----- -------------- -------------- -----"]
    listing = lines[at + 3:]
    assert listing[:3] == [*header, "7000    2     0     0          154 0   RUN   n/a            "
                                    "vhand          "]
    assert [line.split()[0] for line in listing[3:] if line] == [
        "7001", "TID", "-------", "7002", "7003", "TID", "-------", "7004"]
    assert listing[-2].split()[6] == "RUN"


def _crashinfo_threads(prog: Program, style: str) -> list[str]:
    return Shell(prog).run(f"crashinfo --style {style} threads")
