"""The Crash Events section as data: the panic string, the trap that led to the crash with the
instruction it interrupted and what the page table says about its address, and every event's
unwound stack, the main one also with the arguments its frames stored.

The trap information comes from the "trap marker" of the main event: the save_state of the first
trap its walk meets, i.e. the innermost trap, the one closest to the panic (an interrupt that
took a fault shows the fault, not the interrupt that the fault's handler ran on top of). Its
registers give the trap type, IIR, ISR.IOR and PCSQ.PCOQ; the instruction is read from kernel
text at the pc (the IIR when the pc cannot be read, e.g. a user-mode pc).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from q4py.disasm import disassemble
from q4py.errors import Q4Error
from q4py.kernel.args import FrameArgs, segment_frame_arguments
from q4py.kernel.events import crash_events
from q4py.kernel.mpinfo import processors, virtual_partition
from q4py.kernel.pdir import VaLookup, lookup_va
from q4py.kernel.release import kernel_release
from q4py.kernel.traps import TrapType, trap_type
from q4py.layouts.save_state import SS_WIDEREGS, TRAP_TYPE_FIELD
from q4py.program import Program
from q4py.unwind import EventTrace, Trap, unwind_event

FrameKey = tuple[int, int]  # (segment index, frame index) in an EventTrace


@dataclass(frozen=True)
class TrapInfo:
    """What crashinfo shows under `Trap information` for one trap marker (save_state)."""

    space: int  # where the save_state is
    address: int
    trap: TrapType
    iir: int
    isr: int
    ior: int
    pcsq: int
    pcoq: int  # privilege bits included
    location: str | None  # `scsi_dequeue+0x30`, None outside the kernel
    instruction: str  # disassembled, as crashinfo prints it
    va: VaLookup | None  # the page table on ISR.IOR, for traps that reference data


@dataclass
class CrashEventsReport:
    panic_string: str | None
    traces: list[EventTrace]
    main: int | None  # index into traces of the event crashinfo shows first
    trap: TrapInfo | None = None  # from the main event's trap marker
    main_args: dict[FrameKey, FrameArgs] = field(default_factory=dict)
    release: tuple[int, int] | None = None
    processors: list[int] = field(default_factory=list)  # every processor of mpproc_info
    disabled: list[int] = field(default_factory=list)  # the disabled ones among them
    # A TOC nobody in the kernel asked for: every event a TOC and no panic string (q4py's rule;
    # the reports show the note, not the test crashinfo made).
    user_initiated: bool = False
    vpars: bool = False  # the kernel ran in a vPars partition (q4py.kernel.mpinfo)


def panic_string(prog: Program) -> str | None:
    """The kernel's `panicstr`, or None when it is NULL (no panic) or absent."""
    pointer = prog.global_or("panicstr", 0)
    return prog.read_string(pointer) if pointer else None


def trap_marker(trace: EventTrace) -> Trap | None:
    """The innermost trap of a walk: the first one met from the event's own frames."""
    for segment in trace.segments:
        if segment.trap is not None:
            return segment.trap
    return None


def trap_info(prog: Program, trap: Trap) -> TrapInfo:
    """Read the trap marker (the save_state of `trap`) and disassemble what it interrupted."""
    ss = prog.read_struct("save_state", trap.save_state, trap.space)
    regs = ss.ss_wide if ss.ss_flags & SS_WIDEREGS else ss.ss_narrow
    kind = trap_type(ss[TRAP_TYPE_FIELD])
    pcsq, pcoq = regs.ss_pcsq_head, regs.ss_pcoq_head
    iir = regs.ss_cr19 & 0xFFFFFFFF
    pc = pcoq & ~3
    location = None if pcoq & 3 == 3 else prog.symbolize(pc)
    word = iir
    if location is not None:
        try:  # the instruction in kernel text; IIR holds a copy of it
            word = prog.read_u32(pc, pcsq)
        except Q4Error:
            word = iir
    isr, ior = regs.ss_cr20, regs.ss_cr21
    va = None
    if kind.data_address:
        try:
            va = lookup_va(prog, isr, ior)
        except Q4Error:
            va = None
    return TrapInfo(trap.space, trap.save_state, kind, iir, isr, ior, pcsq, pcoq, location,
                    disassemble(word, pc, prog.wide), va)


def trace_arguments(prog: Program, trace: EventTrace) -> dict[FrameKey, FrameArgs]:
    """The stored arguments of every frame of a walk that has some."""
    out: dict[FrameKey, FrameArgs] = {}
    for s, segment in enumerate(trace.segments):
        for f in range(len(segment.frames)):
            args = segment_frame_arguments(prog, segment, f)
            if args.values:
                out[(s, f)] = args
    return out


def analyze_events(prog: Program) -> CrashEventsReport:
    traces = [unwind_event(prog, event) for event in crash_events(prog)]
    main = 0 if traces else None
    report = CrashEventsReport(panic_string(prog), traces, main, release=kernel_release(prog))
    try:
        cpus = processors(prog)
        report.processors = [cpu.index for cpu in cpus]
        report.disabled = [cpu.index for cpu in cpus if not cpu.enabled]
        report.vpars = virtual_partition(prog)
    except Q4Error:
        report.processors = []  # no readable mpinfo: the processors with events only
    report.user_initiated = bool(traces) and report.panic_string is None and all(
        t.event.kind == "TOC" for t in traces)
    if main is not None:
        marker = trap_marker(traces[main])
        if marker is not None:
            try:
                report.trap = trap_info(prog, marker)
            except Q4Error:
                report.trap = None  # an unreadable save_state: the walk says so already
        report.main_args = trace_arguments(prog, traces[main])
    return report


def event_trace(prog: Program, number: int) -> EventTrace:
    events = crash_events(prog)
    if not 0 <= number < len(events):
        raise Q4Error(f"no crash event {number}: this dump has events 0 to {len(events) - 1}")
    return unwind_event(prog, events[number])
