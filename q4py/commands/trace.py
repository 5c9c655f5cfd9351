"""`trace event N | trace pile | trace [-v] processor N`: stack traces.

`trace event N` prints a crash event's EVENT block and stack as crashinfo does. `trace pile`
traces each structure of the current pile: a crash event (`crash_event_t`, as `trace event`)
or a `struct save_state` (unwound from the registers it saved). `trace processor N` is p4's:
`Processor #N` over the crash event of processor N. `trace -v processor N` is p4's verbose form,
one row per frame with the arguments the function stored in its caller's frame (see HELP for
what q4py can and cannot recover). The arguments come from q4py.kernel.args.frame_arguments, the
recovery crashinfo's `with all args` stack uses, so both always show the same values.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from q4py.addr import format_space_offset
from q4py.analyses.events import event_trace
from q4py.commands import command
from q4py.errors import CommandError
from q4py.kernel.args import frame_arguments, register_args
from q4py.kernel.events import CrashEvent, crash_events
from q4py.layouts.crash import EVENT_KINDS
from q4py.render.stack import EVENT_RULE, render_event, render_segment, render_trap
from q4py.unwind import (
    EventTrace,
    SavedStateTrace,
    Segment,
    unwind_event,
    unwind_save_state,
)

if TYPE_CHECKING:
    from q4py.piles import Pile, PileItem
    from q4py.program import Program
    from q4py.shell.session import Session

USAGE = "trace event N | trace pile | trace [-v] processor N"
_FUNC_WIDTH = 22
_ARG_WIDTH = 20

HELP = """\
trace event N          the EVENT block of crash event N (0 is the first) and its stack,
                       unwound through trap frames, as crashinfo prints it.
trace pile             each structure of the current pile, a blank line between them: a
                       crash_event_t as `trace event` does, a struct save_state unwound from the
                       registers it saved (its own trap frames followed too).
trace processor N      p4's form: `Processor #N`, then the crash event of processor N. A
                       processor that took several crash events (a panic while panicking) is
                       shown by its last one, its state when the dump was taken; `trace event`
                       shows the others.
trace -v processor N   p4's verbose form: the EVENT block, then one row per frame
                         LVL  FUNC                  ARG0                ARG1 ...
                          0)  panic+0x14            n/a                 n/a ...
                       LVL counts frames from the innermost, across trap frames. The
                       arguments are those passed in registers (ARG0..ARG7 on a 64-bit
                       kernel, ARG0..ARG3 on a 32-bit one) that the function's prologue stored
                       in its caller's frame, read from there; the others print n/a, as p4
                       does. p4 also headed the trace with the thread running on the processor
                       (`Cpu 0  : proc[99] pid=...`); q4py's kernels keep no current thread to
                       name, so that line is left out.
Examples:
  trace event 0
  load crash_event_t from &crash_event_table max 2
  trace pile
  trace processor 0
  trace -v processor 0"""


def _number(text: str, what: str) -> int:
    try:
        number = int(text, 0)
    except ValueError:
        raise CommandError(f"trace: '{text}' is not {what}") from None
    if number < 0:
        raise CommandError(f"trace: '{text}' is not {what}")
    return number


def _print(session: Session, lines: list[str]) -> None:
    for line in lines:
        print(line, file=session.out)


# -- trace processor ---------------------------------------------------------------------------
def processor_event(prog: Program, cpu: int) -> CrashEvent:
    """The last crash event processor `cpu` recorded (its state at dump time)."""
    events = crash_events(prog)
    mine = [e for e in events if e.cpu == cpu]
    if not mine:
        cpus = sorted({e.cpu for e in events})
        listed = ", ".join(str(c) for c in cpus) or "none"
        raise CommandError(f"trace: processor {cpu} recorded no crash event (processors with "
                           f"events: {listed})")
    return mine[-1]


def verbose_lines(prog: Program, trace: EventTrace) -> list[str]:
    """p4's `trace -v`: the EVENT block's banner, then a LVL/FUNC/ARGn table per stack."""
    lines = render_event(trace, prog.wide)
    if trace.user_mode or not trace.segments:
        return lines  # `= USER mode!` / `Can't unwind`: nothing to tabulate
    second_rule = lines.index(EVENT_RULE, 1)
    out = lines[:second_rule + 1]
    level = 0
    header = "LVL  " + "FUNC".ljust(_FUNC_WIDTH) + "".join(
        f"ARG{i}".ljust(_ARG_WIDTH) for i in range(register_args(prog.wide))).rstrip()
    for segment in trace.segments:
        out.append(f"SR{segment.space_register}={segment.space:#x}")
        out.append(header)
        for k, frame in enumerate(segment.frames):
            args = frame_args(prog, segment, k)
            cells = "".join(a.ljust(_ARG_WIDTH) for a in args).rstrip()
            name = frame.name or "???"
            # A long name pushes its row right rather than running into ARG0.
            out.append(f"{level:>2})  {name.ljust(_FUNC_WIDTH - 1)} {cells}")
            level += 1
        if segment.trap is not None:
            out += render_trap(segment.trap)
    if trace.problem:
        out.append(f"Can't unwind further: {trace.problem}")
    return out


def frame_args(prog: Program, segment: Segment, index: int) -> list[str]:
    """ARG0..ARGn of frame `index` of `segment`: the ones its prologue stored in its caller's
    frame (q4py.kernel.args), `n/a` for the others and for slots that cannot be read."""
    frame = segment.frames[index]
    stored = frame_arguments(prog, frame.sp, frame.pc, segment.space).values
    return [f"{stored[i]:#x}" if stored.get(i) is not None else "n/a"
            for i in range(register_args(prog.wide))]


# -- trace pile --------------------------------------------------------------------------------
def _event_of(prog: Program, pile: Pile, item: PileItem) -> CrashEvent:
    """The crash event a pile's crash_event_t is: its table index when it is in the table."""
    table = prog.symbol("crash_event_table")
    index = item.index
    if item.space == 0 and table.address <= item.address < table.address + max(table.size, 1):
        index = (item.address - table.address) // pile.layout.size
    entry = item.value
    return CrashEvent(index=index, address=item.address,
                      kind=EVENT_KINDS.get(entry.cet_event, f"EVENT{entry.cet_event}"),
                      cpu=entry.cet_cpu, hpa=entry.cet_hpa, rpb=entry.cet_savestate,
                      spinlock_depth=entry.cet_spinlock_depth)


def save_state_lines(trace: SavedStateTrace, wide: bool) -> list[str]:
    """A save_state's walk: where it was saved and in what mode, then its stacks."""
    where = format_space_offset(trace.space, trace.address)
    at = f"{trace.pcsq:#x}.{trace.pcoq:#x}" if trace.pcsq else f"{trace.pcoq:#x}"
    lines = [f"= p struct save_state {where}"]
    if trace.user_mode:
        return lines + [f"= USER mode at {at}", "Can't unwind"]
    first = trace.segments[0].frames[0].name if trace.segments and \
        trace.segments[0].frames else None
    lines.append(f"= KERNEL mode at {at} ({first or '???'})")
    for segment in trace.segments:
        lines += render_segment(segment, wide)
    if trace.problem:
        lines.append(f"Can't unwind further: {trace.problem}")
    return lines


def trace_pile(session: Session) -> None:
    prog = session.program
    pile = session.piles.current
    name = pile.layout.name
    if name not in ("struct crash_event", "struct save_state"):
        raise CommandError(f"trace pile: the current pile holds {pile.type_name}: trace follows "
                           "crash_event_t or struct save_state piles")
    for i, item in enumerate(pile.items):
        if i:
            print(file=session.out)
        if name == "struct crash_event":
            _print(session, render_event(unwind_event(prog, _event_of(prog, pile, item)),
                                         prog.wide))
        else:
            _print(session, save_state_lines(unwind_save_state(prog, item.address, item.space),
                                             prog.wide))


@command("trace", usage=USAGE, summary="print a stack trace: of a crash event, the pile, or a "
         "processor", help=HELP)
def trace_command(session: Session, args: list[str]) -> None:
    prog = session.program
    verbose = bool(args) and args[0] == "-v"
    words = args[1:] if verbose else args
    if words == ["pile"] and not verbose:
        trace_pile(session)
        return
    if len(words) != 2 or words[0] not in ("event", "processor") or (
            verbose and words[0] != "processor"):
        raise CommandError(f"usage: {USAGE}")
    if words[0] == "event":
        number = _number(words[1], "an event number")
        _print(session, render_event(event_trace(prog, number), prog.wide))
        return
    cpu = _number(words[1], "a processor number")
    trace = unwind_event(prog, processor_event(prog, cpu))
    print(f"Processor #{cpu}", file=session.out)
    _print(session, verbose_lines(prog, trace) if verbose else render_event(trace, prog.wide))
