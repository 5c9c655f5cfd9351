"""Memory Globals: thresholds in pages and MB, notes on memory pressure, paging rates."""

from __future__ import annotations

from q4py.analyses.memory import MemoryGlobals, memory_globals
from q4py.kernel.release import by_release
from q4py.program import Program
from q4py.render import section
from q4py.render.styles import CrashinfoStyle
from q4py.render.text import banner, pages_in_mb

# How the low-memory note words its test: 11.00 reports (atq) spell it out, the 11.11 one
# (vhand-superpages) writes the comparison.
LOW_MEMORY_TEST = {(11, 0): "freemem less than minfree", (11, 11): "freemem < minfree"}
_THRESHOLD_LABELS = (("avefree", "Average Free Memory"), ("gpgslim", "gpgslim"),
                     ("lotsfree", "lotsfree"), ("desfree", "desfree"), ("minfree", "minfree"))
# Rate lines: one global, or two side by side (`pageoutrate     = 1307  curr_pgrate = 4515`).
_RATE_LINES = (("maxpendpageouts", None), ("pageoutrate", "curr_pgrate"),
               ("min_pgrate", "max_pgrate"), ("lowmemdeact", "thrashdeact"))


def render_memory(mem: MemoryGlobals, note_gap: int = 0) -> list[str]:
    """The section's lines: two blank lines end it after notes or paging rates, one when the
    thresholds end it (as the hang reports' crashinfo shows). In a style that spaces its notes
    (3.5) each note is followed by two blank lines, which then end a section without rates."""
    lines = [f"{'Physical Memory':<20}= {pages_in_mb(mem.physmem)}",
             f"{'Free Memory':<20}= {pages_in_mb(mem.freemem)}"]
    for name, label in _THRESHOLD_LABELS:
        value = mem.thresholds[name]
        if value is not None:
            lines.append(f"{label:<20}= {pages_in_mb(value)}")
    thresholds_end = len(lines)
    lines.append("")
    body = 0
    notes = []
    if mem.desperately_low:
        notes.append("Note:  Free memory is desperately low "
                     f"({by_release(LOW_MEMORY_TEST, mem.release)}) !")
    if mem.memory_sleepers:
        notes.append("Note:  We have memory sleepers !")
    if mem.deactivated:
        notes.append(f"Note:  There are {mem.deactivated} deactivated processes !")
    if notes and note_gap:
        for note in notes:
            lines += [note, *[""] * note_gap]
        body = len(lines)
    elif notes:
        lines += [*notes, ""]
        body = 0
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
    if notes and note_gap and len(lines) == body:
        return lines  # the spaced notes' blank lines end it
    return [*lines, "", ""]


@section("memory", "Memory Globals", 40, styled=True)
def memory_section(prog: Program, style: CrashinfoStyle) -> list[str]:
    return [*banner("Memory Globals"), "",
            *render_memory(memory_globals(prog), style.memory_note_gap)]
