"""`Let [-b|-x|-d|-o] VALUE`: p4's radix converter (`Let -b 0xa` prints `1010`).

p4's `Let -b` printed a value in binary with no prefix; q4py adds `-x` (hex, `0xa`), `-d`
(decimal) and `-o` (octal, C's `012`), and without a flag prints all four on one line.
VALUE is an expression (q4py/expr.py), 64-bit unsigned.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from q4py.commands import command
from q4py.commands.x import evaluate_words
from q4py.errors import CommandError

if TYPE_CHECKING:
    from q4py.shell.session import Session

USAGE = "Let [-b|-x|-d|-o] VALUE"


def in_radix(value: int, flag: str) -> str:
    """`value` as `Let -FLAG` prints it."""
    if flag == "b":
        return f"{value:b}"
    if flag == "x":
        return f"{value:#x}"
    if flag == "o":
        return "0" if value == 0 else f"0{value:o}"
    return str(value)


@command(
    "Let",
    usage=USAGE,
    aliases=("let",),
    summary="print a value in binary, hex, decimal or octal",
    help="  -b   binary, no prefix (p4: `Let -b 0xa` prints 1010)\n"
    "  -x   hex, 0x...\n"
    "  -d   decimal\n"
    "  -o   octal, C style (012)\n"
    "Without a flag: `dec 10  hex 0xa  oct 012  bin 1010`. VALUE is an expression (numbers,\n"
    "kernel symbols, C operators), 64-bit unsigned.\n"
    "Examples:\n"
    "  Let -b 0xa\n"
    "  Let -x 1024\n"
    "  Let nproc",
)
def let_command(session: Session, args: list[str]) -> None:
    flag = None
    if args and args[0].startswith("-") and len(args[0]) == 2 and not args[0][1].isdigit():
        flag = args[0][1]
        if flag not in "bxdo":
            raise CommandError(f"Let: unknown flag '{args[0]}': use -b, -x, -d or -o")
        args = args[1:]
    value = evaluate_words(session, args, "Let").value
    if flag is not None:
        print(in_radix(value, flag), file=session.out)
        return
    print(f"dec {in_radix(value, 'd')}  hex {in_radix(value, 'x')}  oct {in_radix(value, 'o')}"
          f"  bin {in_radix(value, 'b')}", file=session.out)
