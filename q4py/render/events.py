"""Crash Events: the panic string, the trap information with the interrupted instruction and
the page table on its address, and the EVENT blocks with their stacks, TRAP boxes and (`with
all args`) stored arguments; for a TOC, the main event and then every other processor's.

Which layout follows the situation in the dump: a PANIC main event gets `Panic string`, the
trap information, `Stack Trace for Crash event N` and its `with all args` twin, then `Stack
Traces for all other Crash events`; a TOC gets `Stack Trace for crash event N` and `Stack Traces
for other processors` with a `Processor #N` block each (every report agrees on that split).
Blank lines and notes follow the crashinfo style (`q4py.render.styles`), never the release.
"""

from __future__ import annotations

from q4py.analyses.events import CrashEventsReport, TrapInfo, analyze_events
from q4py.kernel.pdir import VaLookup
from q4py.kernel.release import by_release
from q4py.program import Program
from q4py.render import section
from q4py.render.lock import lock_lines
from q4py.render.stack import render_event
from q4py.render.styles import CrashinfoStyle
from q4py.render.text import banner, underline
from q4py.render.vainfo import PDIR_STYLES, va_lines

FIRST_PASS_WEB = '"http://wtec.cup.hp.com/~hpux/crash/FirstPassWeb/PA/contents.htm#TOC"'


def render_trap_information(info: TrapInfo, style: CrashinfoStyle) -> list[str]:
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


def render_va(va: VaLookup, style: CrashinfoStyle, release: tuple[int, int] | None) -> list[str]:
    """`Virtual address information:` for the trap's address; two blank lines after. (The
    page directory's columns are the release's: every report of a release agrees on them.)"""
    if style.va_gap is None:
        return []
    return (["Virtual address information:"] + [""] * style.va_gap
            + va_lines(va, by_release(PDIR_STYLES, release)) + ["", ""])


def crash_event_note(kind: str, index: int, style: CrashinfoStyle) -> list[str]:
    note = f"Note: Crash event {index} was a {kind} !"
    if style.event_note == "before":
        return ["", note]
    if style.event_note == "after":
        return [note, ""]
    return []


def disabled_notes(report: CrashEventsReport) -> list[str]:
    """The disabled processors, each note after a blank line and followed by one: how many
    (with the vPars sentence when the kernel ran in a partition, whose other processors are
    disabled here by design), then each by number (hpux1111-64-hang-vhand-superpages; the
    words for a system that is not a partition are q4py's: no report shows one)."""
    if not report.disabled:
        return []
    vpars = (["As this is a vpars system you should not get a crash event",
              "for the disabled cpus."] if report.vpars else [])
    lines = ["", f"Note: We have {len(report.disabled)} disabled cpus !", *vpars, ""]
    for cpu in report.disabled:
        lines += ["", f"Note: CPU {cpu} is disabled", ""]
    return lines


def user_toc_note(style: CrashinfoStyle) -> list[str]:
    if style.toc_note == "line":
        return ["This seems to be a user initiated TOC !", ""]
    if style.toc_note == "note":
        return ["", "", "Note: This seems to be a user initiated TOC !",
                "To get a better understanding why the system was brought down,",
                "please go to: ", FIRST_PASS_WEB, ""]
    return [""] if style.event_note == "before" else []


def render_panic(prog: Program, report: CrashEventsReport, style: CrashinfoStyle) -> list[str]:
    """A panic (or HPMC): panic string, trap information, the main stack twice, the others."""
    lines: list[str] = []
    if report.panic_string is not None:
        lines += [f"Panic string : {report.panic_string}"]
        lines += [""] if style.panic_string_blank else []
    if report.trap is not None:
        lines += render_trap_information(report.trap, style)
        if report.trap.va is not None:
            lines += render_va(report.trap.va, style, report.release)
    # A spinlock deadlock shows the lock and its holder's stack instead of the main event's.
    lock = lock_lines(prog)
    if lock:
        lines += lock
    elif report.main is not None:
        main = report.traces[report.main]
        index = main.event.index
        lines += (underline(f"Stack Trace for Crash event {index}") + [""]
                  + render_event(main, prog.wide, style=style) + [""]
                  + underline(f"Stack Trace for Crash event {index} with all args") + [""]
                  + render_event(main, prog.wide, report.main_args, style=style) + [""])
    others = [t for i, t in enumerate(report.traces) if lock or i != report.main]
    if others:
        lines += ["Stack Traces for all other Crash events ", "=" * 39, ""]
        for trace in others:
            lines += render_event(trace, prog.wide, style=style) + ["", ""]
    return lines


def render_toc(prog: Program, report: CrashEventsReport, style: CrashinfoStyle) -> list[str]:
    """A TOC: the main event, then `Processor #N` and the last event of every other processor
    (by number; one with no event says so)."""
    assert report.main is not None
    main = report.traces[report.main]
    lines: list[str] = []
    if report.user_initiated:
        lines += user_toc_note(style)
    elif style.event_note == "before":
        lines.append("")
    if style.toc_heading:
        lines += underline(f"Stack Trace for crash event {main.event.index}") + [""]
    lines += render_event(main, prog.wide, style=style) + [""]
    by_cpu = {t.event.cpu: t for t in report.traces}  # a processor's last event wins
    others = [cpu for cpu in sorted(set(by_cpu) | set(report.processors)) if cpu != main.event.cpu]
    if not others:
        return lines
    lines += ["", "Stack Traces for other processors ", "=" * 33, ""]
    for cpu in others:
        trace = by_cpu.get(cpu)
        if trace is None and cpu in report.disabled and style.disabled_processor_notes:
            # HP's text names mpinfo[0] whatever the processor (sic).
            lines += [f"Processor number {cpu} disabled!", "", f"Note: CPU {cpu} is disabled",
                      "", "", f"Processor #{cpu}",
                      "Can't find the mpinfo[0].prochpa into the crash event table"]
            continue
        lines += ["", f"Processor #{cpu}"]
        if trace is None:
            lines.append(f"Can't find the mpinfo[{cpu}].prochpa into the crash event table")
        else:
            lines += render_event(trace, prog.wide, style=style)
    return lines + [""] * style.blanks_after_processors


@section("events", "Crash Events", 20, styled=True)
def crash_events_section(prog: Program, style: CrashinfoStyle) -> list[str]:
    report = analyze_events(prog)
    lines = banner("Crash Events") + ([""] if style.banner_blank else [])
    main = report.traces[report.main] if report.main is not None else None
    lines += disabled_notes(report)
    if main is not None:
        lines += crash_event_note(main.event.kind, main.event.index, style)
    if main is not None and main.event.kind == "TOC":
        return lines + render_toc(prog, report, style)
    return lines + render_panic(prog, report, style)
