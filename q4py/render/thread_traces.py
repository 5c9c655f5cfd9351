"""p4's `trace` of threads and processors as text.

What public p4 output shows, reproduced:
- the thread line `proc[99] pid=9693 tid=11512  cmd="..."` (a process's: without `tid=`), the
  command line cut at 40 characters; `Cpu 0  : proc[99] ...` heads `trace processor`, cut at 30;
- `Process  : p proc_t    ADDR` and the process again (`proc[90] pid=5538 csh` on 11.00,
  indented 11; `pid=24466 oracle` on 11i, indented 10), `Kthread  : p kthread_t ADDR`;
- a running thread: `Running on SPU #N`, a blank line, `Processor #N` and the EVENT banner of
  its processor's crash event; a switched-out one: `Using PCB: p user_t SPACE.UAREA`;
- `SR5=0x29a5400` (unpadded), then one of three tables: `SP SZ RP FUNC` (`trace -v tid`),
  `LVL  FUNC   ( ARG0, ... )` (`trace -U`) or `SP  FUNC   ( ARG0, ... )` (`trace -W`). The
  argument lists are as long as the highest argument any frame stored (at least ARG0..ARG3).

q4py's own: a trap between two stacks is the crashinfo TRAP box, and the table starts again
under the next `SRn=` line; a walk that stops early ends with `Can't unwind further: WHY`, a
thread whose stack cannot be read at all with `Can't unwind: WHY`.
"""

from __future__ import annotations

from collections.abc import Callable

from q4py.analyses.thread_traces import FrameKey, ProcessView, ThreadView
from q4py.kernel.args import FrameArgs
from q4py.render.stack import EVENT_RULE, render_event, render_trap
from q4py.unwind import EventTrace, Frame, Segment

THREAD_CMD_WIDTH = 40  # characters of the command line p4's thread line shows
CPU_CMD_WIDTH = 30  # ... and its `Cpu N :` line
MIN_ARGS = 4


def thread_line(view: ThreadView) -> str:
    p = view.process
    return (f"{p.label} pid={p.pid} tid={view.thread.tid}  "
            f"cmd=\"{p.cmdline[:THREAD_CMD_WIDTH]}\"")


def process_line(process: ProcessView) -> str:
    return f"{process.label} pid={process.pid}  cmd=\"{process.cmdline[:THREAD_CMD_WIDTH]}\""


def cpu_line(cpu: int, view: ThreadView) -> str:
    p = view.process
    return (f"Cpu {cpu:<2} : {p.label} pid={p.pid} tid={view.thread.tid}  "
            f"cmd=\"{p.cmdline[:CPU_CMD_WIDTH]}\"")


def _indent(process: ProcessView) -> str:
    return " " * (11 if process.in_table else 10)


def process_lines(process: ProcessView) -> list[str]:
    if process.problem:
        return [f"Process  : p proc_t    {process.address:#x}",
                f"{_indent(process)}{process.problem}"]
    named = f"{process.label} " if process.in_table else ""
    return [f"Process  : p proc_t    {process.address:#x}",
            f"{_indent(process)}{named}pid={process.pid} {process.command}"]


def kthread_lines(view: ThreadView, table: str, wide: bool) -> list[str]:
    """`Kthread  : ...`, then where its stack comes from, then the stack in `table` form."""
    lines = [f"Kthread  : p kthread_t {view.thread.address:#x}"]
    trace = view.trace
    if trace.event is not None:
        lines += [f"{_indent(view.process)}Running on SPU #{view.thread.spu}", "",
                  f"Processor #{view.thread.spu}", *event_banner(trace.event)]
    else:
        lines.append(f"Using PCB: p user_t {view.thread.uarea_space:#x}."
                     f"{view.thread.uarea:#x}")
    return lines + stack_table(view, table, wide)


def event_banner(event_trace: EventTrace) -> list[str]:
    """The EVENT block of a crash event, down to its closing rule."""
    lines = render_event(event_trace, False)
    second = lines.index(EVENT_RULE, 1) if EVENT_RULE in lines[1:] else len(lines) - 1
    return lines[:second + 1]


def stack_table(view: ThreadView, table: str, wide: bool) -> list[str]:
    trace = view.trace
    if not trace.segments:
        if trace.problem and (trace.event is None or not trace.event.user_mode):
            return [f"Can't unwind: {trace.problem}"]
        return []
    count = _arg_count(view.args, wide)
    return segments_table(trace.segments, trace.problem, table, wide, view.sizes,
                          lambda key: _args(view.args, key, count), count)


def segments_table(segments: list[Segment], problem: str | None, table: str, wide: bool,
                   sizes: dict[FrameKey, int], args: Callable[[FrameKey], str] = lambda k: "",
                   count: int = 0) -> list[str]:
    """Each stack segment as `SRn=SPACE`, the table's header and one row per frame (LVL counts
    on across segments), the trap between two segments as its TRAP box."""
    lines: list[str] = []
    level = 0
    for s, segment in enumerate(segments):
        lines.append(f"SR{segment.space_register}={segment.space:#x}")
        lines.append(_header(table, count, wide))
        for f, frame in enumerate(segment.frames):
            lines.append(_row(table, level, frame, sizes.get((s, f), 0), args((s, f)), wide))
            level += 1
        if segment.trap is not None:
            lines += render_trap(segment.trap)
    if problem:
        lines.append(f"Can't unwind further: {problem}")
    return lines


def _arg_count(args: dict[FrameKey, FrameArgs], wide: bool) -> int:
    highest = max((a.highest for a in args.values()), default=-1)
    return max(MIN_ARGS, highest + 1) if wide else MIN_ARGS


def _args(args: dict[FrameKey, FrameArgs], key: FrameKey, count: int) -> str:
    stored = args.get(key)
    values = stored.values if stored is not None else {}
    return ", ".join(f"{values[i]:#x}" if values.get(i) is not None else "n/a"
                     for i in range(count))


def _sp_width(wide: bool) -> int:
    return 18 if wide else 10


def _header(table: str, count: int, wide: bool) -> str:
    args = ", ".join(f"ARG{i}" for i in range(count))
    if table == "sz":
        return f"{'SP':>{_sp_width(wide)}} {'SZ':>6} {'RP':>9}  FUNC"
    if table == "lvl":
        return f"LVL  FUNC   ( {args} )"
    return f"{'SP':>{_sp_width(wide)}}  FUNC   ( {args} )"


def _row(table: str, level: int, frame: Frame, size: int, args: str, wide: bool) -> str:
    name = frame.name or "???"
    if table == "sz":
        return f"{frame.sp:#{_sp_width(wide)}x} {size:#6x} {frame.pc:#9x}  {name}"
    if table == "lvl":
        return f"{level})  {name}   ( {args} )"
    return f"{frame.sp:#{_sp_width(wide)}x}  {name}   ( {args} )"


def render_thread(view: ThreadView, table: str, wide: bool, *, states: bool = False,
                  leading_blank: bool = False) -> list[str]:
    """`trace -v tid` (table "sz"), `trace -U tid` ("lvl"): the thread line, with `states`
    the p_stat/kt_stat line, the process and the kthread with its stack."""
    lines = [""] if leading_blank else []
    lines.append(thread_line(view))
    if states:
        lines.append(f"p_stat=\"{view.process.state}\" : kt_stat=\"{view.state}\"")
    return lines + process_lines(view.process) + kthread_lines(view, table, wide)


def render_process(process: ProcessView, views: list[ThreadView], wide: bool) -> list[str]:
    """`trace -W pid`: the process line and the process, then each of its threads (a blank
    line between two threads)."""
    lines = [process_line(process), *process_lines(process)]
    if not views:
        return lines + ["(no threads)"]
    for i, view in enumerate(views):
        if i:
            lines.append("")
        lines += kthread_lines(view, "sp", wide)
    return lines
