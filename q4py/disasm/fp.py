"""Floating point and the coprocessor forms: opcode 0x0C (full registers) and 0x0E (with
the L/R halves of PA-RISC 1.1 and later), the fused multiply-add of 0x2E, and FMPYADD /
FMPYSUB (0x06 / 0x26). Other coprocessors' operations print as `copr,UID,SOP`."""

from __future__ import annotations

from q4py.disasm.core import Instruction, number
from q4py.disasm.memory import fr

_FORMATS = (",sgl", ",dbl", "", ",quad")
_CLASS0 = {2: "fcpy", 3: "fabs", 4: "fsqrt", 5: "frnd", 6: "fneg", 7: "fnegabs"}
_CLASS3 = {0: "fadd", 1: "fsub", 2: "fmpy", 3: "fdiv", 4: "frem"}
_CONVERSIONS = {0: "fcnvff", 1: "fcnvxf", 2: "fcnvfx", 3: "fcnvfxt"}
FCMP = ("false?", "false", "?", "!<=>", "=", "=t", "?=", "!<>", "!?>=", "<", "?<", "!>=",
        "!?>", "<=", "?<=", "!>", "!?<=", ">", "?>", "!<=", "!?<", ">=", "?>=", "!<", "!?=",
        "<>", "!=", "!=t", "!?", "<=>", "true?", "true")


def op_float(word: int, pc: int) -> Instruction | None:
    """Opcodes 0x0C and 0x0E: classes 0 (copy/abs/sqrt/round/negate), 1 (conversions),
    2 (compare), 3 (arithmetic), picked by bits 21..22."""
    halves = word >> 26 == 0x0E
    r1, r2, t = (word >> 21) & 31, (word >> 16) & 31, word & 31
    cls, sub = (word >> 9) & 3, (word >> 13) & 7
    if halves:
        if (word >> 5) & 1:  # bit 26 is reserved in 0x0E
            return None
        # one-source classes (0, 1) and FREM use bits 19..20 for the format; the two-source
        # ones use bit 20 and give bit 19 to r2's half
        two_bits = (cls == 0 and sub < 6) or cls == 1 or (cls == 3 and sub == 4)
        fmt = _FORMATS[(word >> 11) & (3 if two_bits else 1)]
        r1_half, r2_half, t_half = (word >> 7) & 1, (word >> 12) & 1, (word >> 6) & 1
        if (word >> 8) & 1 and not (cls == 3 and sub == 2):
            return None
    else:
        if (word >> 6) & 7 or (word >> 5) & 1:  # uid: another coprocessor
            return _copr(word)
        fmt = _FORMATS[(word >> 11) & 3]
        r1_half = r2_half = t_half = 0
    a, b, target = fr(r1, r1_half), fr(r2, r2_half), fr(t, t_half)
    if cls == 0:
        if sub == 0 and not halves and word == 0x30000000:
            return Instruction(word, "fid", ())
        name = _CLASS0.get(sub)
        if name is None or r2:
            return None if halves else _copr(word)
        return Instruction(word, name + fmt, (a, target))
    if cls == 1:
        kind = (word >> 15) & 7
        name = _CONVERSIONS.get(kind)
        if name is None or r2 & 0x1C:
            return None if halves else _copr(word)
        source = _FORMATS[(word >> 11) & 3]
        dest = _FORMATS[(word >> 13) & 3]
        return Instruction(word, name + source + dest, (a, target))
    if cls == 2:
        y = sub
        operands = (a, b) + (("", str(y - 1)) if y else ())
        return Instruction(word, "fcmp" + fmt + "," + FCMP[t], operands)
    if halves and sub == 2 and (word >> 8) & 1:
        return Instruction(word, "xmpyu", (a, b, target))
    name = _CLASS3.get(sub)
    if name is None:
        return None if halves else _copr(word)
    return Instruction(word, name + fmt, (a, b, target))


def _copr(word: int) -> Instruction:
    uid = (word >> 6) & 7
    sop = (((word >> 9) & 0x1FFFF) << 5) | (word & 31)
    n = ",n" if (word >> 5) & 1 else ""
    return Instruction(word, f"copr,{uid},{number(sop)}{n}", ())


def _single5(field5: int) -> str:
    """FMPYADD/FMPYSUB single: a 5-bit field names fr16..fr31, bit 4 the right half."""
    return fr(16 + (field5 & 15), field5 & 16)


def op_fmpyadd(word: int, pc: int) -> Instruction:
    """FMPYADD (0x06) / FMPYSUB (0x26): rm1, rm2, tm, ra, ta; bit 26 selects single."""
    single = (word >> 5) & 1
    name = ("fmpyadd" if word >> 26 == 0x06 else "fmpysub") + (",sgl" if single else ",dbl")
    fields = ((word >> 21) & 31, (word >> 16) & 31, word & 31, (word >> 6) & 31,
              (word >> 11) & 31)
    regs = tuple(_single5(f) if single else fr(f) for f in fields)
    return Instruction(word, name, regs)


def op_fused(word: int, pc: int) -> Instruction:
    """FMPYFADD / FMPYNFADD (0x2E): rm1, rm2, ra, t with their halves."""
    r1, r2, t = (word >> 21) & 31, (word >> 16) & 31, word & 31
    ra = (((word >> 13) & 7) << 2) | ((word >> 9) & 3)
    name = ("fmpynfadd" if (word >> 5) & 1 else "fmpyfadd") + (",dbl" if (word >> 11) & 1
                                                                 else ",sgl")
    return Instruction(word, name, (fr(r1, (word >> 7) & 1), fr(r2, (word >> 12) & 1),
                                    fr(ra, (word >> 8) & 1), fr(t, (word >> 6) & 1)))
