"""The ELF container structures of a PA-RISC `vmunix`, defined once with construct.

PA-RISC is big-endian, so every layout here is big-endian. Narrow (32-bit) kernels are ELF32,
wide (64-bit) kernels ELF64; `layouts_for(wide)` hands out the matching set. The writer builds
the file with these models and the reader (`KernelImage`) derives its bulk `struct` formats and
its error offsets from them, so a field's size and position are written down only here.

Field names and constants follow the System V ABI (`<elf.h>`) and binutils' `include/elf/hppa.h`.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass

from construct import (
    Const,
    Construct,
    FormatField,
    Int8ub,
    Int16ub,
    Int32ub,
    Int64ub,
    Padding,
    Renamed,
    Struct,
)

ELFMAG = b"\x7fELF"
ELFCLASS32 = 1
ELFCLASS64 = 2
ELFDATA2LSB = 1
ELFDATA2MSB = 2
EV_CURRENT = 1
ELFOSABI_HPUX = 1
EI_NIDENT = 16

ET_EXEC = 2
EM_PARISC = 15

# e_flags: the low 16 bits name the architecture level; EF_PARISC_WIDE marks 64-bit code.
EFA_PARISC_1_1 = 0x0210
EFA_PARISC_2_0 = 0x0214
EF_PARISC_WIDE = 0x00080000

SHN_UNDEF = 0
SHN_ABS = 0xFFF1
SHT_NULL = 0
SHT_PROGBITS = 1
SHT_SYMTAB = 2
SHT_STRTAB = 3
SHT_NOBITS = 8
SHT_PARISC_UNWIND = 0x70000001

SHF_WRITE = 0x1
SHF_ALLOC = 0x2
SHF_EXECINSTR = 0x4

STB_LOCAL = 0
STB_GLOBAL = 1
STT_NOTYPE = 0
STT_OBJECT = 1
STT_FUNC = 2


def st_info(bind: int, kind: int) -> int:
    """`ELF_ST_INFO`: binding in the high nibble, type in the low nibble."""
    return (bind << 4) | (kind & 0xF)


E_IDENT = Struct(
    "ei_mag" / Const(ELFMAG),
    "ei_class" / Int8ub,
    "ei_data" / Int8ub,
    "ei_version" / Int8ub,
    "ei_osabi" / Int8ub,
    "ei_abiversion" / Int8ub,
    Padding(EI_NIDENT - 9),
)


def _ehdr(word: Construct) -> Struct:
    """Elf32_Ehdr / Elf64_Ehdr: `word` is the size of addresses and file offsets."""
    return Struct(
        "e_ident" / E_IDENT,
        "e_type" / Int16ub,
        "e_machine" / Int16ub,
        "e_version" / Int32ub,
        "e_entry" / word,
        "e_phoff" / word,
        "e_shoff" / word,
        "e_flags" / Int32ub,
        "e_ehsize" / Int16ub,
        "e_phentsize" / Int16ub,
        "e_phnum" / Int16ub,
        "e_shentsize" / Int16ub,
        "e_shnum" / Int16ub,
        "e_shstrndx" / Int16ub,
    )


def _shdr(word: Construct) -> Struct:
    """Elf32_Shdr / Elf64_Shdr: flags, addresses, offsets and sizes widen with the class."""
    return Struct(
        "sh_name" / Int32ub,
        "sh_type" / Int32ub,
        "sh_flags" / word,
        "sh_addr" / word,
        "sh_offset" / word,
        "sh_size" / word,
        "sh_link" / Int32ub,
        "sh_info" / Int32ub,
        "sh_addralign" / word,
        "sh_entsize" / word,
    )


ELF32_EHDR = _ehdr(Int32ub)
ELF64_EHDR = _ehdr(Int64ub)
ELF32_SHDR = _shdr(Int32ub)
ELF64_SHDR = _shdr(Int64ub)

# The two symbol layouts differ in field order, not only in width (ELF64 keeps value/size last).
ELF32_SYM = Struct(
    "st_name" / Int32ub,
    "st_value" / Int32ub,
    "st_size" / Int32ub,
    "st_info" / Int8ub,
    "st_other" / Int8ub,
    "st_shndx" / Int16ub,
)
ELF64_SYM = Struct(
    "st_name" / Int32ub,
    "st_info" / Int8ub,
    "st_other" / Int8ub,
    "st_shndx" / Int16ub,
    "st_value" / Int64ub,
    "st_size" / Int64ub,
)


@dataclass(frozen=True)
class ElfLayouts:
    """The layouts of one ELF class, plus the numbers that go with it."""

    elf_class: int
    ehdr: Struct
    shdr: Struct
    sym: Struct
    word_size: int  # bytes in an address, offset or size; also the table alignment


ELF32 = ElfLayouts(ELFCLASS32, ELF32_EHDR, ELF32_SHDR, ELF32_SYM, 4)
ELF64 = ElfLayouts(ELFCLASS64, ELF64_EHDR, ELF64_SHDR, ELF64_SYM, 8)


def layouts_for(wide: bool) -> ElfLayouts:
    """ELF64 layouts for a wide kernel, ELF32 for a narrow one."""
    return ELF64 if wide else ELF32


def _format_field(sub: Construct) -> FormatField:
    inner = sub.subcon if isinstance(sub, Renamed) else sub
    if not isinstance(inner, FormatField):
        raise TypeError(f"{sub.name or sub!r} is not a plain integer field")
    return inner


def field_names(model: Struct) -> tuple[str, ...]:
    """The field names of a flat Struct of integers, in file order."""
    return tuple(sub.name for sub in model.subcons)


def struct_format(model: Struct) -> struct.Struct:
    """A `struct.Struct` equal to a flat Struct of integers, for packing thousands of records.

    construct builds and parses one record in tens of microseconds; a symbol table of 20 000
    entries needs `struct.iter_unpack`. Deriving the format keeps the layout defined once.
    """
    codes = "".join(_format_field(sub).fmtstr[1:] for sub in model.subcons)
    return struct.Struct(">" + codes)


def field_offset(model: Struct, name: str) -> int:
    """Byte offset of field `name` in `model` (for error messages that point into the file)."""
    offset = 0
    for sub in model.subcons:
        if sub.name == name:
            return offset
        offset += sub.sizeof()
    raise KeyError(name)
