"""`crashinfo [--style NAME] [SECTION ...]`, `crashinfo --styles`: HP's crash dump report, or
some of its sections, in one of the crashinfo styles (q4py.render.styles)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from q4py.analyses.catalog import analysis
from q4py.bulk import collector_paused
from q4py.commands import command
from q4py.errors import CommandError, Q4Error
from q4py.kernel.threads import thread_list_problem
from q4py.plain import to_plain
from q4py.program import Program
from q4py.render import Section, load_sections
from q4py.render.jsondoc import json_document, take_json_flag
from q4py.render.styles import STYLE_SETTING, STYLES, CrashinfoStyle, crashinfo_style
from q4py.render.text import banner

if TYPE_CHECKING:
    from q4py.shell.session import Session

# The sections made from the thread list: their JSON document says where a broken list ended.
THREAD_SECTIONS = {"threads", "semaphores"}


@command(
    "crashinfo",
    usage="crashinfo [--style NAME] [SECTION ...] | crashinfo --styles",
    summary="print HP's crash dump report (all sections, or the ones named)",
    help="Sections, in report order: general events msgbuf memory kmem user bufcache swap "
    "errors network iova processors clock syswait loadavg semaphores threads sysmap "
    "patches.\nWithout an argument every section is printed with its banner, as crashinfo "
    "did; name sections to print only those, in the order given. A section the dump does "
    "not let q4py read prints one line in its place, "
    "`crashinfo: SECTION: PROBLEM`, and the others still print. A section with nothing to "
    "print in this dump (a kernel without a syswait array, say) is left out, as in a full run; "
    "when none of the sections named has anything, each says so in one such line. A thread "
    "list that loops or breaks (or an 11.00 kthread table past the dump) costs the threads and "
    "semaphores sections one line after their rows, `crashinfo: SECTION: kthread_list loops "
    "back to ADDR after N threads`: they count the threads before it.\n"
    "HP's crashinfo versions differ in small ways (notes, blank lines, the title): "
    "`crashinfo --styles` lists the styles q4py knows, `--style NAME` uses one for this run, "
    "`set crashinfo_style NAME` for the session (docs/crashinfo.md says which report shows "
    "each). The default is the newest, 3.5.\n"
    "--json prints the sections' data instead, one JSON document (docs/json.md): each\n"
    "section's analysis, the same the report is made from, numbers as numbers (with threads "
    "or semaphores, `thread_list_problem` says where a broken thread list ended, or null).\n"
    "Examples:\n"
    "  crashinfo events\n"
    "  crashinfo --json memory kmem",
    json=True,
)
def crashinfo_command(session: Session, args: list[str]) -> None:
    as_json, args = take_json_flag(args)
    if as_json:
        crashinfo_json(session, args)
        return
    if args == ["--styles"]:
        for known in STYLES:
            print(known.name, file=session.out)
        return
    style = crashinfo_style(str(session.settings[STYLE_SETTING.name]))
    if args[:1] == ["--style"]:
        if len(args) < 2:
            raise CommandError("crashinfo: --style needs a NAME (crashinfo --styles lists them)")
        style, args = crashinfo_style(args[1]), args[2:]
    sections = {s.name: s for s in load_sections()}
    unknown = [name for name in args if name not in sections]
    if unknown:
        raise CommandError(f"crashinfo: unknown section '{unknown[0]}' "
                           f"(sections: {' '.join(sections)})")
    chosen = [sections[name] for name in args] if args else list(sections.values())
    with collector_paused():  # the thread sections make rows by the hundred thousand
        rendered = [(s, section_lines(session.program, s, style)) for s in chosen]
    if style.title and not args:
        print("\n".join(title_lines(style, [s for s, lines in rendered if lines])),
              file=session.out)
    if args and not any(lines for _, lines in rendered):
        # Sections named print as a slice of the report (one with nothing is left out, as in a
        # full run), but a command that would print nothing at all says why.
        rendered = [(s, [f"crashinfo: {s.name}: nothing to print in this dump (a full run "
                         "leaves the section out; docs/crashinfo.md says when)"])
                    for s, _ in rendered]
    for _, lines in rendered:
        for line in lines:
            print(line, file=session.out)


def crashinfo_json(session: Session, args: list[str]) -> None:
    """The named sections' analyses (all of them without a name) as one JSON document; a
    section the dump does not let q4py read is `{"error": PROBLEM}`."""
    if args[:1] == ["--style"]:
        args = args[2:]  # a style changes text only
    names = [s.name for s in load_sections()]
    unknown = [name for name in args if name not in names]
    if unknown:
        raise CommandError(f"crashinfo: unknown section '{unknown[0]}' "
                           f"(sections: {' '.join(names)})")
    result: dict[str, object] = {}
    for name in args or names:
        try:
            result[name] = to_plain(analysis(name).fn(session.program))
        except Q4Error as err:
            result[name] = {"error": " ".join(str(err).split())}
    doc: dict[str, object] = {"sections": result}
    if THREAD_SECTIONS & set(result):  # they count the threads before a break of the list
        doc["thread_list_problem"] = thread_list_problem(session.program)
    print(json_document(session.line, doc), file=session.out)


def section_lines(prog: Program, section: Section, style: CrashinfoStyle) -> list[str]:
    # A garbled global sinks its section only: the rest of the report is what a reader of a
    # damaged dump needs most.
    try:
        return section.render(prog, style)
    except Q4Error as err:
        problem = " ".join(str(err).split())
        return [f"crashinfo: {section.name}: {problem}"]


def title_lines(style: CrashinfoStyle, present: list[Section]) -> list[str]:
    """`crashinfo (3.5) output` and the Table Of Contents of the sections that print."""
    return [f"\t\t      crashinfo ({style.name}) output", "", *banner("Table Of Contents"),
            "", "", *(f"* {s.title}" for s in present), ""]
