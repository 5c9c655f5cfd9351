"""Resource maps (`struct map`): the kernel's free lists of virtual space, like `sysmap`.

A BSD resource map is an array of `struct mapent {m_addr, m_size}`. Entry 0 is the header
(`struct map {m_limit, m_name}` overlays it): `m_limit` points one past the last slot, `m_name`
at the map's name. Free runs follow from entry 1, sorted by address, until the first entry
whose `m_size` is 0. Sizes are pages. The configured map size counts every slot, header
included: `(m_limit - map) / sizeof(struct mapent)`.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import cached_property, partial
from typing import Any, NamedTuple

from q4py.errors import Q4Error, ReadError
from q4py.layouts.columns import member_column
from q4py.layouts.vm import PAGE_SIZE
from q4py.program import Program

# `progress(done, total, what)`, as `Session.progress` takes it.
Progress = Callable[[int, int | None, str], None]
# A map read reports progress once it has read this many slots: small maps never do.
PROGRESS_FROM = 4096


class MapError(Q4Error):
    """A resource map that cannot be decoded (no terminator, a bad limit, an unknown name)."""


class MapEntry(NamedTuple):
    """One free run: `size` pages from `addr`, at slot `index` of the map.

    A named tuple rather than a dataclass: a fragmented map has thousands of runs, and tuples
    are made three times faster.
    """

    index: int
    addr: int
    size: int


@dataclass(frozen=True)
class ResourceMap:
    """A decoded resource map: its header and its free runs (the terminator excluded).

    The runs are kept column by column (`addrs`, `sizes`: run i is at slot i + 1); `entries`
    makes them MapEntry tuples on first use, for whoever prints them one by one.
    """

    address: int  # where the header (entry 0) is
    limit: int  # m_limit
    name_ptr: int  # m_name
    name: str  # the string m_name points at ("" if it could not be read)
    mapsize: int  # configured slots, header included
    addrs: Sequence[int]  # m_addr of each free run
    sizes: Sequence[int]  # m_size of each free run, pages
    terminator_addr: int = 0  # m_addr of the terminating entry (normally 0)
    symbol: str = ""  # the kernel global it was found through, if any

    @cached_property
    def entries(self) -> tuple[MapEntry, ...]:
        """The free runs as (index, addr, size) tuples, in map order."""
        count = len(self.sizes)
        # zip and tuple.__new__ keep the making of thousands of runs in C.
        return tuple(map(_new_entry, zip(range(1, count + 1), self.addrs, self.sizes,
                                         strict=True)))

    def entry(self, position: int) -> MapEntry:
        """Free run `position` (0 is the first, at slot 1)."""
        return MapEntry(position + 1, self.addrs[position], self.sizes[position])

    @property
    def label(self) -> str:
        """The name to print: the map's own name, else the global it came from."""
        return self.name or self.symbol or f"map at {self.address:#x}"

    @property
    def terminator_index(self) -> int:
        """Slot of the `m_size == 0` entry (HP's "number of entries used")."""
        return len(self.sizes) + 1

    @property
    def total_free(self) -> int:
        return sum(self.sizes)

    @property
    def largest_free(self) -> int:
        return max(self.sizes, default=0)

    @property
    def average_free(self) -> float:
        return self.total_free / len(self.sizes) if self.sizes else 0.0

    @property
    def depleted(self) -> bool:
        return not self.sizes


_new_entry = partial(tuple.__new__, MapEntry)


def read_resource_map(prog: Program, address: int, symbol: str = "",
                      progress: Progress | None = None) -> ResourceMap:
    """Decode the resource map whose header is at `address` (space 0). `progress` hears of
    the slots read (of the configured size) page by page once a map is large."""
    entry = prog.types.get("struct mapent")
    header = prog.read_struct("struct map", address)
    limit, name_ptr = header.m_limit, header.m_name
    where = f"{symbol + ' ' if symbol else ''}map at {address:#x}"
    if limit <= address:
        raise MapError(f"{where}: m_limit {limit:#x} is not after the map")
    mapsize = (limit - address) // entry.size
    name = _map_name(prog, name_ptr)
    addrs: Any = None
    sizes: Any = None
    index = 1
    while index < mapsize:
        # One bulk read per page: the slots after the terminator are unused and their pages
        # may be missing from the dump, so never read past the page the terminator is in.
        at = address + index * entry.size
        count = max(1, min(mapsize - index, (PAGE_SIZE - at % PAGE_SIZE) // entry.size))
        data = prog.read(at, count * entry.size)
        # Both members column by column, in C; the terminator is the first size of 0.
        page_addrs = member_column(entry, "m_addr", data)
        page_sizes = member_column(entry, "m_size", data)
        end = page_sizes.index(0) if 0 in page_sizes else count
        if addrs is None:
            addrs, sizes = page_addrs[:end], page_sizes[:end]
        else:
            addrs += page_addrs[:end]
            sizes += page_sizes[:end]
        if end < count:
            return ResourceMap(address, limit, name_ptr, name, mapsize, addrs, sizes,
                               page_addrs[end], symbol)
        index += count
        if progress is not None and index > PROGRESS_FROM:
            progress(index - 1, mapsize - 1, f"loading {name or symbol or 'map'} entries")
    raise MapError(f"{where} ({name or 'no name'}): no terminating entry (m_size 0) within its "
                   f"{mapsize} configured entries")


def map_global_names(prog: Program) -> list[str]:
    """Every kernel global q4py knows as a `struct map *` that this kernel has."""
    from q4py.layouts import KERNEL_GLOBALS

    return sorted(name for name, decl in KERNEL_GLOBALS.items()
                  if decl.ctype == "struct map *" and prog.has_symbol(name))


def resource_map(prog: Program, global_name: str,
                 progress: Progress | None = None) -> ResourceMap:
    """The map a kernel global `struct map *` (like `sysmap_32bit`) points at."""
    from q4py.layouts import KERNEL_GLOBALS

    decl = KERNEL_GLOBALS.get(global_name)
    if decl is None or decl.ctype != "struct map *" or not prog.has_symbol(global_name):
        known = ", ".join(map_global_names(prog)) or "none"
        raise MapError(f"'{global_name}' is not a resource map of this kernel "
                       f"(struct map * globals: {known})")
    address = prog.read_global(global_name)
    if address == 0:
        raise MapError(f"{global_name} is a NULL pointer")
    return read_resource_map(prog, address, global_name, progress)


def _map_name(prog: Program, pointer: int) -> str:
    # A garbled name must not hide the map itself: the listing still shows the pointer.
    if pointer == 0:
        return ""
    try:
        return prog.read_string(pointer, limit=256)
    except ReadError:
        return ""
