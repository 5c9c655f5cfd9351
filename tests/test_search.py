"""Finding things in memory on every fixture dump: search, whatis ADDR, vtop, ptov, and
`No translation` for reads of unmapped addresses."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from q4py.kernel.pdir import pdir_entries
from q4py.kernel.pfdat import pfdat_segments
from q4py.kernel.procs import processes
from q4py.kernel.threads import has_threads, threads
from q4py.program import Program
from tests.conftest import SCENARIOS_DIR
from tests.helpers import Shell

FIXTURES = sorted(p.stem for p in SCENARIOS_DIR.glob("*.toml"))


@pytest.fixture(scope="module", params=FIXTURES)
def prog(request: pytest.FixtureRequest, forged_dump: Callable[[str], Path]) -> Program:
    return Program.open(forged_dump(request.param))


def test_search_finds_values_pointers_and_strings(prog: Program) -> None:
    shell = Shell(prog)
    freemem = prog.symbol("freemem").address
    value = prog.read_global("freemem")
    hits = shell.run(f"search -r {freemem & ~0xFFF:#x} {(freemem | 0xFFF) + 1:#x} {value:#x}")
    assert f"{freemem:#x}: {value:#x}  freemem" in hits
    # Every hit holds the value (the search reads what the dump holds, nothing else).
    for line in hits:
        address = int(line.split(":")[0], 16)
        assert prog.read_u32(address) == value
    uts = prog.symbol("utsname").address  # struct utsname begins with sysname, "HP-UX"
    found = shell.run('search -c "HP-UX"')
    assert f'{uts:#x}: "HP-UX"  utsname' in found, found
    table = next(name for name in ("proc_list", "proc", "kthread_list", "mpproc_info")
                 if prog.has_symbol(name) and prog.read_global(name))
    pointer = prog.read_global(table)
    assert f"{prog.symbol(table).address:#x}: {pointer:#x}  {table}" in shell.run(
        f"search -p {pointer:#x}")


def test_search_over_nothing_is_one_line(prog: Program) -> None:
    shell = Shell(prog)
    beyond = prog.crashdir.memory.memsize
    assert shell.run(f"search -r {beyond:#x} {beyond + 0x2000:#x} 1") == [
        f"q4: search: no page of {beyond:#x}-{beyond + 0x2000:#x} is in the dump"]
    assert shell.run("search -s 0x7 1") == [
        "q4: search: no page of 0x7.0x0-0x"
        f"{1 << (64 if prog.wide else 32):x} is in the dump with a translation"]
    assert shell.run("search \"1 +\"") == [
        "q4: search: VALUE: expression: unexpected end of expression at column 4"]
    assert shell.run("search -q 1")[0].startswith("q4: usage: search")
    assert shell.run("x 1") == ["0x1"]  # the session goes on


def test_whatis_an_address(prog: Program) -> None:
    shell = Shell(prog)
    freemem = prog.symbol("freemem").address
    lines = shell.run(f"whatis {freemem + 2:#x}")
    assert lines[0] == f"{freemem + 2:#x}:"
    assert lines[1] == "  freemem+0x2 (kernel global int)"
    assert lines[-1].startswith(f"  physical page {freemem >> 12:#x} ")
    assert shell.run("whatis panic+0x14")[1] == "  panic+0x14 (kernel function)"
    for proc in processes(prog)[:3]:
        text = "\n".join(shell.run(f"whatis {proc.address + 4:#x}"))
        assert f"+0x4: struct proc of pid {proc.pid} \"{proc.command}\"" in text
    if has_threads(prog):
        for thread in threads(prog)[:3]:
            where = (f"{thread.uarea_space:#x}.{thread.uarea + 0x40:#x}" if thread.uarea_space
                     else f"{thread.uarea + 0x40:#x}")
            text = "\n".join(shell.run(f"whatis {where}"))
            assert f"the u-area and kernel stack of tid {thread.tid} " in text
            assert "*uptr+0x40" in text
    start, _ = pfdat_segments(prog)[0]
    size = prog.types.get("struct pfdat").size
    pfn = prog.read_struct("struct pfdat", start + 3 * size).pf_pfn
    assert f"  the pfdat entry of page frame {pfn:#x}, +0x0, member pf_" in "\n".join(
        shell.run(f"whatis {start + 3 * size:#x}"))
    assert shell.run("whatis 0x7.0x1000") == ["0x7.0x1000:", "  no translation: no page holds it"]


def test_vtop_and_ptov_agree_with_the_page_directory(prog: Program) -> None:
    shell = Shell(prog)
    mapped = [row for row in pdir_entries(prog) if row.space]
    for row in mapped[:3]:
        va = row.vpage << 12 | 0x10
        pa = row.phys << 12 | 0x10
        lines = shell.run(f"vtop {row.space:#x}.{va:#x}")
        assert lines[0] == f"VA {row.space:#x}.{va:#x} translates to PA {pa:#x}"
        assert lines[1] == f"  Page table entry: hpde2_0_t {row.address:#x}"
        assert f"  {row.space:#x}.{va:#x}  (hpde2_0_t {row.address:#x})" in shell.run(
            f"ptov {pa:#x}")
    freemem = prog.symbol("freemem").address
    assert shell.run(f"vtop {freemem:#x}") == [
        f"VA 0x0.{freemem:#x} is equivalently mapped to PA {freemem:#x} (no hpde2_0_t of "
        "its own)"]
    ptov = shell.run(f"ptov {freemem:#x}")
    assert ptov[:2] == [f"PA {freemem:#x} (page frame {freemem >> 12:#x}, in the dump):",
                        f"  0.{freemem:#x}  (space 0, equivalently mapped)"]
    assert shell.run("vtop 0x7.0x1000")[0] == "VA 0x7.0x1000 does not have a translation."


def test_unmapped_reads_say_no_translation(prog: Program) -> None:
    shell = Shell(prog)
    assert shell.run("p s 0x7.0x1000") == ["0x7.0x00001000", "No translation"]
    assert shell.run("p struct proc 0x7.0x1000") == ["0x7.0x00001000", "0x00001000 :",
                                                     "No translation"]
