"""Syswait Array: a row per processor with the threads waiting for I/O on it (left out when
the kernel has no syswait array)."""

from __future__ import annotations

from q4py.analyses.syswait import syswait_iowait
from q4py.program import Program
from q4py.render import section
from q4py.render.text import banner


def render_syswait(iowait: list[int]) -> list[str]:
    return ["cpu iowait", "--- ------", *[f"{cpu:<3d} {n}" for cpu, n in enumerate(iowait)]]


@section("syswait", "Syswait Array", 85)
def syswait_section(prog: Program) -> list[str]:
    iowait = syswait_iowait(prog)
    if not iowait:
        return []
    return [*banner("Syswait Array"), "", *render_syswait(iowait), "", ""]
