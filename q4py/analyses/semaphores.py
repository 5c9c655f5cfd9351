"""Beta Semaphore Checks as data: the threads sleeping on a beta semaphore, with its owner.

A sleeping thread waits on a beta semaphore when its wait channel is one: a `struct b_sema`
whose `b_magic` is B_SEMA_MAGIC (a reconstruction, docs/layouts.md). Each row: the waiter, the
owner's thread id (-1 when `b_owner` is NULL; a b_owner that is no thread makes the row one
line saying so), ticks since the waiter ran, its scheduler CPU figure (kt_cpu: 0 for every
waiter of both reports, whose kt_spu p4 and the thread tables show as 1 to 5), the priority
word its sleep recorded (kt_sleep_pri: kt_pri with BSEMA_SLEEP_PRI over it, 646 for a kt_pri
of 134), the semaphore's address and the waiter's sleep caller as `function+0xOFF`.
Semaphores come in the order their first waiter has in the thread list, each one's waiters
longest-waiting first (both reports: hpux1111-64-hang-vhand-superpages,
hpux1111-64-hang-lock-contention-p4).
"""

from __future__ import annotations

from dataclasses import dataclass

from q4py.errors import Q4Error
from q4py.kernel.threads import threads
from q4py.layouts.sched import B_SEMA_MAGIC, TSSLEEP
from q4py.layouts.vm import PAGE_SHIFT
from q4py.program import Program


@dataclass(frozen=True)
class SemaWaiter:
    tid: int
    owner_tid: int  # -1: none
    ticks: int
    cpu: int  # kt_cpu
    pri: int  # the sleep's priority word
    sema: int
    caller: str
    owner_problem: str | None = None  # b_owner is set but is no thread: the row says so


def beta_sema_waiters(prog: Program) -> list[SemaWaiter]:
    """Every thread asleep on a beta semaphore, semaphore by semaphore (the order above)."""
    lbolt = prog.read_global("lbolt")
    every = threads(prog)
    tids = {t.address: t.tid for t in every}
    owners: dict[int, tuple[int, str | None] | None] = {}  # wait channel -> _owner's answer
    groups: dict[int, list[SemaWaiter]] = {}
    for t in every:
        if t.stat != TSSLEEP or not t.wchan:
            continue
        if t.wchan not in owners:
            owners[t.wchan] = _owner(prog, t.wchan, tids)
        owner = owners[t.wchan]
        if owner is None:
            continue
        caller = prog.symbolize(t.sleep_caller) or f"{t.sleep_caller:#x}"
        groups.setdefault(t.wchan, []).append(
            SemaWaiter(t.tid, owner[0], lbolt - t.lastrun, t.cpu, t.sleep_pri, t.wchan, caller,
                       owner[1]))
    return [w for waiters in groups.values()
            for w in sorted(waiters, key=lambda w: -w.ticks)]


def _owner(prog: Program, wchan: int, tids: dict[int, int]) -> tuple[int, str | None] | None:
    """(owner tid, why b_owner is no thread) of the beta semaphore at `wchan`; (-1, None)
    when it has no owner; None when no beta semaphore is there."""
    if not prog.has_page(wchan >> PAGE_SHIFT):  # most channels: memory not dumped
        return None
    try:
        sema = prog.read_struct("struct b_sema", wchan)
    except Q4Error:
        return None
    if sema.b_magic != B_SEMA_MAGIC:
        return None
    if not sema.b_owner:
        return -1, None
    if sema.b_owner in tids:
        return tids[sema.b_owner], None
    return -1, f"its owner {sema.b_owner:#x} (b_owner of {wchan:#x}) is not a thread"
