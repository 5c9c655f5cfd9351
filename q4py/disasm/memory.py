"""Loads and stores: the long-displacement forms (opcodes 0x10..0x1F, floating point ones
included), the indexed and short-displacement forms of opcode 0x03, and the coprocessor
(floating point) word and doubleword forms of opcodes 0x09 and 0x0B."""

from __future__ import annotations

from q4py.disasm.arith import long_displacement
from q4py.disasm.core import REG, Instruction, low_sign, number, sign, space_base

_LOAD_WORD = {0x10: "ldb", 0x11: "ldh", 0x12: "ldw", 0x13: "ldw"}
_STORE_WORD = {0x18: "stb", 0x19: "sth", 0x1A: "stw", 0x1B: "stw"}


def fr(number_: int, right: int = 0) -> str:
    """A floating-point register: `fr4`, its right half `fr4R`."""
    return f"fr{number_}R" if right else f"fr{number_}"


def _at(disp: int, base: int, space: int | None) -> str:
    return f"{number(disp)}(sr{space},{REG[base]})" if space else f"{number(disp)}({REG[base]})"


def make_word_memory(wide: bool):
    def op_word_memory(word: int, pc: int) -> Instruction:
        """LDB/LDH/LDW/LDWM, STB/STH/STW/STWM (im14 displacement)."""
        op = word >> 26
        base, reg = (word >> 21) & 31, (word >> 16) & 31
        disp, space = long_displacement(word, wide)
        at = _at(disp, base, space)
        modifies = op in (0x13, 0x1B)
        # LDWM/STWM: the sign of the displacement says before (mb) or after (ma).
        if op in _LOAD_WORD:
            name = ("ldw,mb" if disp < 0 else "ldw,ma") if modifies else _LOAD_WORD[op]
            return Instruction(word, name, (at, REG[reg]), "load", reg, base, disp, modifies)
        name = ("stw,mb" if disp < 0 else "stw,ma") if modifies else _STORE_WORD[op]
        return Instruction(word, name, (REG[reg], at), "store", reg, base, disp, modifies)
    return op_word_memory


def _displacement_16a(word: int, wide: bool, scale_bits: int, low: int) -> tuple[int, int | None]:
    """assemble_16a: `low` (the im10a/im11a field, already scaled) with the sign in bit 31."""
    s, i = (word >> 14) & 3, word & 1
    if not wide:
        return sign((i << 13) | low, 14), (s or None)
    high = s ^ (3 if i else 0)
    return sign((i << 15) | (high << 13) | low, 16), None


def make_doubleword(wide: bool):
    def op_doubleword(word: int, pc: int) -> Instruction:
        """LDD/STD and FLDD/FSTD (0x14/0x1C): im10a in 8-byte units."""
        op = word >> 26
        base, reg = (word >> 21) & 31, (word >> 16) & 31
        disp, space = _displacement_16a(word, wide, 3, ((word >> 4) & 0x3FF) << 3)
        m, a, fp = (word >> 3) & 1, (word >> 2) & 1, (word >> 1) & 1
        name = ("fldd" if fp else "ldd") if op == 0x14 else ("fstd" if fp else "std")
        if m:
            name += ",mb" if a else ",ma"
        at = _at(disp, base, space)
        r = fr(reg) if fp else REG[reg]
        if fp:
            return Instruction(word, name, (at, r) if op == 0x14 else (r, at))
        if op == 0x14:
            return Instruction(word, name, (at, r), "load", reg, base, disp, bool(m))
        return Instruction(word, name, (r, at), "store", reg, base, disp, bool(m))
    return op_doubleword


def make_fp_word(wide: bool):
    def op_fp_word(word: int, pc: int) -> Instruction | None:
        """0x16/0x1E: FLDW/FSTW with modification; 0x17/0x1F: FLDW/FSTW, or LDW/STW,M
        (bit 29) in PA 2.0's format for the displacement signs LDWM/STWM cannot say."""
        op = word >> 26
        base, reg = (word >> 21) & 31, (word >> 16) & 31
        load = op in (0x16, 0x17)
        bits = word & 7
        if op in (0x17, 0x1F) and bits & 4:
            if bits & 2:
                return None
            disp, space = _displacement_16a(word, wide, 2, ((word >> 3) & 0x7FF) << 2)
            name = ("ldw" if load else "stw") + (",mb" if disp >= 0 else ",ma")
            at = _at(disp, base, space)
            if load:
                return Instruction(word, name, (at, REG[reg]), "load", reg, base, disp, True)
            return Instruction(word, name, (REG[reg], at), "store", reg, base, disp, True)
        disp, space = _displacement_16a(word, wide, 2, ((word >> 3) & 0x7FF) << 2)
        name = "fldw" if load else "fstw"
        if op in (0x16, 0x1E):
            name += ",mb" if bits & 4 else ",ma"
        r = fr(reg, bits & 2)
        at = _at(disp, base, space)
        return Instruction(word, name, (at, r) if load else (r, at))
    return op_fp_word


# -- opcode 0x03 ---------------------------------------------------------------------------------
_LOADS = ("ldb", "ldh", "ldw", "ldd", "ldda", "ldcd", "ldwa", "ldcw")
_STORES = ("stb", "sth", "stw", "std", "stby", "stdby", "stwa", "stda")
_ABSOLUTE = {"ldda", "ldwa", "stwa", "stda"}  # physical: no space register
_HINTS = ("", ",bc", ",sl", "")
_SEMAPHORE_HINTS = ("", ",co", "", "")


def op_indexed(word: int, pc: int) -> Instruction | None:
    """Opcode 0x03: indexed and short-displacement loads and stores, LDCW/LDCD, STBY."""
    base, x, s = (word >> 21) & 31, (word >> 16) & 31, (word >> 14) & 3
    a, short, cc = (word >> 13) & 1, (word >> 12) & 1, (word >> 10) & 3
    ext4, m, t = (word >> 6) & 15, (word >> 5) & 1, word & 31
    if ext4 >= 8:
        if not short:
            return None
        name = _STORES[ext4 - 8]
        disp = low_sign(t, 5)
        if ext4 in (12, 13):  # STBY/STDBY: b(egin) or e(nd), m: modify
            name += (",e" if a else (",b" if m else "")) + (",m" if m else "")
        elif m:
            name += ",mb" if a else ",ma"
        name += _HINTS[cc]
        if _STORES[ext4 - 8] in _ABSOLUTE:
            if s:  # physical addresses: no space register
                return None
        where = space_base(s, base)
        return Instruction(word, name, (REG[x], number(disp) + where), "store", x, base, disp,
                           bool(m))
    name = _LOADS[ext4]
    semaphore = ext4 in (5, 7)
    if short:
        disp = low_sign(x, 5)
        if m:
            name += ",mb" if a else ",ma"
        where = number(disp)
    else:
        disp = None
        if a or m:  # u: index scaled by the size; m: base modified
            name += "," + ("s" if a else "") + ("m" if m else "")
        where = REG[x]
    name += (_SEMAPHORE_HINTS if semaphore else _HINTS)[cc]
    if s and _LOADS[ext4] in _ABSOLUTE:  # physical addresses: no space register
        return None
    return Instruction(word, name, (where + space_base(s, base), REG[t]), "load", t, base,
                       disp, bool(m))


# -- coprocessor loads and stores (0x09 word, 0x0B doubleword) ----------------------------------
def op_coprocessor_memory(word: int, pc: int) -> Instruction | None:
    op = word >> 26
    base, x, s = (word >> 21) & 31, (word >> 16) & 31, (word >> 14) & 3
    a, short, cc = (word >> 13) & 1, (word >> 12) & 1, (word >> 10) & 3
    store, uid, m, t = (word >> 9) & 1, (word >> 6) & 7, (word >> 5) & 1, word & 31
    doubleword = op == 0x0B
    if uid == 0 or (uid == 1 and not doubleword):  # the floating-point coprocessor
        name = ("fstd" if store else "fldd") if doubleword else ("fstw" if store else "fldw")
        reg = fr(t, uid)
    else:
        name = (("cstd" if store else "cldd") if doubleword else ("cstw" if store else "cldw"))
        name += f",{uid}"
        reg = REG[t]
    if short:
        disp = low_sign(x, 5)
        if m:
            name += ",mb" if a else ",ma"
        elif a and name[0] == "c":
            name += ",o"
        where = number(disp)
    else:
        if a or m:
            name += "," + ("s" if a else "") + ("m" if m else "")
        where = REG[x]
    name += _HINTS[cc]
    at = where + space_base(s, base)
    return Instruction(word, name, (reg, at) if store else (at, reg))


def op_quad_store(word: int, pc: int) -> Instruction | None:
    """Opcode 0x0F: FSTQX / FSTQS, the quadword floating-point stores."""
    base, x, s = (word >> 21) & 31, (word >> 16) & 31, (word >> 14) & 3
    a, short, cc = (word >> 13) & 1, (word >> 12) & 1, (word >> 10) & 3
    store, uid, m, t = (word >> 9) & 1, (word >> 6) & 7, (word >> 5) & 1, word & 31
    if not store or uid or cc:
        return None
    if short:
        name = "fstqs" + ((",mb" if a else ",ma") if m else "")
        where = number(low_sign(x, 5))
    else:
        name = "fstqx" + (("," + ("s" if a else "") + ("m" if m else "")) if a or m else "")
        where = REG[x]
    return Instruction(word, name + _HINTS[cc], (fr(t), where + space_base(s, base)))
