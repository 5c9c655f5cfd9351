"""`dis FUNCTION | dis ADDR [N]`: disassembly of kernel text, in HP's syntax.

The format is q4py's (no report shows a listing): examine's `using i` lines, `label:  word
text`, branch targets named by kernel symbols, and the instruction a crash event's trap
interrupted marked `<- crash event N: trap name`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from q4py import expr
from q4py.analyses.disassembly import Listed, function_extent, interrupted, listing
from q4py.commands import command
from q4py.commands.examine import address_label
from q4py.errors import CommandError, Q4Error

if TYPE_CHECKING:
    from q4py.program import Program
    from q4py.shell.session import Session

USAGE = "dis FUNCTION | dis ADDR [N]"
MAX_INSTRUCTIONS = 1 << 20

HELP = f"""\
Disassembles kernel text in HP's assembler syntax (`ldd  0(ret0),arg3`), one instruction a
line: its address (symbolic), the word, the instruction. `dis FUNCTION` lists the whole
function, from its unwind descriptor's extent (its symbol's size when it has none); `dis ADDR
N` lists N instructions from ADDR (an expression, e.g. `panic+0x14` or a SPACE.OFFSET
address), `dis ADDR` one. Branch targets are shown as symbol+offset; the instruction a crash
event's trap interrupted ends with `<- crash event N: <trap>`. A word that is no instruction
prints `.word 0x...`; words that cannot be read (outside the dump, an unmapped page) print one
line up to the next page and the listing goes on. At most {MAX_INSTRUCTIONS} instructions.
Examples:
  dis panic
  dis ATQ_F_dequeue+0x14 4
  examine pgcopy+0x1e0 for 4 using i"""


def _evaluate(prog: Program, text: str, what: str) -> expr.Value:
    try:
        return expr.evaluate_text(text, expr.ProgramEnv(prog))
    except Q4Error as err:
        raise CommandError(f"dis: {what}: {err}") from None


def _is_function(prog: Program, text: str) -> bool:
    return prog.has_symbol(text) and prog.symbol(text).kind == "func"


def dis_lines(prog: Program, args: list[str]) -> list[tuple[str, str]]:
    """(label, text) of each line `dis ARGS` prints."""
    if not args:
        raise CommandError(f"dis: what? (usage: {USAGE})")
    address_text, count_text = " ".join(args), None
    if len(args) > 1:
        address_text, count_text = " ".join(args[:-1]), args[-1]
    origin = _evaluate(prog, address_text, "address")
    space, start = origin.space or 0, origin.value
    if count_text is not None:
        count = _evaluate(prog, count_text, "count").value
        if not 1 <= count <= MAX_INSTRUCTIONS:
            raise CommandError(f"dis: {count_text}: the count must be 1 to {MAX_INSTRUCTIONS}")
    elif _is_function(prog, address_text):
        extent = function_extent(prog, start)
        if extent is None:
            raise CommandError(f"dis: {address_text}: no unwind descriptor or size says "
                               "where it ends; give a count (dis ADDR N)")
        start, last = extent
        count = min((last - start) // 4 + 1, MAX_INSTRUCTIONS)
    else:
        count = 1
    if start % 4:
        raise CommandError(f"dis: {start:#x}: instructions lie on 4-byte boundaries "
                           f"(try {start & ~3:#x})")
    marks = interrupted(prog)
    lines = [_line(prog, space, item) for item in listing(prog, start, count, space, marks)]
    if not lines:  # past the top of the address space: no word to show
        raise CommandError(f"dis: {start:#x}: no instruction there (the address space ends)")
    return lines


def _line(prog: Program, space: int, item: Listed) -> tuple[str, str]:
    label = address_label(prog, space, item.address)
    if item.word is None:
        words = f" ({item.skipped} words)" if item.skipped > 1 else ""
        return label, f"{item.text}{words}"
    text = f"0x{item.word:08x}  {item.text}"
    if item.note:
        text += f"   <- {item.note}"
    return label, text


@command("dis", usage=USAGE, summary="disassemble a kernel function or instructions at an "
         "address", help=HELP)
def dis_command(session: Session, args: list[str]) -> None:
    lines = dis_lines(session.program, args)
    width = max(len(label) for label, _ in lines) + 1
    out = session.out
    for label, text in lines:
        print(f"{label + ':':<{width}}  {text}", file=out)
