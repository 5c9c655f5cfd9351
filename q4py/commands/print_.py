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
The first-row rule is kept as the default although a table whose columns fit every value reads
better: the report shows q4 doing it, and transcripts must match. `set print_columns widest`
(q4py's own setting) sizes each column to its widest value (and its name).

Large piles are printed a block of rows at a time; when every column is integers, a block is
made in numpy (q4py.render.numbers: a matrix of characters per column, joined and written at
once; a row whose cell overflows keeps all of its text, as a line made by `table_lines` does).

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

import numpy as np

from q4py.commands import command
from q4py.errors import CommandError
from q4py.kernel.proclist import parallel_member
from q4py.layouts.base import CType
from q4py.piles import PSEUDO_FIELDS, Pile, column_array, resolve_field
from q4py.plain import to_plain
from q4py.render.jsondoc import json_document, take_json_flag
from q4py.render.numbers import number_cells, overflowing, unsigned_view
from q4py.render.text import c_escape
from q4py.settings import Setting, declare

if TYPE_CHECKING:
    from q4py.program import Program
    from q4py.shell.session import Session

USAGE = "print [-x|-d|-o] [-t] [FIELD ...]"
RADIX_FLAGS = {"x": "x", "d": "d", "o": "o"}
_ADDRESS_PSEUDO = ("addrof", "physaddrof", "spaceof")
_BLOCK = 4096  # lines formatted and written at once (numpy's temporaries stay small)
PRINT_COLUMNS = "print_columns"
declare(Setting(
    PRINT_COLUMNS, "first",
    "print's column widths: `first` as HP's q4 (the header and the first row; later rows "
    "overflow), `widest` q4py's (each column as wide as its widest value)",
    choices=("first", "widest")))

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
the first row, whichever is longer; values in later rows that do not fit overflow (HP's q4
does this: a verified report shows it). `set print_columns widest` makes each column as wide
as its widest value instead (q4py's option; `set print_columns first` goes back).
  --json  one JSON document instead (docs/json.md): the pile's number and type, the fields,
       and a row per structure of field values as numbers (char arrays as text, arrays as
       lists, physaddrof null without a translation); the radix flags do not apply.
On an 11.00 kernel a proc's `p_comm` and `p_cmds` print from the arrays that hold them there
(`pst_ucomms`, `pst_cmds`, an entry per process table slot): the proc's own bytes are empty.
An entry the dump does not hold (a garbled array pointer) prints as `?`, and one line after
the rows says why (`print: p_cmds is ? in N of M rows: cannot read ...`); the rest prints.
Examples:
  print -x addrof av_forw av_back b_dev b_flags
  print p_pid p_stat
  print -t -x
  print --json addrof p_pid p_comm"""


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


@dataclass
class _Printed:
    """One printed column's values for every structure: a numpy integer array with how its
    numbers print (`numbers`), or any sequence that `cells` turns into text."""

    column: Column
    values: Sequence[Any]
    radix: str | None
    problem: str | None = None  # why some values (None) cannot be read: they print as ?

    @property
    def spec(self) -> tuple[str, int, bool] | None:
        """(radix, size, signed) when the values are integers in a numpy array, else None."""
        if not isinstance(self.values, np.ndarray):
            return None
        ctype = self.column.ctype
        if ctype is None:  # addresses, indexes and spaces are never negative
            hex_default, size, signed = self.column.name in _ADDRESS_PSEUDO, 8, False
        else:
            hex_default, size, signed = ctype.kind == "pointer", ctype.size, ctype.signed
        radix = self.radix or ("x" if hex_default else "d")
        return radix, size, signed

    def cells(self, start: int, stop: int) -> list[str]:
        """The text of rows `start` to `stop`, one string each."""
        values = self.values[start:stop]
        if isinstance(values, np.ndarray):
            values = values.tolist()
        ctype = self.column.ctype
        if ctype is None:
            return format_numbers(values, self.radix, signed=False,
                                  hex_default=self.column.name in _ADDRESS_PSEUDO)
        if self.problem:  # 11.00's parallel array: an entry the dump does not hold
            known = iter(format_values(ctype, [v for v in values if v is not None], self.radix))
            return ["?" if v is None else next(known) for v in values]
        return format_values(ctype, values, self.radix)

    def problem_line(self) -> str | None:
        """One line after the rows saying why the `?` cells are so."""
        if not self.problem:
            return None
        lost = sum(v is None for v in self.values)
        return f"print: {self.column.name} is ? in {lost} of {len(self.values)} rows: " \
            f"{self.problem}"


def _printed(program: Program, pile: Pile, column: Column, radix: str | None) -> _Printed:
    """The values of one column for every structure of the pile."""
    records = pile.records
    if column.ctype is None:
        values: Sequence[Any] = records.pseudo_column(program, column.name)
        if column.name != "physaddrof":  # physaddrof may be n/a
            values = column_array(values)
        return _Printed(column, values, radix)
    if column.ctype.kind == "chars":  # one the kernel may keep elsewhere (11.00's p_comm)
        kept = parallel_member(program, pile.layout.name, column.name, records.addresses)
        if kept is not None:
            return _Printed(column, kept.values, radix, kept.problem)
    return _Printed(column, records.column(column.name), radix)


def _widest(printed: _Printed, count: int) -> int:
    """The length of the longest cell of a column."""
    spec = printed.spec
    if spec is None:
        return max((len(cell) for cell in printed.cells(0, count)), default=0)
    radix, size, signed = spec
    values = printed.values
    magnitudes = unsigned_view(values, radix, size=size, signed=signed)  # type: ignore[arg-type]
    longest = int(magnitudes.max()) if count else 0
    width = len(format_numbers([longest], radix, size=8, signed=False)[0])
    if radix == "d" and signed and count and int(values.min()) < 0:  # type: ignore[union-attr]
        width = max(width, len(str(int(values.min()))))  # type: ignore[union-attr]
    return width


def table_lines(headers: Sequence[str], columns: Sequence[list[str]],
                widths: Sequence[int] | None = None) -> Iterator[str]:
    """q4's table of cells given column by column (each column justified at once): widths
    from the header and the first row (or `widths`); see the module docstring."""
    if widths is None:
        widths = [max(len(h), len(cells[0])) if cells else len(h)
                  for h, cells in zip(headers, columns, strict=True)]
    yield header_line(headers, widths)
    yield from body_lines(columns, widths)


def header_line(headers: Sequence[str], widths: Sequence[int]) -> str:
    head = [h.rjust(w) for h, w in zip(headers, widths, strict=True)]
    if head:
        head[0] = headers[0].rjust(widths[0] - 1)
    return " ".join(head)


def body_lines(columns: Sequence[list[str]], widths: Sequence[int]) -> Iterator[str]:
    justified = [list(map(str.rjust, cells, repeat(w)))
                 for cells, w in zip(columns, widths, strict=True)]
    yield from map(" ".join, zip(*justified, strict=True))


def _write_table(out: TextIO, names: list[str], printed: list[_Printed], count: int,
                 widest: bool) -> None:
    """The table, a block of rows at a time: in numpy when every column is numbers, else a
    line at a time (the same text)."""
    if widest:
        widths = [max(len(name), _widest(p, count)) for name, p in zip(names, printed,
                                                                        strict=True)]
    else:
        firsts = [p.cells(0, 1) for p in printed]
        widths = [max(len(name), len(first[0])) if first else len(name)
                  for name, first in zip(names, firsts, strict=True)]
    out.write(header_line(names, widths) + "\n")
    specs = [p.spec for p in printed]
    vectorised = bool(printed) and all(spec is not None for spec in specs)
    for start in range(0, count, _BLOCK):
        stop = min(count, start + _BLOCK)
        if vectorised:
            out.write(_block_text(printed, specs, widths, start, stop))  # type: ignore[arg-type]
            continue
        lines = list(body_lines([p.cells(start, stop) for p in printed], widths))
        lines.append("")
        out.write("\n".join(lines))


def _block_text(printed: list[_Printed], specs: list[tuple[str, int, bool]],
                widths: list[int], start: int, stop: int) -> str:
    """Rows `start` to `stop` of a table of numbers, made in numpy: a character matrix per
    column, joined by blanks; cells that overflow their column shift the rest of their row."""
    rows = stop - start
    gap = np.full((rows, 1), ord(" "), dtype=np.uint8)
    parts, shown = [], []
    for p, (radix, size, signed), width in zip(printed, specs, widths, strict=True):
        cells, lengths = number_cells(p.values[start:stop], radix,  # type: ignore[arg-type]
                                      width, size=size, signed=signed)
        mask = None
        if cells.shape[1] > width:
            widths_shown = np.maximum(lengths, width)
            if widths_shown.min() == widths_shown.max():  # all overflow alike: a narrower slice
                cells = cells[:, cells.shape[1] - int(widths_shown[0]):]
            else:
                mask = overflowing(lengths, width, cells.shape[1])
        parts += [cells, gap]
        shown += [mask, None]
    parts[-1] = np.full((rows, 1), ord("\n"), dtype=np.uint8)
    table = np.concatenate(parts, axis=1)
    if any(mask is not None for mask in shown):
        keep = np.concatenate([np.ones(part.shape, dtype=bool) if mask is None else mask
                               for part, mask in zip(parts, shown, strict=True)], axis=1)
        table = table[keep]  # row by row: each line as long as its cells make it
    return table.tobytes().decode("ascii")


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


@command("print", usage=USAGE, summary="print the structures of the current pile", help=HELP,
         json=True)
def print_command(session: Session, args: list[str]) -> None:
    as_json, args = take_json_flag(args)
    if as_json:
        print_json(session, args)
        return
    radix, tall, names = parse_flags(args)
    if radix is None and session.settings["radix"] != "auto":
        radix = str(session.settings["radix"])
    pile = session.piles.current
    program = session.program
    columns = _columns(pile, names, tall)
    out = session.out
    printed = [_printed(program, pile, c, radix) for c in columns]
    names = [c.name for c in columns]
    count = pile.count
    if tall:
        def tall_lines() -> Iterator[str]:
            for start in range(0, count, _BLOCK):
                cells = [p.cells(start, start + _BLOCK) for p in printed]
                for i in range(min(_BLOCK, count - start)):
                    if start + i:
                        yield ""
                    for name, column in zip(names, cells, strict=True):
                        yield f"{name} {column[i]}"
        _write_lines(out, tall_lines())
    else:
        _write_table(out, names, printed, count, session.settings[PRINT_COLUMNS] == "widest")
    _write_lines(out, filter(None, (p.problem_line() for p in printed)))


def print_json(session: Session, args: list[str]) -> None:
    """`print --json [FIELD ...]`: the pile's rows as one JSON document."""
    _, _, names = parse_flags([word for word in args if word not in ("-x", "-d", "-o")])
    pile = session.piles.current
    columns = _columns(pile, names, tall=not names)
    values = []
    problems = {}
    for column in columns:
        printed = _printed(session.program, pile, column, None)
        values.append(to_plain(printed.values))
        if printed.problem:  # its unreadable values are null
            problems[column.name] = printed.problem
    fields = [c.name for c in columns]
    rows = [dict(zip(fields, row, strict=True)) for row in zip(*values, strict=True)]
    doc = {"pile": pile.number, "type": pile.type_name, "count": pile.count, "fields": fields,
           "rows": rows}
    if problems:
        doc["problems"] = problems
    print(json_document(session.line, doc), file=session.out)
