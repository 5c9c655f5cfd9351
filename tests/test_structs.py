"""p4's structure dump (`p TYPE ADDR`): the renderer against HP's public lock_t sample, and the
`p` command on the seed dump (a trap's save_state in a kernel stack space)."""

from __future__ import annotations

import io
import struct
from collections.abc import Callable
from pathlib import Path

import pytest

from q4py.commands.p import parse_address
from q4py.errors import CommandError, ReadError
from q4py.forge.scenario import load_scenario
from q4py.layouts import WIDE, TypeRegistry
from q4py.program import Program
from q4py.render.structs import declaration, struct_lines
from q4py.shell import Session

SEED = "hpux1100-32-kalloc-sysmap"
SCENARIO = Path(__file__).resolve().parent.parent / "fixtures" / "scenarios" / f"{SEED}.toml"

# A public 11.11 report (64-bit kernel).
LOCK_SAMPLE = """\
0x57849500 lock_t {
0x57849500   uintptr_t sl_lock;                    0x00000000_00000000
0x57849508   uintptr_t sl_owner;                   0x00000000_0131d3c8
0x57849510   char    *sl_name_ptr;                 0x00000000_00944c70
0x57849518   uint16_t sl_flag;                     0x0001
0x5784951a   uint16_t sl_next_cpu;                 0x0000
0x5784951c   uint32_t sl_arena_alloc_flag;         0x9bbc4111
0x57849520 };""".split("\n")


class FakeProgram:
    """Just what the renderer reads: bytes at addresses and strings."""

    pointer_size = 8

    def __init__(self, memory: dict[int, bytes]) -> None:
        self.memory = memory

    def read(self, address: int, size: int, space: int = 0) -> bytes:
        for base, data in self.memory.items():
            if base <= address and address + size <= base + len(data):
                return data[address - base:address - base + size]
        raise ReadError(space, address, "not in the fake dump")

    def read_string(self, address: int, space: int = 0, limit: int = 4096) -> str:
        data = self.read(address, 1, space)
        out = b""
        while data != b"\0":
            out += data
            if len(out) >= limit:
                raise ReadError(space, address, "no NUL")
            data = self.read(address + len(out), 1, space)
        return out.decode("latin-1")


@pytest.fixture(scope="module")
def lock_layout():
    reg = TypeRegistry(WIDE)
    return reg.define("lock_t", [
        ("sl_lock", "uintptr_t"), ("sl_owner", "uintptr_t"), ("sl_name_ptr", "char *"),
        ("sl_flag", "uint16_t"), ("sl_next_cpu", "uint16_t"), ("sl_arena_alloc_flag", "uint32_t"),
    ], reconstruction=True)


def lock_bytes() -> bytes:
    return struct.pack(">QQQHHI", 0, 0x131D3C8, 0x944C70, 1, 0, 0x9BBC4111)


def test_lock_sample_exactly(lock_layout) -> None:
    prog = FakeProgram({0x57849500: lock_bytes()})  # the name is not in this dump
    assert struct_lines(prog, lock_layout, 0x57849500, type_name="lock_t") == LOCK_SAMPLE


def test_char_pointer_annotated_when_it_reads_as_text(lock_layout) -> None:
    prog = FakeProgram({0x57849500: lock_bytes(), 0x944C70: b"process lock\0"})
    lines = struct_lines(prog, lock_layout, 0x57849500, type_name="lock_t")
    assert lines[3] == LOCK_SAMPLE[3] + '  ("process lock")'
    assert struct_lines(prog, lock_layout, 0x57849500, type_name="lock_t",
                        annotate_strings=False) == LOCK_SAMPLE
    unprintable = FakeProgram({0x57849500: lock_bytes(), 0x944C70: b"\x01\x02\0"})
    assert struct_lines(unprintable, lock_layout, 0x57849500, type_name="lock_t") == LOCK_SAMPLE


def test_declarations() -> None:
    reg = TypeRegistry(WIDE)
    assert declaration(reg.ctype("char *"), "p") == "char    *p;"
    assert declaration(reg.ctype("char **"), "argv") == "char    **argv;"
    assert declaration(reg.ctype("unsigned long *"), "q") == "unsigned long *q;"
    assert declaration(reg.ctype("uint16_t"), "f") == "uint16_t f;"
    assert declaration(reg.ctype("int"), "i") == "int     i;"
    assert declaration(reg.ctype("unsigned int"), "d") == "unsigned int  d;"
    assert declaration(reg.ctype("char[16]"), "s") == "char    s[16];"


def test_nested_arrays_and_strings() -> None:
    reg = TypeRegistry(WIDE)
    reg.define("struct inner", [("a", "uint32_t"), ("b", "uint16_t")], reconstruction=True)
    outer = reg.define("struct outer", [
        ("tag", "char[8]"), ("in", "struct inner"), ("v", "uint16_t[2]"),
    ], reconstruction=True)
    data = b'ab"c\0zzz' + struct.pack(">IHxxHH", 0xDEADBEEF, 7, 1, 2)
    lines = struct_lines(FakeProgram({0x1000: data}), outer, 0x1000, type_name="outer")
    assert lines == [
        "0x00001000 outer {",
        '0x00001000   char    tag[8];                       "ab\\"c"',
        "0x00001008   struct inner in {",
        "0x00001008     uint32_t a;                         0xdeadbeef",
        "0x0000100c     uint16_t b;                         0x0007",
        "0x00001010   };",
        "0x00001010   uint16_t v[0];                        0x0001",
        "0x00001012   uint16_t v[1];                        0x0002",
        "0x00001014 };",
    ]


# -- parse_address ------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def seed(forged_dump: Callable[[str], Path]) -> Program:
    return Program.open(forged_dump(SEED))


def test_parse_address(seed: Program) -> None:
    assert parse_address(seed, "0x57849500") == (0, 0x57849500)
    assert parse_address(seed, "4096") == (0, 4096)
    assert parse_address(seed, "0x0`4076da18") == (0, 0x4076DA18)
    assert parse_address(seed, "0x0'0x1c") == (0, 0x1C)
    assert parse_address(seed, "0x76db400.0x7fff0d48") == (0x76DB400, 0x7FFF0D48)
    table = seed.symbol("crash_event_table").address
    assert parse_address(seed, "crash_event_table") == (0, table)
    assert parse_address(seed, "&crash_event_table+0x20") == (0, table + 0x20)
    # a bare symbol is its address; with follow_pointers a pointer global is its value
    panicstr = seed.symbol("panicstr").address
    assert parse_address(seed, "panicstr") == (0, panicstr)
    assert parse_address(seed, "panicstr", follow_pointers=True) == (0, seed.read_ulong(panicstr))
    assert parse_address(seed, "crash_event_table", follow_pointers=True) == (0, table)
    for bad in ("zork", "0x12zz", "sp.0x10", "0x1`00000000", "0x0`123456789", "\u00b2", "1.2.3"):
        with pytest.raises(CommandError):
            parse_address(seed, bad)


def test_p_s_follows_a_char_pointer_like_examine(seed: Program) -> None:
    text = seed.read_string(seed.read_global("panicstr"))
    assert text  # the seed panicked with a message
    assert run(seed, "p s panicstr")[1].endswith(f" : {text}")
    assert run(seed, "examine panicstr using s")[0].endswith(f"  {text}")


# -- the p command ------------------------------------------------------------------------------
def run(prog: Program, line: str) -> list[str]:
    out = io.StringIO()
    Session(prog, out).execute(line)
    return out.getvalue().split("\n")[:-1]


def test_p_save_state_of_the_trap(seed: Program) -> None:
    sc = load_scenario(SCENARIO)
    pgcopy = next(f for f in sc["kernel"]["functions"] if f["name"] == "pgcopy")
    space = next(e for e in sc["events"] if e["rpb"] == 0x6F6E08)["space"]
    sp = 0x7FFF0D48  # the report's `p struct save_state 0x76db400.0x7fff0d48`
    lines = run(seed, f"p struct save_state {space:#x}.{sp:#x}")
    head = f"{space:#x}.{sp:#x}"
    # p4 echoes the address as typed, then the offset alone (a public p struct pathname).
    assert lines[:3] == [head, f"{sp:#x} :", f"{sp:#x} struct save_state {{"]
    layout = seed.types.get("struct save_state")
    assert lines[-1] == f"{sp + layout.size:#x} }};"
    pcoq = layout.field("ss_narrow.ss_pcoq_head")
    expected = f"{sp + pcoq.offset:#x}     unsigned int  ss_pcoq_head;         " \
               f"0x{pgcopy['address'] + 0x1e0:08x}"
    assert expected in lines
    assert f"{sp + layout.field('ss_narrow').offset:#x}   struct __ss_narrow ss_narrow {{" in lines
    sr5 = layout.field("ss_narrow.ss_sr5")
    assert f"{sp + sr5.offset:#x}     unsigned int  ss_sr5;               0x{space:08x}" in lines
    # the type name is printed as typed
    assert run(seed, f"p save_state {head}")[2] == f"{sp:#x} save_state {{"


def test_p_map_header_by_address(seed: Program) -> None:
    sc = load_scenario(SCENARIO)
    rmap = sc["maps"][0]
    addr = rmap["address"]
    lines = run(seed, f"p struct map {addr:#x}")
    assert lines[3] == f"0x{addr:08x}   struct mapent *m_limit;               " \
                       f"0x{addr + 8 * rmap['entries']:08x}"
    assert lines[4].startswith(f"0x{addr + 4:08x}   char    *m_name;                      0x")
    assert lines[4].endswith(f'  ("{rmap["name"]}")')


def test_p_errors(seed: Program) -> None:
    [line] = run(seed, "p struct savestate 0x1000")
    assert line.startswith("q4: p: unknown type 'struct savestate' (did you mean ")
    assert "save_state" in line
    [line] = run(seed, "p proc_t 0x0`4076da18")
    assert line.startswith("q4: cannot read 0x0.0x4076da18")
    assert run(seed, "p proc_t") == ["q4: usage: p TYPE ADDR | p struct TAG ADDR | p s ADDR"]
    assert run(seed, "p proc_t nosuchsym") == [
        "q4: p: address 'nosuchsym': no symbol 'nosuchsym' in the kernel"]
