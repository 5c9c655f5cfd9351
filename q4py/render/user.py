"""User Memory Usage: the top 10 processes by resident pages."""

from __future__ import annotations

from q4py.analyses.processes import ProcessMemory, top_processes
from q4py.program import Program
from q4py.render import section
from q4py.render.text import banner


def render_top(procs: list[ProcessMemory]) -> list[str]:
    lines = [f"Top {len(procs)} Processes sorted by physical size (in pages):", "",
             "pid   command        virtual  physical",
             "----- -------------- -------- --------"]
    # Command names are cut to 14 characters (PST_UCOMMLEN less the NUL).
    lines += [f"{p.pid:<5d} {p.command[:14]:<14s} {p.virtual:<8d} {p.physical:<8d}"
              for p in procs]
    return lines


@section("user", "User Memory Usage", 60)
def user_section(prog: Program) -> list[str]:
    return [*banner("User Memory Usage"), "", "", *render_top(top_processes(prog, 10)), ""]
