"""`search [-s SPACE] [-r START END] VALUE | -p POINTER | -c "STRING"`: memory searched for a
value, as crash's `search` does.

The pages searched are the ones the dump holds: in space 0 every dumped page frame (space 0 is
equivalently mapped), in another space every page the hashed page directory maps there whose
frame is dumped. VALUE is a 32-bit word at 4-byte aligned addresses (a 64-bit one when it does
not fit in 32 bits, 8-byte aligned); `-p` a pointer (the kernel's width, aligned to it); `-c`
the bytes of a string anywhere within a page. Each hit prints `ADDRESS: VALUE`, with the symbol
holding the address when there is one; the format is q4py's, after crash's. A range with no
page to search is one line, and so is a search that finds nothing.
"""

from __future__ import annotations

import shlex
from collections.abc import Iterator
from typing import TYPE_CHECKING

import numpy as np

from q4py import expr
from q4py.addr import format_space_offset
from q4py.commands import command
from q4py.errors import CommandError, Q4Error
from q4py.kernel.pdir import space_pages
from q4py.layouts.vm import PAGE_SHIFT, PAGE_SIZE
from q4py.render.text import c_escape

if TYPE_CHECKING:
    from q4py.program import Program
    from q4py.shell.session import Session

USAGE = 'search [-s SPACE] [-r START END] VALUE | -p POINTER | -c "STRING"'
MAX_HITS = 1000  # hits printed before the search stops (narrow it with -r)


def _number(prog: Program, text: str, what: str) -> expr.Value:
    try:
        return expr.evaluate_text(text, expr.ProgramEnv(prog))
    except Q4Error as err:
        raise CommandError(f"search: {what}: {err}") from None


def _pages(prog: Program, space: int, start: int, end: int) -> Iterator[tuple[int, int]]:
    """(virtual address of the page, page frame) of every dumped page in [start, end)."""
    if space == 0:
        first, last = start >> PAGE_SHIFT, (end - 1) >> PAGE_SHIFT
        for pfn in prog.dumped_pfns():
            if first <= pfn <= last:
                yield pfn << PAGE_SHIFT, pfn
        return
    for vpage, pfn in space_pages(prog, space):
        address = vpage << PAGE_SHIFT
        if address + PAGE_SIZE > start and address < end and prog.has_page(pfn):
            yield address, pfn


def _hits(data: bytes, needle: bytes, align: int) -> Iterator[int]:
    """Offsets in `data` where `needle` is, at multiples of `align`."""
    if align > 1:
        code = {4: ">u4", 8: ">u8"}[align]
        words = np.frombuffer(data, dtype=code)
        value = int.from_bytes(needle, "big")
        yield from (int(i) * align for i in np.flatnonzero(words == value))
        return
    at = data.find(needle)
    while at >= 0:
        yield at
        at = data.find(needle, at + 1)


@command(
    "search",
    usage=USAGE,
    summary="search the dumped memory for a value, a pointer or a string",
    help="Searches the pages the dump holds: space 0 (equivalently mapped) by default, or the\n"
    "pages the page directory maps in space SPACE (-s). -r START END limits it to [START, END).\n"
    "VALUE is a 32-bit word at 4-byte aligned addresses (64-bit, 8-byte aligned, when it does\n"
    "not fit in 32 bits); -p POINTER a pointer of the kernel's width, aligned to it; -c STRING\n"
    "the string's bytes anywhere within a page. Each hit is `ADDRESS: VALUE` (and the symbol\n"
    f"holding ADDRESS); the search stops after {MAX_HITS} hits. Numbers are expressions.\n"
    "Examples:\n"
    "  search 0x1156\n"
    "  search -p proc\n"
    '  search -c "panic"\n'
    "  search -r 0x1a01000 0x1a02000 -p 0x1ab3c18\n"
    "  search -s 0xbc46000 0x1",
)
def search_command(session: Session, args: list[str]) -> None:
    prog = session.program
    try:
        words = shlex.split(session.args_text) if session.args_text else list(args)
    except ValueError:
        words = list(args)
    space, start, end = 0, 0, 1 << (64 if prog.wide else 32)
    kind = "value"
    target: str | None = None
    i = 0
    while i < len(words):
        word = words[i]
        if word == "-s" and i + 1 < len(words):
            space = _number(prog, words[i + 1], "SPACE").value
            i += 2
        elif word == "-r" and i + 2 < len(words):
            start = _number(prog, words[i + 1], "START").value
            end = _number(prog, words[i + 2], "END").value
            i += 3
        elif word in ("-p", "-c") and i + 1 < len(words) and target is None:
            kind, target = ("pointer" if word == "-p" else "string"), words[i + 1]
            i += 2
        elif not word.startswith("-") and target is None:
            target = word
            i += 1
        else:
            raise CommandError(f"usage: {USAGE}")
    if target is None or end <= start:
        raise CommandError(f"usage: {USAGE}" if target is None else
                           f"search: the range {start:#x}-{end:#x} is empty "
                           "(END must be after START)")
    if kind == "string":
        needle, align = target.encode("latin-1", "replace"), 1
        if not needle:
            raise CommandError("search: an empty string matches everywhere")
    else:
        value = _number(prog, target, kind.upper()).value
        size = prog.pointer_size if kind == "pointer" else (4 if value <= 0xFFFFFFFF else 8)
        if value >> (8 * size):
            raise CommandError(f"search: {value:#x} does not fit in a {8 * size}-bit pointer")
        needle, align = value.to_bytes(size, "big"), size
    _search(session, space, start, end, needle, align, kind)


def _search(session: Session, space: int, start: int, end: int, needle: bytes, align: int,
            kind: str) -> None:
    prog = session.program
    out = session.out
    pages = hits = 0
    for page_address, pfn in _pages(prog, space, start, end):
        data = prog.page(pfn)
        if data is None:
            continue
        pages += 1
        raw = bytes(data)
        for at in _hits(raw, needle, align):
            address = page_address + at
            if not start <= address < end or (kind == "string" and at + len(needle) > len(raw)):
                continue
            hits += 1
            if hits > MAX_HITS:
                print(f"search: stopped after {MAX_HITS} hits (narrow it with -r START END)",
                      file=out)
                return
            where = format_space_offset(space, address) if space else f"{address:#x}"
            shown = (f'"{c_escape(raw[at:at + 40].split(bytes(1), 1)[0])}"'
                     if kind == "string" else f"{int.from_bytes(needle, 'big'):#x}")
            symbol = prog.symbolize(address) if space == 0 else None
            print(f"{where}: {shown}" + (f"  {symbol}" if symbol else ""), file=out)
    span = (f"{format_space_offset(space, start)}-{end:#x}" if space
            else f"{start:#x}-{end:#x}")
    if pages == 0:
        raise CommandError(f"search: no page of {span} is in the dump"
                           + (" with a translation" if space else ""))
    if hits == 0:
        print(f"search: not found in {pages} page{'s' if pages != 1 else ''} of {span}",
              file=out)
