"""Columns: one member of many records decoded at once, derived from the layout.

Bulk work (a pile of 100 000 buffers, a 30 000-process table) needs a few members of many
structures, not every structure as an object. `member_column(layout, path, data)` decodes member
`path` of each record in `data` (the records' bytes one after the other) in one pass in C: the
member's offset and C type come from the layout (the construct definition), so there is no
second layout. An integer or float member aligned in its record is picked out through a strided
memoryview and byte-swapped as an `array`; any other member goes through a `struct` projection
(`Layout.projection`'s rule: one member, the rest of the record skipped), or, for nested
structures and arrays, through the member's construct model one record at a time. A bit-field
is its storage unit's column with the bit-field shifted out of each value.
`member_decoder` gives the same value for a single record.
"""

from __future__ import annotations

import struct
import sys
from array import array
from collections.abc import Callable, Sequence
from dataclasses import replace
from functools import lru_cache
from typing import Any

from q4py.layouts.base import CType, Field, Layout, fast_code

_CAST = {1: "B", 2: "H", 4: "I", 8: "Q"}
_ARRAY_INT = {(1, False): "B", (1, True): "b", (2, False): "H", (2, True): "h",
              (4, False): "I", (4, True): "i", (8, False): "Q", (8, True): "q"}
_ARRAY_FLOAT = {4: "f", 8: "d"}
_SWAP = sys.byteorder == "little"  # the dumps are big-endian (PA-RISC)


def _array_code(ctype: CType) -> str | None:
    """The `array` type code holding the member's values, when one matches its size exactly."""
    if ctype.kind in ("int", "pointer"):
        code = _ARRAY_INT.get((ctype.size, ctype.signed))
    elif ctype.kind == "float":
        code = _ARRAY_FLOAT.get(ctype.size)
    else:
        return None
    return code if code is not None and array(code).itemsize == ctype.size else None


def member_column(layout: Layout, path: str, data: bytes | memoryview) -> Sequence[Any]:
    """Member `path` of every whole `layout` record in `data`, in order: an `array` for
    numbers, a list otherwise (bytes for char arrays, construct values for the rest)."""
    return column_reader(layout, path)(data)


@lru_cache(maxsize=1024)
def column_reader(layout: Layout, path: str) -> Callable[[bytes | memoryview], Sequence[Any]]:
    """`member_column` of member `path`, made once per member: a function of the bytes."""
    member = layout.field(path)
    if member.ctype.kind == "bitfield":
        units = _reader(layout.size, member.offset, _unit(member))
        return lambda data: [member.extract(unit) for unit in units(data)]
    return _reader(layout.size, member.offset, member.ctype)


def _unit(member: Field) -> CType:
    """The storage unit of a bit-field member, as a plain unsigned integer."""
    return replace(member.ctype, kind="int", spelling=member.ctype.base_spelling, count=0)


def column_at(size: int, offset: int, ctype: CType, data: bytes | memoryview) -> Sequence[Any]:
    """The member of C type `ctype` at `offset` of each `size`-byte record in `data`."""
    return _reader(size, offset, ctype)(data)


def _reader(size: int, offset: int, ctype: CType) -> Callable[[bytes | memoryview],
                                                              Sequence[Any]]:
    width = ctype.size
    code = _array_code(ctype)
    if code is not None and size % width == 0 and offset % width == 0:
        # Every `size // width`-th item of the records seen as `width`-byte numbers.
        cast, first, step = _CAST[width], offset // width, size // width
        swap = _SWAP and width > 1

        def numbers(data: bytes | memoryview) -> Sequence[Any]:
            count = len(data) // size
            view = memoryview(data)[:count * size].cast(cast)[first::step]
            values = array(code, view.tobytes())
            if swap:
                values.byteswap()
            return values
        return numbers
    scalar = fast_code(ctype)
    if scalar is not None:
        iter_unpack = struct.Struct(f">{offset}x{scalar}{size - offset - width}x").iter_unpack

        def scalars(data: bytes | memoryview) -> Sequence[Any]:
            count = len(data) // size
            return [value for (value,) in iter_unpack(memoryview(data)[:count * size])]
        return scalars
    parse = ctype.subcon.parse

    def values(data: bytes | memoryview) -> Sequence[Any]:
        view, count = memoryview(data), len(data) // size
        return [parse(bytes(view[at:at + width]))
                for at in range(offset, offset + count * size, size)]
    return values


@lru_cache(maxsize=1024)
def member_decoder(layout: Layout, path: str) -> Callable[[bytes | memoryview], Any]:
    """A function decoding member `path` from one record's bytes, as `member_column` would."""
    member = layout.field(path)
    ctype, offset = member.ctype, member.offset
    if ctype.kind == "bitfield":
        unit = struct.Struct(f">{offset}x{fast_code(_unit(member))}").unpack_from
        return lambda record: member.extract(unit(record)[0])
    scalar = fast_code(ctype)
    if scalar is not None:
        unpack_from = struct.Struct(f">{offset}x{scalar}").unpack_from
        return lambda record: unpack_from(record)[0]
    parse, end = ctype.subcon.parse, offset + ctype.size
    return lambda record: parse(bytes(record[offset:end]))
