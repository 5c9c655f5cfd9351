"""The p4 utilities and the trace forms on the seed dump: `p s`, `x`, `Let`, `symbol`, `fields`,
`whatis`, `trace pile`, `trace processor N` and `trace -v processor N`.

The verified p4 forms (`x "0xe0000006384ef200+32"`, `Let -b 0xa`, `p s ADDR`) are matched
exactly; everything else is checked against what the Program reads from the dump.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path

import pytest
from conftest import SCENARIOS_DIR
from helpers import Shell

from q4py.analyses.events import event_trace
from q4py.commands.let import in_radix
from q4py.forge.build import Forge
from q4py.forge.scenario import load_scenario
from q4py.kernel.args import frame_arguments
from q4py.kernel.events import crash_events
from q4py.program import Program
from q4py.render.stack import render_event
from q4py.render.thread_traces import lay_out

SEED = "hpux1100-32-kalloc-sysmap"


@pytest.fixture(scope="module")
def prog(forged_dump: Callable[[str], Path]) -> Program:
    return Program.open(forged_dump(SEED))


@pytest.fixture
def shell(prog: Program) -> Shell:
    return Shell(prog)


def one_error(lines: list[str], text: str) -> None:
    assert len(lines) == 1 and lines[0].startswith("q4: ") and text in lines[0], lines


# -- p s, x, Let ----------------------------------------------------------------------------
def test_p_s_prints_the_string_p4_style(shell: Shell, prog: Program) -> None:
    pointer = prog.read_global("panicstr")
    text = prog.read_string(pointer)
    assert shell.run(f"p s {pointer:#x}") == [f"0x{pointer:08x}", f"0x{pointer:08x} : {text}"]
    # A symbol is its address, as for `p TYPE ADDR`.
    node = prog.symbol("utsname").address + 257
    assert shell.run("p s utsname+257") == [f"0x{node:08x}", f"0x{node:08x} : localhost"]


def test_p_s_errors(shell: Shell) -> None:
    one_error(shell.run("p s 0"), "p s: cannot read 0x0.0x0")
    one_error(shell.run("p s nosuch"), "no symbol 'nosuch'")


def test_x_verified_form(shell: Shell) -> None:
    assert shell.run('x "0xe0000006384ef200+32"') == ["0xe0000006384ef220"]


def test_x_symbols_spaces_and_errors(shell: Shell, prog: Program) -> None:
    table = prog.read_global("proc")
    assert shell.run("x proc + 3 * 700") == [f"{table + 2100:#x}"]
    assert shell.run("x &nproc") == [f"{prog.symbol('nproc').address:#x}"]
    assert shell.run("x 0x76db400.0x7fff0d48 + 8") == ["0x76db400.0x7fff0d50"]
    assert shell.run("x 1 > 0") == ["0x1"]  # an expression command: `>` compares
    one_error(shell.run("x"), 'usage: x "EXPR"')
    one_error(shell.run("x 1 +"), "x: expression: unexpected end of expression")
    one_error(shell.run("x nosuch"), "x: no symbol 'nosuch'")


def test_let(shell: Shell, prog: Program) -> None:
    assert shell.run("Let -b 0xa") == ["1010"]
    assert shell.run("Let -x 1024") == ["0x400"]
    assert shell.run("Let -o 8") == ["010"]
    assert shell.run("Let -d 0x10") == ["16"]
    nproc = prog.read_global("nproc")
    assert shell.run("let nproc") == [f"dec {nproc}  hex {nproc:#x}  oct 0{nproc:o}  "
                                      f"bin {nproc:b}"]
    assert in_radix(0, "o") == "0" and in_radix(0, "b") == "0"
    one_error(shell.run("Let -q 1"), "Let: unknown flag '-q'")
    one_error(shell.run("Let -b"), "Let: which value?")


# -- symbol --------------------------------------------------------------------------------------
def test_symbol_by_name(shell: Shell, prog: Program) -> None:
    sym = prog.symbol("panicstr")
    assert shell.run("symbol panicstr") == [
        f"panicstr  {sym.address:#x}  {sym.size:>5} bytes  object    char *"]
    panic = prog.symbol("panic")
    assert shell.run("symbol panic") == [
        f"panic  {panic.address:#x}  {panic.size:>5} bytes  function"]


def test_symbol_pattern_and_address(shell: Shell, prog: Program) -> None:
    lines = shell.run("symbol sysmap*")
    assert [line.split()[0] for line in lines] == ["sysmap_32bit", "sysmap"]  # by address
    panic = prog.symbol("panic").address
    assert shell.run(f"symbol {panic + 0x14:#x}") == [f"{panic + 0x14:#x} = panic+0x14"]
    assert shell.run("symbol 0x12") == ["0x12: no kernel symbol holds this address"]
    one_error(shell.run("symbol panicst"), "did you mean panicstr")
    one_error(shell.run("symbol zz*"), "no symbol matches 'zz*'")
    one_error(shell.run("symbol"), "usage: symbol")


# -- fields / whatis ---------------------------------------------------------------------------
def test_fields_of_a_type(shell: Shell, prog: Program) -> None:
    layout = prog.types.get("struct buf")
    lines = shell.run("fields buf_t")
    assert lines[0] == f"struct buf (also buf_t): {layout.size} bytes ({layout.size:#x}), " \
        "reconstruction"
    rows = [line.split() for line in lines[2:]]
    members = list(layout.walk())
    named = [r for r in rows if r[-1] != "modelled)"]
    assert [r[-1] for r in named] == [m.name for m in members]
    assert [int(r[0], 16) for r in named] == [m.offset for m in members]
    # Offsets and sizes, gaps included, tile the whole structure.
    assert sum(int(r[1]) for r in rows) == layout.size
    assert "b_un.b_addr" in [r[-1] for r in named]


def test_fields_lists_types_and_suggests(shell: Shell, prog: Program) -> None:
    lines = shell.run("fields")
    names = [line.split()[0] + (" " + line.split()[1] if line.startswith(("struct", "union"))
                                else "") for line in lines[1:]]
    assert sorted(names) == sorted(lay.name for lay in prog.types.layouts())
    one_error(shell.run("fields strct buf"), "did you mean struct buf")


def test_whatis(shell: Shell, prog: Program) -> None:
    sym = prog.symbol("panicstr")
    assert shell.run("whatis panicstr") == [
        f"panicstr: char *  (kernel global at {sym.address:#x}, 4 bytes)"]
    assert shell.run("whatis buf_t") == ["buf_t: typedef of struct buf, 128 bytes (0x80)"]
    assert shell.run("whatis pid_t") == ["pid_t: signed integer, 4 bytes"]
    assert shell.run("whatis panic")[0].startswith("panic: function")
    shell.run("load struct buf from 0xa4da18")
    offset = prog.types.get("struct buf").field("b_un.b_addr").offset
    assert shell.run("whatis b_un.b_addr") == [
        f"b_un.b_addr: caddr_t  (4 bytes at offset {offset:#x} of struct buf, the current "
        "pile's type)"]
    one_error(shell.run("whatis p_pd"), "not a field of struct buf, a kernel symbol or a type")
    one_error(shell.run("whatis"), "usage: whatis NAME")


# -- trace ---------------------------------------------------------------------------------------
def test_trace_processor_is_the_last_event_of_that_cpu(shell: Shell, prog: Program) -> None:
    events = crash_events(prog)
    last = [e for e in events if e.cpu == 0][-1]
    lines = shell.run("trace processor 0")  # the seed keeps no threads: no `Cpu 0 :` line
    banner = render_event(event_trace(prog, last.index), prog.wide)
    banner = banner[:banner.index(banner[0], 1) + 1]  # down to the EVENT block's second rule
    assert lines[:len(banner) + 1] == ["Processor #0", *banner]
    trace = event_trace(prog, last.index)
    rows = [line.split() for line in lines if line.startswith("0x")]
    assert [(int(r[0], 16), int(r[2], 16), r[3]) for r in rows] == [
        (f.sp, f.pc, f.name) for s in trace.segments for f in s.frames]
    one_error(shell.run("trace processor 3"), "processor 3 recorded no crash event")


def test_trace_verbose_processor(shell: Shell, prog: Program) -> None:
    lines = shell.run("trace -v processor 0")
    assert lines[0] == "Processor #0"
    assert lines[1:7] == render_event(event_trace(prog, 1), prog.wide)[:6]
    rows = [line for line in lines if line[:2].strip().isdigit() and line[2:3] == ")"]
    trace = event_trace(prog, 1)
    frames = [(f, s.space) for s in trace.segments for f in s.frames]
    assert [r.split()[1] for r in rows] == [f.name for f, _ in frames]
    assert [int(r.split(")")[0]) for r in rows] == list(range(len(frames)))
    for row, (frame, space) in zip(rows, frames, strict=True):
        stored = frame_arguments(prog, frame.sp, frame.pc, space).values
        assert row.split()[2:] == [f"{stored[i]:#x}" if stored.get(i) is not None else "n/a"
                                   for i in range(4)]
    header = [line for line in lines if line.startswith("LVL")]
    assert len(header) == len(trace.segments)
    assert header[0].split() == ["LVL", "FUNC", "ARG0", "ARG1", "ARG2", "ARG3"]


def test_trace_verbose_shows_stored_arguments(tmp_path: Path) -> None:
    # The seed, with trap() storing arg0 and arg1 (the trap type and the save_state, as
    # thandler passes them) on event 1's first stack.
    sc = load_scenario(SCENARIOS_DIR / f"{SEED}.toml")
    for fn in sc["kernel"]["functions"]:
        if fn["name"] == "trap":
            fn["stored_args"] = [0, 1]
    sc["events"][1]["contexts"][0]["args"] = {"trap+0x514": {"arg0": "trap",
                                                             "arg1": "save_state"}}
    Forge(sc).build(tmp_path)
    lines = Shell(Program.open(tmp_path)).run("trace -v processor 0")
    row = next(line for line in lines if line.startswith(" 2)"))
    assert row.split() == ["2)", "trap+0x514", "0x12", "0x7fff0d48", "n/a", "n/a"]
    # A function that stored nothing shows n/a throughout.
    assert next(line for line in lines if line.startswith(" 0)")).split()[2:] == ["n/a"] * 4


def test_column_tables_fit_their_widest_cell_and_wrap_a_cell_across_column_80() -> None:
    header = ["LVL", "FUNC", "ARG0", "ARG1", "ARG2", "ARG3"]
    wide = "0x400003ffffff0ec0"
    rows = [["0)", "f+0x4", "0x1", "n/a", "n/a", "n/a"],
            ["1)", "a_long_name+0x1c", wide, wide, wide, "n/a"],
            ["2)", "g+0x8", "0x1", "n/a", "n/a", "0x12345678901"]]
    lines = lay_out(["SR5=0x1", header, *rows], frozenset({0}))
    # Columns as wide as their widest cell, header included, two blanks apart.
    assert lines[:3] == ["SR5=0x1",
                         "LVL  FUNC              ARG0                ARG1                "
                         "ARG2                ARG3",
                         " 0)  f+0x4             0x1                 n/a                 "
                         "n/a                 n/a"]
    # Row 1's ARG2 would run from column 63 to 80 and ARG3 start at 83: only ARG2 moves.
    assert lines[3:] == [
        f" 1)  a_long_name+0x1c  {wide}  {wide}",
        f"{'':24}{wide}  n/a",
        " 2)  g+0x8             0x1                 n/a                 n/a                 "
        "0x12345678901"]
    # A cell that ends on column 80 fits.
    assert len(lay_out([["x" * 60, wide]], frozenset())) == 1
    assert len(lay_out([["x" * 61, wide]], frozenset())) == 2


WIDE = "hpux1100-64-dpf-scsi-dequeue"
_FRAME = re.compile(r"^0x[0-9a-f]+ 0x[0-9a-f]{8} (\S+)$")
_ARG = re.compile(r"^ +arg(\d+): (0x[0-9a-f]+|-+n/a-+)$")
_ROW = re.compile(r"^ *(\d+)\)  (\S+) +(.*)$")


def all_args_stack(lines: list[str]) -> list[tuple[str, dict[int, int]]]:
    """crashinfo's `with all args` stack: (frame, {argument: value}) for the readable ones."""
    start = lines.index(next(line for line in lines if line.endswith(" with all args")))
    frames: list[tuple[str, dict[int, int]]] = []
    for line in lines[start + 2:]:
        if (frame := _FRAME.match(line)) is not None:
            frames.append((frame.group(1), {}))
        elif (arg := _ARG.match(line)) is not None and arg.group(2).startswith("0x"):
            frames[-1][1][int(arg.group(1))] = int(arg.group(2), 16)
        elif not line and frames:
            break
    return frames


def verbose_stack(lines: list[str]) -> list[tuple[str, dict[int, int]]]:
    """`trace -v`'s rows: (frame, {argument: value}) for the cells that are not n/a."""
    frames = []
    for line in lines:
        if (row := _ROW.match(line)) is not None:
            cells = row.group(3).split()
            frames.append((row.group(2), {i: int(c, 16) for i, c in enumerate(cells)
                                          if c != "n/a"}))
    return frames


def test_trace_verbose_agrees_with_crashinfo_all_args(
        forged_dump: Callable[[str], Path]) -> None:
    # A wide dump with arguments stored all along its three stacks: p4's `trace -v` and
    # crashinfo's all-args stack read them the same way (q4py.kernel.args.frame_arguments).
    shell = Shell(Program.open(forged_dump(WIDE)))
    report = shell.run("crashinfo events")
    verbose = shell.run("trace -v processor 0")
    event = "= Event #0 is PANIC on CPU #0"
    assert event in verbose and event in report  # the same event: crashinfo's main one
    expected, actual = all_args_stack(report), verbose_stack(verbose)
    assert [name for name, _ in actual] == [name for name, _ in expected]
    assert actual == expected
    # Not vacuous: many frames have arguments, some several, 64-bit values among them.
    values = [v for _, args in expected for v in args.values()]
    assert len(values) >= 20 and max(len(args) for _, args in expected) >= 6
    assert any(v > 0xFFFFFFFF for v in values)
    # Eight argument columns on a wide kernel.
    header = next(line for line in verbose if line.startswith("LVL"))
    assert header.split()[2:] == [f"ARG{i}" for i in range(8)]


def test_trace_pile_of_crash_events(shell: Shell, prog: Program) -> None:
    shell.run("load crash_event_t from &crash_event_table max 2")
    lines = shell.run("trace pile")
    expected = render_event(event_trace(prog, 0), False) + [""] + render_event(
        event_trace(prog, 1), False)
    assert lines == expected


def test_trace_pile_of_save_states(shell: Shell) -> None:
    shell.run("load struct save_state from 0x76db400.0x7fff0d48")
    lines = shell.run("trace pile")
    assert lines[:2] == ["= p struct save_state 0x76db400.0x7fff0d48",
                         "= KERNEL mode at 0x378e0 (pgcopy+0x1e0)"]
    # The same frames as event 1's second stack, which trapped into this save_state.
    event = shell.run("trace event 1")
    start = event.index("0x7fff0d48 0x000378e0 pgcopy+0x1e0") - 2
    assert lines[2:] == event[start:]
    shell.run("load struct save_state from 0x76db400.0x7fff04f0")
    assert shell.run("trace pile") == ["= p struct save_state 0x76db400.0x7fff04f0",
                                       "= USER mode at 0x5bd6400.0x7f7dcba3", "Can't unwind"]


def test_trace_errors(shell: Shell) -> None:
    one_error(shell.run("trace pile"), "no current pile")
    shell.run("load struct mapent from sysmap_32bit max 3")
    one_error(shell.run("trace pile"), "the current pile holds struct mapent")
    for line in ("trace", "trace bogus", "trace -v event 0", "trace -v pile",
                 "trace event", "trace processor x"):
        assert len(shell.run(line)) == 1 and shell.run(line)[0].startswith("q4: "), line
