"""`keep EXPR` and `forget EXPR`: filter the current pile into a new one.

EXPR is evaluated for each structure of the current pile, with its members (and the
pseudo-fields addrof, indexof, spaceof, physaddrof) as names; non-zero is true. It is evaluated
over whole columns at once when it can be (q4py.column_expr), else one structure at a time:
the result, errors included, is the same. `keep` makes a
pile of the structures for which it is true, `forget` of those for which it is false; the new
pile (layout `kept`) becomes `it`, and one line says how many stayed:
`kept 3 of 10 struct procs, discarded 7` / `forgot 7 of 10 struct procs, kept 3`. When nothing
stays, no pile is made and the line ends with `; no pile made`.

A structure for which EXPR reads memory the dump does not hold (`p_vas->va_rss` through a
pointer into a hole) is dropped: neither kept nor discarded (forgotten), and one line after the
count says how many and the first address that could not be read, as `load` names a bad read:
`(dropped 2 struct procs by bad read, the first at 0x0.0x00000000'deadb000)` (q4py's format:
no report shows q4 meeting a hole here). Any other error stops the command.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from q4py import expr
from q4py.column_expr import NotVectorised, evaluate_columns
from q4py.commands import command
from q4py.errors import CommandError
from q4py.piles import Pile, Records, RecordsEnv, count_of

if TYPE_CHECKING:
    from q4py.shell.session import Session

_EXAMPLES = """\
Names in EXPR are members of the pile's structures first (`p_stat`, `b_un.b_addr`), then the
pseudo-fields addrof, indexof, spaceof, physaddrof, then kernel symbols (a bare symbol is its
value, `&sym` its address). Operators are C's, with C precedence; numbers are 64-bit unsigned.
A char array compares with a string (`p_comm == "java"`) and matches a regular expression
(`p_comm =~ "^ora"`, `!~`); `p_comm[0]`, `p_vas->va_rss`, `*ADDR`, casts and `sizeof(TYPE)` are
C's (`help x` has the whole language). On an 11.00 kernel a proc's `p_comm` and `p_cmds` are
read where print reads them, in `pst_ucomms` and `pst_cmds` (the proc's own bytes are empty).
A structure for which EXPR reads memory the dump does not hold (a pointer into a hole) is
dropped, and one line after the count says how many and the first address not read.
A `>` in EXPR compares (`keep p_pid > 5`); to write the output to a file, end the line with
`> ./FILE` (a name with a `/`, see `help help`). Quote EXPR when it holds `#`."""


@dataclass
class _Selection:
    """The structures a filter keeps, and those it dropped because the expression read memory
    the dump does not hold (how many; the first address that could not be read)."""

    chosen: Records
    dropped: int = 0
    first_bad_read: str = ""


def _select(session: Session, verb: str, args: list[str]) -> tuple[Pile, _Selection]:
    if not args:
        raise CommandError(f"usage: {verb} EXPR")
    pile = session.piles.current
    text = session.args_text or " ".join(args)  # as typed: a string keeps its quotes
    try:
        node = expr.parse(text)
    except CommandError as err:
        raise CommandError(f"{verb}: {err}") from None
    # One environment for the whole pile: each member EXPR names is decoded for every
    # structure at once, the first time it is needed; the others never are.
    env = RecordsEnv(session.program, pile.records)
    wanted = verb == "keep"
    try:
        # Over whole columns when it can be; else one structure at a time, the reference.
        true = evaluate_columns(node, env) != 0
        return pile, _Selection(pile.records.take(true if wanted else ~true))
    except NotVectorised:
        pass
    chosen = []
    dropped, first_bad_read = 0, ""
    evaluate = expr.evaluate
    for position in range(pile.count):
        env.position = position
        try:
            holds = bool(evaluate(node, env))
        except expr.UnreadableMemory as err:
            # A hole in the dump behind this structure's pointer: it is neither kept nor
            # discarded, and one line says so for all of them.
            dropped += 1
            first_bad_read = first_bad_read or err.address_text
            continue
        except CommandError as err:
            raise CommandError(f"{verb}: {err}") from None
        if holds == wanted:
            chosen.append(position)
    return pile, _Selection(pile.records.take(chosen), dropped, first_bad_read)


def _finish(session: Session, pile: Pile, selection: _Selection, verb: str,
            args: list[str], message: str) -> None:
    chosen = selection.chosen
    if len(chosen):
        session.piles.make(pile.layout, pile.type_name, "kept", chosen,
                           " ".join([verb, *args]))
    else:
        message += "; no pile made"
    print(message, file=session.out)
    if selection.dropped:
        print(f"(dropped {count_of(selection.dropped, pile.type_name)} by bad read, the first "
              f"at {selection.first_bad_read})", file=session.out)


@command(
    "keep",
    usage="keep EXPR",
    summary="keep the structures of the current pile for which EXPR is true",
    help="Makes a new pile (the current one) of the structures of `it` for which EXPR is\n"
    "non-zero, and prints `kept K of N TYPEs, discarded D`.\n" + _EXAMPLES + "\nExamples:\n"
    "  keep p_stat != 0\n"
    "  keep p_pid > 100 && p_uid == 0\n"
    '  keep p_comm == "java"\n'
    '  keep p_comm =~ "^ora"\n'
    "  keep p_vas->va_rss > 1000\n"
    "  keep av_forw != 0",
)
def keep_command(session: Session, args: list[str]) -> None:
    pile, selection = _select(session, "keep", args)
    kept = len(selection.chosen)
    _finish(session, pile, selection, "keep", args,
            f"kept {kept} of {count_of(pile.count, pile.type_name)}, "
            f"discarded {pile.count - kept - selection.dropped}")


@command(
    "forget",
    usage="forget EXPR",
    summary="drop the structures of the current pile for which EXPR is true",
    help="Makes a new pile (the current one) of the structures of `it` for which EXPR is\n"
    "zero, and prints `forgot F of N TYPEs, kept K`.\n" + _EXAMPLES + "\nExamples:\n"
    "  forget p_stat == 0\n"
    "  forget indexof < 2",
)
def forget_command(session: Session, args: list[str]) -> None:
    pile, selection = _select(session, "forget", args)
    kept = len(selection.chosen)
    _finish(session, pile, selection, "forget", args,
            f"forgot {pile.count - kept - selection.dropped} of "
            f"{count_of(pile.count, pile.type_name)}, kept {kept}")
