"""Every thread's kernel stack, grouped (what mdb's `::stacks` gives its users), and the thread
and process listings, as data.

Threads are chosen by filters (a function on the stack, a wait channel, a state, a command),
unwound one by one (q4py.unwind.unwind_thread) and grouped by state and stack: the frames'
names, a trap between two stacks as `<trap N from USER mode>`, a walk that stopped early by its
reason with addresses left out (so threads whose stacks cannot be read for the same reason
group together). Groups come most common first.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field

from q4py.errors import Q4Error
from q4py.kernel.proclist import command_line
from q4py.kernel.procs import process_table
from q4py.kernel.threads import (
    Thread,
    WaitChannelNamer,
    sleep_queue,
    thread_records,
    threads,
)
from q4py.layouts.proc import P_STATES
from q4py.layouts.sched import THREAD_STATES, TSSLEEP, sleepq_index
from q4py.program import Program
from q4py.unwind import ThreadTrace, unwind_thread

_SCENARIO_STATES = {"zombie": "TSZOMB", "stopped": "TSSTOP", "running": "TSRUNPROC",
                    "idle": "TSIDL"}
_ADDRESSES = re.compile(r"0x[0-9a-fA-F'_]+(\.0x[0-9a-fA-F'_]+)?")


@dataclass(frozen=True)
class ThreadFilter:
    """Which threads a listing shows; empty fields choose all."""

    function: str = ""  # a function on its stack (`_sleep`, or a call site `_sleep+0x1a8`)
    wchan: str = ""  # its wait channel, by name (`selwait`) or address
    state: str = ""  # TSSLEEP, SLEEP or sleep; zombie, stopped, running, idle
    command: str = ""  # its process's command name
    pid: int = -1

    def state_code(self) -> int | None:
        if not self.state:
            return None
        # The scenario format's words for a state (zombie, stopped, ...) name it too.
        want = _SCENARIO_STATES.get(self.state.lower(), self.state.upper())
        want = want if want.startswith("TS") else f"TS{want}"
        for code, name in THREAD_STATES.items():
            if name == want:
                return code
        raise Q4Error(f"'{self.state}' is not a thread state "
                      f"({', '.join(THREAD_STATES.values())})")


@dataclass
class StackGroup:
    state: str
    frames: list[str]  # innermost first
    problem: str | None  # why the walk stopped (addresses left out), if it did
    tids: list[int] = field(default_factory=list)
    wchans: set[str] = field(default_factory=set)
    commands: set[str] = field(default_factory=set)

    @property
    def count(self) -> int:
        return len(self.tids)


@dataclass(frozen=True)
class ThreadRow:
    address: int
    tid: int
    pid: int
    state: str
    pri: int
    spu: int
    ticks: int  # since it last ran
    wchan: str
    command: str


@dataclass(frozen=True)
class ProcessRow:
    address: int
    pid: int
    ppid: int
    uid: int
    state: str
    threads: int
    command: str  # its command line (the name when it has none)


def chosen_threads(prog: Program, chosen: ThreadFilter,
                   namer: WaitChannelNamer | None = None) -> list[Thread]:
    """The threads the filter's state, wait channel, command and pid choose (not its
    function: that needs the stack)."""
    state = chosen.state_code()
    every = threads(prog)
    if state is not None:
        every = [t for t in every if t.stat == state]
    if chosen.pid >= 0:
        every = [t for t in every if t.pid == chosen.pid]
    if chosen.command:
        every = [t for t in every if t.command == chosen.command]
    if chosen.wchan:
        namer = namer or WaitChannelNamer(prog)
        try:
            number: int | None = int(chosen.wchan, 0)
        except ValueError:
            number = None
        every = [t for t in every if t.wchan and (
            t.wchan == number or wchan_name(namer, t) == chosen.wchan)]
    return every


@dataclass(frozen=True)
class SleepQueueCheck:
    """A wait channel's sleep queue against the threads sleeping on it: those it does not hold
    (no wakeup of the channel reaches them), or why it could not be walked."""

    wchan: int
    queue: int  # its index in sleepq
    unqueued: list[int]  # tids
    problem: str | None = None


def sleep_queue_checks(prog: Program, chosen: list[Thread]) -> list[SleepQueueCheck]:
    """For each channel the sleeping threads of `chosen` sleep on (kt_wchan: a beta
    semaphore's waiter has none, it waits on the semaphore's own list), the checks that found
    something; none when every such thread is on its channel's queue."""
    if not prog.has_symbol("sleepq"):
        return []
    at = prog.types.get("struct kthread").field("kt_wchan").offset
    sleepers: dict[int, list[Thread]] = {}
    for t in chosen:
        if t.stat == TSSLEEP and t.wchan and prog.read_ulong(t.address + at) == t.wchan:
            sleepers.setdefault(t.wchan, []).append(t)
    checks = []
    for wchan, waiting in sleepers.items():
        try:
            queued = set(sleep_queue(prog, wchan))
        except Q4Error as err:
            checks.append(SleepQueueCheck(wchan, sleepq_index(wchan), [], str(err)))
            continue
        unqueued = [t.tid for t in waiting if t.address not in queued]
        if unqueued:
            checks.append(SleepQueueCheck(wchan, sleepq_index(wchan), unqueued))
    return checks


def wchan_name(namer: WaitChannelNamer, thread: Thread) -> str:
    if not thread.wchan:
        return "-"
    try:
        return namer.name(thread)
    except Q4Error:
        return f"{thread.wchan:#x}"


def stack_frames(trace: ThreadTrace) -> list[str]:
    """The stack as names, innermost first, traps between two stacks as one line each."""
    out: list[str] = []
    for segment in trace.segments:
        out += [frame.name or f"{frame.pc:#x}" for frame in segment.frames]
        if segment.trap is not None:
            mode = "USER" if segment.trap.user_mode else "KERNEL"
            out.append(f"<trap {segment.trap.trap_type} from {mode} mode>")
    if trace.event is not None and trace.event.user_mode:
        out.append("<running in USER mode>")
    return out


def _on_stack(function: str) -> Callable[[list[str]], bool]:
    if "+" in function:
        return lambda frames: function in frames
    return lambda frames: any(f.split("+", 1)[0] == function for f in frames)


def stack_groups(prog: Program, chosen: ThreadFilter) -> list[StackGroup]:
    """The chosen threads grouped by state and stack, most threads first (then by first
    tid)."""
    namer = WaitChannelNamer(prog)
    keep = _on_stack(chosen.function) if chosen.function else None
    groups: dict[tuple, StackGroup] = {}
    for thread in chosen_threads(prog, chosen, namer):
        trace = unwind_thread(prog, thread)
        frames = stack_frames(trace)
        if keep is not None and not keep(frames):
            continue
        problem = _ADDRESSES.sub("ADDR", trace.problem) if trace.problem else None
        state = THREAD_STATES.get(thread.stat, str(thread.stat))
        key = (state, tuple(frames), problem)
        group = groups.get(key)
        if group is None:
            group = groups[key] = StackGroup(state, frames, problem)
        group.tids.append(thread.tid)
        group.wchans.add(wchan_name(namer, thread))
        group.commands.add(thread.command)
    return sorted(groups.values(), key=lambda g: (-g.count, min(g.tids)))


def thread_rows(prog: Program, chosen: ThreadFilter) -> list[ThreadRow]:
    namer = WaitChannelNamer(prog)
    lbolt = prog.global_or("lbolt", 0)
    return [ThreadRow(t.address, t.tid, t.pid, THREAD_STATES.get(t.stat, str(t.stat)), t.pri,
                      t.spu, lbolt - t.lastrun, wchan_name(namer, t), t.command)
            for t in chosen_threads(prog, chosen, namer)]


def process_rows(prog: Program) -> list[ProcessRow]:
    """Every process (11.00 table or 11i list) with its thread count and command line."""
    counts: dict[int, int] = {}
    procp_at = prog.types.get("struct kthread").field_index("kt_procp")
    for _, rec in thread_records(prog):
        counts[rec[procp_at]] = counts.get(rec[procp_at], 0) + 1
    table = process_table(prog)
    rows = []
    for i in range(len(table)):
        address = table.address(i)
        try:
            proc = prog.read_struct("struct proc", address)
            ppid, uid = proc.p_ppid, proc.p_uid
        except Q4Error:
            ppid, uid, line = -1, -1, "?"
        else:
            try:  # 11.00's pst_cmds lies apart from the proc: only the command line is lost
                line = command_line(prog, address) or table.command(i)
            except Q4Error as err:
                line = f"? (cannot read its command line: {err})"
        rows.append(ProcessRow(address, table.pid(i), ppid, uid,
                               P_STATES.get(table.stat(i), str(table.stat(i))),
                               counts.get(address, 0), line))
    return rows
