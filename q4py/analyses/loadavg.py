"""Load Averages as data: the kernel's load averages (1, 5 and 15 minutes).

`avenrun` every kernel has; `real_run` (running threads only) and `pwrun` (threads in short,
"fast", io waits) only some: a global the kernel lacks is None and its block is left out.
`mp_avenrun` holds one entry per processor; the entries of the processors `nmpinfo` counts are
shown, but for the disabled ones, which run nothing (hpux1111-64-hang-vhand-superpages lists its
seven enabled processors of fifteen).
"""

from __future__ import annotations

from dataclasses import dataclass

from q4py.errors import Q4Error
from q4py.kernel.cpus import per_processor_global
from q4py.kernel.mpinfo import processors
from q4py.program import Program


@dataclass(frozen=True)
class LoadAverages:
    avenrun: tuple[float, ...]
    real_run: tuple[float, ...] | None
    pwrun: tuple[float, ...] | None
    per_processor: list[tuple[float, ...]]  # mp_avenrun by cpu
    disabled: tuple[int, ...] = ()  # processors left out of the mp_avenrun block


def _triple(prog: Program, name: str) -> tuple[float, ...] | None:
    value = prog.global_or(name, None)
    return tuple(value) if value is not None else None


def load_averages(prog: Program) -> LoadAverages:
    return LoadAverages(
        avenrun=tuple(prog.read_global("avenrun")),
        real_run=_triple(prog, "real_run"),
        pwrun=_triple(prog, "pwrun"),
        per_processor=[tuple(row) for row in per_processor_global(prog, "mp_avenrun")],
        disabled=_disabled(prog),
    )


def _disabled(prog: Program) -> tuple[int, ...]:
    try:
        return tuple(cpu.index for cpu in processors(prog) if not cpu.enabled)
    except Q4Error:
        return ()  # no readable mpinfo: every entry shows

