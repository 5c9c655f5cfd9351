"""`load TYPE from EXPR [max EXPR] [next FIELD] [skip N] [until EXPR]`: make a pile.

Without `next` the structures are consecutive (an array from EXPR on); with `next FIELD` they
form a linked list through that pointer member. The walk is always bounded: it ends at `max`
structures, at a read that fails, at a NULL `next` pointer, when a list comes back to a
structure it already visited, when `until` holds, or at LIMIT structures whatever `max` says.
The new pile is pushed only once the walk is over, so Ctrl-C leaves the history as it was.

The output is q4's, verified on a 64-bit session: `loaded 2 struct bufs as a linked list` with
a trailing blank, an empty line, `(stopped by bad read at 0x0.0x18191a1b'1c1d1e1f)` and another
empty line. A stop reason line is printed whenever the walk ended before the data did; none
when a list ended at its NULL pointer or an array reached its `max`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from q4py import expr
from q4py.addr import format_q4_address
from q4py.commands import command
from q4py.errors import CommandError, Q4Error, ReadError
from q4py.layouts import Layout
from q4py.layouts.base import CType
from q4py.piles import ItemEnv, PileItem, count_of, field_value, resolve_field

if TYPE_CHECKING:
    from q4py.shell.session import Session

USAGE = "load TYPE from EXPR [max EXPR] [next FIELD] [skip EXPR] [until EXPR]"
CLAUSES = ("from", "max", "next", "skip", "until")
LIST_MAX = 1000  # `max` of a list walk when none is given
ARRAY_MAX = 1  # `max` of an array when none is given: one structure
LIMIT = 1_000_000  # no load ever holds more, whatever `max` says
_PROGRESS_EVERY = 1000

HELP = f"""\
TYPE is `struct TAG` or a typedef (`proc_t`, `kthread_t`). The clauses come in any order:
  from EXPR    address of the first structure (required). A bare symbol is its value (q4
               dereferences it: `from proc_list`), `&sym` its address, `0x0`4076da18` a
               64-bit address split at the backtick, `SPACE.OFFSET` an address in a space.
  max EXPR     at most this many structures (default: {ARRAY_MAX} for an array, {LIST_MAX} for a
               list). It may name a kernel variable: `max nproc`.
  next FIELD   follow this pointer member: a linked list. Without it the structures are
               consecutive in memory: an array.
  skip EXPR    walk past this many structures first.
  until EXPR   stop before the first structure for which EXPR (using its fields, e.g.
               `until p_pid == 0`) is non-zero.
The walk stops at the first of: `max` structures; a read that fails; a NULL `next`; a list
coming back to a structure it saw before; `until`; {LIMIT:,} structures. It prints
`loaded N TYPEs as a linked list ` (or `as an array `), an empty line, and, when the walk
stopped before the data ended, the reason and another empty line:
  (stopped by bad read at 0x0.0x18191a1b'1c1d1e1f)
  (stopped by max count)              a list cut at `max`
  (stopped by loop at ADDRESS)        the list came back to ADDRESS
  (stopped by until at ADDRESS)       `until` held for the structure at ADDRESS
                                      (`until` is tested before the loop check)
  (stopped by the limit of {LIMIT} structures)
A list ending at a NULL pointer, or an array of `max` structures, needs no reason.
The structures become a new pile, the current one (`it`); loading nothing makes no pile.
Examples:
  load struct proc from proc max nproc
  load proc_t from proc_list max nproc next p_factp
  load struct buf from 0x0`4076da18 next av_forw max 10
  load struct buf from &bfreelist next av_forw skip 1 until addrof == &bfreelist"""


@dataclass
class LoadRequest:
    """A parsed `load` line."""

    type_words: str
    clauses: dict[str, str]


def parse_load(args: list[str]) -> LoadRequest:
    """Split the words of a load line into the type and its clauses (any order, each once)."""
    if not args:
        raise CommandError(f"usage: {USAGE}")
    if args[0] in ("struct", "union"):
        if len(args) < 2 or args[1] in CLAUSES:
            raise CommandError(f"load: '{args[0]}' needs a tag, e.g. 'load struct proc from ...'")
        type_words, rest = f"{args[0]} {args[1]}", args[2:]
    else:
        if args[0] in CLAUSES:
            raise CommandError(f"load: a type comes first (usage: {USAGE})")
        type_words, rest = args[0], args[1:]
    clauses: dict[str, list[str]] = {}
    current: list[str] | None = None
    for word in rest:
        if word in CLAUSES:
            if word in clauses:
                raise CommandError(f"load: '{word}' is given twice")
            current = clauses[word] = []
        elif current is None:
            raise CommandError(f"load: unexpected '{word}' after the type: expected one of "
                               f"{', '.join(CLAUSES)}")
        else:
            current.append(word)
    texts = {}
    for name, words in clauses.items():
        if not words:
            what = "a field" if name == "next" else "an expression"
            raise CommandError(f"load: '{name}' needs {what}")
        texts[name] = " ".join(words)
    if "from" not in texts:
        raise CommandError(f"load: where from? (usage: {USAGE})")
    if "next" in texts and len(clauses["next"]) != 1:
        raise CommandError(f"load: 'next' takes one field name, not '{texts['next']}'")
    return LoadRequest(type_words, texts)


def display_name(layout: Layout, spelling: str) -> str:
    """How q4 names the type in messages: a typedef as typed, anything else as `struct TAG`."""
    spelling = " ".join(spelling.split())
    return spelling if spelling in layout.aliases else layout.name


def _evaluate(text: str, env: expr.Env, clause: str) -> expr.Value:
    try:
        return expr.evaluate(expr.parse(text), env)
    except CommandError as err:
        raise CommandError(f"load: {clause}: {err}") from None


@dataclass
class Walk:
    """What a walk found and why it stopped (`reason` None: the data ended)."""

    items: list[PileItem]
    reason: str | None


def walk(session: Session, layout: Layout, start: int, space: int, *, limit: int, skip: int,
         next_field: str | None, until: expr.Node | None, natural_max: bool) -> Walk:
    """Read structures from `space.start` on, as an array or through `next_field`."""
    prog = session.program
    progress = getattr(session, "progress", None)
    wide = bool(prog.wide)
    items: list[PileItem] = []
    seen: set[int] = set()
    bits_mask = (1 << (64 if wide else 32)) - 1
    address = start
    position = 0
    if next_field is None and skip:
        # An array skips by arithmetic, however large `skip` is.
        address += skip * layout.size
        position = skip
        if address > bits_mask:
            return Walk(items, "stopped by bad read at "
                        + format_q4_address(space, address & bits_mask, wide))
    walked = 0  # structures read, skipped ones included: what LIMIT bounds
    while True:
        if len(items) >= limit:
            return Walk(items, None if natural_max else "stopped by max count")
        if walked >= LIMIT:
            return Walk(items, f"stopped by the limit of {LIMIT} structures")
        walked += 1
        if next_field is not None and address == 0:
            return Walk(items, None)
        try:
            value = prog.read_struct(layout, address, space)
        except ReadError:
            return Walk(items, f"stopped by bad read at {format_q4_address(space, address, wide)}")
        item = PileItem(space, address, value, position)
        # `until` goes before the loop check, so `until addrof == &head` ends a circular list.
        if (position >= skip and until is not None
                and expr.evaluate(until, ItemEnv(prog, layout, item))):
            return Walk(items, f"stopped by until at {format_q4_address(space, address, wide)}")
        if next_field is not None:
            if address in seen:
                return Walk(items, f"stopped by loop at {format_q4_address(space, address, wide)}")
            seen.add(address)
        if position >= skip:
            items.append(item)
            if progress is not None and len(items) % _PROGRESS_EVERY == 0:
                progress(len(items), None if limit >= LIMIT else limit,
                         f"loading {layout.name}")
        position += 1
        if next_field is not None:
            address = int(field_value(value, next_field)) & bits_mask
        else:
            address += layout.size
            if address > bits_mask:
                return Walk(items, "stopped by bad read at "
                            + format_q4_address(space, address & bits_mask, wide))


@command("load", usage=USAGE, summary="load structures from memory into a new pile", help=HELP)
def load_command(session: Session, args: list[str]) -> None:
    request = parse_load(args)
    prog = session.program
    try:
        layout = prog.types.get(request.type_words)
    except Q4Error as err:
        raise CommandError(f"load: {err}") from None
    type_name = display_name(layout, request.type_words)
    clauses = request.clauses
    env = expr.ProgramEnv(prog)
    origin = _evaluate(clauses["from"], env, "from")
    space = origin.space or 0
    next_field = clauses.get("next")
    if next_field is not None:
        ctype = resolve_field_for_load(layout, next_field)
        # A pointer, or an unsigned integer holding one (uintptr_t, caddr_t, ulong_t).
        if not (ctype.kind == "pointer" or (ctype.kind == "int" and not ctype.signed
                                            and ctype.size == prog.pointer_size)):
            raise CommandError(f"load: next: '{next_field}' is a {ctype.spelling}, "
                               "not a pointer")
    if "max" in clauses:
        limit = _evaluate(clauses["max"], env, "max").value
    else:
        limit = LIST_MAX if next_field is not None else ARRAY_MAX
    skip = _evaluate(clauses["skip"], env, "skip").value if "skip" in clauses else 0
    until = None
    if "until" in clauses:
        try:
            until = expr.parse(clauses["until"])
        except CommandError as err:
            raise CommandError(f"load: until: {err}") from None
    try:
        result = walk(session, layout, origin.value, space, limit=limit, skip=skip,
                      next_field=next_field, until=until,
                      natural_max=next_field is None)
    except CommandError as err:
        raise CommandError(f"load: {err}") from None
    kind = "list" if next_field is not None else "array"
    out = session.out
    shape = "a linked list" if kind == "list" else "an array"
    print(f"loaded {count_of(len(result.items), type_name)} as {shape} ", file=out)
    print(file=out)
    if result.reason:
        print(f"({result.reason})", file=out)
        print(file=out)
    if result.items:
        session.piles.make(layout, type_name, kind, result.items, " ".join(["load", *args]))


def resolve_field_for_load(layout: Layout, name: str) -> CType:
    try:
        return resolve_field(layout, name)
    except CommandError as err:
        raise CommandError(f"load: next: {err}") from None
