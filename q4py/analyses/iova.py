"""IOVA Usage Check as data: how much of the I/O virtual address space (what the I/O MMU maps
for DMA) is still free. The kernel's counts are `iova_total_pages` and `iova_free_pages`, both
reconstructions (the report shows only the percentage, hpux1100-64-hang-soaccept-p4)."""

from __future__ import annotations

from q4py.program import Program

TOTAL, FREE = "iova_total_pages", "iova_free_pages"


def iova_free_percent(prog: Program) -> int | None:
    """The free share in whole percent (truncated); None when the kernel keeps no counts."""
    if not (prog.has_symbol(TOTAL) and prog.has_symbol(FREE)):
        return None
    total = prog.read_global(TOTAL)
    return prog.read_global(FREE) * 100 // total if total > 0 else None
