"""`fields [TYPE]`: a structure's layout (offsets, sizes, C types), or every type q4py knows.

    q4> fields struct map
    struct map: 8 bytes (0x8), reconstruction
    OFFSET  SIZE  TYPE      FIELD
       0x0     4  char *    m_limit
    ...

Members of nested structures are flattened with dotted names (`b_un.b_addr`), the names
`print`, `keep` and `load ... next` take. Bytes no modelled member covers (q4py's
reconstructions model only the members it reads) show as `(not modelled)` rows, so the
offsets add up to the structure's size.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from q4py.commands import command
from q4py.commands.p import _close_types
from q4py.errors import CommandError
from q4py.layouts import Layout, LayoutError

if TYPE_CHECKING:
    from q4py.program import Program
    from q4py.shell.session import Session

USAGE = "fields [TYPE]"
GAP = "(not modelled)"


def layout_lines(layout: Layout) -> list[str]:
    """The `fields TYPE` table of one layout."""
    origin = "reconstruction" if layout.reconstruction else "public layout"
    also = f" (also {', '.join(layout.aliases)})" if layout.aliases else ""
    rows: list[tuple[int, int, str, str]] = []
    position = 0
    for member in layout.walk():
        if member.offset > position:
            rows.append((position, member.offset - position, "", GAP))
        rows.append((member.offset, member.ctype.size, member.ctype.spelling, member.name))
        position = max(position, member.offset + member.ctype.size)
    if layout.size > position:
        rows.append((position, layout.size - position, "", GAP))
    off_width = max([len("OFFSET")] + [len(f"{r[0]:#x}") for r in rows])
    size_width = max([len("SIZE")] + [len(str(r[1])) for r in rows])
    type_width = max([len("TYPE")] + [len(r[2]) for r in rows])
    lines = [f"{layout.name}{also}: {layout.size} bytes ({layout.size:#x}), {origin}",
             f"{'OFFSET':>{off_width}}  {'SIZE':>{size_width}}  {'TYPE':<{type_width}}  FIELD"]
    for offset, size, spelling, name in rows:
        lines.append(f"{offset:>#{off_width}x}  {size:>{size_width}}  "
                     f"{spelling:<{type_width}}  {name}")
    return lines


def type_list(prog: Program) -> list[str]:
    """Every structure q4py knows, sorted by name, with its size and other names."""
    layouts = sorted(prog.types.layouts(), key=lambda lay: lay.name)
    width = max(len(lay.name) for lay in layouts)
    lines = [f"{'TYPE':<{width}}  {'SIZE':>6}  ALSO"]
    for lay in layouts:
        lines.append(f"{lay.name:<{width}}  {lay.size:>6}  {', '.join(lay.aliases)}".rstrip())
    return lines


def find_layout(prog: Program, words: list[str], verb: str) -> Layout:
    """The layout `words` name (`struct buf`, `buf_t`, `buf`); CommandError with suggestions."""
    name = " ".join(words)
    try:
        return prog.types.get(name)
    except LayoutError:
        close = _close_types(prog, name)
        hint = f" (did you mean {', '.join(close)}?)" if close else " ('fields' lists them)"
        raise CommandError(f"{verb}: unknown type '{name}'{hint}") from None


@command(
    "fields",
    usage=USAGE,
    summary="show a structure's members with offsets, sizes and C types, or list the types",
    help="fields TYPE   one row per member: offset, size in bytes, C type and name. Members of\n"
    "              nested structures have dotted names (b_un.b_addr), as print and keep take\n"
    "              them; bytes no member covers show as `(not modelled)`. The first line\n"
    "              says whether the layout is public or q4py's reconstruction.\n"
    "fields        every structure type, with its size and other names (typedefs).\n"
    "TYPE is `struct TAG`, a typedef (proc_t) or the bare tag (proc).\n"
    "Examples:\n"
    "  fields\n"
    "  fields struct buf\n"
    "  fields crash_event_t",
)
def fields_command(session: Session, args: list[str]) -> None:
    prog = session.program
    lines = type_list(prog) if not args else layout_lines(find_layout(prog, args, "fields"))
    for line in lines:
        print(line, file=session.out)
