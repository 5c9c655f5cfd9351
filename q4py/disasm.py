"""PA-RISC 2.0 disassembly: the instruction forms crashinfo prints, as HP writes them.

crashinfo shows the interrupted instruction of a trap (`ldd  0(ret0),arg3`), and q4py reads
function prologues to know which arguments a function stored (`std arg1,-0x20(sp)`). The
built-in decoder covers what those need: loads and stores (short, indexed and long
displacement, word and doubleword), LDO/LDIL/ADDIL, the compare-and-branch and add-and-branch
families and BL. Fields are extracted with GDB's MSB-0 rule, GET_FIELD(x, from, to) =
(x >> (31 - to)) & mask (research notes §5.8). Anything else prints as `.word 0x...`.

When capstone >= 6 (the `disasm` extra; its pre-releases are the only Python HPPA disassembler)
is importable, `disassemble` uses it for the text, rewritten to HP's conventions: no blank after
a comma and the argument registers named (r26..r23 are arg0..arg3). The built-in decoder stays
the one `decode` uses for prologue analysis, so results never depend on an optional package.

Register names follow HP's assembler: r1, rp (r2), r3 ... r22, arg3..arg0 (r23..r26), dp (r27),
ret0/ret1 (r28/r29), sp (r30), r31.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cache
from typing import Any

_NAMES = {0: "r0", 2: "rp", 23: "arg3", 24: "arg2", 25: "arg1", 26: "arg0", 27: "dp",
          28: "ret0", 29: "ret1", 30: "sp"}
SP = 30


def reg_name(number: int) -> str:
    return _NAMES.get(number, f"r{number}")


def _field(word: int, start: int, end: int) -> int:
    """Bits start..end of `word`, bit 0 being the most significant (GDB's GET_FIELD)."""
    return (word >> (31 - end)) & ((1 << (end - start + 1)) - 1)


def _sign(value: int, bits: int) -> int:
    return value - (1 << bits) if value & (1 << (bits - 1)) else value


def _low_sign_ext(value: int, bits: int) -> int:
    """PA-RISC's low_sign_ext: the sign is the lowest bit, the magnitude the others."""
    return (value >> 1) - ((value & 1) << (bits - 1))


def _number(value: int) -> str:
    """A displacement or immediate as HP tools print it: decimal below 10, else hex."""
    if -10 < value < 10:
        return str(value)
    return f"-{-value:#x}" if value < 0 else f"{value:#x}"


def _hex(value: int) -> str:
    return f"-{-value:#x}" if value < 0 else f"{value:#x}"


@dataclass(frozen=True)
class Instruction:
    """One decoded instruction word.

    `kind` is `load`, `store`, `ldo`, `branch` or `other`; for loads and stores `register` is
    the target or source, `base` the base register and `displacement` the byte offset (None
    for an indexed form); for `ldo` `register` is the target.
    """

    word: int
    mnemonic: str
    operands: tuple[str, ...]
    kind: str = "other"
    register: int | None = None
    base: int | None = None
    displacement: int | None = None
    modifies_base: bool = False

    @property
    def text(self) -> str:
        return format_instruction(self.mnemonic, ",".join(self.operands))


def format_instruction(mnemonic: str, operands: str) -> str:
    """`ldw  0(ret0),r1`: the mnemonic in four columns, a blank, the operands."""
    return f"{mnemonic:<4} {operands}".rstrip() if operands else mnemonic


def _address(displacement: int, base: int, space: int | None = None) -> str:
    where = reg_name(base) if space is None else f"sr{space},{reg_name(base)}"
    return f"{_number(displacement)}({where})"


# -- loads and stores --------------------------------------------------------------------------
_LOAD_WORD = {0x10: "ldb", 0x11: "ldh", 0x12: "ldw", 0x13: "ldw"}
_STORE_WORD = {0x18: "stb", 0x19: "sth", 0x1A: "stw", 0x1B: "stw"}
_INDEXED_LOAD = {0: "ldb", 1: "ldh", 2: "ldw", 3: "ldd", 6: "ldwa", 7: "ldcw"}
_SHORT_STORE = {8: "stb", 9: "sth", 10: "stw", 11: "std"}


def _long_displacement(word: int, wide: bool) -> tuple[int, int | None]:
    """Displacement and space register of the im14 load/store forms (opcodes 0x10..0x1B).

    Narrow (PSW W=0): low_sign_ext(im14) and s selects a space register. Wide (W=1): PA 2.0's
    assemble_16 folds s into the displacement, and the space comes from the base.
    """
    s, im14 = _field(word, 16, 17), _field(word, 18, 31)
    if not wide:
        return _low_sign_ext(im14, 14), (s or None)
    i = im14 & 1
    high = s ^ (3 if i else 0)
    return _sign((i << 15) | (high << 13) | (im14 >> 1), 16), None


def _doubleword_displacement(word: int, wide: bool) -> tuple[int, int | None]:
    """LDD/STD (0x14/0x1C): im10a in 8-byte units, sign in bit 31 (assemble_16a when wide)."""
    s, im10a, i = _field(word, 16, 17), _field(word, 18, 27), word & 1
    if not wide:
        return _sign((i << 13) | (im10a << 3), 14), (s or None)
    high = s ^ (3 if i else 0)
    return _sign((i << 15) | (high << 13) | (im10a << 3), 16), None


def _decode_word_memory(word: int, op: int, wide: bool) -> Instruction:
    base, reg = _field(word, 6, 10), _field(word, 11, 15)
    disp, space = _long_displacement(word, wide)
    at = _address(disp, base, space)
    modifies = op in (0x13, 0x1B)
    # LDWM/STWM are PA 2.0's ldw,mb / ldw,ma: the sign of the displacement says which.
    completer = (",mb" if disp < 0 else ",ma") if modifies else ""
    if op in _LOAD_WORD:
        return Instruction(word, "ldw" + completer if modifies else _LOAD_WORD[op],
                           (at, reg_name(reg)), "load", reg, base, disp, modifies)
    return Instruction(word, "stw" + completer if modifies else _STORE_WORD[op],
                       (reg_name(reg), at), "store", reg, base, disp, modifies)


def _decode_doubleword(word: int, op: int, wide: bool) -> Instruction | None:
    if _field(word, 30, 30):
        return None  # FLDD/FSTD
    base, reg = _field(word, 6, 10), _field(word, 11, 15)
    disp, space = _doubleword_displacement(word, wide)
    mnemonic = "ldd" if op == 0x14 else "std"
    if _field(word, 28, 28):  # m: base modification, a: before (mb) or after (ma)
        mnemonic += ",mb" if _field(word, 29, 29) else ",ma"
    at = _address(disp, base, space)
    modifies = bool(_field(word, 28, 28))
    if op == 0x14:
        return Instruction(word, mnemonic, (at, reg_name(reg)), "load", reg, base, disp, modifies)
    return Instruction(word, mnemonic, (reg_name(reg), at), "store", reg, base, disp, modifies)


def _decode_indexed(word: int) -> Instruction | None:
    """Opcode 0x03: indexed and short-displacement loads and stores."""
    base, x, s = _field(word, 6, 10), _field(word, 11, 15), _field(word, 16, 17)
    short, ext4, m, t = _field(word, 19, 19), _field(word, 22, 25), _field(word, 26, 26), \
        _field(word, 27, 31)
    a = _field(word, 18, 18)
    space = s or None
    if short and ext4 in _SHORT_STORE:
        disp = _low_sign_ext(t, 5)
        mnemonic = _SHORT_STORE[ext4] + ((",mb" if a else ",ma") if m else "")
        return Instruction(word, mnemonic, (reg_name(x), _address(disp, base, space)), "store",
                           x, base, disp, bool(m))
    if ext4 not in _INDEXED_LOAD:
        return None
    mnemonic = _INDEXED_LOAD[ext4]
    if short:
        disp = _low_sign_ext(x, 5)
        if m:
            mnemonic += ",mb" if a else ",ma"
        return Instruction(word, mnemonic, (_address(disp, base, space), reg_name(t)), "load",
                           t, base, disp, bool(m))
    if a or m:  # u: index scaled by the size; m: base modified
        mnemonic += "," + ("s" if a else "") + ("m" if m else "")
    where = reg_name(base) if space is None else f"sr{space},{reg_name(base)}"
    return Instruction(word, mnemonic, (f"{reg_name(x)}({where})", reg_name(t)), "load", t, base,
                       None, bool(m))


# -- immediates --------------------------------------------------------------------------------
def _assemble_21(x: int) -> int:
    """PA-RISC assemble_21: the scrambled 21-bit immediate of LDIL/ADDIL, as a signed value
    shifted left 11 (the left part of a 32-bit constant)."""
    value = ((x & 1) << 20) | (((x >> 1) & 0x7FF) << 9) | (((x >> 14) & 0x3) << 7) | \
        (((x >> 16) & 0x1F) << 2) | ((x >> 12) & 0x3)
    return _sign(value, 21) << 11


def _decode_ldo(word: int, wide: bool) -> Instruction:
    base, target = _field(word, 6, 10), _field(word, 11, 15)
    disp, _ = _long_displacement(word, wide)  # LDO has no space: s is displacement or unused
    return Instruction(word, "ldo", (_address(disp, base), reg_name(target)), "ldo", target, base,
                       disp)


# -- branches ----------------------------------------------------------------------------------
_COMPARE = ("", "=", "<", "<=", "<<", "<<=", "sv", "od")
_COMPARE_NEGATED = ("tr", "<>", ">=", ">", ">>=", ">>", "nsv", "ev")
_ADD = ("", "=", "<", "<=", "nuv", "znv", "sv", "od")
_ADD_NEGATED = ("tr", "<>", ">=", ">", "uv", "vnz", "nsv", "ev")
# opcode -> (mnemonic, immediate form, condition table, doubleword)
_BRANCHES: dict[int, tuple[str, bool, tuple[str, ...], bool]] = {
    0x20: ("cmpb", False, _COMPARE, False), 0x22: ("cmpb", False, _COMPARE_NEGATED, False),
    0x27: ("cmpb", False, _COMPARE, True), 0x2F: ("cmpb", False, _COMPARE_NEGATED, True),
    0x21: ("cmpib", True, _COMPARE, False), 0x23: ("cmpib", True, _COMPARE_NEGATED, False),
    0x28: ("addb", False, _ADD, False), 0x2A: ("addb", False, _ADD_NEGATED, False),
    0x29: ("addib", True, _ADD, False), 0x2B: ("addib", True, _ADD_NEGATED, False),
}


def _branch_target(pc: int, w1: int, w: int, w2: int | None = None) -> int:
    if w2 is None:  # assemble_12(w1, w)
        value = _sign((w << 11) | ((w1 & 1) << 10) | (w1 >> 1), 12)
    else:  # assemble_17(w1, w2, w)
        value = _sign((w << 16) | (w1 << 11) | ((w2 & 1) << 10) | (w2 >> 1), 17)
    return (pc + 8 + (value << 2)) & 0xFFFFFFFFFFFFFFFF


def _decode_branch(word: int, op: int, pc: int) -> Instruction:
    mnemonic, immediate, conditions, doubleword = _BRANCHES[op]
    r2, r1 = _field(word, 6, 10), _field(word, 11, 15)
    cond = conditions[_field(word, 16, 18)]
    if doubleword:
        cond = "*" + cond
    if cond:
        mnemonic += "," + cond
    if _field(word, 30, 30):
        mnemonic += ",n"
    target = _branch_target(pc, _field(word, 19, 29), word & 1)
    first = _number(_low_sign_ext(r1, 5)) if immediate else reg_name(r1)
    return Instruction(word, mnemonic, (first, reg_name(r2), _number(target)), "branch")


def _decode_cmpib_doubleword(word: int, pc: int) -> Instruction:
    """Opcode 0x3B: CMPIB with doubleword conditions (`cmpib,*<`)."""
    r, im5 = _field(word, 6, 10), _field(word, 11, 15)
    cond = ("*<<", "*=", "*<", "*<=", "*>>=", "*<>", "*>=", "*>")[_field(word, 16, 18)]
    mnemonic = "cmpib," + cond + (",n" if _field(word, 30, 30) else "")
    target = _branch_target(pc, _field(word, 19, 29), word & 1)
    return Instruction(word, mnemonic, (_number(_low_sign_ext(im5, 5)), reg_name(r),
                                        _number(target)), "branch")


def _decode_bl(word: int, pc: int) -> Instruction | None:
    if _field(word, 16, 18) != 0:
        return None  # GATE, BLR, BV, BVE, the long forms
    link = _field(word, 6, 10)
    target = _branch_target(pc, _field(word, 11, 15), word & 1, _field(word, 19, 29))
    mnemonic = "b,l" + (",n" if _field(word, 30, 30) else "")
    if link == 0:
        return Instruction(word, "b" + mnemonic[3:], (_number(target),), "branch")
    return Instruction(word, mnemonic, (_number(target), reg_name(link)), "branch")


# -- the decoder -------------------------------------------------------------------------------
def decode(word: int, pc: int = 0, wide: bool = True) -> Instruction:
    """Decode one instruction word with the built-in tables (`.word` when not covered)."""
    word &= 0xFFFFFFFF
    op = word >> 26
    found: Instruction | None = None
    if op in _LOAD_WORD or op in _STORE_WORD:
        found = _decode_word_memory(word, op, wide)
    elif op in (0x14, 0x1C):
        found = _decode_doubleword(word, op, wide)
    elif op == 0x03:
        found = _decode_indexed(word)
    elif op == 0x0D:
        found = _decode_ldo(word, wide)
    elif op == 0x08:
        target = _field(word, 6, 10)
        found = Instruction(word, "ldil", (_hex(_assemble_21(_field(word, 11, 31))),
                                           reg_name(target)))
    elif op == 0x0A:  # the sum goes to r1, which is implied
        source = _field(word, 6, 10)
        found = Instruction(word, "addil", (_hex(_assemble_21(_field(word, 11, 31))),
                                            reg_name(source)))
    elif op in _BRANCHES:
        found = _decode_branch(word, op, pc)
    elif op == 0x3B:
        found = _decode_cmpib_doubleword(word, pc)
    elif op == 0x3A:
        found = _decode_bl(word, pc)
    elif op == 0 and word & 0x1FE0 == 0:  # BREAK: im13 in bits 19..31, im5 in 6..10
        found = Instruction(word, "break", (str(word & 0x1F), str(_field(word, 6, 18))))
    return found or Instruction(word, ".word", (f"0x{word:08x}",))


# -- encoders (the forge writes prologues with them) ------------------------------------------
def encode_std(register: int, displacement: int, base: int) -> int:
    """`std register,displacement(base)` (opcode 0x1C, s = 0: the same in both widths)."""
    if displacement % 8 or not -8192 <= displacement < 8192:
        raise ValueError(f"std displacement {displacement} is not a multiple of 8 in range")
    i = 1 if displacement < 0 else 0
    im10a = ((displacement + (8192 if i else 0)) >> 3) & 0x3FF
    return (0x1C << 26) | (base << 21) | (register << 16) | (im10a << 4) | i


def encode_stw(register: int, displacement: int, base: int) -> int:
    """`stw register,displacement(base)` (opcode 0x1A, s = 0)."""
    return (0x1A << 26) | (base << 21) | (register << 16) | _im14(displacement)


def encode_ldo(displacement: int, base: int, target: int) -> int:
    """`ldo displacement(base),target` (opcode 0x0D)."""
    return (0x0D << 26) | (base << 21) | (target << 16) | _im14(displacement)


def _im14(displacement: int) -> int:
    if not -8192 <= displacement < 8192:
        raise ValueError(f"displacement {displacement} does not fit 14 bits")
    return ((displacement & 0x1FFF) << 1) | (1 if displacement < 0 else 0)


# -- capstone ----------------------------------------------------------------------------------
_CAPSTONE_REGISTER = re.compile(r"\br(2[3-6])\b")


@cache
def _capstone(wide: bool) -> Any:
    """A capstone HPPA disassembler, or None when capstone >= 6 is not installed."""
    try:
        import capstone  # type: ignore[import-not-found]
    except ImportError:
        return None
    if not hasattr(capstone, "CS_ARCH_HPPA"):
        return None  # capstone 5 has no HPPA
    mode = capstone.CS_MODE_HPPA_20W if wide else capstone.CS_MODE_HPPA_20
    return capstone.Cs(capstone.CS_ARCH_HPPA, mode | capstone.CS_MODE_BIG_ENDIAN)


def _hp_operands(op_str: str) -> str:
    text = op_str.replace(", ", ",")
    return _CAPSTONE_REGISTER.sub(lambda m: reg_name(int(m.group(1))), text)


def disassemble(word: int, pc: int = 0, wide: bool = True, use_capstone: bool = True) -> str:
    """The instruction as crashinfo prints it, e.g. `ldd  0(ret0),arg3`."""
    md = _capstone(wide) if use_capstone else None
    if md is not None:
        for insn in md.disasm((word & 0xFFFFFFFF).to_bytes(4, "big"), pc):
            return format_instruction(insn.mnemonic, _hp_operands(insn.op_str))
    return decode(word, pc, wide).text
