"""`p4_sysmap -a` / `p4_sysmap MAP...`: the kernel virtual space resource maps."""

from __future__ import annotations

from typing import TYPE_CHECKING

from q4py.analyses.sysmap import sysmap_reports
from q4py.commands import command
from q4py.errors import CommandError
from q4py.render.sysmap import sysmap_lines

if TYPE_CHECKING:
    from q4py.shell.session import Session

USAGE = "p4_sysmap -a | p4_sysmap MAP..."


@command(
    "p4_sysmap",
    usage=USAGE,
    summary="show the kernel virtual space maps (sysmap) with statistics",
    help="-a shows every sysmap of the kernel: sysmap_32bit and sysmap_64bit where they "
    "exist, else sysmap.\nMAP names a kernel global that is a struct map * (sysmap, "
    "sysmap_32bit, ...); a map two names point at is shown once.\n"
    "Per map: the entry table (index 0 is the header: m_addr = m_limit, m_size = the map's "
    "name), statistics in pages, and under 'Fragmentation :' the same table ordered by run "
    "size, largest first.",
)
def p4_sysmap_command(session: Session, args: list[str]) -> None:
    if args == ["-a"]:
        names = None
    elif args and not any(a.startswith("-") for a in args):
        names = args
    else:
        raise CommandError(f"usage: {USAGE}")
    reports = sysmap_reports(session.program, names)
    if not reports:
        raise CommandError("p4_sysmap: this kernel has no sysmap (no sysmap_32bit, "
                           "sysmap_64bit or sysmap symbol)")
    for line in sysmap_lines(reports):
        print(line, file=session.out)
