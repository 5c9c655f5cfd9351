"""Write a PA-RISC `vmunix` ELF file: the forge's side of `KernelImage`.

The file holds what q4py reads from a kernel image and nothing else: section headers for .text,
.data and .bss (SHT_NOBITS: kernel memory comes from the dump images, not from here), a symbol
table, and the `.PARISC.unwind` table. There are no program headers. The output depends only on
the arguments, so the same scenario always gives the same bytes.

File order: ELF header, .PARISC.unwind, .symtab, .strtab, .shstrtab, section header table.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from dataclasses import dataclass
from typing import BinaryIO, Literal

from q4py.vmunix.elf_layouts import (
    EF_PARISC_WIDE,
    EFA_PARISC_1_1,
    EFA_PARISC_2_0,
    ELFDATA2MSB,
    ELFOSABI_HPUX,
    EM_PARISC,
    ET_EXEC,
    EV_CURRENT,
    SHF_ALLOC,
    SHF_EXECINSTR,
    SHF_WRITE,
    SHN_ABS,
    SHT_NOBITS,
    SHT_NULL,
    SHT_PARISC_UNWIND,
    SHT_STRTAB,
    SHT_SYMTAB,
    STB_GLOBAL,
    STT_FUNC,
    STT_OBJECT,
    ElfLayouts,
    field_names,
    layouts_for,
    st_info,
    struct_format,
)
from q4py.vmunix.model import SectionSizes
from q4py.vmunix.unwind import DESCRIPTOR_SIZE, UnwindEntry, encode_unwind_table

__all__ = ["DataObject", "Function", "SectionSizes", "build_vmunix", "check_kernel",
           "write_vmunix"]

# Section header indices, fixed so symbols can name their section before the table is laid out.
_TEXT, _DATA, _BSS, _UNWIND, _SYMTAB, _STRTAB, _SHSTRTAB = range(1, 8)
_SECTION_INDEX = {"data": _DATA, "bss": _BSS, "abs": SHN_ABS}


@dataclass(frozen=True)
class Function:
    """A kernel function: a .text symbol plus the unwind descriptor of its region."""

    name: str
    address: int
    size: int  # bytes, a multiple of 4 (whole instructions)
    frame_size: int = 0  # bytes, a multiple of 8
    save_rp: bool = False
    save_sp: bool = False
    interrupt_marker: bool = False
    args_stored: bool = False
    millicode: bool = False
    cannot_unwind: bool = False

    def unwind_entry(self) -> UnwindEntry:
        return UnwindEntry(
            start=self.address,
            end=self.address + self.size - 4,  # inclusive: the last instruction
            frame_size_bytes=self.frame_size,
            save_rp=self.save_rp,
            save_sp=self.save_sp,
            interrupt_marker=self.interrupt_marker,
            millicode=self.millicode,
            cannot_unwind=self.cannot_unwind,
            args_stored=self.args_stored,
        )


@dataclass(frozen=True)
class DataObject:
    """A kernel variable in .data or .bss."""

    name: str
    address: int
    size: int
    section: Literal["data", "bss"]


@dataclass(frozen=True)
class _Section:
    name: str
    sh_type: int
    flags: int = 0
    addr: int = 0
    data: bytes | None = None  # None: SHT_NOBITS / SHT_NULL, nothing in the file
    size: int = 0
    link: int = 0
    info: int = 0
    align: int = 1
    entsize: int = 0


def write_vmunix(
    target: str | os.PathLike[str] | BinaryIO,
    *,
    wide: bool,
    sections: SectionSizes,
    functions: Sequence[Function],
    objects: Sequence[DataObject],
) -> None:
    """Write the vmunix to a path or an open binary stream. Bad input raises ValueError."""
    write_file(target, build_vmunix(wide=wide, sections=sections, functions=functions,
                                     objects=objects))


def write_file(target: str | os.PathLike[str] | BinaryIO, data: bytes) -> None:
    """`data` to a path or an open binary stream (the ELF and SOM writers' targets)."""
    if isinstance(target, (str, os.PathLike)):
        with open(target, "wb") as stream:
            stream.write(data)
    else:
        target.write(data)


def build_vmunix(
    *,
    wide: bool,
    sections: SectionSizes,
    functions: Sequence[Function],
    objects: Sequence[DataObject],
) -> bytes:
    """The bytes `write_vmunix` writes."""
    layouts = layouts_for(wide)
    check_kernel(wide, sections, functions, objects)

    strtab, symtab = _symbol_tables(layouts, functions, objects)
    by_address = sorted(functions, key=lambda f: f.address)
    unwind = encode_unwind_table([f.unwind_entry() for f in by_address])
    word = layouts.word_size
    table = [
        _Section("", SHT_NULL),
        _Section(
            ".text",
            SHT_NOBITS,
            SHF_ALLOC | SHF_EXECINSTR,
            sections.text_addr,
            size=sections.text_size,
            align=4,
        ),
        _Section(
            ".data",
            SHT_NOBITS,
            SHF_ALLOC | SHF_WRITE,
            sections.data_addr,
            size=sections.data_size,
            align=word,
        ),
        _Section(
            ".bss",
            SHT_NOBITS,
            SHF_ALLOC | SHF_WRITE,
            sections.bss_addr,
            size=sections.bss_size,
            align=word,
        ),
        _Section(
            ".PARISC.unwind", SHT_PARISC_UNWIND, data=unwind, align=4, entsize=DESCRIPTOR_SIZE
        ),
        # sh_info: index of the first global symbol; all but the null symbol are global.
        _Section(
            ".symtab",
            SHT_SYMTAB,
            data=symtab,
            link=_STRTAB,
            info=1,
            align=word,
            entsize=layouts.sym.sizeof(),
        ),
        _Section(".strtab", SHT_STRTAB, data=strtab),
        _Section(".shstrtab", SHT_STRTAB),  # filled in below, once the names are known
    ]
    assert [s.name for s in table].index(".strtab") == _STRTAB  # the indices above hold
    shstrtab, name_offsets = _string_table([s.name for s in table])
    table[_SHSTRTAB] = _Section(".shstrtab", SHT_STRTAB, data=shstrtab)
    return _lay_out(layouts, wide, sections.text_addr, table, name_offsets)


def _lay_out(
    layouts: ElfLayouts,
    wide: bool,
    entry: int,
    table: list[_Section],
    name_offsets: list[int],
) -> bytes:
    """Place section contents after the ELF header, then the section header table."""
    out = bytearray(layouts.ehdr.sizeof())
    headers = []
    for section, name in zip(table, name_offsets, strict=True):
        if section.data is not None:
            out += bytes(-len(out) % section.align)
            offset, size = len(out), len(section.data)
            out += section.data
        else:
            # NOBITS sections occupy nothing; like ld, point them at the end of the header.
            offset, size = (0, 0) if section.sh_type == SHT_NULL else (len(out), section.size)
        headers.append(
            dict(
                sh_name=name,
                sh_type=section.sh_type,
                sh_flags=section.flags,
                sh_addr=section.addr,
                sh_offset=offset,
                sh_size=size,
                sh_link=section.link,
                sh_info=section.info,
                sh_addralign=section.align if section.sh_type else 0,
                sh_entsize=section.entsize,
            )
        )
    out += bytes(-len(out) % layouts.word_size)
    shoff = len(out)
    for header in headers:
        out += layouts.shdr.build(header)

    ident = dict(
        ei_class=layouts.elf_class,
        ei_data=ELFDATA2MSB,
        ei_version=EV_CURRENT,
        ei_osabi=ELFOSABI_HPUX,
        ei_abiversion=0,
    )
    out[: layouts.ehdr.sizeof()] = layouts.ehdr.build(
        dict(
            e_ident=ident,
            e_type=ET_EXEC,
            e_machine=EM_PARISC,
            e_version=EV_CURRENT,
            e_entry=entry,
            e_phoff=0,
            e_shoff=shoff,
            e_flags=(EF_PARISC_WIDE | EFA_PARISC_2_0) if wide else EFA_PARISC_1_1,
            e_ehsize=layouts.ehdr.sizeof(),
            e_phentsize=0,
            e_phnum=0,
            e_shentsize=layouts.shdr.sizeof(),
            e_shnum=len(headers),
            e_shstrndx=_SHSTRTAB,
        )
    )
    return bytes(out)


def _string_table(names: list[str]) -> tuple[bytes, list[int]]:
    """An ELF string table (leading NUL, so offset 0 is the empty name) and each name's offset."""
    table = bytearray(b"\0")
    offsets = []
    for name in names:
        if not name:
            offsets.append(0)
            continue
        offsets.append(len(table))
        table += name.encode("ascii") + b"\0"
    return bytes(table), offsets


def _symbol_tables(
    layouts: ElfLayouts, functions: Sequence[Function], objects: Sequence[DataObject]
) -> tuple[bytes, bytes]:
    """(.strtab, .symtab): symbol 0 is the null symbol, the rest in (address, name) order."""
    rows = [(f.address, f.name, f.size, STT_FUNC, _TEXT) for f in functions]
    rows += [(o.address, o.name, o.size, STT_OBJECT, _SECTION_INDEX[o.section]) for o in objects]
    rows.sort(key=lambda row: (row[0], row[1]))
    strtab, offsets = _string_table([row[1] for row in rows])

    # One struct.pack per symbol: construct's build is too slow for tens of thousands.
    packer, order = struct_format(layouts.sym), field_names(layouts.sym)
    symtab = bytearray(layouts.sym.sizeof())  # the null symbol
    for (address, _name, size, kind, shndx), name_offset in zip(rows, offsets, strict=True):
        values = dict(
            st_name=name_offset,
            st_value=address,
            st_size=size,
            st_info=st_info(STB_GLOBAL, kind),
            st_other=0,
            st_shndx=shndx,
        )
        symtab += packer.pack(*(values[field] for field in order))
    return strtab, bytes(symtab)


def check_kernel(
    wide: bool,
    sections: SectionSizes,
    functions: Sequence[Function],
    objects: Sequence[DataObject],
) -> None:
    """Reject input that would make a vmunix KernelImage refuses or misreads (ELF or SOM)."""
    limit = 1 << (64 if wide else 32)
    for field in ("text", "data", "bss"):
        addr, size = getattr(sections, f"{field}_addr"), getattr(sections, f"{field}_size")
        if addr < 0 or size < 0 or addr + size > limit:
            raise ValueError(f".{field} at {addr:#x} size {size:#x} does not fit the address space")

    seen: set[str] = set()
    for name in [f.name for f in functions] + [o.name for o in objects]:
        if not name or not name.isascii() or "\0" in name:
            raise ValueError(f"bad symbol name {name!r}")
        if name in seen:
            raise ValueError(f"symbol {name!r} is defined twice")
        seen.add(name)

    text_end = sections.text_addr + sections.text_size
    for f in functions:
        if f.address % 4 or f.size < 4 or f.size % 4:
            raise ValueError(f"function {f.name}: address and size must be multiples of 4, > 0")
        if not (sections.text_addr <= f.address and f.address + f.size <= text_end):
            raise ValueError(f"function {f.name} at {f.address:#x} is outside .text")
        if f.address + f.size > 1 << 32:
            # Unwind descriptors hold 32-bit addresses, in wide kernels too.
            raise ValueError(f"function {f.name} at {f.address:#x} is past the 32-bit unwind range")
        if f.frame_size < 0 or f.frame_size % 8:
            raise ValueError(f"function {f.name}: frame_size {f.frame_size} is not a multiple of 8")

    ordered = sorted(functions, key=lambda f: f.address)
    for before, after in zip(ordered, ordered[1:], strict=False):
        if after.address < before.address + before.size:
            raise ValueError(f"functions {before.name} and {after.name} overlap")

    for o in objects:
        if o.section not in _SECTION_INDEX:
            raise ValueError(
                f"object {o.name}: section must be 'data', 'bss' or 'abs', not {o.section!r}"
            )
        if o.section == "abs":
            continue  # kernel data outside the linked sections (low memory), SHN_ABS
        start = getattr(sections, f"{o.section}_addr")
        end = start + getattr(sections, f"{o.section}_size")
        if o.size < 0 or not (start <= o.address and o.address + o.size <= end):
            raise ValueError(f"object {o.name} at {o.address:#x} is outside .{o.section}")
