"""q4py's decoder against GNU objdump's: the oracle corpus fixtures/disasm/corpus.tsv.gz
(tools/disasm_oracle.py wrote it from hppa64-linux-gnu-objdump; binutils is not needed
here). The comparison is semantic (q4py/disasm/gnu.py, table in docs/disassembly.md)."""

from __future__ import annotations

import gzip
from pathlib import Path

import pytest

from q4py.disasm import disassemble
from q4py.disasm.gnu import agree, compare_corpus, gnu_undecoded

CORPUS = Path(__file__).parent.parent / "fixtures" / "disasm" / "corpus.tsv.gz"


def test_corpus_figures() -> None:
    with gzip.open(CORPUS, "rt", encoding="utf-8") as f:
        figures = compare_corpus(f, lambda word, pc: disassemble(word, pc, True))
    assert figures.gnu > 20000  # the corpus is what it says it is
    assert figures.decoded >= 0.99, figures.summary()
    assert figures.agreement >= 0.99, figures.summary()
    # reserved fields are checked: what GNU calls no instruction, q4py does too
    assert len(figures.extra) <= 0.01 * (figures.words - figures.gnu), figures.summary()


@pytest.mark.parametrize(("gnu", "ours"), [
    ("ldd 0(ret0),r23", "ldd  0(ret0),arg3"),  # argument registers by name
    ("std ret1,20(r31)", "std  ret1,0x20(r31)"),  # GNU's hex without 0x
    ("ldil L%20eab000,r10", "ldil  0x20eab000,r10"),  # GNU's L% selector
    ("shrpw r13,r15,sar,r0", "shrpw  r13,r15,sar,r0"),
    ("extrw,u r7,16,32,r11", "extrw,u  r7,16,32,r11"),  # decimal positions
    ("fstws,mb,bc fr17R,b(sr2,r5)", "fstw,mb,bc  fr17R,0xb(sr2,r5)"),
    ("fldw -10(r9),fpe3", "fldw  -0x10(r9),fr1R"),  # GNU's names of fr0..fr3
    ("mixw,lr6,sp,r9", "mixw,l  r6,sp,r9"),  # GNU's missing blank
    ("cmpb,<,n r0,r24,0x3424c", "cmpb,<,n  r0,arg2,0x3424c"),
])
def test_normalised_agreement(gnu: str, ours: str) -> None:
    assert agree(gnu, ours) is None


@pytest.mark.parametrize(("gnu", "ours"), [
    ("ldd 0(ret0),r23", "ldd  0(ret0),arg2"),  # another register
    ("std ret1,20(r31)", "std  ret1,20(r31)"),  # 0x20 is not 20
    ("cmpb,<,n r0,r24,0x3424c", "cmpb,<=,n  r0,arg2,0x3424c"),  # another condition
    ("cmpb,<,n r0,r24,0x3424c", "cmpb,<  r0,arg2,0x3424c"),  # nullification lost
    ("b,l 0x20,rp", "b,l  0x24,rp"),  # another target
    ("add,l r1,r2,r3", "add,l  r1,r2"),  # an operand lost
])
def test_differences_are_seen(gnu: str, ours: str) -> None:
    assert agree(gnu, ours) is not None


def test_gnu_undecoded_forms() -> None:
    assert gnu_undecoded("#1c029006") and gnu_undecoded("and(null) r3,sp,r11")
    assert not gnu_undecoded("ldw 0(ret0),r1")
