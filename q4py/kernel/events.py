"""Crash events: the crash event table, each event's rpb, and the registers it saved."""

from __future__ import annotations

from dataclasses import dataclass

from q4py.errors import Q4Error
from q4py.layouts.crash import EVENT_KINDS, NARROW_PIM_ARCHITECTURE
from q4py.layouts.save_state import REGISTERS
from q4py.layouts.system import CPU_TYPES
from q4py.program import Program


@dataclass(frozen=True)
class CrashEvent:
    """One entry of `crash_event_table`."""

    index: int
    address: int
    kind: str
    cpu: int
    hpa: int
    rpb: int
    spinlock_depth: int


def crash_events(prog: Program) -> list[CrashEvent]:
    """The events in table order; the table ends at its first empty entry or at its size."""
    table = prog.symbol("crash_event_table")
    layout = prog.types.get("crash_event_t")
    count = max(1, table.size // layout.size) if table.size else 8
    events = []
    for index in range(count):
        address = table.address + index * layout.size
        entry = prog.read_struct(layout, address)
        if entry.cet_hpa == 0 and entry.cet_event == 0:
            break
        events.append(CrashEvent(
            index=index,
            address=address,
            kind=EVENT_KINDS.get(entry.cet_event, f"EVENT{entry.cet_event}"),
            cpu=entry.cet_cpu,
            hpa=entry.cet_hpa,
            rpb=entry.cet_savestate,
            spinlock_depth=entry.cet_spinlock_depth,
        ))
    return events


def pim_member(prog: Program, event: CrashEvent) -> str:
    """`narrow` when the event's processor is a PA-RISC 1.1 one (its mpinfo's cpu type), whose
    firmware saved the 32-bit PIM; else `wide` (also when its mpinfo cannot be read)."""
    try:
        layout = prog.types.get("struct mpinfo")
        base = prog.read_global("mpproc_info")
        if event.cpu >= prog.read_global("nmpinfo"):
            return "wide"
        cputype = prog.read_value(layout.field("mpi_cputype").ctype,
                                  base + event.cpu * layout.size
                                  + layout.field("mpi_cputype").offset)
    except Q4Error:
        return "wide"
    kind = CPU_TYPES.get(cputype)
    return "narrow" if kind is not None and kind[1] == NARROW_PIM_ARCHITECTURE else "wide"


def rpb_registers(prog: Program, event: CrashEvent) -> dict[str, int]:
    """The registers of the event's rpb by save_state name (`rp`, `sp`, `sr5`, ...): from
    `pim.wide`, hi:lo joined, or from `pim.narrow` (`pim_member`). A narrow EIEM (cr15) is
    given in PA-RISC 2.0 numbering, as the high word: its bit 0 is external interrupt 0 on both."""
    pim = prog.read_struct("rpb_t", event.rpb).pim
    if pim_member(prog, event) == "narrow":
        regs = {r: pim.narrow[f"rp_{r}"] for r in REGISTERS}
        regs["cr15"] <<= 32
        return regs
    wide = pim.wide
    return {r: (wide[f"rp_{r}_hi"] << 32) | wide[f"rp_{r}_lo"] for r in REGISTERS}


def last_event_of(prog: Program, cpu: int) -> CrashEvent | None:
    """The last crash event processor `cpu` recorded (its state when the dump was taken)."""
    mine = [e for e in crash_events(prog) if e.cpu == cpu]
    return mine[-1] if mine else None
