"""Branches: compare/add-and-branch (immediate and register, word and doubleword), branch on
bit, move-and-branch, BE/BLE, and the BL/GATE/BLR/BV/BVE family of opcode 0x3A.

Targets of pc-relative branches are absolute addresses: pc + 8 + displacement."""

from __future__ import annotations

from q4py.disasm.core import (
    ADD,
    ADD_NEG,
    COMPARE,
    COMPARE_NEG,
    MASK64,
    REG,
    SHIFT,
    Instruction,
    low_sign,
    number,
    sign,
)

_ADD_BRANCH = ("", "=", "<", "<=", "nuv", "*=", "*<", "*<=")  # PA 2.0: 5..7 doubleword
_ADD_BRANCH_NEG = ("tr", "<>", ">=", ">", "uv", "*<>", "*>=", "*>")
_CMPIB_DOUBLEWORD = ("*<<", "*=", "*<", "*<=", "*>>=", "*<>", "*>=", "*>")
# opcode -> (mnemonic, immediate form, conditions, doubleword)
_COMPARE_BRANCHES: dict[int, tuple[str, bool, tuple[str, ...], bool]] = {
    0x20: ("cmpb", False, COMPARE, False), 0x22: ("cmpb", False, COMPARE_NEG, False),
    0x27: ("cmpb", False, COMPARE, True), 0x2F: ("cmpb", False, COMPARE_NEG, True),
    0x21: ("cmpib", True, COMPARE, False), 0x23: ("cmpib", True, COMPARE_NEG, False),
    0x28: ("addb", False, _ADD_BRANCH, False), 0x2A: ("addb", False, _ADD_BRANCH_NEG, False),
    0x29: ("addib", True, _ADD_BRANCH, False), 0x2B: ("addib", True, _ADD_BRANCH_NEG, False),
    0x3B: ("cmpib", True, _CMPIB_DOUBLEWORD, False),
}
del ADD, ADD_NEG


def _target12(word: int, pc: int) -> int:
    """assemble_12(w1 = bits 19..29, w = bit 31), in words, from pc + 8."""
    w1 = (word >> 2) & 0x7FF
    value = sign(((word & 1) << 11) | ((w1 & 1) << 10) | (w1 >> 1), 12)
    return (pc + 8 + (value << 2)) & MASK64


def _disp17(word: int) -> int:
    """assemble_17(w1 = bits 11..15, w2 = bits 19..29, w = bit 31), in words."""
    w1, w2 = (word >> 16) & 31, (word >> 2) & 0x7FF
    return sign(((word & 1) << 16) | (w1 << 11) | ((w2 & 1) << 10) | (w2 >> 1), 17)


def _disp22(word: int) -> int:
    """assemble_22: assemble_17 with bits 6..10 above it."""
    w3, w1, w2 = (word >> 21) & 31, (word >> 16) & 31, (word >> 2) & 0x7FF
    return sign(((word & 1) << 21) | (w3 << 16) | (w1 << 11) | ((w2 & 1) << 10) | (w2 >> 1), 22)


def _nullify(word: int) -> str:
    return ",n" if word & 2 else ""


def op_compare_branch(word: int, pc: int) -> Instruction:
    name, immediate, conditions, doubleword = _COMPARE_BRANCHES[word >> 26]
    r1 = (word >> 16) & 31
    cond = conditions[(word >> 13) & 7]
    if doubleword:
        cond = "*" + cond
    if cond:
        name = f"{name},{cond}"
    if word & 2:
        name += ",n"
    w1 = (word >> 2) & 0x7FF
    value = ((word & 1) << 11) | ((w1 & 1) << 10) | (w1 >> 1)
    if value & 0x800:
        value -= 0x1000
    target = (pc + 8 + (value << 2)) & MASK64
    first = number(low_sign(r1, 5)) if immediate else REG[r1]
    return Instruction(word, name, (first, REG[(word >> 21) & 31], f"{target:#x}"), "branch",
                       None, None, None, False, target)


def op_move_branch(word: int, pc: int) -> Instruction:
    """MOVB (0x32) and MOVIB (0x33)."""
    r2, r1 = (word >> 21) & 31, (word >> 16) & 31
    immediate = word >> 26 == 0x33
    cond = SHIFT[(word >> 13) & 7]
    name = ("movib" if immediate else "movb") + ("," + cond if cond else "") + _nullify(word)
    target = _target12(word, pc)
    first = number(low_sign(r1, 5)) if immediate else REG[r1]
    return Instruction(word, name, (first, REG[r2], f"{target:#x}"), "branch", target=target)


def op_branch_on_bit(word: int, pc: int) -> Instruction | None:
    """BB: on the bit SAR names (0x30) or a fixed position (0x31)."""
    p, r = (word >> 21) & 31, (word >> 16) & 31
    c, one, d = (word >> 15) & 1, (word >> 14) & 1, (word >> 13) & 1
    if not one:
        return None
    if word >> 26 == 0x30:
        if p:
            return None
        position = "sar"
    else:
        position = str(p)
    name = "bb," + ("*" if d else "") + (">=" if c else "<") + _nullify(word)
    target = _target12(word, pc)
    return Instruction(word, name, (REG[r], position, f"{target:#x}"), "branch", target=target)


def _space3(s: int) -> int:
    """assemble_3: the 3-bit space register number of BE/BLE and MTSP/MFSP."""
    return ((s & 1) << 2) | (s >> 1)


def op_branch_external(word: int, pc: int) -> Instruction:
    """BE (0x38) and BLE (0x39, links in sr0 and r31)."""
    b, s = (word >> 21) & 31, (word >> 13) & 7
    disp = _disp17(word) << 2
    at = f"{number(disp)}(sr{_space3(s)},{REG[b]})"
    if word >> 26 == 0x39:
        return Instruction(word, "be,l" + _nullify(word), (at, "sr0", "r31"), "branch")
    return Instruction(word, "be" + _nullify(word), (at,), "branch")


def op_branch(word: int, pc: int) -> Instruction | None:
    """Opcode 0x3A by ext3 (bits 16..18): BL, GATE, BLR, BL,PUSH / BL with 22 bits, BV,
    BVE."""
    t, x, ext = (word >> 21) & 31, (word >> 16) & 31, (word >> 13) & 7
    n = _nullify(word)
    if ext in (0, 1):
        target = (pc + 8 + (_disp17(word) << 2)) & MASK64
        name = ("b,l" if ext == 0 else "b,gate") + n
        return Instruction(word, name, (f"{target:#x}", REG[t]), "branch", target=target)
    if ext in (4, 5):
        target = (pc + 8 + (_disp22(word) << 2)) & MASK64
        name = ("b,l,push" if ext == 4 else "b,l") + n
        return Instruction(word, name, (f"{target:#x}", "rp"), "branch", target=target)
    if ext == 2:
        if word & 1:
            return None
        return Instruction(word, "blr" + n, (REG[x], REG[t]), "branch")
    if ext in (6, 7):
        if not (word >> 12) & 1:  # BV
            if ext == 7 or word & 0x1FFD:
                return None
            return Instruction(word, "bv" + n, (f"{REG[x]}({REG[t]})",), "branch")
        if x or word & 0xFFC:
            return None
        pop = word & 1
        if ext == 6:
            return Instruction(word, "bve" + (",pop" if pop else "") + n, (f"({REG[t]})",),
                               "branch")
        return Instruction(word, "bve,l" + (",push" if pop else "") + n, (f"({REG[t]})", "rp"),
                           "branch")
    return None
