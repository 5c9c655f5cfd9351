"""Issue 8's bad input, at the commands: a thread whose saved context points outside the dump,
a garbled pst_cmds, a beta semaphore whose owner is not a thread, a sleep queue that loops, an
unused thread table slot, an 11i thread or process list that loops or leaves the dump.
Each costs one line in place of that thread or row; the command goes on with the rest. Each test
corrupts a private copy of a forged fixture dump (never the shared one). `threads -w` walks
the channel's sleep queue: one that loops, or lacks a sleeper, is one line after the rows."""

from __future__ import annotations

import json
import shutil
from collections.abc import Callable
from pathlib import Path

from helpers import Shell, poke

from q4py.kernel.proclist import proc_list_addresses
from q4py.kernel.threads import sleep_queue, thread_at, thread_by_tid, threads, threads_of
from q4py.layouts.proc import PST_CLEN
from q4py.layouts.sched import sleepq_index
from q4py.program import Program

NFS_SWAP = "hpux1100-32-hang-nfs-swap-p4"  # 11.00 narrow: command lines in pst_cmds
LOCKS = "hpux1111-64-hang-lock-contention-p4"  # 11i: beta semaphores with owners
NOWHERE = 0x3F000000  # an address no dump of these has


def _copy(forged_dump: Callable[[str], Path], name: str, tmp_path: Path) -> Path:
    return Path(shutil.copytree(forged_dump(name), tmp_path / "dump"))


def _physical(prog: Program, address: int, space: int = 0) -> int:
    return prog.translate(space, address).pfn * 4096 + address % 4096


def _broken_lines(lines: list[str]) -> list[str]:
    return [x for x in lines if "internal error" in x or "Traceback" in x]


def test_a_saved_context_outside_the_dump_is_one_line_per_command(
        forged_dump: Callable[[str], Path], tmp_path: Path) -> None:
    copy = _copy(forged_dump, NFS_SWAP, tmp_path)
    prog = Program.open(copy)
    victim = thread_by_tid(prog, 26646)  # csh, pid 5538, asleep in nfs3_lookup
    every = len(threads(prog))
    sp = prog.types.get("struct pcb").field("pcb_sp")
    poke(copy, _physical(prog, victim.uarea + sp.offset, victim.uarea_space),
         NOWHERE.to_bytes(sp.size, "big"))
    shell = Shell(Program.open(copy))
    lines = shell.run("stacks")
    assert lines[0].startswith(f"{every} threads in ") and not _broken_lines(lines)
    cant = [i for i, x in enumerate(lines) if "Can't unwind" in x]
    assert len(cant) == 1
    head = next(x for x in reversed(lines[:cant[0]]) if x[:7].strip().isdigit())
    assert head.split()[0] == "1" and head.split()[-1] == "26646"  # alone in its group
    assert sum(x[:7].strip().isdigit() for x in lines[3:]) >= 2  # the other stacks still there
    for command in ("trace -U tid 26646", "trace -W pid 5538", "trace tid 26646"):
        lines = shell.run(command)
        assert sum("Can't unwind" in x for x in lines) == 1, command
        assert lines[0].startswith("proc[") and "pid=5538" in lines[0], command
        assert "Kthread  : p kthread_t 0x14dec40" in lines and not _broken_lines(lines)
    (doc,) = [json.loads(x) for x in shell.run("trace --json tid 26646")]
    problem = doc["result"]["thread"]["trace"]["problem"]
    assert problem.startswith("cannot read ") and "\n" not in problem
    assert shell.run("threads")[-1] == f"{every} threads"
    assert shell.run("stacks -m sh")[0] != "0 threads in 0 stacks"  # untouched threads


def test_a_garbled_pst_cmds_costs_the_command_lines_only(
        forged_dump: Callable[[str], Path], tmp_path: Path) -> None:
    copy = _copy(forged_dump, NFS_SWAP, tmp_path)
    prog = Program.open(copy)
    proc = thread_by_tid(prog, 26646).proc
    slot = (proc - prog.read_global("proc")) // prog.types.get("struct proc").size
    # The entry of process 5538: no NUL, no text.
    entry = prog.read_global("pst_cmds") + slot * PST_CLEN
    poke(copy, _physical(prog, entry), bytes(range(0x80, 0x80 + PST_CLEN)))
    shell = Shell(Program.open(copy))
    row = next(x for x in shell.run("ps") if x.split()[1:2] == ["5538"])
    assert row.split()[2:6] == ["5534", "0", "SSLEEP", "1"] and row.endswith("?" * PST_CLEN)
    assert shell.run("trace tid 26646")[0] == f'proc[{slot}] pid=5538 tid=26646  cmd="' \
        + "?" * 40 + '"'
    # The array's pointer itself garbled: every command line is lost, nothing else.
    poke(copy, _physical(prog, prog.symbol("pst_cmds").address), NOWHERE.to_bytes(4, "big"))
    shell = Shell(Program.open(copy))
    ps = shell.run("ps")
    rows = {x.split()[1]: x for x in ps[1:-1]}
    assert len(rows) == len(ps) - 2 and not _broken_lines(ps)
    assert rows["5538"].split()[2:6] == ["5534", "0", "SSLEEP", "1"]
    assert rows["5538"].split(None, 6)[6].startswith(
        f"? (cannot read its command line: cannot read 0x0.{NOWHERE + slot * PST_CLEN:#x}")
    lines = shell.run("trace -W pid 5538")
    assert lines[:4] == [f'proc[{slot}] pid=5538  cmd="?"', f"Process  : p proc_t    {proc:#x}",
                         f"           proc[{slot}] pid=5538 csh",
                         lines[3]]
    assert lines[3].startswith("           cannot read its command line: ")
    assert lines[4] == "Kthread  : p kthread_t 0x14dec40" and "nfs3_lookup+0x7c" in \
        " ".join(lines)
    assert shell.run("threads -p 5538")[1].split()[-1] == "csh"  # the short name stays
    # print's columns: the command lines are ?, said once, the other columns as they were
    shell.run(f"load struct proc from {proc:#x} max 3")
    lines = shell.run("print p_pid p_cmds p_comm")
    assert len(lines) == 5 and not _broken_lines(lines)
    assert lines[1].split() == ["5538", "?", '"csh"'] and lines[2].split()[1] == "?"
    said = f"cannot read 0x0.{NOWHERE + slot * PST_CLEN:#x}"
    assert lines[4].startswith(f"print: p_cmds is ? in 3 of 3 rows: {said}")
    tall = shell.run("print -t p_pid p_cmds")
    assert tall[:2] == ["p_pid 5538", "p_cmds ?"] and tall[-1] == lines[4]
    (doc,) = [json.loads(x) for x in shell.run("print --json p_pid p_cmds")]
    assert doc["result"]["rows"][0] == {"p_pid": 5538, "p_cmds": None}
    assert doc["result"]["problems"]["p_cmds"].startswith(said)


def test_a_beta_semaphore_owner_that_is_no_thread_is_one_row(
        forged_dump: Callable[[str], Path], tmp_path: Path) -> None:
    copy = _copy(forged_dump, LOCKS, tmp_path)
    shell = Shell(Program.open(copy))
    before = shell.run("crashinfo semaphores")
    prog = Program.open(copy)
    shm = prog.symbol("shm_lock").address
    owner = prog.types.get("struct b_sema").field("b_owner")
    poke(copy, _physical(prog, shm + owner.offset), NOWHERE.to_bytes(owner.size, "big"))
    after = Shell(Program.open(copy)).run("crashinfo semaphores")
    assert len(after) == len(before) and not _broken_lines(after)
    changed = [(b, a) for b, a in zip(before, after, strict=True) if a != b]
    assert changed, "the fixture's shm_lock has waiters"
    for b, a in changed:  # each waiter of shm_lock: its tid, then why
        assert a == (f"{b.split()[0]:<7} waits on {shm:#x}: its owner {NOWHERE:#x} (b_owner of "
                     f"{shm:#x}) is not a thread")
    vmtotal = prog.symbol("vmtotal_lock").address
    assert any(f"{vmtotal:#x}" in x for x in after)  # the other semaphore's rows as they were


def test_an_unused_thread_table_slot_is_one_line(
        forged_dump: Callable[[str], Path], tmp_path: Path) -> None:
    copy = _copy(forged_dump, NFS_SWAP, tmp_path)
    prog = Program.open(copy)
    victim = thread_by_tid(prog, 26646)
    mine = threads_of(prog, victim.proc)
    every = len(threads(prog))
    stat = prog.types.get("struct kthread").field("kt_stat")
    poke(copy, _physical(prog, victim.address + stat.offset), bytes(stat.size))  # TSUNUSED
    shell = Shell(Program.open(copy))
    shell.run(f"load kthread_t from {victim.address:#x} max 2")
    lines = shell.run("trace pile")
    assert lines[0] == f"Kthread  : p kthread_t {victim.address:#x} is unused (kt_stat 0): " \
        "no thread"
    assert lines[1] == "" and "Can't unwind" not in " ".join(lines) and len(lines) > 4
    assert shell.run("threads")[-1] == f"{every - 1} threads"  # no longer a thread
    assert len(mine) == 1 and shell.run("trace -W pid 5538")[-1] == "(no threads)"


def test_a_sleep_queue_that_loops_or_lacks_a_sleeper_is_one_line(
        forged_dump: Callable[[str], Path], tmp_path: Path) -> None:
    """threads -w checks the queue wakeup() walks: a loop is one line after the rows, and a
    sleeper the queue does not hold (no wakeup reaches it) is named."""
    copy = _copy(forged_dump, NFS_SWAP, tmp_path)
    prog = Program.open(copy)
    selwait = prog.symbol("selwait").address
    queue = sleep_queue(prog, selwait)
    rows = Shell(prog).run("threads -w selwait")
    assert rows[-1] == f"{len(queue)} threads" and len(queue) > 3  # all queued: nothing said
    link = prog.types.get("struct kthread").field("kt_link")
    # The third sleeper's link back to the first: the queue loops.
    poke(copy, _physical(prog, queue[2] + link.offset), queue[0].to_bytes(link.size, "big"))
    lines = Shell(Program.open(copy)).run("threads -w selwait")
    assert lines[:-1] == rows and lines[-1] == (
        f"Can't check the sleepers of {selwait:#x}: sleep queue {sleepq_index(selwait)} loops at "
        f"kthread {queue[0]:#x}")
    # The link cut after the second: the rest sleep where no wakeup reaches them.
    poke(copy, _physical(prog, queue[2] + link.offset), bytes(link.size))
    poke(copy, _physical(prog, queue[1] + link.offset), bytes(link.size))
    lines = Shell(Program.open(copy)).run("threads -w selwait")
    lost = [thread_at(prog, a).tid for a in queue[2:]]
    shown = " ".join(map(str, lost[:5])) + (" ..." if len(lost) > 5 else "")
    assert lines[:-1] == rows and lines[-1] == (
        f"Not on sleep queue {sleepq_index(selwait)} of {selwait:#x} (no wakeup reaches them): "
        f"{len(lost)} threads, tids {shown}")


def test_a_thread_list_that_loops_is_one_line_after_the_threads_before_it(
        forged_dump: Callable[[str], Path], tmp_path: Path) -> None:
    copy = _copy(forged_dump, LOCKS, tmp_path)
    prog = Program.open(copy)
    listed = threads(prog)
    link = prog.types.get("struct kthread").field("kt_global_kthread")
    # The sixth thread links back to the third.
    poke(copy, _physical(prog, listed[5].address + link.offset),
         listed[2].address.to_bytes(link.size, "big"))
    shell = Shell(Program.open(copy))
    said = f"kthread_list loops back to {listed[2].address:#x} after 6 threads"
    rows = shell.run("threads")
    assert [x.split()[1] for x in rows[1:-2]] == [str(t.tid) for t in listed[:6]]
    assert rows[-2:] == ["6 threads", f"threads: {said}"]
    lines = shell.run("stacks")
    assert lines[0].startswith("6 threads in ") and lines[-1] == f"stacks: {said}"
    info = shell.run("SystemInfo")
    at = info.index("Number of threads with TSDEACTSELF flag = 0")
    assert info[at + 1] == f"(these count the threads before the break: {said})"
    for name in ("threads", "semaphores"):  # crashinfo's sections made from the list
        lines = shell.run(f"crashinfo {name}")
        assert lines[-2:] == [f"crashinfo: {name}: {said}", ""] and not _broken_lines(lines)
    running = shell.run("crashinfo threads")
    assert any(x.startswith("Running Threads") for x in running)  # processors' rows still there
    for command, key in (("stacks --json", "stacks"), ("threads --json", "threads")):
        (doc,) = [json.loads(x) for x in shell.run(command)]
        assert doc["result"]["thread_list_problem"] == said and len(doc["result"][key]) >= 1
    (doc,) = [json.loads(x) for x in shell.run("crashinfo --json threads semaphores")]
    assert doc["result"]["thread_list_problem"] == said
    assert len(doc["result"]["sections"]["threads"]["listed"]) == 6
    (doc,) = [json.loads(x) for x in shell.run("crashinfo --json kmem")]
    assert "thread_list_problem" not in doc["result"]  # no section of threads asked for


def test_a_process_list_that_leaves_the_dump_is_one_line_after_the_processes_before_it(
        forged_dump: Callable[[str], Path], tmp_path: Path) -> None:
    copy = _copy(forged_dump, LOCKS, tmp_path)
    prog = Program.open(copy)
    listed = proc_list_addresses(prog)
    every = len(threads(prog))
    link = prog.types.get("struct proc").field("p_factp")
    poke(copy, _physical(prog, listed[7] + link.offset), NOWHERE.to_bytes(link.size, "big"))
    shell = Shell(Program.open(copy))
    rows = shell.run("ps")  # was one error line for the whole listing
    assert [int(x.split()[0], 16) for x in rows[1:-2]] == listed[:8]
    assert rows[-2] == "8 processes"
    assert rows[-1].startswith("ps: proc_list ends after 8 processes: cannot read "
                               "0x0.0x00000000'3f0000")  # NOWHERE + p_factp's offset
    (doc,) = [json.loads(x) for x in shell.run("ps --json")]
    assert len(doc["result"]["processes"]) == 8
    assert "ps: " + doc["result"]["proc_list_problem"] == rows[-1]
    assert shell.run("threads")[-1] == f"{every} threads"  # the thread list is whole
