"""Issue 11's workbench on every fixture dump, one dump at a time: pipes and shell escapes,
`set`, `q4 -c`, the banner, the crash-style aliases and `dis`, `whatis` of what the dump holds,
a library round trip. (Expressions, search/vtop/ptov, JSON and the library's tables have their
own tests over every fixture: test_expr_typed, test_search, test_json, test_library; the pager
on a real terminal is test_terminal's.)"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from helpers import Shell

import q4py
from q4py.cli import main
from q4py.kernel.bufs import free_list_bufs
from q4py.kernel.events import crash_events
from q4py.kernel.identify import page_description
from q4py.kernel.procs import processes
from q4py.layouts.buf import BQUEUES
from q4py.program import Program
from q4py.render.banner import render_banner
from tests.conftest import SCENARIOS_DIR

FIXTURES = sorted(p.stem for p in SCENARIOS_DIR.glob("*.toml"))


@pytest.fixture(scope="module", params=FIXTURES)
def dump(request: pytest.FixtureRequest, forged_dump: Callable[[str], Path]) -> Path:
    return forged_dump(request.param)


@pytest.fixture(scope="module")
def prog(dump: Path) -> Program:
    return Program.open(dump)


def test_pipes_escapes_and_set(prog: Program) -> None:
    shell = Shell(prog)
    general = shell.run("crashinfo general")
    assert shell.run("crashinfo general | wc -l") == [str(len(general))]
    assert shell.run("crashinfo general | grep -c 'Node Name'") == ["1"]
    assert shell.run("!echo q4py") == ["q4py"]
    assert shell.run("crashinfo general | no-such-program-q4py") == [  # one line, goes on
        "q4: shell: 'no-such-program-q4py': not found (exit status 127)"]
    assert shell.run("set radix x") == ["radix  x"]
    shell.run("load struct pfdat from pfdat max 2")
    assert shell.run("print pf_pfn") == ["pf_pfn", "     0", "   0x1"]
    assert shell.run("set radix q") == ["q4: set radix: unknown value 'q' (one of: auto, x, d, o)"]


def test_banner(prog: Program) -> None:
    lines = render_banner(prog)
    text = "\n".join(lines)
    assert "(unreadable)" not in text
    host = prog.read_global("utsname").nodename.split(b"\0")[0].decode()
    assert f"HOST: {host}" in text
    events = crash_events(prog)
    crash = next(line for line in lines if line.lstrip().startswith("CRASH:"))
    panic = prog.read_global("panicstr")
    if panic:
        assert crash.split(": ", 1)[1].startswith('PANIC "')
    else:
        assert crash.split(": ", 1)[1].startswith(f"{events[0].kind} on processor ")
    assert f"({prog.read_global('physmem')} pages)" in text


def test_crash_style_names(prog: Program) -> None:
    shell = Shell(prog)
    assert shell.run("bt event 0") == shell.run("trace event 0")
    assert shell.run("log") == shell.run("crashinfo msgbuf")
    assert shell.run("sym freemem") == shell.run("symbol freemem")
    assert [line.split() for line in shell.run("rd &freemem using D")] == [
        ["freemem:", str(prog.read_global("freemem"))]]
    listed = shell.run("ps")
    assert listed[0].split()[:3] == ["PROC", "PID", "PPID"]
    count = len(processes(prog))  # a header, a line per process, the count
    assert len(listed) == count + 2 and listed[-1] == f"{count} processes"
    dis = shell.run("dis panic 2")
    assert [line.split(":")[0] for line in dis] == ["panic", "panic+0x4"]


def test_whatis_of_what_the_dump_holds(prog: Program) -> None:
    shell = Shell(prog)
    proc = processes(prog)[0]
    assert f"struct proc of pid {proc.pid} " in "\n".join(shell.run(f"whatis {proc.address:#x}"))
    assert shell.run("whatis &bfreelist[1]")[1] == (
        "  bfreelist[1]+0x0 (kernel global struct buf[4], member b_flags)")
    # The kernel's text and globals lie in pages of their classes.
    assert page_description(prog, prog.symbol("panic").address >> 12).startswith(
        "a page of class text ")
    assert page_description(prog, prog.symbol("freemem").address >> 12).startswith(
        ("a page of class data ", "a page of class bss "))
    # Every dump has the free-list heads; an empty queue's head points at itself both ways.
    layout = prog.types.get("struct buf")
    heads = prog.symbol("bfreelist").address
    queued = {b.queue for b in free_list_bufs(prog)}
    for queue in set(range(BQUEUES)) - queued:
        head = prog.read_struct(layout, heads + queue * layout.size)
        assert head.av_forw == head.av_back == heads + queue * layout.size


def test_q4_dash_c_and_json(dump: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["-c", "symbol freemem; ps | head -1; nonsense", str(dump)]) == 1
    out = capsys.readouterr()
    assert "freemem" in out.out and "q4: unknown command 'nonsense'" in out.err + out.out
    assert main(["--json", "-c", "crashinfo general", str(dump)]) == 0
    assert capsys.readouterr().out.startswith('{"q4py": 1, "command": "crashinfo general"')


def test_the_library_opens_it(dump: Path) -> None:
    opened = q4py.open(dump)
    assert int(opened["freemem"]) == opened.program.read_global("freemem")
    address = opened.symbol("freemem").address
    assert repr(opened["freemem"]) == (f"Object('int', address={address:#x}, "
                                       f"value={int(opened['freemem'])})")
    assert [p.pid for p in opened.processes()] == [p.pid for p in processes(opened.program)]


def test_widest_columns_and_names_in_scripts(prog: Program) -> None:
    from q4py.scripting import Q4Script

    shell = Shell(prog)
    table = "proc_list next p_factp" if prog.has_symbol("proc_list") else "proc"
    shell.run(f"load struct proc from {table} max nproc")
    shell.run("keep p_stat != 0")
    shell.run("set print_columns widest")
    rows = shell.run("print p_pid p_comm addrof")
    assert len({len(row) for row in rows[1:]}) == 1, rows[:5]  # every row as wide
    q4 = Q4Script(shell.session, "test")
    names = [q4.struct(item).p_comm.value_() for item in shell.session.piles.current.items]
    assert names == [p.command for p in processes(prog)]
