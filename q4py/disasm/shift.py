"""Shifts, extracts and deposits: SHRPW/SHRPD, EXTRW/EXTRD, DEPW/DEPD, DEPWI/DEPDI, with the
amount in SAR (`sar`) or fixed. Positions and lengths are printed in decimal, as HP's
assembler writes them."""

from __future__ import annotations

from q4py.disasm.core import REG, SHIFT, Instruction, low_sign, number


def _cond(word: int, doubleword: bool) -> str:
    cond = SHIFT[(word >> 13) & 7]
    if doubleword:
        return ",*" + cond
    return "," + cond if cond else ""


def op_shift_extract(word: int, pc: int) -> Instruction | None:
    """Opcode 0x34 by bits 19..22."""
    r2, r1, t = (word >> 21) & 31, (word >> 16) & 31, word & 31
    k = (word >> 9) & 15
    low = (word >> 5) & 31  # bits 22..26
    if k & 8 == 0:  # shift right pair
        if k == 0:
            if low:
                return None
            return Instruction(word, "shrpw" + _cond(word, False),
                               (REG[r1], REG[r2], "sar", REG[t]))
        if k == 1:
            if low & 15:
                return None
            return Instruction(word, "shrpd" + _cond(word, True),
                               (REG[r1], REG[r2], "sar", REG[t]))
        if k & 2:  # bits 19..21 = 0p1: SHRPD fixed
            sa = 63 - ((((word >> 11) & 1) << 5) | low)
            return Instruction(word, "shrpd" + _cond(word, True),
                               (REG[r1], REG[r2], str(sa), REG[t]))
        if k & 4:  # bits 19..21 = 010: SHRPW fixed
            return Instruction(word, "shrpw" + _cond(word, False),
                               (REG[r1], REG[r2], str(31 - low), REG[t]))
        return None
    # extracts: source r2 (bits 6..10), target r1 (bits 11..15), bit 21 signed
    signed = ",s" if k & 2 else ",u"
    if k & 4:  # EXTRW fixed
        return Instruction(word, "extrw" + signed + _cond(word, False),
                           (REG[r2], str(low), str(32 - t), REG[r1]))
    if k & 1:  # EXTRD variable: bit 23 is the length's high bit
        if low & 7:
            return None
        length = (64 if low & 8 else 32) - t
        return Instruction(word, "extrd" + signed + _cond(word, True),
                           (REG[r2], "sar", str(length), REG[r1]))
    if low:
        return None
    return Instruction(word, "extrw" + signed + _cond(word, False),
                       (REG[r2], "sar", str(32 - t), REG[r1]))


def op_deposit(word: int, pc: int) -> Instruction | None:
    """Opcode 0x35 by bits 19..22: DEPW/DEPD/DEPWI/DEPDI, variable or (word) fixed."""
    t, r = (word >> 21) & 31, (word >> 16) & 31
    clen = word & 31
    k = (word >> 9) & 15
    low = (word >> 5) & 31
    immediate = bool(k & 8)
    source = number(low_sign(r, 5)) if immediate else REG[r]
    zero = "" if k & 2 else ",z"
    base = "depwi" if immediate else "depw"
    if k & 4:  # fixed, word
        return Instruction(word, base + zero + _cond(word, False),
                           (source, str(31 - low), str(32 - clen), REG[t]))
    if k & 1:  # variable, doubleword: bit 23 is the length's high bit
        if low & 7:
            return None
        length = (64 if low & 8 else 32) - clen
        return Instruction(word, ("depdi" if immediate else "depd") + zero + _cond(word, True),
                           (source, "sar", str(length), REG[t]))
    if low:
        return None
    return Instruction(word, base + zero + _cond(word, False),
                       (source, "sar", str(32 - clen), REG[t]))


def op_extract_doubleword(word: int, pc: int) -> Instruction:
    """Opcode 0x36: EXTRD with a fixed position."""
    r, t = (word >> 21) & 31, (word >> 16) & 31
    position = (((word >> 11) & 1) << 5) | ((word >> 5) & 31)
    length = (64 if (word >> 12) & 1 else 32) - (word & 31)
    signed = ",s" if (word >> 10) & 1 else ",u"
    return Instruction(word, "extrd" + signed + _cond(word, True),
                       (REG[r], str(position), str(length), REG[t]))


def op_deposit_doubleword(word: int, pc: int) -> Instruction:
    """Opcodes 0x3C (DEPD) and 0x3D (DEPDI) with a fixed position."""
    t, r = (word >> 21) & 31, (word >> 16) & 31
    position = 63 - ((((word >> 11) & 1) << 5) | ((word >> 5) & 31))
    length = (64 if (word >> 12) & 1 else 32) - (word & 31)
    zero = "" if (word >> 10) & 1 else ",z"
    if word >> 26 == 0x3D:
        return Instruction(word, "depdi" + zero + _cond(word, True),
                           (number(low_sign(r, 5)), str(position), str(length), REG[t]))
    return Instruction(word, "depd" + zero + _cond(word, True),
                       (REG[r], str(position), str(length), REG[t]))
