"""Thread Information as data: how recently threads ran, what the sleeping ones wait on and
where they called sleep, the scheduler's idle globals, the running threads per processor and
the threads waiting for a processor.

"Ticks since run" is `lbolt - kt_lastrun`. A thread ran in the last N seconds when that is less
than N * hz. Wait channels count the threads asleep or stopped on one (a stopped thread
keeps its channel: hpux1111-64-hang-vhand-superpages' three stopped java threads on
wait1(0x9537c040) make a row of 3); sleep callers every thread whose kt_sleep_caller is set,
whatever its state, as the kernel leaves it after a wakeup (hpux1100-64-hang-soaccept-p4:
vx_inactive_thread() counts 50 threads up to 462922 ticks, its wait channel 25 up to 40626, the
25 others being the vxfsd threads on the run queue, 422919 to 462922 ticks; streams_getmsg()'s
longest, 422266, is the running java thread's; the vhand report's 23 real_nanosleep() sleepers
are 11 asleep and 12 stopped). crashinfo lists those with at least two threads, all of them,
most first (ties: the longest-sleeping first; crashinfo 3.5: the one the thread list meets
first). statdaemon's thread is the thread of the process named `statdaemon`. The run queue is
sorted by processor, priority, then ticks since run, least first (soaccept's 51 rows).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import NamedTuple

from q4py.kernel.mpinfo import processors
from q4py.kernel.threads import Thread, WaitChannelNamer, function_name, threads
from q4py.layouts.sched import (
    KI_CALLS,
    KI_TRAP,
    SYSCALL_NAMES,
    SYSCALL_NUMBERS,
    TRAP_CALL_NAME,
    TSIDL,
    TSRUN,
    TSRUNPROC,
    TSSLEEP,
    TSSTOP,
    TSZOMB,
)
from q4py.program import Program

# The TSZOMB note counts the threads that died in exit() (the last thread of an exiting
# process): the vhand report's note says 1 of its nine zombies, df's; the others are detached
# LWPs that exited (lwp_detached_exit) and kernel daemons' threads.
EXIT_CALL = SYSCALL_NUMBERS["exit"]
RAN_WITHIN = (("second", 1), ("5 seconds", 5), ("10 seconds", 10), ("minute", 60),
              ("hour", 3600))
TOP_MIN_COUNT = 2
IDLE_GLOBALS = ("candidate_idle_spu", "migration_cycles")


@dataclass(frozen=True)
class TopRow:
    """A wait channel or sleep caller: how many threads, and their ticks since run."""

    name: str
    count: int
    longest: int
    shortest: int


class ThreadRow(NamedTuple):  # named tuples: a row per thread of sixty thousand, made fast
    tid: int
    pid: int
    ppid: int
    ticks: int  # since run
    pri: int
    noage: bool
    spu: int
    bound: bool
    group: int
    syscall: str  # `select`, `n/a`
    command: str


@dataclass(frozen=True)
class ProcessorRow:
    """A processor and the thread it runs (None: idle)."""

    spu: int
    thread: ThreadRow | None
    ticks_since_idle: int
    state: str
    on_ics: bool
    ticks_since_migrate: int
    ready: tuple[int, int, int]


class UsageRow(NamedTuple):
    """A row of the processor usage table: a thread's kt_cpu, recent ticks, the ticks charged
    to it in user mode, in the system and at interrupt level, and when it started."""

    pid: int
    tid: int
    pri: int
    noage: bool
    spu: int
    cpu: int
    recent: int
    user: int
    sys: int
    intr: int
    start: int
    command: str


class ListedThread(NamedTuple):
    """A row of `All Threads - sorted by ticks-since-run`."""

    thread: ThreadRow
    stat: str  # SLEEP, RUN ...
    wchan: str  # named as in Most Common Wait Channels; empty when it waits on nothing


# The STAT column (hpux1111-64-hang-vhand-superpages lists threads in every state but TSRUNPROC's
# as these words; its running vhand, TSRUNPROC on processor 6, is `RUN` like a TSRUN thread).
STAT_WORDS = {TSSLEEP: "SLEEP", TSRUN: "RUN", TSRUNPROC: "RUN", TSZOMB: "ZOMB", TSSTOP: "STOP",
              TSIDL: "IDL"}


@dataclass
class ThreadReport:
    hz: int
    ran_within: list[tuple[str, int]]
    statdaemon_ticks: int | None
    wait_channels: list[TopRow]
    sleep_callers: list[TopRow]
    idle_globals: list[tuple[str, int]]
    noage: int
    running: list[ProcessorRow]
    waiting: list[ThreadRow]
    zombies: int
    listed: list[ListedThread] = field(default_factory=list)  # every thread, least ticks first
    usage: list[UsageRow] = field(default_factory=list)  # every thread, most kt_cpu first

    @property
    def statdaemon_late(self) -> bool:
        return self.statdaemon_ticks is not None and self.statdaemon_ticks > self.hz


def top_rows(named: list[tuple[str, int]], ties_met_first: bool = False) -> list[TopRow]:
    """(name, ticks since run) pairs, in thread list order, grouped by name: those of at least
    two threads, most first; among equals the longest-waiting first, or (`ties_met_first`,
    crashinfo 3.5) the one met first in the thread list."""
    groups: dict[str, list[int]] = {}
    for name, ticks in named:
        groups.setdefault(name, []).append(ticks)
    rows = [TopRow(name, len(t), max(t), min(t)) for name, t in groups.items()]
    rows = [row for row in rows if row.count >= TOP_MIN_COUNT]
    if ties_met_first:
        rows.sort(key=lambda row: -row.count)  # stable: list order among equals
    else:
        rows.sort(key=lambda row: (-row.count, -row.longest))
    return rows


def syscall_name(number: int) -> str:
    if number == KI_TRAP:
        return TRAP_CALL_NAME
    if number == 0 or number in KI_CALLS:  # no system call, or a kernel daemon's KI number
        return "n/a"
    return SYSCALL_NAMES.get(number, f"syscall {number}")


def _row(thread: Thread, lbolt: int) -> ThreadRow:
    # A thread without a process (kt_procp NULL) prints pid and ppid 0, as crashinfo's read of
    # the missing proc gives (hpux1111-64-hang-vhand-superpages).
    return ThreadRow(thread.tid, max(thread.pid, 0), max(thread.ppid, 0),
                     lbolt - thread.lastrun, thread.pri,
                     thread.noage, thread.spu, thread.bound, thread.group,
                     syscall_name(thread.syscall), thread.command)


def usage_rows(every: list[Thread]) -> list[UsageRow]:
    """Every thread by kt_cpu, then system, then user ticks, then pid and tid, each the
    highest first (the order of every row of hpux1100-64-hang-runqueue's table)."""
    rows = [UsageRow(t.pid, t.tid, t.pri, t.noage, t.spu, t.cpu, t.recent, t.user_ticks,
                     t.sys_ticks, t.intr_ticks, t.start, t.command) for t in every]
    rows.sort(key=lambda r: (r.cpu, r.sys, r.user, r.pid, r.tid), reverse=True)
    return rows


def waits_on_memory(prog: Program) -> bool:
    """Threads sleep on `memory_sleepers` (they wait for free memory)."""
    if not prog.has_symbol("memory_sleepers"):
        return False
    address = prog.symbol("memory_sleepers").address
    return any(t.stat == TSSLEEP and t.wchan == address for t in threads(prog))


def thread_report(prog: Program, *, usage: bool = False,
                  ties_met_first: bool = False) -> ThreadReport:
    """The section's data; `usage`: with the processor usage table (the styles that print
    it). Wait channels count the threads asleep or stopped on one (a stopped thread keeps its
    channel), sleep callers every thread with one but a beta semaphore's waiters (a stopped or
    zombie thread, or one waiting to run, keeps the caller of its last sleep): the vhand
    report's counts are its All Threads table's so. `ties_met_first`: see top_rows."""
    hz = prog.read_global("hz")
    lbolt = prog.read_global("lbolt")
    every = threads(prog)
    since = {t.address: lbolt - t.lastrun for t in every}
    ran = [(label, sum(1 for t in every if since[t.address] < seconds * hz))
           for label, seconds in RAN_WITHIN]
    statdaemon = [since[t.address] for t in every if t.command == "statdaemon"]
    namer = WaitChannelNamer(prog)
    wchans = {t.address: namer.name(t) for t in every if t.wchan}
    channels = top_rows([(wchans[t.address], since[t.address]) for t in every
                         if t.wchan and t.stat in (TSSLEEP, TSSTOP)], ties_met_first)
    # A beta semaphore's waiter did not call sleep(): its caller is b_psema's (the Beta
    # Semaphore table's CALLER), which the vhand report's sleep callers leave out (no shmdt(),
    # shmget() or vmtotal() among them for its 54 waiters).
    callers = top_rows([(f"{name}()", since[t.address]) for t in every
                        if not t.sema
                        and (name := function_name(prog, t.sleep_caller)) is not None],
                       ties_met_first)
    idle_globals = [(name, prog.read_global(name)) for name in IDLE_GLOBALS
                    if prog.has_symbol(name)]
    running = []
    for cpu in processors(prog):
        if not cpu.enabled:  # a disabled processor runs nothing (the vhand report's 7..14)
            continue
        runner = next((t for t in every if t.stat == TSRUNPROC and t.spu == cpu.index), None)
        running.append(ProcessorRow(cpu.index, _row(runner, lbolt) if runner else None,
                                    lbolt - cpu.last_idle, cpu.state, cpu.on_ics,
                                    lbolt - cpu.last_migrate, cpu.ready))
    waiting = sorted((_row(t, lbolt) for t in every if t.stat == TSRUN),
                     key=lambda r: (r.spu, r.pri, r.ticks))
    return ThreadReport(
        hz=hz, ran_within=ran, statdaemon_ticks=min(statdaemon) if statdaemon else None,
        wait_channels=channels, sleep_callers=callers, idle_globals=idle_globals,
        noage=sum(1 for t in every if t.noage), running=running, waiting=waiting,
        zombies=sum(1 for t in every if t.stat == TSZOMB and t.syscall == EXIT_CALL),
        listed=[ListedThread(_row(t, lbolt), STAT_WORDS.get(t.stat, str(t.stat)),
                             wchans.get(t.address, ""))
                for t in sorted(every, key=lambda t: (since[t.address], t.address))],
        usage=usage_rows(every) if usage else [])
