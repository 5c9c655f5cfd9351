"""`print [-x|-d|-o|-t] [FIELD ...]`: the structures of the current pile, as a table or tall.

The table layout reproduces the one verified q4 output (64-bit session, `print -x`):

       addrof    av_forw    av_back b_dev b_flags
    0x4076da18 0x4076ee00 0x4076eefd     0       0
    0x4076ee00 0x18191a1b1c1d1e1f 0x2021222324252627 0x4c4d4e4f 0x10203

The rule (`table_lines`): each column is right-justified to the width max(len(name), len(value
in the FIRST row)); cells are joined by one blank; later rows use the same widths and simply
overflow when a value is longer (no re-layout). The header uses the same widths except that its
first name is justified to one column less: that is what yields the verified 3 blanks before
`addrof` (a 10-wide column would give 4), and it changes nothing else.

Numbers (`format_numbers`): `-x` is C's `%#x` (0 prints `0`, otherwise `0x...` in lower case;
negative members in two's complement of their size), `-o` C's `%#o`, `-d` decimal (signed members
signed). Without a flag integers print in decimal and pointers and the address pseudo-fields
(`addrof`, `physaddrof`, `spaceof`) in hex. Char arrays print as quoted strings, arrays as
`{a, b, ...}`, floats with `%g`.
"""

from __future__ import annotations

from array import array
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from itertools import islice, repeat
from typing import TYPE_CHECKING, Any, TextIO

from q4py.commands import command
from q4py.errors import CommandError
from q4py.layouts.base import CType
from q4py.piles import PSEUDO_FIELDS, Pile, resolve_field
from q4py.render.text import c_escape
from q4py.settings import Setting, declare

if TYPE_CHECKING:
    from q4py.program import Program
    from q4py.shell.session import Session

USAGE = "print [-x|-d|-o] [-t] [FIELD ...]"
RADIX_FLAGS = {"x": "x", "d": "d", "o": "o"}
_ADDRESS_PSEUDO = ("addrof", "physaddrof", "spaceof")
_BLOCK = 4096  # lines written at once

HELP = """\
Prints the structures of the current pile (`it`), one row per structure in pile order, under
a header of field names. FIELD is a member name (`b_dev`), a nested member (`b_un.b_addr`) or
a pseudo-field: addrof (the structure's address), indexof (its position in the array or list
it was loaded from), spaceof (its space), physaddrof (its physical address, n/a without a
translation). Without FIELDs, every member is printed.
  -x   hexadecimal like C's %#x (zero prints as 0)
  -o   octal like C's %#o
  -d   decimal
       (no radix flag: integers in decimal, pointers and addresses in hex, or
       the radix `set radix x|d|o` chose)
  -t   tall: one `field value` line per member, a blank line between structures; without
       FIELDs each structure is headed by indexof, spaceof, addrof and physaddrof.
Flags combine (`-tx`). Columns are right-justified, as wide as their name or their value in
the first row, whichever is longer; values in later rows that do not fit overflow.
Examples:
  print -x addrof av_forw av_back b_dev b_flags
  print p_pid p_stat
  print -t -x"""


@dataclass(frozen=True)
class Column:
    """What one printed field is: a pseudo-field (ctype None) or a member with its C type."""

    name: str
    ctype: CType | None


def format_value(ctype: CType, value: Any, radix: str | None) -> str:
    """A member's value as `print` shows it."""
    if ctype.kind == "chars":
        return c_escape(value, literal=True)
    if ctype.kind == "float":
        return f"{value:g}"
    if ctype.kind == "array":
        assert ctype.element is not None
        return "{" + ", ".join(format_value(ctype.element, v, radix) for v in value) + "}"
    if ctype.kind == "struct":
        return "{...}"
    return format_numbers([int(value)], radix, size=ctype.size, signed=ctype.signed,
                          hex_default=ctype.kind == "pointer")[0]


def _columns(pile: Pile, names: list[str], tall: bool) -> list[Column]:
    if not names:
        columns = [Column(n, None) for n in PSEUDO_FIELDS] if tall else []
        for member in pile.layout.walk():
            # Arrays of structures have no one-line form: print names their members.
            if member.ctype.kind == "array" and member.ctype.layout is not None:
                continue
            columns.append(Column(member.name, member.ctype))
        return columns
    columns = []
    for name in names:
        if name in PSEUDO_FIELDS:
            columns.append(Column(name, None))
        else:
            try:
                columns.append(Column(name, resolve_field(pile.layout, name)))
            except CommandError as err:
                raise CommandError(f"print: {err}") from None
    return columns


def format_numbers(values: Sequence[int | None], radix: str | None, *, size: int = 8,
                   hex_default: bool = False, signed: bool = True) -> list[str]:
    """Integers in q4's radix, a column at once: `x` %#x, `o` %#o, `d` decimal; None: decimal,
    or hex with `hex_default`. Negative `signed` values print in two's complement of `size`
    bytes with -x and -o; a None value prints as n/a."""
    if radix is None:
        radix = "x" if hex_default else "d"
    if not isinstance(values, (array, range)) and None in values:
        known = iter(format_numbers([v for v in values if v is not None], radix, size=size,
                                    signed=signed))
        return ["n/a" if v is None else next(known) for v in values]
    if radix == "d":
        return list(map(str, values))
    numbers: Sequence[int] = values  # type: ignore[assignment]
    if signed and values and min(numbers) < 0:
        numbers = list(map(((1 << (8 * size)) - 1).__and__, numbers))  # two's complement
    if radix == "x":
        cells = list(map(hex, numbers))
        # C's %#x prints zero as a bare 0
        return ["0" if cell == "0x0" else cell for cell in cells] if "0x0" in cells else cells
    return ["0" if v == 0 else f"0{v:o}" for v in numbers]


def format_values(ctype: CType, values: Sequence[Any], radix: str | None) -> list[str]:
    """`format_value` of each value of a member, a column at once."""
    if ctype.kind in ("int", "pointer"):
        if not isinstance(values, array):  # decoded values of a script's structures
            values = list(map(int, values))
        return format_numbers(values, radix, size=ctype.size, signed=ctype.signed,
                              hex_default=ctype.kind == "pointer")
    return [format_value(ctype, value, radix) for value in values]


def _cells(program: Program, pile: Pile, column: Column, radix: str | None) -> list[str]:
    """The cells of one column, for every structure of the pile."""
    records = pile.records
    if column.ctype is None:
        # addresses, indexes and spaces are never negative
        return format_numbers(records.pseudo_column(program, column.name), radix,
                              hex_default=column.name in _ADDRESS_PSEUDO, signed=False)
    return format_values(column.ctype, records.column(column.name), radix)


def table_lines(headers: Sequence[str], columns: Sequence[list[str]]) -> Iterator[str]:
    """q4's table of cells given column by column (each column justified at once): widths
    from the header and the first row; see the module docstring."""
    widths = [max(len(h), len(cells[0])) if cells else len(h)
              for h, cells in zip(headers, columns, strict=True)]
    head = [h.rjust(w) for h, w in zip(headers, widths, strict=True)]
    if head:
        head[0] = headers[0].rjust(widths[0] - 1)
    yield " ".join(head)
    justified = [list(map(str.rjust, cells, repeat(w)))
                 for cells, w in zip(columns, widths, strict=True)]
    yield from map(" ".join, zip(*justified, strict=True))


def _write_lines(out: TextIO, lines: Iterable[str]) -> None:
    """Each line and a newline, written in blocks (one write per line costs more than the
    formatting for a large pile)."""
    lines = iter(lines)
    while block := list(islice(lines, _BLOCK)):
        block.append("")
        out.write("\n".join(block))


def parse_flags(args: list[str]) -> tuple[str | None, bool, list[str]]:
    """(radix, tall, field names) from the words of a print line."""
    radix: str | None = None
    tall = False
    names: list[str] = []
    for word in args:
        if word.startswith("-") and len(word) > 1 and not names:
            for letter in word[1:]:
                if letter == "t":
                    tall = True
                elif letter in RADIX_FLAGS:
                    if radix is not None and radix != letter:
                        raise CommandError("print: choose one radix: -x, -d or -o")
                    radix = RADIX_FLAGS[letter]
                else:
                    raise CommandError(f"print: unknown flag '-{letter}' (usage: {USAGE})")
        elif word.startswith("-") and len(word) > 1:
            raise CommandError(f"print: flags come before the fields (usage: {USAGE})")
        else:
            names.append(word)
    return radix, tall, names


declare(Setting(
    "radix", "auto", "print's radix when no -x, -d or -o is given (auto: integers in decimal, "
    "pointers and addresses in hex)", choices=("auto", "x", "d", "o")))


@command("print", usage=USAGE, summary="print the structures of the current pile", help=HELP)
def print_command(session: Session, args: list[str]) -> None:
    radix, tall, names = parse_flags(args)
    if radix is None and session.settings["radix"] != "auto":
        radix = str(session.settings["radix"])
    pile = session.piles.current
    program = session.program
    columns = _columns(pile, names, tall)
    out = session.out
    cells = [_cells(program, pile, c, radix) for c in columns]
    names = [c.name for c in columns]
    if tall:
        def tall_lines() -> Iterator[str]:
            for i in range(pile.count):
                if i:
                    yield ""
                for name, column in zip(names, cells, strict=True):
                    yield f"{name} {column[i]}"
        _write_lines(out, tall_lines())
        return
    _write_lines(out, table_lines(names, cells))
