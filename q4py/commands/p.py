"""`p TYPE ADDR` / `p struct TAG ADDR`: print a kernel structure as p4 did.

    p4> p struct save_state 0x76db400.0x7fff0d48

p4 echoed the address twice (`ADDR`, then `ADDR :`) before the dump; the header shows the type
name as typed. ADDR is a number (`0x57849500`, decimal `4096`, 64-bit backtick form
`0x0`4076da18`), `space.offset` (`0x76db400.0x7fff0d48`), or a kernel symbol (its address,
`&name` too), optionally plus or minus numbers (`proc+0x10`).
"""

from __future__ import annotations

import difflib
import re
from typing import TYPE_CHECKING

from q4py.addr import format_space_offset
from q4py.commands import command
from q4py.commands.examine import printable
from q4py.errors import CommandError, Q4Error
from q4py.layouts import LayoutError
from q4py.program import Program
from q4py.render.structs import struct_lines

if TYPE_CHECKING:
    from q4py.shell.session import Session

USAGE = "p TYPE ADDR | p struct TAG ADDR | p s ADDR"

_TERM = re.compile(r"([+-])")
_SYMBOL = re.compile(r"^&?[A-Za-z_$][\w$]*$")


def parse_number(text: str) -> int | None:
    """`0x1f`, `31`, and q4's 64-bit `0x0`4076da18` (= hi << 32 | lo, the low half hex of at
    most 32 bits, `'` accepted for the backtick); None when `text` is not a number."""
    text = text.strip()
    hi_text, tick, lo_text = text.replace("'", "`").partition("`")
    if tick:
        hi = parse_number(hi_text)
        lo_text = lo_text[2:] if lo_text.lower().startswith("0x") else lo_text
        lo = _hex(lo_text)
        if hi is None or lo is None or lo > 0xFFFFFFFF or hi > 0xFFFFFFFF:
            return None
        return hi << 32 | lo
    if text.lower().startswith("0x"):
        return _hex(text[2:])
    return int(text, 10) if text.isdigit() else None


def _hex(text: str) -> int | None:
    if not text or any(c not in "0123456789abcdefABCDEF" for c in text):
        return None
    return int(text, 16)


def _offset(prog: Program, text: str, whole: str) -> int:
    """A sum of numbers and at most a leading symbol: `sym+0x10`, `0x100-8`."""
    parts = _TERM.split(text.replace(" ", ""))
    total, sign = 0, 1
    for i, part in enumerate(parts):
        if part in ("+", "-"):
            sign = 1 if part == "+" else -1
            continue
        number = parse_number(part)
        if number is None and i == 0 and _SYMBOL.match(part):
            name = part.lstrip("&")
            if not prog.has_symbol(name):
                raise CommandError(f"p: no symbol '{name}' in vmunix (in address '{whole}')")
            number = prog.symbol(name).address
        if number is None:
            raise CommandError(f"p: '{whole}' is not an address (a number, space.offset or "
                               "a kernel symbol)")
        total += sign * number
    return total


def parse_address(prog: Program, text: str) -> tuple[int, int]:
    """`(space, offset)` of an address typed by the user; CommandError if it is not one."""
    text = text.strip()
    if not text:
        raise CommandError("p: empty address")
    space = 0
    offset_text = text
    head, dot, tail = text.partition(".")
    if dot:
        number = parse_number(head)
        if number is None:
            raise CommandError(f"p: '{text}': the space of space.offset must be a number")
        space, offset_text = number, tail
    offset = _offset(prog, offset_text, text)
    limit = 1 << (8 * prog.pointer_size)
    if not 0 <= offset < limit:
        raise CommandError(f"p: address '{text}' is outside the {8 * prog.pointer_size}-bit "
                           "address space")
    if not 0 <= space < 1 << 32:
        raise CommandError(f"p: space in '{text}' does not fit in 32 bits")
    return space, offset


def _close_types(prog: Program, name: str) -> list[str]:
    names = prog.types.names()
    # Offer names as the user would type them: `proc_t`, `struct proc`, and the bare tag.
    candidates = sorted(set(names) | {n.removeprefix("struct ") for n in names})
    return difflib.get_close_matches(name.removeprefix("struct "), candidates, n=3, cutoff=0.5)


@command(
    "p",
    usage=USAGE,
    summary="print the structure of type TYPE at ADDR, one line per member",
    help="TYPE is a structure or typedef name as q4py knows it (lock_t, proc_t, "
    "struct save_state, save_state).\nADDR: 0x57849500, 4096, 0x0`4076da18, "
    "space.offset like 0x76db400.0x7fff0d48, or a kernel symbol (&sym, sym+0x10).\n"
    "Nested structures open a block indented by two; arrays print one line per element; "
    "char arrays print as strings; a char * that points at text is annotated.\n"
    "p s ADDR prints the NUL-terminated string at ADDR, as p4 did:\n"
    "  0x05b58000\n"
    "  0x05b58000 : /d/pm/meas/wd2bss/",
)
def p_command(session: Session, args: list[str]) -> None:
    if len(args) == 2 and args[0] == "s":
        p_string(session, args[1])
        return
    if len(args) < 2 or (args[0] == "struct" and len(args) < 3):
        raise CommandError(f"usage: {USAGE}")
    prog = session.program
    type_name = " ".join(args[:-1])
    try:
        layout = prog.types.get(type_name)
    except LayoutError:
        close = _close_types(prog, type_name)
        hint = f" (did you mean {', '.join(close)}?)" if close else ""
        raise CommandError(f"p: unknown type '{type_name}'{hint}") from None
    space, offset = parse_address(prog, args[-1])
    lines = struct_lines(prog, layout, offset, space, type_name)
    echo = format_space_offset(space, offset) if space else f"{offset:#x}"
    print(echo, file=session.out)
    print(f"{echo} :", file=session.out)
    for line in lines:
        print(line, file=session.out)


def p_string(session: Session, text: str) -> None:
    """`p s ADDR`: the address p4-style (`0x05b58000`, zero-padded to 8 or 16 digits), then
    `ADDR : STRING`."""
    prog = session.program
    space, offset = parse_address(prog, text)
    digits = 8 if offset <= 0xFFFFFFFF else 16
    echo = f"0x{offset:0{digits}x}"
    if space:
        echo = f"{space:#x}.{echo}"
    try:
        string = prog.read_string(offset, space)
    except Q4Error as err:
        raise CommandError(f"p s: {err}") from None
    print(echo, file=session.out)
    print(f"{echo} : {printable(string)}", file=session.out)
