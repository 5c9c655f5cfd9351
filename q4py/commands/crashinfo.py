"""`crashinfo [SECTION ...]`: HP's crash dump report, or some of its sections."""

from __future__ import annotations

from typing import TYPE_CHECKING

from q4py.commands import command
from q4py.errors import CommandError, Q4Error
from q4py.render import load_sections

if TYPE_CHECKING:
    from q4py.shell.session import Session


@command(
    "crashinfo",
    usage="crashinfo [SECTION ...]",
    summary="print HP's crash dump report (all sections, or the ones named)",
    help="Sections, in report order: general events msgbuf memory kmem user bufcache swap "
    "processors clock syswait loadavg threads sysmap.\nWithout an argument every section is "
    "printed with its banner, as crashinfo did; name sections to print only those, in the "
    "order given. A section the dump does not let q4py read prints one line in its place, "
    "`crashinfo: SECTION: PROBLEM`, and the others still print.",
)
def crashinfo_command(session: Session, args: list[str]) -> None:
    sections = {s.name: s for s in load_sections()}
    unknown = [name for name in args if name not in sections]
    if unknown:
        raise CommandError(f"crashinfo: unknown section '{unknown[0]}' "
                           f"(sections: {' '.join(sections)})")
    chosen = [sections[name] for name in args] if args else list(sections.values())
    for chosen_section in chosen:
        # A garbled global sinks its section only: the rest of the report is what a reader of
        # a damaged dump needs most.
        try:
            lines = chosen_section.fn(session.program)
        except Q4Error as err:
            problem = " ".join(str(err).split())
            lines = [f"crashinfo: {chosen_section.name}: {problem}"]
        for line in lines:
            print(line, file=session.out)
