"""PA-RISC 2.0 disassembly in HP's syntax, as crashinfo and adb print it.

`disassemble(word, pc=0, wide=True)` is the entry point: `ldd  0(ret0),arg3`,
`cmpb,<,n  r0,arg2,0x3424c`. The built-in decoder covers every instruction class of the
PA-RISC 2.0 architecture, narrow (PSW W=0) and wide (W=1): computation (q4py/disasm/arith.py),
loads and stores (memory.py), shifts, extracts and deposits (shift.py), branches
(branch.py), system control, memory management, SPOP and DIAG (system.py), floating point
and the coprocessor forms (fp.py) and the multimedia forms (multimedia.py). A word that is
no instruction prints as `.word 0x...`. tools/disasm_oracle.py checks it against GNU objdump
(docs/disassembly.md has the normalisation table and the figures).

Fields are extracted with GDB's MSB-0 rule, GET_FIELD(x, from, to) = (x >> (31 - to)) & mask
(research notes §5.8). Register names follow HP's assembler: r1, rp (r2), r3 ... r22,
arg3..arg0 (r23..r26), dp (r27), ret0/ret1 (r28/r29), sp (r30), r31.

capstone >= 6 (the `disasm` extra) is an optional cross-check only: `capstone_text` gives
its text rewritten to HP's conventions.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from functools import cache
from typing import Any

from q4py.disasm import arith, branch, fp, memory, multimedia, shift, system
from q4py.disasm.core import MASK64, SP, Instruction, field, format_instruction, invalid, reg_name

__all__ = ["SP", "Instruction", "decode", "disassemble", "disassemble_words", "encode_ldo",
           "encode_std", "encode_stw", "field", "format_instruction", "reg_name"]

Decoder = Callable[[int, int], Instruction | None]


def _table(wide: bool) -> list[Decoder | None]:
    table: list[Decoder | None] = [None] * 64
    word_memory = memory.make_word_memory(wide)
    for op in (0x10, 0x11, 0x12, 0x13, 0x18, 0x19, 0x1A, 0x1B):
        table[op] = word_memory
    table[0x14] = table[0x1C] = memory.make_doubleword(wide)
    fp_word = memory.make_fp_word(wide)
    for op in (0x16, 0x17, 0x1E, 0x1F):
        table[op] = fp_word
    table[0x03] = memory.op_indexed
    table[0x09] = table[0x0B] = memory.op_coprocessor_memory
    table[0x0F] = memory.op_quad_store
    table[0x00] = system.op_system
    table[0x01] = system.op_memory_management
    table[0x04] = system.op_spop
    table[0x05] = system.op_diag
    table[0x02] = arith.op_alu
    table[0x08] = arith.op_ldil
    table[0x0A] = arith.op_addil
    table[0x0D] = arith.make_ldo(wide)
    table[0x24] = arith.op_cmpiclr
    table[0x25] = arith.op_subi
    table[0x2C] = table[0x2D] = arith.op_addi
    for op in (0x20, 0x21, 0x22, 0x23, 0x27, 0x28, 0x29, 0x2A, 0x2B, 0x2F, 0x3B):
        table[op] = branch.op_compare_branch
    table[0x30] = table[0x31] = branch.op_branch_on_bit
    table[0x32] = table[0x33] = branch.op_move_branch
    table[0x38] = table[0x39] = branch.op_branch_external
    table[0x3A] = branch.op_branch
    table[0x34] = shift.op_shift_extract
    table[0x35] = shift.op_deposit
    table[0x36] = shift.op_extract_doubleword
    table[0x3C] = table[0x3D] = shift.op_deposit_doubleword
    table[0x0C] = table[0x0E] = fp.op_float
    table[0x06] = table[0x26] = fp.op_fmpyadd
    table[0x2E] = fp.op_fused
    table[0x3E] = multimedia.op_multimedia
    return table


_TABLES = {True: _table(True), False: _table(False)}
# Opcodes whose text depends on the pc (pc-relative branch targets): never cached by word.
_PC_RELATIVE = frozenset((0x20, 0x21, 0x22, 0x23, 0x27, 0x28, 0x29, 0x2A, 0x2B, 0x2F, 0x3B,
                          0x30, 0x31, 0x32, 0x33, 0x3A))
_CACHE: dict[tuple[int, bool], Instruction] = {}
_CACHE_LIMIT = 1 << 20


def decode(word: int, pc: int = 0, wide: bool = True) -> Instruction:
    """Decode one instruction word (`.word 0x...` when it is no PA-RISC 2.0 instruction)."""
    word &= 0xFFFFFFFF
    op = word >> 26
    if op not in _PC_RELATIVE:
        key = (word, wide)
        found = _CACHE.get(key)
        if found is None:
            decoder = _TABLES[wide][op]
            found = (decoder(word, pc) if decoder else None) or invalid(word)
            if len(_CACHE) >= _CACHE_LIMIT:
                _CACHE.clear()
            _CACHE[key] = found
        return found
    if not wide:
        pc &= 0xFFFFFFFF
    decoder = _TABLES[wide][op]
    found = decoder(word, pc) if decoder else None
    if found is None:
        return invalid(word)
    if not wide and found.target is not None and found.target >> 32:
        shown, target = f"{found.target:#x}", found.target & 0xFFFFFFFF
        operands = tuple(f"{target:#x}" if op == shown else op for op in found.operands)
        found = Instruction(word, found.mnemonic, operands, found.kind, target=target)
    return found


_TEXTS: dict[bool, dict[int, str]] = {True: {}, False: {}}
_BRANCHES: dict[bool, dict[int, tuple[str, int, str]]] = {True: {}, False: {}}


def disassemble(word: int, pc: int = 0, wide: bool = True, use_capstone: bool = False) -> str:
    """The instruction as crashinfo prints it, e.g. `ldd  0(ret0),arg3`.

    `use_capstone` asks for capstone's text instead (HP's conventions applied), when the
    optional capstone >= 6 is installed; the built-in decoder's otherwise."""
    if use_capstone:
        text = capstone_text(word, pc, wide)
        if text is not None:
            return text
    word &= 0xFFFFFFFF
    texts = _TEXTS[wide]
    text = texts.get(word)
    if text is None:
        text = decode(word, pc, wide).text
        if word >> 26 not in _PC_RELATIVE:
            if len(texts) >= _CACHE_LIMIT:
                texts.clear()
            texts[word] = text
    return text


def disassemble_words(words: Iterable[int], pc: int = 0, wide: bool = True) -> list[str]:
    """The texts of consecutive instruction words from `pc` on (a listing, a whole text):
    `disassemble` for each. Words are decoded once: a pc-relative branch is kept as the text
    around its target and the target's distance from the pc."""
    texts = _TEXTS[wide]
    branches = _BRANCHES[wide]
    get, get_branch = texts.get, branches.get
    table = _TABLES[wide]
    mask = MASK64 if wide else 0xFFFFFFFF
    out = []
    append = out.append
    for word in words:
        text = get(word)
        if text is None:
            template = get_branch(word)
            if template is not None:
                head, distance, tail = template
                text = f"{head}{(pc + distance) & mask:#x}{tail}"
            else:
                text = _decode_text(word, pc, wide, table, texts, branches)
        append(text)
        pc += 4
    return out


def _decode_text(word: int, pc: int, wide: bool, table: list[Decoder | None],
                 texts: dict[int, str], branches: dict[int, tuple[str, int, str]]) -> str:
    """Decode a word the caches do not know, and remember it."""
    if len(texts) >= _CACHE_LIMIT or len(branches) >= _CACHE_LIMIT:
        texts.clear()
        branches.clear()
    op = word >> 26
    decoder = table[op]
    found = decoder(word, pc) if decoder else None
    if found is None:
        text = texts[word] = f".word 0x{word:08x}"
        return text
    operands = found.operands
    text = f"{found.mnemonic}  {','.join(operands)}" if operands else found.mnemonic
    target = found.target
    if target is None:
        if op not in _PC_RELATIVE:
            texts[word] = text
        return text
    head, _, tail = text.partition(f"{target:#x}")
    mask = MASK64 if wide else 0xFFFFFFFF
    distance = (target - pc) & mask
    branches[word] = (head, distance, tail)
    return f"{head}{(pc + distance) & mask:#x}{tail}"


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


# -- capstone (optional cross-check) -----------------------------------------------------------
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


def capstone_text(word: int, pc: int = 0, wide: bool = True) -> str | None:
    """capstone's text for the word with HP's conventions (no blank after a comma, argument
    registers named), or None without capstone >= 6."""
    md = _capstone(wide)
    if md is None:
        return None
    for insn in md.disasm((word & 0xFFFFFFFF).to_bytes(4, "big"), pc):
        operands = _CAPSTONE_REGISTER.sub(lambda m: reg_name(int(m.group(1))),
                                          insn.op_str.replace(", ", ","))
        return format_instruction(insn.mnemonic, operands)
    return None
