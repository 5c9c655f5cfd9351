"""Sysmap: the kernel virtual space resource maps, with their statistics (no text).

`p4_sysmap -a` shows "all sysmaps": `sysmap_32bit` and `sysmap_64bit` where the kernel has them
(11.x kernels keep one map per address width), else the single `sysmap` of older kernels.
"""

from __future__ import annotations

from dataclasses import dataclass

from q4py.kernel.maps import MapEntry, ResourceMap, resource_map
from q4py.program import Program

SPLIT_SYSMAPS = ("sysmap_32bit", "sysmap_64bit")
LEGACY_SYSMAP = "sysmap"


@dataclass(frozen=True)
class MapReport:
    """One map as p4_sysmap shows it: the map, its statistics and the fragmentation order."""

    map: ResourceMap
    entries_used: int  # slot of the terminator
    total_free: int  # pages
    largest_free: int  # pages
    average_free: float  # pages per free run
    fragmentation: tuple[MapEntry, ...]  # free runs, largest first (ties in map order)


def sysmap_globals(prog: Program) -> list[str]:
    """The globals `p4_sysmap -a` reads, in order."""
    split = [name for name in SPLIT_SYSMAPS if prog.has_symbol(name)]
    if split:
        return split
    return [LEGACY_SYSMAP] if prog.has_symbol(LEGACY_SYSMAP) else []


def map_report(rmap: ResourceMap) -> MapReport:
    return MapReport(
        map=rmap,
        entries_used=rmap.terminator_index,
        total_free=rmap.total_free,
        largest_free=rmap.largest_free,
        average_free=rmap.average_free,
        # Largest first, ties in map order: a stable sort of the positions by size.
        fragmentation=tuple(map(rmap.entry, sorted(range(len(rmap.sizes)),
                                                   key=rmap.sizes.__getitem__, reverse=True))),
    )


def sysmap_reports(prog: Program, names: list[str] | None = None) -> list[MapReport]:
    """Reports for the named map globals (default: all sysmaps); a map two globals point at
    (`sysmap` is often `sysmap_32bit`) is shown once."""
    seen: set[int] = set()
    reports = []
    for name in sysmap_globals(prog) if names is None else names:
        rmap = resource_map(prog, name)
        if rmap.address in seen:
            continue
        seen.add(rmap.address)
        reports.append(map_report(rmap))
    return reports
