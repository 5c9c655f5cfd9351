"""Crash Events: the panic string and the EVENT blocks with their stacks and TRAP boxes."""

from __future__ import annotations

from q4py.addr import format_space_offset
from q4py.analyses.events import analyze_events
from q4py.program import Program
from q4py.render import section
from q4py.render.text import banner, underline
from q4py.unwind import EventTrace, Segment, Trap

EVENT_RULE = "==============  EVENT  ============================"
TRAP_RULE = "+-------------  TRAP  ----------------------------"


def render_event(trace: EventTrace, wide: bool) -> list[str]:
    """An EVENT block as crashinfo and `trace event N` print it."""
    event = trace.event
    lines = [
        EVENT_RULE,
        f"= Event #{event.index} is {event.kind} on CPU #{event.cpu}",
        f"= p crash_event_t {event.address:#x}",
        f"= p rpb_t {event.rpb:#x}",
    ]
    lines += [f"= Using pc from {name} = {value:#x} (failed)" for name, value in
              trace.failed_sources]
    if trace.pc_source:
        lines.append(f"= Using pc from {trace.pc_source} = {trace.pc:#x}")
    if trace.user_mode:
        lines += ["= USER mode!", EVENT_RULE, "Can't unwind"]
        return lines
    lines.append(EVENT_RULE)
    for segment in trace.segments:
        lines += render_segment(segment, wide)
    if trace.problem and not trace.segments:
        lines.append("Can't unwind")
    elif trace.problem:
        lines.append(f"Can't unwind further: {trace.problem}")
    return lines


def render_segment(segment: Segment, wide: bool) -> list[str]:
    lines = [f"SR{segment.space_register}=0x{segment.space:08x}"]
    if wide:
        lines.append("                SP         RP Return Name")
    else:
        lines.append("        SP         RP Return Name")
    sp_width = 16 if wide else 8
    for frame in segment.frames:
        lines.append(f"0x{frame.sp:0{sp_width}x} 0x{frame.pc:08x} {frame.name or '???'}")
    if segment.trap is not None:
        lines += render_trap(segment.trap)
    return lines


def render_trap(trap: Trap) -> list[str]:
    at = f"{trap.pcsq:#x}.{trap.pcoq:#x}" if trap.pcsq else f"{trap.pcoq:#x}"
    mode = "USER" if trap.user_mode else "KERNEL"
    return [
        TRAP_RULE,
        f"|  Trap type {trap.trap_type} in {mode} mode at {at} ({trap.name or '???'})",
        f"|  p struct save_state {format_space_offset(trap.space, trap.save_state)}",
        TRAP_RULE,
    ]


@section("events", "Crash Events", 20)
def crash_events_section(prog: Program) -> list[str]:
    report = analyze_events(prog)
    lines = banner("Crash Events") + [""]
    main = report.traces[report.main] if report.main is not None else None
    if main is not None:
        lines += [f"Note: Crash event {main.event.index} was a {main.event.kind} !", ""]
    if report.panic_string is not None:
        lines += [f"Panic string : {report.panic_string}", ""]
    if main is not None:
        lines += underline(f"Stack Trace for Crash event {main.event.index}") + [""]
        lines += render_event(main, prog.wide) + [""]
    others = [t for i, t in enumerate(report.traces) if i != report.main]
    if others:
        lines += ["Stack Traces for all other Crash events ", "=" * 39, ""]
        for trace in others:
            lines += render_event(trace, prog.wide) + ["", ""]
    return lines
