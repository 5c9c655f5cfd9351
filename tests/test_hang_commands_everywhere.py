"""Issue 8's hang commands on every fixture dump, the panics' as well as the hangs': each answers
with what the dump holds (the tid, pid, processor or name it was asked about, read back from the
dump's own kthreads, procs and crash events), never an internal error, and every thread's stack
unwinds. The report formats themselves are checked by the transcripts and the tests of each
command; this one walks the whole family over all ten dumps."""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path

import pytest
from helpers import Shell

from q4py.commands import load_builtin_commands
from q4py.docgen import commands_markdown
from q4py.forge.scenario import load_scenario
from q4py.kernel.events import crash_events
from q4py.kernel.mpinfo import processors
from q4py.kernel.proclist import command_line
from q4py.kernel.threads import threads, threads_of
from q4py.layouts.proc import PST_CLEN
from q4py.layouts.sched import TSSLEEP
from q4py.program import Program

SCENARIOS_DIR = Path(__file__).resolve().parent.parent / "fixtures" / "scenarios"
SCENARIOS = sorted(p.stem for p in SCENARIOS_DIR.glob("*.toml"))
BROKEN = ("internal error", "Traceback", "Can't unwind")
PILE = 60  # entries of the kthread and proc piles traced
FRAME = re.compile(r"\S+\+0x[0-9a-f]+\b")


def _said(shell: Shell, line: str) -> list[str]:
    lines = shell.run(line)
    assert lines, line
    assert not [x for x in lines if any(word in x for word in BROKEN)], (line, lines[:20])
    return lines


def _cmdline_address(prog: Program, proc: int) -> int:
    """Where the kernel keeps a process's command line: pst_cmds[slot] (11.00) or p_cmds."""
    if prog.has_symbol("pst_cmds"):
        slot = (proc - prog.read_global("proc")) // prog.types.get("struct proc").size
        return prog.read_global("pst_cmds") + slot * PST_CLEN
    return proc + prog.types.get("struct proc").field("p_cmds").offset


@pytest.mark.parametrize("name", SCENARIOS)
def test_the_hang_commands_answer_on_every_fixture_dump(
        name: str, forged_dump: Callable[[str], Path], tmp_path: Path) -> None:
    prog = Program.open(forged_dump(name))
    shell = Shell(prog)
    every = threads(prog)
    # A sleeping thread of a user process, its process and the processor of the last event.
    sleeper = next(t for t in every if t.stat == TSSLEEP and t.pid > 0)
    tid, pid = sleeper.tid, sleeper.pid
    mine = threads_of(prog, sleeper.proc)
    cpu = crash_events(prog)[-1].cpu
    lines = _said(shell, f"trace -U tid {tid}")
    assert f" pid={pid} tid={tid} " in lines[0] or f" pid={pid} tid={tid} " in lines[1]
    lvl = next(i for i, x in enumerate(lines) if x.startswith("LVL  FUNC   ( ARG0"))
    assert lines[lvl + 1].startswith("0)  ") and FRAME.search(lines[lvl + 1])
    lines = _said(shell, f"trace -v tid {tid}")
    assert f"tid={tid} " in lines[0] and f"Kthread  : p kthread_t {sleeper.address:#x}" in lines
    assert f"Using PCB: p user_t {sleeper.uarea_space:#x}.{sleeper.uarea:#x}" in lines
    lines = _said(shell, f"trace -U -T {sleeper.address:#x}")
    assert any(f"tid={tid} " in x for x in lines[:2])
    lines = _said(shell, f"trace -W pid {pid}")
    assert f"pid={pid} " in lines[0]
    assert [x for x in lines if x.startswith("Kthread  : ")] == [
        f"Kthread  : p kthread_t {t.address:#x}" for t in mine]
    for flag in ("", "-v "):
        lines = _said(shell, f"trace {flag}processor {cpu}")
        # its kernel stack, or the banner of a processor caught in user mode
        assert f"Processor #{cpu}" in lines
        assert any(FRAME.search(x) for x in lines) or "= USER mode!" in lines

    # trace pile over a kthread pile and a proc pile of the release's table or list (their
    # first PILE entries: the test stays quick on the dumps with a thousand threads).
    count = min(PILE, prog.read_global("nkthread"))
    if prog.has_symbol("kthread_list"):
        shell.run(f"load kthread_t from kthread_list max {count} next kt_global_kthread")
    else:
        shell.run(f"load kthread_t from kthread max {count}")
    loaded = [item.address for item in shell.piles.current.items]
    lines = _said(shell, "trace pile")
    used = [a for a in loaded if a in {t.address for t in every}]
    assert used and [x.split()[-1] for x in lines if x.startswith("Kthread  : ")
                     and not x.endswith("no thread")] == [f"{a:#x}" for a in used]
    assert len([x for x in lines if x.startswith("Kthread  : ")]) == len(loaded)
    count = min(PILE, prog.read_global("nproc"))
    if prog.has_symbol("proc_list"):
        shell.run(f"load proc_t from proc_list max {count} next p_factp")
    else:
        shell.run(f"load proc_t from proc max {count}")
    procs = shell.piles.current.items
    lines = _said(shell, "trace pile")
    assert sum(x.startswith("Kthread  : ") for x in lines) == sum(
        len(threads_of(prog, item.address)) for item in procs)
    assert sum(x.startswith("Process  : p proc_t ") for x in lines) == len(procs)

    # stacks: every thread once; each option keeps the sleeper's group.
    lines = _said(shell, "stacks")
    assert lines[0].startswith(f"{len(every)} threads in ")
    state = "TSSLEEP"
    frames = [x.strip() for x in _said(shell, f"stacks -m {sleeper.command} -s {state}")
              if FRAME.fullmatch(x.strip())]
    for option in (f"-c {frames[0]}", f"-c {frames[-1].split('+')[0]}", f"-s {state}",
                   f"-m {sleeper.command}", f"-w {sleeper.wchan:#x}"):
        lines = _said(shell, f"stacks {option}")
        count = int(lines[0].split()[0])
        assert count >= 1, option
        listed = [x for x in lines if x[:7].strip().isdigit()]
        assert sum(int(x.split()[0]) for x in listed) == count, option

    # threads and ps: one row per thread and process, the sleeper's among them.
    lines = _said(shell, "threads")
    assert lines[-1] == f"{len(every)} threads"
    row = next(x.split() for x in lines[1:-1] if x.split()[1] == str(tid))
    assert row[0] == f"{sleeper.address:#x}" and row[2] == str(pid)
    assert _said(shell, f"threads -p {pid}")[-1] == f"{len(mine)} threads"
    ps = {x.split()[1]: x.split() for x in _said(shell, "ps")[1:-1]}
    assert ps[str(pid)][5] == str(len(mine))

    # Kthread and pview.
    assert _said(shell, f"Kthread -t {tid}") == ["Loaded 1 kthread_t entries in 'DefaultView'"]
    view = _said(shell, "pview -V")
    assert view[1].split()[:2] == [f"{sleeper.address:#x}", str(tid)]
    assert _said(shell, f"Kthread -p {pid}") == [
        f"Loaded {len(mine)} kthread_t entries in 'DefaultView'"]

    # SystemInfo counts the threads by state; ProcInfo and hpa2cpu know every processor.
    info = _said(shell, "SystemInfo")
    sleeping = sum(t.stat == TSSLEEP for t in every)
    assert f"Number of threads in TSSLEEP state = {sleeping}" in info
    cpus = processors(prog)
    assert [x.split()[0] for x in _said(shell, "ProcInfo")[3:] if x[:4].strip().isdigit()][
        :len(cpus)] == [str(p.index) for p in cpus]
    first = cpus[0]
    number, hpa = _said(shell, f"hpa2cpu {first.hpa:#x}")[1].split()
    assert (int(number), int(hpa, 16)) == (first.index, first.hpa)

    # Mount and Bdf: the scenario's mounts, or one line that the kernel keeps none.
    scenario = load_scenario(SCENARIOS_DIR / f"{name}.toml")
    for command in ("Mount", "Bdf"):
        lines = _said(shell, command)
        if scenario["mounts"]:
            points = ([x.split()[2] for x in lines[1:]] if command == "Mount" else
                      [x.split()[-1] for x in lines[1:] if x.split()[-1].startswith("/")])
            mounted = [m["on"] for m in scenario["mounts"]]
            assert points == mounted if command == "Mount" else \
                points and [m for m in mounted if m in points] == points
        else:
            assert lines == [f"q4: {command}: this kernel has no mount list (no rootvfs)"]
    lpmc = _said(shell, "Lpmc")
    if scenario["lpmc"]:  # `1 entry`, `2 entries`
        assert lpmc[0].startswith(f"LPMC log : {len(scenario['lpmc'])} entr"), lpmc[0]
    else:
        assert lpmc == ["q4: Lpmc: this kernel keeps no LPMC log (no lpmc_log)"]

    # Lock_t, p struct rw_lock, p struct pathname and p s read what the dump holds there.
    for lock in scenario["locks"]:
        lines = _said(shell, f"Lock_t {lock['address']:#x}")
        assert lines[2] == f"{lock['address']:#010x} lock_t {{" and \
            any(f'("{lock["name"]}")' in x for x in lines)
    lines = _said(shell, f"Lock_t {sleeper.address:#x}")
    assert lines[2].endswith(" lock_t {") and lines[-1].endswith(" };")
    owners = {t.tid: t.address for t in every}
    for lock in scenario["rw_locks"]:
        lines = _said(shell, f"p struct rw_lock {lock['address']:#x}")
        holder = owners.get(lock["owner_tid"], 0)
        assert int(lines[-2].split()[-1].replace("_", ""), 16) == holder  # 32 or 64 bits
    lines = _said(shell, f"p struct rw_lock {sleeper.address:#x}")
    assert lines[2].endswith("struct rw_lock {") and "l_kthread;" in lines[-2]
    lines = _said(shell, f"p struct pathname {sleeper.uarea_space:#x}.{sleeper.uarea:#x}")
    assert lines[2].endswith("struct pathname {") and lines[-1].endswith("};")
    lines = _said(shell, f"p s {_cmdline_address(prog, sleeper.proc):#x}")
    assert lines[1].endswith(f" : {command_line(prog, sleeper.proc)}")

    # grep over saved output.
    saved = tmp_path / "threads.txt"
    shell.run(f"threads > {saved}")
    assert _said(shell, f"grep -E ' {tid} +{pid} ' {saved}") == [
        x for x in saved.read_text().splitlines() if x.split()[1:3] == [str(tid), str(pid)]]


# Issue 8's commands, each with an example of the form it names in its help.
EXAMPLES = {
    "trace": ["trace -U tid ", "trace -W pid ", "trace -v tid ", "trace -v processor ",
              "trace processor ", "trace -U -T ", "load kthread_t from kthread", "trace pile"],
    "stacks": ["stacks", " -c ", "stacks -w ", "stacks -s ", "stacks -m "],
    "threads": ["threads", "threads -w "], "ps": ["ps"], "Kthread": ["Kthread -t "],
    "pview": ["pview -V"], "SystemInfo": ["SystemInfo"], "ProcInfo": ["ProcInfo "],
    "Mount": ["Mount"], "Bdf": ["Bdf"], "Lock_t": ["Lock_t 0x"],
    "p": ["p struct rw_lock 0x", "p struct pathname 0x", "p s 0x"], "hpa2cpu": ["hpa2cpu 0x"],
    "Lpmc": ["Lpmc"], "grep": ["grep -E ", "grep "],
}


@pytest.mark.parametrize("name", sorted(EXAMPLES))
def test_each_hang_command_shows_an_example_in_help_and_docs(name: str) -> None:
    commands = load_builtin_commands()
    text = commands.lookup(name).help
    examples = text[text.index("Example"):].splitlines()[1:]  # the lines after "Example(s):"
    for form in EXAMPLES[name]:
        assert any(form in line for line in examples), (name, form)
    section = commands_markdown().split(f"## `{name}`\n", 1)[1].split("\n## ", 1)[0]
    assert all(line in section for line in examples if line.strip())
