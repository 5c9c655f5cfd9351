"""Every fixture dump has threads with kernel stacks: the panics' as well as the hangs'.

A scenario that states no thread group for a process still gets the process's kthread (the
forge's `thread_defaults`), and a group that states no stack a default one, so `stacks`,
`threads` and `trace -W pid N` answer on every dump, with a stack for every thread.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path

import pytest
from helpers import Shell

from q4py.forge.scenario import load_scenario
from q4py.kernel.threads import threads
from q4py.program import Program

SCENARIOS_DIR = Path(__file__).resolve().parent.parent / "fixtures" / "scenarios"
SCENARIOS = sorted(p.stem for p in SCENARIOS_DIR.glob("*.toml"))
FRAME = re.compile(r"^\s+\S+\+0x[0-9a-f]+$")  # a frame line of `stacks`: function+0xOFF


@pytest.mark.parametrize("name", SCENARIOS)
def test_every_fixture_dump_has_threads_with_stacks(
        name: str, forged_dump: Callable[[str], Path]) -> None:
    shell = Shell(Program.open(forged_dump(name)))
    stacks = shell.run("stacks")
    match = re.fullmatch(r"(\d+) threads in (\d+) stacks", stacks[0])
    assert match and int(match[1]) > 0, stacks[:3]
    assert sum(bool(FRAME.match(line)) for line in stacks) >= 2, stacks
    listing = shell.run("threads")
    assert listing[-1] == f"{match[1]} threads"
    # trace -W of the process of a thread `stacks` unwound: its every thread, the stacks among
    # them.
    head = next(line for line in stacks[3:]
                if line[:6].strip().isdigit() and FRAME.match(stacks[stacks.index(line) + 1]))
    tid = head.split()[-1] if head.split()[-1] != "..." else head.split()[-2]
    row = next(r.split() for r in listing[1:-1] if r.split()[1] == tid)
    pid = row[2]
    trace = shell.run(f"trace -W pid {pid}")
    assert trace[0].startswith("proc") and f"pid={pid} " in trace[0]
    ps = {r.split()[1]: r.split() for r in shell.run("ps")[1:-1]}
    assert sum(line.startswith("Kthread  : p kthread_t 0x") for line in trace) == int(ps[pid][5])
    assert any(re.search(r"  \S+\+0x[0-9a-f]+ ", line) for line in trace), trace


@pytest.mark.parametrize("name", SCENARIOS)
def test_no_thread_of_a_fixture_dump_fails_to_unwind(
        name: str, forged_dump: Callable[[str], Path]) -> None:
    """Every thread has a stack read from the dump: groups that state none get the forge's
    default one (q4py.forge.default_stacks), so `stacks` (every thread) never gives up."""
    stacks = Shell(Program.open(forged_dump(name))).run("stacks")
    assert not [line for line in stacks if "Can't unwind" in line], name
    assert sum(line[:6].strip().isdigit() for line in stacks[3:]) == int(stacks[0].split()[3])


# The default thread's chain per release: 11.00's 32-bit switch saves its caller's context
# (the p4 trace of a sleeping thread there begins in _sleep); the syscall entry is the release's.
DEFAULT_CHAINS = {
    "hpux1100-32-kalloc-sysmap": ["_sleep+0x4a8", "select+0x2b8", "syscall+0x1c8",
                                  "syscallinit+0x5b0"],
    "hpux1111-64-unaligned-c8xx": ["_swtch+0xc4", "_sleep+0x1a8", "select+0x2b8",
                                   "syscall+0x2a4", "syscallinit+0x554"],
}


@pytest.mark.parametrize("name", sorted(DEFAULT_CHAINS))
def test_a_process_without_a_thread_group_has_the_default_thread(
        name: str, forged_dump: Callable[[str], Path]) -> None:
    """11.00's table and 11i's list: each process the scenario names no thread group for has
    one thread, asleep in select on selwait (its release's chain), after the groups'
    threads."""
    scenario = load_scenario(SCENARIOS_DIR / f"{name}.toml")
    grouped = {g["pid"] for g in scenario["threads"]}
    prog = Program.open(forged_dump(name))
    shell = Shell(prog)
    processes = [row.split() for row in shell.run("ps")[1:-1]]
    alone = [row for row in processes if int(row[1]) not in grouped]
    assert alone and all(row[5] == "1" for row in alone)
    default = shell.run("stacks -w selwait -c select+0x2b8")
    assert default[0] == f"{len(alone)} threads in 1 stacks"
    chain = DEFAULT_CHAINS[name]
    assert [line.strip() for line in default[4:4 + len(chain) + 1]] == [*chain, ""]
    tids = [t.tid for t in threads(prog)]
    assert len(set(tids)) == len(tids)
