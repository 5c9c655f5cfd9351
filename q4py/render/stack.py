"""Stacks as crashinfo and p4's `trace` print them: the EVENT block, its SP/RP/Return Name
segments, the TRAP boxes between segments and (`with all args`) each frame's stored arguments.

Shared by the Crash Events section, the lock holder's stack in its Lock part and the `trace`
command, so neither of those imports the other.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from q4py.addr import format_space_offset
from q4py.analyses.events import FrameKey
from q4py.kernel.args import FrameArgs
from q4py.unwind import EventTrace, Segment, Trap

if TYPE_CHECKING:
    from q4py.render.styles import CrashinfoStyle

EVENT_RULE = "==============  EVENT  ============================"
TRAP_RULE = "+-------------  TRAP  ----------------------------"


def render_event(trace: EventTrace, wide: bool,
                 args: dict[FrameKey, FrameArgs] | None = None, *,
                 style: CrashinfoStyle | None = None) -> list[str]:
    """An EVENT block as crashinfo and `trace event N` print it; with `args`, each frame's
    stored arguments under it (`with all args`); `style` for crashinfo's variants (`Can't
    unwind` under a USER-mode event, the words of an external interrupt's TRAP box)."""
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
        lines += ["= USER mode!", EVENT_RULE]
        return lines + (["Can't unwind"] if style is None or style.user_mode_cant_unwind else [])
    lines.append(EVENT_RULE)
    for s, segment in enumerate(trace.segments):
        frame_args = None if args is None else \
            {f: a for (seg, f), a in args.items() if seg == s}
        lines += render_segment(segment, wide, frame_args,
                                interrupt_words=style is not None and style.interrupt_box_words)
    if trace.problem and not trace.segments:
        lines.append("Can't unwind")
    elif trace.problem:
        lines.append(f"Can't unwind further: {trace.problem}")
    return lines


def render_segment(segment: Segment, wide: bool, args: dict[int, FrameArgs] | None = None,
                   interrupt_words: bool = False) -> list[str]:
    lines = [f"SR{segment.space_register}=0x{segment.space:08x}"]
    if wide:
        lines.append("                SP         RP Return Name")
    else:
        lines.append("        SP         RP Return Name")
    sp_width = 16 if wide else 8
    for f, frame in enumerate(segment.frames):
        lines.append(f"0x{frame.sp:0{sp_width}x} 0x{frame.pc:08x} {frame.name or '???'}")
        if args and f in args:
            lines += render_args(args[f], wide)
    if segment.trap is not None:
        lines += render_trap(segment.trap, interrupt_words)
    return lines


ARG_INDENT = " " * 9
NOT_AVAILABLE = f"{ARG_INDENT}....  --------n/a-------"


def render_args(args: FrameArgs, wide: bool) -> list[str]:
    """`arg0: 0x...` for each stored argument up to the highest; a run of arguments that were
    not stored is one `....  --------n/a-------` line."""
    lines = []
    digits = 16 if wide else 8
    for index in range(args.highest + 1):
        if index not in args.values:
            if not lines or lines[-1] != NOT_AVAILABLE:
                lines.append(NOT_AVAILABLE)
            continue
        value = args.values[index]
        shown = "--------n/a-------" if value is None else f"0x{value:0{digits}x}"
        lines.append(f"{ARG_INDENT}arg{index}: {shown}")
    return lines


EXTERNAL_INTERRUPT = 4


def render_trap(trap: Trap, interrupt_words: bool = False) -> list[str]:
    """A TRAP box; `interrupt_words` names an external interrupt (`External interrupt in
    KERNEL mode`) where most crashinfo versions print its number."""
    at = f"{trap.pcsq:#x}.{trap.pcoq:#x}" if trap.pcsq else f"{trap.pcoq:#x}"
    mode = "USER" if trap.user_mode else "KERNEL"
    what = "External interrupt" if interrupt_words and trap.trap_type == EXTERNAL_INTERRUPT \
        else f"Trap type {trap.trap_type}"
    return [
        TRAP_RULE,
        f"|  {what} in {mode} mode at {at} ({trap.name or '???'})",
        f"|  p struct save_state {format_space_offset(trap.space, trap.save_state)}",
        TRAP_RULE,
    ]
