"""`whatis NAME|ADDR`: what a name is (a field of the current pile, a kernel symbol, or a
type), or what an address is part of.

    q4> whatis panicstr
    panicstr: char *  (kernel global at 0x694640, 4 bytes)
    q4> whatis b_un.b_addr
    b_un.b_addr: caddr_t  (4 bytes at offset 0x24 of struct buf, the current pile's type)
    q4> whatis buf_t
    buf_t: typedef of struct buf, 128 bytes (0x80)

The name is looked up in the order expressions use: a member of the current pile's type first
(so `whatis p_pid` answers for the pile `keep p_pid > 5` filters), then a kernel symbol (its C
type when q4py knows it, from the same declarations `print`/`p` use), then a type name
(structures, typedefs, scalars like `pid_t`).

An address (anything but a name: `0x1a012cc`, `0x5.0x7fff0100`, `panic+0x14`, `&freemem`) is
looked up in every table q4py knows (q4py.kernel.identify), one line each under the address:

    q4> whatis 0x1a012cc
    0x1a012cc:
      proc[1]+0x10: struct proc of pid 1 "init", member p_ppid
      physical page 0x1a01 (PA 0x1a012cc): a free page (pfdat entry 0x1035020), in the dump
    q4> whatis &freemem+2
    0x694672:
      freemem+0x2 (kernel global int)
      physical page 0x694 (PA 0x694672): a page of class data (pfdat entry 0x100e280), in the dump

(The forge lays the kernel's text, data and bss and its buffer headers in pages of their
classes, but its other dynamic tables, the proc table here, in whatever pages the scenario's
page counts put there.)

A buffer header is found on the buffer free lists (`bfreelist`), walked from each head (the
other way too past a broken link; cycle-safe, at most nbuf buffers); a link that does not point
back is said (lines wrapped here):

    q4> whatis 0x4076da30
    0x4076da30:
      buf at 0x4076da18 (+0x18), on bfreelist[2] (BQ_AGE), 1st after the head, member
        av_forw; its av_back does not point back
      physical page 0x4076d (PA 0x4076da30): a page of class kalloc, pool bufcache_bufs
        (pfdat entry 0x1c17470), in the dump

The format is q4py's (no HP report shows one), after crash's `kmem ADDR`.
"""

from __future__ import annotations

import difflib
import re
from typing import TYPE_CHECKING

from q4py import expr
from q4py.addr import format_space_offset
from q4py.commands import command
from q4py.errors import CommandError, Q4Error
from q4py.kernel.identify import identify_address
from q4py.layouts import KERNEL_GLOBALS, LayoutError

if TYPE_CHECKING:
    from q4py.shell.session import Session

USAGE = "whatis NAME | whatis ADDR"
_NAME = re.compile(r"^[A-Za-z_$][A-Za-z0-9_$]*(\.[A-Za-z_$][A-Za-z0-9_$]*)*$")


def _size(size: int) -> str:
    return f"{size} byte{'' if size == 1 else 's'}"


def _pile_field(session: Session, name: str) -> str | None:
    if session.piles.empty:
        return None
    layout = session.piles.current.layout
    try:
        member = layout.field(name)
    except LayoutError:
        return None
    return (f"{name}: {member.ctype.spelling}  ({_size(member.ctype.size)} at offset "
            f"{member.offset:#x} of {layout.name}, the current pile's type)")


def _symbol(session: Session, name: str) -> str | None:
    prog = session.program
    if not prog.has_symbol(name):
        return None
    symbol = prog.symbol(name)
    if symbol.kind == "func":
        return f"{name}: function  (at {symbol.address:#x}, {_size(symbol.size)} of text)"
    decl = KERNEL_GLOBALS.get(name)
    where = f"kernel global at {symbol.address:#x}, {_size(symbol.size)}"
    if decl is None:
        return f"{name}: object of unknown type  ({where}; q4py does not know its C type)"
    return f"{name}: {decl.ctype}  ({where})"


def _type(session: Session, words: list[str]) -> str | None:
    prog = session.program
    name = " ".join(words)
    try:
        layout = prog.types.get(name)
    except LayoutError:
        try:
            ctype = prog.types.ctype(name)
        except LayoutError:
            return None
        kind = {"int": "signed integer" if ctype.signed else "unsigned integer",
                "pointer": "pointer", "float": "floating point", "chars": "char array",
                "array": "array", "struct": "structure"}.get(ctype.kind, ctype.kind)
        return f"{name}: {kind}, {_size(ctype.size)}"
    size = f"{_size(layout.size)} ({layout.size:#x})"
    if name == layout.name:
        return f"{name}: {size}"
    if name in layout.aliases:
        return f"{name}: typedef of {layout.name}, {size}"
    return f"{name}: {layout.name}, {size}"


def _not_found(session: Session) -> str:
    if session.piles.empty:
        return "neither a kernel symbol nor a type"
    return f"not a field of {session.piles.current.layout.name}, a kernel symbol or a type"


def _suggest(session: Session, name: str) -> str:
    prog = session.program
    candidates = [s.name for s in prog.symbols()] + prog.types.names()
    if not session.piles.empty:
        candidates += [m.name for m in session.piles.current.layout.walk()]
    close = difflib.get_close_matches(name, candidates, n=3)
    return f" (did you mean {', '.join(close)}?)" if close else ""


@command(
    "whatis",
    usage=USAGE,
    summary="say what a name is (a field of the pile, a kernel symbol, a type) or what an "
    "address is part of",
    help="Looks NAME up the way expressions do: a member of the current pile's type (dotted\n"
    "for nested members) first, then a kernel symbol (with its C type when q4py knows it),\n"
    "then a type (struct TAG, a typedef, a scalar such as pid_t), and prints one line.\n"
    "ADDR (anything that is not a name: a number, SPACE.OFFSET, sym+OFF, &sym) prints what the\n"
    "address is part of, one line each: a kernel symbol and offset, a process or kthread and\n"
    "the member, a buffer header on a buffer free list (`buf at ADDR (+OFF), on\n"
    "bfreelist[2] (BQ_AGE), ...`: the lists are walked from their heads, the other way too\n"
    "past a broken link, stopping at a loop, a bad link or nbuf buffers), a thread's u-area\n"
    "and kernel stack, a sleeping thread's wait channel, a resource map entry, a pfdat entry,\n"
    "and its physical page (class and kalloc pool, free, in the dump or not; `no translation`\n"
    "outside space 0 when no pdir entry maps it).\n"
    "Examples:\n"
    "  whatis panicstr\n"
    "  whatis p_pid\n"
    "  whatis struct buf\n"
    "  whatis pid_t\n"
    "  whatis 0x1a012cc\n"
    "  whatis 0x4076da18\n"
    "  whatis panic+0x14",
)
def whatis_command(session: Session, args: list[str]) -> None:
    if not args:
        raise CommandError(f"usage: {USAGE}")
    name = " ".join(args)
    if not _NAME.match(name) and not name.startswith(("struct ", "union ")):
        _whatis_address(session, session.args_text or name)
        return
    answer = None
    if len(args) == 1:
        answer = _pile_field(session, name) or _symbol(session, name)
    answer = answer or _type(session, args)
    if answer is None:
        raise CommandError(f"whatis: '{name}' is {_not_found(session)}{_suggest(session, name)}")
    print(answer, file=session.out)


def _whatis_address(session: Session, text: str) -> None:
    prog = session.program
    try:
        value = expr.evaluate_text(text, expr.ProgramEnv(prog))
    except Q4Error as err:
        raise CommandError(f"whatis: {err}") from None
    space = value.space or 0
    head = format_space_offset(space, value.value) if space else f"{value.value:#x}"
    print(f"{head}:", file=session.out)
    for identity in identify_address(prog, space, value.value):
        print(f"  {identity.what}", file=session.out)
