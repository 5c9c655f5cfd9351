"""The PA-RISC processor status word (IPSW, cr22): its bits and crashinfo's letters for them.

Bits and letters as the PA-RISC 2.0 architecture (and Linux's asm/psw.h) name them. crashinfo
prints the letters of the bits that are set, highest bit first: `0800001f WRQPDI`.
"""

from __future__ import annotations

PSW_I = 0x1  # external interrupts enabled
PSW_D = 0x2  # data address translation
PSW_P = 0x4  # protection identifier validation
PSW_Q = 0x8  # interruption state collection

_LETTERS = (
    (0x80000000, "Y"), (0x40000000, "Z"), (0x08000000, "W"), (0x04000000, "E"),
    (0x02000000, "S"), (0x01000000, "T"), (0x00800000, "H"), (0x00400000, "L"),
    (0x00200000, "N"), (0x00100000, "X"), (0x00080000, "B"), (0x00040000, "C"),
    (0x00020000, "V"), (0x00010000, "M"), (0x00000080, "O"), (0x00000040, "G"),
    (0x00000020, "F"), (0x00000010, "R"), (0x00000008, "Q"), (0x00000004, "P"),
    (0x00000002, "D"), (0x00000001, "I"),
)


def psw_letters(psw: int) -> str:
    """`WRQPDI` for 0x0800001f: a letter per bit set, highest first (carry bits have none)."""
    return "".join(letter for bit, letter in _LETTERS if psw & bit)
