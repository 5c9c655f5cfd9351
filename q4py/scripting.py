"""The script API: what a `run` script gets to read the dump and print.

A script is a Python file `NAME.py` defining `run(q4: Q4Script, args: list[str]) -> None`.
`run NAME ARGS...` loads it and calls it with a `Q4Script` for the current session. Scripts
read the dump through `q4.prog` (a `q4py.program.Program`) and the helpers below, print with
`q4.print` / `q4.out`, and stop with `q4.error(...)`. See docs/scripting.md.
"""

from __future__ import annotations

from typing import Any, NoReturn, TextIO

from q4py.errors import CommandError
from q4py.kernel.maps import ResourceMap, resource_map
from q4py.program import Program
from q4py.vmunix import Symbol


class Q4Script:
    """The object a script's `run(q4, args)` receives."""

    def __init__(self, prog: Program, out: TextIO, name: str = "script") -> None:
        self.prog = prog
        self.name = name
        self._out = out

    def out(self, text: str) -> None:
        """Write `text` as it is (no newline added)."""
        self._out.write(text)

    def print(self, *args: Any, sep: str = " ", end: str = "\n") -> None:
        """Like the built-in print, to the session's output."""
        print(*args, sep=sep, end=end, file=self._out)

    def error(self, message: str) -> NoReturn:
        """Stop the script; q4 prints `q4: NAME: MESSAGE` as one line."""
        raise CommandError(f"{self.name}: {message}")

    # -- reading the dump ---------------------------------------------------------------------
    def symbol(self, name: str) -> Symbol:
        """A kernel symbol (name, address, size, kind); a Q4Error if vmunix has no such name."""
        return self.prog.symbol(name)

    def read_global(self, name: str) -> Any:
        """A kernel global decoded with its C type (pointers are ints, structs Containers)."""
        return self.prog.read_global(name)

    def resource_map(self, symbol_name: str) -> ResourceMap:
        """The resource map a kernel global `struct map *` points at (`sysmap`, ...):
        `q4py.kernel.maps.ResourceMap` with `name`, `mapsize`, `entries` (index, addr, size),
        `total_free`, `largest_free`, `depleted`."""
        return resource_map(self.prog, symbol_name)
