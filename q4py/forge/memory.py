"""The forge's view of a machine's memory: sparse physical pages, a heap for kernel dynamic
data, and virtual pages in other spaces recorded for the hashed page directory.

Only pages that are written exist; the crash directory holds nothing else.
"""

from __future__ import annotations

from collections.abc import Iterator

from q4py.errors import ScenarioError
from q4py.layouts import Layout
from q4py.layouts.vm import PAGE_SHIFT, PAGE_SIZE, PDE_VALID
from q4py.memory import pdir_hash

_PAGE_MASK = PAGE_SIZE - 1


class ForgeMemory:
    def __init__(self, memory_pages: int, heap_start: int) -> None:
        self.memory_pages = memory_pages
        self.pages: dict[int, bytearray] = {}
        self.heap = heap_start
        self.mappings: dict[tuple[int, int], int] = {}  # (space, vpage) -> pfn

    # -- allocation --------------------------------------------------------------------------
    def alloc(self, size: int, align: int = 8) -> int:
        """Kernel dynamic memory (space 0, equivalently mapped)."""
        self.heap += -self.heap % align
        address = self.heap
        self.heap += max(size, 1)
        if self.heap > self.memory_pages * PAGE_SIZE:
            raise ScenarioError("kernel.heap", "kernel data does not fit in physical memory")
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
                    raise ScenarioError("", f"address {pa:#x} is beyond physical memory")
                page = self.pages[pa >> PAGE_SHIFT] = bytearray(PAGE_SIZE)
            start = pa & _PAGE_MASK
            page[start:start + take] = data[position:position + take]
            position += take

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
    def build_page_directory(self, hpde: Layout, nhtbl: int) -> int:
        """Write htbl and its chains for every mapped page; returns htbl's address."""
        if nhtbl & (nhtbl - 1):
            raise ScenarioError("kernel.htbl_entries", f"{nhtbl} is not a power of two")
        htbl = self.alloc(nhtbl * hpde.size, PAGE_SIZE)
        heads: dict[int, list[tuple[int, int, int]]] = {}
        for (space, vpage), pfn in sorted(self.mappings.items()):
            index = pdir_hash(space, vpage << PAGE_SHIFT, nhtbl)
            heads.setdefault(index, []).append((space, vpage, pfn))
        attr = PDE_VALID | (0x10 << 16)  # valid, kernel read/write
        empty = [(0, 1, index, 0, 0, 0) for index in range(nhtbl)]
        self.write_many(htbl, hpde, empty)
        for index, chain in heads.items():
            addresses = [htbl + index * hpde.size]
            addresses += [self.alloc(hpde.size, hpde.size) for _ in chain[1:]]
            for i, (space, vpage, pfn) in enumerate(chain):
                nxt = addresses[i + 1] if i + 1 < len(addresses) else 0
                self.write(addresses[i], hpde.fast.pack(nxt, space, vpage & 0xFFFFFFFF, pfn,
                                                         attr, 0))
        return htbl

    def sorted_pages(self) -> Iterator[tuple[int, bytes]]:
        for pfn in sorted(self.pages):
            yield pfn, bytes(self.pages[pfn])
