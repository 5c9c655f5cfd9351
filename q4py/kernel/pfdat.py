"""The page frame data array (`pfdat`): one entry per physical page, counted by use.

kmeminfo classified every physical page from its pfdat entry. q4py's reconstructed entry keeps
the class in `pf_kclass` (an index into PAGE_CLASSES) and a sub-class in `pf_ksub` (the MALLOC
bucket index, or the kalloc() pool); `pf_flags` marks free (P_FREE) and bad (P_BAD) pages.

A kernel that allocated its pfdat in pieces lists them in `pfdat_chunks[npfdat_chunks]` (first
pfn, entry count, address); the pages it took before pfdat existed have no entry there
(`q4py.analyses.kmem` accounts for them). Otherwise pfdat is one array, `pfdat[physmem]`.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass

from q4py.layouts.vm import P_BAD, P_FREE
from q4py.program import Program

# Entries decoded per read: a few hundred KB at a time keeps memory flat on large machines,
# and reuses the same heap memory (a fresh multi-MB buffer costs a page fault per 4 KB).
_SLICE = 8192


@dataclass(frozen=True)
class PageCensus:
    """How many pages carry each (flags & (P_FREE|P_BAD), pf_kclass, pf_ksub) triple."""

    entries: int
    address: int
    entry_size: int
    counts: Counter[tuple[int, int, int]]
    bad: tuple[tuple[int, int], ...]  # (pfn, address of its pfdat entry) of P_BAD pages


def pfdat_segments(prog: Program) -> list[tuple[int, int]]:
    """(address, entries) of each piece of pfdat, in order."""
    if prog.has_symbol("pfdat_chunks") and prog.read_global("pfdat_chunks"):
        chunks = prog.read_records("struct pfdat_chunk", prog.read_global("pfdat_chunks"),
                                   prog.read_global("npfdat_chunks"))
        return [(address, count) for _, count, address in chunks]
    return [(prog.read_global("pfdat"), prog.read_global("physmem"))]


def page_census(prog: Program) -> PageCensus:
    """Scan every pfdat entry (`pfdat[0 .. physmem-1]`, or each piece) and count pages by
    class."""
    layout = prog.types.get("struct pfdat")
    segments = pfdat_segments(prog)
    base = segments[0][0] if segments else 0
    unpack = layout.projection(("pf_flags", "pf_kclass", "pf_ksub")).iter_unpack
    pfn_unpack = layout.projection(("pf_pfn", "pf_flags")).iter_unpack
    mask = P_FREE | P_BAD
    raw: Counter[tuple[int, int, int]] = Counter()
    bad: list[tuple[int, int]] = []
    for start, entries in segments:
        for first in range(0, entries, _SLICE):
            count = min(_SLICE, entries - first)
            data = prog.read(start + first * layout.size, count * layout.size)
            # Counting whole tuples keeps the loop in C; flags are masked once per distinct key.
            counted = Counter(unpack(data))
            raw.update(counted)
            if any(flags & P_BAD for flags, _, _ in counted):
                # Rare: name the bad pages, rescanning only the slices that hold some.
                for i, (pfn, flags) in enumerate(pfn_unpack(data)):
                    if flags & P_BAD:
                        bad.append((pfn, start + (first + i) * layout.size))
    counts: Counter[tuple[int, int, int]] = Counter()
    for (flags, kclass, ksub), n in raw.items():
        counts[flags & mask, kclass, ksub] += n
    return PageCensus(sum(n for _, n in segments), base, layout.size, counts, tuple(bad))
