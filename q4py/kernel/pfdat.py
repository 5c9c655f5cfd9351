"""The page frame data array (`pfdat`): one entry per physical page, counted by use.

kmeminfo classified every physical page from its pfdat entry. q4py's reconstructed entry keeps
the class in `pf_kclass` (an index into PAGE_CLASSES) and a sub-class in `pf_ksub` (the MALLOC
bucket index, or the kalloc() pool); `pf_flags` marks free (P_FREE) and bad (P_BAD) pages.

A kernel that allocated its pfdat in pieces lists them in `pfdat_chunks[npfdat_chunks]` (first
pfn, entry count, address); the pages it took before pfdat existed have no entry there
(`q4py.analyses.kmem` accounts for them). Otherwise pfdat is one array, `pfdat[physmem]`.
"""

from __future__ import annotations

import sys
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np

from q4py.kernel.tables import table_size
from q4py.layouts.base import Layout
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


def key_counter(layout: Layout, names: tuple[str, ...]) -> Callable[[bytes], Counter[Any]]:
    """A function counting whole entries of `layout` in some bytes by the members `names`:
    {(member values...): entries}, as `Counter(layout.projection(names).iter_unpack(data))`.

    When the members lie within 8 bytes of each entry, those bytes are counted as one native
    integer through a strided numpy view counted by `numpy.unique` (no tuple per entry), and
    only the few distinct keys are decoded, with the same projection.
    """
    projection = layout.projection(names)
    fields = [layout.field(name) for name in names]
    low = min(f.offset for f in fields)
    span = max(f.offset + f.size for f in fields) - low
    size = layout.size
    width = next((w for w in (1, 2, 4, 8)
                  if span <= w and size % w == 0 and low + w <= size), None)
    if width is None:
        return lambda data: Counter(projection.iter_unpack(data))
    code, tail = {1: "B", 2: "H", 4: "I", 8: "Q"}[width], size - low - width

    def count(data: bytes) -> Counter[Any]:
        entries = len(data) // size
        if not entries:
            return Counter()
        # The member bytes of every entry as one native integer each, counted by numpy.
        window = np.ndarray((entries,), dtype=np.dtype(code), buffer=data, offset=low,
                            strides=(size,))
        keys, counted = np.unique(window, return_counts=True)
        counts: Counter[Any] = Counter()
        for key, n in zip(keys.tolist(), counted.tolist(), strict=True):
            raw = bytes(low) + key.to_bytes(width, sys.byteorder) + bytes(tail)
            counts[projection.unpack(raw)] += n
        return counts
    return count


def pfdat_segments(prog: Program) -> list[tuple[int, int]]:
    """(address, entries) of each piece of pfdat, in order."""
    if prog.has_symbol("pfdat_chunks") and prog.read_global("pfdat_chunks"):
        chunks = prog.read_records("struct pfdat_chunk", prog.read_global("pfdat_chunks"),
                                   table_size(prog, "npfdat_chunks"))
        return [(address, count) for _, count, address in chunks]
    return [(prog.read_global("pfdat"), table_size(prog, "physmem"))]


def pfdat_entry(prog: Program, pfn: int) -> int | None:
    """The address of page frame `pfn`'s pfdat entry, or None when no piece describes it."""
    size = prog.types.get("struct pfdat").size
    if prog.has_symbol("pfdat_chunks") and prog.read_global("pfdat_chunks"):
        for first, count, address in prog.read_records(
                "struct pfdat_chunk", prog.read_global("pfdat_chunks"),
                table_size(prog, "npfdat_chunks")):
            if first <= pfn < first + count:
                return int(address + (pfn - first) * size)
        return None
    if pfn >= table_size(prog, "physmem"):
        return None
    return int(prog.read_global("pfdat") + pfn * size)


def page_census(prog: Program) -> PageCensus:
    """Scan every pfdat entry (`pfdat[0 .. physmem-1]`, or each piece) and count pages by
    class."""
    layout = prog.types.get("struct pfdat")
    segments = pfdat_segments(prog)
    base = segments[0][0] if segments else 0
    count_keys = key_counter(layout, ("pf_flags", "pf_kclass", "pf_ksub"))
    pfn_unpack = layout.projection(("pf_pfn", "pf_flags")).iter_unpack
    mask = P_FREE | P_BAD
    raw: Counter[tuple[int, int, int]] = Counter()
    bad: list[tuple[int, int]] = []
    for start, entries in segments:
        for first in range(0, entries, _SLICE):
            count = min(_SLICE, entries - first)
            data = prog.read(start + first * layout.size, count * layout.size)
            # The loop over entries stays in C; flags are masked once per distinct key.
            counted = count_keys(data)
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
