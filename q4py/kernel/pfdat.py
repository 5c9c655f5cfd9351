"""The page frame data array (`pfdat`): one entry per physical page, counted by use.

kmeminfo classified every physical page from its pfdat entry. q4py's reconstructed entry keeps
the class in `pf_kclass` (an index into PAGE_CLASSES) and a sub-class in `pf_ksub` (the MALLOC
bucket index, or the kalloc() pool); `pf_flags` marks free (P_FREE) and bad (P_BAD) pages.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass

from q4py.layouts.vm import P_BAD, P_FREE
from q4py.program import Program

# Entries decoded per read: a few MB at a time keeps memory flat on large machines.
_SLICE = 65536

@dataclass(frozen=True)
class PageCensus:
    """How many pages carry each (flags & (P_FREE|P_BAD), pf_kclass, pf_ksub) triple."""

    entries: int
    address: int
    entry_size: int
    counts: Counter[tuple[int, int, int]]
    bad: tuple[tuple[int, int], ...]  # (pfn, address of its pfdat entry) of P_BAD pages


def page_census(prog: Program) -> PageCensus:
    """Scan `pfdat[0 .. physmem-1]` and count pages by class."""
    layout = prog.types.get("struct pfdat")
    base = prog.read_global("pfdat")
    entries = prog.read_global("physmem")
    unpack = layout.projection(("pf_flags", "pf_kclass", "pf_ksub")).iter_unpack
    mask = P_FREE | P_BAD
    counts: Counter[tuple[int, int, int]] = Counter()
    for first in range(0, entries, _SLICE):
        count = min(_SLICE, entries - first)
        data = prog.read(base + first * layout.size, count * layout.size)
        counts.update((flags & mask, kclass, ksub) for flags, kclass, ksub in unpack(data))
    bad: list[tuple[int, int]] = []
    if any(key[0] & P_BAD for key in counts):
        # Rare: a second pass only to name the bad pages.
        pfn_unpack = layout.projection(("pf_pfn", "pf_flags")).iter_unpack
        for first in range(0, entries, _SLICE):
            count = min(_SLICE, entries - first)
            data = prog.read(base + first * layout.size, count * layout.size)
            for i, (pfn, flags) in enumerate(pfn_unpack(data)):
                if flags & P_BAD:
                    bad.append((pfn, base + (first + i) * layout.size))
    return PageCensus(entries, base, layout.size, counts, tuple(bad))
