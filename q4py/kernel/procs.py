"""The 11.00 process table: `proc[nproc]`, each slot's `struct vas` and its command name.

A slot is in use when `p_stat` is not SUNUSED. The command name of slot i is `pst_ucomms[i]`,
a NUL-terminated char[15] in a parallel array. 11i kernels link their processes instead
(`proc_list` through `p_factp`) and keep the name in `p_comm`.
"""

from __future__ import annotations

import struct
from collections.abc import Iterable
from functools import partial
from typing import Any, NamedTuple

from q4py.errors import ReadError
from q4py.layouts.base import Layout
from q4py.layouts.proc import PST_UCOMMLEN, SDEACT, SUNUSED
from q4py.layouts.vm import PAGE_SIZE
from q4py.program import Program

_PAGES_KEPT = 256  # pages _records_at keeps between structures
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

    @property
    def deactivated(self) -> bool:
        return bool(self.flag & SDEACT)


_new_proc = partial(tuple.__new__, Proc)


def processes(prog: Program) -> list[Proc]:
    """In-use processes in table order (11i: in `proc_list` order)."""
    if prog.has_symbol("proc_list"):
        from q4py.kernel.proclist import listed_processes  # it builds on Proc

        return listed_processes(prog)
    proc_layout = prog.types.get("struct proc")
    vas_layout = prog.types.get("struct vas")
    table = prog.read_global("proc")
    nproc = prog.read_global("nproc")
    names = prog.read(prog.read_global("pst_ucomms"), PST_UCOMMLEN * nproc).decode("latin-1")
    # Only the members used are decoded: projections derived from the layouts.
    members = proc_layout.projection(("p_stat", "p_flag", "p_pid", "p_vas"))
    records = _table(prog, proc_layout.size, members, table, nproc)
    # Column by column: each a comprehension or a C loop, no per-process function calls.
    slots = [slot for slot, rec in enumerate(records) if rec[0] != SUNUSED]
    used = [records[slot] for slot in slots]
    # system processes may have no address space (p_vas NULL)
    sizes = vas_layout.projection(("va_rss", "va_vsize"))
    spaces = _records_at(prog, vas_layout, sizes, [rec[3] for rec in used])
    size = proc_layout.size
    return list(map(_new_proc, zip(
        slots,
        [table + slot * size for slot in slots],
        [rec[2] for rec in used],
        [rec[0] for rec in used],
        [rec[1] for rec in used],
        [names[slot * PST_UCOMMLEN:(slot + 1) * PST_UCOMMLEN].partition("\0")[0]
         for slot in slots],
        [vas[1] if vas else 0 for vas in spaces],
        [vas[0] if vas else 0 for vas in spaces],
        strict=True,
    )))


def _table(prog: Program, size: int, members: struct.Struct, address: int,
           count: int) -> list[tuple[Any, ...]]:
    """`count` consecutive structures of `size` bytes decoded with `members`, read in slices."""
    step = max(1, _TABLE_SLICE // size)
    records: list[tuple[Any, ...]] = []
    for first in range(0, count, step):
        n = min(step, count - first)
        records += members.iter_unpack(prog.read(address + first * size, n * size))
    return records


def _records_at(prog: Program, layout: Layout, members: struct.Struct,
                addresses: Iterable[int]) -> list[tuple[Any, ...] | None]:
    """The structure at each address (space 0) decoded with `members` (a struct over the whole
    layout, like its projections), reading each page once; None for a NULL address.

    Equal to reading each structure on its own (that is the path taken for a structure
    crossing a page, or on a page that cannot be read, so errors are the same), but 30 000
    processes cost one read, or a few hundred, instead of 30 000.
    """
    unpack_from, size = members.unpack_from, layout.size
    addresses = list(addresses)
    present = [address for address in addresses if address]
    if not present:
        return [None] * len(addresses)
    low, high = min(present), max(present) + size
    if high - low <= max(4 * size * len(present), PAGE_SIZE):
        # Densely packed (an array the kernel allocated them from): one read for all.
        try:
            blob = prog.read(low, high - low)
        except ReadError:
            pass  # a hole somewhere: page by page below, failing where a structure does
        else:
            if len(present) == len(addresses) and present == list(range(low, high, size)):
                return list(members.iter_unpack(blob))  # one after the other: all in C
            return [unpack_from(blob, address - low) if address else None
                    for address in addresses]
    pages: dict[int, bytes] = {}
    out: list[tuple[Any, ...] | None] = []
    for address in addresses:
        if not address:
            out.append(None)
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
                out.append(unpack_from(page, offset))
                continue
        out.append(members.unpack(prog.read(address, size)))
    return out
