"""11.00 keeps a proc's name in `pst_ucomms[slot]` and its command line in `pst_cmds[slot]`
(the proc's own bytes are empty): print's columns and every expression (keep, forget, load's
until, `->`, indexing, `&`) read them there, through one rule (q4py.kernel.proclist)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from helpers import Shell

from q4py.kernel.procs import processes
from q4py.layouts.proc import PST_UCOMMLEN
from q4py.program import Program


@pytest.fixture(scope="module")
def prog(forged_dump: Callable[[str], Path]) -> Program:
    return Program.open(forged_dump("hpux1100-64-dpf-atq"))


def test_the_proc_itself_holds_no_name(prog: Program) -> None:
    """What makes the rule necessary: the 11.00 proc's own p_comm bytes are empty."""
    vhand = next(p for p in processes(prog) if p.command == "vhand")
    assert prog.read_struct("struct proc", vhand.address).p_comm.strip(b"\0") == b""


def test_keep_forget_and_until_see_the_name_print_shows(prog: Program) -> None:
    shell = Shell(prog)
    vhand = next(p for p in processes(prog) if p.command == "vhand")
    shell.run("load proc_t from proc max nproc")
    assert shell.run('keep p_comm == "vhand"')[0].startswith("kept 1 of ")
    assert shell.run("print addrof p_pid p_comm")[1].split() == [
        f"{vhand.address:#x}", str(vhand.pid), '"vhand"']
    shell.run("recall 1")
    assert shell.run('keep p_comm =~ "^vh" && p_comm[1] == 0x68')[0].startswith("kept 1 of ")
    shell.run("recall 1")
    assert shell.run('forget p_comm != "vhand"')[0].endswith(", kept 1")
    text = shell.text('load proc_t from proc max nproc until p_comm == "vhand"')
    assert text.startswith(f"loaded {vhand.slot} proc_ts as an array")
    assert f"(stopped by until at 0x0.0x{vhand.address >> 32:08x}'{vhand.address:08x})" in text


def test_pointers_and_addresses_lead_to_the_same_place(prog: Program) -> None:
    shell = Shell(prog)
    vhand = next(p for p in processes(prog) if p.command == "vhand")
    where = prog.read_global("pst_ucomms") + vhand.slot * PST_UCOMMLEN
    assert shell.run(f'x ((struct proc *){vhand.address:#x})->p_comm[0] == 0x76') == ["0x1"]
    assert shell.run(f"x ((struct proc *){vhand.address:#x})->p_comm") == [f"{where:#x}"]
    shell.run(f"load proc_t from {vhand.address:#x} max 1")
    assert shell.run(f"keep &p_comm == {where:#x}")[0] == "kept 1 of 1 proc_t, discarded 0"


def test_11i_names_stay_in_the_proc(forged_dump: Callable[[str], Path]) -> None:
    prog = Program.open(forged_dump("hpux1111-64-spinlock-process-lock"))
    shell = Shell(prog)
    shell.run("load proc_t from proc_list max nproc next p_factp")
    assert shell.run('keep p_comm == "vhand"')[0].startswith("kept 1 of ")
    address = int(shell.run("print addrof")[1], 16)
    assert shell.run("keep &p_comm == addrof + 0")[0] == (
        "kept 0 of 1 proc_t, discarded 1; no pile made")
    offset = prog.types.get("struct proc").field("p_comm").offset
    assert shell.run(f"keep &p_comm == {address + offset:#x}")[0] == (
        "kept 1 of 1 proc_t, discarded 0")


def test_the_library_reads_the_same_place(forged_dump: Callable[[str], Path]) -> None:
    import q4py

    dump = q4py.open(forged_dump("hpux1100-64-dpf-atq"))
    vhand = next(p for p in processes(dump.program) if p.command == "vhand")
    assert dump.struct("proc_t", vhand.address).p_comm.value_() == "vhand"
