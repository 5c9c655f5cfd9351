"""p4's `trace` of threads and processors as text.

What public p4 output shows, reproduced:
- the thread line `proc[99] pid=9693 tid=11512  cmd="..."` (a process's: without `tid=`), the
  command line cut at 40 characters; `Cpu 0  : proc[99] ...` heads `trace processor`, cut at 30;
- `Process  : p proc_t    ADDR` and the process again (`proc[90] pid=5538 csh` on 11.00,
  indented 11; `pid=24466 oracle` on 11i, indented 10), `Kthread  : p kthread_t ADDR`;
- a running thread: `Running on SPU #N`, a blank line, `Processor #N` and the EVENT banner of
  its processor's crash event; a switched-out one: `Using PCB: p user_t SPACE.UAREA`;
- `SR5=0x29a5400` (unpadded), then one of four tables: `SP SZ RP FUNC` (`trace -v tid`,
  `trace processor`), `LVL  FUNC  ARG0 ... ARG7` (`trace -v processor`), `LVL  FUNC   ( ARG0,
  ... )` (`trace -U`) or `SP  FUNC   ( ARG0, ... )` (`trace -W`). The argument lists of the last
  two are as long as the highest argument any frame stored (at least ARG0..ARG3).
- The two column tables (`SP SZ RP FUNC`, `LVL FUNC ARGn`) are laid out by one rule: each
  column as wide as its widest cell, the header's included, two blanks between columns, numbers
  right-aligned in `SP SZ RP`, LVL's `N)` right-aligned, names and arguments left-aligned
  (hpux1100-64-hang-soaccept-p4: SZ 5 wide for `0x4d0`, RP 8 for `0x12befc`; ARG0..ARG2 18 wide
  for 64-bit stack addresses, ARG3..ARG6 4 for `ARGn` over `n/a`, ARG7 8 for `0x331520`). A
  cell never straddles the 80th column: when it would, the row goes on in a continuation line,
  24 blanks in (the report's `trace -v processor 0` wraps its two rows whose ARG2 holds a
  64-bit address running from column 68 to 85, and no row whose cells start past column 80).

q4py's own: a trap between two stacks is the crashinfo TRAP box, and the table starts again
under the next `SRn=` line; a walk that stops early ends with `Can't unwind further: WHY`, a
thread whose stack cannot be read at all with `Can't unwind: WHY`.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

from q4py.analyses.thread_traces import FrameKey, ProcessView, ThreadView
from q4py.kernel.args import FrameArgs
from q4py.render.stack import EVENT_RULE, render_event, render_trap
from q4py.unwind import EventTrace, Frame, Segment

THREAD_CMD_WIDTH = 40  # characters of the command line p4's thread line shows
CPU_CMD_WIDTH = 30  # ... and its `Cpu N :` line
MIN_ARGS = 4
GAP = "  "  # between two columns of a column table
WRAP_COLUMN = 80  # no cell of a column table straddles it: a terminal's width
CONTINUATION_INDENT = 24  # where a wrapped row goes on

Row = list[str]  # the cells of one row of a column table


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
    lines = [f"Process  : p proc_t    {process.address:#x}",
             f"{_indent(process)}{named}pid={process.pid} {process.command}"]
    if process.cmdline_problem:
        lines.append(f"{_indent(process)}{process.cmdline_problem}")
    return lines


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
    if table == "sz":
        return column_table(segments, problem, SZ_HEADER, SZ_RIGHT, lambda s, f, level: [
            f"{segments[s].frames[f].sp:#x}", f"{sizes.get((s, f), 0):#x}",
            f"{segments[s].frames[f].pc:#x}", segments[s].frames[f].name or "???"])

    def row(s: int, f: int, level: int) -> str:
        return _row(table, level, segments[s].frames[f], args((s, f)), wide)

    # Rows already text: no column table, the lines as they are.
    return lay_out(_stack_items(segments, problem, _header(table, count, wide), row), frozenset())


SZ_HEADER = ["SP", "SZ", "RP", "FUNC"]
SZ_RIGHT = frozenset({0, 1, 2})


def verbose_header(count: int) -> Row:
    return ["LVL", "FUNC", *(f"ARG{i}" for i in range(count))]


VERBOSE_RIGHT = frozenset({0})


def column_table(segments: list[Segment], problem: str | None, header: Row,
                 right: frozenset[int], cells: Callable[[int, int, int], Row]) -> list[str]:
    """A stack as a column table: per segment `SRn=SPACE`, the header and a row per frame
    (`cells(segment, frame, level)`, the level counting on across segments), the trap between
    two segments as its TRAP box; columns as wide as their widest cell in the whole stack."""
    return lay_out(_stack_items(segments, problem, header, cells), right)


def _stack_items(segments: list[Segment], problem: str | None, header: str | Row,
                 row: Callable[[int, int, int], str | Row]) -> list[str | Row]:
    """Per segment `SRn=SPACE`, the header and `row(segment, frame, level)` per frame (the
    level counting on across segments), the trap between two segments as its TRAP box, and
    why the walk stopped early."""
    items: list[str | Row] = []
    level = 0
    for s, segment in enumerate(segments):
        items += [f"SR{segment.space_register}={segment.space:#x}", header]
        for f in range(len(segment.frames)):
            items.append(row(s, f, level))
            level += 1
        if segment.trap is not None:
            items += render_trap(segment.trap)
    if problem:
        items.append(f"Can't unwind further: {problem}")
    return items


def lay_out(items: Sequence[str | Row], right: frozenset[int]) -> list[str]:
    """Lines as they are and rows as one table: each column as wide as its widest cell, the
    columns in `right` right-aligned."""
    rows = [item for item in items if isinstance(item, list)]
    widths = [max(len(row[c]) for row in rows) for c in range(len(rows[0]))] if rows else []
    lines: list[str] = []
    for item in items:
        lines += [item] if isinstance(item, str) else row_lines(item, widths, right)
    return lines


def row_lines(cells: Row, widths: list[int], right: frozenset[int]) -> list[str]:
    """One row, two blanks between cells; a cell that would straddle column WRAP_COLUMN starts
    a continuation line CONTINUATION_INDENT blanks in."""
    lines: list[str] = []
    line = ""
    for c, (cell, width) in enumerate(zip(cells, widths, strict=True)):
        text = cell.rjust(width) if c in right else cell.ljust(width)
        start = len(line) + len(text) - len(text.lstrip())
        if line.strip() and start < WRAP_COLUMN < start + len(cell):
            lines.append(line.rstrip())
            line = " " * CONTINUATION_INDENT
        line += text + GAP
    return [*lines, line.rstrip()]


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
    if table == "lvl":
        return f"LVL  FUNC   ( {args} )"
    return f"{'SP':>{_sp_width(wide)}}  FUNC   ( {args} )"


def _row(table: str, level: int, frame: Frame, args: str, wide: bool) -> str:
    name = frame.name or "???"
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
