"""The layout framework: C structures as construct models that remember their C field types.

A `Layout` is defined once from a list of `(name, C type)` pairs and gives both directions:
`parse` (decoder) and `build` (forge), plus what p4 needs to print a structure (each field's
offset, size and C type). C types are resolved for one ABI at a time: the narrow (32-bit) and
wide (64-bit) HP-UX kernels differ in the size of pointers and longs.

For bulk work (thousands of pfdat or proc entries) a flat layout also yields a `struct.Struct`
derived from the same definition, so there is never a second hand-written layout.

Bit-fields are spelled `unsigned int:N` (any unsigned integer type, then `:N`): consecutive
bit-field members share one storage unit of the base type while their widths fit, allocated
from the most significant bit down as HP's big-endian compilers do. A layout with bit-fields
has no `fast` struct (its members are not whole bytes); parse and build decode and encode them
with shifts.
"""

from __future__ import annotations

import re
import struct
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import construct as cs

from q4py.errors import Q4Error


@dataclass(frozen=True)
class Abi:
    """What a kernel's width changes in C types."""

    name: str
    pointer_size: int

    @property
    def wide(self) -> bool:
        return self.pointer_size == 8


NARROW = Abi("narrow", 4)
WIDE = Abi("wide", 8)

# Scalar C types: (size or None for pointer-sized, signed, struct code for the fast path).
_SCALARS: dict[str, tuple[int | None, bool]] = {
    "char": (1, False),
    "signed char": (1, True),
    "unsigned char": (1, False),
    "uint8_t": (1, False),
    "int8_t": (1, True),
    "short": (2, True),
    "unsigned short": (2, False),
    "u_short": (2, False),
    "uint16_t": (2, False),
    "int16_t": (2, True),
    "int": (4, True),
    "unsigned int": (4, False),
    "u_int": (4, False),
    "uint32_t": (4, False),
    "int32_t": (4, True),
    "pid_t": (4, True),
    "uid_t": (4, False),
    "dev_t": (4, True),
    "pgcnt_t": (4, True),
    "ssflags_t": (4, True),
    "space_t": (4, False),
    "int64_t": (8, True),
    "uint64_t": (8, False),
    "long long": (8, True),
    "unsigned long long": (8, False),
    "long": (None, True),
    "unsigned long": (None, False),
    "ulong_t": (None, False),
    "u_long": (None, False),
    "size_t": (None, False),
    "uintptr_t": (None, False),
    "caddr_t": (None, False),
    "time_t": (None, True),
}
_FLOATS = {"float": 4, "double": 8}
_INT_CODES = {(1, False): "B", (1, True): "b", (2, False): "H", (2, True): "h",
              (4, False): "I", (4, True): "i", (8, False): "Q", (8, True): "q"}

_ARRAY = re.compile(r"^(?P<base>.*?)\s*\[(?P<count>\d+)\]$", re.ASCII)
_BITFIELD = re.compile(r"^(?P<base>[^:]*?)\s*:\s*(?P<width>\d+)$", re.ASCII)


@dataclass(frozen=True)
class CType:
    """A C type resolved for one ABI: its spelling, size and construct model."""

    spelling: str
    size: int
    subcon: cs.Construct
    kind: str  # "int", "float", "pointer", "struct", "array", "chars", "bitfield"
    signed: bool = False
    layout: Layout | None = None  # for struct and array-of-struct
    element: CType | None = None  # for arrays
    count: int = 0  # elements of an array; the width in bits of a bit-field
    align: int = 1

    @property
    def base_spelling(self) -> str:
        """A bit-field's storage type (`unsigned int` for `unsigned int:3`); else the spelling."""
        return self.spelling.split(":", 1)[0].rstrip() if self.kind == "bitfield" else self.spelling


@dataclass(frozen=True)
class Field:
    """One member of a structure: where it is and what C type it has."""

    name: str
    ctype: CType
    offset: int  # of a bit-field: the offset of its storage unit
    bit_offset: int = 0  # of a bit-field: its first bit in the unit, 0 the most significant

    @property
    def size(self) -> int:
        return self.ctype.size

    def extract(self, unit: int) -> int:
        """This bit-field's value out of its storage unit's value."""
        shift = 8 * self.ctype.size - self.bit_offset - self.ctype.count
        return (unit >> shift) & ((1 << self.ctype.count) - 1)

    def insert(self, unit: int, value: int) -> int:
        """The storage unit's value with this bit-field set to `value`."""
        shift = 8 * self.ctype.size - self.bit_offset - self.ctype.count
        mask = ((1 << self.ctype.count) - 1) << shift
        return (unit & ~mask) | ((value << shift) & mask)


class LayoutError(Q4Error):
    """A layout definition or a value given for it is wrong."""


class Layout:
    """A C structure: construct model, C field types, offsets and size.

    `reconstruction` marks layouts whose member offsets are q4py's reconstruction rather than a
    public HP-UX header; docs/layouts.md lists them. A `union` holds its members at offset 0:
    parsing gives every member, building writes the one given (the first of several).
    """

    def __init__(
        self,
        name: str,
        fields: Sequence[tuple[str, CType]],
        *,
        reconstruction: bool,
        doc: str = "",
        aliases: Sequence[str] = (),
        size: int | None = None,
        union: bool = False,
    ) -> None:
        self.name = name
        self.aliases = tuple(aliases)
        self.reconstruction = reconstruction
        self.doc = doc
        self.union = union
        if union:
            self._init_union(fields, size)
            return
        # C layout rules: each member at a multiple of its alignment, the whole rounded up.
        offset = 0
        members: list[Field] = []
        subcons: list[cs.Construct] = []
        self._fast_codes: list[str] | None = []
        # Bit-field storage units: hidden member name -> the bit-fields it holds.
        self._units: dict[str, list[Field]] = {}
        unit: tuple[str, int, CType, int] | None = None  # (hidden name, offset, type, bits used)
        for fname, ctype in fields:
            if ctype.kind == "bitfield":
                if (unit is not None and unit[2].size == ctype.size
                        and unit[3] + ctype.count <= 8 * ctype.size):
                    hidden, at, _, used = unit
                else:
                    gap = -offset % ctype.align
                    if gap:
                        subcons.append(cs.Padding(gap))
                        offset += gap
                    hidden, at, used = f"_unit_{offset:x}", offset, 0
                    self._units[hidden] = []
                    subcons.append(hidden / ctype.subcon)
                    self._add_fast(None)
                    offset += ctype.size
                member = Field(fname, ctype, at, used)
                members.append(member)
                self._units[hidden].append(member)
                unit = (hidden, at, ctype, used + ctype.count)
                continue
            unit = None
            gap = -offset % ctype.align
            if gap:
                subcons.append(cs.Padding(gap))
                self._add_fast(f"{gap}x")
                offset += gap
            members.append(Field(fname, ctype, offset))
            subcons.append(fname / ctype.subcon)
            self._add_fast(fast_code(ctype))
            offset += ctype.size
        self.align = max((c.align for _, c in fields), default=1)
        if size is not None:
            # A reconstructed structure whose known members end before its known size.
            if offset > size:
                raise LayoutError(f"{name}: members take {offset:#x} bytes, more than {size:#x}")
            tail = size - offset
        else:
            tail = -offset % self.align
        if tail:
            subcons.append(cs.Padding(tail))
            self._add_fast(f"{tail}x")
            offset += tail
        self.fields: tuple[Field, ...] = tuple(members)
        self.size = offset
        raw: cs.Construct = cs.Struct(*subcons)
        self.struct = _BitFields(raw, self._units) if self._units else raw
        self._by_name = {m.name: m for m in members}
        self._fast = struct.Struct(">" + "".join(self._fast_codes)) if self._fast_codes else None

    def _init_union(self, fields: Sequence[tuple[str, CType]], size: int | None) -> None:
        if not fields or any(c.kind == "bitfield" for _, c in fields):
            raise LayoutError(f"{self.name}: a union needs members, none of them bit-fields")
        self.align = max(c.align for _, c in fields)
        widest = max(c.size for _, c in fields)
        if size is not None and size < widest:
            raise LayoutError(f"{self.name}: members take {widest:#x} bytes, more than {size:#x}")
        self.size = size if size is not None else widest + -widest % self.align
        members = [Field(fname, ctype, 0) for fname, ctype in fields]
        self.fields = tuple(members)
        self._by_name = {m.name: m for m in members}
        self._units = {}
        self._fast_codes = None
        self._fast = None
        self.struct = _Union(self.size, [(f, c.subcon) for f, c in fields])

    def _add_fast(self, code: str | None) -> None:
        if code is None:
            self._fast_codes = None
        elif self._fast_codes is not None:
            self._fast_codes.append(code)

    def __repr__(self) -> str:
        return f"<Layout {self.name} size={self.size:#x}>"

    # -- fields ----------------------------------------------------------------------------
    def field(self, path: str) -> Field:
        """A member by name; `a.b` reaches into nested structures (offset made absolute)."""
        layout: Layout = self
        base = 0
        parts = path.split(".")
        for i, part in enumerate(parts):
            member = layout._by_name.get(part)
            if member is None:
                raise LayoutError(f"{self.name} has no field '{path}'")
            if i == len(parts) - 1:
                return Field(path, member.ctype, base + member.offset, member.bit_offset)
            if member.ctype.layout is None or member.ctype.kind != "struct":
                raise LayoutError(f"{self.name}: '{'.'.join(parts[: i + 1])}' is not a structure")
            base += member.offset
            layout = member.ctype.layout
        raise AssertionError("unreachable")

    def has_field(self, name: str) -> bool:
        return name in self._by_name

    def walk(self, prefix: str = "", base: int = 0) -> Iterator[Field]:
        """Every scalar member, nested structures flattened with dotted names."""
        for member in self.fields:
            name = f"{prefix}{member.name}"
            if member.ctype.kind == "struct" and member.ctype.layout is not None:
                yield from member.ctype.layout.walk(f"{name}.", base + member.offset)
            else:
                yield Field(name, member.ctype, base + member.offset, member.bit_offset)

    # -- both directions -------------------------------------------------------------------
    def parse(self, data: bytes | memoryview) -> cs.Container:
        if len(data) < self.size:
            raise LayoutError(f"{self.name} needs {self.size} bytes, got {len(data)}")
        return self.struct.parse(bytes(data[: self.size]))

    def build(self, values: Mapping[str, Any] | None = None) -> bytes:
        """Bytes of the structure; members not given are zero. Unknown names are an error."""
        return self.struct.build(self.complete(values or {}))

    def complete(self, values: Mapping[str, Any]) -> dict[str, Any]:
        """`values` with every missing member filled with zero, checked against the layout."""
        unknown = set(values) - set(self._by_name)
        if unknown:
            raise LayoutError(f"{self.name} has no field '{sorted(unknown)[0]}'")
        if self.union:
            # The member given is built; of several (as parsing gives them, views of the same
            # bytes) the first in member order; of none, the first zeroed.
            member = next((m for m in self.fields if m.name in values), self.fields[0])
            return {member.name: complete_value(member.ctype, values.get(member.name),
                                                f"{self.name}.{member.name}")}
        return {m.name: complete_value(m.ctype, values.get(m.name), f"{self.name}.{m.name}")
                for m in self.fields}

    # -- the fast path for bulk decoding ---------------------------------------------------
    @property
    def fast(self) -> struct.Struct | None:
        """A `struct.Struct` equal to this layout when every member is a scalar or char array.

        Its tuples hold the members in `self.fields` order (padding skipped); char arrays come
        out as bytes. None for layouts with nested structures or arrays.
        """
        return self._fast

    def projection(self, names: Sequence[str]) -> struct.Struct:
        """A `struct.Struct` over whole entries that decodes only the scalar members `names`.

        Bulk scans that need three members of a large entry (pfdat) decode far less this way.
        Names must be given in the layout's member order.
        """
        members = [self.field(n) for n in names]
        if [m.offset for m in members] != sorted(m.offset for m in members):
            raise LayoutError(f"members {tuple(names)} are not in {self.name}'s order")
        fmt, position = ">", 0
        for member in members:
            code = fast_code(member.ctype)
            if code is None:
                raise LayoutError(f"{self.name}.{member.name} is not a scalar")
            if member.offset > position:
                fmt += f"{member.offset - position}x"
            fmt += code
            position = member.offset + member.size
        if self.size > position:
            fmt += f"{self.size - position}x"
        return struct.Struct(fmt)

    def field_index(self, name: str) -> int:
        """Position of a top-level member in `fast` tuples."""
        for i, member in enumerate(self.fields):
            if member.name == name:
                return i
        raise LayoutError(f"{self.name} has no field '{name}'")


class _Union(cs.Construct):
    """A union of `size` bytes: every member parsed from the same bytes; building writes the
    one member the value holds (complete() leaves one), then zeros to the size."""

    def __init__(self, size: int, members: list[tuple[str, cs.Construct]]) -> None:
        super().__init__()
        self.size = size
        self.members = members

    def _parse(self, stream: Any, context: Any, path: Any) -> cs.Container:
        data = cs.stream_read(stream, self.size, path)
        return cs.Container({name: sub.parse(data) for name, sub in self.members})

    def _build(self, obj: Any, stream: Any, context: Any, path: Any) -> Any:
        name, sub = next((m for m in self.members if m[0] in obj), self.members[0])
        data = sub.build(obj[name]) if name in obj else b""
        cs.stream_write(stream, data.ljust(self.size, b"\0"), self.size, path)
        return obj

    def _sizeof(self, context: Any, path: Any) -> int:
        return self.size


class _BitFields(cs.Adapter):
    """A structure with bit-fields: its storage units decoded to and encoded from the named
    bit-fields they hold (the units themselves do not appear in the value)."""

    def __init__(self, subcon: cs.Construct, units: dict[str, list[Field]]) -> None:
        super().__init__(subcon)
        self.units = units

    def _decode(self, obj: Any, context: Any, path: Any) -> cs.Container:
        result = cs.Container()
        for key, value in obj.items():
            if key in self.units:
                for member in self.units[key]:
                    result[member.name] = member.extract(value)
            elif not key.startswith("_"):
                result[key] = value
        return result

    def _encode(self, obj: Any, context: Any, path: Any) -> dict[str, Any]:
        names = {m.name for members in self.units.values() for m in members}
        result = {k: v for k, v in obj.items() if k not in names}
        for key, members in self.units.items():
            unit = 0
            for member in members:
                unit = member.insert(unit, int(obj.get(member.name, 0) or 0))
            result[key] = unit
        return result


def fast_code(ctype: CType) -> str | None:
    if ctype.kind in ("int", "pointer"):
        return _INT_CODES[(ctype.size, ctype.signed)]
    if ctype.kind == "float":
        return "f" if ctype.size == 4 else "d"
    if ctype.kind == "chars":
        return f"{ctype.size}s"
    return None


def c_string(raw: bytes | bytearray | memoryview) -> str:
    """A char array's text: up to its first NUL, a byte a character (Latin-1, as
    `complete_value` writes a string into one)."""
    return bytes(raw).split(b"\0", 1)[0].decode("latin-1")


def complete_value(ctype: CType, value: Any, where: str = "") -> Any:
    """`value` checked against `ctype` and completed for building (missing members and
    elements zero, char arrays padded). LayoutError says what does not fit; its message starts
    with `where: ` when `where` is given (callers that name the key themselves pass none)."""

    def error(problem: str) -> LayoutError:
        return LayoutError(f"{where}: {problem}" if where else problem)

    if ctype.kind == "struct":
        assert ctype.layout is not None
        if value is None:
            value = {}
        if not isinstance(value, Mapping):
            raise error("expected a table of fields")
        return ctype.layout.complete(value)
    if ctype.kind == "array":
        assert ctype.element is not None
        items = list(value) if value is not None else []
        if len(items) > ctype.count:
            raise error(f"{len(items)} values for {ctype.count} elements")
        items += [None] * (ctype.count - len(items))
        return [complete_value(ctype.element, item, where) for item in items]
    if ctype.kind == "chars":
        raw = value.encode("latin-1") if isinstance(value, str) else bytes(value or b"")
        if len(raw) > ctype.size:
            raise error(f"{len(raw)} bytes do not fit in char[{ctype.size}]")
        return raw.ljust(ctype.size, b"\0")
    if ctype.kind == "float":
        return float(value or 0.0)
    number = int(value or 0)
    if ctype.kind == "bitfield":
        if not 0 <= number < 1 << ctype.count:
            raise error(f"{number:#x} does not fit in {ctype.spelling}")
        return number
    bits = 8 * ctype.size
    low = -(1 << (bits - 1)) if ctype.signed else 0
    high = (1 << (bits - 1)) - 1 if ctype.signed else (1 << bits) - 1
    if ctype.signed and number > high and number < (1 << bits):
        number -= 1 << bits  # accept the unsigned spelling of a negative value
    if not low <= number <= high:
        raise error(f"{number:#x} does not fit in {ctype.spelling}")
    return number


class TypeRegistry:
    """C type names to layouts for one kernel ABI. The single place a type name is resolved."""

    def __init__(self, abi: Abi) -> None:
        self.abi = abi
        self._layouts: dict[str, Layout] = {}

    # -- declaring -------------------------------------------------------------------------
    def ctype(self, spelling: str) -> CType:
        """Resolve a C type spelling: scalars, pointers, `char[N]`, `T[N]`, registered structs."""
        text = " ".join(spelling.split())
        bits = _BITFIELD.match(text)
        if bits:
            base, width = self.ctype(bits["base"]), int(bits["width"])
            if base.kind != "int" or base.signed or not 0 < width <= 8 * base.size:
                raise LayoutError(f"bad bit-field '{spelling}': an unsigned integer type and "
                                  f"1 to {8 * base.size} bits")
            return CType(f"{base.spelling}:{width}", base.size, base.subcon, "bitfield",
                         count=width, align=base.align)
        match = _ARRAY.match(text)
        if match:
            base, count = match["base"], int(match["count"])
            if base in ("char", "unsigned char"):
                return CType(text, count, cs.Bytes(count), "chars", count=count)
            element = self.ctype(base)
            return CType(text, element.size * count, cs.Array(count, element.subcon), "array",
                         layout=element.layout, element=element, count=count,
                         align=element.align)
        if text.endswith("*"):
            size = self.abi.pointer_size
            return CType(text, size, _int_subcon(size, False), "pointer", align=size)
        if text in _FLOATS:
            size = _FLOATS[text]
            return CType(text, size, cs.Float32b if size == 4 else cs.Float64b, "float",
                         signed=True, align=size)
        if text in _SCALARS:
            size, signed = _SCALARS[text]
            size = size or self.abi.pointer_size
            return CType(text, size, _int_subcon(size, signed), "int", signed=signed,
                         align=size)
        layout = self._layouts.get(text)
        if layout is None:
            raise LayoutError(f"unknown C type '{spelling}'")
        return CType(text, layout.size, layout.struct, "struct", layout=layout,
                     align=layout.align)

    def define(
        self,
        name: str,
        members: Sequence[tuple[str, str] | tuple[str, str, int]],
        *,
        reconstruction: bool,
        doc: str = "",
        aliases: Sequence[str] = (),
        size: int | None = None,
        union: bool = False,
    ) -> Layout:
        """Declare a structure (a union: `union=True`) from `(field, C type)` pairs; `size`
        pads it at the end."""
        fields = [(m[0], self.ctype(m[1])) for m in members]
        layout = Layout(name, fields, reconstruction=reconstruction, doc=doc, aliases=aliases,
                        size=size, union=union)
        self.add(layout)
        return layout

    def add(self, layout: Layout) -> None:
        for key in (layout.name, *layout.aliases):
            if key in self._layouts:
                raise LayoutError(f"type '{key}' is defined twice")
            self._layouts[key] = layout

    # -- looking up ------------------------------------------------------------------------
    def get(self, name: str) -> Layout:
        """A layout by C name: `struct save_state`, `save_state`, or a typedef like `rpb_t`."""
        text = " ".join(name.split())
        for key in (text, f"struct {text}", text.removeprefix("struct ")):
            if key in self._layouts:
                return self._layouts[key]
        raise LayoutError(f"unknown type '{name}' (try 'fields' for the list of types)")

    def names(self) -> list[str]:
        return sorted(self._layouts)

    def layouts(self) -> list[Layout]:
        seen: dict[int, Layout] = {}
        for layout in self._layouts.values():
            seen.setdefault(id(layout), layout)
        return list(seen.values())


def _int_subcon(size: int, signed: bool) -> cs.Construct:
    return cs.BytesInteger(size, signed=signed) if size not in (1, 2, 4, 8) else {
        (1, False): cs.Int8ub, (1, True): cs.Int8sb, (2, False): cs.Int16ub,
        (2, True): cs.Int16sb, (4, False): cs.Int32ub, (4, True): cs.Int32sb,
        (8, False): cs.Int64ub, (8, True): cs.Int64sb}[(size, signed)]


@dataclass
class GlobalDecl:
    """A kernel global variable q4py knows the C type of (q4 reads these from debug info)."""

    name: str
    ctype: str
    doc: str = ""
    reconstruction: bool = True
    section: str = "data"
    extra: dict[str, Any] = field(default_factory=dict)
