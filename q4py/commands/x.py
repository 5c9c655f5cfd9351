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
    text = session.args_text if verb == "x" and session.args_text else " ".join(args)
    try:
        return expr.evaluate_text(text, expr.ProgramEnv(session.program))
    except Q4Error as err:
        raise CommandError(f"{verb}: {err}") from None


@command(
    "x",
    usage=USAGE,
    summary="evaluate an expression and print it in hex (p4's calculator)",
    help="Prints the value of EXPR in hex (`0x...`); an address with a space as SPACE.OFFSET.\n"
    "EXPR: numbers (0x1f, 31, 037, 0x0`4076da18), kernel symbols (a bare symbol is its value,\n"
    "&sym its address), space.offset, and C's operators with C precedence; arithmetic is\n"
    "64-bit unsigned. Quotes are optional (p4 used them). Every address form q4py prints\n"
    "reads back: 0x0.0x18191a1b'1c1d1e1f, 0.0x804920, 0x00000000_1a98f7c0.\n"
    "Typed values, C's way: *ADDR (a pointer-sized word, or what a typed pointer points at),\n"
    "casts ((struct proc *)ADDR)->p_pid, proc->p_pid, proc[2].p_stat, utsname.nodename[0],\n"
    "sizeof(struct proc), and strings compared with char arrays (== != =~ !~).\n"
    "Examples:\n"
    '  x "0xe0000006384ef200+32"\n'
    "  x proc + 3 * 700\n"
    "  x nproc * sizeof(struct proc)\n"
    "  x ((struct proc *)proc)[1].p_pid\n"
    "  x *&freemem",
)
def x_command(session: Session, args: list[str]) -> None:
    value = evaluate_words(session, args, "x")
    if value.space is not None:
        print(format_space_offset(value.space, value.value), file=session.out)
    else:
        print(f"{value.value:#x}", file=session.out)
