"""Crash Event / Processor Information: the event table with each event's EIEM, EIRR and IPSW,
the trap types met, the interrupt and real-mode warnings, and the SPL legend.

    evt cpu t type  dpth src cr15             cr23             cr22
    0   0   E PANIC 0    rpb c400000000000000 0800000000002a20 0800001f WRQPDI
              4          s_s fffffff0ffffffff N/A              0804000b WCQDI
                         mpi fffffff0ffffffff

Columns are left-justified: evt 3, cpu 3, state 1, type 5, spin depth 4, register source 3,
then the three registers in 16 hex digits (IPSW: its low word and its letters).
"""

from __future__ import annotations

from q4py.analyses.processors import (
    EventRow,
    PendingInterrupt,
    ProcessorReport,
    RealModeRow,
    processor_report,
)
from q4py.kernel.psw import psw_letters
from q4py.kernel.release import kernel_release
from q4py.kernel.spl import legend_value, spl_levels, spl_name
from q4py.kernel.traps import trap_type
from q4py.program import Program
from q4py.render import section
from q4py.render.styles import CrashinfoStyle
from q4py.render.text import banner

TITLE = "Crash Event / Processor Information"

_HEADER = [
    "        s",
    "        t",
    "        a       spin reg eiem/spl         eirr             ipsw            ",
    "evt cpu t type  dpth src cr15             cr23             cr22            ",
    "--- --- - ----- ---- --- ---------------- ---------------- ----------------",
]
# The short-SPL style's table (hpux1100-64-hang-soaccept-p4): EIEM's high word and its name.
_SHORT_HEADER = [
    "        s",
    "        t",
    "        a       spin reg eiem_hi           eirr             ipsw",
    "evt cpu t type  dpth src cr15_hi  spl      cr23             cr22",
    "--- --- - ----- ---- --- -------- -------- ---------------- ----------------",
]
_REAL_MODE_WARNING = [
    "WARNING: Processor(s) with PSW_Q bit off !",
    "A processor with the PSW_Q bit off is likely to be running in real mode,",
    "either executing in PDC code or in a low-level trap handler (eg. Data TLB",
    "miss handler). The table below gives either a PDC address, or the Interrupt",
    "Parameter Registers last collected (with the most likely trap type).",
]
_REAL_MODE_HEADER = [
    "cpu trap pcsq.pcoq                     iir        isr.ior                      ",
    "--- ---- ----------------------------- ---------- -----------------------------",
]


def ipsw_text(ipsw: int) -> str:
    """`0800001f WRQPDI`."""
    return f"{ipsw & 0xFFFFFFFF:08x} {psw_letters(ipsw)}"


class EiemText:
    """How the table shows an EIEM: 16 hex digits, or (short SPL names) the high word and
    the level's name."""

    def __init__(self, release: tuple[int, int] | None, short: bool) -> None:
        self.release, self.short = release, short

    def __call__(self, eiem: int) -> str:
        if not self.short:
            return f"{eiem:016x}"
        name = spl_name(eiem, self.release, short=True) or ""
        return f"{eiem >> 32:08x} {name:<8s}"


def event_rows(row: EventRow, eiem: EiemText) -> list[str]:
    lines = [f"{row.event:<3d} {row.cpu:<3d} {row.state} {row.kind:<5s} {row.spinlock_depth:<4d} "
             f"rpb {eiem(row.eiem)} {row.eirr:016x} {ipsw_text(row.ipsw)}"]
    for saved in row.traps:
        lines.append(f"{'':3s} {'':3s}   {saved.trap_type:<5d} {'':4s} s_s {eiem(saved.eiem)} "
                     f"{'N/A':16s} {ipsw_text(saved.ipsw)}")
    if row.mpi_spl is not None:
        lines.append(f"{'':21s}mpi {eiem(row.mpi_spl)}")
    return lines


def real_mode_row(row: RealModeRow) -> str:
    trap = "?" if row.trap_type is None else str(row.trap_type)
    return (f"{row.cpu:<3d} {trap:<4s} 0x{row.pcsq & 0xFFFFFFFF:08x}.0x{row.pcoq:016x} "
            f"0x{row.iir & 0xFFFFFFFF:08x} 0x{row.isr & 0xFFFFFFFF:08x}.0x{row.ior:016x}")


_PENDING_TITLE = "Outstanding external interrupts"
# Long names (hpux1111-64-hang-vhand-superpages) and short ones (hpux1100-64-hang-soaccept-p4).
_PENDING_HEADER = {
    False: ["    eirr", "cpu bit  SPL                Handler SPL        Handler",
            "--- ---- --------           -----------        -------"],
    True: ["    eirr", "cpu bit  SPL      Handler SPL Handler",
           "--- ---- -------- ----------- -------"],
}


def pending_lines(pending: list[PendingInterrupt], release: tuple[int, int] | None,
                  short: bool) -> list[str]:
    """The outstanding external interrupts table; nothing when no EIRR bit is set."""
    if not pending:
        return []

    def name(eiem: int | None) -> str:
        if eiem is None:
            return "?"
        return spl_name(eiem, release, short=short, interrupts=True) or f"{eiem:#x}"

    spl_width, handler_width = (8, 11) if short else (18, 18)
    rows = [f"{p.cpu:<3d} {p.bit:<4d} {name(p.eiem):<{spl_width}s} "
            f"{name(p.handler_eiem):<{handler_width}s} {p.handler or '?'}" for p in pending]
    return [_PENDING_TITLE, "=" * len(_PENDING_TITLE), "", *_PENDING_HEADER[short], *rows, ""]


def spl_legend(release: tuple[int, int] | None, short: bool = False) -> list[str]:
    """The release's SPL levels with the long names (`= SPL6 - Disable hardclock.`) or the
    short ones (`= SPLSYS   Disable system events ...`)."""
    levels = spl_levels(release)
    if short:
        rows = [f"0x{legend_value(level, True):016x} = {level.short:<8s} {level.short_meaning}"
                for level in levels]
    else:
        rows = [f"0x{level.value:016x} = {level.name} - {level.meaning}" for level in levels]
    return ["SPL/EIEM values:", "", *rows]


def render_processors(report: ProcessorReport, va_lines: dict[int, list[str]],
                      release: tuple[int, int] | None = None,
                      style: CrashinfoStyle | None = None) -> list[str]:
    """The section body; `va_lines` holds the Virtual address information of each real-mode
    processor (by cpu), rendered by the Crash Events section's renderer."""
    short = style is not None and style.short_spl
    eiem = EiemText(release, short)
    lines = [f"Number of processors = {report.processors}", "", "",
             *(_SHORT_HEADER if short else _HEADER)]
    for row in report.rows:
        lines += event_rows(row, eiem)
    lines.append("")
    if style is not None and style.pending_interrupts:
        lines += pending_lines(report.pending, release, short)
    if report.trap_types:
        lines.append("Trap Types :")
        lines += [f"Trap type {n} = {trap_type(n).label()}" for n in report.trap_types]
    lines += [f"Note:  PSW_I bit on processor {cpu} is off ! (Interrupts are disabled)"
              for cpu in report.interrupts_off]
    if report.trap_types or report.interrupts_off:
        lines.append("")
    if report.real_mode:
        lines += [*_REAL_MODE_WARNING, "", "", *_REAL_MODE_HEADER]
        for row in report.real_mode:
            lines.append(real_mode_row(row))
        for row in report.real_mode:
            lines += ["", "Virtual address information:", "", "", *va_lines.get(row.cpu, [])]
        lines += ["", ""]
    return lines + spl_legend(release, short) + ["", ""]


@section("processors", TITLE, 82, styled=True)
def processors_section(prog: Program, style: CrashinfoStyle) -> list[str]:
    report = processor_report(prog)
    va = {row.cpu: virtual_address_lines(prog, row.isr, row.ior) for row in report.real_mode}
    return [*banner(TITLE, tabs=2), "",
            *render_processors(report, va, kernel_release(prog), style)]


def virtual_address_lines(prog: Program, space: int, offset: int) -> list[str]:
    """The translation (or hashing details) of `space.offset`, as the Crash Events section
    prints it under Trap information."""
    from q4py.render.vainfo import va_information

    return va_information(prog, space, offset)
