"""`dis FUNCTION | dis ADDR [N]` and `examine ... using i` on a forged wide dump: the function's
extent from its unwind descriptor, symbolic branch targets, the trap's interrupted instruction
marked, invalid words as `.word`, unreadable words as one line with the listing going on.

Expected words are read through the Program and decoded with q4py.disasm, so a test fails when
dis prints something other than what kernel text holds."""

from __future__ import annotations

import shutil
import struct
from collections.abc import Callable
from pathlib import Path

import pytest
from helpers import Shell, poke

from q4py.disasm import decode
from q4py.errors import ReadError
from q4py.program import Program

SCENARIO = "hpux1100-64-dpf-atq"  # its trap interrupted `ldd  0(ret0),arg3` at ATQ_F_dequeue+0x14


def encode_bl22(pc: int, target: int) -> int:
    """`b,l target,rp` at pc, PA 2.0's 22-bit form (assemble_22 of the word displacement
    from pc + 8)."""
    w = ((target - pc - 8) >> 2) & 0x3FFFFF
    w2 = ((w & 0x3FF) << 1) | ((w >> 10) & 1)
    return (0x3A << 26) | (((w >> 16) & 31) << 21) | (((w >> 11) & 31) << 16) | (5 << 13) | \
        (w2 << 2) | (w >> 21)


@pytest.fixture(scope="module")
def dump(forged_dump: Callable[[str], Path], tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A copy of the dump whose ATQ_F_dequeue+0x8 branches to panic and +0xc is no
    instruction."""
    copy = Path(shutil.copytree(forged_dump(SCENARIO), tmp_path_factory.mktemp("dis") / "c"))
    prog = Program.open(copy)
    start = prog.symbol("ATQ_F_dequeue").address
    panic = prog.symbol("panic").address
    word = encode_bl22(start + 8, panic + 4)
    assert decode(word, start + 8).target == panic + 4
    poke(copy, start + 8, struct.pack(">II", word, 0xFFFFFFFF))
    return copy


@pytest.fixture(scope="module")
def prog(dump: Path) -> Program:
    return Program.open(dump)


def run(prog: Program, line: str) -> list[str]:
    return Shell(prog).run(line)


def test_a_function_whole_from_its_unwind_extent(prog: Program) -> None:
    entry = prog.unwind_for(prog.symbol("ATQ_F_dequeue").address)
    assert entry is not None
    lines = run(prog, "dis ATQ_F_dequeue")
    assert len(lines) == (entry.end - entry.start) // 4 + 1
    assert lines[0].startswith("ATQ_F_dequeue:  ")
    for n, line in enumerate(lines):
        pc = entry.start + 4 * n
        label = prog.symbolize(pc)
        assert line.split(":")[0] == label
        word = prog.read_u32(pc)
        assert f"0x{word:08x}  " in line


def test_the_interrupted_instruction_is_marked(prog: Program) -> None:
    lines = run(prog, "dis ATQ_F_dequeue+0x14 2")
    assert lines[0] == ("ATQ_F_dequeue+0x14:  0x53970000  ldd  0(ret0),arg3   <- crash event 0: "
                        "Data TLB Miss Fault/Data Page Fault")
    assert "<-" not in lines[1]
    assert run(prog, "examine ATQ_F_dequeue+0x14 using i") == [lines[0]]


def test_branch_targets_are_symbolic(prog: Program) -> None:
    lines = run(prog, "dis ATQ_F_dequeue+8 2")
    assert lines[0].endswith("b,l  panic+0x4,rp")
    assert lines[1].endswith("0xffffffff  .word 0xffffffff")
    assert run(prog, "examine ATQ_F_dequeue+8 using i")[0].endswith("b,l  panic+0x4,rp")


def test_one_instruction_by_default_and_counts(prog: Program) -> None:
    assert len(run(prog, "dis ATQ_F_dequeue+0x14")) == 1
    assert len(run(prog, "dis ATQ_F_dequeue 3")) == 3
    assert len(run(prog, "dis ATQ_F_dequeue 1+2")) == 3


def _gap(prog: Program) -> int:
    """A page boundary with an unreadable page below it and a readable one above."""
    for page in range(1, 1 << 16):
        address = page * 4096
        try:
            prog.read(address - 4, 4)
            continue
        except ReadError:
            pass
        try:
            prog.read(address, 4)
            return address
        except ReadError:
            continue
    raise AssertionError("no unreadable page below a readable one")


def test_unreadable_words_are_one_line_and_the_listing_goes_on(prog: Program) -> None:
    gap = _gap(prog)
    lines = run(prog, f"dis {gap - 8:#x} 4")
    assert len(lines) == 3
    assert "cannot read" in lines[0] and lines[0].endswith("(2 words)")
    assert lines[1].startswith(f"{prog.symbolize(gap) or hex(gap)}:")
    assert lines[2].split(":")[0] == (prog.symbolize(gap + 4) or hex(gap + 4))


@pytest.mark.parametrize(("line", "message"), [
    ("dis", "dis: what?"),
    ("dis nosuch", "no symbol 'nosuch'"),
    ("dis ATQ_F_dequeue 0", "the count must be 1 to"),
    ("dis ATQ_F_dequeue (", "dis: count"),
    ("dis -1", "instructions lie on 4-byte boundaries (try 0xfffffffffffffffc)"),
    ("dis 0xfffffffffffffffc 3", "cannot read 0x0.0xffffffff'fffffffc"),
])
def test_bad_input_is_one_line(prog: Program, line: str, message: str) -> None:
    lines = run(prog, line)
    assert len(lines) == 1 and message in lines[0]
