"""A fast parser derived from a layout: one `struct` format over all its members.

`flat_parser(layout)` parses exactly as `layout.parse` (the construct model) does, 5-15x faster:
nested structures and arrays are flattened into one format, and the unpacked values are folded
back into construct's Containers and ListContainers. It is derived from the same definition, so
there is still one layout; a property test checks both agree for every layout.
"""

from __future__ import annotations

import struct
from collections.abc import Callable
from typing import Any

from construct import Container, ListContainer

from q4py.layouts.base import CType, Layout, fast_code

# A builder turns the flat tuple a struct format unpacks into construct's value, from `pos` on:
# it returns the value and the position after it.
_Builder = Callable[[tuple[Any, ...], int], tuple[Any, int]]


def _ctype_plan(ctype: CType) -> tuple[str, _Builder | None]:
    """The struct codes of one member and how to rebuild its value (None: one scalar)."""
    code = fast_code(ctype)
    if code is not None:
        return code, None
    if ctype.kind == "struct" and ctype.layout is not None:
        return _layout_plan(ctype.layout)
    if ctype.kind == "array" and ctype.element is not None:
        code, element = _ctype_plan(ctype.element)
        count = ctype.count
        if element is None:
            def scalars(values: tuple[Any, ...], pos: int) -> tuple[Any, int]:
                return ListContainer(values[pos:pos + count]), pos + count
            return code * count, scalars

        def structs(values: tuple[Any, ...], pos: int) -> tuple[Any, int]:
            items = ListContainer()
            for _ in range(count):
                item, pos = element(values, pos)
                items.append(item)
            return items, pos
        return code * count, structs
    raise ValueError(f"no struct code for {ctype.spelling} ({ctype.kind})")


def _union_plan(layout: Layout) -> tuple[str, _Builder]:
    """A union's bytes taken whole, each member parsed from them by its own plan."""
    members = []
    for member in layout.fields:
        code, step = _ctype_plan(member.ctype)
        unpack = struct.Struct(f">{code}{layout.size - member.ctype.size}x").unpack
        members.append((member.name, unpack, step))

    def union(values: tuple[Any, ...], pos: int) -> tuple[Any, int]:
        raw = values[pos]
        out = Container()
        for name, unpack, step in members:
            unpacked = unpack(raw)
            out[name] = unpacked[0] if step is None else step(unpacked, 0)[0]
        return out, pos + 1
    return f"{layout.size}s", union


def _layout_plan(layout: Layout) -> tuple[str, _Builder]:
    """A struct format for the whole layout, nested members flattened, and its rebuilder."""
    if layout.union:
        return _union_plan(layout)
    codes, steps, position = [], [], 0
    for member in layout.fields:
        if member.offset > position:
            codes.append(f"{member.offset - position}x")
        code, step = _ctype_plan(member.ctype)
        codes.append(code)
        steps.append((member.name, step, code))
        position = member.offset + member.ctype.size
    if layout.size > position:
        codes.append(f"{layout.size - position}x")
    names = tuple(name for name, _, _ in steps)
    if all(step is None for _, step, _ in steps):
        count = len(names)

        def flat(values: tuple[Any, ...], pos: int) -> tuple[Any, int]:
            return Container(zip(names, values[pos:pos + count], strict=True)), pos + count
        return "".join(codes), flat

    # Take the member values as they come, then fold each nested member's run of values into
    # its own value, right to left so that the earlier positions stay put.
    total, folds = 0, []
    for _, step, code in steps:
        consumed = len(struct.unpack(">" + code, bytes(struct.calcsize(">" + code))))
        if step is not None:
            folds.append((total, consumed, step))
        total += consumed
    folds.reverse()

    def nested(values: tuple[Any, ...], pos: int) -> tuple[Any, int]:
        members = list(values[pos:pos + total])
        for at, consumed, step in folds:
            members[at:at + consumed] = [step(values, pos + at)[0]]
        return Container(zip(names, members, strict=True)), pos + total
    return "".join(codes), nested


def flat_parser(layout: Layout) -> Callable[[bytes], Any]:
    """A parser equal to `layout.parse` (the construct model) that runs 5-15x faster.

    It is derived from the same definition: one `struct` format over the layout's members,
    nested structures and arrays flattened, whose values are put back into construct's
    Containers and ListContainers. A layout with a member the derivation does not know (or
    whose format disagrees with the model's size) keeps construct's own parser.
    """
    try:
        fmt, build = _layout_plan(layout)
        unpack = struct.Struct(">" + fmt).unpack
        if struct.calcsize(">" + fmt) != layout.size:
            raise ValueError(f"{layout.name}: derived size disagrees")
    except (ValueError, KeyError, struct.error):
        return layout.parse

    def parse(data: bytes) -> Any:
        return build(unpack(data), 0)[0]
    return parse


