"""The pile commands on forged dumps: load (array, list, every stop reason, skip, until),
print in every mode, keep/forget, history/recall/name/discard, and the verified 64-bit session.

The dumps are the seed scenario plus `struct buf` objects placed with the forge's generic object
layer; every expected figure below comes from the field values written here.
"""

from __future__ import annotations

import copy
import os
from array import array
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest
from helpers import Shell
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from q4py import expr
from q4py import piles as piles_module
from q4py.commands import load as load_module
from q4py.commands.print_ import format_numbers, table_lines
from q4py.errors import ReadError
from q4py.forge.build import Forge
from q4py.forge.scenario import load_scenario
from q4py.layouts import NARROW, WIDE, registry_for
from q4py.piles import amount
from q4py.program import Program

SEED = Path(__file__).resolve().parent.parent / "fixtures" / "scenarios" / (
    "hpux1100-32-kalloc-sysmap.toml")

LIST_A = (0x3000000, 0x3000100, 0x3000200)  # ends in a bad read at BAD
BAD = 0x5555000  # a page the forge never writes
LIST_B = (0x3010000, 0x3010100)  # NULL-terminated
CYCLE = (0x3020000, 0x3020100, 0x3020200)  # the last points back at the second
ARRAY = 0x302FE80  # three consecutive 0x80-byte bufs ending at the page 0x3030000 (unwritten)
RING = (0x3040000, 0x3040100, 0x3040200)  # circular, the first is a list head


def _buf(address: int, **fields: Any) -> dict[str, Any]:
    return {"type": "struct buf", "address": address, "symbol": "", "fields": fields}


def _narrow_objects() -> list[dict[str, Any]]:
    return [
        _buf(LIST_A[0], b_flags=1, av_forw=LIST_A[1], b_dev=0x1F000001,
             b_un={"b_addr": 0x4000}, b_bcount=8192),
        _buf(LIST_A[1], b_flags=0x10203, av_forw=LIST_A[2], b_dev=-1, b_blkno=0x12345678),
        _buf(LIST_A[2], b_flags=3, av_forw=BAD, b_bcount=512),
        _buf(LIST_B[0], b_flags=2, av_forw=LIST_B[1]),
        _buf(LIST_B[1], b_flags=4, av_forw=0),
        _buf(CYCLE[0], av_forw=CYCLE[1]),
        _buf(CYCLE[1], av_forw=CYCLE[2]),
        _buf(CYCLE[2], av_forw=CYCLE[1]),
        *[_buf(ARRAY + 0x80 * i, b_flags=10 * (i + 1), b_bcount=i) for i in range(3)],
        _buf(RING[0], av_forw=RING[1]),
        _buf(RING[1], av_forw=RING[2], b_flags=5),
        _buf(RING[2], av_forw=RING[0], b_flags=6),
    ]


@pytest.fixture(scope="module")
def scenario() -> dict[str, Any]:
    sc = load_scenario(SEED)
    sc["objects"] = list(sc["objects"]) + _narrow_objects()
    return sc


@pytest.fixture(scope="module")
def narrow_dump(scenario: dict[str, Any], tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("piles-narrow")
    Forge(scenario).build(out)
    return out


@pytest.fixture(scope="module")
def program(narrow_dump: Path) -> Program:
    return Program.open(narrow_dump)



@pytest.fixture
def shell(program: Program) -> Shell:
    return Shell(program)


def _addr(offset: int, space: int = 0) -> str:
    return f"{space:#x}.{offset:#x}"


# -- load: the shapes and every stop reason -------------------------------------------------------
def test_load_list_stopped_by_bad_read_in_q4s_exact_words(shell: Shell) -> None:
    text = shell.text(f"load struct buf from {LIST_A[0]:#x} next av_forw max 10")
    assert text == ("loaded 3 struct bufs as a linked list \n\n"
                    f"(stopped by bad read at {_addr(BAD)})\n\n")
    pile = shell.piles.current
    assert (pile.number, pile.layout_kind, pile.type_name) == (1, "list", "struct buf")
    assert [i.address for i in pile] == list(LIST_A)
    assert [i.index for i in pile] == [0, 1, 2]
    assert pile.command == f"load struct buf from {LIST_A[0]:#x} next av_forw max 10"


def test_load_list_ending_at_null_prints_no_reason(shell: Shell) -> None:
    assert shell.text(f"load struct buf from {LIST_B[0]:#x} next av_forw") == (
        "loaded 2 struct bufs as a linked list \n\n")
    assert [i.value.b_flags for i in shell.piles.current] == [2, 4]


def test_load_list_stopped_by_loop(shell: Shell) -> None:
    assert shell.text(f"load struct buf from {CYCLE[0]:#x} next av_forw max 100") == (
        f"loaded 3 struct bufs as a linked list \n\n(stopped by loop at {_addr(CYCLE[1])})\n\n")


def test_load_list_stopped_by_max_count(shell: Shell) -> None:
    assert shell.text(f"load struct buf from {LIST_A[0]:#x} max 2 next av_forw") == (
        "loaded 2 struct bufs as a linked list \n\n(stopped by max count)\n\n")


def test_load_list_default_max(shell: Shell, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(load_module, "LIST_MAX", 2)
    assert shell.text(f"load struct buf from {LIST_A[0]:#x} next av_forw").endswith(
        "(stopped by max count)\n\n")
    assert shell.piles.current.count == 2


def test_load_stops_at_the_memory_limit_whatever_max_says(
        shell: Shell, monkeypatch: pytest.MonkeyPatch) -> None:
    # As if 2 structures with their addresses and indexes took half the memory available.
    monkeypatch.setattr(piles_module, "available_memory", lambda: 2 * 2 * (0x80 + 24) + 1)
    assert shell.text(f"load struct buf from {CYCLE[0]:#x} next av_forw max 0x7fffffffffffffff"
                     ) == ("loaded 2 struct bufs as a linked list \n\n"
                           "(stopped by the limit of 2 structures (304 bytes: half the memory "
                           "available))\n\n")
    assert shell.text(f"load struct buf from {ARRAY:#x} max 3") == (
        "loaded 2 struct bufs as an array \n\n(stopped by the limit of 2 structures (304 bytes: "
        "half the memory available))\n\n")
    assert [i.address for i in shell.piles.current] == [ARRAY, ARRAY + 0x80]


def test_the_memory_limit_follows_the_memory_available(monkeypatch: pytest.MonkeyPatch) -> None:
    physical = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
    assert 0 < piles_module.available_memory() <= physical
    monkeypatch.setattr(piles_module, "available_memory", lambda: 8 << 30)
    assert piles_module.pile_limit(48) == (4 << 30) // 72  # 16 M pfdat entries fit
    monkeypatch.setattr(piles_module, "available_memory", lambda: 10)
    assert piles_module.pile_limit(48) == 1
    assert piles_module.amount(3 << 29) == "1.5 GiB" and piles_module.amount(340 << 20) == "340 MiB"


def test_load_until_and_skip_on_a_circular_list(shell: Shell) -> None:
    # The head is skipped; `until` ends the walk when it comes back to the head.
    text = shell.text(f"load struct buf from {RING[0]:#x} next av_forw skip 1 "
                     f"until addrof == {RING[0]:#x}")
    assert text == ("loaded 2 struct bufs as a linked list \n\n"
                    f"(stopped by until at {_addr(RING[0])})\n\n")
    assert [(i.address, i.index) for i in shell.piles.current] == [(RING[1], 1), (RING[2], 2)]
    # `until` with a member, clauses in another order.
    assert shell.text(f"load struct buf until b_flags == 3 next av_forw from {LIST_A[0]:#x}") == (
        f"loaded 2 struct bufs as a linked list \n\n(stopped by until at {_addr(LIST_A[2])})\n\n")


def test_load_list_skip(shell: Shell) -> None:
    shell.text(f"load struct buf from {LIST_A[0]:#x} next av_forw skip 1")
    assert [i.address for i in shell.piles.current] == list(LIST_A[1:])


def test_load_array(shell: Shell) -> None:
    assert shell.text(f"load struct buf from {ARRAY:#x} max 3") == (
        "loaded 3 struct bufs as an array \n\n")
    pile = shell.piles.current
    assert pile.layout_kind == "array"
    assert [i.address for i in pile] == [ARRAY, ARRAY + 0x80, ARRAY + 0x100]
    assert [i.value.b_flags for i in pile] == [10, 20, 30]
    # One more than there is: the page after the array is not in the dump.
    assert shell.text(f"load struct buf from {ARRAY:#x} max 5") == (
        "loaded 3 struct bufs as an array \n\n"
        f"(stopped by bad read at {_addr(ARRAY + 0x180)})\n\n")
    # Without max an array is one structure.
    assert shell.text(f"load struct buf from {ARRAY:#x}") == "loaded 1 struct buf as an array \n\n"
    # skip jumps over elements; their index stays their array index.
    shell.text(f"load struct buf from {ARRAY:#x} skip 1 max 2")
    assert [(i.address, i.index) for i in shell.piles.current] == [
        (ARRAY + 0x80, 1), (ARRAY + 0x100, 2)]
    assert shell.text(f"load struct buf from {ARRAY:#x} max 9 until b_bcount == 2").endswith(
        f"(stopped by until at {_addr(ARRAY + 0x100)})\n\n")
    # A skip past the end of the 32-bit space names the real address, not a masked one.
    assert shell.text(f"load struct buf from {ARRAY:#x} skip 99999999999999") == (
        "loaded 0 struct bufs as an array \n\n(stopped by bad read at "
        "0x0.0x002d7988'4022fe00: beyond the 32-bit address space)\n\n")


def test_load_array_from_a_symbol_with_max_from_a_symbol(
        shell: Shell, program: Program, scenario: dict[str, Any]) -> None:
    nproc = program.read_global("nproc")
    assert shell.text("load struct proc from proc max nproc") == (
        f"loaded {nproc} struct procs as an array \n\n")
    pile = shell.piles.current
    assert pile.items[0].address == program.read_global("proc")
    # A typedef keeps its spelling in messages.
    assert shell.text("load proc_t from proc max 2") == "loaded 2 proc_ts as an array \n\n"
    assert shell.piles.current.type_name == "proc_t"
    # keep on the process table: as many as the scenario has processes.
    shell.text("load struct proc from proc max nproc")
    live = len(scenario["processes"]) + sum(g["count"] for g in scenario["process_groups"])
    assert shell.text("keep p_stat != 0") == (
        f"kept {live} of {nproc} struct procs, discarded {nproc - live}\n")


def test_load_from_a_space_offset_address(shell: Shell, program: Program,
                                          scenario: dict[str, Any]) -> None:
    event = scenario["events"][0]
    space, offset = event["space"], event["stack_base"]
    assert shell.text(f"load struct buf from {space:#x}.{offset:#x} max 1") == (
        "loaded 1 struct buf as an array \n\n")
    item = shell.piles.current.items[0]
    assert (item.space, item.address) == (space, offset)
    row = shell.run("print -x spaceof addrof physaddrof")[1].split()
    assert row[:2] == [hex(space), hex(offset)]
    physical = int(row[2], 16)
    assert physical != offset and physical & 0xFFF == offset & 0xFFF
    assert program.read(physical, 32) == program.read(offset, 32, space)


def test_load_that_finds_nothing_makes_no_pile(shell: Shell) -> None:
    assert shell.text(f"load struct buf from {BAD:#x} next av_forw") == (
        f"loaded 0 struct bufs as a linked list \n\n(stopped by bad read at {_addr(BAD)})\n\n")
    assert shell.piles.empty
    assert shell.text(f"load struct buf from {LIST_B[0]:#x} next av_forw max 0") == (
        "loaded 0 struct bufs as a linked list \n\n(stopped by max count)\n\n")
    assert shell.piles.empty


def test_ctrl_c_during_a_walk_leaves_the_history_unchanged(
        shell: Shell, program: Program, monkeypatch: pytest.MonkeyPatch) -> None:
    shell.text(f"load struct buf from {LIST_B[0]:#x} next av_forw")
    before = shell.piles.list()
    calls = {"n": 0}
    real = program.read

    def interrupted(*args: Any, **kwargs: Any) -> Any:
        # The walk reads a window at a time: the first holds LIST_A's three structures, the
        # second read is on the way to the next one.
        calls["n"] += 1
        if calls["n"] == 2:
            raise KeyboardInterrupt
        return real(*args, **kwargs)

    monkeypatch.setattr(program, "read", interrupted)
    with pytest.raises(KeyboardInterrupt):
        shell.session.execute(f"load struct buf from {LIST_A[0]:#x} next av_forw")
    assert shell.piles.list() == before


@pytest.mark.parametrize(("line", "message"), [
    ("load", "q4: usage: load TYPE from EXPR [max EXPR] [next FIELD] [skip EXPR] [until EXPR]"),
    ("load struct", "q4: load: 'struct' needs a tag, e.g. 'load struct proc from ...'"),
    ("load struct buf", "q4: load: where from? (usage: load TYPE from EXPR [max EXPR] "
                        "[next FIELD] [skip EXPR] [until EXPR])"),
    ("load struct buf from", "q4: load: 'from' needs an expression"),
    ("load struct buf 0x100", "q4: load: unexpected '0x100' after the type: expected one of "
                              "from, max, next, skip, until"),
    ("load struct buf from 1 max 2 max 3", "q4: load: 'max' is given twice"),
    ("load struct nothing from 0", "q4: load: unknown type 'struct nothing' "
                                   "(try 'fields' for the list of types)"),
    ("load struct buf from 0x3000000 next nope", "q4: load: next: struct buf has no field "
                                                 "'nope'"),
    ("load struct buf from 0x3000000 next b_flags", "q4: load: next: 'b_flags' is a int, "
                                                    "not a pointer"),
    ("load struct buf from 0x3000000 next av_forw b_back", "q4: load: 'next' takes one field "
                                                           "name, not 'av_forw b_back'"),
    ("load struct buf from 1 +", "q4: load: from: expression: unexpected end of expression at "
                                 "column 4"),
    ("load struct buf from nosym", "q4: load: from: no symbol 'nosym' in the kernel"),
    ("load struct buf from 0x3000000 max (3", "q4: load: max: expression: unexpected end of "
     "expression at column 3: ')' expected to close the '(' at column 1"),
    ("load struct buf from 0x3000000 until ==", "q4: load: until: expression: unexpected '==' "
                                                "at column 1"),
    ("load struct buf from 0x3000000 until nope == 1", "q4: load: 'nope' is neither a field of "
                                                       "struct buf nor a kernel symbol"),
])
def test_load_errors_are_one_line(shell: Shell, line: str, message: str) -> None:
    assert shell.text(line) == message + "\n"
    assert shell.piles.empty


# -- print ----------------------------------------------------------------------------------------
def test_table_lines_reproduce_the_verified_rows() -> None:
    headers = ["addrof", "av_forw", "av_back", "b_dev", "b_flags"]
    columns = [["0x4076da18", "0x4076ee00"], ["0x4076ee00", "0x18191a1b1c1d1e1f"],
               ["0x4076eefd", "0x2021222324252627"], ["0", "0x4c4d4e4f"], ["0", "0x10203"]]
    assert list(table_lines(headers, columns)) == [
        "   addrof    av_forw    av_back b_dev b_flags",
        "0x4076da18 0x4076ee00 0x4076eefd     0       0",
        "0x4076ee00 0x18191a1b1c1d1e1f 0x2021222324252627 0x4c4d4e4f 0x10203",
    ]
    # The rule written down: widths from the header and the first row; the header's first
    # name justified one column less; later rows overflow.
    assert list(table_lines(["a", "bb"], [["xyz", "12345"], ["1", "123"]])) == [
        " a bb", "xyz  1", "12345 123"]
    assert list(table_lines(["name"], [[]])) == ["name"]


def test_format_numbers_radixes() -> None:
    assert [format_numbers([0], r)[0] for r in ("x", "o", "d", None)] == ["0", "0", "0", "0"]
    assert format_numbers([0x10203, 0], "x") == ["0x10203", "0"]
    assert format_numbers(array("q", [8]), "o") == ["010"]
    assert format_numbers([-1, 2], "x", size=4) == ["0xffffffff", "0x2"]
    assert format_numbers([-1], "o", size=2) == ["0177777"]
    assert format_numbers([-1], "d", size=4) == ["-1"]
    assert format_numbers([255], None) == ["255"]
    assert format_numbers([255], None, hex_default=True) == ["0xff"]
    # physaddrof without a translation: n/a, the other values formatted as usual
    assert format_numbers([0x1000, None, 0], None, hex_default=True) == ["0x1000", "n/a", "0"]
    assert format_numbers([-1, None], "x", size=2) == ["0xffff", "n/a"]


def test_print_hex_table_with_the_column_rule(shell: Shell) -> None:
    shell.text(f"load struct buf from {LIST_A[0]:#x} next av_forw")
    assert shell.run("print -x addrof av_forw b_dev b_flags") == [
        "  addrof   av_forw      b_dev b_flags",
        "0x3000000 0x3000100 0x1f000001     0x1",
        "0x3000100 0x3000200 0xffffffff 0x10203",
        "0x3000200 0x5555000          0     0x3",
    ]
    # A value longer than the first row's overflows its column.
    assert shell.run("print -x b_blkno b_flags") == [
        "b_blkno b_flags",
        "      0     0x1",
        "0x12345678 0x10203",
        "      0     0x3",
    ]


def test_print_radixes_and_pseudo_fields(shell: Shell) -> None:
    shell.text(f"load struct buf from {LIST_A[0]:#x} next av_forw")
    # Default: integers decimal (signed ones signed), pointers and addresses hex.
    assert shell.run("print indexof addrof b_flags av_forw b_dev") == [
        "indexof    addrof b_flags   av_forw     b_dev",
        "      0 0x3000000       1 0x3000100 520093697",
        "      1 0x3000100   66051 0x3000200        -1",
        "      2 0x3000200       3 0x5555000         0",
    ]
    assert shell.run("print -d addrof av_forw") == [
        " addrof  av_forw", "50331648 50331904", "50331904 50332160", "50332160 89477120"]
    assert shell.run("print -o b_flags spaceof") == [
        "b_flags spaceof", "     01       0", "0201003       0", "     03       0"]
    assert shell.run("print -x b_un.b_addr physaddrof") == [
        "b_un.b_addr physaddrof", "     0x4000  0x3000000", "          0  0x3000100",
        "          0  0x3000200"]


def test_print_every_member_without_a_field_list(shell: Shell, program: Program) -> None:
    shell.text(f"load struct buf from {LIST_B[0]:#x} next av_forw")
    lines = shell.run("print -x")
    names = [f.name for f in program.types.get("struct buf").walk()]
    assert lines[0].split() == names
    assert "b_un.b_addr" in names
    assert len(lines) == 3
    assert lines[1].split()[names.index("av_forw")] == hex(LIST_B[1])
    assert lines[2].split()[names.index("b_flags")] == "0x4"


def test_print_tall(shell: Shell, program: Program) -> None:
    shell.text(f"load struct buf from {LIST_B[0]:#x} next av_forw")
    lines = shell.run("print -t")
    members = [f.name for f in program.types.get("struct buf").walk()]
    block = 4 + len(members)
    assert len(lines) == 2 * block + 1 and lines[block] == ""
    assert lines[:6] == ["indexof 0", "spaceof 0", f"addrof {LIST_B[0]:#x}",
                         f"physaddrof {LIST_B[0]:#x}", "b_flags 2", "b_forw 0"]
    assert lines[block + 1:block + 5] == ["indexof 1", "spaceof 0", f"addrof {LIST_B[1]:#x}",
                                          f"physaddrof {LIST_B[1]:#x}"]
    assert shell.run("print -tx b_flags av_forw") == [
        "b_flags 0x2", f"av_forw {LIST_B[1]:#x}", "", "b_flags 0x4", "av_forw 0"]
    assert shell.run("print -t -o b_flags") == ["b_flags 02", "", "b_flags 04"]


def test_print_char_arrays_as_strings(shell: Shell, program: Program) -> None:
    assert shell.text("load struct utsname from &utsname") == (
        "loaded 1 struct utsname as an array \n\n")
    uts = program.read_global("utsname")
    sysname = uts.sysname.split(b"\0")[0].decode()
    release = uts.release.split(b"\0")[0].decode()
    assert shell.run("print sysname release") == [
        f'{"sysname":>{len(sysname) + 1}} {"release":>{len(release) + 2}}',
        f'"{sysname}" "{release}"']


@pytest.mark.parametrize(("line", "message"), [
    ("print nope", "q4: print: struct buf has no field 'nope'"),
    ("print -q", "q4: print: unknown flag '-q' (usage: print [-x|-d|-o] [-t] [FIELD ...])"),
    ("print -x -d", "q4: print: choose one radix: -x, -d or -o"),
    ("print b_flags -x", "q4: print: flags come before the fields "
                         "(usage: print [-x|-d|-o] [-t] [FIELD ...])"),
])
def test_print_errors(shell: Shell, line: str, message: str) -> None:
    shell.text(f"load struct buf from {LIST_B[0]:#x} next av_forw")
    assert shell.text(line) == message + "\n"


def test_commands_on_an_empty_history_say_load_first(shell: Shell) -> None:
    for line in ("print", "keep 1", "forget 1", "discard", "name it x"):
        assert shell.text(line) == "q4: no current pile: load something first\n", line
    assert shell.text("history") == "q4: no piles yet: load something first\n"


# -- keep / forget --------------------------------------------------------------------------------
def test_keep_and_forget(shell: Shell) -> None:
    shell.text(f"load struct buf from {LIST_A[0]:#x} next av_forw")
    assert shell.text("keep b_flags == 3") == "kept 1 of 3 struct bufs, discarded 2\n"
    kept = shell.piles.current
    assert (kept.number, kept.layout_kind, kept.command) == (2, "kept", "keep b_flags == 3")
    assert [(i.address, i.index) for i in kept] == [(LIST_A[2], 2)]
    shell.text("recall 1")
    assert shell.text("forget b_flags == 3") == "forgot 1 of 3 struct bufs, kept 2\n"
    assert [i.address for i in shell.piles.current] == list(LIST_A[:2])
    # Symbols, pseudo-fields and nested members in the expression.
    shell.text("recall 1")
    assert shell.text("keep b_flags < nproc") == "kept 2 of 3 struct bufs, discarded 1\n"
    shell.text("recall 1")
    assert shell.text("keep indexof >= 1 && b_un.b_addr == 0") == (
        "kept 2 of 3 struct bufs, discarded 1\n")
    shell.text("recall 1")
    assert shell.text("keep (b_flags & 1) == 1 || addrof == 0") == (
        "kept 3 of 3 struct bufs, discarded 0\n")


def test_keep_decodes_only_the_members_it_names(shell: Shell,
                                               monkeypatch: pytest.MonkeyPatch) -> None:
    from q4py import piles

    shell.text(f"load struct buf from {LIST_A[0]:#x} next av_forw")
    decoded: list[str] = []
    real = piles.Records.column

    def column(self: piles.Records, path: str, **how: Any) -> Any:
        decoded.append(path)
        return real(self, path, **how)

    monkeypatch.setattr(piles.Records, "column", column)
    assert shell.text("keep b_flags != 1 && b_un.b_addr == 0 && addrof") == (
        "kept 2 of 3 struct bufs, discarded 1\n")
    assert decoded == ["b_flags", "b_un.b_addr"]  # each once, for the whole pile
    decoded.clear()
    assert shell.run("print -x addrof b_bcount") == [
        "  addrof b_bcount", "0x3000100        0", "0x3000200    0x200"]
    assert decoded == ["b_bcount"]
    # the kept structures are the loaded bytes, not a new read
    first = shell.piles.get(1).records
    assert shell.piles.current.records.data == first.record(1) + first.record(2)


def test_keep_nothing_makes_no_pile(shell: Shell) -> None:
    shell.text(f"load struct buf from {LIST_A[0]:#x} next av_forw")
    kept = shell.text("keep b_flags == 99")
    assert kept == "kept 0 of 3 struct bufs, discarded 3; no pile made\n"
    assert shell.text("forget 1") == "forgot 3 of 3 struct bufs, kept 0; no pile made\n"
    assert len(shell.piles) == 1


@pytest.mark.parametrize(("line", "message"), [
    ("keep", "q4: usage: keep EXPR"),
    ("forget", "q4: usage: forget EXPR"),
    ("keep b_flags ==", "q4: keep: expression: unexpected end of expression at column 11"),
    ("keep nosuch == 1", "q4: keep: 'nosuch' is neither a field of struct buf nor a kernel "
                         "symbol"),
    ("forget b_un", "q4: forget: 'b_un' is a union buf_un: expressions work on numbers (name "
                    "one of its members)"),
    ("keep b_flags / 0", "q4: keep: expression: division by zero at column 9"),
])
def test_keep_errors(shell: Shell, line: str, message: str) -> None:
    shell.text(f"load struct buf from {LIST_A[0]:#x} next av_forw")
    assert shell.text(line) == message + "\n"
    assert len(shell.piles) == 1


# -- history / recall / name / discard ------------------------------------------------------------
def test_history_recall_name_discard(shell: Shell) -> None:
    shell.text(f"load struct buf from {LIST_A[0]:#x} next av_forw max 10")
    shell.text(f"load struct buf from {ARRAY:#x} max 3")
    shell.text("keep b_flags > 10")
    assert shell.text("name it big") == "pile 3 is now called big\n"
    assert shell.run("history") == [
        "HIST NAME       LAYOUT  COUNT TYPE            COMMENTS",
        f"   1 -          list        3 struct buf      load struct buf from {LIST_A[0]:#x} "
        "next av_forw max 10",
        f"   2 -          array       3 struct buf      load struct buf from {ARRAY:#x} max 3",
        "   3 big        kept        2 struct buf      keep b_flags > 10",
    ]
    assert shell.text("recall 1") == "pile 4: 3 struct bufs, a linked list (recalled from pile 1)\n"
    assert shell.run("history")[-1] == (
        "   4 -          list        3 struct buf      recall 1")
    assert shell.text("recall big") == "pile 5: 2 struct bufs, kept (recalled from pile 3 (big))\n"
    assert [i.value.b_flags for i in shell.piles.current] == [20, 30]
    assert shell.text("discard") == "discarded pile 5; it is now pile 4\n"
    assert shell.text("discard") == "discarded pile 4; it is now pile 3 (big)\n"
    assert shell.piles.current.name == "big"
    shell.text("name it other")
    assert shell.text("recall big") == "q4: no pile called 'big' in the history (type 'history' " \
                                      "to see them)\n"
    assert shell.text("recall 9") == "q4: no pile 9 in the history (type 'history' to see them)\n"
    for _ in range(3):
        shell.text("discard")
    assert shell.piles.empty
    assert shell.text("print") == "q4: no current pile: load something first\n"


def test_discard_of_the_last_pile(shell: Shell) -> None:
    shell.text(f"load struct buf from {ARRAY:#x}")
    assert shell.text("discard") == "discarded pile 1; no piles left\n"


@pytest.mark.parametrize(("line", "message"), [
    ("history 1", "q4: usage: history"),
    ("recall", "q4: usage: recall N|NAME"),
    ("name big", "q4: usage: name it NAME"),
    ("name it 12", "q4: '12' cannot name a pile: use letters, digits and '_', starting with a "
                   "letter (and not 'it')"),
    ("discard 1", "q4: usage: discard"),
])
def test_history_command_errors(shell: Shell, line: str, message: str) -> None:
    shell.text(f"load struct buf from {ARRAY:#x}")
    assert shell.text(line) == message + "\n"


@pytest.mark.parametrize("name", ["load", "print", "keep", "forget", "history", "recall", "name",
                                  "discard"])
def test_every_command_has_help_with_usage_and_examples(shell: Shell, name: str) -> None:
    text = shell.text(f"help {name}")
    assert text.startswith(f"usage: {name}")
    assert "Example" in text


# -- the verified 64-bit session ------------------------------------------------------------------
def _plain(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items() if not k.startswith("_")}
    return value


@pytest.fixture(scope="module")
def wide_dump(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The seed system forged as a 64-bit kernel, with the two bufs of the public session: a
    real one at 0x4076da18 and, where its av_forw points, garbage bytes counting from 0."""
    sc = copy.deepcopy(load_scenario(SEED))
    sc["system"]["width"] = "wide"
    event = sc["events"][0]
    # One short stack in quadrant 1 (a wide kernel's quadrant is in the top address bits).
    event["stack_base"] = 0x4000000000000000 | event["stack_base"]
    event["contexts"] = [dict(event["contexts"][0], calls=["panic+0x14"])]
    sc["events"] = [event]
    layout = registry_for(WIDE).get("struct buf")
    garbage = _plain(layout.parse(bytes(range(layout.size))))
    sc["objects"] = list(sc["objects"]) + [
        _buf(0x4076DA18, av_forw=0x4076EE00, av_back=0x4076EEFD),
        _buf(0x4076EE00, **garbage),
    ]
    out = tmp_path_factory.mktemp("piles-wide")
    Forge(sc).build(out)
    return out


def test_the_verified_64_bit_session_byte_for_byte(wide_dump: Path) -> None:
    shell = Shell(Program.open(wide_dump))
    assert shell.session.program.wide
    assert shell.text("load struct buf from 0x0`4076da18 next av_forw max 10") == (
        "loaded 2 struct bufs as a linked list \n"
        "\n"
        "(stopped by bad read at 0x0.0x18191a1b'1c1d1e1f)\n"
        "\n")
    assert shell.text("print -x addrof av_forw av_back b_dev b_flags") == (
        "   addrof    av_forw    av_back b_dev b_flags\n"
        "0x4076da18 0x4076ee00 0x4076eefd     0       0\n"
        "0x4076ee00 0x18191a1b1c1d1e1f 0x2021222324252627 0x4c4d4e4f 0x10203\n")


# -- the walk against a structure-at-a-time reference --------------------------------------------
class _Memory:
    """A Program's `read` over a few pages (space 0), with holes: what `walk` reads through."""

    def __init__(self, pages: dict[int, bytes], wide: bool) -> None:
        self.pages, self.wide, self.reads = pages, wide, 0

    def read(self, address: int, size: int, space: int = 0) -> bytes:
        self.reads += 1
        out = b""
        while len(out) < size:
            at = address + len(out)
            page = self.pages.get(at - at % 4096)
            if page is None or len(page) != 4096 or at >= 1 << (64 if self.wide else 32):
                raise ReadError(space, at, "not in the dump", self.wide)
            out += page[at % 4096:at % 4096 + size - len(out)]
        return out


def _reference_walk(memory: _Memory, layout: Any, start: int, *, limit: int, skip: int,
                    next_field: str | None, until_flags: int | None,
                    limit_all: int) -> tuple[list[int], bytes, str | None]:
    """load's walk as it was, one read and one decode per structure (the specification)."""
    from q4py.addr import format_q4_address

    size, wide = layout.size, memory.wide
    mask = (1 << (64 if wide else 32)) - 1
    member = layout.field(next_field) if next_field else None
    flags_at = layout.field("b_flags")
    addresses: list[int] = []
    records: list[bytes] = []
    seen: set[int] = set()
    address, position, walked = start, 0, 0

    def at(a: int) -> str:
        return format_q4_address(0, a, wide)

    def past_the_end(a: int) -> str:
        return f"stopped by bad read at {at(a)}: beyond the {64 if wide else 32}-bit address space"
    if next_field is None and skip:
        address += skip * size
        position = skip
        if address > mask:
            return addresses, b"", past_the_end(address)
    while True:
        if len(addresses) >= limit:
            return addresses, b"".join(records), (None if next_field is None
                                                  else "stopped by max count")
        if walked >= limit_all:
            return addresses, b"".join(records), (
                f"stopped by the limit of {limit_all} structures "
                f"({amount(limit_all * (size + 24))}: half the memory available)")
        walked += 1
        if next_field is not None and address == 0:
            return addresses, b"".join(records), None
        try:
            record = memory.read(address, size)
        except ReadError:
            return addresses, b"".join(records), "stopped by bad read at " + at(address)
        if position >= skip and until_flags is not None and int.from_bytes(
                record[flags_at.offset:flags_at.offset + flags_at.size], "big") == until_flags:
            return addresses, b"".join(records), "stopped by until at " + at(address)
        if next_field is not None:
            if address in seen:
                return addresses, b"".join(records), "stopped by loop at " + at(address)
            seen.add(address)
        if position >= skip:
            addresses.append(address)
            records.append(record)
        position += 1
        if member is not None:
            address = int.from_bytes(record[member.offset:member.offset + member.size], "big")
        else:
            address += size
            if address > mask:
                return addresses, b"".join(records), past_the_end(address)


@st.composite
def _lists(draw: Any) -> dict[str, Any]:
    """A few pages of `struct buf`s linked in every way a walk can meet: in address order,
    backwards, scattered, into holes, across page ends, looping, NULL-terminated."""
    wide = draw(st.booleans())
    layout = registry_for(WIDE if wide else NARROW).get("struct buf")
    size = layout.size
    base = draw(st.sampled_from([0x10000, 0x10000 + 4096 - 2 * size, 0x10000 + 40]))
    count = draw(st.integers(1, 60))
    span = base + count * size
    holes = draw(st.sets(st.integers(0, (span - 0x10000) // 4096 + 1), max_size=2))
    slots = [base + i * size for i in range(count)]
    shape = draw(st.sampled_from(["ascending", "descending", "random"]))
    order = {"ascending": slots, "descending": slots[::-1],
             "random": draw(st.permutations(slots))}[shape]
    length = draw(st.integers(1, count))
    chain = list(order[:length])
    ending = draw(st.sampled_from(["null", "loop", "hole", "odd"]))
    last = {"null": 0, "loop": draw(st.sampled_from(chain)), "hole": 0x10000 - 4096,
            "odd": chain[0] + 4}[ending]
    nexts = dict(zip(chain, chain[1:] + [last], strict=True))
    memory: dict[int, bytearray] = {}
    for page in range(0x10000 - 4096, span + 4096, 4096):
        if (page - 0x10000) // 4096 not in holes and page >= 0x10000:
            memory[page] = bytearray(4096)
    blob = bytearray(span - 0x10000 + 4096)
    forw, back, flags = (layout.field(n) for n in ("av_forw", "av_back", "b_flags"))
    width = forw.size
    for i, slot in enumerate(slots):
        at = slot - 0x10000
        blob[at + flags.offset:at + flags.offset + flags.size] = (i % 7).to_bytes(
            flags.size, "big")
        blob[at + forw.offset:at + forw.offset + width] = nexts.get(
            slot, draw(st.sampled_from([0, slots[0], slot]))).to_bytes(width, "big")
        blob[at + back.offset:at + back.offset + width] = (slot - size if i else 0).to_bytes(
            width, "big")
    pages = {page: bytes(blob[page - 0x10000:page - 0x10000 + 4096]).ljust(4096, b"\0")
             for page in memory}
    return {"memory": _Memory(pages, wide), "layout": layout, "start": chain[0],
            "next": draw(st.sampled_from(["av_forw", "av_forw", "av_back", None])),
            "limit": draw(st.integers(0, 80)), "skip": draw(st.integers(0, 5)),
            "until": draw(st.sampled_from([None, None, 3])),
            "limit_all": draw(st.sampled_from([1_000_000, 7]))}


@settings(max_examples=300, deadline=None,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(case=_lists())
def test_walk_equals_one_read_per_structure(case: dict[str, Any]) -> None:
    memory, layout = case["memory"], case["layout"]
    want = _reference_walk(memory, layout, case["start"], limit=case["limit"],
                           skip=case["skip"], next_field=case["next"],
                           until_flags=case["until"], limit_all=case["limit_all"])
    session = SimpleNamespace(program=memory, progress=None)
    until = None if case["until"] is None else expr.parse(f"b_flags == {case['until']}")
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(load_module, "pile_limit", lambda size: case["limit_all"])
        got = load_module.walk(session, layout, case["start"], 0,  # type: ignore[arg-type]
                               limit=case["limit"], skip=case["skip"],
                               next_field=case["next"], until=until,
                               natural_max=case["next"] is None)
    records = got.records
    assert (list(records.addresses), records.data, got.reason) == want
    assert list(records.indexes) == list(range(case["skip"], case["skip"] + len(records)))


def test_a_long_list_in_address_order_is_read_a_window_at_a_time() -> None:
    layout = registry_for(WIDE).get("struct buf")
    size, count = layout.size, 3000
    forw = layout.field("av_forw").offset
    blob = bytearray(count * size + 4096)
    for i in range(count):
        blob[i * size + forw:i * size + forw + 8] = (
            (0x100000 + (i + 1) * size) if i + 1 < count else 0).to_bytes(8, "big")
    pages = {0x100000 + p: bytes(blob[p:p + 4096]) for p in range(0, len(blob), 4096)}
    memory = _Memory(pages, wide=True)
    session = SimpleNamespace(program=memory, progress=None)
    got = load_module.walk(session, layout, 0x100000, 0,  # type: ignore[arg-type]
                           limit=10_000, skip=0, next_field="av_forw", until=None,
                           natural_max=False)
    assert got.reason is None and len(got.records) == count
    assert list(got.records.addresses) == [0x100000 + i * size for i in range(count)]
    assert memory.reads < 40  # windows that grow, not one read per structure (3000)
    assert got.records.data == bytes(blob[:count * size])
