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
        special = _special(word)
        if special is not None:
            return special
        if cls == 1 and not (word >> 5) & 1:
            found = _fcnv(word)
            if found is not None:
                return found
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


_FTEST = {1: ",acc", 2: ",rej", 5: ",acc8", 6: ",rej8", 9: ",acc6", 13: ",acc4", 17: ",acc2"}
_FTEST_BIT = {0: "0", 2: "2", 3: "1", 4: "4", 5: "3", 6: "6", 7: "5"}  # y -> cbit, GNU's


def _special(word: int) -> Instruction | None:
    """FTEST (with a completer or a compare bit) and the performance monitor's PMDIS/PMENB."""
    if word & ~0x1F == 0x30002420:
        completer = _FTEST.get(word & 31, None if word & 31 else "")
        return None if completer is None else Instruction(word, "ftest" + completer, ())
    if word & ~0xE000 == 0x30000420 and (word >> 13) & 7 != 1:
        return Instruction(word, "ftest", (_FTEST_BIT[(word >> 13) & 7],))
    if word & ~0x20 == 0x30000280:
        return Instruction(word, "pmdis,n" if word & 0x20 else "pmdis", ())
    if word == 0x30000680:
        return Instruction(word, "pmenb", ())
    return None


_FIXED = (",w", ",dw", "", ",qw")
_UNSIGNED = (",uw", ",udw", "", ",uqw")


def _fcnv(word: int) -> Instruction | None:
    """PA 2.0's FCNV (opcode 0x0C, class 1): sub-op 0 float to float, 1/5 (unsigned) fixed to
    float, 2/6 float to fixed, 3/7 the same truncating (`,t`); the form with uid bits 23..25
    set or sub-ops 5..7 (0..3 with uid 0 are PA 1.1's FCNVFF/XF/FX/FXT). Bit 25 says the
    right halves, as GNU reads it."""
    uid, sub = (word >> 6) & 7, (word >> 15) & 7
    if uid & 4 or (word >> 16) & 31 & 0x1C or sub == 4 or (uid == 0 and sub < 4):
        return None
    source, dest = (word >> 11) & 3, (word >> 13) & 3
    if sub == 0:
        completers = _FORMATS[source] + _FORMATS[dest]
    elif sub in (1, 5):
        completers = (_FIXED if sub == 1 else _UNSIGNED)[source] + _FORMATS[dest]
    else:
        fixed = _FIXED if sub in (2, 3) else _UNSIGNED
        completers = (",t" if sub in (3, 7) else "") + _FORMATS[source] + fixed[dest]
    right = uid & 1
    return Instruction(word, "fcnv" + completers,
                       (fr((word >> 21) & 31, right), fr(word & 31, right)))


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
