"""Beta Semaphore Checks: the note, then `Threads waiting on Beta Semaphores` with the waiter,
the owner, ticks since run, the waiter's kt_cpu, priority, semaphore and caller
(hpux1111-64-hang-vhand-superpages, hpux1111-64-hang-lock-contention-p4). PRI is the priority
word the waiter's sleep recorded (646 where p4 shows kt_pri 134: q4py.layouts.sched
BSEMA_SLEEP_PRI). Left out when no thread waits on a beta semaphore. A thread list that loops
or breaks (an 11.00 table past the dump too) costs one line after the rows (the waiters are
those before the break)."""

from __future__ import annotations

from q4py.analyses.semaphores import SemaWaiter, beta_sema_waiters
from q4py.program import Program
from q4py.render import section
from q4py.render.text import banner, underline
from q4py.render.threads import with_list_problem

TITLE = "Beta Semaphore Checks"
HEADER = [
    "                TICKS",
    "WAITING OWNER   SINCE",
    "TID     TID     RUN        CPU PRI SEMA ADDRESS   CALLER",
    "------- ------- ---------- --- --- -------------- ----------",
]


def waiter_row(w: SemaWaiter) -> str:
    if w.owner_problem:  # q4py's line: HP's table has no form for a garbled owner
        return f"{w.tid:<7d} waits on {w.sema:#x}: {w.owner_problem}"
    return (f"{w.tid:<7d} {w.owner_tid:<7d} {w.ticks:<10d} {w.cpu:<3d} {w.pri:<3d} "
            f"{w.sema:<#14x} {w.caller}")


@section("semaphores", TITLE, 87)
def semaphores_section(prog: Program) -> list[str]:
    waiters = beta_sema_waiters(prog)
    if not waiters:
        return []
    return with_list_problem(prog, "semaphores", [
        *banner(TITLE), "", "", "Note: We have threads waiting on beta semaphores !", "",
        *underline("Threads waiting on Beta Semaphores"), "", *HEADER,
        *(waiter_row(w) for w in waiters), ""])
