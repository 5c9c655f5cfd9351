"""`stacks`, `threads` and `ps` as text. No HP tool printed these: the layout is q4py's, in the
style of crashinfo's thread tables (left-justified columns, one blank between them).

`stacks`: `N threads in M stacks`, then per group a head row (how many threads, their state,
wait channel and command, the first few tids) and the stack under it, innermost first.
"""

from __future__ import annotations

from q4py.analyses.stacks import ProcessRow, SleepQueueCheck, StackGroup, ThreadRow

TIDS_SHOWN = 5
_STACK_INDENT = " " * 7


def _one_or_count(values: set[str], what: str) -> str:
    return next(iter(values)) if len(values) == 1 else f"({len(values)} {what})"


def render_stacks(groups: list[StackGroup]) -> list[str]:
    total = sum(g.count for g in groups)
    lines = [f"{total} threads in {len(groups)} stacks", "",
             f"{'COUNT':>5}  {'STATE':<10} {'WAIT CHANNEL':<32} {'COMMAND':<15} TIDS"]
    for group in groups:
        tids = sorted(group.tids)
        shown = " ".join(str(t) for t in tids[:TIDS_SHOWN])
        if len(tids) > TIDS_SHOWN:
            shown += " ..."
        wchan = _one_or_count(group.wchans, "channels")
        command = _one_or_count(group.commands, "commands")
        lines.append(f"{group.count:>5}  {group.state:<10} {wchan:<32} {command:<15} {shown}")
        lines += [f"{_STACK_INDENT}{frame}" for frame in group.frames]
        if group.problem:
            gone = "Can't unwind further" if group.frames else "Can't unwind"
            lines.append(f"{_STACK_INDENT}{gone}: {group.problem}")
        lines.append("")
    return lines


def render_threads(rows: list[ThreadRow], wide: bool) -> list[str]:
    width = 18 if wide else 10
    lines = [f"{'KTHREAD':<{width}} {'TID':>7} {'PID':>6} {'STATE':<10} {'PRI':>4} {'SPU':>3} "
             f"{'TICKS':>10}  {'WCHAN':<32} COMMAND"]
    lines += [f"{r.address:<#{width}x} {r.tid:>7} {r.pid:>6} {r.state:<10} {r.pri:>4} "
              f"{r.spu:>3} {r.ticks:>10}  {r.wchan:<32} {r.command}" for r in rows]
    return lines + [f"{len(rows)} threads"]


def render_sleep_queue_checks(checks: list[SleepQueueCheck]) -> list[str]:
    """One line per sleep queue that loops or lacks threads sleeping on its channel."""
    lines = []
    for check in checks:
        if check.problem:
            lines.append(f"Can't check the sleepers of {check.wchan:#x}: {check.problem}")
            continue
        tids = " ".join(str(tid) for tid in check.unqueued[:TIDS_SHOWN])
        more = " ..." if len(check.unqueued) > TIDS_SHOWN else ""
        lines.append(f"Not on sleep queue {check.queue} of {check.wchan:#x} (no wakeup reaches "
                     f"them): {len(check.unqueued)} threads, tids {tids}{more}")
    return lines


def render_ps(rows: list[ProcessRow], wide: bool) -> list[str]:
    width = 18 if wide else 10
    lines = [f"{'PROC':<{width}} {'PID':>6} {'PPID':>6} {'UID':>5} {'STAT':<8} {'THR':>4}  "
             "COMMAND"]
    lines += [f"{r.address:<#{width}x} {r.pid:>6} {r.ppid:>6} {r.uid:>5} {r.state:<8} "
              f"{r.threads:>4}  {r.command}" for r in rows]
    return lines + [f"{len(rows)} processes"]
