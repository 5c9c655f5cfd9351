"""Physical pages: what each page is used for (its class), the pfdat describing them, and the
kernel allocator buckets.

The scenario counts pages per class; pages are laid out class after class, in `_runs` order,
except that the pages the forge places the kernel's text, data and bss in have those classes,
and the pages holding the buffer headers the scenario places are pages of the kalloc pool
`bufcache_bufs` (each trades classes with a page of its class, so the counts stay). pfdat is one
array of an entry per page, generated as the dump is written (a 64 GiB machine's is 768 MB),
or, for `pages.pfdat_chunks`, in pieces: some kernels allocated their page frame data after
their own early allocations, so static kernel memory, equivalently mapped memory and the
reserved pools have no entry (the kernel counts the latter two in `eqmem_pages` and
`reserved_pool_pages`). Each piece describes consecutive pages that have entries, from its
first page up to the next piece; it is placed where the scenario says, else in kernel dynamic
data.
"""

from __future__ import annotations

import sys
from array import array
from bisect import bisect_left, bisect_right
from collections.abc import Callable
from typing import Any

from q4py.errors import ScenarioError
from q4py.forge.context import ForgeContext
from q4py.forge.schema import Int, Table
from q4py.layouts import LayoutError
from q4py.layouts.base import Layout
from q4py.layouts.vm import (
    KALLOC_POOL_CODES,
    P_BAD,
    P_FREE,
    P_SYS,
    PAGE_CLASS_CODES,
    PAGE_SHIFT,
    PAGE_SIZE,
    UNLISTED_CLASS,
    bucket_element_size,
)

Run = tuple[str, int, int]  # (class, sub-class, pages)
Moved = dict[int, tuple[str, int]]  # page -> the class (and sub-class) it has instead

UNMANAGED = ("static", "eqmem", "reserved")  # classes without pfdat entries in pieces

PFDAT_CHUNK = Table("A piece of pfdat.", keys={
    "pfn": Int("First page it describes (a page that has an entry).", required=True,
               minimum=0),
    "address": Int("Where the piece is (space 0); -1: kernel dynamic data.", default=-1),
})


def build_pages(ctx: ForgeContext) -> None:
    pages = ctx.sc["pages"]
    total = ctx.sc["system"]["memory_pages"]
    holding = _header_pages(ctx)
    if holding and "bufcache_bufs" not in pages["kalloc"]:
        # Unstated, the pool is the pages the headers occupy (taken from `user`).
        pages = {**pages, "kalloc": {**pages["kalloc"], "bufcache_bufs": len(holding)}}
    runs = _runs(pages, total)
    layout = ctx.types.get("struct pfdat")
    moved = _placed_pages(ctx, runs, holding, bool(pages["pfdat_chunks"]))
    if pages["pfdat_chunks"]:
        pfdat = _build_chunks(ctx, layout, runs, set(pages["bad"]), moved)
    else:
        pfdat = ctx.mem.alloc_region(layout.size * total,
                                     pfdat_fill(layout, runs, set(pages["bad"]), total, moved))
    ctx.set_global("pfdat", pfdat)
    ctx.set_global("freemem", pages["free"])
    if pages["arenas"]:
        _arena_table(ctx, list(pages["arenas"]))
    else:
        ctx.set_global("bucket", [_bucket(pages["buckets"].get(str(index), 0), index)
                                  for index in range(21)])


def _arena_table(ctx: ForgeContext, names: list[str]) -> None:
    """An 11i kernel's arenas, in the order the scenario lists them (pf_ksub indexes them)."""
    if ctx.sc["pages"]["buckets"]:
        raise ScenarioError("pages.arenas", "a kernel has MALLOC buckets or arenas, not both")
    layout = ctx.types.get("struct kmem_arena")
    table = ctx.mem.alloc(layout.size * len(names), 8)
    for i, name in enumerate(names):
        ctx.place("struct kmem_arena", table + i * layout.size,
                  {"ka_name": name.encode()}, f"pages.arenas.{name}")
    ctx.set_global("kmem_arenas", table, "pages.arenas")
    ctx.set_global("nkmem_arenas", len(names), "pages.arenas")


def _runs(pages: dict[str, Any], total: int) -> list[Run]:
    """Every class's pages in layout order; `user` takes what the others leave."""
    runs = [(name, 0, pages[name]) for name in ("free", "text", "data", "bss", "static")]
    runs += [("bucket", int(key), count)
             for key, count in sorted(pages["buckets"].items(), key=lambda kv: int(kv[0]))]
    runs += [("arena", i, count) for i, count in enumerate(pages["arenas"].values())]
    runs += [("kalloc", KALLOC_POOL_CODES[pool], count) for pool, count in pages["kalloc"].items()]
    runs += [(name, 0, pages[name]) for name in ("reserved", "eqalloc", "bufcache", "eqmem",
                                                 "scmem", "uarea", "disowned", "unlisted")]
    used = sum(count for _, _, count in runs)
    user = pages["user"] if pages["user"] >= 0 else max(total - used, 0)
    if used + user != total:
        raise ScenarioError("pages", f"classes add up to {used + user} pages, "
                            f"not system.memory_pages = {total}")
    return [*runs, ("user", 0, user)]


def _header_pages(ctx: ForgeContext) -> dict[int, str]:
    """The pages holding the buffer headers the scenario places (`buf_lists`, `struct buf`
    objects): page -> the scenario key of a header in it."""
    size = ctx.types.get("struct buf").size
    spans = [(blist["address"], (blist["stride"] or size) * blist["count"], f"buf_lists[{i}]")
             for i, blist in enumerate(ctx.sc["buf_lists"])]
    for i, obj in enumerate(ctx.sc["objects"]):
        try:
            is_buf = ctx.types.get(obj["type"]).name == "struct buf"
        except LayoutError:
            continue  # the objects' own step names the unknown type
        if is_buf and not obj["symbol"] and obj["address"] >= 0:
            spans.append((obj["address"], size, f"objects[{i}]"))
    holding: dict[int, str] = {}
    for address, length, path in spans:
        for pfn in range(address >> PAGE_SHIFT, ((address + length - 1) >> PAGE_SHIFT) + 1):
            holding.setdefault(pfn, path)
    return holding


def _placed_pages(ctx: ForgeContext, runs: list[Run], holding: dict[int, str],
                  chunked: bool) -> Moved:
    """The pages whose class moves so that what the forge put in a page has the class the
    kernel would give it: the kernel's text, data and bss where the kernel file places them,
    and the buffer headers in the pages `holding` in the kalloc pool `bufcache_bufs` (as a
    kernel allocates them). page -> (class, sub-class). Each such page of another class trades
    classes with a page of the wanted class that holds nothing placed, so every class keeps
    its count."""
    wanted: dict[int, tuple[str, int]] = {}
    for name, (address, size) in (("text", ctx.text), ("data", ctx.data), ("bss", ctx.bss)):
        for pfn in range(-(-address >> PAGE_SHIFT), (address + size) >> PAGE_SHIFT):
            wanted[pfn] = (name, 0)  # whole pages of the section only
    pool = ("kalloc", KALLOC_POOL_CODES["bufcache_bufs"])
    starts: list[int] = []
    classes: list[tuple[int, int, str, int]] = []  # (first pfn, end, class, sub)
    pfn = 0
    for name, sub, count in runs:
        starts.append(pfn)
        classes.append((pfn, pfn + count, name, sub))
        pfn += count

    def class_at(pfn: int) -> tuple[str, int] | None:
        first, end, name, sub = classes[bisect_right(starts, pfn) - 1]
        return (name, sub) if first <= pfn < end else None

    if holding:
        size = sum(end - first for first, end, name, sub in classes if (name, sub) == pool)
        if len(holding) > size:
            raise ScenarioError("pages.kalloc.bufcache_bufs", f"the buffer headers placed "
                                f"occupy {len(holding)} pages, more than the pool's {size}")
        for pfn, path in holding.items():
            found = class_at(pfn) if pfn < _pages_end(classes) else None
            if found is None:
                raise ScenarioError(path, f"page {pfn:#x} is past system.memory_pages")
            if found[0] in UNMANAGED and chunked:
                raise ScenarioError(path, f"page {pfn:#x} is of class {found[0]}, which has no "
                                    "pfdat entry here: buffer headers are kalloc()ed")
            wanted.setdefault(pfn, pool)  # a header in the kernel's image stays image
    moved: Moved = {}
    for target in dict.fromkeys(wanted.values()):
        donors = (q for first, end, name, sub in classes if (name, sub) == target
                  for q in range(end - 1, first - 1, -1) if q not in wanted and q not in moved)
        for pfn in sorted(p for p, want in wanted.items() if want == target):
            current = class_at(pfn) if pfn < _pages_end(classes) else None
            if current is None or current == target or (current[0] in UNMANAGED and chunked):
                continue
            donor = next(donors, None)
            if donor is None:
                break  # the scenario counts fewer pages of the class than it places
            moved[pfn], moved[donor] = target, current
    return moved


def _pages_end(classes: list[tuple[int, int, str, int]]) -> int:
    """The first page past the runs."""
    return classes[-1][1] if classes else 0


def _bucket(pages: int, index: int) -> dict[str, int]:
    """kmembuckets[index]: its elements, from the pages the scenario gives it."""
    size = bucket_element_size(index) if index >= 5 else None
    if size is None:
        elements = pages
    elif size <= PAGE_SIZE:
        elements = pages * (PAGE_SIZE // size)
    else:
        if pages % (size // PAGE_SIZE):
            raise ScenarioError(f"pages.buckets.{index}", f"{pages} pages is not a "
                                f"whole number of {size // PAGE_SIZE}-page elements")
        elements = pages // (size // PAGE_SIZE)
    return {"kb_total": elements, "kb_calls": elements}


def _entry(layout: Layout, pfn: int, name: str, sub: int, bad: bool) -> bytes:
    """One pfdat entry: page `pfn` of class `name`."""
    assert layout.fast is not None, layout.name
    values = {"pf_pfn": pfn, "pf_flags": (P_FREE if name == "free" else P_SYS)
              | (P_BAD if bad else 0),
              "pf_kclass": PAGE_CLASS_CODES.get(name, UNLISTED_CLASS), "pf_ksub": sub,
              "pf_use": 0 if name == "free" else 1}
    return layout.fast.pack(*(values.get(f.name, 0) for f in layout.fields))


def pfdat_fill(layout: Layout, runs: list[Run], bad: set[int], total: int,
               moved: Moved | None = None) -> Callable[[int, int], bytes]:
    """The region fill of pfdat[0 .. total-1], one entry per page, classes in `runs` order
    except the pages `moved` to another class."""
    return entries_fill(layout, _entry_spans(layout, runs, ()), bad, 0, total, moved)


Span = tuple[int, int, int, bytes, str, int]  # (first entry, end, its pfn, template, class, sub)


def _entry_spans(layout: Layout, runs: list[Run], skip: tuple[str, ...]) -> list[Span]:
    """The pfdat entries of `runs` in layout order, as spans of alike entries; the pages of a
    class in `skip` have no entry (they still take their page frame numbers)."""
    spans: list[Span] = []
    entry = pfn = 0
    for name, sub, count in runs:
        if count and name not in skip:
            spans.append((entry, entry + count, pfn, _entry(layout, 0, name, sub, False),
                          name, sub))
            entry += count
        pfn += count
    return spans


def entries_fill(layout: Layout, spans: list[Span], bad: set[int], first_entry: int,
                 count: int, moved: Moved | None = None) -> Callable[[int, int], bytes]:
    """The region fill of the entries first_entry .. first_entry+count-1 of `spans`, the
    pages `moved` given their new class.

    Entries of a span differ only in `pf_pfn`, so a batch is its spans' template entries
    repeated, then the pfn column laid over them with strided slices: no per-entry Python but
    for the bad and moved pages.
    """
    moved = moved or {}
    special = sorted(bad | set(moved))
    size = layout.size
    pfn_field = layout.field("pf_pfn")
    offset, width = pfn_field.offset, pfn_field.size
    typecode = {2: "H", 4: "I", 8: "Q"}[width]

    def entries(first: int, end: int) -> bytearray:
        out = bytearray()
        column = array(typecode)
        for start, stop, pfn0, template, _, _ in spans:
            if start < end and first < stop:
                lo, hi = max(start, first), min(stop, end)
                out += template * (hi - lo)
                column.extend(range(pfn0 + lo - start, pfn0 + hi - start))
        if sys.byteorder == "little":
            column.byteswap()
        raw = column.tobytes()
        for k in range(width):
            out[offset + k::size] = raw[k::width]
        for start, stop, pfn0, _, name, sub in spans:
            lo, hi = max(start, first), min(stop, end)
            if lo >= hi:
                continue
            low_pfn, high_pfn = pfn0 + lo - start, pfn0 + hi - start
            for pfn in special[bisect_left(special, low_pfn):bisect_left(special, high_pfn)]:
                at = (start + pfn - pfn0 - first) * size
                out[at:at + size] = _entry(layout, pfn, *moved.get(pfn, (name, sub)),
                                           pfn in bad)
        return out

    def fill(first_page: int, pages: int) -> bytes:
        low, high = first_page * PAGE_SIZE, (first_page + pages) * PAGE_SIZE
        first, end = low // size, min(count, -(-high // size))
        data = entries(first_entry + first, first_entry + end) if first < end else bytearray()
        start = low - first * size
        chunk = bytes(data[start:start + high - low])
        return chunk + bytes(high - low - len(chunk))

    return fill


def _build_chunks(ctx: ForgeContext, layout: Layout, runs: list[Run], bad: set[int],
                  moved: Moved) -> int:
    """Write pfdat in the scenario's pieces and the chunk table; return the first piece."""
    chunks = sorted(ctx.sc["pages"]["pfdat_chunks"], key=lambda c: c["pfn"])
    spans = _entry_spans(layout, runs, UNMANAGED)
    entries = spans[-1][1] if spans else 0

    def entry_of(pfn: int) -> int | None:
        for start, stop, pfn0, _, _, _ in spans:
            if pfn0 <= pfn < pfn0 + stop - start:
                return start + pfn - pfn0
        return None

    def pfn_of(entry: int) -> int:
        return next(pfn0 + entry - start for start, stop, pfn0, *_ in spans
                    if start <= entry < stop)

    starts: list[tuple[int, int]] = []  # (entry index, address or -1)
    for i, chunk in enumerate(chunks):
        at = entry_of(chunk["pfn"])
        if at is None:
            raise ScenarioError(f"pages.pfdat_chunks[{i}].pfn", f"page {chunk['pfn']:#x} has no "
                                "pfdat entry (static, eqmem and reserved pages have none)")
        starts.append((at, chunk["address"]))
    if not starts or starts[0][0] != 0:
        starts.insert(0, (0, -1))
    records = []
    placed: list[tuple[int, int]] = []
    for k, (first, address) in enumerate(starts):
        end = starts[k + 1][0] if k + 1 < len(starts) else entries
        size = (end - first) * layout.size
        fill = entries_fill(layout, spans, bad, first, end - first, moved)
        if address < 0:
            address = ctx.mem.alloc_region(size, fill)
        else:
            ctx.mem.write(address, fill(0, -(-size // PAGE_SIZE))[:size])
        for lo, hi in placed:
            if address < hi and lo < address + size:
                raise ScenarioError("pages.pfdat_chunks", f"the piece at {address:#x} overlaps "
                                    f"the one at {lo:#x}")
        placed.append((address, address + size))
        records.append({"pc_pfn": pfn_of(first) if first < entries else 0,
                        "pc_count": end - first, "pc_pfdat": address})
    chunk = ctx.types.get("struct pfdat_chunk")
    table = ctx.mem.alloc(chunk.size * len(records), 8)
    for i, record in enumerate(records):
        ctx.place("struct pfdat_chunk", table + i * chunk.size, record, "pages.pfdat_chunks")
    ctx.set_global("pfdat_chunks", table, "pages.pfdat_chunks")
    ctx.set_global("npfdat_chunks", len(records), "pages.pfdat_chunks")
    counts = {name: count for name, _, count in runs if name in ("eqmem", "reserved")}
    ctx.set_global("eqmem_pages", counts.get("eqmem", 0), "pages.eqmem")
    ctx.set_global("reserved_pool_pages", counts.get("reserved", 0), "pages.reserved")
    return records[0]["pc_pfdat"] if records else 0
