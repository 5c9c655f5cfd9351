"""Thread Information: recent activity, statdaemon, the most common wait channels and sleep
callers, the idle globals, running threads per processor and the run queue.

Tables are left-justified columns separated by one blank; a priority is followed by `*` for a
SCHED_NOAGE thread, and when there is such a thread the PRI columns are four wide instead of
three (hpux1111-64-spinlock-process-lock against every other report, 11.00 and 11.11 alike). An
idle processor's row leaves the thread's columns blank (hpux1100-64-hang-soaccept-p4,
hpux1111-64-hang-vhand-superpages). The section is left out for a kernel without threads q4py
can read. A thread list that loops or breaks (or an 11.00 table past the dump) costs one line
after the rows (q4py's: `crashinfo: threads: kthread_list loops back to ADDR after N
threads`); the tables count the threads before the break.
"""

from __future__ import annotations

from q4py.analyses.threads import (
    ListedThread,
    ProcessorRow,
    ThreadReport,
    ThreadRow,
    TopRow,
    UsageRow,
    thread_report,
)
from q4py.kernel.threads import has_threads, thread_list_problem
from q4py.program import Program
from q4py.render import section
from q4py.render.styles import CrashinfoStyle
from q4py.render.text import banner, underline

_STATDAEMON_NOTE = [
    "Note:  statdaemon didn't run in the last second !",
    "The statdaemon should normally run every second.",
    "If it has not run in the past second it may be an indication that",
    "it is being starved by higher priority or looping process(es).",
]
_TOP_RULE = "------------                                       -----  ---------- ----------"


def running_header(pri: int) -> list[str]:
    pad = " " * (pri - 3)
    return [
        f"                    TICKS      TICKS                    {pad}I TICKS",
        f"                    SINCE      SINCE                    {pad}C SINCE      NREADY",
        f"TID     PID   PPID  RUN        IDLE       PRI {pad}SPU STATE S MIGR       FR LO AL "
        "COMMAND",
        f"------- ----- ----- ---------- ---------- {'-' * pri} --- ----- - ---------  -- -- -- "
        "-------",
    ]



_RUNNING_NOTE = [
    "Note: ",
    "FR: free to run on any processor (candidate for thread migration).",
    "LO: locked (via processor affinity/mpctl) to this processor).",
    "AL: Alpha semaphores misses (special scheduling when miss a sema).",
]
_WAITING_TITLE = "Threads waiting on cpu (TSRUN) - sorted by cpu/pri/ticks-since-run"


def waiting_header(pri: int) -> list[str]:
    return [f"TID     PID   PPID  TICKS      {'PRI':<{pri}s} SPU BND GRP SYSCALL        COMMAND",
            f"------- ----- ----- ---------- {'-' * pri} --- --- --- -------------- -------"]



def top_table(title: str, label: str, rows: list[TopRow]) -> list[str]:
    lines = [*underline(title), " " * 58 + "ticks since run:",
             f"{label:<50} count  longest    shortest", _TOP_RULE]
    lines += [f"{r.name:<50} {r.count:<5d}  {r.longest:<10d} {r.shortest:<10d}" for r in rows]
    return lines


def priority(row: ThreadRow) -> str:
    return f"{row.pri}{'*' if row.noage else ''}"


def running_row(row: ProcessorRow, pri: int) -> str:
    t = row.thread
    ready = " ".join(f"{n:<2d}" for n in row.ready)
    ics = "Y" if row.on_ics else "N"
    if t is None:
        return (f"{'':7} {'':5} {'':5} {'':10} {row.ticks_since_idle:<10d} {'':{pri}} "
                f"{row.spu:<3d} {row.state:<5s} {ics} {row.ticks_since_migrate:<10d} {ready} ")
    return (f"{t.tid:<7d} {t.pid:<5d} {t.ppid:<5d} {t.ticks:<10d} {row.ticks_since_idle:<10d} "
            f"{priority(t):<{pri}s} {row.spu:<3d} {row.state:<5s} {ics} "
            f"{row.ticks_since_migrate:<10d} {ready} {t.command} ")


def waiting_row(t: ThreadRow, pri: int) -> str:
    return (f"{t.tid:<7d} {t.pid:<5d} {t.ppid:<5d} {t.ticks:<10d} {priority(t):<{pri}s} "
            f"{t.spu:<3d} {'Y' if t.bound else 'N':<3s} {t.group:<3d} {t.syscall:<14.14s} "
            f"{t.command:<15s}")


_ALL_TITLE = "All Threads - sorted by ticks-since-run"


def all_threads_header(pri: int) -> list[str]:
    return [f"TID     PID   PPID  TICKS      {'PRI':<{pri}s} SPU STAT  SYSCALL        COMMAND"
            "        WCHAN",
            f"------- ----- ----- ---------- {'-' * pri} --- ----- -------------- "
            "-------------- -----"]


USAGE_HEADER = ("   pid     tid pri spu kt_cpu  recent      user       sys     intr    kt_start "
                "p_comm")


def usage_row(r: UsageRow) -> str:
    pri = f"{r.pri}{'*' if r.noage else ''}"
    return (f"{r.pid:6d} {r.tid:7d} {pri:>3s} {r.spu:3d} {r.cpu:5d} {r.recent:8d} {r.user:9d} "
            f"{r.sys:9d} {r.intr:8d}  0x{r.start:08x} {r.command}")


def listed_row(row: ListedThread, pri: int) -> str:
    t = row.thread
    return (f"{t.tid:<7d} {t.pid:<5d} {t.ppid:<5d} {t.ticks:<10d} {priority(t):<{pri}s} "
            f"{t.spu:<3d} {row.stat:<5s} {t.syscall:<14.14s} {t.command:<14s} {row.wchan}")


def render_threads(report: ThreadReport, style: CrashinfoStyle | None = None) -> list[str]:
    lines = [f"{count} Threads ran in the last {label}" for label, count in report.ran_within]
    lines.append("")
    if report.statdaemon_ticks is not None:
        lines += [f"statdaemon ran {report.statdaemon_ticks} ticks ago", ""]
        if report.statdaemon_late:
            lines += [*_STATDAEMON_NOTE, ""]
    lines.append("")
    lines += top_table("Most Common Wait Channels", "Wait Channel", report.wait_channels)
    lines += ["", ""]
    lines += top_table("Most Common Sleep Callers", "Sleep Caller", report.sleep_callers)
    lines += ["", ""]
    if report.idle_globals:
        lines += [*underline("Idle Globals"), ""]
        lines += [f"{name} = {value}" for name, value in report.idle_globals]
        lines.append("")
    # One blank line between the idle globals and Running Threads (runqueue, soaccept,
    # nfs-swap, vhand-superpages), three after the SCHED_NOAGE note (spinlock-process-lock).
    if report.noage:
        lines += [f"Note:  There are {report.noage} threads with schedpolicy = SCHED_NOAGE!",
                  'Look for "*" after the PRI in the thread listings.', "", "", ""]
    elif not report.idle_globals:
        lines += ["", ""]
    pri = 4 if report.noage else 3  # room for the `*` of SCHED_NOAGE
    lines += [*underline("Running Threads (TSRUNPROC) and idle Processors"), "", "",
              *running_header(pri)]
    lines += [running_row(row, pri) for row in report.running]
    lines += ["", *_RUNNING_NOTE, "", ""]
    if style is not None and style.usage_table:
        lines += [USAGE_HEADER, *(usage_row(row) for row in report.usage), ""]
        return [*lines, *_zombie_note(report.zombies)]
    lines += [*underline(_WAITING_TITLE), ""]
    listing = style is not None and style.all_threads
    if report.waiting or not listing:  # the listing's styles leave out an empty table
        lines += [*waiting_header(pri), *(waiting_row(row, pri) for row in report.waiting), ""]
    lines += _zombie_note(report.zombies)
    if not listing:
        return [*lines, ""]
    if report.zombies:
        lines += ["", ""]
    lines += [*underline(_ALL_TITLE), "", *all_threads_header(pri)]
    for row in report.listed:
        if row.stat == "RUN" and row is not report.listed[0]:
            lines += all_threads_header(pri)  # HP heads each running thread's row anew
        lines.append(listed_row(row, pri))
    return [*lines, ""]


def _zombie_note(zombies: int) -> list[str]:
    if zombies == 1:
        return ["Note:  There is 1 thread in TSZOMB stat !"]
    if zombies:
        return [f"Note:  There are {zombies} threads in TSZOMB stat !"]
    return []


@section("threads", "Thread Information", 88, styled=True)
def threads_section(prog: Program, style: CrashinfoStyle) -> list[str]:
    if not has_threads(prog):
        return []
    report = thread_report(prog, usage=style.usage_table, ties_met_first=style.ties_met_first)
    return with_list_problem(prog, "threads",
                             [*banner("Thread Information"), "", *render_threads(report, style)])


def with_list_problem(prog: Program, name: str, lines: list[str]) -> list[str]:
    """A section made from the threads of the 11i list, and (when the list loops or breaks)
    one line saying where, after the rows and before the section's closing blank line."""
    problem = thread_list_problem(prog)
    if not problem or not lines:
        return lines
    end = len(lines) - 1 if lines[-1] == "" else len(lines)
    return [*lines[:end], f"crashinfo: {name}: {problem}", *lines[end:]]
