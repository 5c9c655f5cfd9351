"""`Program`: the single door to a crash dump (like drgn's Program).

It opens the crash directory and the kernel image, chooses the layouts for the kernel's width,
and offers symbols both ways, typed reads at addresses and kernel globals by name. Everything
above it (kernel helpers, analyses, commands) reads the dump through a Program only.
"""

from __future__ import annotations

import struct
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

from q4py.crashdir import CrashDir
from q4py.dumps import CoreDir, CoreFile, open_dump
from q4py.errors import Q4Error
from q4py.layouts import KERNEL_GLOBALS, NARROW, WIDE, Layout, TypeRegistry, registry_for
from q4py.layouts.base import CType
from q4py.layouts.flat import flat_parser
from q4py.memory import KernelMemory, PageDirectory, Translation
from q4py.vmunix import KernelImage, Symbol, UnwindEntry


class SymbolError(Q4Error):
    """A name that is not a symbol of this kernel."""


# Structures kept by read_struct; past this many the oldest half is dropped, so a session that
# walks millions of structures keeps a bounded cache (a pile holds what it loaded itself).
STRUCT_CACHE_LIMIT = 1 << 16
_RECORDS_SLICE = 1 << 18  # bytes read_records reads at a time
SYMBOL_CACHE_LIMIT = 1 << 16  # addresses symbolize and unwind_for remember
SPACE_PAGES_KEPT = 1024  # pages of spaces other than 0 that small reads are served from
_PAGE_MASK = 0xFFF


def _remembered(cache: dict[int, Any], key: int, compute: Callable[[int], Any]) -> Any:
    """`compute(key)`, kept in `cache` (emptied when it holds SYMBOL_CACHE_LIMIT keys)."""
    if key in cache:
        return cache[key]
    if len(cache) >= SYMBOL_CACHE_LIMIT:
        cache.clear()
    found = cache[key] = compute(key)
    return found


class Program:
    """An opened crash dump: memory, symbols, types."""

    def __init__(self, crashdir: CrashDir | CoreDir | CoreFile, kernel: KernelImage) -> None:
        self.crashdir = crashdir  # the dump, whatever its format (`.format`, `.index` or None)
        self.kernel = kernel
        self.wide = kernel.wide
        self.abi = WIDE if self.wide else NARROW
        self.pointer_size = self.abi.pointer_size
        self._ulong = struct.Struct(">Q" if self.wide else ">I")
        self.types: TypeRegistry = registry_for(self.abi)
        self.memory = KernelMemory(crashdir.memory, self.wide)
        self._struct_cache: dict[tuple[int, int, int], Any] = {}
        self._parsers: dict[int, Callable[[bytes], Any]] = {}  # id(layout) -> parser
        self._pdir_ready = False
        # CrashEvent -> its EventTrace: q4py.unwind.unwind_event unwinds each event once per
        # Program (several crashinfo sections want the same traces); traces are shared, read-only.
        self.event_traces: dict[Any, Any] = {}
        self._space_pages: dict[tuple[int, int], bytes] = {}  # (space, page) -> its bytes
        self._symbolized: dict[int, str | None] = {}  # address -> symbolize(address)
        self._unwound: dict[int, UnwindEntry | None] = {}  # pc -> unwind_for(pc)

    @classmethod
    def open(cls, path: str | Path, vmunix: str | Path | None = None) -> Program:
        """Open a dump read-only: a CRASHDIR, a COREDIR, a directory holding a COREFILE's `core`
        and `vmunix`, or (with `vmunix`) a COREFILE's core. DumpError says what is wrong and
        where."""
        dump, kernel = open_dump(path, vmunix)
        return cls(dump, kernel)

    @property
    def path(self) -> Path:
        return Path(self.crashdir.path)

    # -- symbols ---------------------------------------------------------------------------
    def symbol(self, name: str) -> Symbol:
        found = self.kernel.symbol(name)
        if found is None:
            raise SymbolError(f"no symbol '{name}' in vmunix")
        return found

    def has_symbol(self, name: str) -> bool:
        return self.kernel.symbol(name) is not None

    def symbolize(self, address: int) -> str | None:
        """`panic+0x14` for an address inside a known symbol, else None."""
        # Unwinding sixty thousand threads asks for the same few hundred pcs again and again.
        return _remembered(self._symbolized, address, self.kernel.symbolize)

    def symbols(self) -> list[Symbol]:
        """Every symbol of the kernel image, for searches and name completion."""
        return self.kernel.symbols()

    def unwind_for(self, pc: int) -> UnwindEntry | None:
        """The `.PARISC.unwind` descriptor of the function holding `pc`, or None."""
        return _remembered(self._unwound, pc, self.kernel.unwind_for)

    # -- memory ----------------------------------------------------------------------------
    def read(self, address: int, size: int, space: int = 0) -> bytes:
        if space:
            self._ensure_pdir()
            start = address & ~_PAGE_MASK
            if address + size <= start + _PAGE_MASK + 1:
                # Small reads in other spaces (a thread's PCB, its stack frame by frame) come
                # from the whole page, read once: one translation instead of one a word.
                page = self._space_page(space, start)
                if page is not None:
                    return page[address - start:address - start + size]
        return self.memory.read(address, size, space)

    def _space_page(self, space: int, start: int) -> bytes | None:
        key = (space, start)
        page = self._space_pages.get(key)
        if page is None:
            try:
                page = self.memory.read(start, _PAGE_MASK + 1, space)
            except Q4Error:
                return None  # the caller's own read says what is missing
            if len(self._space_pages) >= SPACE_PAGES_KEPT:
                self._space_pages.clear()
            self._space_pages[key] = page
        return page

    def has_page(self, pfn: int) -> bool:
        """Does the dump hold physical page `pfn`?"""
        return bool(self.crashdir.memory.has_page(pfn))

    def dumped_pfns(self) -> Iterator[int]:
        """Every physical page the dump holds, ascending (savecrash skips some)."""
        return iter(self.crashdir.memory.pfns())

    def page(self, pfn: int) -> bytes | memoryview | None:
        """The bytes of physical page `pfn`, or None when the dump does not hold it."""
        return self.crashdir.memory.page(pfn)  # type: ignore[no-any-return]

    def translate(self, space: int, offset: int) -> Translation:
        """The pdir entry mapping `space.offset` (space 0 is equivalently mapped); ReadError
        when the page has no translation."""
        if space:
            self._ensure_pdir()
        return self.memory.translate(space, offset)

    def read_ulong(self, address: int, space: int = 0) -> int:
        ulong = self._ulong
        if space:
            # An unwinder's word in another space: unpacked from the page read() keeps.
            start = address & ~_PAGE_MASK
            if address - start <= _PAGE_MASK + 1 - ulong.size:
                self._ensure_pdir()
                page = self._space_page(space, start)
                if page is not None:
                    return ulong.unpack_from(page, address - start)[0]  # type: ignore[no-any-return]
        return ulong.unpack(self.read(address, ulong.size, space))[0]  # type: ignore[no-any-return]

    def read_u32(self, address: int, space: int = 0) -> int:
        return struct.unpack(">I", self.read(address, 4, space))[0]

    def read_string(self, address: int, space: int = 0, limit: int = 4096) -> str:
        if space:
            self._ensure_pdir()
        return self.memory.cstring(address, space, limit).decode("latin-1")

    def layout(self, type_name: str | Layout) -> Layout:
        return type_name if isinstance(type_name, Layout) else self.types.get(type_name)

    def read_struct(self, type_name: str | Layout, address: int, space: int = 0) -> Any:
        """A structure parsed with its construct model; cached by (type, space, address)."""
        layout = self.layout(type_name)
        key = (id(layout), space, address)
        cache = self._struct_cache
        cached = cache.get(key)
        if cached is None:
            parse = self._parsers.get(key[0])
            if parse is None:
                parse = self._parsers[key[0]] = flat_parser(layout)
            cached = parse(self.read(address, layout.size, space))
            if len(cache) >= STRUCT_CACHE_LIMIT:
                for old in list(cache)[: STRUCT_CACHE_LIMIT // 2]:
                    del cache[old]
            cache[key] = cached
        return cached

    def read_records(self, type_name: str | Layout, address: int, count: int,
                     space: int = 0) -> list[tuple[Any, ...]]:
        """`count` consecutive structures as tuples, through the layout's struct fast path."""
        if count < 0:
            raise Q4Error(f"cannot read {count} {self.layout(type_name).name} records: "
                          "the count must be 0 or more")
        layout = self.layout(type_name)
        fast = layout.fast
        if fast is None:
            raise Q4Error(f"{layout.name} has nested members; read it with read_struct")
        size = layout.size
        if size * count <= _RECORDS_SLICE:
            return list(fast.iter_unpack(self.read(address, size * count, space)))
        # A 30 MB process table is read in slices: the same small buffer is reused, where one
        # huge read costs a page fault per fresh 4 KB.
        step = max(1, _RECORDS_SLICE // size)
        records: list[tuple[Any, ...]] = []
        for first in range(0, count, step):
            n = min(step, count - first)
            records += fast.iter_unpack(self.read(address + first * size, n * size, space))
        return records

    def read_value(self, ctype: CType, address: int, space: int = 0) -> Any:
        """A value of any C type: int, float, bytes (char arrays), list or Container."""
        data = self.read(address, ctype.size, space)
        return ctype.subcon.parse(data)

    # -- kernel globals ----------------------------------------------------------------------
    def global_ctype(self, name: str) -> CType:
        decl = KERNEL_GLOBALS.get(name)
        if decl is None:
            raise SymbolError(f"q4py does not know the type of kernel global '{name}'")
        return self.types.ctype(decl.ctype)

    def read_global(self, name: str) -> Any:
        """A kernel global by name, decoded with its declared C type."""
        ctype = self.global_ctype(name)
        return self.read_value(ctype, self.symbol(name).address)

    def global_or(self, name: str, default: Any) -> Any:
        """A kernel global, or `default` when this kernel has no such symbol."""
        if not self.has_symbol(name):
            return default
        return self.read_global(name)

    # -- page directory ------------------------------------------------------------------------
    def _ensure_pdir(self) -> None:
        if self._pdir_ready:
            return
        self._pdir_ready = True
        if self.has_symbol("htbl") and self.has_symbol("nhtbl"):
            self.memory.set_page_directory(PageDirectory(
                htbl=self.read_global("htbl"),
                nhtbl=self.read_global("nhtbl"),
                hpde=self.types.get("hpde2_0_t"),
            ))
