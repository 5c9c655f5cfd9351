"""`x "EXPR"`: p4's calculator, the value of an expression in hex.

    p4> x "0xe0000006384ef200+32"
    0xe0000006384ef220

EXPR is q4py's expression language (q4py/expr.py): numbers in hex, decimal and octal, 64-bit
numbers split at a backtick, `space.offset`, kernel symbols (a bare symbol is its value, `&sym`
its address) and C's operators. The quotes are p4's habit and optional; they keep a `>` in the
expression from being read as output redirection in any position.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from q4py import expr
from q4py.addr import format_space_offset
from q4py.commands import command
from q4py.errors import CommandError, Q4Error

if TYPE_CHECKING:
    from q4py.shell.session import Session

USAGE = 'x "EXPR"'


def evaluate_words(session: Session, args: list[str], verb: str) -> expr.Value:
    """The value of the expression spelt by `args`; a one-line CommandError otherwise."""
    if not args:
        raise CommandError(f"usage: {USAGE}" if verb == "x" else f"{verb}: which value?")
    try:
        return expr.evaluate_text(" ".join(args), expr.ProgramEnv(session.program))
    except Q4Error as err:
        raise CommandError(f"{verb}: {err}") from None


@command(
    "x",
    usage=USAGE,
    summary="evaluate an expression and print it in hex (p4's calculator)",
    help="Prints the value of EXPR in hex (`0x...`); an address with a space as SPACE.OFFSET.\n"
    "EXPR: numbers (0x1f, 31, 037, 0x0`4076da18), kernel symbols (a bare symbol is its value,\n"
    "&sym its address), space.offset, and C's operators with C precedence; arithmetic is\n"
    "64-bit unsigned. Quotes are optional (p4 used them).\n"
    "Examples:\n"
    '  x "0xe0000006384ef200+32"\n'
    "  x proc + 3 * 700\n"
    "  x nproc * 700",
)
def x_command(session: Session, args: list[str]) -> None:
    value = evaluate_words(session, args, "x")
    if value.space is not None:
        print(format_space_offset(value.space, value.value), file=session.out)
    else:
        print(f"{value.value:#x}", file=session.out)
