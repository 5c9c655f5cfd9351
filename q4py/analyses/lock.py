"""The spinlock of a "Spinlock deadlock" panic as data: the lock, its name, the processor that
held it and that processor's crash event.

The kernel keeps the lock whose wait timed out in `spinlock_timeout_lock` before it panics
(reconstruction); a NULL or missing global means no spinlock panic, and no Lock structure
section. `sl_owner` points at the holding processor's mpinfo; its stack is that processor's
last crash event (the TOC the panicking processor sent it). 11.00 kernels have another lock_t
(`struct lock_1100`, the name pointer a bit-field): the layout is chosen by release.
"""

from __future__ import annotations

from dataclasses import dataclass

from q4py.errors import ReadError
from q4py.kernel.events import crash_events
from q4py.kernel.mpinfo import processor_of
from q4py.kernel.release import by_release, kernel_release
from q4py.layouts.base import Layout
from q4py.program import Program
from q4py.unwind import EventTrace, unwind_event


@dataclass
class DeadlockedLock:
    address: int
    name: str | None
    holder_cpu: int | None
    holder: EventTrace | None  # the holder's last crash event, unwound


# lock_t by release: 11.00's packs the name pointer in a bit-field, 11i's has a plain pointer.
_LOCK_TYPES = {(11, 0): "struct lock_1100", (11, 11): "lock_t"}


def lock_layout(prog: Program) -> Layout:
    """The lock_t of the dump's release (the 11i one when the release cannot be read)."""
    release = kernel_release(prog)
    return prog.types.get(by_release(_LOCK_TYPES, release) if release else "lock_t")


def deadlocked_lock(prog: Program) -> DeadlockedLock | None:
    address = prog.global_or("spinlock_timeout_lock", 0)
    if not address:
        return None
    lock = prog.read_struct(lock_layout(prog), address)
    try:
        name = prog.read_string(lock.sl_name_ptr, limit=256) if lock.sl_name_ptr else None
    except ReadError:
        name = None
    cpu = processor_of(prog, lock.sl_owner)
    holder = None
    if cpu is not None:
        events = [e for e in crash_events(prog) if e.cpu == cpu]
        if events:
            holder = unwind_event(prog, events[-1])
    return DeadlockedLock(address, name, cpu, holder)
