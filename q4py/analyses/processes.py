"""User Memory Usage: the processes holding the most physical memory."""

from __future__ import annotations

from dataclasses import dataclass

from q4py.kernel.procs import processes
from q4py.program import Program


@dataclass(frozen=True)
class ProcessMemory:
    pid: int
    command: str
    virtual: int  # pages
    physical: int  # resident pages


def top_processes(prog: Program, count: int = 10) -> list[ProcessMemory]:
    """The `count` largest by resident pages; ties keep process table order (a stable sort)."""
    procs = sorted(processes(prog), key=lambda p: -p.rss)
    return [ProcessMemory(p.pid, p.command, p.vsize, p.rss) for p in procs[:count]]
