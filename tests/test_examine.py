"""`examine ADDR [for N] using FMT` on the seed dump: every format, the line layout, symbolic
labels, space addresses, failing reads and malformed lines.

Expected values are read from the dump through the Program (the door every command uses), so a
test fails when examine prints something other than what the memory holds.
"""

from __future__ import annotations

import io
import struct
from collections.abc import Callable
from pathlib import Path

import pytest

from q4py.commands.examine import FORMATS, MAX_UNITS, format_unit, parse_examine
from q4py.disasm import disassemble
from q4py.errors import CommandError
from q4py.program import Program
from q4py.shell import Session

SEED = "hpux1100-32-kalloc-sysmap"


@pytest.fixture(scope="module")
def prog(forged_dump: Callable[[str], Path]) -> Program:
    return Program.open(forged_dump(SEED))


def run(prog: Program, line: str) -> list[str]:
    out = io.StringIO()
    Session(prog, out).execute(line)
    return out.getvalue().split("\n")[:-1]


def cells(line: str) -> list[str]:
    """The values of an examine line (after its `label:`)."""
    return line.split(":", 1)[1].split()


# -- the verified forms ---------------------------------------------------------------------------
def test_examine_nproc_in_decimal(prog: Program) -> None:
    nproc = prog.read_global("nproc")
    assert run(prog, "examine &nproc using D") == [f"nproc:  {nproc:>11}"]


def test_examine_panicstr_prints_the_panic_string(prog: Program) -> None:
    pointer = prog.read_global("panicstr")
    text = prog.read_string(pointer)
    assert text == "kalloc: out of kernel virtual space"
    assert run(prog, "examine panicstr using s") == [f"{pointer:#x}:  {text}"]
    assert run(prog, "ex panicstr using s") == run(prog, "examine panicstr using s")


# -- layout -----------------------------------------------------------------------------------
def test_words_four_a_line_with_symbolic_labels(prog: Program) -> None:
    base = prog.symbol("bucket").address
    lines = run(prog, "examine &bucket for 10 using X")
    assert [line.split(":")[0] for line in lines] == ["bucket", "bucket+0x10", "bucket+0x20"]
    values = [int(c, 16) for line in lines for c in cells(line)]
    assert values == list(struct.unpack(">10I", prog.read(base, 40)))
    # Labels are padded to one width, so the values line up.
    assert len({line.index("0x", len(line.split(':')[0])) for line in lines}) == 1


@pytest.mark.parametrize(("letter", "size", "per_line"), [
    ("X", 4, 4), ("x", 2, 8), ("b", 1, 16), ("J", 8, 2), ("K", 4, 4), ("D", 4, 4), ("d", 2, 8),
    ("e", 8, 2), ("U", 4, 4), ("u", 2, 8), ("E", 8, 2), ("O", 4, 4), ("o", 2, 8), ("c", 1, 16),
    ("a", 4, 1),
])
def test_units_per_line_and_the_bytes_they_cover(prog: Program, letter: str, size: int,
                                                 per_line: int) -> None:
    count = per_line + 1
    lines = run(prog, f"examine &utsname for {count} using {letter}")
    assert len(lines) == 2
    assert lines[1].startswith(f"utsname+{per_line * size:#x}:")
    assert len(cells(lines[1])) == 1


def test_format_unit_renderings(prog: Program) -> None:
    def unit(letter: str, data: bytes) -> str:
        return format_unit(prog, FORMATS[letter], data).strip()

    assert unit("X", b"\0\0\4\0") == "0x00000400"
    assert unit("x", b"\4\0") == "0x0400"
    assert unit("b", b"\x7f") == "0x7f"
    assert unit("J", bytes.fromhex("000000001a98f7c0")) == "0x00000000_1a98f7c0"
    assert unit("D", b"\xff\xff\xff\xfe") == "-2"
    assert unit("U", b"\xff\xff\xff\xfe") == "4294967294"
    assert unit("d", b"\xff\xff") == "-1"
    assert unit("u", b"\xff\xff") == "65535"
    assert unit("e", b"\xff" * 8) == "-1"
    assert unit("E", b"\xff" * 8) == str(2**64 - 1)
    assert unit("O", b"\0\0\0\x08") == "010"
    assert unit("O", b"\0\0\0\0") == "0"
    assert unit("o", b"\xff\xff") == "0177777"
    assert [unit("c", bytes([b])) for b in (0x41, 0, 10, 0xFF)] == ["A", "\\0", "\\n", "\\377"]
    panic = prog.symbol("panic").address
    assert unit("a", (panic + 0x14).to_bytes(4, "big")) == "panic+0x14"
    assert unit("a", (0x12).to_bytes(4, "big")) == "0x12"


def test_symbolic_words_from_a_stack(prog: Program) -> None:
    # Event 1: panic's frame is at 0x7fff13a8, its caller's at 0x7fff1368, whose frame marker
    # holds the return point into the caller at caller_sp - 20.
    lines = run(prog, "examine 0x76db400.0x7fff1368-20 using a")
    word = prog.read_ulong(0x7FFF1368 - 20, 0x76DB400)
    assert prog.symbolize(word) == "report_trap_or_int_and_panic+0x4c"
    assert lines == ["0x76db400.0x7fff1354:  report_trap_or_int_and_panic+0x4c"]


def test_space_offset_addresses(prog: Program) -> None:
    lines = run(prog, "examine 0x76db400.0x7fff0d48 for 6 using K")
    words = struct.unpack(">6I", prog.read(0x7FFF0D48, 24, 0x76DB400))
    assert [line.split(":  ")[0] for line in lines] == ["0x76db400.0x7fff0d48",
                                                        "0x76db400.0x7fff0d58"]
    assert [int(c, 16) for line in lines for c in cells(line)] == list(words)


def test_strings_one_after_the_other(prog: Program) -> None:
    uts = prog.symbol("utsname").address
    lines = run(prog, "examine &utsname for 2 using s")
    assert lines[0] == "utsname:      HP-UX"
    # The second string starts after the first one's NUL, inside the sysname array.
    assert lines[1].startswith(f"utsname+{len('HP-UX') + 1:#x}:")
    assert prog.read_string(uts) == "HP-UX"


def test_instructions_are_disassembled(prog: Program) -> None:
    base = prog.symbol("hz").address
    lines = run(prog, "examine &hz for 2 using i")
    words = struct.unpack(">2I", prog.read(base, 8))
    assert len(lines) == 2
    for line, word, pc in zip(lines, words, (base, base + 4), strict=True):
        assert line.split(":", 1)[1].strip() == f"0x{word:08x}  {disassemble(word, pc, False)}"


def test_for_takes_an_expression(prog: Program) -> None:
    count = prog.read_global("nmpinfo")
    lines = run(prog, "examine &utsname for nmpinfo using b")
    assert sum(len(cells(line)) for line in lines) == count


def test_a_failing_read_keeps_the_lines_before_it(prog: Program) -> None:
    # The last page of a run of dumped pages in kernel memory (space 0, equivalently mapped).
    memory = prog.crashdir.memory
    pfn = next(p for p in sorted(memory.pfns()) if p > 0x100 and not memory.has_page(p + 1))
    end = (pfn + 1) * 0x1000
    lines = run(prog, f"examine {end - 16:#x} for 8 using X")
    assert len(lines) == 2
    assert len(cells(lines[0])) == 4
    assert lines[1] == f"q4: examine: cannot read 0x0.{end:#x}: physical page {pfn + 1:#x} " \
        "is not in the dump"


def test_default_format_is_x_and_count_one(prog: Program) -> None:
    assert run(prog, "examine &nproc") == run(prog, "examine &nproc for 1 using X")
    assert run(prog, "examine using D for 1 &nproc") == ["q4: examine: which address? "
                                                         "(usage: examine ADDR [for N] using FMT)"]


# -- malformed lines: one error line each ------------------------------------------------------
@pytest.mark.parametrize(("line", "message"), [
    ("examine", "examine: which address?"),
    ("examine &nproc using Q", "examine: unknown format 'Q'"),
    ("examine &nproc using", "examine: 'using' takes one format letter"),
    ("examine &nproc using D X", "examine: 'using' takes one format letter"),
    ("examine &nproc for", "examine: 'for' needs a count"),
    ("examine &nproc for 0", f"examine: for 0: the count must be 1 to {MAX_UNITS}"),
    (f"examine &nproc for {MAX_UNITS + 1}", "the count must be 1 to"),
    ("examine &nproc for 2 for 3", "examine: 'for' is given twice"),
    ("examine &nosuch using D", "examine: address: no symbol 'nosuch'"),
    ("examine 0x10 + using D", "examine: address: expression:"),
    ("examine 0 using X", "examine: cannot read 0x0.0x0"),
])
def test_malformed_lines(prog: Program, line: str, message: str) -> None:
    lines = run(prog, line)
    assert len(lines) == 1
    assert lines[0].startswith("q4: ") and message in lines[0], lines[0]


def test_parse_examine_clauses() -> None:
    assert parse_examine(["&nproc", "using", "D"]) == ("&nproc", None, "D")
    assert parse_examine(["panicstr", "using", "s", "for", "2"]) == ("panicstr", "2", "s")
    assert parse_examine(["&bucket", "+", "8", "for", "nmpinfo", "*", "2"]) == (
        "&bucket + 8", "nmpinfo * 2", "X")
    with pytest.raises(CommandError):
        parse_examine(["for", "3"])


class _TopOfMemory:
    """A narrow program whose memory reads as 0x41 bytes everywhere (strings of 3 'A's)."""

    wide = False
    pointer_size = 4

    def read(self, address: int, size: int, space: int = 0) -> bytes:
        assert address + size <= 1 << 32, "read past the top of the space"
        return b"\x41" * size

    def read_string(self, address: int, space: int = 0, limit: int = 4096) -> str:
        return "AAA"

    def symbolize(self, address: int) -> None:
        return None


@pytest.mark.parametrize(("start", "letter"), [(0xFFFFFFF0, "X"), (0xFFFFFFF0, "s")])
def test_examine_stops_at_the_top_of_the_address_space(start: int, letter: str) -> None:
    from q4py.commands.examine import examine_lines
    from q4py.errors import ReadError

    labels: list[str] = []
    with pytest.raises(ReadError, match="beyond the 32-bit address space") as err:
        examine_lines(_TopOfMemory(), 0, start, 8, FORMATS[letter],  # type: ignore[arg-type]
                      lambda label, _: labels.append(label))
    assert labels and "0x0" not in labels  # no wrap to address 0
    assert err.value.offset == 1 << 32  # the real next address, not a masked one
