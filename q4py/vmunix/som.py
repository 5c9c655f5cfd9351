"""Read a narrow kernel's HP SOM executable into a `KernelImage`.

What q4py takes from it, with the public rule each follows (HP a.out(4) as binutils carries it):
- the text/data/bss extents from the exec auxiliary header (type 4), as the HP-UX loader maps
  them: text `exec_tmem`/`exec_tsize`, data `exec_dmem`/`exec_dsize`, bss right after the data;
- symbols from the symbol dictionary: code types (ST_CODE, ST_ENTRY, ST_MILLICODE, ...) are
  functions, their value's two low bits (the privilege level) dropped; ST_DATA and ST_ABSOLUTE
  are objects; extension records, undefined and imported symbols and `L$` local labels skipped;
- the unwind table from the `$UNWIND_START$` subspace (what GDB reads in a linked SOM) or
  `$UNWIND$`; 16-byte descriptors with absolute addresses, the same layout as `.PARISC.unwind`.

SOM symbols carry no size. A file the forge wrote holds them in q4py's own `$SYMBOL_SIZES$`
subspace; otherwise a function's size is its unwind region's and an object's reaches the next
symbol (or the end of its section).

Every dictionary, string table and subspace is checked to lie inside the file before it is
read, the header checksum to be right, and each symbol's type to be one SOM defines: anything
wrong is one DumpError naming the file, the fault and its offset.
"""

from __future__ import annotations

import struct
from bisect import bisect_right
from typing import Any, NoReturn

from construct import Struct

from q4py.errors import DumpError
from q4py.vmunix.elf_layouts import field_offset
from q4py.vmunix.image import KernelImage, check_unwind_table
from q4py.vmunix.model import SectionSizes, Symbol, SymbolKind
from q4py.vmunix.som_layouts import (
    AUX_ID,
    CODE_TYPES,
    EXEC_AUX_HEADER,
    EXECUTABLE_MAGICS,
    EXTENSION_TYPES,
    HEADER_SIZE,
    HPUX_AUX_ID,
    OTHER_MAGICS,
    SOM_HEADER,
    SPACE_RECORD,
    SS_EXTERNAL,
    SS_UNSAT,
    ST_ABSOLUTE,
    ST_COMDAT,
    ST_DATA,
    ST_NULL,
    SUBSPACE_RECORD,
    SYMBOL_FIELDS,
    SYMBOL_MEMBERS,
    SYMBOL_WORDS,
    VERSION_IDS,
    header_checksum,
)
from q4py.vmunix.som_writer import SIZES_SUBSPACE
from q4py.vmunix.unwind import DESCRIPTOR_SIZE, unwind_words

UNWIND_SUBSPACES = ("$UNWIND_START$", "$UNWIND$")
_U32 = struct.Struct(">I")


def read_som(path: str, data: bytes) -> KernelImage:
    """The KernelImage of the SOM executable `data`; DumpError for anything wrong."""
    return _SomReader(path, data).read()


class _SomReader:
    def __init__(self, path: str, data: bytes) -> None:
        self.path = path
        self.data = data

    def fail(self, problem: str, offset: int | None = None) -> NoReturn:
        raise DumpError(self.path, f"SOM: {problem}", offset)

    def read(self) -> KernelImage:
        header = self._header()
        sections = self._exec_extents(header)
        subspaces = self._subspaces(header)
        names = [sub.name_text for sub in subspaces]
        unwind = self._unwind(subspaces)
        symbols = self._symbols(header, subspaces, names, unwind, sections)
        return KernelImage(self.path, file_format="SOM", wide=False, section_sizes=sections,
                           symbols=symbols, unwind_words=unwind)

    # -- header and dictionaries ---------------------------------------------------------
    def _header(self) -> Any:
        data = self.data
        if len(data) < HEADER_SIZE:
            self.fail(f"only {len(data)} bytes: too short for the {HEADER_SIZE}-byte header", 0)
        header = SOM_HEADER.parse(data)
        if header.a_magic not in EXECUTABLE_MAGICS:
            what = OTHER_MAGICS.get(header.a_magic, "not an executable")
            self.fail(f"a_magic {header.a_magic:#06x} is {what}: a kernel is an executable "
                      "(0x107, 0x108 or 0x10b)", 2)
        if header.version_id not in VERSION_IDS:
            self.fail(f"version_id {header.version_id} is neither {VERSION_IDS[0]} nor "
                      f"{VERSION_IDS[1]}", 4)
        residue = header_checksum(data)
        if residue:
            self.fail(f"header checksum {header.checksum:#010x} is wrong (the header's words "
                      f"XOR to {residue:#010x}, not 0)", 0x7C)
        if header.som_length > len(data):
            self.fail(f"som_length {header.som_length:#x} runs past the end of the file "
                      f"({len(data):#x} bytes)", 0x24)
        tables = (
            ("aux header area", "aux_header_location", "aux_header_size", 1),
            ("space dictionary", "space_location", "space_total", SPACE_RECORD.sizeof()),
            ("subspace dictionary", "subspace_location", "subspace_total",
             SUBSPACE_RECORD.sizeof()),
            ("space string table", "space_strings_location", "space_strings_size", 1),
            ("symbol dictionary", "symbol_location", "symbol_total", SYMBOL_WORDS.size),
            ("symbol string table", "symbol_strings_location", "symbol_strings_size", 1),
            ("unloadable space data", "unloadable_sp_location", "unloadable_sp_size", 1),
        )
        for what, location, total, size in tables:
            self._inside(what, header[location], header[total] * size,
                         field_offset(SOM_HEADER, location))
        return header

    def _inside(self, what: str, start: int, size: int, where: int) -> None:
        if start + size > len(self.data):
            self.fail(f"the {what} ({size:#x} bytes at {start:#x}) lies outside the file "
                      f"({len(self.data):#x} bytes)", where)

    def _records(self, model: Struct, location: int, count: int) -> list[Any]:
        size = model.sizeof()
        return [model.parse(self.data[location + i * size:location + (i + 1) * size])
                for i in range(count)]

    def _exec_extents(self, header: Any) -> SectionSizes:
        """Walk the aux headers (8-byte id + `length` bytes each) to the exec header."""
        at, end = header.aux_header_location, header.aux_header_location + header.aux_header_size
        while at + AUX_ID.sizeof() <= end:
            aux_id = AUX_ID.parse(self.data[at:at + AUX_ID.sizeof()])
            if aux_id.flags.type == HPUX_AUX_ID:
                if at + EXEC_AUX_HEADER.sizeof() > end:
                    self.fail("the exec auxiliary header runs past the aux header area", at)
                ex = EXEC_AUX_HEADER.parse(self.data[at:at + EXEC_AUX_HEADER.sizeof()])
                return SectionSizes(ex.exec_tmem, ex.exec_tsize, ex.exec_dmem, ex.exec_dsize,
                                    ex.exec_dmem + ex.exec_dsize, ex.exec_bsize)
            at += AUX_ID.sizeof() + aux_id.length
        self.fail("no exec auxiliary header (HPUX_AUX_ID): not a linked executable",
                  header.aux_header_location)

    def _subspaces(self, header: Any) -> list[Any]:
        strings = self._strings(header.space_strings_location, header.space_strings_size)
        spaces = self._records(SPACE_RECORD, header.space_location, header.space_total)
        for i, space in enumerate(spaces):
            at = header.space_location + i * SPACE_RECORD.sizeof()
            first, count = space.subspace_index, space.subspace_quantity
            if first < 0 or first + count > header.subspace_total:
                self.fail(f"space {i} claims subspaces {first}..{first + count - 1}, but the "
                          f"dictionary has {header.subspace_total}", at)
        subspaces = self._records(SUBSPACE_RECORD, header.subspace_location,
                                  header.subspace_total)
        for i, sub in enumerate(subspaces):
            at = header.subspace_location + i * SUBSPACE_RECORD.sizeof()
            if not 0 <= sub.space_index < header.space_total:
                self.fail(f"subspace {i} belongs to space {sub.space_index}, but there are "
                          f"{header.space_total}", at)
            sub.name_text = self._name(strings, sub.name, f"subspace {i}", at)
            if sub.initialization_length and not sub.flags.replicate_init:
                if sub.file_loc_init_value < 0:
                    self.fail(f"subspace {i} ({sub.name_text}) has its contents at a negative "
                              f"offset", at)
                self._inside(f"contents of subspace {i} ({sub.name_text})",
                             sub.file_loc_init_value, sub.initialization_length, at)
        return subspaces

    def _strings(self, location: int, size: int) -> bytes:
        return self.data[location:location + size]

    def _name(self, strings: bytes, offset: int, what: str, where: int) -> str:
        end = strings.find(b"\0", offset)
        if offset >= len(strings) or end < 0:
            self.fail(f"{what} has a name at {offset:#x}, outside its string table "
                      f"({len(strings):#x} bytes)", where)
        return strings[offset:end].decode("ascii", "replace")

    def _contents(self, sub: Any) -> bytes:
        start = sub.file_loc_init_value
        return self.data[start:start + sub.initialization_length]

    # -- unwind -----------------------------------------------------------------------------
    def _unwind(self, subspaces: list[Any]) -> list[tuple[int, int, int, int]]:
        """Every descriptor of the unwind subspaces, by region_start (GDB sorts them too)."""
        words: list[tuple[int, int, int, int]] = []
        where = 0
        for sub in subspaces:
            if sub.name_text not in UNWIND_SUBSPACES or sub.flags.replicate_init:
                continue
            where = sub.file_loc_init_value
            if sub.initialization_length % DESCRIPTOR_SIZE:
                self.fail(f"{sub.name_text} size {sub.initialization_length} is not a "
                          f"multiple of {DESCRIPTOR_SIZE}", where)
            words += unwind_words(self._contents(sub))
        words.sort(key=lambda w: w[0])
        check_unwind_table(self.path, words, where)
        return words

    # -- symbols ------------------------------------------------------------------------------
    def _symbols(self, header: Any, subspaces: list[Any], names: list[str],
                 unwind: list[tuple[int, int, int, int]], sections: SectionSizes) -> list[Symbol]:
        strings = self._strings(header.symbol_strings_location, header.symbol_strings_size)
        start = header.symbol_location
        table = self.data[start:start + header.symbol_total * SYMBOL_WORDS.size]
        kind_f, scope_f = SYMBOL_FIELDS["symbol_type"], SYMBOL_FIELDS["symbol_scope"]
        flags_at, name_at, value_at = (SYMBOL_MEMBERS.index(m)
                                       for m in ("flags", "name", "symbol_value"))
        sizes = self._given_sizes(subspaces, header.symbol_total)
        subspace_names = set(names)
        found: list[tuple[str, int, SymbolKind, int | None]] = []
        for index, row in enumerate(SYMBOL_WORDS.iter_unpack(table)):
            at = start + index * SYMBOL_WORDS.size
            kind = kind_f.get(row[flags_at])
            if kind > ST_COMDAT:
                self.fail(f"symbol {index} has symbol_type {kind}, which SOM does not define",
                          at)
            if kind in EXTENSION_TYPES or kind == ST_NULL:
                continue
            if scope_f.get(row[flags_at]) in (SS_UNSAT, SS_EXTERNAL):
                continue  # a reference, not a definition
            name = self._name(strings, row[name_at], f"symbol {index}", at)
            if not name or name.startswith("L$") or name in subspace_names:
                continue  # local labels and section symbols
            if kind in CODE_TYPES:
                found.append((name, row[value_at] & ~3, "func", _nth(sizes, index)))
            elif kind in (ST_DATA, ST_ABSOLUTE):
                found.append((name, row[value_at], "object", _nth(sizes, index)))
        return _sized(found, unwind, sections)

    def _given_sizes(self, subspaces: list[Any], total: int) -> list[int] | None:
        """q4py's `$SYMBOL_SIZES$` (one u32 per symbol record), when the file has it."""
        for sub in subspaces:
            if sub.name_text == SIZES_SUBSPACE:
                if sub.initialization_length != 4 * total:
                    self.fail(f"{SIZES_SUBSPACE} holds {sub.initialization_length} bytes, not 4 "
                              f"for each of the {total} symbols", sub.file_loc_init_value)
                return [value for (value,) in _U32.iter_unpack(self._contents(sub))]
        return None


def _nth(sizes: list[int] | None, index: int) -> int | None:
    return None if sizes is None else sizes[index]


def _sized(found: list[tuple[str, int, SymbolKind, int | None]],
           unwind: list[tuple[int, int, int, int]], sections: SectionSizes) -> list[Symbol]:
    """Symbols with the sizes the file gave, else derived: a function's from its unwind region,
    an object's up to the next symbol or the end of its section."""
    starts = sorted({address for _, address, _, _ in found})
    region_ends = {start: end for start, end, _, _ in unwind}
    data_end = sections.data_addr + sections.data_size
    bss_end = sections.bss_addr + sections.bss_size
    symbols = []
    for name, address, kind, size in found:
        if size is None:
            if kind == "func":
                end = region_ends.get(address)
                size = 0 if end is None else end + 4 - address
            else:
                limit = (data_end if sections.data_addr <= address < data_end
                         else bss_end if sections.bss_addr <= address < bss_end else address)
                i = bisect_right(starts, address)
                following = starts[i] if i < len(starts) else limit
                size = max(0, min(following, limit) - address)
        symbols.append(Symbol(name, address, size, kind))
    return symbols

