"""`Session`: one open dump, where command output goes, and the line dispatcher.

`execute` never lets a user's mistake escape: a `Q4Error` becomes one line `q4: MESSAGE` on
`session.out`, and so does any other exception (a q4py bug), so a batch run goes on past it.
"""

from __future__ import annotations

import difflib
import shlex
from collections.abc import Callable
from typing import Any, TextIO

from q4py import commands as _commands
from q4py.commands import Registry
from q4py.errors import CommandError, Q4Error
from q4py.piles import PileHistory


def no_progress(done: int, total: int | None, what: str) -> None:
    """The default `Session.progress`: batch output never shows progress (the REPL replaces it
    with a status line on a terminal, see q4py/shell/repl.py)."""


class Session:
    """State shared by the commands of one q4 run.

    `program` is the dump (a `q4py.program.Program`; opaque here). `commands` defaults to the
    built-in registry, loading the command modules on first use. `piles` is the history of
    piles (q4py.piles); its newest pile is the one commands call `it`.
    """

    def __init__(self, program: Any, out: TextIO, *, commands: Registry | None = None) -> None:
        self.program = program
        self.out = out
        self.commands = commands if commands is not None else _commands.load_builtin_commands()
        self.stopped = False
        self.piles = PileHistory()
        # `session.progress(done, total, what)`: long commands report how far they are.
        self.progress: Callable[[int, int | None, str], None] = no_progress

    def stop(self) -> None:
        """Ask the loop driving this session to end (what `exit` / `quit` do)."""
        self.stopped = True

    def execute(self, line: str) -> bool:
        """Run one command line; True when it succeeded (or was empty / a comment)."""
        try:
            self._dispatch(line)
        except Q4Error as exc:
            self._error_line(str(exc))
            return False
        except Exception as exc:  # a q4py bug: report it and let the batch go on
            self._error_line(f"internal error: {type(exc).__name__}: {exc}")
            return False
        return True

    def _dispatch(self, line: str) -> None:
        line = line.strip()
        if not line or line.startswith("#"):
            return
        try:
            words = shlex.split(line, posix=True)
        except ValueError as exc:
            raise CommandError("unbalanced quotes") from exc
        if not words:  # cannot happen for a non-blank line, but keep `words[0]` safe
            return
        name, args = words[0], words[1:]
        cmd = self.commands.lookup(name)
        if cmd is None:
            raise CommandError(self._unknown_message(name))
        cmd.fn(self, args)

    def _unknown_message(self, name: str) -> str:
        close = difflib.get_close_matches(name, self.commands.names(), n=1)
        if close:
            return f"unknown command '{name}' (did you mean '{close[0]}'?)"
        return f"unknown command '{name}' (type 'help' for the list)"

    def _error_line(self, message: str) -> None:
        # One line whatever the message holds, so transcripts stay line-aligned.
        flat = " ".join(message.split("\n")).rstrip()
        print(f"q4: {flat}", file=self.out)
