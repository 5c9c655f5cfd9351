"""Memory Globals: thresholds in pages and MB, notes on memory pressure, paging rates."""

from __future__ import annotations

from q4py.analyses.memory import MemoryGlobals, memory_globals
from q4py.program import Program
from q4py.render import section
from q4py.render.text import banner, pages_in_mb

_THRESHOLD_LABELS = (("avefree", "Average Free Memory"), ("gpgslim", "gpgslim"),
                     ("lotsfree", "lotsfree"), ("desfree", "desfree"), ("minfree", "minfree"))
# Rate lines: one global, or two side by side (`pageoutrate     = 1307  curr_pgrate = 4515`).
_RATE_LINES = (("maxpendpageouts", None), ("pageoutrate", "curr_pgrate"),
               ("min_pgrate", "max_pgrate"), ("lowmemdeact", "thrashdeact"))


def render_memory(mem: MemoryGlobals) -> list[str]:
    """The section's lines: two blank lines end it after notes or paging rates, one when the
    thresholds end it (as the hang reports' crashinfo shows)."""
    lines = [f"{'Physical Memory':<20}= {pages_in_mb(mem.physmem)}",
             f"{'Free Memory':<20}= {pages_in_mb(mem.freemem)}"]
    for name, label in _THRESHOLD_LABELS:
        value = mem.thresholds[name]
        if value is not None:
            lines.append(f"{label:<20}= {pages_in_mb(value)}")
    thresholds_end = len(lines)
    lines.append("")
    notes = []
    if mem.desperately_low:
        notes.append("Note:  Free memory is desperately low (freemem less than minfree) !")
    if mem.memory_sleepers:
        notes.append("Note:  We have memory sleepers !")
    if mem.deactivated:
        notes.append(f"Note:  There are {mem.deactivated} deactivated processes !")
    if notes:
        lines += [*notes, ""]
    if mem.deactload is not None:
        lines.append("deactload: " + "".join(f"{x:.2f}  " for x in mem.deactload))
    for left, right in _RATE_LINES:
        cells = []
        if mem.rates[left] is not None:
            # The left value is padded to 6 only when a second pair follows it.
            cells.append(f"{left:<16}= {mem.rates[left]:<6d}" if right else
                         f"{left:<16}= {mem.rates[left]}")
        if right and mem.rates[right] is not None:
            cells.append(f"{right:<12}= {mem.rates[right]}")
        if cells:
            lines.append("".join(cells).rstrip())
    if len(lines) == thresholds_end + 1:
        return lines  # nothing after the thresholds: the blank line ends the section
    return [*lines, "", ""]


@section("memory", "Memory Globals", 40)
def memory_section(prog: Program) -> list[str]:
    return [*banner("Memory Globals"), "", *render_memory(memory_globals(prog))]
