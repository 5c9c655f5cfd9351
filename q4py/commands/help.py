"""`help`, `help CMD`, and `exit` / `quit`."""

from __future__ import annotations

import difflib
from typing import TYPE_CHECKING

from q4py.commands import command
from q4py.errors import CommandError
from q4py.shell.pipes import PIPE_HELP
from q4py.shell.session import REDIRECT_HELP

if TYPE_CHECKING:
    from q4py.shell.session import Session


@command(
    "help",
    usage="help [COMMAND]",
    summary="list the commands, or show how to use one",
    help="Without an argument, lists every command with a one-line summary.\n"
    "With a command name (or alias), shows its usage and description.\n\n" + REDIRECT_HELP
    + "\n\n" + PIPE_HELP,
)
def help_command(session: Session, args: list[str]) -> None:
    out = session.out
    if len(args) > 1:
        raise CommandError("usage: help [COMMAND]")
    if not args:
        cmds = session.commands.all()
        width = max((len(c.name) for c in cmds), default=0)
        print("commands:", file=out)
        for c in cmds:
            also = f" (also: {', '.join(c.aliases)})" if c.aliases else ""
            print(f"  {c.name:<{width}}  {c.summary}{also}", file=out)
        aliases = ", ".join(f"{name} ({line})" for name, line in sorted(session.aliases.items()))
        if aliases:
            print(f"aliases: {aliases}", file=out)
        print("type 'help COMMAND' for details; end a command with '> FILE' to write its "
              "output to FILE, '| SHELL-COMMANDS' to pipe it; '!COMMAND' runs a shell command "
              "(help help)", file=out)
        return
    cmd = session.commands.lookup(args[0])
    line = session.aliases.get(args[0])
    if cmd is None and line is not None:  # a user's or built-in alias: its command's help
        print(f"{args[0]} is an alias: {line}", file=out)
        cmd = session.commands.lookup(line.split()[0]) if line.split() else None
        if cmd is None:
            return
    if cmd is None:
        close = difflib.get_close_matches(args[0], session.commands.names(), n=1)
        hint = f" (did you mean '{close[0]}'?)" if close else ""
        raise CommandError(f"help: unknown command '{args[0]}'{hint}")
    print(f"usage: {cmd.usage}", file=out)
    if cmd.aliases:
        print(f"aliases: {', '.join(cmd.aliases)}", file=out)
    print(file=out)
    print(cmd.summary, file=out)
    if cmd.help:
        print(file=out)
        print(cmd.help.rstrip("\n"), file=out)


@command(
    "exit",
    usage="exit",
    summary="leave q4",
    aliases=("quit",),
    help="Stops the session; in a batch, the remaining lines are not run.",
)
def exit_command(session: Session, args: list[str]) -> None:
    if args:
        raise CommandError("usage: exit")
    session.stop()
