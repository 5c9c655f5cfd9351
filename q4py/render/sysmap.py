"""Sysmap: `p4_sysmap` text, and the crashinfo section that runs `p4_sysmap -a`.

Per map: the configured size, the entry table (index 0 is the header: `m_addr` shows m_limit and
`m_size` the map's name), `Statistics :`, then `Fragmentation :` with the same table ordered by
run size, largest first, so the runs that can still satisfy big allocations come first. (HP's
only public sample is a depleted map, where both tables are the header and the terminator.)
"""

from __future__ import annotations

from q4py.addr import c_hex
from q4py.analyses.sysmap import MapReport, sysmap_reports
from q4py.errors import Q4Error
from q4py.kernel.maps import MapEntry
from q4py.program import Program
from q4py.render import section
from q4py.render.text import banner

ECHO = "p4>p4_sysmap -a"


def _row(index: int, m_addr: str, m_size: str) -> str:
    return f"{index:>8}{m_addr:>19}{m_size:>17}"


def map_table(report: MapReport, entries: tuple[MapEntry, ...]) -> list[str]:
    """The size line and the entry table, header and terminator rows included."""
    rmap = report.map
    lines = [
        f"{rmap.label} has a configured mapsize of {rmap.mapsize} entries",
        _row_header(),
        _row(0, c_hex(rmap.limit), rmap.name or c_hex(rmap.name_ptr)),
    ]
    lines += [_row(e.index, c_hex(e.addr), str(e.size)) for e in entries]
    lines.append(_row(rmap.terminator_index, c_hex(rmap.terminator_addr), "0"))
    return lines


def _row_header() -> str:
    return f"{'index':>8}{'m_addr':>19}{'m_size':>17}"


def map_lines(report: MapReport) -> list[str]:
    """Everything p4_sysmap prints for one map."""
    return [
        *map_table(report, report.map.entries),
        "",
        "Statistics :",
        f"Number of entries used = {report.entries_used}",
        f"Total free             = {report.total_free} pages",
        f"Largest free size      = {report.largest_free} pages",
        f"Average free size      = {report.average_free:.2f} pages",
        "",
        "Fragmentation :",
        *map_table(report, report.fragmentation),
    ]


def sysmap_lines(reports: list[MapReport]) -> list[str]:
    """Several maps, one blank line between them."""
    lines: list[str] = []
    for i, report in enumerate(reports):
        if i:
            lines.append("")
        lines += map_lines(report)
    return lines


@section("sysmap", "Sysmap", 90)
def sysmap_section(prog: Program) -> list[str]:
    # crashinfo echoes the p4 command it runs; a map it cannot decode is reported in place,
    # as p4 would have, so the rest of the report still prints.
    # A kernel without a resource map leaves the section out, as every section whose globals
    # the kernel lacks (the vhand report's full 3.5 run has no Sysmap).
    lines = [*banner("Sysmap"), "", ECHO]
    try:
        reports = sysmap_reports(prog)
    except Q4Error as exc:
        return [*lines, f"p4_sysmap: {exc}"]
    return lines + sysmap_lines(reports) if reports else []
