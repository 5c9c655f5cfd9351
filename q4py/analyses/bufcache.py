"""Buffer Cache Globals: the dynamic buffer cache's limits and current size.

Globals a kernel lacks are None and their lines are left out.
"""

from __future__ import annotations

from dataclasses import dataclass

from q4py.program import Program

TUNABLES = ("fixed_size_cache", "dbc_parolemem", "dbc_stealavg", "dbc_ceiling", "dbc_nbuf",
            "dbc_bufpages", "dbc_vhandcredit", "orignbuf", "origbufpages")


@dataclass(frozen=True)
class BufferCache:
    physmem: int
    bufpages: int
    nbuf: int | None
    dbc_max_pct: int | None
    dbc_min_pct: int | None
    tunables: dict[str, int | None]  # TUNABLES by name

    @property
    def current_pct(self) -> float:
        """Share of physical memory the cache holds now."""
        return self.bufpages * 100 / self.physmem if self.physmem else 0.0


def buffer_cache(prog: Program) -> BufferCache:
    return BufferCache(
        physmem=prog.read_global("physmem"),
        bufpages=prog.read_global("bufpages"),
        nbuf=prog.global_or("nbuf", None),
        dbc_max_pct=prog.global_or("dbc_max_pct", None),
        dbc_min_pct=prog.global_or("dbc_min_pct", None),
        tunables={name: prog.global_or(name, None) for name in TUNABLES},
    )
