"""IOVA Usage Check: `99% of IOVA still available/free.` after two blank lines
(hpux1100-64-hang-soaccept-p4). Left out when the kernel keeps no IOVA counts."""

from __future__ import annotations

from q4py.analyses.iova import iova_free_percent
from q4py.program import Program
from q4py.render import section
from q4py.render.text import banner


@section("iova", "IOVA Usage Check", 81.6)
def iova_section(prog: Program) -> list[str]:
    free = iova_free_percent(prog)
    if free is None:
        return []
    return [*banner("IOVA Usage Check"), "", "", f"{free}% of IOVA still available/free.", ""]
