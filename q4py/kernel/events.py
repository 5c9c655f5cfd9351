"""Crash events: the crash event table, each event's rpb, and the registers it saved."""

from __future__ import annotations

from dataclasses import dataclass

from q4py.layouts.crash import EVENT_KINDS
from q4py.layouts.save_state import REGISTERS
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


def rpb_registers(prog: Program, rpb: int) -> dict[str, int]:
    """The rpb's `pim.wide` registers by save_state name (`rp`, `sp`, `sr5`, ...), hi:lo joined."""
    wide = prog.read_struct("rpb_t", rpb).pim.wide
    return {r: (wide[f"rp_{r}_hi"] << 32) | wide[f"rp_{r}_lo"] for r in REGISTERS}


def last_event_of(prog: Program, cpu: int) -> CrashEvent | None:
    """The last crash event processor `cpu` recorded (its state when the dump was taken)."""
    mine = [e for e in crash_events(prog) if e.cpu == cpu]
    return mine[-1] if mine else None
