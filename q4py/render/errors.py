"""Global Error Counters / kmem_writes: the SCSI error counters, the detail ones indented by a
tab, names padded to 34 columns, and the note when there were SCSI errors
(hpux1111-64-hang-vhand-superpages). `kmem_writes` (writes to kernel memory through /dev/kmem)
prints the same way when the kernel has it; no report shows that line, so its place, after the
SCSI counters, is q4py's. Left out when the kernel has none of these globals."""

from __future__ import annotations

from q4py.analyses.errors import KMEM_WRITES, SCSI_TOTAL, ErrorCounters, error_counters
from q4py.program import Program
from q4py.render import section
from q4py.render.text import banner

TITLE = "Global Error Counters / kmem_writes"
SCSI_NOTE = ["Note:  There are scsi_bioerrors ! For more information go to: ",
             '"http://wtec.cup.hp.com/~hpux/crash/info/scsi_bioerrors.htm"']


def counter(name: str, value: int, indent: str = "") -> str:
    return f"{indent}{name:<34}= {value}"


def render_errors(counters: ErrorCounters) -> list[str]:
    lines: list[str] = []
    if counters.scsi_total is not None:
        lines.append(counter(SCSI_TOTAL, counters.scsi_total))
        lines += [counter(name, value, "\t") for name, value in counters.scsi_detail]
    if counters.kmem_writes is not None:
        lines.append(counter(KMEM_WRITES, counters.kmem_writes))
    if counters.scsi_total:
        lines += ["", *SCSI_NOTE]
    return lines


@section("errors", TITLE, 81)
def errors_section(prog: Program) -> list[str]:
    lines = render_errors(error_counters(prog))
    if not lines:
        return []
    return [*banner(TITLE, tabs=2), "", *lines, "", ""]
