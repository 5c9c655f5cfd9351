"""The built-in PA-RISC 2.0 decoder (q4py.disasm): instruction words -> HP's text.

The table's first rows are the instructions HP's reports print (crashinfo's `Interrupt
Instruction at ...`); the others are the forms the decoder promises (loads, stores, LDO,
compare-and-branch), checked by hand against the field rules of the research notes (§5.8) and,
where noted, against capstone 6.0.0a11's output."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from q4py.disasm import (
    decode,
    disassemble,
    disassemble_words,
    encode_ldo,
    encode_std,
    encode_stw,
    reg_name,
)

TABLE = [
    # word, pc, wide, text
    (0x53970000, 0x25DC7C, True, "ldd  0(ret0),arg3"),  # hpux1100-64-dpf-atq
    (0x4B810000, 0x524FDC, True, "ldw  0(ret0),r1"),  # hpux1111-64-unaligned-c8xx
    (0x73FD0040, 0x183718, True, "std  ret1,0x20(r31)"),  # hpux1100-64-dpf-scsi-dequeue
    (0x0F20909C, 0x378E0, False, "ldw  0(sr2,arg1),ret0"),  # the seed's IIR (capstone: r25)
    (0x4BC23FD1, 0, False, "ldw  -0x18(sp),rp"),  # capstone
    (0x73C23FE1, 0, True, "std  rp,-0x10(sp)"),  # capstone
    (0x73DA3FF1, 0, True, "std  arg0,-8(sp)"),  # capstone
    (0x6BDA3FB9, 0, False, "stw  arg0,-0x24(sp)"),  # capstone
    (0x37DE0100, 0, False, "ldo  0x80(sp),sp"),  # capstone
    (0x83472040, 0x183718, True, "cmpb,=  r7,arg0,0x183740"),  # capstone
    (0x8B472040, 0x183718, True, "cmpb,<>  r7,arg0,0x183740"),  # capstone
    (0x9F472040, 0x183718, True, "cmpb,*=  r7,arg0,0x183740"),  # capstone
    (0x83472042, 0x1000, True, "cmpb,=,n  r7,arg0,0x1028"),
    (0x834A5FF9, 0x2000, True, "cmpb,<  r10,arg0,0x1004"),  # backward; capstone
    (0x87472040, 0x1000, True, "cmpib,=  -0xd,arg0,0x1028"),  # capstone
    (0xE8400000, 0x183718, True, "b,l  0x183720,rp"),  # capstone
    (0x00000000, 0, True, "break  0,0"),
    (0xFFFFFFFF, 0, True, ".word 0xffffffff"),
]


@pytest.mark.parametrize(("word", "pc", "wide", "text"), TABLE,
                         ids=[f"{w:#010x}" for w, *_ in TABLE])
def test_builtin_decoder(word: int, pc: int, wide: bool, text: str) -> None:
    assert disassemble(word, pc, wide) == text


def test_register_names() -> None:
    names = [reg_name(n) for n in range(32)]
    assert names[1:4] == ["r1", "rp", "r3"]
    assert names[23:31] == ["arg3", "arg2", "arg1", "arg0", "dp", "ret0", "ret1", "sp"]
    assert names[31] == "r31" and names[22] == "r22"


def test_decoded_fields_of_a_store() -> None:
    insn = decode(0x73FD0040)
    assert (insn.kind, insn.register, insn.base, insn.displacement) == ("store", 29, 31, 0x20)
    load = decode(0x53970000)
    assert (load.kind, load.register, load.base, load.displacement) == ("load", 23, 28, 0)


@given(register=st.integers(0, 31), base=st.integers(0, 31),
       slot=st.integers(-1024, 1023).map(lambda n: n * 8))
def test_std_encoding_round_trips(register: int, base: int, slot: int) -> None:
    for wide in (False, True):
        insn = decode(encode_std(register, slot, base), wide=wide)
        assert (insn.kind, insn.register, insn.base, insn.displacement) == \
            ("store", register, base, slot)


@given(register=st.integers(0, 31), base=st.integers(0, 31), disp=st.integers(-8192, 8191))
def test_stw_and_ldo_encodings_round_trip(register: int, base: int, disp: int) -> None:
    for wide in (False, True):
        store = decode(encode_stw(register, disp, base), wide=wide)
        assert (store.kind, store.register, store.base, store.displacement) == \
            ("store", register, base, disp)
        ldo = decode(encode_ldo(disp, base, register), wide=wide)
        assert (ldo.kind, ldo.register, ldo.base, ldo.displacement) == \
            ("ldo", register, base, disp)


@given(word=st.integers(0, 0xFFFFFFFF), pc=st.integers(0, 0xFFFFFFFF))
def test_any_word_decodes(word: int, pc: int) -> None:
    text = disassemble(word, pc, True)
    assert text and "\n" not in text


def test_capstone_agrees_on_the_report_forms() -> None:
    """With the `disasm` extra installed, capstone's text, rewritten to HP's conventions,
    is the built-in decoder's for the forms the reports print."""
    capstone = pytest.importorskip("capstone")
    if not hasattr(capstone, "CS_ARCH_HPPA"):
        pytest.skip("capstone < 6 has no HPPA")
    for word, pc, wide, text in TABLE[:15]:
        assert disassemble(word, pc, wide, use_capstone=True) == text


@given(words=st.lists(st.integers(0, 0xFFFFFFFF), max_size=40), pc=st.integers(0, 0xFFFFFFFF),
       wide=st.booleans())
def test_bulk_texts_are_the_single_ones(words: list[int], pc: int, wide: bool) -> None:
    """disassemble_words keeps branches as text around a distance: the same texts, twice."""
    pc &= ~3
    expected = [disassemble(w, pc + 4 * i, wide) for i, w in enumerate(words)]
    assert disassemble_words(words, pc, wide) == expected
    assert disassemble_words(words, pc, wide) == expected


def _cmpb(condition: int, nullify: int, r1: int, r2: int, pc: int, target: int) -> int:
    """CMPB (0x20) at pc to target: assemble_12 of the word displacement from pc + 8."""
    w = ((target - pc - 8) >> 2) & 0xFFF
    w1 = ((w & 0x3FF) << 1) | ((w >> 10) & 1)
    return (0x20 << 26) | (r2 << 21) | (r1 << 16) | (condition << 13) | (w1 << 2) | \
        (nullify << 1) | (w >> 11)


def test_two_blanks_after_the_mnemonic_whatever_its_length() -> None:
    """crashinfo's columns (`ldd  0(ret0),arg3`): the mnemonic, two blanks, the operands."""
    assert disassemble(_cmpb(2, 1, 0, 24, 0x34200, 0x3424C), 0x34200) == \
        "cmpb,<,n  r0,arg2,0x3424c"
    assert disassemble(0x08000240) == "nop"
    for word, pc, wide, text in TABLE[:3]:  # the reports' instructions
        mnemonic, operands = text.split("  ")
        assert disassemble(word, pc, wide) == f"{mnemonic}  {operands}"
