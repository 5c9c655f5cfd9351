"""The Lock structure part of Crash Events: the spinlock of a "Spinlock deadlock" panic dumped
as p4 prints a lock_t, its name, and the lock holder's stack (plain and with all args).

The holder's title is underlined one character longer than itself, as crashinfo did.
"""

from __future__ import annotations

from q4py.analyses.events import trace_arguments
from q4py.analyses.lock import DeadlockedLock, deadlocked_lock, lock_layout
from q4py.program import Program
from q4py.render.stack import render_event
from q4py.render.structs import struct_lines


def holder_block(prog: Program, lock: DeadlockedLock, all_args: bool) -> list[str]:
    title = f"Stack trace of lock holder (cpu {lock.holder_cpu})"
    if all_args:
        title += " with all args"
    lines = [title, "-" * (len(title) + 1), ""]
    if lock.holder is None:
        return [*lines, "Can't unwind", ""]
    args = trace_arguments(prog, lock.holder) if all_args else None
    lines.append(f"Processor #{lock.holder_cpu}")
    lines += render_event(lock.holder, prog.wide, args)
    return [*lines, ""]


def lock_lines(prog: Program) -> list[str]:
    """The Lock structure block; empty when the panic was no spinlock deadlock."""
    lock = deadlocked_lock(prog)
    if lock is None:
        return []
    layout = lock_layout(prog)
    lines = ["Lock structure", "--------------", ""]
    lines += struct_lines(prog, layout, lock.address, type_name="lock_t",
                          annotate_strings=False)
    if lock.name is not None:
        lines.append(f"lock name : {lock.name}")
    lines += ["", ""]
    if lock.holder_cpu is not None:
        lines += holder_block(prog, lock, all_args=False)
        lines += holder_block(prog, lock, all_args=True)
    return lines
