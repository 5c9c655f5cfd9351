"""Crash Event / Processor Information as data: each event's saved control registers, the traps
its stack went through, processors with interrupts off or in real mode.

Per event, the registers come from where crashinfo took them: the rpb (`rpb`), the save_state
of each trap the stack walk went through (`s_s`: its EIEM and IPSW; a save_state holds no EIRR),
and the processor's mpinfo (`mpi`: the SPL it last set), shown under the processor's last event
when it differs from the rpb's EIEM. A processor whose saved IPSW has the Q bit off was in real
mode: its interruption registers are the ones it last collected, and the most likely trap is a
data TLB miss when its IIR is a memory reference.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from q4py.errors import Q4Error
from q4py.kernel.events import crash_events
from q4py.kernel.mpinfo import RpbState, processors, rpb_state
from q4py.kernel.psw import PSW_I, PSW_Q
from q4py.layouts.crash import EVENT_STATES
from q4py.layouts.save_state import SS_WIDEREGS
from q4py.program import Program
from q4py.unwind import unwind_event

DATA_TLB_MISS = 15
# Major opcodes of memory reference instructions (loads, stores, probe/flush): research §5.8.
_MEMORY_OPCODES = frozenset({0x01, 0x03, 0x09, 0x0B, *range(0x10, 0x20)})


@dataclass(frozen=True)
class SavedRegisters:
    """A trap's save_state as the event table shows it."""

    trap_type: int
    eiem: int
    ipsw: int


@dataclass
class EventRow:
    event: int
    cpu: int
    state: str
    kind: str
    spinlock_depth: int
    eiem: int
    eirr: int
    ipsw: int
    traps: list[SavedRegisters] = field(default_factory=list)
    mpi_spl: int | None = None  # printed when the processor's mpinfo SPL differs


@dataclass(frozen=True)
class RealModeRow:
    cpu: int
    trap_type: int | None  # the most likely one
    pcsq: int
    pcoq: int
    iir: int
    isr: int
    ior: int


@dataclass(frozen=True)
class PendingInterrupt:
    """An EIRR bit set in a processor's saved state: an external interrupt not yet taken."""

    cpu: int
    bit: int  # PA-RISC numbering: bit 0 is the most significant
    eiem: int  # the processor's SPL then (its rpb's EIEM)
    handler_eiem: int | None  # the SPL the interrupt's handler runs at; None: no table entry
    handler: str | None


@dataclass
class ProcessorReport:
    processors: int
    rows: list[EventRow]
    trap_types: list[int]  # of the s_s rows, first seen first
    interrupts_off: list[int]  # processors whose saved IPSW has I off
    real_mode: list[RealModeRow]
    pending: list[PendingInterrupt] = field(default_factory=list)


def eirr_bits(eirr: int, width: int) -> list[int]:
    """The set bits of an EIRR, numbered as PA-RISC does (bit 0 the most significant)."""
    return [bit for bit in range(width) if eirr >> (width - 1 - bit) & 1]


def pending_interrupts(prog: Program, first_state: dict[int, RpbState]) -> list[PendingInterrupt]:
    """Per processor (its first event), each EIRR bit with the handler the kernel's interrupt
    table (`eirr_switch`) gives it."""
    width = 64 if prog.wide else 32
    table = None
    if prog.has_symbol("eirr_switch"):
        try:
            table = prog.read_records("struct eirr_switch", prog.symbol("eirr_switch").address,
                                      width)
        except Q4Error:
            table = None  # an unreadable table: the bits are still worth listing
    out = []
    for cpu, regs in sorted(first_state.items()):
        for bit in eirr_bits(regs.eirr, width):
            handler, spl = table[bit] if table is not None else (0, None)
            name = prog.symbolize(handler) if handler else None
            out.append(PendingInterrupt(cpu, bit, regs.eiem, spl if handler else None,
                                        name.split("+", 1)[0] if name else None))
    return out


def likely_trap(iir: int) -> int | None:
    """The trap a real-mode processor most likely took: a data TLB miss for a memory
    reference instruction, else unknown."""
    return DATA_TLB_MISS if (iir >> 26) & 0x3F in _MEMORY_OPCODES else None


def processor_report(prog: Program) -> ProcessorReport:
    cpus = processors(prog)
    events = crash_events(prog)
    rows: list[EventRow] = []
    first_state: dict[int, RpbState] = {}  # cpu -> rpb state of its first event
    last_row: dict[int, EventRow] = {}
    for event in events:
        try:
            regs = rpb_state(prog, event)
        except Q4Error:
            continue  # a garbled rpb pointer: the Crash Events section says so
        flags = prog.read_struct("crash_event_t", event.address).cet_flags
        row = EventRow(event.index, event.cpu, EVENT_STATES.get(flags, "?"), event.kind,
                       event.spinlock_depth, regs.eiem, regs.eirr, regs.ipsw)
        trace = unwind_event(prog, event)
        for segment in trace.segments:
            if segment.trap is not None:
                ss = prog.read_struct("save_state", segment.trap.save_state, segment.trap.space)
                saved = ss.ss_wide if ss.ss_flags & SS_WIDEREGS else ss.ss_narrow
                row.traps.append(SavedRegisters(segment.trap.trap_type, saved.ss_cr15,
                                                saved.ss_cr22))
        rows.append(row)
        first_state.setdefault(event.cpu, regs)
        last_row[event.cpu] = row
    for cpu, row in last_row.items():
        if cpu < len(cpus) and cpus[cpu].spl != row.eiem:
            row.mpi_spl = cpus[cpu].spl
    trap_types: list[int] = []
    for row in rows:
        for saved in row.traps:
            if saved.trap_type not in trap_types:
                trap_types.append(saved.trap_type)
    interrupts_off = [cpu for cpu, regs in sorted(first_state.items())
                      if not regs.ipsw & PSW_I]
    real_mode = [RealModeRow(cpu, likely_trap(regs.iir), regs.pcsq, regs.pcoq, regs.iir,
                             regs.isr, regs.ior)
                 for cpu, regs in sorted(first_state.items()) if not regs.ipsw & PSW_Q]
    return ProcessorReport(len(cpus), rows, trap_types, interrupts_off, real_mode,
                           pending_interrupts(prog, first_state))
