"""`trace`: stack traces of crash events, piles, processors, threads and processes.

`trace event N` prints a crash event's EVENT block and stack as crashinfo does. `trace pile`
traces each structure of the current pile (crash events, save_states, kthreads, procs). The
rest is p4's trace family: `trace [-v] processor N` (headed by the thread the processor ran),
`trace [-v|-U] tid N`, `trace [-v|-U] -T KTHREAD` and `trace -W pid N`, threads unwound by
q4py.unwind.unwind_thread (from the processor's crash event when running, else from the
context saved in the thread's PCB). Arguments come from q4py.kernel.args.frame_arguments, the
recovery crashinfo's `with all args` stack uses, so both always show the same values.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from q4py.addr import format_space_offset
from q4py.analyses.events import event_trace
from q4py.analyses.thread_traces import frame_sizes, process_view, processor_thread, thread_view
from q4py.commands import command
from q4py.commands.p import parse_address
from q4py.errors import CommandError, Q4Error
from q4py.kernel.args import register_args, segment_frame_arguments
from q4py.kernel.events import CrashEvent, crash_events, last_event_of
from q4py.kernel.procs import process_table
from q4py.kernel.threads import Thread, thread_at, thread_by_tid, threads, threads_of
from q4py.layouts.crash import EVENT_KINDS
from q4py.layouts.sched import TSUNUSED
from q4py.render.jsondoc import json_document, take_json_flag
from q4py.render.stack import render_event, render_segment
from q4py.render.thread_traces import (
    VERBOSE_RIGHT,
    column_table,
    cpu_line,
    event_banner,
    render_process,
    render_thread,
    segments_table,
    verbose_header,
)
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

USAGE = ("trace event N | trace pile | trace [-v] processor N | trace [-v|-U] tid N | "
         "trace [-v|-U] -T KTHREAD | trace -W pid N")

HELP = """\
trace event N          the EVENT block of crash event N (0 is the first) and its stack,
                       unwound through trap frames, as crashinfo prints it.
trace pile             each structure of the current pile, a blank line between them: a
                       crash_event_t as `trace event` does, a struct save_state unwound from the
                       registers it saved (its own trap frames followed too), a kthread_t as
                       `trace -T` does, a proc_t as `trace -W` does.
trace processor N      p4's form: `Cpu N  : proc[..] pid=.. tid=..  cmd="..."` (the thread the
                       processor ran, its command line cut at 30 characters), `Processor #N`,
                       the EVENT block of processor N's crash event, then its stack as
                         SR5=0x29a5400
                                         SP     SZ        RP  FUNC
                         0x400003ffffff1730    0x0   0x3482c  spinlock+0x2c
                       (SZ: the frame's size). A processor that took several crash events (a
                       panic while panicking) is shown by its last one, its state when the dump
                       was taken; `trace event` shows the others.
trace -v processor N   p4's verbose form: the same head, then one row per frame
                         LVL  FUNC                  ARG0                ARG1 ...
                          0)  spinlock+0x2c         0x6bd5bc0           n/a  ...
                       LVL counts frames from the innermost, across trap frames. The
                       arguments are those passed in registers (ARG0..ARG7 on a 64-bit
                       kernel, ARG0..ARG3 on a 32-bit one) that the function's prologue stored
                       in its caller's frame, or its caller stored there before the call,
                       read from there; the others print n/a, as p4 does. Each column is
                       as wide as its widest cell (the SP/SZ/RP/FUNC table too), two blanks
                       apart; a cell that would straddle column 80 starts a continuation
                       line 24 blanks in, as p4 wraps a row whose 64-bit argument falls
                       there.
trace [-v] tid N       thread N: `proc[99] pid=.. tid=N  cmd="..."` (the command line, 40
                       characters), its process (`Process  : p proc_t ...`) and kthread; a
                       running thread's stack is its processor's crash event (`Running on SPU
                       #N`, `Processor #N`, the EVENT block), any other's starts from the
                       context it saved when it switched out (`Using PCB: p user_t
                       SPACE.UAREA`); the stack in the SP/SZ/RP/FUNC table.
trace -U tid N         the same with p4's `p_stat="SINUSE" : kt_stat="TSSLEEP"` line and the
                       stack as `LVL  FUNC   ( ARG0, ARG1, ... )`, as many arguments as the
                       highest one any frame stored (at least four).
trace [-v|-U] -T KTHREAD   the same for the kthread at address KTHREAD.
trace -W pid N         every thread of process N: the process line, then for each thread its
                       kthread and stack as `SP  FUNC   ( ARG0, ... )`, a blank line between two.
trace --json ...       any of these as one JSON document (docs/json.md): the unwound stacks
                       as data (segments of frames with sp, pc and name, the trap between
                       two), a thread's process and kthread, no text.
A trap between two stacks is crashinfo's TRAP box (a thread preempted in user mode ends there,
at the USER-mode boundary); a stack that cannot be read is one `Can't unwind: WHY` line, a
command line that cannot (11.00's pst_cmds) `cmd="?"` and a line under the process saying why,
an unused 11.00 table slot in a kthread pile one `... is unused (kt_stat 0)` line.
Examples:
  trace event 0
  load crash_event_t from &crash_event_table max 2
  trace pile
  trace processor 0
  trace -v processor 0
  trace -v tid 11512
  trace -U tid 312772
  trace -U -T 0x00000000_515a8040
  trace -W pid 5538
  load kthread_t from kthread max nkthread
  trace pile
  trace --json event 0"""


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
    event = last_event_of(prog, cpu)
    if event is None:
        cpus = sorted({e.cpu for e in crash_events(prog)})
        listed = ", ".join(str(c) for c in cpus) or "none"
        raise CommandError(f"trace: processor {cpu} recorded no crash event (processors with "
                           f"events: {listed})")
    return event


def trace_processor(session: Session, cpu: int, verbose: bool) -> None:
    prog = session.program
    trace = unwind_event(prog, processor_event(prog, cpu))
    thread = processor_thread(prog, cpu)
    if thread is not None:
        print(cpu_line(cpu, thread_view(prog, thread)), file=session.out)
    print(f"Processor #{cpu}", file=session.out)
    if verbose:
        _print(session, verbose_lines(prog, trace))
        return
    _print(session, event_banner(trace))
    _print(session, segments_table(trace.segments, trace.problem, "sz", prog.wide,
                                   frame_sizes(prog, trace.segments)))


def verbose_lines(prog: Program, trace: EventTrace) -> list[str]:
    """p4's `trace -v`: the EVENT block's banner, then the LVL/FUNC/ARGn column table."""
    if trace.user_mode:  # caught in user mode: no kernel stack, as `trace processor` says
        return event_banner(trace)
    if not trace.segments:
        return event_banner(trace) + ([f"Can't unwind: {trace.problem}"] if trace.problem else [])
    segments = trace.segments
    return event_banner(trace) + column_table(
        segments, trace.problem, verbose_header(register_args(prog.wide)), VERBOSE_RIGHT,
        lambda s, f, level: [f"{level})", segments[s].frames[f].name or "???",
                             *frame_args(prog, segments[s], f)])


def frame_args(prog: Program, segment: Segment, index: int) -> list[str]:
    """ARG0..ARGn of frame `index` of `segment`: the ones its prologue (or its caller, before
    the call) stored in its caller's frame (q4py.kernel.args), `n/a` for the others and for
    slots that cannot be read."""
    stored = segment_frame_arguments(prog, segment, index).values
    return [f"{stored[i]:#x}" if stored.get(i) is not None else "n/a"
            for i in range(register_args(prog.wide))]


# -- threads and processes --------------------------------------------------------------------
def trace_thread(session: Session, thread: Thread, lvl: bool, leading_blank: bool) -> None:
    prog = session.program
    if thread.stat == TSUNUSED:  # a free 11.00 table slot (`load ... max nkthread` has many)
        print(f"Kthread  : p kthread_t {thread.address:#x} is unused (kt_stat 0): no thread",
              file=session.out)
        return
    view = thread_view(prog, thread, with_args=lvl)
    _print(session, render_thread(view, "lvl" if lvl else "sz", prog.wide, states=lvl,
                                  leading_blank=leading_blank))


def trace_process(session: Session, proc: int, of: list[Thread] | None = None) -> None:
    """Every thread of the process at `proc` (`of`: its threads, when the caller has them)."""
    prog = session.program
    views = [thread_view(prog, t, with_args=True)
             for t in (threads_of(prog, proc) if of is None else of)]
    _print(session, render_process(process_view(prog, proc), views, prog.wide))


def process_by_pid(prog: Program, pid: int) -> int:
    """The proc address of process `pid`."""
    table = process_table(prog)
    for i in range(len(table)):
        if table.pid(i) == pid:
            return table.address(i)
    raise CommandError(f"trace: no process with pid {pid}")


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
    if name not in ("struct crash_event", "struct save_state", "struct kthread", "struct proc"):
        raise CommandError(f"trace pile: the current pile holds {pile.type_name}: trace follows "
                           "crash_event_t, struct save_state, kthread_t or proc_t piles")
    # The threads read once (with their processes' identities), not once per pile entry.
    listed = {t.address: t for t in threads(prog)} if name == "struct kthread" else {}
    by_proc: dict[int, list[Thread]] = {}
    if name == "struct proc":
        for thread in threads(prog):
            by_proc.setdefault(thread.proc, []).append(thread)
    for i, item in enumerate(pile.items):
        if i:
            print(file=session.out)
        if name == "struct crash_event":
            _print(session, render_event(unwind_event(prog, _event_of(prog, pile, item)),
                                         prog.wide))
        elif name == "struct kthread":
            thread = listed.get(item.address) or _kthread(prog, item.address)
            trace_thread(session, thread, lvl=False, leading_blank=False)
        elif name == "struct proc":
            trace_process(session, item.address, by_proc.get(item.address, []))
        else:
            _print(session, save_state_lines(unwind_save_state(prog, item.address, item.space),
                                             prog.wide))


def _kthread(prog: Program, address: int) -> Thread:
    try:
        return thread_at(prog, address)
    except Q4Error as err:
        raise CommandError(f"trace: no kthread at {address:#x}: {err}") from None


@command("trace", usage=USAGE, summary="print a stack trace: of a crash event, the pile, a "
         "processor, a thread or a process", help=HELP, json=True)
def trace_command(session: Session, args: list[str]) -> None:
    prog = session.program
    as_json, args = take_json_flag(args)
    if as_json:
        print(json_document(session.line, trace_data(session, args)), file=session.out)
        return
    words = list(args)
    flags: set[str] = set()
    while words and words[0] in ("-v", "-U", "-W"):
        flags.add(words.pop(0))
    what = words[0] if words else ""
    if words == ["pile"] and not flags:
        trace_pile(session)
    elif what == "event" and len(words) == 2 and not flags:
        _print(session, render_event(event_trace(prog, _number(words[1], "an event number")),
                                     prog.wide))
    elif what == "processor" and len(words) == 2 and flags <= {"-v"}:
        trace_processor(session, _number(words[1], "a processor number"), "-v" in flags)
    elif what == "tid" and len(words) == 2 and flags in ({"-v"}, {"-U"}, set()):
        try:
            thread = thread_by_tid(prog, _number(words[1], "a thread id"))
        except Q4Error as err:
            raise CommandError(f"trace: {err}") from None
        trace_thread(session, thread, lvl="-U" in flags, leading_blank=False)
    elif what == "-T" and len(words) == 2 and flags in ({"-v"}, {"-U"}, set()):
        _, address = parse_address(prog, words[1], command="trace")
        trace_thread(session, _kthread(prog, address), lvl="-U" in flags, leading_blank=True)
    elif what == "pid" and len(words) == 2 and flags <= {"-W"}:
        trace_process(session, process_by_pid(prog, _number(words[1], "a process id")))
    else:
        raise CommandError(f"usage: {USAGE}")


# -- trace --json -----------------------------------------------------------------------------
def trace_data(session: Session, args: list[str]) -> dict[str, Any]:
    """What `trace ARGS` prints, as data: the unwound stacks and whose they are."""
    prog = session.program
    words = [w for w in args if w not in ("-v", "-U", "-W")]
    what = words[0] if words else ""
    if words == ["pile"]:
        return {"traces": [_pile_item_data(session, item) for item in session.piles.current]}
    if what == "event" and len(words) == 2:
        return {"event": event_trace(prog, _number(words[1], "an event number"))}
    if what == "processor" and len(words) == 2:
        cpu = _number(words[1], "a processor number")
        trace = unwind_event(prog, processor_event(prog, cpu))
        thread = processor_thread(prog, cpu)
        return {"processor": cpu, "trace": trace,
                "thread": None if thread is None else thread_view(prog, thread, with_args=True)}
    if what in ("tid", "-T") and len(words) == 2:
        if what == "tid":
            try:
                thread = thread_by_tid(prog, _number(words[1], "a thread id"))
            except Q4Error as err:
                raise CommandError(f"trace: {err}") from None
        else:
            thread = _kthread(prog, parse_address(prog, words[1], command="trace")[1])
        return {"thread": thread_view(prog, thread, with_args=True)}
    if what == "pid" and len(words) == 2:
        proc = process_by_pid(prog, _number(words[1], "a process id"))
        return {"process": process_view(prog, proc),
                "threads": [thread_view(prog, t, with_args=True) for t in threads_of(prog, proc)]}
    raise CommandError(f"usage: {USAGE}")


def _pile_item_data(session: Session, item: PileItem) -> Any:
    prog = session.program
    pile = session.piles.current
    name = pile.layout.name
    if name == "struct crash_event":
        return {"event": unwind_event(prog, _event_of(prog, pile, item))}
    if name == "struct kthread":
        return {"thread": thread_view(prog, _kthread(prog, item.address), with_args=True)}
    if name == "struct proc":
        return {"process": process_view(prog, item.address),
                "threads": [thread_view(prog, t, with_args=True)
                            for t in threads_of(prog, item.address)]}
    if name == "struct save_state":
        return {"save_state": unwind_save_state(prog, item.address, item.space)}
    raise CommandError(f"trace pile: the current pile holds {pile.type_name}: trace follows "
                       "crash_event_t, struct save_state, kthread_t or proc_t piles")
