"""The script API: what a `run` script gets to read the dump and print.

A script is a Python file `NAME.py` defining `run(q4: Q4Script, args: list[str]) -> None`.
`run NAME ARGS...` loads it and calls it with a `Q4Script` for the current session. Scripts
read the dump through `q4.prog` (a `q4py.program.Program`) and the helpers below, work with the
session's piles (`q4.piles`, `q4.make_pile`), run any q4 command (`q4.execute`), format figures
as HP's tools do (`q4.fmt`), print with `q4.print` / `q4.out` / `q4.stream`, report progress
(`q4.progress`), and stop with `q4.error(...)`. See docs/scripting.md.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING, Any, NoReturn, TextIO

from q4py.addr import c_hex, format_p4_value, format_q4_address, format_space_offset
from q4py.analyses.events import CrashEventsReport, analyze_events
from q4py.analyses.general import GeneralInfo, general_info
from q4py.analyses.kmem import KernelMemoryUsage, kernel_memory_usage
from q4py.analyses.lock import DeadlockedLock, deadlocked_lock
from q4py.analyses.memory import MemoryGlobals, memory_globals
from q4py.analyses.semaphores import SemaWaiter, beta_sema_waiters
from q4py.errors import CommandError
from q4py.kernel.maps import ResourceMap, map_global_names, resource_map
from q4py.layouts.base import c_string
from q4py.layouts.save_state import REGISTERS, SS_WIDEREGS
from q4py.piles import LAYOUT_KINDS, Pile, PileHistory, PileItem, check_name
from q4py.program import Program
from q4py.render.text import kmem_size, pages_in_mb, percent
from q4py.vmunix import Symbol

if TYPE_CHECKING:
    from q4py.dump import Dump, Object
    from q4py.shell.session import Session


class Formatters:
    """`q4.fmt`: the formatting HP's tools use, the very functions q4py's commands print with
    (q4py.addr, q4py.render.text), so a script's figures look like the reports'."""

    q4_address = staticmethod(format_q4_address)  # (space, offset, wide=False) -> 0x0.0x...
    space_offset = staticmethod(format_space_offset)  # (space, offset) -> 0.0x804920
    c_hex = staticmethod(c_hex)  # C's %#x: 0 -> "0", 42 -> "0x2a"
    p4_value = staticmethod(format_p4_value)  # (value, size) -> 0x0001, 0x00000000_1a98f7c0
    pages_in_mb = staticmethod(pages_in_mb)  # 4438 -> "4438 pages (17.34 MB)"
    kmem_size = staticmethod(kmem_size)  # pages -> "544.0k", "957.7m", "1.2g"
    percent = staticmethod(percent)  # (part, whole) -> whole percent, half up


FORMATTERS = Formatters()


class Q4Script:
    """The object a script's `run(q4, args)` receives: a view of one q4 session."""

    fmt = FORMATTERS

    def __init__(self, session: Session, name: str = "script",
                 args: Iterable[str] = ()) -> None:
        self.session = session
        self.prog: Program = session.program
        self.name = name
        # What `history` shows as the command that made a pile the script pushes.
        self.command = " ".join(["run", name, *args])

    # -- output -----------------------------------------------------------------------------
    @property
    def stream(self) -> TextIO:
        """The session's output stream, looked up at each use: a `run ... > FILE` or a replay
        swaps it while the script runs."""
        return self.session.out

    def out(self, text: str) -> None:
        """Write `text` as it is (no newline added)."""
        self.stream.write(text)

    def print(self, *args: Any, sep: str = " ", end: str = "\n") -> None:
        """Like the built-in print, to the session's output."""
        print(*args, sep=sep, end=end, file=self.stream)

    def error(self, message: str) -> NoReturn:
        """Stop the script; q4 prints `q4: NAME: MESSAGE` as one line."""
        raise CommandError(f"{self.name}: {message}")

    def progress(self, done: int, total: int | None, what: str) -> None:
        """Say how far a long job is (`done` of `total`, None when unknown). On a terminal the
        REPL shows a status line; batch output and transcripts never show anything."""
        self.session.progress(done, total, what)

    def execute(self, line: str) -> bool:
        """Run a q4 command line as if typed (`load ...`, `print -x ...`, `history`); its
        output goes to the script's output, an error prints its one `q4:` line there. True
        when the command succeeded. Piles it makes are the session's, as after a typed line."""
        from q4py.commands.include import MAX_DEPTH  # the nesting bound `include` uses

        depth = self.session.include_depth
        if depth >= MAX_DEPTH:
            raise CommandError(f"{self.name}: commands run from scripts and files nest more "
                               f"than {MAX_DEPTH} deep (does a script run itself?)")
        self.session.include_depth = depth + 1
        try:
            return self.session.execute(line)
        finally:
            self.session.include_depth = depth

    # -- piles -------------------------------------------------------------------------------
    @property
    def piles(self) -> PileHistory:
        """The session's pile history: `piles.current` is `it` (a CommandError when there is
        none), `piles.list()` every pile oldest first, `piles.get(N|NAME)` one of them."""
        return self.session.piles

    def make_pile(self, type_name: str, addresses: Iterable[int | PileItem], *, space: int = 0,
                  layout: str = "kept", name: str | None = None) -> Pile | None:
        """Push a new pile of `type_name` (`proc_t`, `struct buf`) structures, which becomes
        `it`: one read at each address of `addresses` (in `space`; `indexof` is the position
        in `addresses`), or, for an item of another pile, that item as it is (its space, index
        and decoded value). `layout` is the word `history` shows: `kept` (picked out, the
        default), `array` or `list` when the script walked one. `name` names the pile (as
        `name it NAME`). Nothing is pushed when `addresses` is empty (None is returned): no
        command makes an empty pile. A read that fails stops the script with a Q4Error naming
        the address, and nothing is pushed."""
        from q4py.commands.load import display_name  # q4's own type naming

        if layout not in LAYOUT_KINDS:
            self.error(f"make_pile: layout must be one of {', '.join(LAYOUT_KINDS)}, "
                       f"not {layout!r}")
        if name is not None:
            check_name(name)
        kind = self.prog.types.get(type_name)
        items = [where if isinstance(where, PileItem)
                 else PileItem(space, where, self.prog.read_struct(kind, where, space), index)
                 for index, where in enumerate(addresses)]
        if not items:
            return None
        pile = self.piles.make(kind, display_name(kind, type_name), layout, items, self.command)
        return self.piles.name_current(name) if name is not None else pile

    # -- reading the dump ---------------------------------------------------------------------
    @property
    def dump(self) -> Dump:
        """The session's dump as the Python library sees it (docs/library.md): typed Objects
        (`q4.dump.struct("proc_t", ADDR).p_comm.value_()` is text), iterators, analyses."""
        from q4py.dump import Dump

        return Dump(self.prog)

    def struct(self, item: PileItem, type_name: str | None = None) -> Object:
        """A pile item (or any address) as a typed library Object: members as attributes,
        char arrays as text (`q4.struct(item).p_comm.value_()` is `'java'`), pointers
        followed (`.p_vas.va_rss`). `type_name` defaults to the current pile's type."""
        name = type_name or self.piles.current.layout.name
        return self.dump.struct(name, item.address, item.space)

    @staticmethod
    def text(raw: bytes) -> str:
        """A char array's bytes as text, up to the first NUL (Latin-1): what a decoded
        structure's `p_comm` holds (`bytes`) as `str`."""
        return c_string(raw)

    def symbol(self, name: str) -> Symbol:
        """A kernel symbol (name, address, size, kind); a Q4Error if vmunix has no such name."""
        return self.prog.symbol(name)

    def read_global(self, name: str) -> Any:
        """A kernel global decoded with its C type (pointers are ints, structs Containers)."""
        return self.prog.read_global(name)

    def resource_map(self, symbol_name: str) -> ResourceMap:
        """The resource map a kernel global `struct map *` points at (`sysmap`, ...):
        `q4py.kernel.maps.ResourceMap` with `name`, `mapsize`, `entries` (index, addr, size),
        `total_free`, `largest_free`, `depleted`. Reading a large map reports progress."""
        return resource_map(self.prog, symbol_name, progress=self.progress)

    def resource_map_names(self) -> list[str]:
        """Every `struct map *` kernel global this kernel has (sysmap, sysmap_32bit, ...),
        sorted; several may point at one map (compare `resource_map(name).address`)."""
        return map_global_names(self.prog)

    def symbolize(self, address: int) -> str | None:
        """`panic+0x14` for an address a kernel symbol holds, else None."""
        return self.prog.symbolize(address)

    def disassemble(self, word: int, pc: int) -> str | None:
        """One PA-RISC instruction word as text (`ldw  0(sr2,arg1),ret0`), a branch target
        named by a kernel symbol. (None was the answer of q4py versions without a
        disassembler; scripts may still test for it.)"""
        from q4py.analyses.disassembly import symbolic_text

        return symbolic_text(self.prog, word, pc)

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

    def sema_waiters(self) -> list[SemaWaiter]:
        """Beta Semaphore Checks: every thread asleep on a beta semaphore (`tid`, `owner_tid`,
        -1 for none, `ticks`, `sema`, `caller`), semaphore by semaphore."""
        return beta_sema_waiters(self.prog)

    def deadlocked_lock(self) -> DeadlockedLock | None:
        """The spinlock of a "Spinlock deadlock" panic (`address`, `name`, `holder_cpu`,
        `holder`: the holder's last crash event unwound), or None when the dump has none."""
        return deadlocked_lock(self.prog)
