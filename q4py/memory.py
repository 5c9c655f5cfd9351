"""Kernel address spaces: reads at `space.offset` addresses.

Space 0 is equivalently mapped (virtual address = physical address), as HP-UX maps kernel text,
static data and most dynamic data. Any other space (kernel stacks and u-areas in quadrant 1,
user memory) translates page by page through the hashed page directory the kernel keeps: `htbl`,
an array of `nhtbl` `hpde2_0_t` heads, each starting a chain linked by `pde_next`.

The hash is a reconstruction that agrees with the one public sample (pdirhash of VA
0x86400.0x10104937238 is htbl[19246]): vtag = (space | offset >> 32, offset >> 12 & 0xffff),
index = (vtag_hi >> 10 ^ vtag_lo) mod nhtbl.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass
from typing import Protocol

from q4py.errors import ReadError
from q4py.layouts import Layout
from q4py.layouts.vm import PAGE_SHIFT, PAGE_SIZE, PDE_VALID

_PAGE_MASK = PAGE_SIZE - 1
NO_TRANSLATION = "does not have a translation"  # the ReadError problem of an unmapped page


class Physical(Protocol):
    def read(self, pa: int, size: int) -> bytes: ...


def pdir_vtag(space: int, offset: int) -> tuple[int, int]:
    """The virtual tag the hash is computed from (crashinfo prints it as `vtag=HI LO`)."""
    return (space | (offset >> 32)) & 0xFFFFFFFF, (offset >> PAGE_SHIFT) & 0xFFFF


def pdir_hash(space: int, offset: int, nhtbl: int) -> int:
    """Index in htbl of the chain that holds `space.offset` (q4py's reconstruction)."""
    vtag_hi, vtag_lo = pdir_vtag(space, offset)
    return ((vtag_hi >> 10) ^ vtag_lo) % nhtbl


@dataclass(frozen=True)
class Translation:
    """Where a virtual page lives, and the page directory entry that says so."""

    space: int
    vpage: int
    pfn: int
    hpde: int  # address (space 0) of the hpde2_0_t
    attr: int


@dataclass(frozen=True)
class PageDirectory:
    """The kernel's hashed page directory: where htbl is and how many heads it has."""

    htbl: int
    nhtbl: int
    hpde: Layout


class KernelMemory:
    """Reads of kernel virtual memory; the only path from an address to bytes."""

    def __init__(self, physical: Physical, wide: bool) -> None:
        self.physical = physical
        self.wide = wide
        self.pdir: PageDirectory | None = None
        self._translations: dict[tuple[int, int], Translation] = {}
        self._hpde_fast = None

    def set_page_directory(self, pdir: PageDirectory) -> None:
        self.pdir = pdir
        self._hpde_fast = pdir.hpde.fast
        self._translations.clear()

    def read(self, offset: int, size: int, space: int = 0) -> bytes:
        """`size` bytes at `space.offset`; ReadError naming the address if any byte is missing."""
        if size < 0:  # a size computed from a garbled count: say so, never a ValueError
            raise ReadError(space, offset, f"the size {size} is negative", self.wide)
        if offset < 0 or offset + size > (1 << (64 if self.wide else 32)):
            raise ReadError(space, offset, "outside the address space", self.wide)
        if space == 0:
            try:
                return self.physical.read(offset, size)
            except ReadError as err:
                raise ReadError(space, offset, err.problem, self.wide) from None
        chunks = []
        position = offset
        end = offset + size
        while position < end:
            page_end = (position | _PAGE_MASK) + 1
            take = min(end, page_end) - position
            pfn = self.translate(space, position).pfn
            pa = (pfn << PAGE_SHIFT) | (position & _PAGE_MASK)
            try:
                chunks.append(self.physical.read(pa, take))
            except ReadError as err:
                raise ReadError(space, position, f"translates to {pa:#x}, {err.problem}",
                                self.wide) from None
            position += take
        return b"".join(chunks)

    def translate(self, space: int, offset: int) -> Translation:
        """The pdir entry mapping `space.offset`; ReadError when there is none."""
        vpage = offset >> PAGE_SHIFT
        key = (space, vpage)
        found = self._translations.get(key)
        if found is not None:
            return found
        if space == 0:
            found = Translation(0, vpage, vpage, 0, 0)
        else:
            found = self._walk_chain(space, offset, vpage)
        self._translations[key] = found
        return found

    def _walk_chain(self, space: int, offset: int, vpage: int) -> Translation:
        if self.pdir is None:
            raise ReadError(space, offset, "no page directory (htbl) in this kernel", self.wide)
        pdir = self.pdir
        if pdir.nhtbl <= 0:
            raise ReadError(space, offset, "htbl is empty (nhtbl is 0)", self.wide)
        fast = self._hpde_fast
        assert fast is not None
        entry = pdir.htbl + pdir.hpde.size * pdir_hash(space, offset, pdir.nhtbl)
        seen: set[int] = set()
        want_vpage = vpage & 0xFFFFFFFF
        while entry:
            if entry in seen:
                raise ReadError(space, offset, f"pdir chain loops at {entry:#x}", self.wide)
            seen.add(entry)
            try:
                raw = self.physical.read(entry, pdir.hpde.size)
            except ReadError as err:
                raise ReadError(space, offset, f"pdir entry {entry:#x}: {err.problem}",
                                self.wide) from None
            nxt, pde_space, pde_vpage, phys, attr, _ = fast.unpack(raw)
            if attr & PDE_VALID and pde_space == space and pde_vpage == want_vpage:
                return Translation(space, vpage, phys, entry, attr)
            entry = nxt
        raise ReadError(space, offset, NO_TRANSLATION, self.wide)

    # -- scalar helpers ---------------------------------------------------------------------
    def u32(self, offset: int, space: int = 0) -> int:
        return struct.unpack(">I", self.read(offset, 4, space))[0]

    def u64(self, offset: int, space: int = 0) -> int:
        return struct.unpack(">Q", self.read(offset, 8, space))[0]

    def ulong(self, offset: int, space: int = 0) -> int:
        return self.u64(offset, space) if self.wide else self.u32(offset, space)

    def cstring(self, offset: int, space: int = 0, limit: int = 4096) -> bytes:
        """A NUL-terminated string, read page by page; ReadError if no NUL within `limit`."""
        out = bytearray()
        position = offset
        while len(out) < limit:
            take = min(((position | _PAGE_MASK) + 1) - position, limit - len(out))
            chunk = self.read(position, take, space)
            nul = chunk.find(b"\0")
            if nul >= 0:
                out += chunk[:nul]
                return bytes(out)
            out += chunk
            position += take
        raise ReadError(space, offset, f"string has no NUL within {limit} bytes", self.wide)
