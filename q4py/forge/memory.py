"""The forge's view of a machine's memory: sparse physical pages, a heap for kernel dynamic
data, and virtual pages in other spaces recorded for the hashed page directory.

Only pages that are written exist; the crash directory holds nothing else. Large arrays
(a 64 GiB machine's pfdat is 768 MB) are *generated regions*: their pages are produced in
batches while the dump is written, so the forge never holds them all in memory.
"""

from __future__ import annotations

import heapq
from collections.abc import Callable, Iterator
from dataclasses import dataclass

from q4py.errors import ScenarioError
from q4py.layouts import Layout
from q4py.layouts.vm import PAGE_SHIFT, PAGE_SIZE, PDE_AR_SHIFT, PDE_VALID
from q4py.memory import pdir_hash

_PAGE_MASK = PAGE_SIZE - 1
_REGION_BATCH = 256  # pages a region generates at a time (1 MiB)

@dataclass(frozen=True)
class PdirEntry:
    """A translation for the hashed page directory; `pde` is where its hpde2_0_t must sit
    (-1: anywhere)."""

    space: int
    vpage: int
    pfn: int
    attr: int
    pde: int = -1


# fill(first, count) -> the bytes of the region's pages first .. first+count-1 (count * PAGE_SIZE)
RegionFill = Callable[[int, int], bytes]


class ForgeMemory:
    def __init__(self, memory_pages: int, heap_start: int) -> None:
        self.memory_pages = memory_pages
        self.pages: dict[int, bytearray] = {}
        self.heap = heap_start
        self.heap_start = heap_start
        self.mappings: dict[tuple[int, int], int] = {}  # (space, vpage) -> pfn
        self.regions: list[tuple[int, int, RegionFill]] = []  # (first pfn, pages, fill)

    # -- allocation --------------------------------------------------------------------------
    def alloc(self, size: int, align: int = 8) -> int:
        """Kernel dynamic memory (space 0, equivalently mapped)."""
        self.heap += -self.heap % align
        address = self.heap
        self.heap += max(size, 1)
        if self.heap > self.memory_pages * PAGE_SIZE:
            raise ScenarioError("kernel.heap", "kernel data does not fit in physical memory")
        return address

    def alloc_region(self, size: int, fill: RegionFill) -> int:
        """Whole pages of kernel dynamic memory whose bytes `fill` generates when written out.

        The region's pages are its own (nothing else is allocated in them); a later write into
        one turns that page into an ordinary page first.
        """
        address = self.alloc(-(-size // PAGE_SIZE) * PAGE_SIZE, PAGE_SIZE)
        self.regions.append((address >> PAGE_SHIFT, -(-size // PAGE_SIZE), fill))
        return address

    # -- writing -----------------------------------------------------------------------------
    def write(self, address: int, data: bytes, space: int = 0) -> None:
        position = 0
        while position < len(data):
            offset = address + position
            take = min(len(data) - position, PAGE_SIZE - (offset & _PAGE_MASK))
            pa = self._physical(space, offset)
            page = self.pages.get(pa >> PAGE_SHIFT)
            if page is None:
                if pa >> PAGE_SHIFT >= self.memory_pages:
                    raise ScenarioError("", f"address {pa:#x} is beyond physical memory "
                                        f"(which ends at {self.memory_pages << PAGE_SHIFT:#x})")
                page = self.pages[pa >> PAGE_SHIFT] = self._region_page(pa >> PAGE_SHIFT)
            start = pa & _PAGE_MASK
            page[start:start + take] = data[position:position + take]
            position += take

    def read(self, address: int, size: int, space: int = 0) -> bytes:
        """Bytes written so far (zeros where nothing was)."""
        out = bytearray()
        while len(out) < size:
            offset = address + len(out)
            take = min(size - len(out), PAGE_SIZE - (offset & _PAGE_MASK))
            pa = self._physical(space, offset)
            page = self.pages.get(pa >> PAGE_SHIFT)
            start = pa & _PAGE_MASK
            out += page[start:start + take] if page is not None else bytes(take)
        return bytes(out)

    def write_many(self, address: int, layout: Layout, records: list[tuple]) -> None:
        """Consecutive flat structures, packed with the layout's struct fast path."""
        fast = layout.fast
        assert fast is not None, layout.name
        self.write(address, b"".join(fast.pack(*r) for r in records))

    def _physical(self, space: int, offset: int) -> int:
        if space == 0:
            return offset
        key = (space, offset >> PAGE_SHIFT)
        pfn = self.mappings.get(key)
        if pfn is None:
            pfn = self.alloc(PAGE_SIZE, PAGE_SIZE) >> PAGE_SHIFT
            self.mappings[key] = pfn
        return (pfn << PAGE_SHIFT) | (offset & _PAGE_MASK)

    # -- the page directory --------------------------------------------------------------------
    def build_page_directory(self, hpde: Layout, nhtbl: int, address: int = -1,
                             empty_space: int = 1,
                             extra: list[PdirEntry] | None = None) -> int:
        """Write htbl and its chains for every mapped page; returns htbl's address.

        An unused head holds (next 0, `empty_space`, its own index). A chain starts in its
        head; an `extra` entry with its own `pde` address is linked from the head (an empty
        head when nothing else hashes there), the rest of a chain is allocated on the heap.
        """
        if nhtbl & (nhtbl - 1):
            raise ScenarioError("kernel.htbl_entries", f"{nhtbl} is not a power of two")
        if address < 0:
            htbl = self.alloc(nhtbl * hpde.size, PAGE_SIZE)
        else:
            htbl = address
            if htbl < self.heap and htbl + nhtbl * hpde.size > self.heap_start:
                raise ScenarioError("kernel.htbl_address", "htbl overlaps kernel dynamic data "
                                    f"({self.heap_start:#x}..{self.heap:#x})")
        attr = PDE_VALID | (0x10 << PDE_AR_SHIFT)  # valid, kernel read/write, 4 KB
        heads: dict[int, list[PdirEntry]] = {}
        for (space, vpage), pfn in sorted(self.mappings.items()):
            heads.setdefault(pdir_hash(space, vpage << PAGE_SHIFT, nhtbl), []).append(
                PdirEntry(space, vpage, pfn, attr))
        for entry in extra or []:
            heads.setdefault(pdir_hash(entry.space, entry.vpage << PAGE_SHIFT, nhtbl),
                             []).append(entry)
        empty = [(0, empty_space, index, 0, 0, 0) for index in range(nhtbl)]
        self.write_many(htbl, hpde, empty)
        for index, chain in heads.items():
            head = htbl + index * hpde.size
            # The head holds an entry placed there or anywhere, else it stays empty and links.
            chain = sorted(chain, key=lambda e: 0 if e.pde == head else 1 if e.pde < 0 else 2)
            records: list[tuple[int, tuple[int, ...]]] = []
            if chain[0].pde not in (-1, head):
                records.append((head, (0, empty_space, index, 0, 0)))
            for entry in chain:
                if entry.pde == head and records:
                    raise ScenarioError("kernel.translations", f"two entries at {head:#x}")
                if not records:
                    at = head
                elif entry.pde >= 0:
                    at = entry.pde
                else:
                    at = self.alloc(hpde.size, hpde.size)
                records.append((at, (0, entry.space, entry.vpage & 0xFFFFFFFF, entry.pfn,
                                     entry.attr)))
            for i, (at, (_, *fields)) in enumerate(records):
                nxt = records[i + 1][0] if i + 1 < len(records) else 0
                self.write(at, hpde.fast.pack(nxt, *fields, 0))
        return htbl

    def _region_page(self, pfn: int) -> bytearray:
        """A fresh page: zeros, or the generated bytes when a region covers it."""
        for first, count, fill in self.regions:
            if first <= pfn < first + count:
                return bytearray(fill(pfn - first, 1))
        return bytearray(PAGE_SIZE)

    def _region_pages(self, first: int, count: int,
                      fill: RegionFill) -> Iterator[tuple[int, bytes]]:
        """A region's pages in pfn order, generated a batch at a time; written pages win."""
        for start in range(0, count, _REGION_BATCH):
            n = min(_REGION_BATCH, count - start)
            data = fill(start, n)
            for i in range(n):
                pfn = first + start + i
                if pfn not in self.pages:
                    yield pfn, data[i * PAGE_SIZE:(i + 1) * PAGE_SIZE]

    def sorted_pages(self) -> Iterator[tuple[int, bytes]]:
        """Every page with data, ascending by pfn, as (pfn, PAGE_SIZE bytes)."""
        written = ((pfn, bytes(self.pages[pfn])) for pfn in sorted(self.pages))
        streams = [written] + [self._region_pages(first, count, fill)
                               for first, count, fill in self.regions]
        yield from heapq.merge(*streams, key=lambda page: page[0])
