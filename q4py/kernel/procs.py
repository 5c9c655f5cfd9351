"""The 11.00 process table: `proc[nproc]`, each slot's `struct vas` and its command name.

A slot is in use when `p_stat` is not SUNUSED. The command name of slot i is `pst_ucomms[i]`,
a NUL-terminated char[15] in a parallel array. 11i kernels link their processes instead
(`proc_list` through `p_factp`) and keep the name in `p_comm`.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from functools import cached_property, partial
from itertools import compress
from typing import Any, NamedTuple

from q4py.errors import ReadError
from q4py.kernel.tables import table_bytes, table_size
from q4py.layouts.base import Layout, c_string
from q4py.layouts.columns import member_column
from q4py.layouts.proc import PST_UCOMMLEN, SDEACT, SUNUSED
from q4py.layouts.vm import PAGE_SIZE
from q4py.program import Program

_PAGES_KEPT = 256  # pages _gather keeps between structures
_TABLE_SLICE = 1 << 18  # bytes of the process table read at a time


class Proc(NamedTuple):
    """One in-use slot of the process table, with the sizes of its address space in pages.

    A named tuple: a 30 000-process table makes them by the thousand, and tuples are built in C.
    """

    slot: int
    address: int
    pid: int
    stat: int
    flag: int
    command: str
    vsize: int  # vas.va_vsize
    rss: int  # vas.va_rss
    swap: int  # vas.va_swprss

    @property
    def deactivated(self) -> bool:
        return bool(self.flag & SDEACT)


_new_proc = partial(tuple.__new__, Proc)


@dataclass(frozen=True)
class ProcessTable:
    """The in-use processes column by column: process `i` is the i-th in table order (11i:
    list order), in slot `slots[i]`.

    The members of the process table are kept as they were decoded, one column per member
    over every slot (`slot_pids`, ...: arrays made in C); the sizes of each process's address
    space are columns over the processes. No object is made per process: `proc(i)` makes the
    `Proc` of one and `command(i)` cuts one name, for the few a report prints.
    """

    in_use: Sequence[Any]  # one truth value per slot
    slot_pids: Sequence[int]
    slot_stats: Sequence[int]
    slot_flags: Sequence[int]
    vsizes: Sequence[int]  # vas.va_vsize of each process, pages
    rss: Sequence[int]  # vas.va_rss of each process, pages
    swaps: Sequence[int]  # vas.va_swprss of each process, pages
    table: int = 0  # address of proc[0] (11.00)
    slot_size: int = 0  # sizeof(struct proc)
    names: bytes = b""  # pst_ucomms (11.00): slot i's name is at i * PST_UCOMMLEN
    listed: tuple[Proc, ...] = ()  # 11i: the processes as made from the list

    def __len__(self) -> int:
        return len(self.rss)

    @cached_property
    def slots(self) -> list[int]:
        """The slot of each process (made on first use)."""
        return list(compress(range(len(self.in_use)), self.in_use))

    def pid(self, i: int) -> int:
        return self.slot_pids[self.slots[i]]

    def stat(self, i: int) -> int:
        return self.slot_stats[self.slots[i]]

    def flag(self, i: int) -> int:
        return self.slot_flags[self.slots[i]]

    def address(self, i: int) -> int:
        if self.listed:
            return self.listed[i].address
        return self.table + self.slots[i] * self.slot_size

    def command(self, i: int) -> str:
        if self.listed:
            return self.listed[i].command
        at = self.slots[i] * PST_UCOMMLEN
        return c_string(self.names[at:at + PST_UCOMMLEN])

    def proc(self, i: int) -> Proc:
        if self.listed:
            return self.listed[i]
        return Proc(self.slots[i], self.address(i), self.pid(i), self.stat(i), self.flag(i),
                    self.command(i), self.vsizes[i], self.rss[i], self.swaps[i])

    def procs(self) -> list[Proc]:
        """Every process as a Proc (one object each: for callers that want them all)."""
        if self.listed:
            return list(self.listed)
        return [self.proc(i) for i in range(len(self))]

    @property
    def deactivated(self) -> int:
        """How many processes the memory scheduler deactivated (SDEACT in p_flag)."""
        flags = compress(self.slot_flags, self.in_use)
        return sum(map(SDEACT.__and__, flags)) // SDEACT  # each one adds SDEACT once

    def largest(self, count: int, by: str = "rss") -> list[int]:
        """The positions of the `count` largest by resident pages (`by="swaps"`: by swap
        pages), ties in table order."""
        column: Sequence[int] = getattr(self, by)
        return sorted(range(len(self)), key=column.__getitem__, reverse=True)[:count]


def processes(prog: Program) -> list[Proc]:
    """In-use processes in table order (11i: in `proc_list` order)."""
    return process_table(prog).procs()


def process_table(prog: Program) -> ProcessTable:
    """The in-use processes, column by column (11i: in `proc_list` order)."""
    if prog.has_symbol("proc_list"):
        from q4py.kernel.proclist import listed_processes  # it builds on Proc

        listed = tuple(listed_processes(prog))
        columns = [list(column) for column in zip(*listed, strict=True)] or [[]] * 9
        _, _, pids, stats, flags, _, vsizes, rss, swaps = columns
        return ProcessTable([True] * len(listed), pids, stats, flags, vsizes, rss, swaps,
                            listed=listed)
    proc_layout = prog.types.get("struct proc")
    vas_layout = prog.types.get("struct vas")
    table = prog.read_global("proc")
    nproc = table_size(prog, "nproc")
    # The members used, column by column, a slice of the table at a time (all in C); a
    # table past the dump (a garbled nproc) ends where the dump does.
    stats, flags, pids, spaces = _table_columns(
        prog, proc_layout, ("p_stat", "p_flag", "p_pid", "p_vas"), table, nproc)
    # names past the dump are empty, the rest of each process still shows
    names = table_bytes(prog, prog.read_global("pst_ucomms"), PST_UCOMMLEN, len(stats))
    in_use = stats if SUNUSED == 0 else list(map(SUNUSED.__ne__, stats))
    # system processes may have no address space (p_vas NULL): their sizes are 0
    vas = _gather(prog, vas_layout.size, list(compress(spaces, in_use)))
    return ProcessTable(in_use, pids, stats, flags, member_column(vas_layout, "va_vsize", vas),
                        member_column(vas_layout, "va_rss", vas),
                        member_column(vas_layout, "va_swprss", vas), table=table,
                        slot_size=proc_layout.size, names=names)


def _table_columns(prog: Program, layout: Layout, names: Sequence[str], address: int,
                   count: int) -> list[Any]:
    """Members `names` of `count` consecutive structures, each a column, read a slice at a
    time (the same memory reused, where one huge read costs a page fault per fresh 4 KB)."""
    size = layout.size
    step = max(1, _TABLE_SLICE // size)
    columns: list[Any] = [None] * len(names)
    for first in range(0, count, step):
        data = table_bytes(prog, address + first * size, size, min(step, count - first))
        for i, name in enumerate(names):
            piece = member_column(layout, name, data)
            if columns[i] is None:
                columns[i] = piece
            else:
                columns[i] += piece
        if len(data) < min(step, count - first) * size:
            break  # the rest is not in the dump
    return [[] if column is None else column for column in columns]


def _gather(prog: Program, size: int, addresses: list[int]) -> bytes:
    """The structures of `size` bytes at `addresses` (space 0), one after the other; zeros
    for a NULL address. Each page is read once.

    Equal to reading each structure on its own (that is the path taken for a structure
    crossing a page, or on a page that cannot be read, so errors are the same), but 30 000
    processes cost one read, or a few hundred, instead of 30 000.
    """
    present = list(filter(None, addresses))
    if not present:
        return bytes(size * len(addresses))
    low, high = min(present), max(present) + size
    if high - low <= max(4 * size * len(present), PAGE_SIZE):
        # Densely packed (an array the kernel allocated them from): one read for all.
        try:
            blob = prog.read(low, high - low)
        except ReadError:
            pass  # a hole somewhere: page by page below, failing where a structure does
        else:
            if len(present) == len(addresses) and present == list(range(low, high, size)):
                return blob  # one after the other, as in the table
            zero = bytes(size)
            return b"".join([blob[a - low:a - low + size] if a else zero for a in addresses])
    pages: dict[int, bytes] = {}
    out: list[bytes] = []
    zero = bytes(size)
    for address in addresses:
        if not address:
            out.append(zero)
            continue
        offset = address % PAGE_SIZE
        if offset + size <= PAGE_SIZE:
            base = address - offset
            page = pages.get(base)
            if page is None:
                if len(pages) >= _PAGES_KEPT:
                    pages.clear()
                try:
                    page = prog.read(base, PAGE_SIZE)
                except ReadError:
                    page = b""
                pages[base] = page
            if page:
                out.append(page[offset:offset + size])
                continue
        out.append(prog.read(address, size))
    return b"".join(out)
