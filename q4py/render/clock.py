"""Processor Clock Info: the clock globals, a row per processor with a crash event, and the
warning for a processor whose clock interrupts were held off.

    cpu type  timeinval          interval timer     secs:ticks od  0,4  0,4  I
    0   PANIC 0x12e51f5b8ea6c    0x12e51eed9f478         0:15  11  1 0  0 1  1

delta prints as `%6d:%-3d` seconds and ticks; eiem and eirr show their bits 0 and 4 (the
clock's and the first external interrupt's), PSW the I bit. With hz 0 (a garbled dump) the
delta cannot be split into seconds: it prints `n/a`.
"""

from __future__ import annotations

from q4py.analyses.clock import ClockInfo, ClockRow, clock_info
from q4py.kernel.release import kernel_release
from q4py.kernel.spl import spl_name
from q4py.program import Program
from q4py.render import section
from q4py.render.styles import CrashinfoStyle
from q4py.render.text import banner

# Timer columns as wide as the kernel's timers: 64-bit, or 32-bit on a narrow kernel (a public
# 32-bit 11.00 report).
_HEADERS = {
    True: ["    event mpi                rpb                delta      clk eiem eirr PSW",
           "cpu type  timeinval          interval timer     secs:ticks od  0,4  0,4  I",
           "--- ----- ------------------ ------------------ ---------- --- ---- ---- ---"],
    False: ["    event mpi        rpb            delta      clk eiem eirr PSW",
            "cpu type  timeinval  interval timer secs:ticks od  0,4  0,4  I",
            "--- ----- ---------- -------------- ---------- --- ---- ---- ---"],
}
_TIMER_WIDTHS = {True: (18, 18), False: (10, 14)}
# The 3.5 style's table (hpux1111-64-hang-vhand-superpages): no event type, delta in ticks.
_TICKS_HEADER = [
    "    mpi                interval                         clk eiem eirr PSW",
    "cpu timeinval          timer              delta (ticks) od  0,4  0,4  I",
    "--- ------------------ ------------------ ------------- --- ---- ---- ---",
]
_PANIC_NOTE = [
    "Note: For the PANIC crash event type it is normal to see a positive delta ticks.",
    "This is due to the processor executing dumpsys() code after creating it's",
    "crash event and rpb.",
]


def clock_row(info: ClockInfo, row: ClockRow, wide: bool = True, ticks: bool = False) -> str:
    mpi, rpb = _TIMER_WIDTHS[wide]
    if ticks:  # the 3.5 style: no event type, the delta in ticks
        head = (f"{row.cpu:<3d} {row.timeinval:<#{mpi}x} {row.interval_timer:<#{rpb}x} "
                f"{row.delta_ticks:<13d}")
    else:
        split = info.split(row.delta_ticks)
        delta = "       n/a" if split is None else f"{split[0]:>6d}:{split[1]:<3d}"
        head = (f"{row.cpu:<3d} {row.kind:<5s} {row.timeinval:<#{mpi}x} "
                f"{row.interval_timer:<#{rpb}x} {delta}")
    return (f"{head} {row.clock_overdue:<3d} "
            f"{row.bit(row.eiem, 0)} {row.bit(row.eiem, 4)}  "
            f"{row.bit(row.eirr, 0)} {row.bit(row.eirr, 4)}  {int(row.interrupts_on)} ")


def render_clock(info: ClockInfo, release: tuple[int, int] | None = None,
                 wide: bool = True, ticks: bool = False) -> list[str]:
    lines = []
    if info.hardclock_late is not None:
        lines.append(f"hardclock_late = {info.hardclock_late}")
    lines += [f"itick_per_tick = {info.itick_per_tick}",
              f"lbolt          = {info.lbolt} ({info.lbolt:#x})", "",
              *(_TICKS_HEADER if ticks else _HEADERS[wide])]
    lines += [clock_row(info, row, wide, ticks) for row in info.rows]
    lines.append("")
    held = info.held_off
    if held:
        if any(row.kind == "PANIC" for row in info.rows):
            lines += [*_PANIC_NOTE, "", ""]
        for row in held:
            name = spl_name(row.eiem, release)
            seconds, _ = info.split(row.delta_ticks) or (0, 0)  # held rows imply hz > 0
            lines += [f"WARNING: Processor {row.cpu} appears to have had clock interrupts held "
                      "off for ",
                      f"approx {-seconds} seconds. Current SPL = "
                      f"0x{row.eiem:016x}{f' ({name})' if name else ''}.", ""]
    if not held and not any(row.kind == "PANIC" for row in info.rows):
        return lines  # a TOC-only table: one blank line ends the section (the hang reports)
    return [*lines, ""]


@section("clock", "Processor Clock Info", 84, styled=True)
def clock_section(prog: Program, style: CrashinfoStyle) -> list[str]:
    return [*banner("Processor Clock Info"), "",
            *render_clock(clock_info(prog), kernel_release(prog), bool(prog.wide),
                          style.clock_ticks)]
