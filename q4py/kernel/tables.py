"""Table sizes read from the dump (`nmpinfo`, `nkthread`, `npfdat_chunks`, ...), and the walk
of a kernel list bounded by one.

Each is a C int: a garbled one reads as a negative number (0x80000000 is -2147483648) or, were
it unsigned, as billions of entries. Either is named in one line instead of reaching a read as a
negative size or an endless loop.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

from q4py.errors import Q4Error, ReadError
from q4py.program import Program

INT_MAX = 0x7FFFFFFF
PROBE_PAGE = 0x1000  # readable_entries tries one byte a page
TABLE_BYTES_MAX = 1 << 26  # 60 000 kthreads take 11 MB; 64 MB of them decode to 350 000 records

_NO_DEFAULT: Any = object()
T = TypeVar("T")


def table_size(prog: Program, name: str, default: Any = _NO_DEFAULT) -> int:
    """The kernel global `name` as a table size; Q4Error `NAME = VALUE is not a table size`
    when it is negative or past INT_MAX. With `default`, a kernel without the symbol gives it."""
    value = prog.read_global(name) if default is _NO_DEFAULT else prog.global_or(name, default)
    if not isinstance(value, int) or not 0 <= value <= INT_MAX:
        raise Q4Error(f"{name} = {value} is not a table size")
    return value


def readable_entries(prog: Program, base: int, size: int, count: int) -> int:
    """How many of the `count` entries of `size` bytes from `base` the dump holds, up to the
    first it cannot read (a garbled count, or table pointer, that runs past the dump): a
    table's readers call it when reading the whole fails, and show those entries. No kernel
    table is larger than TABLE_BYTES_MAX: the entries past it are not looked for."""
    end, address = base + min(size * count, TABLE_BYTES_MAX), base
    while address < end:
        try:
            prog.read(address, 1)
        except ReadError:
            break
        address = (address | (PROBE_PAGE - 1)) + 1
    return max(0, min(count, (address - base) // size))


def table_bytes(prog: Program, base: int, size: int, count: int) -> bytes:
    """The `count` entries of `size` bytes from `base`, or (part of the table is not in the
    dump) those readable_entries finds, fewer."""
    try:
        return prog.read(base, size * count)
    except ReadError:
        return prog.read(base, size * readable_entries(prog, base, size, count))


def walk_list(head: int, step: Callable[[int], tuple[T, int]], limit: int, *, name: str,
              noun: str, limit_name: str) -> tuple[list[tuple[int, T]], str | None]:
    """The entries of the kernel list `name` from `head`: (address, step's item) each, `step`
    giving an entry's item and the next address, at most `limit` of them (0: no bound).

    A corrupt link ends the walk where it loops, leaves the dump or passes the limit; the
    entries before it stand, and the second value says why the list ended there (None: it
    ended at a null link)."""
    out: list[tuple[int, T]] = []
    seen: set[int] = set()
    address = head
    while address and (not limit or len(out) < limit):
        if address in seen:
            return out, f"{name} loops back to {address:#x} after {len(out)} {noun}"
        seen.add(address)
        try:
            item, following = step(address)
        except Q4Error as err:
            return out, f"{name} ends after {len(out)} {noun}: {err}"
        out.append((address, item))
        address = following
    if address:
        return out, f"{name} goes on past {limit_name} ({limit}) {noun}, at {address:#x}"
    return out, None
