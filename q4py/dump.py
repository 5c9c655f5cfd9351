"""q4py as a Python library, on drgn's model: `dump = q4py.open(PATH)`.

A `Dump` is an opened crash directory; `Object`s are typed values in it:

    >>> import q4py
    >>> dump = q4py.open("/var/adm/crash/crash.0")
    >>> dump["freemem"]                       # a kernel global, read with its C type
    Object('int', address=0x9006b0, value=1187)
    >>> p = dump.struct("proc_t", 0x1a01000)
    >>> p.p_pid, p.p_vas.va_rss               # members; pointers followed like C's ->
    >>> [(t.pid, t.command) for t in dump.processes()]

Everything here reads the dump through its `Program` (`dump.program`), the kernel helpers and
the analyses the shell uses, so the library and the commands always agree. The analyses are
plain data (`dump.analyze("kmem")`), the very values crashinfo's sections render and `--json`
prints. docs/library.md has a worked example.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

from q4py.analyses.catalog import ANALYSES, analysis
from q4py.errors import Q4Error
from q4py.kernel.events import CrashEvent
from q4py.kernel.proclist import kept_member_addresses
from q4py.kernel.procs import Proc, processes
from q4py.kernel.release import kernel_release
from q4py.kernel.threads import Thread, has_threads, threads
from q4py.layouts import KERNEL_GLOBALS
from q4py.layouts.base import CType, LayoutError
from q4py.plain import to_plain
from q4py.program import Program
from q4py.vmunix import Symbol


class Dump:
    """An opened crash dump: symbols, typed values, raw reads, the kernel's tables, analyses."""

    def __init__(self, program: Program) -> None:
        self.program = program

    @classmethod
    def open(cls, path: str | Path, vmunix: str | Path | None = None) -> Dump:
        """Open a crash dump read-only, any format `Program.open` takes (`DumpError` says what
        is wrong and where)."""
        return cls(Program.open(path, vmunix))

    def __repr__(self) -> str:
        release = kernel_release(self.program)
        text = f"{release[0]}.{release[1]:02d}" if release else "unknown release"
        return (f"Dump('{self.program.path}', HP-UX {text}, "
                f"{64 if self.program.wide else 32}-bit)")

    # -- symbols and values -------------------------------------------------------------------
    @property
    def path(self) -> Path:
        return self.program.path

    @property
    def wide(self) -> bool:
        return self.program.wide

    def symbol(self, name_or_address: str | int) -> Symbol:
        """A kernel symbol by name, or the one holding an address (`SymbolError` if none)."""
        if isinstance(name_or_address, str):
            return self.program.symbol(name_or_address)
        for sym in self.program.symbols():
            if sym.contains(name_or_address):
                return sym
        raise Q4Error(f"no kernel symbol holds {name_or_address:#x}")

    def __getitem__(self, name: str) -> Object:
        """The kernel global `name` as a typed Object (`dump["freemem"]`)."""
        return self.object(name)

    def __contains__(self, name: str) -> bool:
        return self.program.has_symbol(name)

    def object(self, name: str) -> Object:
        """The kernel global `name` with its declared C type; a global q4py has no type for is
        read as an `unsigned long`, as q4 reads it (a pointer-sized word)."""
        sym = self.program.symbol(name)
        if sym.kind == "func":
            raise Q4Error(f"'{name}' is a function, not a value: its address is "
                          f"dump.symbol('{name}').address")
        spelling = KERNEL_GLOBALS[name].ctype if name in KERNEL_GLOBALS else "unsigned long"
        return Object(self, self.type(spelling), sym.address)

    def type(self, spelling: str) -> CType:
        """A C type of this kernel's ABI: `int`, `struct proc`, `proc_t`, `struct vas *`."""
        types = self.program.types
        try:
            return types.ctype(spelling)
        except LayoutError:
            layout = types.get(spelling)  # a typedef (`proc_t`): LayoutError if none
            return types.ctype(layout.name)

    def sizeof(self, spelling: str) -> int:
        return self.type(spelling).size

    def struct(self, type_name: str, address: int, space: int = 0) -> Object:
        """The structure (or any C type) `type_name` at `space.address`."""
        return Object(self, self.type(type_name), address, space)

    def read(self, address: int, size: int, space: int = 0) -> bytes:
        """`size` bytes at `space.address` (`ReadError` when a page is not in the dump)."""
        return self.program.read(address, size, space)

    def read_string(self, address: int, space: int = 0, limit: int = 4096) -> str:
        return self.program.read_string(address, space, limit)

    def symbolize(self, address: int) -> str | None:
        """`panic+0x14` for an address inside a kernel symbol, else None."""
        return self.program.symbolize(address)

    # -- the kernel's tables ------------------------------------------------------------------
    def processes(self) -> Iterator[Process]:
        """Every in-use process: the 11.00 process table or the 11i process list."""
        for proc in processes(self.program):
            yield Process(self, proc)

    def threads(self) -> Iterator[KThread]:
        """Every kernel thread: the 11.00 thread table or the 11i thread list (none when the
        kernel has neither)."""
        if not has_threads(self.program):
            return
        for thread in threads(self.program):
            yield KThread(self, thread)

    def crash_events(self) -> Iterator[Event]:
        """The crash event table's events, each with its stack unwound on demand."""
        from q4py.kernel.events import crash_events

        for event in crash_events(self.program):
            yield Event(self, event)

    # -- analyses ------------------------------------------------------------------------------
    @staticmethod
    def analyses() -> list[str]:
        """The names `analyze` takes: one per crashinfo section, and `lock`."""
        return list(ANALYSES)

    def analyze(self, name: str, *, plain: bool = False) -> Any:
        """The analysis `name` (docs/library.md lists them) as the dataclasses the renderers
        print, or with `plain=True` as dicts and lists (what `--json` prints)."""
        result = analysis(name).fn(self.program)
        return to_plain(result) if plain else result


class Object:
    """A typed value in the dump (drgn's Object): a C type, where it lies, and its value.

    - `obj.value_()` is the value as Python data: an int (integers, pointers, bit-fields), a
      float, a str (char arrays, up to the first NUL), a list (arrays), a dict (structures);
    - `obj.member` / `obj["member"]` a member (dotted paths too); through a pointer to a
      structure, members are reached as C's `->` does (`p.p_vas.va_rss`);
    - `obj[i]` an element of an array, or of the array a pointer points at;
    - `obj.deref_()` what a pointer points at; `int(obj)`, comparisons and `bool` on numbers,
      `str(obj)` a char array's text or p4's dump of a structure.
    """

    __slots__ = ("_dump", "ctype", "address_", "space_", "_bit")

    def __init__(self, dump: Dump, ctype: CType, address: int, space: int = 0,
                 bit: tuple[int, int] | None = None) -> None:
        self._dump = dump
        self.ctype = ctype
        self.address_ = address
        self.space_ = space
        self._bit = bit  # a bit-field: (first bit in the storage unit, width)

    @property
    def type_(self) -> str:
        """The C type's spelling: `int`, `struct proc`, `struct vas *`, `char[15]`."""
        return self.ctype.spelling

    def _raw(self) -> bytes:
        return self._dump.program.read(self.address_, self.ctype.size, self.space_)

    def value_(self) -> Any:
        """The value as plain Python data (see the class docstring)."""
        kind = self.ctype.kind
        if kind == "chars":
            return to_plain(self._raw())
        if kind == "array":
            return [element.value_() for element in self]
        if kind == "struct":
            assert self.ctype.layout is not None
            return {f.name: self.member_(f.name).value_() for f in self.ctype.layout.fields}
        if kind == "bitfield":
            assert self._bit is not None
            unit = int.from_bytes(self._raw(), "big")
            first, width = self._bit
            return (unit >> (8 * self.ctype.size - first - width)) & ((1 << width) - 1)
        return self.ctype.subcon.parse(self._raw())

    # -- members, elements, pointers ---------------------------------------------------------
    def member_(self, path: str) -> Object:
        target = self.deref_() if self.ctype.kind == "pointer" else self
        layout = target.ctype.layout
        if target.ctype.kind != "struct" or layout is None:
            raise Q4Error(f"{self.type_} has no members (asked for '{path}')")
        try:
            field = layout.field(path)
        except LayoutError:
            raise Q4Error(f"{layout.name} has no member '{path}'") from None
        bit = (field.bit_offset, field.ctype.count) if field.ctype.kind == "bitfield" else None
        kept = None if target.space_ else kept_member_addresses(
            self._dump.program, layout.name, path, [target.address_])
        if kept is not None:  # where the kernel keeps it (11.00: a proc's p_comm in pst_ucomms)
            return Object(self._dump, field.ctype, kept[0], 0)
        return Object(self._dump, field.ctype, target.address_ + field.offset, target.space_,
                      bit)

    def __getattr__(self, name: str) -> Object:
        if name.startswith("_") or name.endswith("_"):
            raise AttributeError(name)
        try:
            return self.member_(name)
        except Q4Error as err:
            raise AttributeError(str(err)) from None

    def __dir__(self) -> list[str]:  # members complete in Jupyter and IPython
        target = self.ctype
        if target.kind == "pointer":
            try:
                target = self._pointee_type()
            except Q4Error:
                return list(super().__dir__())
        names = [f.name for f in target.layout.fields] if target.layout is not None else []
        return sorted({*super().__dir__(), *names})

    def _pointee_type(self) -> CType:
        base = self.type_[:-1].rstrip()
        if base == "void":
            raise Q4Error(f"cannot follow a {self.type_}: cast it with dump.struct(TYPE, ADDR)")
        return self._dump.type(base)

    def deref_(self) -> Object:
        """What a pointer points at (in this object's space for a non-zero space)."""
        if self.ctype.kind != "pointer":
            raise Q4Error(f"{self.type_} is not a pointer")
        pointer = self.value_()
        if pointer == 0:
            raise Q4Error(f"NULL {self.type_} at {self.address_:#x}")
        return Object(self._dump, self._pointee_type(), pointer, self.space_)

    def __getitem__(self, key: int | str) -> Object:
        if isinstance(key, str):
            return self.member_(key)
        kind = self.ctype.kind
        if kind == "array":
            assert self.ctype.element is not None
            if not 0 <= key < self.ctype.count:
                raise IndexError(f"{self.type_}: index {key} out of range")
            return Object(self._dump, self.ctype.element,
                          self.address_ + key * self.ctype.element.size, self.space_)
        if kind == "chars":
            if not 0 <= key < self.ctype.count:
                raise IndexError(f"{self.type_}: index {key} out of range")
            return Object(self._dump, self._dump.type("char"), self.address_ + key,
                          self.space_)
        if kind == "pointer":
            element = self._pointee_type()
            return Object(self._dump, element, self.value_() + key * element.size, self.space_)
        raise Q4Error(f"{self.type_} cannot be indexed")

    def __len__(self) -> int:
        if self.ctype.kind not in ("array", "chars"):
            raise TypeError(f"{self.type_} has no length")
        return self.ctype.count

    def __iter__(self) -> Iterator[Object]:
        for i in range(len(self)):
            yield self[i]

    # -- numbers and text ----------------------------------------------------------------------
    def __int__(self) -> int:
        value = self.value_()
        if not isinstance(value, (int, float)):
            raise TypeError(f"{self.type_} is not a number")
        return int(value)

    __index__ = __int__

    def __float__(self) -> float:
        return float(self.value_())

    def __bool__(self) -> bool:
        return bool(int(self))

    def _other(self, other: Any) -> Any:
        return other.value_() if isinstance(other, Object) else other

    def __eq__(self, other: object) -> bool:
        return bool(self.value_() == self._other(other))

    def __lt__(self, other: Any) -> bool:
        return bool(self.value_() < self._other(other))

    def __le__(self, other: Any) -> bool:
        return bool(self.value_() <= self._other(other))

    def __gt__(self, other: Any) -> bool:
        return bool(self.value_() > self._other(other))

    def __ge__(self, other: Any) -> bool:
        return bool(self.value_() >= self._other(other))

    __hash__ = None  # type: ignore[assignment]  # equal to its value, which may change

    def __str__(self) -> str:
        if self.ctype.kind == "struct" and self.ctype.layout is not None:
            from q4py.render.structs import struct_lines

            return "\n".join(struct_lines(self._dump.program, self.ctype.layout,
                                          self.address_, self.space_))
        return str(self.value_())

    def __repr__(self) -> str:
        where = (f"{self.space_:#x}.{self.address_:#x}" if self.space_
                 else f"{self.address_:#x}")
        if self.ctype.kind in ("struct", "array"):
            return f"Object({self.type_!r}, address={where})"
        try:
            value = self.value_()
        except Q4Error as err:
            return f"Object({self.type_!r}, address={where}, <{err}>)"
        shown = f"{value:#x}" if self.ctype.kind == "pointer" else repr(value)
        return f"Object({self.type_!r}, address={where}, value={shown})"

    def _repr_pretty_(self, printer: Any, cycle: bool) -> None:  # IPython / Jupyter
        printer.text(str(self) if self.ctype.kind == "struct" else repr(self))


class _Wrapped:
    """A kernel helper's record (Proc, Thread, CrashEvent) with a short, hex repr; its fields
    read through (`p.pid`, `t.wchan`)."""

    _shown: tuple[str, ...] = ()
    _hex = frozenset({"address", "wchan", "uarea", "proc", "hpa", "rpb", "sleep_caller"})

    def __init__(self, dump: Dump, record: Any) -> None:
        self._dump = dump
        self.record = record

    def __getattr__(self, name: str) -> Any:
        if name.startswith("_"):
            raise AttributeError(name)
        return getattr(self.record, name)

    def __repr__(self) -> str:
        parts = []
        for name in self._shown:
            value = getattr(self.record, name, None)
            if value is None:
                continue
            parts.append(f"{name}={value:#x}" if name in self._hex and isinstance(value, int)
                         else f"{name}={value!r}")
        return f"{type(self).__name__}({', '.join(parts)})"

    def plain(self) -> Any:
        """The record as a dict (what `--json` prints for it)."""
        return to_plain(self.record)


class Process(_Wrapped):
    """An in-use process: `pid`, `command`, `slot`, `address`, `stat`, `flag`, `vsize`, `rss`
    (pages); `struct()` is its `struct proc`."""

    record: Proc
    _shown = ("pid", "command", "address", "slot", "rss")

    def struct(self) -> Object:
        return self._dump.struct("struct proc", self.record.address)


class KThread(_Wrapped):
    """A kernel thread: `tid`, `pid`, `command`, `address`, `stat`, `pri`, `wchan`, ...;
    `struct()` is its `struct kthread`."""

    record: Thread
    _shown = ("tid", "pid", "command", "address", "stat", "wchan")

    def struct(self) -> Object:
        return self._dump.struct("struct kthread", self.record.address)


class Event(_Wrapped):
    """A crash event: `index`, `kind` (PANIC, TOC, HPMC...), `cpu`, `hpa`, `rpb`; `trace()`
    its stack unwound through traps, `frames()` the function names, innermost first."""

    record: CrashEvent
    _shown = ("index", "kind", "cpu", "hpa")

    def trace(self) -> Any:
        from q4py.unwind import unwind_event

        return unwind_event(self._dump.program, self.record)

    def frames(self) -> list[str]:
        """`panic+0x14`, ... innermost first, across traps (the pc in hex where no symbol
        holds it)."""
        return [frame.name or f"{frame.pc:#x}" for segment in self.trace().segments
                for frame in segment.frames]
