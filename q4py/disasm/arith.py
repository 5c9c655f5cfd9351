"""Computation: the arithmetic/logical major opcode 0x02 (with PA 2.0's halfword multimedia
forms hadd/hsub/havg/hshladd/hshradd), LDIL/ADDIL/LDO and the immediate forms ADDI, ADDI,TC,
SUBI and CMPICLR."""

from __future__ import annotations

from q4py.disasm.core import (
    ADD,
    ADD_NEG,
    COMPARE,
    COMPARE_NEG,
    LOGICAL,
    LOGICAL_NEG,
    REG,
    UNIT,
    UNIT_NEG,
    Instruction,
    condition,
    field,
    hexa,
    low_sign,
    number,
    sign,
)

# ext6 (bits 20..25) -> (mnemonic, condition tables, form)
#   form: "3r" x,b,t   "sh" x,sa,b,t   "h" halfword (no condition)
_ALU: dict[int, tuple[str, tuple, tuple, str]] = {
    0x00: ("andcm", LOGICAL, LOGICAL_NEG, "3r"), 0x08: ("and", LOGICAL, LOGICAL_NEG, "3r"),
    0x09: ("or", LOGICAL, LOGICAL_NEG, "3r"), 0x0A: ("xor", LOGICAL, LOGICAL_NEG, "3r"),
    0x0E: ("uxor", UNIT, UNIT_NEG, "3r"),
    0x10: ("sub", COMPARE, COMPARE_NEG, "3r"), 0x30: ("sub,tsv", COMPARE, COMPARE_NEG, "3r"),
    0x13: ("sub,tc", COMPARE, COMPARE_NEG, "3r"),
    0x33: ("sub,tc,tsv", COMPARE, COMPARE_NEG, "3r"),
    0x14: ("sub,b", COMPARE, COMPARE_NEG, "3r"), 0x34: ("sub,b,tsv", COMPARE, COMPARE_NEG, "3r"),
    0x11: ("ds", COMPARE, COMPARE_NEG, "3r"), 0x22: ("cmpclr", COMPARE, COMPARE_NEG, "3r"),
    0x26: ("uaddcm", UNIT, UNIT_NEG, "3r"), 0x27: ("uaddcm,tc", UNIT, UNIT_NEG, "3r"),
    0x18: ("add", ADD, ADD_NEG, "3r"), 0x28: ("add,l", ADD, ADD_NEG, "3r"),
    0x38: ("add,tsv", ADD, ADD_NEG, "3r"), 0x1C: ("add,c", ADD, ADD_NEG, "3r"),
    0x3C: ("add,c,tsv", ADD, ADD_NEG, "3r"),
    0x19: ("shladd", ADD, ADD_NEG, "sh"), 0x1A: ("shladd", ADD, ADD_NEG, "sh"),
    0x1B: ("shladd", ADD, ADD_NEG, "sh"),
    0x29: ("shladd,l", ADD, ADD_NEG, "sh"), 0x2A: ("shladd,l", ADD, ADD_NEG, "sh"),
    0x2B: ("shladd,l", ADD, ADD_NEG, "sh"),
    0x39: ("shladd,tsv", ADD, ADD_NEG, "sh"), 0x3A: ("shladd,tsv", ADD, ADD_NEG, "sh"),
    0x3B: ("shladd,tsv", ADD, ADD_NEG, "sh"),
}
# halfword (multimedia) forms: no condition, no doubleword bit
_HALF = {0x0F: "hadd", 0x0D: "hadd,ss", 0x0C: "hadd,us", 0x07: "hsub", 0x05: "hsub,ss",
         0x04: "hsub,us", 0x0B: "havg"}
_HALF_SHIFT = {0x1D: "hshladd", 0x1E: "hshladd", 0x1F: "hshladd",
               0x15: "hshradd", 0x16: "hshradd", 0x17: "hshradd"}


def op_alu(word: int, pc: int) -> Instruction | None:
    """Opcode 0x02: operands x (bits 11..15), b (6..10), t (27..31)."""
    ext = (word >> 6) & 0x3F
    b, x, t = (word >> 21) & 31, (word >> 16) & 31, word & 31
    c, f, d = (word >> 13) & 7, (word >> 12) & 1, (word >> 5) & 1
    entry = _ALU.get(ext)
    if entry is not None:
        name, table, negated, form = entry
        if d and ext == 0x11:  # DS has no doubleword form
            return None
        cond = condition(table, negated, c, f, d)
        if cond is None:
            return None
        if d and name in ("add,c", "add,c,tsv", "sub,b", "sub,b,tsv"):
            name = name.replace(",c", ",dc").replace(",b", ",db")
        if form == "sh":
            return Instruction(word, name + cond, (REG[x], str(ext & 3), REG[b], REG[t]))
        if ext == 0x09 and not c and not f and not d and b == 0:  # the pseudo-ops
            if x == 0 and t == 0:
                return Instruction(word, "nop", ())
            return Instruction(word, "copy", (REG[x], REG[t]))
        return Instruction(word, name + cond, (REG[x], REG[b], REG[t]))
    if c or f or d:
        if ext in (0x2E, 0x2F):  # DCOR: unit conditions, one source
            return _dcor(word, ext, b, x, t, c, f, d)
        return None
    if ext in _HALF:
        return Instruction(word, _HALF[ext], (REG[x], REG[b], REG[t]))
    if ext in _HALF_SHIFT:
        return Instruction(word, _HALF_SHIFT[ext], (REG[x], str(ext & 3), REG[b], REG[t]))
    if ext in (0x2E, 0x2F):
        return _dcor(word, ext, b, x, t, c, f, d)
    return None


def _dcor(word: int, ext: int, b: int, x: int, t: int, c: int, f: int,
          d: int) -> Instruction | None:
    if x:
        return None
    cond = condition(UNIT, UNIT_NEG, c, f, d)
    if cond is None:
        return None
    name = "dcor,i" if ext & 1 else "dcor"
    return Instruction(word, name + cond, (REG[b], REG[t]))


# -- immediates -------------------------------------------------------------------------------
def assemble_21(x: int) -> int:
    """PA-RISC assemble_21: the scrambled 21-bit immediate of LDIL/ADDIL, as a signed value
    shifted left 11 (the left part of a 32-bit constant)."""
    value = ((x & 1) << 20) | (((x >> 1) & 0x7FF) << 9) | (((x >> 14) & 0x3) << 7) | \
        (((x >> 16) & 0x1F) << 2) | ((x >> 12) & 0x3)
    return sign(value, 21) << 11


def long_displacement(word: int, wide: bool) -> tuple[int, int | None]:
    """Displacement and space register of the im14 load/store forms (opcodes 0x10..0x1B).

    Narrow (PSW W=0): low_sign_ext(im14) and s selects a space register. Wide (W=1): PA 2.0's
    assemble_16 folds s into the displacement, and the space comes from the base.
    """
    s, im14 = (word >> 14) & 3, word & 0x3FFF
    if not wide:
        return low_sign(im14, 14), (s or None)
    i = im14 & 1
    high = s ^ (3 if i else 0)
    return sign((i << 15) | (high << 13) | (im14 >> 1), 16), None


def op_ldil(word: int, pc: int) -> Instruction:
    return Instruction(word, "ldil", (hexa(assemble_21(word & 0x1FFFFF)), REG[(word >> 21) & 31]))


def op_addil(word: int, pc: int) -> Instruction:
    """ADDIL: the sum goes to r1, written as the third operand like the architecture does."""
    return Instruction(word, "addil", (hexa(assemble_21(word & 0x1FFFFF)),
                                       REG[(word >> 21) & 31], "r1"))


def make_ldo(wide: bool):
    def op_ldo(word: int, pc: int) -> Instruction:
        base, target = (word >> 21) & 31, (word >> 16) & 31
        disp, _ = long_displacement(word, wide)  # LDO has no space: s is displacement or unused
        if base == 0:
            return Instruction(word, "ldi", (number(disp), REG[target]), "ldo", target, base, disp)
        return Instruction(word, "ldo", (f"{number(disp)}({REG[base]})", REG[target]), "ldo",
                           target, base, disp)
    return op_ldo


def op_cmpiclr(word: int, pc: int) -> Instruction | None:
    cond = condition(COMPARE, COMPARE_NEG, (word >> 13) & 7, (word >> 12) & 1, (word >> 11) & 1)
    return Instruction(word, "cmpiclr" + cond, _immediate_operands(word))


def op_subi(word: int, pc: int) -> Instruction | None:
    cond = condition(COMPARE, COMPARE_NEG, (word >> 13) & 7, (word >> 12) & 1)
    name = "subi,tsv" if (word >> 11) & 1 else "subi"
    return Instruction(word, name + cond, _immediate_operands(word))


def op_addi(word: int, pc: int) -> Instruction | None:
    """ADDI (0x2D) and ADDI,TC (0x2C); bit 20 asks for ,tsv."""
    cond = condition(ADD, ADD_NEG, (word >> 13) & 7, (word >> 12) & 1)
    name = "addi" if word >> 26 == 0x2D else "addi,tc"
    if (word >> 11) & 1:
        name += ",tsv"
    return Instruction(word, name + cond, _immediate_operands(word))


def _immediate_operands(word: int) -> tuple[str, str, str]:
    return (number(low_sign(word & 0x7FF, 11)), REG[(word >> 21) & 31], REG[(word >> 16) & 31])


__all__ = ["assemble_21", "field", "long_displacement"]
