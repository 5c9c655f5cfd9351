"""Swap Information: a `swapinfo -mt` emulation (sizes in MB).

Columns: TYPE (8, left), AVAIL, USED, FREE (7 each), PCT USED (5), START/LIMIT, RESERVE (7
each), PRI (4), then two blanks and the NAME. A line stops after its last applicable column.
"""

from __future__ import annotations

from q4py.analyses.swap import SwapUsage, swap_usage
from q4py.program import Program
from q4py.render import section
from q4py.render.text import banner, percent, underline

_WIDTHS = (7, 7, 7, 5, 7, 7, 4)


def swap_row(kind: str, *cells: object) -> str:
    """TYPE then up to seven right-aligned cells and an optional NAME (the eighth)."""
    text = f"{kind:<8}"
    for i, cell in enumerate(cells):
        if i < len(_WIDTHS):
            text += f"{'' if i == 0 else ' '}{cell!s:>{_WIDTHS[i]}}"
        else:
            text += f"  {cell}"
    return text


def render_swap(swap: SwapUsage) -> list[str]:
    lines = [*underline("swapinfo -mt emulation"), "",
             swap_row("", "Mb", "Mb", "Mb", "PCT", "START/", "Mb"),
             swap_row("TYPE", "AVAIL", "USED", "FREE", "USED", "LIMIT", "RESERVE", "PRI", "NAME")]
    for d in swap.devices:
        lines.append(swap_row("dev", d.avail_mb, d.used_mb, d.free_mb,
                              f"{percent(d.used_mb, d.avail_mb)}%", d.start, "-", d.priority,
                              d.name))
    lines.append(swap_row("reserve", "-", swap.reserve_mb, -swap.reserve_mb))
    if swap.memory is not None:
        m = swap.memory
        lines.append(swap_row("memory", m.avail_mb, m.used_mb, m.free_mb,
                              f"{percent(m.used_mb, m.avail_mb)}%"))
    lines.append(swap_row("total", swap.avail_mb, swap.used_mb, swap.free_mb,
                          f"{percent(swap.used_mb, swap.avail_mb)}%", "-", swap.fs_reserve_mb,
                          "-"))
    return lines


@section("swap", "Swap Information", 80)
def swap_section(prog: Program) -> list[str]:
    return [*banner("Swap Information"), "", *render_swap(swap_usage(prog)), "", ""]
