"""Kernel Memory Usage: every physical page classified from its pfdat entry (kmeminfo style).

Totals follow kmeminfo: Static = text + data + bss + other static; Dynamic = MALLOC buckets +
reserved pools + kalloc() + eqalloc(); System = Static + Dynamic + buffer cache + equivalently
mapped + critical memory; User = user pages + thread u-areas; Used = Physmem - Freemem.
"""

from __future__ import annotations

from dataclasses import dataclass

from q4py.errors import Q4Error
from q4py.kernel.pfdat import page_census
from q4py.kernel.release import kernel_release
from q4py.kernel.tables import table_size
from q4py.layouts.base import c_string
from q4py.layouts.vm import (
    BUCKET_FIRST,
    BUCKET_LAST,
    KALLOC_POOLS,
    P_FREE,
    PAGE_CLASS_CODES,
    PAGE_CLASSES,
)
from q4py.program import Program


@dataclass(frozen=True)
class KernelMemoryUsage:
    physmem: int
    free: int
    classes: dict[str, int]  # pages per PAGE_CLASSES name, free pages (by flag) excluded
    buckets: dict[int, int]  # MALLOC bucket index (5..20) -> pages
    kalloc: dict[str, int]  # KALLOC_POOLS name -> pages
    bad: tuple[tuple[int, int], ...]  # (pfn, pfdat entry address) of P_BAD pages
    scanned: int | None = None  # pfdat entries scanned (None: one per page)
    # An 11i kernel's arenas (it has them instead of MALLOC buckets): (name, pages) in the
    # kernel's order; None for a kernel with buckets.
    arenas: tuple[tuple[str, int], ...] | None = None
    release: tuple[int, int] | None = None  # utsname.release, for the release's rows
    # Why the arenas have no names (a garbled kmem_arenas or nkmem_arenas): their pages are
    # still counted, as `arena[N]`.
    arena_problem: str | None = None

    @property
    def used(self) -> int:
        return self.physmem - self.free

    @property
    def static(self) -> int:
        return sum(self.classes[c] for c in ("text", "data", "bss", "static"))

    @property
    def malloc(self) -> int:
        return sum(self.buckets.values())

    @property
    def arena_total(self) -> int:
        return sum(pages for _, pages in self.arenas or ())

    @property
    def kalloc_total(self) -> int:
        return sum(self.kalloc.values())

    @property
    def dynamic(self) -> int:
        return (self.malloc + self.arena_total + self.classes["reserved"] + self.kalloc_total
                + self.classes["eqalloc"])

    @property
    def system(self) -> int:
        return (self.static + self.dynamic + self.classes["bufcache"] + self.classes["eqmem"]
                + self.classes["scmem"])

    @property
    def user(self) -> int:
        return self.classes["user"] + self.classes["uarea"]


def kernel_memory_usage(prog: Program) -> KernelMemoryUsage:
    census = page_census(prog)
    classes = dict.fromkeys(PAGE_CLASSES, 0)
    buckets = dict.fromkeys(range(BUCKET_FIRST, BUCKET_LAST + 1), 0)
    kalloc = dict.fromkeys(KALLOC_POOLS, 0)
    free = 0
    bucket_code = PAGE_CLASS_CODES["bucket"]
    kalloc_code = PAGE_CLASS_CODES["kalloc"]
    arena_code = PAGE_CLASS_CODES["arena"]
    arena_problem = None
    try:
        names = arena_names(prog)
    except Q4Error as err:
        names, arena_problem = [], f"Can't name the arenas: {err}"
    arenas: dict[str, int] | None = dict.fromkeys(names, 0) if names is not None else None
    # Bad pages keep their class (P_BAD is masked out here); they are listed apart.
    for (flags, kclass, ksub), pages in census.counts.items():
        if flags & P_FREE:
            free += pages
            continue
        if kclass >= len(PAGE_CLASSES):
            continue  # a class this reconstruction does not know: counted in Used only
        classes[PAGE_CLASSES[kclass]] += pages
        if kclass == bucket_code and ksub in buckets:
            buckets[ksub] += pages
        elif kclass == kalloc_code and ksub < len(KALLOC_POOLS):
            kalloc[KALLOC_POOLS[ksub]] += pages
        elif kclass == arena_code and arenas is not None:
            # A page of an arena the table does not list is still kernel dynamic memory.
            name = names[ksub] if names and ksub < len(names) else f"arena[{ksub}]"
            arenas[name] = arenas.get(name, 0) + pages
    physmem = prog.read_global("physmem")
    if census.entries < physmem:
        # Pages without a pfdat entry were taken before pfdat existed: equivalently mapped
        # memory and reserved pools (the kernel counts those), the rest static kernel memory.
        eqmem = prog.global_or("eqmem_pages", 0)
        reserved = prog.global_or("reserved_pool_pages", 0)
        classes["eqmem"] += eqmem
        classes["reserved"] += reserved
        classes["static"] += max(physmem - census.entries - eqmem - reserved, 0)
    return KernelMemoryUsage(physmem=max(physmem, census.entries), free=free, classes=classes,
                             buckets=buckets, kalloc=kalloc, bad=census.bad,
                             scanned=census.entries,
                             arenas=None if arenas is None else tuple(arenas.items()),
                             release=kernel_release(prog), arena_problem=arena_problem)


ARENA_LIMIT = 0x10000  # pf_ksub is 16 bits wide


def arena_names(prog: Program) -> list[str] | None:
    """The names of an 11i kernel's arenas, in table order; None for a kernel without them."""
    if not prog.has_symbol("kmem_arenas") or not prog.read_global("kmem_arenas"):
        return None
    count = table_size(prog, "nkmem_arenas")
    if count > ARENA_LIMIT:
        raise Q4Error(f"nkmem_arenas = {count} is more arenas than a page can name "
                      f"(pf_ksub holds {ARENA_LIMIT})")
    records = prog.read_records("struct kmem_arena", prog.read_global("kmem_arenas"), count)
    at = prog.types.get("struct kmem_arena").field_index("ka_name")
    return [c_string(record[at]) or "?" for record in records]
