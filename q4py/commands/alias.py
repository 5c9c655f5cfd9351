"""`alias` and `unalias`: names of one's own for command lines, as crash(8) has them.

An alias replaces the first word of a line: with `alias kp "load proc_t from proc max 20"`,
`kp` runs that line and `kp until p_pid == 5` runs it with the words after it appended. The
built-in ones (BUILTIN_ALIASES) give a crash user the names his hands type. A command's own name
always wins: an alias is looked up only for a word that is no command. In a session that uses
the config file (the prompt, `q4 -c`), `alias` and `unalias` write it back.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

from q4py.commands import command
from q4py.errors import CommandError
from q4py.shell.session import BUILTIN_ALIASES

if TYPE_CHECKING:
    from q4py.shell.session import Session

_NAME = re.compile(r"[A-Za-z_][\w.-]*\Z")


@command(
    "alias",
    usage='alias [NAME ["COMMAND LINE"]]',
    summary="list the aliases, or give a command line a name of its own",
    help='`alias` lists every alias (built-in ones marked); `alias NAME` shows one;\n'
    '`alias NAME "COMMAND LINE"` defines one: the line runs in place of NAME, followed by any\n'
    'words typed after it. A name that is a command cannot be an alias. Built in: '
    + ", ".join(f"{k} ({v})" for k, v in sorted(BUILTIN_ALIASES.items())) + ".\n"
    "Example:\n"
    '  alias kp "load proc_t from proc max 100"\n'
    "  kp until p_pid == 0",
)
def alias_command(session: Session, args: list[str]) -> None:
    out = session.out
    if not args:
        width = max((len(n) for n in session.aliases), default=0)
        for name, line in sorted(session.aliases.items()):
            mark = "  (built in)" if BUILTIN_ALIASES.get(name) == line else ""
            print(f"{name:<{width}}  {line}{mark}", file=out)
        return
    name = args[0]
    if len(args) == 1:
        found = session.aliases.get(name)
        if found is None:
            raise CommandError(f"alias: no alias {name!r} (type 'alias' for the list)")
        print(f"{name}  {found}", file=out)
        return
    if not _NAME.match(name):
        raise CommandError(f"alias: {name!r} is not a name (letters, digits, _ . -)")
    if session.commands.lookup(name) is not None:
        raise CommandError(f"alias: {name!r} is a command; choose another name")
    line = " ".join(args[1:])
    first = line.split()[0]
    if first == name:
        raise CommandError(f"alias: {name!r} cannot stand for itself")
    session.aliases[name] = line
    session.save_config("aliases", name, line)
    print(f"{name}  {line}", file=out)


@command(
    "unalias",
    usage="unalias NAME",
    summary="forget an alias",
    help="Removes an alias defined with `alias` (from the config file too, where the session\n"
    "uses one). A built-in alias comes back in the next session.",
)
def unalias_command(session: Session, args: list[str]) -> None:
    if len(args) != 1:
        raise CommandError("usage: unalias NAME")
    name = args[0]
    if name not in session.aliases:
        raise CommandError(f"unalias: no alias {name!r} (type 'alias' for the list)")
    del session.aliases[name]
    session.save_config("aliases", name, None)
