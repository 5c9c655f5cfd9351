"""p4's structure dump: one line per member with its address, C declaration and value.

    0x57849500 lock_t {
    0x57849500   uintptr_t sl_lock;                    0x00000000_00000000
    0x57849510   char    *sl_name_ptr;                 0x00000000_00944c70
    0x57849518   uint16_t sl_flag;                     0x0001
    0x57849520 };

Each member line is the member's address, three blanks, the declaration (the base type
left-justified in 8 columns, then `*` for a pointer or a blank, then `name;`) padded to 38
columns, and the value zero-padded to the member's size (`q4py.addr.format_p4_value`).
Choices where HP's samples are silent (docs/scripting.md lists them too):
- a nested structure opens with `struct X name {`, its members are indented 2 more columns
  (the value column stays put), and it closes with `END   };` at its end address;
- an array gives one line per element, `name[i]` (an array of structures, one block each);
- a `char[N]` member prints its text in double quotes, up to the first NUL;
- a pointer whose base type is 8 characters or longer gets a blank before its `*`;
- a `char *` pointing at a short printable NUL-terminated string is annotated `  ("text")`;
- a bit-field prints as `unsigned int sl_indirect:0:1;` (the member address is its storage
  unit's, then its first bit in the unit, 0 the most significant, and its width) with the
  bit-field's value zero-padded to the unit's size.
Values are the member's bytes as an unsigned number, floats included (p4 printed raw words).
"""

from __future__ import annotations

from q4py.addr import format_p4_value, format_space_offset
from q4py.errors import ReadError
from q4py.layouts.base import CType, Field, Layout
from q4py.program import Program
from q4py.render.text import c_escape

DECL_WIDTH = 38
TYPE_WIDTH = 8
_STRING_LIMIT = 256  # longest string a char * annotation shows


def struct_lines(prog: Program, layout: Layout, offset: int, space: int = 0,
                 type_name: str | None = None, *, annotate_strings: bool = True) -> list[str]:
    """The dump of the `layout` structure at `space.offset`, header and closing line included.

    `type_name` is the name printed in the header (what the user typed; default the layout's
    name). The structure is read once; a ReadError names the unreadable address.
    """
    data = prog.read(offset, layout.size, space)
    head = format_space_offset(space, offset) if space else f"{offset:#x}"
    printer = _Printer(prog, space, data, offset, annotate_strings)
    lines = [f"{head} {type_name or layout.name} {{"]
    printer.members(layout, offset, 0, lines)
    lines.append(f"{offset + layout.size:#x} }};")
    return lines


def declaration(ctype: CType, name: str, bit_offset: int = 0) -> str:
    """The C declaration column of a scalar member: `uint16_t sl_flag;`, `char    *p;`."""
    if ctype.kind == "pointer":
        base = ctype.spelling.rstrip("* ")
        stars = "*" * (len(ctype.spelling) - len(ctype.spelling.rstrip("*")))
        if len(base) >= TYPE_WIDTH:
            return f"{base} {stars}{name};"
        return f"{base:<{TYPE_WIDTH}}{stars}{name};"
    if ctype.kind == "chars":
        return f"{'char':<{TYPE_WIDTH}} {name}[{ctype.count}];"
    if ctype.kind == "bitfield":
        return f"{ctype.base_spelling:<{TYPE_WIDTH}} {name}:{bit_offset}:{ctype.count};"
    return f"{ctype.spelling:<{TYPE_WIDTH}} {name};"


class _Printer:
    def __init__(self, prog: Program, space: int, data: bytes, base: int,
                 annotate_strings: bool) -> None:
        self.prog = prog
        self.space = space
        self.data = data
        self.base = base
        self.annotate_strings = annotate_strings

    def _bytes(self, address: int, size: int) -> bytes:
        start = address - self.base
        return self.data[start:start + size]

    def members(self, layout: Layout, address: int, depth: int, lines: list[str]) -> None:
        for member in layout.fields:
            if member.ctype.kind == "bitfield":
                self.bitfield(member, address + member.offset, depth, lines)
                continue
            self.member(member.ctype, member.name, address + member.offset, depth, lines)

    def bitfield(self, member: Field, address: int, depth: int, lines: list[str]) -> None:
        ctype = member.ctype
        indent = f"{address:#x}   " + "  " * depth
        decl = declaration(ctype, member.name, member.bit_offset)
        width = max(DECL_WIDTH - 2 * depth, len(decl) + 1)
        unit = int.from_bytes(self._bytes(address, ctype.size), "big")
        lines.append(f"{indent}{decl:<{width}}"
                     f"{format_p4_value(member.extract(unit), ctype.size)}")

    def member(self, ctype: CType, name: str, address: int, depth: int,
               lines: list[str]) -> None:
        indent = f"{address:#x}   " + "  " * depth
        if ctype.kind == "struct" and ctype.layout is not None:
            lines.append(f"{indent}{ctype.spelling} {name} {{")
            self.members(ctype.layout, address, depth + 1, lines)
            lines.append(f"{address + ctype.size:#x}   " + "  " * depth + "};")
            return
        if ctype.kind == "array" and ctype.element is not None:
            step = ctype.element.size
            for i in range(ctype.count):
                self.member(ctype.element, f"{name}[{i}]", address + i * step, depth, lines)
            return
        decl = declaration(ctype, name)
        width = max(DECL_WIDTH - 2 * depth, len(decl) + 1)
        lines.append(f"{indent}{decl:<{width}}{self.value(ctype, address)}")

    def value(self, ctype: CType, address: int) -> str:
        raw = self._bytes(address, ctype.size)
        if ctype.kind == "chars":
            return c_escape(raw, literal=True)
        number = int.from_bytes(raw, "big")
        text = format_p4_value(number, ctype.size)
        if ctype.kind == "pointer" and ctype.spelling.replace(" ", "") == "char*":
            string = self._string_at(number, address)
            if string is not None:
                text += f'  ("{string}")'
        return text

    def _string_at(self, pointer: int, member_address: int) -> str | None:
        if not self.annotate_strings or pointer == 0:
            return None
        try:
            text = self.prog.read_string(pointer, self._pointer_space(pointer, member_address),
                                         limit=_STRING_LIMIT)
        except ReadError:
            return None
        if text and all(" " <= c <= "~" for c in text):
            return text
        return None

    def _pointer_space(self, pointer: int, member_address: int) -> int:
        # PA-RISC picks the space of a short pointer by its quadrant (top two bits): a pointer
        # into the quadrant of the structure itself is taken in the structure's space.
        if self.space == 0:
            return 0
        shift = 8 * self.prog.pointer_size - 2
        return self.space if pointer >> shift == member_address >> shift else 0
