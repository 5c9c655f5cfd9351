"""p4's structure dump: one line per member with its address, C declaration and value.

    0x57849500 lock_t {
    0x57849500   uintptr_t sl_lock;                    0x00000000_00000000
    0x57849510   char    *sl_name_ptr;                 0x00000000_00944c70
    0x57849518   uint16_t sl_flag;                     0x0001
    0x57849520 };

Addresses have at least 8 hex digits and no space (`0x06bd5bc0`, `0x7fff0b40`), as public p4
dumps show them. Each member line is the member's address, three blanks, the declaration (the
base type left-justified in 8 columns, then `*` for a pointer or a blank, then `name;`) padded to 38
columns, and the value zero-padded to the member's size (`q4py.addr.format_p4_value`).
Choices where HP's samples are silent (docs/scripting.md lists them too):
- a nested structure opens with `struct X name {`, its members are indented 2 more columns
  (the value column stays put), and it closes with `END   };` at its end address;
- an array gives one line per element, `name[i]` (an array of structures, one block each);
- a `char[N]` member prints its text in double quotes, up to the first NUL;
- a pointer whose base type is 8 characters or longer gets a blank before its `*`;
- a `char *` pointing at a short printable NUL-terminated string is annotated `  ("text")`,
  unless the structure is in a space of its own and the pointer in another quadrant (which
  space that is, p4 could not know: a public p4 `p struct pathname` in a user space shows its
  `pn_buf` bare);
- a bit-field prints as `u_int   sl_indirect:0:1;` (the member address is its storage unit's,
  then its first bit in the unit, 0 the most significant, and its width) with its value in
  plain hex, `0x1a184c`, as a public p4 `Lock_t` shows.
p4's dedicated structure commands (`Lock_t`) print a narrower declaration column
(`decl_width`), an array as one line with its first element (`u_int   sl_pad[3];
0x00000000`, `compact_arrays`), and annotate the members they know hold a string's address
(`string_members`, bit-fields too), as the public `Lock_t` shows.
Values are the member's bytes as an unsigned number, floats included (p4 printed raw words).
"""

from __future__ import annotations

from q4py.addr import format_p4_value
from q4py.errors import ReadError
from q4py.layouts.base import CType, Field, Layout
from q4py.program import Program
from q4py.render.text import c_escape

DECL_WIDTH = 38
TYPE_WIDTH = 8
_STRING_LIMIT = 256  # longest string a char * annotation shows


def struct_lines(prog: Program, layout: Layout, offset: int, space: int = 0,
                 type_name: str | None = None, *, annotate_strings: bool = True,
                 decl_width: int = DECL_WIDTH, compact_arrays: bool = False,
                 string_members: frozenset[str] = frozenset()) -> list[str]:
    """The dump of the `layout` structure at `space.offset`, header and closing line included.

    `type_name` is the name printed in the header (what the user typed; default the layout's
    name). The structure is read once; a ReadError names the unreadable address.
    """
    data = prog.read(offset, layout.size, space)
    printer = _Printer(prog, space, data, offset, annotate_strings)
    printer.decl_width, printer.compact_arrays = decl_width, compact_arrays
    printer.string_members = string_members
    lines = [f"{p4_address(offset)} {type_name or layout.name} {{"]
    printer.members(layout, offset, 0, lines)
    lines.append(f"{p4_address(offset + layout.size)} }};")
    return lines


def p4_address(offset: int) -> str:
    """An address as p4's structure dumps print it: at least 8 hex digits (`0x06bd5bc0`); the
    space of a `space.offset` is left out (`0x7fff0b40 struct pathname {`)."""
    return f"0x{offset:08x}"


def declaration(ctype: CType, name: str, bit_offset: int = 0) -> str:
    """The C declaration column of a scalar member: `uint16_t sl_flag;`, `char    *p;`."""
    if ctype.kind == "pointer":
        base = ctype.spelling.rstrip("* ")
        stars = "*" * (len(ctype.spelling) - len(ctype.spelling.rstrip("*")))
        if len(base) >= TYPE_WIDTH:
            return f"{base} {stars}{name};"
        return f"{base:<{TYPE_WIDTH}}{stars}{name};"
    if ctype.kind == "chars":
        return f"{_type_column('char')}{name}[{ctype.count}];"
    if ctype.kind == "bitfield":
        return f"{_type_column(ctype.base_spelling)}{name}:{bit_offset}:{ctype.count};"
    return f"{_type_column(ctype.spelling)}{name};"


def _type_column(spelling: str) -> str:
    """A scalar's type as p4 set it before the name: padded to 8 columns (`int     `), a
    longer one-word type and a blank (`uint16_t `), a two-word type and two
    (`unsigned int  `), as public p4 structure dumps show."""
    if " " in spelling:
        return f"{spelling}  "
    return f"{spelling:<{TYPE_WIDTH - 1}} "


class _Printer:
    def __init__(self, prog: Program, space: int, data: bytes, base: int,
                 annotate_strings: bool) -> None:
        self.prog = prog
        self.space = space
        self.data = data
        self.base = base
        self.annotate_strings = annotate_strings
        self.decl_width = DECL_WIDTH
        self.compact_arrays = False
        self.string_members: frozenset[str] = frozenset()

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
        indent = f"{p4_address(address)}   " + "  " * depth
        decl = declaration(ctype, member.name, member.bit_offset)
        width = max(self.decl_width - 2 * depth, len(decl) + 1)
        unit = int.from_bytes(self._bytes(address, ctype.size), "big")
        value = member.extract(unit)
        lines.append(f"{indent}{decl:<{width}}{value:#x}{self._named_string(member.name, value)}")

    def _named_string(self, name: str, pointer: int) -> str:
        """`  ("text")` for a member known to hold a string's address (space 0)."""
        if name not in self.string_members or not pointer:
            return ""
        try:
            text = self.prog.read_string(pointer, 0, limit=_STRING_LIMIT)
        except ReadError:
            return ""
        return f'  ("{c_escape(text)}")' if text else ""

    def member(self, ctype: CType, name: str, address: int, depth: int,
               lines: list[str]) -> None:
        indent = f"{p4_address(address)}   " + "  " * depth
        if ctype.kind == "struct" and ctype.layout is not None:
            lines.append(f"{indent}{ctype.spelling} {name} {{")
            self.members(ctype.layout, address, depth + 1, lines)
            lines.append(f"{p4_address(address + ctype.size)}   " + "  " * depth + "};")
            return
        if ctype.kind == "array" and ctype.element is not None and self.compact_arrays:
            decl = declaration(ctype.element, f"{name}[{ctype.count}]")
            width = max(self.decl_width - 2 * depth, len(decl) + 1)
            lines.append(f"{indent}{decl:<{width}}{self.value(ctype.element, address)}")
            return
        if ctype.kind == "array" and ctype.element is not None:
            step = ctype.element.size
            for i in range(ctype.count):
                self.member(ctype.element, f"{name}[{i}]", address + i * step, depth, lines)
            return
        decl = declaration(ctype, name)
        width = max(self.decl_width - 2 * depth, len(decl) + 1)
        value = self.value(ctype, address)
        if ctype.kind != "chars" and name in self.string_members:
            value += self._named_string(name, int.from_bytes(self._bytes(address, ctype.size),
                                                             "big"))
        lines.append(f"{indent}{decl:<{width}}{value}")

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
        space = self._pointer_space(pointer, member_address)
        if space is None:
            return None
        try:
            text = self.prog.read_string(pointer, space, limit=_STRING_LIMIT)
        except ReadError:
            return None
        if text and all(" " <= c <= "~" for c in text):
            return text
        return None

    def _pointer_space(self, pointer: int, member_address: int) -> int | None:
        # PA-RISC picks the space of a short pointer by its quadrant (top two bits): a pointer
        # into the quadrant of the structure itself is taken in the structure's space; one
        # into another quadrant of a user space has no space p4 could know.
        if self.space == 0:
            return 0
        shift = 8 * self.prog.pointer_size - 2
        return self.space if pointer >> shift == member_address >> shift else None
