"""Load Averages: avenrun, real_run, pwrun and the per-processor mp_avenrun.

avenrun prints with two decimals (`0.32  0.16  0.11  `), the others with six; every value is
followed by two blanks. A block whose global the kernel lacks is left out.
"""

from __future__ import annotations

from q4py.analyses.loadavg import LoadAverages, load_averages
from q4py.program import Program
from q4py.render import section
from q4py.render.text import banner, underline


def _values(values: tuple[float, ...], decimals: int) -> str:
    return "".join(f"{v:.{decimals}f}  " for v in values)


def render_load_averages(loads: LoadAverages) -> list[str]:
    lines = [*underline("avenrun"), _values(loads.avenrun, 2), ""]
    if loads.real_run is not None:
        lines += [*underline("real_run"), _values(loads.real_run, 6), ""]
    if loads.pwrun is not None:
        lines += [*underline('pwrun ("fast" io wait)'), _values(loads.pwrun, 6), ""]
    if loads.per_processor:
        lines += underline("mp_avenrun")
        lines += [f"cpu{cpu} : {_values(row, 6)}" for cpu, row in enumerate(loads.per_processor)
                  if cpu not in loads.disabled]
        lines.append("")
    return lines


@section("loadavg", "Load Averages", 86)
def loadavg_section(prog: Program) -> list[str]:
    return [*banner("Load Averages"), "", "", *render_load_averages(load_averages(prog))]

