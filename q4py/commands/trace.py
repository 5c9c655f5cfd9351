"""`trace event N`: one crash event's EVENT block and stack, as crashinfo prints it."""

from __future__ import annotations

from typing import TYPE_CHECKING

from q4py.analyses.events import event_trace
from q4py.commands import command
from q4py.errors import CommandError
from q4py.render.events import render_event

if TYPE_CHECKING:
    from q4py.shell.session import Session

USAGE = "trace event N"


@command(
    "trace",
    usage=USAGE,
    summary="print a crash event's stack trace",
    help="trace event N   the EVENT block of crash event N (0 is the first) and its stack,\n"
    "                unwound through trap frames, as crashinfo prints it.",
)
def trace_command(session: Session, args: list[str]) -> None:
    if len(args) != 2 or args[0] != "event":
        raise CommandError(f"usage: {USAGE}")
    try:
        number = int(args[1], 0)
    except ValueError:
        raise CommandError(f"trace: '{args[1]}' is not an event number") from None
    prog = session.program
    for line in render_event(event_trace(prog, number), prog.wide):
        print(line, file=session.out)
