"""The error types q4py raises. Every failure a user can cause ends in one of these.

Each carries a one-line message that says what was wrong and where (a file, an offset, an address,
a scenario key), so the shell can print it and go on.
"""

from __future__ import annotations


class Q4Error(Exception):
    """Base of every error q4py reports to a user."""


class DumpError(Q4Error):
    """The crash directory cannot be read: a missing or garbled INDEX, image or vmunix."""

    def __init__(self, path: str, problem: str, offset: int | None = None) -> None:
        where = path if offset is None else f"{path} at offset {offset:#x}"
        super().__init__(f"{where}: {problem}")
        self.path = path
        self.offset = offset
        self.problem = problem


class ReadError(Q4Error):
    """Memory at an address cannot be read (not in the dump, no translation, outside memory)."""

    def __init__(self, space: int, offset: int, problem: str, wide: bool = False) -> None:
        from q4py.addr import format_q4_address

        self.space = space
        self.offset = offset
        self.problem = problem
        self.address_text = format_q4_address(space, offset, wide=wide)
        super().__init__(f"cannot read {self.address_text}: {problem}")


class CommandError(Q4Error):
    """A command line is malformed or names something that does not exist."""


class ScenarioError(Q4Error):
    """A forge scenario has an unknown key or a bad value; the message names the key's path."""

    def __init__(self, path: str, problem: str) -> None:
        super().__init__(f"{path}: {problem}" if path else problem)
        self.key_path = path
        self.problem = problem
