"""Processor Clock Info as data: for each processor's first crash event, how far its interval
timer was from the next clock tick it expected, and whether clock interrupts were held off.

delta = (mpi timeinval - rpb interval timer) / itick_per_tick, in clock ticks, truncated toward
zero as C divides. A processor more than a second behind its next tick (delta <= -hz) had its
clock interrupts held off: crashinfo warns, naming the SPL its rpb saved. A PANIC event's delta
is normally positive (the processor ran dumpsys() after saving its state); crashinfo explains
that whenever it warns. A garbled hz of 0 or less leaves the seconds unknown: no split, no
warning (the renderer prints n/a).
"""

from __future__ import annotations

from dataclasses import dataclass

from q4py.errors import Q4Error
from q4py.kernel.events import crash_events
from q4py.kernel.mpinfo import processors, rpb_state
from q4py.kernel.psw import PSW_I
from q4py.program import Program


@dataclass(frozen=True)
class ClockRow:
    cpu: int
    kind: str
    timeinval: int
    interval_timer: int
    delta_ticks: int
    clock_overdue: int  # the processor's hardclock_late
    eiem: int
    eirr: int
    ipsw: int

    def bit(self, value: int, number: int) -> int:
        """Bit `number` of a 64-bit register, bit 0 the most significant (PA-RISC's order)."""
        return (value >> (63 - number)) & 1

    @property
    def interrupts_on(self) -> bool:
        return bool(self.ipsw & PSW_I)


@dataclass(frozen=True)
class ClockInfo:
    hz: int
    hardclock_late: int | None
    itick_per_tick: int
    lbolt: int
    rows: list[ClockRow]

    def split(self, ticks: int) -> tuple[int, int] | None:
        """(seconds, ticks) as C's / and % give them (both carry the sign); None when hz is not
        a clock rate (0 or less in a garbled dump)."""
        if self.hz <= 0:
            return None
        seconds = int(ticks / self.hz)
        return seconds, ticks - seconds * self.hz

    @property
    def held_off(self) -> list[ClockRow]:
        if self.hz <= 0:
            return []  # "more than a second behind" means nothing without a clock rate
        return [row for row in self.rows if row.delta_ticks <= -self.hz]


def clock_info(prog: Program) -> ClockInfo:
    itick = prog.read_global("itick_per_tick")
    cpus = processors(prog)
    rows: list[ClockRow] = []
    seen: set[int] = set()
    for event in crash_events(prog):
        if event.cpu in seen or event.cpu >= len(cpus):
            continue
        try:
            regs = rpb_state(prog, event)
        except Q4Error:
            continue  # a garbled rpb pointer: the Crash Events section says so
        seen.add(event.cpu)
        cpu = cpus[event.cpu]
        # The interval timer is an unsigned 64-bit counter: its difference is signed.
        diff = (cpu.timeinval - regs.interval_timer) & ((1 << 64) - 1)
        if diff >> 63:
            diff -= 1 << 64
        delta = int(diff / itick) if itick else 0
        rows.append(ClockRow(event.cpu, event.kind, cpu.timeinval, regs.interval_timer, delta,
                             cpu.hardclock_late, regs.eiem, regs.eirr, regs.ipsw))
    rows.sort(key=lambda r: r.cpu)
    return ClockInfo(hz=prog.read_global("hz"), hardclock_late=prog.global_or("hardclock_late",
                     None), itick_per_tick=itick, lbolt=prog.global_or("lbolt", 0), rows=rows)
