"""Crash Events: the panic string, the trap information with the interrupted instruction and
the page table on its address, and the EVENT blocks with their stacks, TRAP boxes and (`with
all args`) stored arguments.

crashinfo's layout changed between releases: its 11.11 builds print the trap information without
blank lines and the page directory rows in wider columns. That is data here (`RELEASE_STYLES`,
chosen by the kernel's utsname release), never a per-report branch.
"""

from __future__ import annotations

from dataclasses import dataclass

from q4py.analyses.events import CrashEventsReport, TrapInfo, analyze_events
from q4py.kernel.pdir import VaLookup
from q4py.kernel.release import by_release
from q4py.program import Program
from q4py.render import section
from q4py.render.lock import lock_lines
from q4py.render.stack import render_event
from q4py.render.text import banner, underline
from q4py.render.vainfo import PDIR_STYLES, va_lines


@dataclass(frozen=True)
class ReleaseStyle:
    """How one release's crashinfo spaces the Crash Events section."""

    blank_before_note: bool  # an empty line between the banner's blank line and `Note:`
    blank_after_note: bool
    spaced_trap_information: bool  # a blank line after each group of Trap information
    va_gap: int  # blank lines after `Virtual address information:`


RELEASE_STYLES: dict[tuple[int, int], ReleaseStyle] = {
    (11, 0): ReleaseStyle(False, True, True, 1),
    (11, 11): ReleaseStyle(True, False, False, 2),
}


def release_style(release: tuple[int, int] | None) -> ReleaseStyle:
    """The style of the newest release not newer than `release` (11.00's when unknown)."""
    return by_release(RELEASE_STYLES, release)


def render_trap_information(info: TrapInfo, style: ReleaseStyle) -> list[str]:
    """From `Getting trap information ...` to the interrupted instruction and its blank."""
    gap = [""] if style.spaced_trap_information else []
    at = f" = {info.location}" if info.location else ""
    where = info.location or f"{info.pcsq:#x}.{info.pcoq:#x}"
    return (
        [f"Getting trap information from trap marker at {info.space:#x}.{info.address:#x}"]
        + gap + underline("Trap information") + [""]
        + [f"Type {info.trap.number}: {info.trap.name}"] + gap
        + ["Interruption Instruction Register:", f"\tIIR = 0x{info.iir:08x}"] + gap
        + ["Interruption Space and Offset Registers:", f"\tISR.IOR = {info.isr:#x}.{info.ior:#x}"]
        + gap
        + ["Interruption Instruction Address Queue:",
           f"\tPCSQ.PCOQ = {info.pcsq:#x}.{info.pcoq:#x}{at}"] + gap
        + [f"Interrupt Instruction at {where}:", f"\t{info.instruction}", ""]
    )


def render_va(va: VaLookup, style: ReleaseStyle, release: tuple[int, int] | None) -> list[str]:
    """`Virtual address information:` for the trap's address; two blank lines after."""
    return (["Virtual address information:"] + [""] * style.va_gap
            + va_lines(va, by_release(PDIR_STYLES, release)) + ["", ""])


def render_main_event(report: CrashEventsReport, wide: bool) -> list[str]:
    """`Stack Trace for Crash event N`, then the same `with all args`."""
    if report.main is None:
        return []
    main = report.traces[report.main]
    index = main.event.index
    return (underline(f"Stack Trace for Crash event {index}") + [""]
            + render_event(main, wide) + [""]
            + underline(f"Stack Trace for Crash event {index} with all args") + [""]
            + render_event(main, wide, report.main_args) + [""])


@section("events", "Crash Events", 20)
def crash_events_section(prog: Program) -> list[str]:
    report = analyze_events(prog)
    style = release_style(report.release)
    lines = banner("Crash Events") + [""]
    main = report.traces[report.main] if report.main is not None else None
    if main is not None:
        lines += [""] if style.blank_before_note else []
        lines += [f"Note: Crash event {main.event.index} was a {main.event.kind} !"]
        lines += [""] if style.blank_after_note else []
    if report.panic_string is not None:
        lines += [f"Panic string : {report.panic_string}", ""]
    if report.trap is not None:
        lines += render_trap_information(report.trap, style)
        if report.trap.va is not None:
            lines += render_va(report.trap.va, style, report.release)
    # A spinlock deadlock shows the lock and its holder's stack instead of the main event's.
    lock = lock_lines(prog)
    lines += lock or render_main_event(report, prog.wide)
    others = [t for i, t in enumerate(report.traces) if lock or i != report.main]
    if others:
        lines += ["Stack Traces for all other Crash events ", "=" * 39, ""]
        for trace in others:
            lines += render_event(trace, prog.wide) + ["", ""]
    return lines
