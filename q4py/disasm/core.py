"""What every instruction class of the decoder shares: the Instruction record, field
extraction, register names, the number formats of HP's tools and the condition tables.

Fields use GDB's MSB-0 numbering (research notes §5.8): bit 0 is the most significant bit,
`field(word, 6, 10)` the five bits after the major opcode.
"""

from __future__ import annotations

from typing import NamedTuple

_NAMES = {0: "r0", 2: "rp", 23: "arg3", 24: "arg2", 25: "arg1", 26: "arg0", 27: "dp",
          28: "ret0", 29: "ret1", 30: "sp"}
REG = tuple(_NAMES.get(n, f"r{n}") for n in range(32))
SP = 30
MASK64 = 0xFFFFFFFFFFFFFFFF


def reg_name(number: int) -> str:
    return REG[number]


def field(word: int, start: int, end: int) -> int:
    """Bits start..end of `word`, bit 0 being the most significant (GDB's GET_FIELD)."""
    return (word >> (31 - end)) & ((1 << (end - start + 1)) - 1)


def sign(value: int, bits: int) -> int:
    return value - (1 << bits) if value & (1 << (bits - 1)) else value


def low_sign(value: int, bits: int) -> int:
    """PA-RISC's low_sign_ext: the sign is the lowest bit, the magnitude the others."""
    return (value >> 1) - ((value & 1) << (bits - 1))


def number(value: int) -> str:
    """A displacement or immediate as HP tools print it: decimal below 10, else hex."""
    if -10 < value < 10:
        return str(value)
    return f"-{-value:#x}" if value < 0 else f"{value:#x}"


def hexa(value: int) -> str:
    return f"-{-value:#x}" if value < 0 else f"{value:#x}"


def format_instruction(mnemonic: str, operands: str) -> str:
    """`ldd  0(ret0),r31`: the mnemonic, two blanks, the operands (crashinfo's columns)."""
    return f"{mnemonic}  {operands}" if operands else mnemonic


class Instruction(NamedTuple):
    """One decoded instruction word.

    `kind` is `load`, `store`, `ldo`, `branch`, `invalid` or `other`; for loads and stores
    `register` is the target or source, `base` the base register and `displacement` the
    byte offset (None for an indexed form); for `ldo` `register` is the target. `target` is
    the address a pc-relative branch goes to (the operand that prints it in hex). A
    NamedTuple: the decoder makes millions of them when it reads a whole kernel text.
    """

    word: int
    mnemonic: str
    operands: tuple[str, ...]
    kind: str = "other"
    register: int | None = None
    base: int | None = None
    displacement: int | None = None
    modifies_base: bool = False
    target: int | None = None

    @property
    def text(self) -> str:
        if self.kind == "invalid":  # a directive, not an instruction: one blank
            return f".word {self.operands[0]}"
        return format_instruction(self.mnemonic, ",".join(self.operands))


def invalid(word: int) -> Instruction:
    return Instruction(word, ".word", (f"0x{word:08x}",), "invalid")


def space_base(space: int, base: int) -> str:
    """`(sr2,arg1)` or `(arg1)` when the space is implicit (s = 0)."""
    return f"(sr{space},{REG[base]})" if space else f"({REG[base]})"


# -- conditions (the c field, negated by f) ------------------------------------------------------
COMPARE = ("", "=", "<", "<=", "<<", "<<=", "sv", "od")
COMPARE_NEG = ("tr", "<>", ">=", ">", ">>=", ">>", "nsv", "ev")
ADD = ("", "=", "<", "<=", "nuv", "znv", "sv", "od")
ADD_NEG = ("tr", "<>", ">=", ">", "uv", "vnz", "nsv", "ev")
LOGICAL = ("", "=", "<", "<=", None, None, None, "od")
LOGICAL_NEG = ("tr", "<>", ">=", ">", None, None, None, "ev")
UNIT = ("", "swz", "sbz", "shz", "sdc", "swc", "sbc", "shc")
UNIT_NEG = ("tr", "nwz", "nbz", "nhz", "ndc", "nwc", "nbc", "nhc")
SHIFT = ("", "=", "<", "od", "tr", "<>", ">=", "ev")  # shift, extract, deposit, movb


def condition(table: tuple[str | None, ...], negated: tuple[str | None, ...], c: int, f: int,
              doubleword: int = 0) -> str | None:
    """`,<=` / `,*<=` / `` for condition c (f: negated); None for a reserved encoding."""
    cond = (negated if f else table)[c]
    if cond is None:
        return None
    if doubleword:
        return ",*" + cond
    return "," + cond if cond else ""
