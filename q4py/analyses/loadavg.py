"""Load Averages as data: the kernel's load averages (1, 5 and 15 minutes).

`avenrun` every kernel has; `real_run` (running threads only) and `pwrun` (threads in short,
"fast", io waits) only some: a global the kernel lacks is None and its block is left out.
`mp_avenrun` holds one entry per processor; the entries of the processors `nmpinfo` counts are
shown.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from q4py.layouts import KERNEL_GLOBALS
from q4py.program import Program


@dataclass(frozen=True)
class LoadAverages:
    avenrun: tuple[float, ...]
    real_run: tuple[float, ...] | None
    pwrun: tuple[float, ...] | None
    per_processor: list[tuple[float, ...]]  # mp_avenrun by cpu


def per_processor_global(prog: Program, name: str) -> list[Any]:
    """The entries of a per-processor global array (as many as the symbol holds, at most
    one per processor); empty when the kernel has no such global."""
    if not prog.has_symbol(name):
        return []
    ctype = prog.types.ctype(KERNEL_GLOBALS[name].ctype)
    symbol = prog.symbol(name)
    count = min(symbol.size // ctype.size if symbol.size else 1, prog.read_global("nmpinfo"))
    return [prog.read_value(ctype, symbol.address + i * ctype.size) for i in range(count)]


def _triple(prog: Program, name: str) -> tuple[float, ...] | None:
    value = prog.global_or(name, None)
    return tuple(value) if value is not None else None


def load_averages(prog: Program) -> LoadAverages:
    return LoadAverages(
        avenrun=tuple(prog.read_global("avenrun")),
        real_run=_triple(prog, "real_run"),
        pwrun=_triple(prog, "pwrun"),
        per_processor=[tuple(row) for row in per_processor_global(prog, "mp_avenrun")],
    )

