"""Kernel Memory Usage: kmeminfo's physical memory summary and kernel dynamic memory usage.

Each row: the label indented by its depth and padded to 20, `= `, pages (8 wide), the size
(kmeminfo's `957.7m`, 7 wide), the percentage of physical memory (3 wide), then the description
with an indent of its own (2, 3 or 4 blanks as kmeminfo printed it).
"""

from __future__ import annotations

from q4py.analyses.kmem import KernelMemoryUsage, kernel_memory_usage
from q4py.kernel.release import by_release
from q4py.layouts.vm import PAGE_SIZE, bucket_element_size
from q4py.program import Program
from q4py.render import section
from q4py.render.text import banner, kmem_size, percent

RULE = "-" * 70
ARENA_ROWS = 15  # arenas listed by name, the largest first; the rest add up to `Other`
ARENA_LABEL = 15  # kmeminfo cut arena names to this many characters (`FD_CHUNK_T_AREN`)
# Whether the summary breaks Static down into text, data and bss: 11.00's kmeminfo did (atq,
# kalloc-sysmap), 11.11's did not (vhand-superpages).
STATIC_ROWS = {(11, 0): True, (11, 11): False}

_POOLS = (("SuperPagePool", "superpage", "Kernel superpage cache"),
          ("BufcacheBufs", "bufcache_bufs", "Buffer cache bufs"),
          ("BufcacheHash", "bufcache_hash", "Buffer cache hash heads"),
          ("Other", "other", "Other..."))


def kmem_row(label: str, depth: int, pages: int, physmem: int, desc: str,
             desc_indent: int) -> str:
    """`    bucket[9]       =   213742  834.9m  65%   size   512 bytes`."""
    return (f"{'  ' * depth + label:<20}= {pages:8d} {kmem_size(pages):>7s} "
            f"{percent(pages, physmem):3d}%{' ' * desc_indent}{desc}")


def bucket_description(index: int) -> str:
    """`size    32 bytes` (5..12), `size     2 pages` (13..19), `size >   8 pages` (20)."""
    size = bucket_element_size(index)
    if size is None:
        return f"size > {bucket_element_size(index - 1) // PAGE_SIZE:3d} pages"
    if size <= PAGE_SIZE:
        return f"size {size:5d} bytes"
    return f"size {size // PAGE_SIZE:5d} pages"


def _pfdat_scan(kmem: KernelMemoryUsage) -> list[str]:
    """The pfdat scan: how many entries, and a warning per P_BAD page."""
    lines = ["", "", RULE, "Pfdat processing:", "",
             f"Scanning {kmem.physmem if kmem.scanned is None else kmem.scanned} pfdat entries "
             "(be patient) ...", ""]
    for i, (pfn, address) in enumerate(kmem.bad):
        lines.append(f"Warning: Found a P_BAD page (pfn {pfn:#x}, pfd_t {address:#x})")
        if i == 0:
            lines.append("Warning: P_BAD is set by the memory diagnostics (dmem scrubbing).")
    lines.append("")
    return lines


def render_kmem(kmem: KernelMemoryUsage) -> list[str]:
    phys = kmem.physmem
    c = kmem.classes

    def row(label: str, depth: int, pages: int, desc: str, desc_indent: int = 2) -> str:
        return kmem_row(label, depth, pages, phys, desc, desc_indent)

    # The scan is reported when it found bad pages (atq) or when pfdat, in pieces, has fewer
    # entries than there are pages (atq, vhand-superpages); one entry per page and no bad page
    # print nothing (kalloc-sysmap).
    scanned = kmem.physmem if kmem.scanned is None else kmem.scanned
    lines = _pfdat_scan(kmem) if kmem.bad or scanned < kmem.physmem else []
    static_rows = by_release(STATIC_ROWS, kmem.release)
    lines += [
        RULE,
        "Physical memory usage summary (in page/byte/percent):",
        "",
        row("Physmem", 0, phys, "Physical memory"),
        row("Freemem", 1, kmem.free, "Free physical memory"),
        row("Used", 1, kmem.used, "Used physical memory"),
        row("System", 2, kmem.system, "By kernel:"),
        *([row("text", 3, c["text"], "text", 3),
           row("data", 3, c["data"], "data", 3),
           row("bss", 3, c["bss"], "bss", 3)] if static_rows else []),
        row("Static", 3, kmem.static, "for text/static data", 3),
        row("Dynamic", 3, kmem.dynamic, "for dynamic data", 3),
        row("Bufcache", 3, c["bufcache"], "for buffer cache", 3),
        row("Eqmem", 3, c["eqmem"], "for equiv. mapped memory", 3),
        row("SCmem", 3, c["scmem"], "for critical memory", 3),
        row("User", 2, kmem.user, "By user processes:"),
        row("Uarea", 3, c["uarea"], "for thread uareas", 3),
        row("Disowned", 2, c["disowned"], "Disowned pages"),
    ]
    if kmem.bad:
        lines.append(row("Bad", 2, len(kmem.bad), "Bad"))
    lines += [
        "",
        RULE,
        "Kernel dynamic memory usage (in page/byte/percent):",
        "",
        row("Dynamic", 0, kmem.dynamic, "Kernel dynamic memory"),
    ]
    if kmem.arenas is not None:
        lines += _arena_rows(kmem.arenas, phys)
        if kmem.arena_problem:
            lines.append(kmem.arena_problem)
    else:
        lines.append(row("MALLOC", 1, kmem.malloc, "Memory buckets"))
        lines += [row(f"bucket[{i}]", 2, pages, bucket_description(i), 3)
                  for i, pages in sorted(kmem.buckets.items())]
        lines.append(row("Reserved", 1, c["reserved"], "Reserved pools"))
    lines += [row("Kalloc", 1, kmem.kalloc_total, "kalloc()")]
    lines += [row(label, 2, kmem.kalloc[pool], desc, 4) for label, pool, desc in _POOLS]
    lines.append(row("Eqalloc", 1, c["eqalloc"], "eqalloc()"))
    return lines


def _arena_rows(arenas: tuple[tuple[str, int], ...], physmem: int) -> list[str]:
    """`Arenas`, the largest arenas (table order among equals), `Other` for the rest."""
    ranked = sorted(arenas, key=lambda arena: -arena[1])
    shown, rest = ranked[:ARENA_ROWS], ranked[ARENA_ROWS:]
    return ([kmem_row("Arenas", 1, sum(p for _, p in arenas), physmem, "Kernel arenas", 2)]
            + [kmem_row(name[:ARENA_LABEL], 2, pages, physmem, "", 2) for name, pages in shown]
            + [kmem_row("Other", 2, sum(p for _, p in rest), physmem, "Other arenas...", 2)])


@section("kmem", "Kernel Memory Usage", 50)
def kmem_section(prog: Program) -> list[str]:
    return [*banner("Kernel Memory Usage"), *render_kmem(kernel_memory_usage(prog)), ""]
