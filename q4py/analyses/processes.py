"""User Memory Usage: the processes holding the most physical memory."""

from __future__ import annotations

from dataclasses import dataclass

from q4py.kernel.procs import process_table
from q4py.program import Program


@dataclass(frozen=True)
class ProcessMemory:
    pid: int
    command: str
    virtual: int  # pages
    physical: int  # resident pages


def top_processes(prog: Program, count: int = 10) -> list[ProcessMemory]:
    """The `count` largest by resident pages; ties keep process table order (a stable sort).

    The sort runs over the table's columns; only the processes shown become objects."""
    table = process_table(prog)
    return [ProcessMemory(table.pid(i), table.command(i), table.vsizes[i], table.rss[i])
            for i in table.largest(count)]
