"""`examine ADDR [for N] using FMT` (alias `ex`): memory in an adb-like format.

q4's form is documented by HP ("examine <address> [for <count>] using <format>", `examine &nproc
using D`); its output layout is not, so q4py prints adb's: each line starts with the address of
its first unit, symbolic when a kernel symbol holds it (`bucket+0x10:`), else `0x...` (or
`space.0x...`), and the units follow, a fixed number per line. The format letters are adb's
(and Solaris mdb's for the 8-byte ones):

    X x b J K   hex: 4, 2, 1, 8 bytes, and K pointer-size (4 or 8); zero-padded as p4 prints
                values (`0x0000002a`, 8 bytes `0x00000000_1a98f7c0`)
    D d e       signed decimal: 4, 2, 8 bytes
    U u E       unsigned decimal: 4, 2, 8 bytes
    O o         octal (C's %#o): 4, 2 bytes
    c           bytes as characters, `od -c` style (`\\0`, `\\n`, `\\377`)
    a           pointer-size words shown symbolically (`panic+0x14`), hex when no symbol
                holds the value; adb's `a` printed the address itself, which every q4py line
                already does
    s           NUL-terminated strings, one a line (`for N`: N strings one after the other)
    i           instructions: the word and its PA-RISC disassembly, one a line (as `dis`:
                branch targets named, a trap's interrupted instruction marked)

ADDR is an expression (q4py/expr.py): `&nproc` is nproc's address, a bare symbol its value
(`examine panicstr using s` follows the char * to the panic string), `SPACE.OFFSET` an
address in a space. Without `using` the format is X; without `for` one unit is shown.
"""

from __future__ import annotations

import struct
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from q4py import expr
from q4py.addr import format_p4_value, format_space_offset
from q4py.analyses.disassembly import interrupted, symbolic_text
from q4py.commands import command
from q4py.errors import CommandError, Q4Error, ReadError
from q4py.render.text import c_escape

if TYPE_CHECKING:
    from q4py.program import Program
    from q4py.shell.session import Session

USAGE = "examine ADDR [for N] using FMT"
MAX_UNITS = 65536  # one command never prints more; `for` asks for fewer
STRING_LIMIT = 4096  # longest string `using s` reads before giving up on a NUL


@dataclass(frozen=True)
class Format:
    """One format letter: the size of a unit (0: pointer size; None: variable), how one unit
    prints, and how many go on a line."""

    letter: str
    size: int | None
    per_line: int
    kind: str  # "hex", "signed", "unsigned", "octal", "char", "symbol", "string", "insn"
    width: int = 0  # right-justified cell width (0: as long as it is)


FORMATS: dict[str, Format] = {f.letter: f for f in (
    Format("X", 4, 4, "hex"), Format("x", 2, 8, "hex"), Format("b", 1, 16, "hex"),
    Format("J", 8, 2, "hex"), Format("K", 0, 4, "hex"),
    Format("D", 4, 4, "signed", 11), Format("d", 2, 8, "signed", 6),
    Format("e", 8, 2, "signed", 20),
    Format("U", 4, 4, "unsigned", 10), Format("u", 2, 8, "unsigned", 5),
    Format("E", 8, 2, "unsigned", 20),
    Format("O", 4, 4, "octal", 12), Format("o", 2, 8, "octal", 7),
    Format("c", 1, 16, "char", 4),
    Format("a", 0, 1, "symbol"), Format("s", None, 1, "string"), Format("i", 4, 1, "insn"),
)}

HELP = f"""\
Prints memory from ADDR on, adb style: each line starts with the address of its first unit
(`sym+0x10:` when a kernel symbol holds it, else the hex address or SPACE.OFFSET), then the units.
  X x b J K   hex, 4 / 2 / 1 / 8 bytes / pointer size (K), zero-padded like p4
  D d e       signed decimal, 4 / 2 / 8 bytes
  U u E       unsigned decimal, 4 / 2 / 8 bytes
  O o         octal, 4 / 2 bytes
  c           characters, `od -c` style
  a           pointer-size words as symbols (`panic+0x14`), hex when no symbol holds them
  s           NUL-terminated strings, one a line
  i           instructions: the word and its disassembly, one a line, branch targets as
              symbols and a crash event's interrupted instruction marked (see dis)
Lines hold 4 words, 8 halfwords, 16 bytes or characters, 2 eight-byte values, or one
symbol, string or instruction. ADDR is an expression: `&sym` is a symbol's address, a bare symbol
its value (a char * global is where its string is), `0x76db400.0x7fff0d48` an address in a
space. Paste q4's own addresses such as 0x0.0x18191a1b'1c1d1e1f back in double quotes
("0x0.0x18191a1b'1c1d1e1f"): an unquoted ' starts a quotation. `for N` (an expression) sets
how many units, strings or instructions (default 1, at most {MAX_UNITS}); without `using` the
format is X. A read that fails ends the output with an error naming the address. The clauses
come in any order.
Examples:
  examine &nproc using D
  examine panicstr using s
  examine &bucket for 8 using X
  ex &utsname for 32 using c
  examine 0x76db400.0x7fff0d48 for 4 using a
  examine pgcopy+0x1e0 for 4 using i"""


def parse_examine(args: list[str]) -> tuple[str, str | None, str]:
    """(address text, `for` text or None, format letter) from the words of an examine line."""
    clauses: dict[str, list[str]] = {}
    address: list[str] = []
    current: list[str] = address
    for word in args:
        if word in ("for", "using"):
            if word in clauses:
                raise CommandError(f"examine: '{word}' is given twice (usage: {USAGE})")
            current = clauses[word] = []
        else:
            current.append(word)
    if not address:
        raise CommandError(f"examine: which address? (usage: {USAGE})")
    if "for" in clauses and not clauses["for"]:
        raise CommandError("examine: 'for' needs a count, e.g. 'for 4'")
    letter = "X"
    if "using" in clauses:
        words = clauses["using"]
        if len(words) != 1:
            raise CommandError(f"examine: 'using' takes one format letter, one of "
                               f"{' '.join(FORMATS)}")
        letter = words[0]
        if letter not in FORMATS:
            raise CommandError(f"examine: unknown format '{letter}': use one of "
                               f"{' '.join(FORMATS)} (help examine)")
    count = " ".join(clauses["for"]) if "for" in clauses else None
    return " ".join(address), count, letter


def _evaluate(prog: Program, text: str, what: str) -> expr.Value:
    try:
        return expr.evaluate_text(text, expr.ProgramEnv(prog))
    except Q4Error as err:  # a malformed expression, or a symbol whose value cannot be read
        raise CommandError(f"examine: {what}: {err}") from None


def address_label(prog: Program, space: int, address: int) -> str:
    """`sym+0x10`, `0x1a0c000`, or `0x76db400.0x7fff0d48`: where a line of output starts."""
    if space:
        return format_space_offset(space, address)
    return prog.symbolize(address) or f"{address:#x}"


def format_unit(prog: Program, fmt: Format, data: bytes) -> str:
    """One unit of `data` (big-endian, `len(data)` bytes) in format `fmt`."""
    size = len(data)
    value = int.from_bytes(data, "big")
    if fmt.kind == "hex":
        return format_p4_value(value, size)
    if fmt.kind == "signed":
        return str(int.from_bytes(data, "big", signed=True)).rjust(fmt.width)
    if fmt.kind == "unsigned":
        return str(value).rjust(fmt.width)
    if fmt.kind == "octal":
        return ("0" if value == 0 else f"0{value:o}").rjust(fmt.width)
    if fmt.kind == "char":
        return c_escape(data[-1:]).rjust(fmt.width)
    if fmt.kind == "symbol":
        return prog.symbolize(value) or f"{value:#x}"
    raise AssertionError(fmt.kind)


def examine_lines(prog: Program, space: int, address: int, count: int,
                  fmt: Format, emit: Callable[[str, str], None]) -> None:
    """Read and format `count` units from `space.address`, calling `emit(label, text)` for
    each line as soon as it is read (so a failing read keeps the lines before it)."""
    bits = 64 if prog.wide else 32

    def check_end(after: int, more: bool) -> None:
        # The next unit would start past the last address: stop there rather than wrap to 0.
        if more and after >> bits:
            raise ReadError(space, after, f"beyond the {bits}-bit address space", prog.wide)

    if fmt.kind == "string":
        for n in range(count):
            text = prog.read_string(address, space, STRING_LIMIT)
            emit(address_label(prog, space, address), c_escape(text))
            address += len(text) + 1
            check_end(address, n + 1 < count)
        return
    size = fmt.size or prog.pointer_size
    marks = interrupted(prog) if fmt.kind == "insn" and not space else {}
    done = 0
    while done < count:
        units = min(fmt.per_line, count - done)
        data = prog.read(address, units * size, space)
        if fmt.kind == "insn":
            (word,) = struct.unpack(">I", data)
            text = f"{format_p4_value(word, 4)}  {symbolic_text(prog, word, address)}"
            if address in marks:
                text += f"   <- {marks[address]}"
            emit(address_label(prog, space, address), text)
        else:
            cells = [format_unit(prog, fmt, data[i * size:(i + 1) * size]) for i in range(units)]
            emit(address_label(prog, space, address), "  ".join(cells))
        done += units
        address += units * size
        check_end(address, done < count)


@command("examine", usage=USAGE, aliases=("ex",),
         summary="print memory at an address in an adb-like format", help=HELP)
def examine_command(session: Session, args: list[str]) -> None:
    address_text, count_text, letter = parse_examine(args)
    prog = session.program
    origin = _evaluate(prog, address_text, "address")
    count = 1
    if count_text is not None:
        count = _evaluate(prog, count_text, "for").value
        if not 1 <= count <= MAX_UNITS:
            raise CommandError(f"examine: for {count_text}: the count must be 1 to {MAX_UNITS}")
    fmt = FORMATS[letter]
    out = session.out
    # Labels are padded to a common width, so the lines are printed one page of output at a
    # time: aligned, yet a read that fails still shows what came before it.
    pending: list[tuple[str, str]] = []

    def flush() -> None:
        width = max(len(label) for label, _ in pending) + 1
        for label, text in pending:
            print(f"{label + ':':<{width}}  {text}".rstrip(), file=out)
        pending.clear()

    def emit(label: str, text: str) -> None:
        pending.append((label, text))
        if len(pending) >= 64:
            flush()

    try:
        examine_lines(prog, origin.space or 0, origin.value, count, fmt, emit)
    except ReadError as err:
        if pending:
            flush()
        raise CommandError(f"examine: {err}") from None
    if pending:
        flush()
