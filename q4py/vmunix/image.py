"""`KernelImage`: the symbols, section extents and unwind table of a `vmunix`, read once.

Reading goes in three steps, each turning what it finds wrong into a one-line DumpError:
1. the ELF header and section headers, with this package's construct layouts: magic, class, byte
   order, machine, file type, and that the header table and every section's contents lie inside
   the file (pyelftools does not check the latter, it returns short data);
2. the sections by name, with pyelftools (its errors on odd files become DumpError too);
3. the symbol and unwind tables, with `struct.iter_unpack` in formats derived from the construct
   layouts: construct or pyelftools take ~1 s for 20 000 symbols, this takes a few ms.

Unwind descriptors are kept as raw words and decoded to `UnwindEntry` on demand.
"""

from __future__ import annotations

import io
import os
import struct
import zlib
from bisect import bisect_right
from pathlib import Path
from typing import Any, NoReturn

from elftools.common.exceptions import ELFError
from elftools.construct.core import ConstructError as ElftoolsConstructError
from elftools.elf.elffile import ELFFile
from elftools.elf.sections import Section, SymbolTableSection

from q4py.errors import DumpError
from q4py.vmunix.elf_layouts import (
    E_IDENT,
    EI_NIDENT,
    ELF32,
    ELF64,
    ELFCLASS32,
    ELFCLASS64,
    ELFDATA2LSB,
    ELFDATA2MSB,
    ELFMAG,
    EM_PARISC,
    ET_EXEC,
    SHT_NOBITS,
    SHT_NULL,
    SHT_PARISC_UNWIND,
    STT_FUNC,
    STT_OBJECT,
    ElfLayouts,
    field_names,
    field_offset,
    struct_format,
)
from q4py.vmunix.model import SectionSizes, Symbol, SymbolKind
from q4py.vmunix.som_layouts import is_som
from q4py.vmunix.unwind import DESCRIPTOR_SIZE, UnwindEntry, entry_from_words, unwind_words

# What pyelftools raises on a garbled file (it also lets plain Python errors through).
_ELFTOOLS_ERRORS = (
    ELFError,
    ElftoolsConstructError,
    struct.error,
    zlib.error,
    ValueError,
    IndexError,
    KeyError,
    UnicodeDecodeError,
    OverflowError,
)

_KIND: dict[int, SymbolKind] = {STT_FUNC: "func", STT_OBJECT: "object"}


class KernelImage:
    """A loaded kernel image. Build with `KernelImage.load(path)` or `from_bytes`."""

    def __init__(
        self,
        path: str,
        *,
        wide: bool,
        section_sizes: SectionSizes,
        symbols: list[Symbol],
        unwind_words: list[tuple[int, int, int, int]],
        file_format: str = "ELF",
    ) -> None:
        self.path = path
        self.file_format = file_format  # "ELF32", "ELF64" or "SOM": what the file was
        self.wide = wide
        self.pointer_size = 8 if wide else 4
        self.section_sizes = section_sizes

        # Aliases at one address: lookup prefers a function, then the larger symbol, then the
        # one earlier in the symbol table (sort is stable).
        self._symbols = sorted(symbols, key=lambda s: (s.address, s.kind != "func", -s.size))
        self._by_name: dict[str, Symbol] = {}
        for symbol in symbols:
            self._by_name.setdefault(symbol.name, symbol)  # first definition wins
        self._lookup: list[Symbol] = []
        for symbol in self._symbols:
            if not self._lookup or self._lookup[-1].address != symbol.address:
                self._lookup.append(symbol)
        self._lookup_starts = [s.address for s in self._lookup]

        self._unwind_words = unwind_words
        self._unwind_starts = [words[0] for words in unwind_words]
        self._unwind_entries: list[UnwindEntry] | None = None

    @classmethod
    def load(cls, path: str | os.PathLike[str]) -> KernelImage:
        """Read and check a vmunix file; anything wrong with it raises DumpError."""
        name = os.fspath(path)
        try:
            data = Path(path).read_bytes()
        except OSError as exc:
            raise DumpError(name, f"cannot read the kernel image: {exc.strerror or exc}") from None
        return cls.from_bytes(data, name)

    @classmethod
    def from_bytes(cls, data: bytes, path: str = "vmunix") -> KernelImage:
        """As `load`, from the file's bytes; `path` only names the file in errors.

        The format is told by the magic: ELF (`\\x7fELF`, 32 or 64 bits) or HP SOM (a PA-RISC
        system_id in the first two bytes, q4py.vmunix.som).
        """
        if data[:4] == ELFMAG or len(data) < 4:
            return _Reader(path, data).read()
        if is_som(data):
            from q4py.vmunix.som import read_som  # here: som imports this module

            return read_som(path, data)
        raise DumpError(
            path,
            f"not a kernel file q4py reads: neither ELF (magic 7f454c46) nor PA-RISC SOM "
            f"(system_id 0x20b or 0x210..0x2ff); it starts with {data[:4].hex()}",
            0,
        )

    # -- symbols ------------------------------------------------------------------------------

    def symbol(self, name: str) -> Symbol | None:
        return self._by_name.get(name)

    def symbols(self) -> list[Symbol]:
        """Every function and object symbol, by address."""
        return list(self._symbols)

    def lookup(self, address: int) -> tuple[Symbol, int] | None:
        """The symbol whose [address, address+size) holds `address`, and the offset into it.

        Symbols are taken not to nest: only the nearest symbol at or below `address` is tried.
        """
        index = bisect_right(self._lookup_starts, address) - 1
        if index < 0:
            return None
        symbol = self._lookup[index]
        if not symbol.contains(address):
            return None
        return symbol, address - symbol.address

    def symbolize(self, address: int) -> str | None:
        """`panic+0x14`, `panic` at offset 0, or None when no symbol holds the address."""
        found = self.lookup(address)
        if found is None:
            return None
        symbol, offset = found
        return symbol.name if offset == 0 else f"{symbol.name}+{offset:#x}"

    def format_symbol(self, address: int, *, missing: str) -> str:
        """`symbolize`, with the caller's text (q4 prints `???` in places) when nothing holds it."""
        text = self.symbolize(address)
        return missing if text is None else text

    # -- unwind -------------------------------------------------------------------------------

    def unwind_for(self, pc: int) -> UnwindEntry | None:
        """The descriptor whose region_start <= pc <= region_end, if any."""
        index = bisect_right(self._unwind_starts, pc) - 1
        if index < 0 or pc > self._unwind_words[index][1]:
            return None
        return entry_from_words(*self._unwind_words[index])

    @property
    def unwind_entries(self) -> list[UnwindEntry]:
        """The whole table, decoded on first use (~10 us an entry)."""
        if self._unwind_entries is None:
            self._unwind_entries = [entry_from_words(*words) for words in self._unwind_words]
        return list(self._unwind_entries)

    def __repr__(self) -> str:
        return (
            f"KernelImage({self.path!r}, wide={self.wide}, {len(self._symbols)} symbols, "
            f"{len(self._unwind_words)} unwind entries)"
        )


class _Reader:
    """One pass over a vmunix's bytes; every check raises DumpError through `fail`."""

    def __init__(self, path: str, data: bytes) -> None:
        self.path = path
        self.data = data

    def fail(self, problem: str, offset: int | None = None) -> NoReturn:
        raise DumpError(self.path, problem, offset)

    def read(self) -> KernelImage:
        layouts, header = self._header()
        try:
            elf = ELFFile(io.BytesIO(self.data))
            sections = self._sections(elf, layouts, header)
        except _ELFTOOLS_ERRORS as exc:
            self.fail(f"malformed ELF: {_one_line(exc)}")

        text, data, bss = (self._need(sections, name) for name in (".text", ".data", ".bss"))
        sizes = SectionSizes(
            text_addr=text.header.sh_addr,
            text_size=text.header.sh_size,
            data_addr=data.header.sh_addr,
            data_size=data.header.sh_size,
            bss_addr=bss.header.sh_addr,
            bss_size=bss.header.sh_size,
        )
        return KernelImage(
            self.path,
            file_format="ELF64" if layouts is ELF64 else "ELF32",
            wide=layouts is ELF64,
            section_sizes=sizes,
            symbols=self._symbols(sections, layouts),
            unwind_words=self._unwind(sections.get(".PARISC.unwind")),
        )

    def _header(self) -> tuple[ElfLayouts, Any]:
        data = self.data
        if len(data) < EI_NIDENT:
            self.fail(f"only {len(data)} bytes: too short for an ELF header", 0)
        if data[:4] != ELFMAG:
            self.fail(f"not an ELF file (magic {data[:4].hex()})", 0)
        ident = E_IDENT.parse(data[:EI_NIDENT])
        if ident.ei_class not in (ELFCLASS32, ELFCLASS64):
            self.fail(f"unknown ELF class {ident.ei_class}", field_offset(E_IDENT, "ei_class"))
        if ident.ei_data != ELFDATA2MSB:
            what = (
                "ELF is little-endian"
                if ident.ei_data == ELFDATA2LSB
                else f"unknown ELF data encoding {ident.ei_data}"
            )
            self.fail(f"{what}: PA-RISC kernels are big-endian", field_offset(E_IDENT, "ei_data"))

        layouts = ELF64 if ident.ei_class == ELFCLASS64 else ELF32
        ehdr, bits = layouts.ehdr, 64 if layouts is ELF64 else 32
        if len(data) < ehdr.sizeof():
            self.fail(f"truncated ELF{bits} header: {len(data)} of {ehdr.sizeof()} bytes", 0)
        header = ehdr.parse(data)
        if header.e_machine != EM_PARISC:
            self.fail(
                f"e_machine {header.e_machine} is not PA-RISC (EM_PARISC = {EM_PARISC})",
                field_offset(ehdr, "e_machine"),
            )
        if header.e_type != ET_EXEC:
            self.fail(
                f"e_type {header.e_type} is not ET_EXEC: not a linked kernel",
                field_offset(ehdr, "e_type"),
            )
        if header.e_shentsize != layouts.shdr.sizeof():
            self.fail(
                f"e_shentsize {header.e_shentsize}, ELF{bits} section headers are "
                f"{layouts.shdr.sizeof()} bytes",
                field_offset(ehdr, "e_shentsize"),
            )
        if header.e_shnum == 0:
            self.fail("no section headers", field_offset(ehdr, "e_shnum"))
        table_end = header.e_shoff + header.e_shnum * header.e_shentsize
        if table_end > len(data):
            self.fail(
                f"section header table ({header.e_shnum} entries) runs past the end of the "
                f"file ({len(data)} bytes)",
                header.e_shoff,
            )
        if header.e_shstrndx >= header.e_shnum:
            self.fail(
                f"e_shstrndx {header.e_shstrndx} is not a section (there are {header.e_shnum})",
                field_offset(ehdr, "e_shstrndx"),
            )
        return layouts, header

    def _sections(self, elf: ELFFile, layouts: ElfLayouts, header: Any) -> dict[str, Section]:
        """Sections by name (the first of a name wins), each checked to lie inside the file."""
        size = layouts.shdr.sizeof()
        for index in range(header.e_shnum):
            at = header.e_shoff + index * size
            sh = layouts.shdr.parse(self.data[at : at + size])
            in_file = sh.sh_type not in (SHT_NULL, SHT_NOBITS)
            if in_file and sh.sh_offset + sh.sh_size > len(self.data):
                self.fail(
                    f"section {index} (offset {sh.sh_offset:#x}, size {sh.sh_size:#x}) runs "
                    f"past the end of the file ({len(self.data)} bytes)",
                    at,
                )
        # Everything pyelftools will read now lies inside the file.
        found: dict[str, Section] = {}
        for section in elf.iter_sections():
            found.setdefault(section.name, section)
        return found

    def _need(self, sections: dict[str, Section], name: str) -> Section:
        if name not in sections:
            self.fail(f"no {name} section")
        return sections[name]

    def _contents(self, section: Section) -> bytes:
        start = section.header.sh_offset
        return self.data[start : start + section.header.sh_size]

    def _symbols(self, sections: dict[str, Section], layouts: ElfLayouts) -> list[Symbol]:
        symtab = sections.get(".symtab")
        if not isinstance(symtab, SymbolTableSection):
            self.fail("no .symtab symbol table")
        entry_size = layouts.sym.sizeof()
        where = symtab.header.sh_offset
        if symtab.header.sh_entsize != entry_size or symtab.header.sh_size % entry_size:
            self.fail(
                f".symtab entries must be {entry_size} bytes (entsize {symtab.header.sh_entsize}, "
                f"size {symtab.header.sh_size})",
                where,
            )
        strtab = self._contents(symtab.stringtable)
        fields = field_names(layouts.sym)
        name_at, value_at, size_at, info_at = (
            fields.index(f) for f in ("st_name", "st_value", "st_size", "st_info")
        )
        symbols = []
        for index, row in enumerate(struct_format(layouts.sym).iter_unpack(self._contents(symtab))):
            kind = _KIND.get(row[info_at] & 0xF)
            if kind is None or row[name_at] == 0:
                continue  # the null symbol, sections, files, untyped labels
            start = row[name_at]
            end = strtab.find(b"\0", start)
            if start >= len(strtab) or end < 0:
                self.fail(f"symbol {index} has a name outside .strtab", where + index * entry_size)
            name = strtab[start:end].decode("ascii", "replace")
            symbols.append(Symbol(name, row[value_at], row[size_at], kind))
        return symbols

    def _unwind(self, section: Section | None) -> list[tuple[int, int, int, int]]:
        """The descriptors' words, checked to be sorted, non-overlapping and well formed."""
        if section is None:
            return []  # a kernel without unwind info still has symbols; the unwinder says so
        where = section.header.sh_offset
        if section.header.sh_type not in (SHT_PARISC_UNWIND, "SHT_PARISC_UNWIND"):
            self.fail(f".PARISC.unwind has section type {section.header.sh_type}", where)
        if section.header.sh_size % DESCRIPTOR_SIZE:
            self.fail(
                f".PARISC.unwind size {section.header.sh_size} is not a multiple of "
                f"{DESCRIPTOR_SIZE}",
                where,
            )
        words = unwind_words(self._contents(section))
        check_unwind_table(self.path, words, where)
        return words


def check_unwind_table(path: str, words: list[tuple[int, int, int, int]], where: int) -> None:
    """Each entry well formed, the table sorted and non-overlapping; `where` is its file offset."""
    previous_end = -1
    for index, (start, end, _flags, _frame) in enumerate(words):
        at = where + index * DESCRIPTOR_SIZE
        if end < start:
            raise DumpError(path, f"unwind entry {index} ends ({end:#x}) before it starts "
                            f"({start:#x})", at)
        if start <= previous_end:
            raise DumpError(
                path,
                f"unwind entry {index} starts at {start:#x}, inside or before entry "
                f"{index - 1} (ends {previous_end:#x}): the table must be sorted and "
                "non-overlapping",
                at,
            )
        previous_end = end


def _one_line(exc: Exception) -> str:
    text = " ".join(str(exc).split()) or type(exc).__name__
    return text if len(text) <= 160 else text[:157] + "..."
