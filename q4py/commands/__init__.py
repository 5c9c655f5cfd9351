"""The command registry: every q4/p4 command is a function registered by name.

A command lives in a module `q4py/commands/<name>.py` (closely related commands share one:
history/recall/name/discard, keep/forget) and registers itself at import with `@command(...)`;
`load_builtin_commands()` imports every module of this package, so adding a command is adding a
file. A command is `fn(session, args) -> None`: it writes to `session.out`
and raises a `Q4Error` (usually `CommandError`) for anything the user got wrong.
"""

from __future__ import annotations

import importlib
import pkgutil
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from q4py.shell.session import Session

CommandFn = Callable[["Session", list[str]], None]


@dataclass(frozen=True)
class Command:
    """One registered command: its function and the text `help` shows."""

    name: str
    fn: CommandFn
    usage: str
    summary: str
    aliases: tuple[str, ...] = ()
    help: str = ""
    json: bool = False  # takes `--json` and prints one JSON document (docs/json.md)


class Registry:
    """Commands by name and alias. The module-level `REGISTRY` is the one q4 uses; tests can
    build their own and hand it to `Session(..., commands=...)`."""

    def __init__(self) -> None:
        self._by_name: dict[str, Command] = {}  # names and aliases alike

    def add(self, cmd: Command) -> Command:
        for name in (cmd.name, *cmd.aliases):
            old = self._by_name.get(name)
            # Re-registering the same function (a module reloaded) is fine; a clash is a bug.
            if old is not None and not _same_function(old.fn, cmd.fn):
                raise ValueError(f"command name {name!r} is already taken by {old.name!r}")
        for name in (cmd.name, *cmd.aliases):
            self._by_name[name] = cmd
        return cmd

    def remove(self, name: str) -> None:
        cmd = self._by_name.get(name)
        if cmd is None:
            return
        for n in (cmd.name, *cmd.aliases):
            self._by_name.pop(n, None)

    def command(
        self,
        name: str,
        *,
        usage: str,
        summary: str,
        aliases: tuple[str, ...] = (),
        help: str = "",
        json: bool = False,
    ) -> Callable[[CommandFn], CommandFn]:
        """Decorator: register `fn` under `name` (and `aliases`); returns `fn` unchanged.
        `json`: the command takes `--json` (q4 --json passes it to every such command)."""

        def register(fn: CommandFn) -> CommandFn:
            self.add(Command(name, fn, usage, summary, tuple(aliases), help, json))
            return fn

        return register

    def lookup(self, name: str) -> Command | None:
        """The command called `name` exactly (name or alias), or None."""
        return self._by_name.get(name)

    def all(self) -> list[Command]:
        """Every command once, sorted by name."""
        unique = {cmd.name: cmd for cmd in self._by_name.values()}
        return [unique[n] for n in sorted(unique)]

    def names(self) -> list[str]:
        """Every name and alias, sorted (what a typo suggestion picks from)."""
        return sorted(self._by_name)


def _same_function(a: CommandFn, b: CommandFn) -> bool:
    return (getattr(a, "__module__", None), getattr(a, "__qualname__", None)) == (
        getattr(b, "__module__", None),
        getattr(b, "__qualname__", None),
    )


REGISTRY = Registry()
_loaded = False


def command(
    name: str,
    *,
    usage: str,
    summary: str,
    aliases: tuple[str, ...] = (),
    help: str = "",
    json: bool = False,
) -> Callable[[CommandFn], CommandFn]:
    """Register a built-in command in `REGISTRY` (use as a decorator in a command module)."""
    return REGISTRY.command(name, usage=usage, summary=summary, aliases=aliases, help=help,
                            json=json)


def lookup(name: str) -> Command | None:
    """The built-in command called `name` (name or alias), or None."""
    return REGISTRY.lookup(name)


def all_commands() -> list[Command]:
    """Every built-in command, sorted by name."""
    return REGISTRY.all()


def load_builtin_commands() -> Registry:
    """Import every module of this package once, so each registers its commands.

    A module that fails to import is a bug in q4py, so the error propagates.
    """
    global _loaded
    if not _loaded:
        for info in pkgutil.iter_modules(__path__):
            if not info.name.startswith("_"):
                importlib.import_module(f"{__name__}.{info.name}")
        _loaded = True
    return REGISTRY
