"""`Program`: the single door to a crash dump (like drgn's Program).

It opens the crash directory and the kernel image, chooses the layouts for the kernel's width,
and offers symbols both ways, typed reads at addresses and kernel globals by name. Everything
above it (kernel helpers, analyses, commands) reads the dump through a Program only.
"""

from __future__ import annotations

import struct
from collections.abc import Callable
from pathlib import Path
from typing import Any

from construct import Container, ListContainer

from q4py.crashdir import CrashDir
from q4py.errors import Q4Error
from q4py.layouts import KERNEL_GLOBALS, NARROW, WIDE, Layout, TypeRegistry, registry_for
from q4py.layouts.base import CType
from q4py.memory import KernelMemory, PageDirectory
from q4py.vmunix import KernelImage, Symbol


class SymbolError(Q4Error):
    """A name that is not a symbol of this kernel."""


# Structures kept by read_struct; past this many the oldest half is dropped, so a session that
# walks millions of structures keeps a bounded cache (a pile holds what it loaded itself).
STRUCT_CACHE_LIMIT = 1 << 16
_RECORDS_SLICE = 1 << 18  # bytes read_records reads at a time
_INT_CODES = {(1, False): "B", (1, True): "b", (2, False): "H", (2, True): "h",
              (4, False): "I", (4, True): "i", (8, False): "Q", (8, True): "q"}
# A builder turns the flat tuple a struct format unpacks into construct's value, from `pos` on:
# it returns the value and the position after it.
_Builder = Callable[[tuple[Any, ...], int], tuple[Any, int]]


def _ctype_plan(ctype: CType) -> tuple[str, _Builder | None]:
    """The struct codes of one member and how to rebuild its value (None: one scalar)."""
    if ctype.kind in ("int", "pointer"):
        return _INT_CODES[(ctype.size, ctype.signed)], None
    if ctype.kind == "float":
        return ("f" if ctype.size == 4 else "d"), None
    if ctype.kind == "chars":
        return f"{ctype.size}s", None
    if ctype.kind == "struct" and ctype.layout is not None:
        return _layout_plan(ctype.layout)
    if ctype.kind == "array" and ctype.element is not None:
        code, element = _ctype_plan(ctype.element)
        count = ctype.count
        if element is None:
            def scalars(values: tuple[Any, ...], pos: int) -> tuple[Any, int]:
                return ListContainer(values[pos:pos + count]), pos + count
            return code * count, scalars

        def structs(values: tuple[Any, ...], pos: int) -> tuple[Any, int]:
            items = ListContainer()
            for _ in range(count):
                item, pos = element(values, pos)
                items.append(item)
            return items, pos
        return code * count, structs
    raise ValueError(f"no struct code for {ctype.spelling} ({ctype.kind})")


def _layout_plan(layout: Layout) -> tuple[str, _Builder]:
    """A struct format for the whole layout, nested members flattened, and its rebuilder."""
    codes, steps, position = [], [], 0
    for member in layout.fields:
        if member.offset > position:
            codes.append(f"{member.offset - position}x")
        code, step = _ctype_plan(member.ctype)
        codes.append(code)
        steps.append((member.name, step, code))
        position = member.offset + member.ctype.size
    if layout.size > position:
        codes.append(f"{layout.size - position}x")
    names = tuple(name for name, _, _ in steps)
    if all(step is None for _, step, _ in steps):
        count = len(names)

        def flat(values: tuple[Any, ...], pos: int) -> tuple[Any, int]:
            return Container(zip(names, values[pos:pos + count], strict=True)), pos + count
        return "".join(codes), flat

    # Take the member values as they come, then fold each nested member's run of values into
    # its own value, right to left so that the earlier positions stay put.
    total, folds = 0, []
    for _, step, code in steps:
        consumed = len(struct.unpack(">" + code, bytes(struct.calcsize(">" + code))))
        if step is not None:
            folds.append((total, consumed, step))
        total += consumed
    folds.reverse()

    def nested(values: tuple[Any, ...], pos: int) -> tuple[Any, int]:
        members = list(values[pos:pos + total])
        for at, consumed, step in folds:
            members[at:at + consumed] = [step(values, pos + at)[0]]
        return Container(zip(names, members, strict=True)), pos + total
    return "".join(codes), nested


def struct_parser(layout: Layout) -> Callable[[bytes], Any]:
    """A parser equal to `layout.parse` (the construct model) that runs 5-15x faster.

    It is derived from the same definition: one `struct` format over the layout's members,
    nested structures and arrays flattened, whose values are put back into construct's
    Containers and ListContainers. A layout with a member the derivation does not know (or
    whose format disagrees with the model's size) keeps construct's own parser.
    """
    try:
        fmt, build = _layout_plan(layout)
        unpack = struct.Struct(">" + fmt).unpack
        if struct.calcsize(">" + fmt) != layout.size:
            raise ValueError(f"{layout.name}: derived size disagrees")
    except (ValueError, KeyError, struct.error):
        return layout.parse

    def parse(data: bytes) -> Any:
        return build(unpack(data), 0)[0]
    return parse


class Program:
    """An opened crash dump: memory, symbols, types."""

    def __init__(self, crashdir: CrashDir, kernel: KernelImage) -> None:
        self.crashdir = crashdir
        self.kernel = kernel
        self.wide = kernel.wide
        self.abi = WIDE if self.wide else NARROW
        self.pointer_size = self.abi.pointer_size
        self.types: TypeRegistry = registry_for(self.abi)
        self.memory = KernelMemory(crashdir.memory, self.wide)
        self._struct_cache: dict[tuple[int, int, int], Any] = {}
        self._parsers: dict[int, Callable[[bytes], Any]] = {}  # id(layout) -> parser
        self._pdir_ready = False

    @classmethod
    def open(cls, path: str | Path) -> Program:
        """Open a crash directory read-only; DumpError says what is wrong and where."""
        crashdir = CrashDir.open(path)
        kernel = KernelImage.load(crashdir.vmunix_path)
        return cls(crashdir, kernel)

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
        return self.kernel.symbolize(address)

    # -- memory ----------------------------------------------------------------------------
    def read(self, address: int, size: int, space: int = 0) -> bytes:
        if space:
            self._ensure_pdir()
        return self.memory.read(address, size, space)

    def read_ulong(self, address: int, space: int = 0) -> int:
        data = self.read(address, self.pointer_size, space)
        return struct.unpack(">Q" if self.wide else ">I", data)[0]

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
                parse = self._parsers[key[0]] = struct_parser(layout)
            cached = parse(self.read(address, layout.size, space))
            if len(cache) >= STRUCT_CACHE_LIMIT:
                for old in list(cache)[: STRUCT_CACHE_LIMIT // 2]:
                    del cache[old]
            cache[key] = cached
        return cached

    def read_records(self, type_name: str | Layout, address: int, count: int,
                     space: int = 0) -> list[tuple[Any, ...]]:
        """`count` consecutive structures as tuples, through the layout's struct fast path."""
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
