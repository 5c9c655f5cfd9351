"""What every forge builder shares: the scenario, the memory image, the types, and the kernel's
symbols and text words as they are placed.

Builders are functions taking this context; values one builder hands another (the mpinfo array,
the processes) go through the orchestrator in `build.py`, not through here.
"""

from __future__ import annotations

from bisect import bisect_left
from typing import TYPE_CHECKING, Any

from q4py.errors import ScenarioError
from q4py.forge.memory import ForgeMemory
from q4py.layouts import KERNEL_GLOBALS, NARROW, WIDE, LayoutError, TypeRegistry, registry_for
from q4py.layouts.base import CType, complete_value
from q4py.layouts.vm import PAGE_SIZE

if TYPE_CHECKING:
    from q4py.forge.kernel import KernelFunction


class ForgeContext:
    """One scenario's machine as it is being built."""

    def __init__(self, scenario: dict[str, Any]) -> None:
        self.sc = scenario
        system, kernel, pages = scenario["system"], scenario["kernel"], scenario["pages"]
        self.wide: bool = system["width"] == "wide"
        self.types: TypeRegistry = registry_for(WIDE if self.wide else NARROW)
        self.mem = ForgeMemory(system["memory_pages"], kernel["heap"])
        self.functions: dict[str, KernelFunction] = {}
        self.symbols: dict[str, tuple[int, int]] = {}  # data objects: name -> (address, size)
        self.explicit: dict[str, int] = dict(kernel["symbols"])  # addresses the scenario fixes
        self.text_words: dict[int, int] = {}  # kernel text the forge writes: address -> word
        # Sections as (address, size); .data follows .text unless the scenario places it.
        self.text = (kernel["text_address"], pages["text"] * PAGE_SIZE)
        data_address = kernel["data_address"]
        if data_address < 0:
            data_address = self.text[0] + self.text[1]
        self.data = (data_address, pages["data"] * PAGE_SIZE)
        self.bss = (data_address + self.data[1], pages["bss"] * PAGE_SIZE)
        self._data_cursor = data_address
        # Structures placed so far, sorted by (space, address): two never share a byte.
        self._placed_keys: list[tuple[int, int]] = []
        self._placed: list[tuple[int, str, str]] = []  # (end, type, scenario path)

    # -- symbols -------------------------------------------------------------------------------
    def place_symbol(self, name: str, size: int) -> int:
        """Give data symbol `name` its address: the scenario's, else the next 8-aligned spot in
        .data."""
        if name in self.explicit:
            address = self.explicit[name]
        else:
            self._data_cursor += -self._data_cursor % 8
            address = self._data_cursor
            self._data_cursor += size
        self.symbols[name] = (address, size)
        return address

    def place_global(self, name: str, size: int | None = None) -> int:
        """The address of kernel global `name`, placing it the first time (`size` overrides
        its type's, for arrays sized by the scenario)."""
        if name in self.symbols:
            return self.symbols[name][0]
        path = f"globals.{name}"
        if size is None:
            size = self._global_ctype(name, path).size
        elif name not in KERNEL_GLOBALS:
            raise ScenarioError(path, "not a kernel global q4py knows the type of")
        return self.place_symbol(name, size)

    def set_global(self, name: str, value: Any, path: str | None = None) -> int:
        path = path or f"globals.{name}"
        ctype = self._global_ctype(name, path)
        address = self.place_global(name)
        self.write_value(ctype, address, value, path)
        return address

    def _global_ctype(self, name: str, path: str) -> CType:
        decl = KERNEL_GLOBALS.get(name)
        if decl is None:
            raise ScenarioError(path, "not a kernel global q4py knows the type of")
        return self.ctype(decl.ctype, path)

    # -- typed writes --------------------------------------------------------------------------
    def ctype(self, spelling: str, path: str) -> CType:
        try:
            return self.types.ctype(spelling)
        except LayoutError as err:
            raise ScenarioError(path, str(err)) from None

    def write_value(self, ctype: CType, address: int, value: Any, path: str,
                    space: int = 0) -> None:
        try:
            if ctype.kind == "struct":
                assert ctype.layout is not None
                data = ctype.layout.build(value)
            else:
                # ScenarioError names `path`: the message itself must not repeat it.
                data = ctype.subcon.build(complete_value(ctype, value))
        except LayoutError as err:
            raise ScenarioError(path, str(err)) from None
        except Exception as err:  # construct's own errors on a bad value
            raise ScenarioError(path, f"bad value for {ctype.spelling}: {err}") from None
        self.mem.write(address, data, space)

    def place(self, type_name: str, address: int, fields: dict[str, Any], path: str,
              space: int = 0) -> None:
        """A structure of type `type_name` at `address`, members not given zero."""
        try:
            layout = self.types.get(type_name)
        except LayoutError as err:
            raise ScenarioError(path, str(err)) from None
        self._claim(space, address, layout.size, layout.name, path)
        self.write_value(self.types.ctype(layout.name), address, fields, path, space)

    def _claim(self, space: int, address: int, size: int, type_name: str, path: str) -> None:
        """Record a structure's bytes; ScenarioError when they overlap one placed before (a
        scenario that puts an rpb onto another event's rpb describes no machine)."""
        keys, placed = self._placed_keys, self._placed
        key = (space, address)
        i = bisect_left(keys, key)
        for j in (i - 1, i):
            if 0 <= j < len(keys) and keys[j][0] == space:
                start, (end, other_type, other_path) = keys[j][1], placed[j]
                if start < address + size and address < end:
                    where = f"{space:#x}.{start:#x}" if space else f"{start:#x}"
                    raise ScenarioError(path, f"{type_name} at {address:#x} ({size:#x} bytes) "
                                        f"overlaps {other_type} at {where} ({other_path})")
        keys.insert(i, key)
        placed.insert(i, (address + size, type_name, path))

    def string(self, text: str) -> int:
        """A NUL-terminated string in kernel dynamic data; returns its address."""
        raw = text.encode("latin-1") + b"\0"
        address = self.mem.alloc(len(raw), 4)
        self.mem.write(address, raw)
        return address
