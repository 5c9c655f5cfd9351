"""PrintMap MAPNAME: how much of a resource map (like `sysmap`) is free, and in what pieces.

    run PrintMap sysmap

A depleted map prints HP's text word for word. A map with free runs prints how many runs and
pages are free, the largest run, and a histogram of run sizes in powers of two (a map with
plenty of free pages but only small runs cannot satisfy a large kalloc()).
"""

from __future__ import annotations

from q4py.render.text import pages_in_mb
from q4py.scripting import Q4Script

# Above this share of its slots in use a map is close to losing freed space (rmap overflow).
_CROWDED = 0.9


def run(q4: Q4Script, args: list[str]) -> None:
    if len(args) != 1:
        q4.error("usage: run PrintMap MAPNAME (a kernel struct map * global, e.g. sysmap)")
    wanted = args[0]
    names = q4.resource_map_names()
    if wanted not in names:  # before promising to load anything
        q4.error(f"'{wanted}' is not a resource map of this kernel "
                 f"(struct map * globals: {', '.join(names) or 'none'})")
    q4.print("Loading the map entries, this may take a while...")
    rmap = q4.resource_map(wanted)
    if rmap.depleted:
        q4.print(f"The {rmap.label} is completely depleted. ")
        q4.print("There is not a single page available!")
    else:
        runs = len(rmap.entries)
        largest = max(rmap.entries, key=lambda e: e.size)
        q4.print(f"The {rmap.label} has {runs} free {'run' if runs == 1 else 'runs'}, "
                 f"{pages_in_mb(rmap.total_free)} in total.")
        q4.print(f"The largest free run is {pages_in_mb(largest.size)} at {largest.addr:#x}.")
        q4.print()
        q4.print("Free runs by size:")
        q4.print(f"{'pages':>13}{'runs':>8}{'total pages':>14}")
        for label, count, pages in histogram([e.size for e in rmap.entries]):
            q4.print(f"{label:>13}{count:>8}{pages:>14}")
        used = rmap.terminator_index
        if used >= _CROWDED * rmap.mapsize:
            q4.print()
            q4.print(f"Warning: {used} of the {rmap.mapsize} entries are in use; "
                     "space freed apart from the free runs may be lost.")
    q4.print()
    q4.print(f"The {wanted} is sized for a maximum of {rmap.mapsize} entries")


def histogram(sizes: list[int]) -> list[tuple[str, int, int]]:
    """(label, runs, pages) per power-of-two size class, from 1 page up to the largest run."""
    top = max(sizes).bit_length()
    counts = [0] * top
    pages = [0] * top
    for size in sizes:
        slot = size.bit_length() - 1
        counts[slot] += 1
        pages[slot] += size
    rows = []
    for slot in range(top):
        low, high = 1 << slot, (1 << (slot + 1)) - 1
        label = str(low) if low == high else f"{low}-{high}"
        rows.append((label, counts[slot], pages[slot]))
    return rows
