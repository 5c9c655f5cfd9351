"""Write a narrow PA-RISC `vmunix` as an HP SOM executable: the forge's side of `q4py.vmunix.som`.

Like the ELF writer, the file holds what q4py reads from a kernel image and nothing else:

- space `$TEXT$` with subspaces `$CODE$` (the kernel text's extent, no bytes in the file: kernel
  memory comes from the dump) and `$UNWIND_START$` (the unwind table, in the file);
- space `$PRIVATE$` with `$DATA$` and `$BSS$` (extents only);
- the exec auxiliary header giving the text/data/bss extents, as the HP-UX loader reads them;
- the symbol dictionary and its strings;
- q4py's own unloadable space `$Q4PY$` with `$SYMBOL_SIZES$`: one u32 per symbol record, the size
  an ELF symbol would carry (SOM symbols have none).

File order (that of bfd/som.c): header, aux header, space and subspace dictionaries, space
strings, subspace contents, unloadable contents, symbol dictionary, symbol strings. The header
checksum is computed last. The same arguments always give the same bytes.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from typing import Any, BinaryIO

from q4py.vmunix.model import SectionSizes
from q4py.vmunix.som_layouts import (
    ACCESS_CODE,
    ACCESS_DATA,
    CPU_PA_RISC1_1,
    EXEC_AUX_HEADER,
    EXEC_MAGIC,
    HEADER_SIZE,
    HPUX_AUX_ID,
    NEW_VERSION_ID,
    SOM_HEADER,
    SPACE_RECORD,
    SS_UNIVERSAL,
    ST_ABSOLUTE,
    ST_DATA,
    ST_ENTRY,
    ST_MILLICODE,
    SUBSPACE_RECORD,
    SYMBOL_FIELDS,
    SYMBOL_MEMBERS,
    SYMBOL_WORDS,
    header_checksum,
    string_table,
)
from q4py.vmunix.unwind import encode_unwind_table
from q4py.vmunix.writer import DataObject, Function, check_kernel, write_file

__all__ = ["SIZES_SPACE", "SIZES_SUBSPACE", "UNWIND_SUBSPACE", "build_som", "write_som"]

UNWIND_SUBSPACE = "$UNWIND_START$"  # the name GDB reads a linked SOM's unwind table from
SIZES_SPACE = "$Q4PY$"
SIZES_SUBSPACE = "$SYMBOL_SIZES$"

# Subspace dictionary indices (symbol_info names the subspace holding a symbol).
_CODE, _UNWIND, _DATA, _BSS, _SIZES = range(5)


def write_som(
    target: str | os.PathLike[str] | BinaryIO,
    *,
    sections: SectionSizes,
    functions: Sequence[Function],
    objects: Sequence[DataObject],
) -> None:
    """Write the SOM vmunix to a path or an open binary stream. Bad input raises ValueError."""
    write_file(target, build_som(sections=sections, functions=functions, objects=objects))


def build_som(
    *, sections: SectionSizes, functions: Sequence[Function], objects: Sequence[DataObject]
) -> bytes:
    """The bytes `write_som` writes (SOM is 32-bit: narrow kernels only)."""
    check_kernel(False, sections, functions, objects)
    if sections.bss_addr != sections.data_addr + sections.data_size:
        # The exec header has no bss address: the loader puts bss right after data.
        raise ValueError(f".bss at {sections.bss_addr:#x} does not follow .data "
                         f"(ends {sections.data_addr + sections.data_size:#x})")

    by_address = sorted(functions, key=lambda f: f.address)
    unwind = encode_unwind_table([f.unwind_entry() for f in by_address])
    rows = _symbol_rows(sections, functions, objects)
    names = ["$TEXT$", "$PRIVATE$", SIZES_SPACE, "$CODE$", UNWIND_SUBSPACE, "$DATA$", "$BSS$",
             SIZES_SUBSPACE]
    space_strings, name_at = string_table(names)
    symbol_strings, symbol_name_at = string_table([row[1] for row in rows])
    sizes = b"".join(row[2].to_bytes(4, "big") for row in rows)

    # Offsets, in file order.
    aux_at = HEADER_SIZE
    space_at = aux_at + EXEC_AUX_HEADER.sizeof()
    subspace_at = space_at + 3 * SPACE_RECORD.sizeof()
    space_strings_at = _align(subspace_at + 5 * SUBSPACE_RECORD.sizeof())
    unwind_at = _align(space_strings_at + len(space_strings), 8)
    unloadable_at = _align(unwind_at + len(unwind))
    symbol_at = _align(unloadable_at + len(sizes))
    symbol_strings_at = symbol_at + len(rows) * SYMBOL_WORDS.size
    end = symbol_strings_at + len(symbol_strings)

    spaces = [
        _space(name_at[0], number=0, first=_CODE, count=2, loadable=True, sort_key=8),
        _space(name_at[1], number=1, first=_DATA, count=2, loadable=True, private=True,
               sort_key=16),
        _space(name_at[2], number=2, first=_SIZES, count=1, loadable=False, sort_key=255),
    ]
    subspaces = [
        _subspace(0, name_at[3], sections.text_addr, sections.text_size, 0, 0, loadable=True,
                  code=True, access=ACCESS_CODE, quadrant=0, sort_key=24, align=8),
        # Not loadable here: a forged dump's memory does not hold the table (a real kernel
        # loads it after the code).
        _subspace(0, name_at[4], 0, len(unwind), unwind_at, len(unwind), loadable=False,
                  code=False, access=ACCESS_CODE, quadrant=0, sort_key=64, align=4),
        _subspace(1, name_at[5], sections.data_addr, sections.data_size, 0, 0, loadable=True,
                  code=False, access=ACCESS_DATA, quadrant=1, sort_key=24, align=8),
        _subspace(1, name_at[6], sections.bss_addr, sections.bss_size, 0, 0, loadable=True,
                  code=False, access=ACCESS_DATA, quadrant=1, sort_key=80, align=8),
        _subspace(2, name_at[7], 0, len(sizes), unloadable_at, len(sizes), loadable=False,
                  code=False, access=0, quadrant=0, sort_key=255, align=4),
    ]
    aux = EXEC_AUX_HEADER.build(dict(
        aux_id=dict(flags=dict(mandatory=False, copy=False, append=False, ignore=False,
                               reserved=0, type=HPUX_AUX_ID),
                    length=EXEC_AUX_HEADER.sizeof() - 8),
        exec_tsize=sections.text_size, exec_tmem=sections.text_addr, exec_tfile=0,
        exec_dsize=sections.data_size, exec_dmem=sections.data_addr, exec_dfile=0,
        exec_bsize=sections.bss_size, exec_entry=sections.text_addr, exec_flags=0, exec_bfill=0,
    ))

    symbols = bytearray()
    for (kind, _name, _size, address, info), name in zip(rows, symbol_name_at, strict=True):
        words = dict.fromkeys(SYMBOL_MEMBERS, 0)
        for field, value in (("symbol_type", kind), ("symbol_scope", SS_UNIVERSAL),
                             ("xleast", 3), ("symbol_info", info)):
            spec = SYMBOL_FIELDS[field]
            words[spec.word] |= spec.put(value)
        words["name"] = name
        # Code symbols carry the privilege level (3, user-most as HP's tools write) in bits 0-1.
        words["symbol_value"] = address | 3 if kind in (ST_ENTRY, ST_MILLICODE) else address
        symbols += SYMBOL_WORDS.pack(*(words[member] for member in SYMBOL_MEMBERS))

    out = bytearray(end)
    out[aux_at:space_at] = aux
    for i, record in enumerate(spaces):
        at = space_at + i * SPACE_RECORD.sizeof()
        out[at:at + SPACE_RECORD.sizeof()] = SPACE_RECORD.build(record)
    for i, record in enumerate(subspaces):
        at = subspace_at + i * SUBSPACE_RECORD.sizeof()
        out[at:at + SUBSPACE_RECORD.sizeof()] = SUBSPACE_RECORD.build(record)
    for at, blob in ((space_strings_at, space_strings), (unwind_at, unwind),
                     (unloadable_at, sizes), (symbol_at, symbols),
                     (symbol_strings_at, symbol_strings)):
        out[at:at + len(blob)] = blob
    header = dict.fromkeys((s.name for s in SOM_HEADER.subcons), 0)
    header.update(
        system_id=CPU_PA_RISC1_1, a_magic=EXEC_MAGIC, version_id=NEW_VERSION_ID,
        aux_header_location=aux_at, aux_header_size=len(aux), som_length=end,
        space_location=space_at, space_total=len(spaces),
        subspace_location=subspace_at, subspace_total=len(subspaces),
        space_strings_location=space_strings_at, space_strings_size=len(space_strings),
        init_array_location=space_at, compiler_location=space_strings_at,
        symbol_location=symbol_at, symbol_total=len(rows),
        fixup_request_location=end, fixup_request_total=0,
        symbol_strings_location=symbol_strings_at, symbol_strings_size=len(symbol_strings),
        unloadable_sp_location=unloadable_at, unloadable_sp_size=len(sizes),
    )
    built = SOM_HEADER.build(header)
    header["checksum"] = header_checksum(built)
    out[:HEADER_SIZE] = SOM_HEADER.build(header)
    return bytes(out)


def _align(offset: int, to: int = 4) -> int:
    return offset + -offset % to


def _symbol_rows(
    sections: SectionSizes, functions: Sequence[Function], objects: Sequence[DataObject]
) -> list[tuple[int, str, int, int, int]]:
    """(symbol_type, name, size, address, symbol_info) in (address, name) order, as in ELF.

    symbol_info is the index of the subspace holding the symbol (0 for absolute symbols).
    """
    rows = [(ST_MILLICODE if f.millicode else ST_ENTRY, f.name, f.size, f.address, _CODE)
            for f in functions]
    subspace = {"data": _DATA, "bss": _BSS}
    rows += [(ST_ABSOLUTE if o.section == "abs" else ST_DATA, o.name, o.size, o.address,
              subspace.get(o.section, 0)) for o in objects]
    rows.sort(key=lambda row: (row[3], row[1]))
    return rows


def _space(name: int, *, number: int, first: int, count: int, loadable: bool, sort_key: int,
           private: bool = False) -> dict[str, Any]:
    return dict(
        name=name,
        flags=dict(is_loadable=loadable, is_defined=True, is_private=private,
                   has_intermediate_code=False, is_tspecific=False, reserved=0,
                   sort_key=sort_key, reserved2=0),
        space_number=number, subspace_index=first, subspace_quantity=count,
        loader_fix_index=-1, loader_fix_quantity=0, init_pointer_index=-1,
        init_pointer_quantity=0,
    )


def _subspace(space: int, name: int, start: int, length: int, file_at: int, file_size: int, *,
              loadable: bool, code: bool, access: int, quadrant: int, sort_key: int,
              align: int) -> dict[str, Any]:
    return dict(
        space_index=space,
        flags=dict(access_control_bits=access, memory_resident=False, dup_common=False,
                   is_common=False, is_loadable=loadable, quadrant=quadrant,
                   initially_frozen=False, is_first=False, code_only=code, sort_key=sort_key,
                   replicate_init=False, continuation=False, is_tspecific=False,
                   is_comdat=False, reserved=0),
        file_loc_init_value=file_at, initialization_length=file_size,
        subspace_start=start, subspace_length=length,
        alignment=dict(reserved2=0, alignment=align),
        name=name, fixup_request_index=-1, fixup_request_quantity=0,
    )
