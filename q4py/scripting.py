"""The script API: what a `run` script gets to read the dump and print.

A script is a Python file `NAME.py` defining `run(q4: Q4Script, args: list[str]) -> None`.
`run NAME ARGS...` loads it and calls it with a `Q4Script` for the current session. Scripts
read the dump through `q4.prog` (a `q4py.program.Program`) and the helpers below, print with
`q4.print` / `q4.out`, and stop with `q4.error(...)`. See docs/scripting.md.
"""

from __future__ import annotations

from typing import Any, NoReturn, TextIO

from q4py.analyses.events import CrashEventsReport, analyze_events
from q4py.analyses.general import GeneralInfo, general_info
from q4py.analyses.kmem import KernelMemoryUsage, kernel_memory_usage
from q4py.analyses.lock import DeadlockedLock, deadlocked_lock
from q4py.analyses.memory import MemoryGlobals, memory_globals
from q4py.errors import CommandError
from q4py.kernel.maps import ResourceMap, map_global_names, resource_map
from q4py.layouts.save_state import REGISTERS, SS_WIDEREGS
from q4py.program import Program
from q4py.vmunix import Symbol


class Q4Script:
    """The object a script's `run(q4, args)` receives."""

    def __init__(self, prog: Program, out: TextIO, name: str = "script") -> None:
        self.prog = prog
        self.name = name
        self._out = out

    def out(self, text: str) -> None:
        """Write `text` as it is (no newline added)."""
        self._out.write(text)

    def print(self, *args: Any, sep: str = " ", end: str = "\n") -> None:
        """Like the built-in print, to the session's output."""
        print(*args, sep=sep, end=end, file=self._out)

    def error(self, message: str) -> NoReturn:
        """Stop the script; q4 prints `q4: NAME: MESSAGE` as one line."""
        raise CommandError(f"{self.name}: {message}")

    # -- reading the dump ---------------------------------------------------------------------
    def symbol(self, name: str) -> Symbol:
        """A kernel symbol (name, address, size, kind); a Q4Error if vmunix has no such name."""
        return self.prog.symbol(name)

    def read_global(self, name: str) -> Any:
        """A kernel global decoded with its C type (pointers are ints, structs Containers)."""
        return self.prog.read_global(name)

    def resource_map(self, symbol_name: str) -> ResourceMap:
        """The resource map a kernel global `struct map *` points at (`sysmap`, ...):
        `q4py.kernel.maps.ResourceMap` with `name`, `mapsize`, `entries` (index, addr, size),
        `total_free`, `largest_free`, `depleted`."""
        return resource_map(self.prog, symbol_name)

    def resource_map_names(self) -> list[str]:
        """Every `struct map *` kernel global this kernel has (sysmap, sysmap_32bit, ...),
        sorted; several may point at one map (compare `resource_map(name).address`)."""
        return map_global_names(self.prog)

    def symbolize(self, address: int) -> str | None:
        """`panic+0x14` for an address a kernel symbol holds, else None."""
        return self.prog.symbolize(address)

    def disassemble(self, word: int, pc: int) -> str | None:
        """One PA-RISC instruction word as text (`ldw 0(sr2,r25),ret0`), or None when this
        q4py has no disassembler."""
        from q4py.commands.examine import disassembler

        decode = disassembler(self.prog.wide)
        return decode(word, pc) if decode is not None else None

    def saved_registers(self, address: int, space: int = 0) -> dict[str, int]:
        """The registers of the `struct save_state` at `space.address`, by save_state name
        (`pcoq_head`, `rp`, `sp`, `cr19` = IIR, `cr20` = ISR, `cr21` = IOR, ...), from its wide
        or narrow set as its `ss_flags` say."""
        ss = self.prog.read_struct("save_state", address, space)
        regs = ss.ss_wide if ss.ss_flags & SS_WIDEREGS else ss.ss_narrow
        return {name: int(regs[f"ss_{name}"]) for name in REGISTERS}

    # -- the analyses crashinfo's sections print, as data (q4py/analyses/) ---------------------
    def general(self) -> GeneralInfo:
        """General Information: node name, model, release, processors, dump time, uptime."""
        return general_info(self.prog)

    def crash_events(self) -> CrashEventsReport:
        """Crash Events: `panic_string`, `traces` (every event unwound: `event`, `segments`
        with `frames` and `trap`, `problem`) and `main`, the index of the main event."""
        return analyze_events(self.prog)

    def kernel_memory(self) -> KernelMemoryUsage:
        """Kernel Memory Usage (a pfdat scan): `physmem`, `free`, `classes`, `buckets` (MALLOC
        bucket index -> pages), `kalloc`, and the totals (`malloc`, `dynamic`, `system`...)."""
        return kernel_memory_usage(self.prog)

    def memory_globals(self) -> MemoryGlobals:
        """Memory Globals: `physmem`, `freemem`, `thresholds` (minfree, desfree, lotsfree...),
        `deactivated` processes, `deactload`, `rates`, and `desperately_low`."""
        return memory_globals(self.prog)

    def deadlocked_lock(self) -> DeadlockedLock | None:
        """The spinlock of a "Spinlock deadlock" panic (`address`, `name`, `holder_cpu`,
        `holder`: the holder's last crash event unwound), or None when the dump has none."""
        return deadlocked_lock(self.prog)
