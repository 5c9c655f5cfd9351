"""numpy structured dtypes derived from the layouts: whole columns of big-endian records.

`record_dtype(layout)` is a structured dtype of `layout.size` bytes whose fields are the
layout's members at their offsets, each with the big-endian numpy type of its C type: so
`numpy.frombuffer(data, record_dtype(layout))["pf_flags"]` is the `pf_flags` column of every
record in `data`, decoded in C. It is derived from the same definition as the construct model
(offsets, sizes and C types of `Layout.fields`), so there is still one layout; a property test
checks that both parse and build the same bytes and agree on the size.

Members map as follows: integers and pointers to `>iN`/`>uN`, floats to `>f4`/`>f8`, char
arrays to `N` unsigned bytes (numpy's own `S` type drops trailing NULs, which construct keeps),
arrays to subarrays of their element, nested structures to nested dtypes, and each bit-field to
its whole storage unit (`column` shifts the bit-field out). Padding is left out (the dtype's
`itemsize` covers it).
"""

from __future__ import annotations

from collections.abc import Mapping
from functools import lru_cache
from typing import Any

import numpy as np

from q4py.layouts.base import CType, Layout


def ctype_dtype(ctype: CType) -> np.dtype[Any]:
    """The numpy type holding one value of `ctype` as the dump stores it (big-endian)."""
    kind = ctype.kind
    if kind in ("int", "pointer", "bitfield"):
        signed = ctype.signed and kind == "int"
        return np.dtype(f">{'i' if signed else 'u'}{ctype.size}")
    if kind == "float":
        return np.dtype(f">f{ctype.size}")
    if kind == "chars":
        return np.dtype((np.uint8, (ctype.size,)))
    if kind == "array":
        assert ctype.element is not None
        return np.dtype((ctype_dtype(ctype.element), (ctype.count,)))
    if kind == "struct":
        assert ctype.layout is not None
        return record_dtype(ctype.layout)
    raise ValueError(f"no numpy type for {ctype.spelling} ({kind})")


@lru_cache(maxsize=512)
def record_dtype(layout: Layout) -> np.dtype[Any]:
    """The structured dtype of one `layout` record: a field per member, at its offset."""
    names, formats, offsets = [], [], []
    for member in layout.fields:
        names.append(member.name)
        formats.append(ctype_dtype(member.ctype))
        offsets.append(member.offset)
    # Bit-fields share their storage unit: their fields overlap, which numpy allows.
    return np.dtype({"names": names, "formats": formats, "offsets": offsets,
                     "itemsize": layout.size})


def records_view(layout: Layout, data: Any) -> np.ndarray:
    """The records in `data` (a buffer of whole records) as a structured array (no copy)."""
    return np.frombuffer(data, dtype=record_dtype(layout))


def raw_column(layout: Layout, records: np.ndarray, path: str) -> np.ndarray:
    """Member `path` of every record as the dump stores it (big-endian, a strided view)."""
    column = records
    for part in path.split("."):
        column = column[part]
    return column


def numeric_column(layout: Layout, records: np.ndarray, path: str) -> np.ndarray:
    """Integer member `path` (a pointer, an integer or a bit-field) of every record as native
    values: int64 for signed members, unsigned ones in their own width (only byte-swapped),
    bit-fields shifted out into uint64."""
    member = layout.field(path)
    column = raw_column(layout, records, path)
    ctype = member.ctype
    if ctype.kind == "bitfield":
        shift = 8 * ctype.size - member.bit_offset - ctype.count
        return (column.astype(np.uint64) >> np.uint64(shift)) & np.uint64((1 << ctype.count) - 1)
    if ctype.signed:
        return column.astype(np.int64)
    return column.astype(column.dtype.newbyteorder("="))


def to_python(ctype: CType, value: Any) -> Any:
    """A value of `ctype` read out of a structured array, as construct gives it."""
    kind = ctype.kind
    if kind in ("int", "pointer", "bitfield"):
        return int(value)
    if kind == "float":
        return float(value)
    if kind == "chars":
        return bytes(np.asarray(value, dtype=np.uint8))
    if kind == "array":
        assert ctype.element is not None
        return [to_python(ctype.element, v) for v in value]
    assert ctype.layout is not None
    return record_values(ctype.layout, value)


def record_values(layout: Layout, record: Any) -> dict[str, Any]:
    """One record of a structured array as a dict of members (bit-fields shifted out)."""
    values = {}
    for member in layout.fields:
        value = to_python(member.ctype, record[member.name])
        values[member.name] = member.extract(value) if member.ctype.kind == "bitfield" else value
    return values


def build_records(layout: Layout, values: list[Mapping[str, Any]]) -> bytes:
    """The bytes of records holding `values` (members as `Layout.build` takes them; missing
    ones zero), built through the dtype: the reverse of `records_view`."""
    array = np.zeros(len(values), dtype=record_dtype(layout))
    for row, value in zip(array, values, strict=True):
        _fill(layout, row, layout.complete(value))
    return array.tobytes()


def _fill(layout: Layout, row: Any, values: Mapping[str, Any]) -> None:
    units: dict[str, int] = {}
    for member in layout.fields:
        if member.name not in values:  # a union's members not built (complete() keeps one)
            continue
        value = values[member.name]
        ctype = member.ctype
        if ctype.kind == "bitfield":
            # Every bit-field of a unit writes the whole unit: insert them all, then write.
            key = f"{member.offset}"
            units[key] = member.insert(units.get(key, 0), value)
            row[member.name] = units[key]
        elif ctype.kind == "struct":
            assert ctype.layout is not None
            _fill(ctype.layout, row[member.name], value)
        else:
            row[member.name] = _plain(ctype, value)


def _plain(ctype: CType, value: Any) -> Any:
    if ctype.kind == "chars":
        return np.frombuffer(value, dtype=np.uint8)
    if ctype.kind == "array":
        assert ctype.element is not None
        if ctype.element.kind == "struct":
            element = ctype.element.layout
            assert element is not None
            return np.frombuffer(build_records(element, value), dtype=record_dtype(element))
        return [_plain(ctype.element, v) for v in value]
    return value
