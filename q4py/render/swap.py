"""Swap Information: a `swapinfo -mt` emulation (sizes in MB).

Columns: TYPE (8, left), AVAIL, USED, FREE (7 each), PCT USED (5), START/LIMIT, RESERVE (7
each), PRI (4), then two blanks and the NAME. A line stops after its last applicable column.
In the styles with `swap_details` (hpux1100-32-hang-nfs-swap-p4) the swap globals follow, each
named by what it holds, then the processes holding the most swap. In the styles with
`swap_kernel_names` (3.5, hpux1111-64-hang-vhand-superpages) the heading is `swapinfo -mt
emulation:` without underline, a device is named by its device file (`/dev/vg00/lvol2`), and the
swap globals follow under their kernel names.
"""

from __future__ import annotations

from q4py.analyses.swap import ProcessSwap, SwapPages, SwapUsage, swap_usage
from q4py.program import Program
from q4py.render import section
from q4py.render.styles import CrashinfoStyle
from q4py.render.text import banner, page_size, pages_in_mb, percent, underline

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


def render_swap(swap: SwapUsage, device_files: bool = False) -> list[str]:
    heading = ["swapinfo -mt emulation:"] if device_files else underline("swapinfo -mt emulation")
    lines = [*heading, "",
             swap_row("", "Mb", "Mb", "Mb", "PCT", "START/", "Mb"),
             swap_row("TYPE", "AVAIL", "USED", "FREE", "USED", "LIMIT", "RESERVE", "PRI", "NAME")]
    for d in swap.devices:
        lines.append(swap_row("dev", d.avail_mb, d.used_mb, d.free_mb,
                              f"{percent(d.used_mb, d.avail_mb)}%", d.start, "-", d.priority,
                              d.file if device_files else d.name))
    lines.append(swap_row("reserve", "-", swap.reserve_mb, -swap.reserve_mb))
    if swap.memory is not None:
        m = swap.memory
        lines.append(swap_row("memory", m.avail_mb, m.used_mb, m.free_mb,
                              f"{percent(m.used_mb, m.avail_mb)}%"))
    lines.append(swap_row("total", swap.avail_mb, swap.used_mb, swap.free_mb,
                          f"{percent(swap.used_mb, swap.avail_mb)}%", "-", swap.fs_reserve_mb,
                          "-"))
    return lines


def render_swap_globals(pages: SwapPages) -> list[str]:
    """The globals by what they hold, `name (global) = N pages (size)`, names in one column."""
    named = [("maximum swapmem (swapmem_max)", pages.swapmem_max),
             ("remaining swapmem (swapmem_cnt)", pages.swapmem_cnt),
             ("maximum physical swapspace (swapspc_max)", pages.swapspc_max),
             ("unreserved physical swapspace (swapspc_cnt)", pages.swapspc_cnt)]
    if pages.swapphys_cnt is not None:
        named.append(("unused physical swapspace (swapphys_cnt)", pages.swapphys_cnt))
    width = max(len(name) for name, _ in named)
    return [*underline("swap related globals"), "", f"swapmem_on  = {int(pages.swapmem_on)} ",
            *(f"{name:<{width}} = {pages_in_mb(value)}" for name, value in named)]


def render_swap_kernel_globals(pages: SwapPages) -> list[str]:
    """The globals under their kernel names, `swapmem_cnt = N pages (size)`."""
    return [f"swapmem_on  = {int(pages.swapmem_on)} ",
            *(f"{name} = {pages_in_mb(value)}" for name, value in (
                ("swapmem_cnt", pages.swapmem_cnt), ("swapmem_max", pages.swapmem_max),
                ("swapspc_cnt", pages.swapspc_cnt), ("swapspc_max", pages.swapspc_max)))]


def render_swap_top(procs: tuple[ProcessSwap, ...]) -> list[str]:
    """Pages and their size per column: virt's number in 5 columns, the others' in 4."""
    def cell(pages: int, digits: int, width: int) -> str:
        return f"{pages:<{digits}d} ({page_size(pages)})".ljust(width)

    lines = [f"Top {len(procs)} Processes sorted by swap size (in pages):", "",
             f"{'pid':<5} {'command':<14} {'virt':<16}  {'phys':<15}  swap",
             f"{'---':<5} {'-------':<14} {'----':<16}  {'----':<15}  ----"]
    # Command names are cut to 14 characters (PST_UCOMMLEN less the NUL).
    lines += [f"{p.pid:<5d} {p.command[:14]:<14s} {cell(p.virtual, 5, 16)}  "
              f"{cell(p.physical, 4, 15)}  {cell(p.swap, 4, 0)}" for p in procs]
    return lines


@section("swap", "Swap Information", 80, styled=True)
def swap_section(prog: Program, style: CrashinfoStyle) -> list[str]:
    swap = swap_usage(prog)
    lines = [*banner("Swap Information"), "", *render_swap(swap, style.swap_kernel_names)]
    if style.swap_kernel_names and swap.pages is not None:
        return lines + ["", *render_swap_kernel_globals(swap.pages), ""]
    if not style.swap_details:
        return lines + ["", ""]
    if swap.pages is not None:
        lines += ["", *render_swap_globals(swap.pages)]
    if swap.top:
        lines += ["", *render_swap_top(swap.top)]
    return lines + [""]
