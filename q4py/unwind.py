"""Stack unwinding on PA-RISC: from a crash event's saved registers, a save_state, or a
thread's switch context (its PCB) to frames and trap boxes; one walk for all three.

The stack grows up. For a frame at `sp` running `pc`, the unwind descriptor of `pc`'s function
gives its frame size; the caller's frame is at `sp - size` and, when the function saved RP, the
return address sits in the caller's frame marker at `caller_sp - 20` (narrow) or `- 16` (wide).
A function marked as an HP-UX interrupt handler (`thandler`, `ihandler`) holds the interrupted
context's `save_state` at `sp - size`; the walk goes on from the registers saved there. The
trap type is recorded with those registers (`TRAP_TYPE_FIELD`): the handler's own argument slots
are not reliable for it, since the routine it calls may store its own arguments there
(`mp_ext_interrupt(ssp)` does).
"""

from __future__ import annotations

import struct
from dataclasses import dataclass, field
from functools import cache
from typing import NamedTuple

from q4py.addr import format_q4_address
from q4py.errors import Q4Error
from q4py.kernel.events import CrashEvent, last_event_of, pim_member, rpb_registers
from q4py.kernel.mpinfo import current_threads
from q4py.kernel.threads import Thread
from q4py.layouts.base import TypeRegistry
from q4py.layouts.save_state import SS_WIDEREGS, TRAP_TYPE_FIELD
from q4py.layouts.sched import TSRUNPROC
from q4py.program import Program

MAX_FRAMES = 512


class Frame(NamedTuple):
    """A named tuple: sixty thousand threads' stacks make them by the hundred thousand."""

    sp: int
    pc: int
    name: str | None  # `panic+0x14`, None when no kernel symbol holds pc


@dataclass(frozen=True)
class Trap:
    """A trap or interrupt taken by the context below it on the stack."""

    trap_type: int
    user_mode: bool
    pcsq: int
    pcoq: int  # as saved, privilege bits included
    name: str | None
    save_state: int
    space: int  # space of the stack the save_state is on


@dataclass
class Segment:
    """Frames that ran on one stack between traps; `trap` is the trap that led into them."""

    space_register: int
    space: int
    frames: list[Frame] = field(default_factory=list)
    trap: Trap | None = None  # printed after the frames: the trap the last frame handled


@dataclass
class EventTrace:
    event: CrashEvent
    pc_source: str
    pc: int
    failed_sources: list[tuple[str, int]]
    user_mode: bool
    segments: list[Segment]
    problem: str | None = None  # why the walk stopped early, if it did


def arg_slot(sp: int, index: int, wide: bool) -> int:
    """Where argument `index` of a call made from the frame at `sp` is stored."""
    return sp - 24 - 8 * index if wide else sp - 36 - 4 * index


def rp_slot(caller_sp: int, wide: bool) -> int:
    return caller_sp - (16 if wide else 20)


def space_register(prog: Program, sp: int) -> int:
    """Which space register (4..7) the top two bits of a short pointer select."""
    return 4 + ((sp >> (62 if prog.wide else 30)) & 3)


def unwind_event(prog: Program, event: CrashEvent) -> EventTrace:
    """The stack of `event`, unwound once per Program and kept in `prog.event_traces`: the
    trace is shared by every caller, so treat it as read-only."""
    trace = prog.event_traces.get(event)
    if trace is None:
        trace = prog.event_traces[event] = _unwind_event(prog, event)
    return trace


def _unwind_event(prog: Program, event: CrashEvent) -> EventTrace:
    try:
        regs = rpb_registers(prog, event)
    except Q4Error as err:  # a garbled cet_savestate pointer: say so instead of failing
        return EventTrace(event, "", 0, [], False, [], f"cannot read the rpb: {err}")
    failed: list[tuple[str, int]] = []
    source, pc = "", 0
    pim = pim_member(prog, event)
    half = "_hi" if pim == "wide" else ""  # the wide PIM's halves: the pc is in the high one
    for reg in ("pcoq_head", "rp", "gr31"):
        name = f"pim.{pim}.rp_{reg}{half}"
        value = regs[reg]
        if value == 0:
            continue
        if reg == "pcoq_head" and value & 3 == 3:
            return EventTrace(event, name, value, failed, True, [])
        if prog.symbolize(value & ~3) is None:
            failed.append((name, value))
            continue
        source, pc = name, value & ~3
        break
    if not source:
        return EventTrace(event, "", 0, failed, False, [], "no usable pc in the rpb")
    trace = EventTrace(event, source, pc, failed, False, [])
    sp = regs["sp"]
    sr = space_register(prog, sp)
    rp: int | None = regs["rp"] if not source.endswith((".rp_rp_hi", ".rp_rp")) else None
    _walk(prog, trace, Segment(sr, regs[f"sr{sr}"]), sp, pc, rp)
    return trace


# Where a walk goes on after a trap: the interrupted context's segment, SP, pc and RP.
_Resume = tuple[Segment, int, int, int | None]


def _walk(prog: Program, trace: EventTrace | SavedStateTrace | ThreadTrace, segment: Segment,
          sp: int, pc: int, rp: int | None) -> None:
    """Walk segment after segment, one loop: a chain of hundreds of traps (a garbled or a
    hostile dump) must not grow Python's stack."""
    # `seen` spans every segment of the trace: a save_state that leads back to a frame already
    # walked (or an endless chain of traps) ends the walk; MAX_FRAMES caps the whole trace.
    seen: set[tuple[int, int, int]] = set()
    resume: _Resume | None = (segment, sp, pc, rp)
    while resume is not None:
        segment, sp, pc, rp = resume
        trace.segments.append(segment)
        resume = _walk_segment(prog, trace, segment, sp, pc, rp, seen)


def _walk_segment(prog: Program, trace: EventTrace | SavedStateTrace | ThreadTrace,
                  segment: Segment, sp: int, pc: int, rp: int | None,
                  seen: set[tuple[int, int, int]]) -> _Resume | None:
    """The frames of one stack segment; where to go on when it ends in a kernel-mode trap."""
    space, frames, wide = segment.space, segment.frames, prog.wide
    symbolize, unwind_for = prog.symbolize, prog.unwind_for
    name = symbolize(pc)
    while True:
        key = (space, sp, pc)
        if key in seen or len(seen) >= MAX_FRAMES:
            trace.problem = "stack walk loops" if key in seen else "too many frames"
            return None
        seen.add(key)
        frames.append(Frame(sp, pc, name))
        entry = unwind_for(pc)
        if entry is None:
            trace.problem = f"no unwind entry for {pc:#x}"
            return None
        try:
            if entry.interrupt_marker:
                return _enter_trap(prog, segment, sp, entry.frame_size_bytes)
            caller_sp = sp - entry.frame_size_bytes
            slot = None
            if entry.save_rp:
                slot = rp_slot(caller_sp, wide)
                caller_pc = prog.read_ulong(slot, space)
            elif rp is not None:
                caller_pc = rp
            else:
                trace.problem = f"{frames[-1].name} saved no return pointer"
                return None
        except Q4Error as err:
            trace.problem = str(err)
            return None
        rp = None
        caller_pc &= ~3
        if caller_pc == 0:
            return None  # the bottom of the stack
        name = symbolize(caller_pc)  # the caller's frame's name, if it is in the kernel
        if name is None:
            where = "in RP" if slot is None else \
                f"at {format_q4_address(space, slot, wide)}"
            trace.problem = f"return pointer {caller_pc:#x} {where} is not in the kernel"
            return None
        sp, pc = caller_sp, caller_pc


def _enter_trap(prog: Program, segment: Segment, sp: int, frame_size: int) -> _Resume | None:
    """Record the trap whose save_state sits below the handler frame at `sp`; the interrupted
    context to walk next, or None when it ran in user mode."""
    ss_address = sp - frame_size
    space = segment.space
    ss = prog.read_struct("save_state", ss_address, space)
    regs = ss.ss_wide if ss.ss_flags & SS_WIDEREGS else ss.ss_narrow
    pcoq = regs.ss_pcoq_head
    user = pcoq & 3 == 3
    trap_type = ss[TRAP_TYPE_FIELD]  # recorded with the registers (the "trap marker")
    segment.trap = Trap(trap_type, user, regs.ss_pcsq_head, pcoq,
                        None if user else prog.symbolize(pcoq & ~3), ss_address, space)
    if user:
        return None
    new_sp = regs.ss_sp
    sr = space_register(prog, new_sp)
    return Segment(sr, regs[f"ss_sr{sr}"]), new_sp, pcoq & ~3, regs.ss_rp


@dataclass
class SavedStateTrace:
    """A walk that starts from a `struct save_state` (`trace pile` on a save_state pile)."""

    address: int
    space: int
    user_mode: bool
    pcsq: int
    pcoq: int  # as saved, privilege bits included
    segments: list[Segment] = field(default_factory=list)
    problem: str | None = None


def unwind_save_state(prog: Program, address: int, space: int = 0) -> SavedStateTrace:
    """Frames from the context saved at `space.address`, through any traps below it."""
    ss = prog.read_struct("save_state", address, space)
    regs = ss.ss_wide if ss.ss_flags & SS_WIDEREGS else ss.ss_narrow
    pcoq = regs.ss_pcoq_head
    trace = SavedStateTrace(address, space, pcoq & 3 == 3, regs.ss_pcsq_head, pcoq)
    if trace.user_mode:
        return trace
    sp = regs.ss_sp
    sr = space_register(prog, sp)
    _walk(prog, trace, Segment(sr, regs[f"ss_sr{sr}"]), sp, pcoq & ~3, regs.ss_rp)
    return trace


@dataclass
class ThreadTrace:
    """A thread's kernel stack. A running thread's is its processor's crash event (`event`);
    any other's starts from the context it saved in its PCB (the head of its u-area) when it
    switched out, on its kernel stack in its u-area's space."""

    thread: Thread
    event: EventTrace | None = None
    pcb_pc: int = 0  # where the switched-out thread resumes
    segments: list[Segment] = field(default_factory=list)
    problem: str | None = None

    @property
    def user_mode(self) -> bool:
        """Stopped in user mode: the running thread's event, or a trap from user mode."""
        if self.event is not None:
            return self.event.user_mode
        return bool(self.segments) and self.segments[-1].trap is not None and \
            self.segments[-1].trap.user_mode


def running(prog: Program, thread: Thread) -> bool:
    """A thread runs: TSRUNPROC, or its processor's current thread. 11i keeps a running thread
    in TSRUN (a public 11.11 p4 trace shows kt_stat="TSRUN" and `Running on SPU #5`)."""
    if thread.stat == TSRUNPROC:
        return True
    try:
        return current_threads(prog).get(thread.address) == thread.spu
    except Q4Error:  # an unreadable mpinfo: the thread's own state decides
        return False


def unwind_thread(prog: Program, thread: Thread) -> ThreadTrace:
    """The kernel stack of `thread`; a problem (unreadable PCB, no saved context, a walk that
    stops early) is kept in `problem`, never raised."""
    trace = ThreadTrace(thread)
    if running(prog, thread):
        try:
            event = last_event_of(prog, thread.spu)
        except Q4Error as err:
            event, trace.problem = None, f"cannot read the crash events: {err}"
        if event is not None:
            trace.event = unwind_event(prog, event)
            trace.segments = trace.event.segments
            trace.problem = trace.event.problem
            return trace
        trace.problem = trace.problem or \
            f"running on processor {thread.spu}, which recorded no crash event"
        return trace
    space, uarea = thread.uarea_space, thread.uarea
    try:
        sp, pc, rp = _pcb_words(prog, uarea, space)
    except Q4Error as err:
        trace.problem = f"cannot read its PCB: {err}"
        return trace
    if not sp or not pc:
        trace.problem = "no context saved in its PCB"
        return trace
    trace.pcb_pc = pc
    _walk(prog, trace, Segment(space_register(prog, sp), space), sp, pc & ~3, rp or None)
    return trace


def _pcb_words(prog: Program, uarea: int, space: int) -> tuple[int, int, int]:
    """pcb_sp, pcb_pc and pcb_rp of the PCB at `space.uarea`, read as one run of words."""
    first = _pcb_sp_offset(prog.types)
    size = prog.pointer_size
    raw = prog.read(uarea + first, 3 * size, space)
    sp, pc, rp = struct.unpack(">3Q" if prog.wide else ">3I", raw)
    return sp, pc, rp


@cache
def _pcb_sp_offset(types: TypeRegistry) -> int:
    return types.get("struct pcb").field("pcb_sp").offset  # asked for each of 60 000 threads
