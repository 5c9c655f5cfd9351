"""`symbol NAME|PATTERN|ADDR`: kernel symbols both ways.

    q4> symbol panicstr
    panicstr  0x694640  4 bytes  object  char *
    q4> symbol 0x26b044
    0x26b044 = panic+0x14

A NAME prints where the symbol is, its size, whether it is a function or a data object and,
for the globals q4py knows the type of, its C type. A PATTERN with `*`, `?` or `[...]`
(shell-style) lists every matching symbol, by address. Anything else is an expression
(q4py/expr.py) whose value is looked up: `sym+0x10`, or a line saying no symbol holds it.
"""

from __future__ import annotations

import difflib
import fnmatch
from typing import TYPE_CHECKING

from q4py import expr
from q4py.commands import command
from q4py.errors import CommandError, Q4Error
from q4py.layouts import KERNEL_GLOBALS
from q4py.vmunix import Symbol

if TYPE_CHECKING:
    from q4py.shell.session import Session

USAGE = "symbol NAME | symbol PATTERN | symbol ADDR"
_GLOB = frozenset("*?[")


def symbol_row(symbol: Symbol, name_width: int, addr_width: int) -> str:
    """`panicstr  0x694640  4 bytes  object  char *`, columns padded to the widths given."""
    kind = "function" if symbol.kind == "func" else "object"
    decl = KERNEL_GLOBALS.get(symbol.name)
    ctype = f"  {decl.ctype}" if decl is not None else ""
    size = f"{symbol.size} byte{'' if symbol.size == 1 else 's'}"
    address = f"{symbol.address:#x}".rjust(addr_width)
    return f"{symbol.name:<{name_width}}  {address}  {size:>11}  {kind:<8}{ctype}".rstrip()


def print_symbols(session: Session, symbols: list[Symbol]) -> None:
    name_width = max(len(s.name) for s in symbols)
    addr_width = max(len(f"{s.address:#x}") for s in symbols)
    for symbol in symbols:
        print(symbol_row(symbol, name_width, addr_width), file=session.out)


@command(
    "symbol",
    usage=USAGE,
    summary="look up a kernel symbol by name, or the symbol holding an address",
    help="symbol NAME      where NAME is, its size, function or object, and its C type when\n"
    "                 q4py knows it (panicstr  0x694640  4 bytes  object  char *)\n"
    "symbol PATTERN   every symbol matching a shell pattern (*, ?, [...]), by address\n"
    "symbol ADDR      the symbol holding ADDR as sym+offset (0x26b044 = panic+0x14);\n"
    "                 ADDR is an expression (0x26b044, &nproc+2, panicstr)\n"
    "Examples:\n"
    "  symbol panicstr\n"
    "  symbol 'sysmap*'\n"
    "  symbol 0x26b044",
)
def symbol_command(session: Session, args: list[str]) -> None:
    if not args:
        raise CommandError(f"usage: {USAGE}")
    prog = session.program
    text = " ".join(args)
    if len(args) == 1 and prog.has_symbol(text):
        print_symbols(session, [prog.symbol(text)])
        return
    if len(args) == 1 and _GLOB & set(text):
        found = sorted((s for s in prog.symbols() if fnmatch.fnmatchcase(s.name, text)),
                       key=lambda s: (s.address, s.name))
        if not found:
            raise CommandError(f"symbol: no symbol matches '{text}'")
        print_symbols(session, found)
        return
    try:
        value = expr.evaluate_text(text, expr.ProgramEnv(prog))
    except Q4Error as err:
        hint = ""
        if len(args) == 1 and text.isidentifier():
            close = difflib.get_close_matches(text, [s.name for s in prog.symbols()], n=3)
            hint = f" (did you mean {', '.join(close)}?)" if close else ""
        raise CommandError(f"symbol: {err}{hint}") from None
    where = prog.symbolize(value.value) if value.space in (None, 0) else None
    shown = f"{value.value:#x}" if value.space is None else f"{value.space:#x}.{value.value:#x}"
    if where is None:
        print(f"{shown}: no kernel symbol holds this address", file=session.out)
    else:
        print(f"{shown} = {where}", file=session.out)
