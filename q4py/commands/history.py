"""`history`, `recall N|NAME`, `name it NAME`, `discard`: the pile history (see q4py.piles).

`history` prints one row per pile, oldest first, under q4's header
`HIST NAME       LAYOUT  COUNT TYPE            COMMENTS`: the pile number, its name (`-` when it
has none), how its structures were found (array, list, kept), how many there are, their type,
and the command that made the pile. The last row is the current pile, `it`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from q4py.commands import command
from q4py.errors import CommandError
from q4py.piles import Pile, count_of

if TYPE_CHECKING:
    from q4py.shell.session import Session

HISTORY_HEADER = "HIST NAME       LAYOUT  COUNT TYPE            COMMENTS"


def history_row(pile: Pile) -> str:
    """One row of `history`, in the columns of HISTORY_HEADER (long values overflow)."""
    name = pile.name or "-"
    return (f"{pile.number:>4} {name:<10} {pile.layout_kind:<7} {pile.count:>5} "
            f"{pile.type_name:<15} {pile.command}").rstrip()


def describe(pile: Pile) -> str:
    """`pile 3 (procs): 10 struct procs as an array`."""
    shape = {"array": "an array", "list": "a linked list", "kept": "kept"}[pile.layout_kind]
    return f"{pile.label}: {count_of(pile.count, pile.type_name)}, {shape}"


@command(
    "history",
    usage="history",
    summary="list the piles made so far",
    help="One row per pile, oldest first; the last one is the current pile (`it`).\n"
    "Columns: HIST the pile number (for recall), NAME (name it NAME; - for none), LAYOUT\n"
    "(array, list, or kept by keep/forget), COUNT, TYPE, and COMMENTS: the command that\n"
    "made the pile.\n"
    "Example:\n"
    "  history",
)
def history_command(session: Session, args: list[str]) -> None:
    if args:
        raise CommandError("usage: history")
    piles = session.piles.list()
    if not piles:
        raise CommandError("no piles yet: load something first")
    print(HISTORY_HEADER, file=session.out)
    for pile in piles:
        print(history_row(pile), file=session.out)


@command(
    "recall",
    usage="recall N|NAME",
    summary="make an earlier pile the current one again",
    help="Pushes a copy of pile N (a number from `history`, or a name given with `name it`)\n"
    "on the history, where it becomes the current pile (`it`). Old piles are never changed.\n"
    "Examples:\n"
    "  recall 2\n"
    "  recall procs",
)
def recall_command(session: Session, args: list[str]) -> None:
    if len(args) != 1:
        raise CommandError("usage: recall N|NAME")
    old = session.piles.get(args[0])
    pile = session.piles.recall(old.number, " ".join(["recall", *args]))
    print(f"{describe(pile)} (recalled from {old.label})", file=session.out)


@command(
    "name",
    usage="name it NAME",
    summary="name the current pile",
    help="Gives the current pile a name that `recall` accepts in place of its number. A name\n"
    "is letters, digits and '_', starting with a letter; a name another pile had moves to\n"
    "this one.\n"
    "Example:\n"
    "  name it procs",
)
def name_command(session: Session, args: list[str]) -> None:
    if len(args) != 2 or args[0] != "it":
        raise CommandError("usage: name it NAME")
    pile = session.piles.name_current(args[1])
    print(f"pile {pile.number} is now called {pile.name}", file=session.out)


@command(
    "discard",
    usage="discard",
    summary="drop the current pile; the previous one becomes current",
    help="Removes the current pile (`it`) from the history; the pile made before it becomes\n"
    "the current one. Pile numbers are never reused.\n"
    "Example:\n"
    "  discard",
)
def discard_command(session: Session, args: list[str]) -> None:
    if args:
        raise CommandError("usage: discard")
    dropped = session.piles.discard()
    if session.piles.empty:
        print(f"discarded {dropped.label}; no piles left", file=session.out)
    else:
        print(f"discarded {dropped.label}; it is now {session.piles.current.label}",
              file=session.out)
