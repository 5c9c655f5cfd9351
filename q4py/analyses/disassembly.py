"""Instruction listings as data: the words from an address on, decoded, with branch targets
named by the kernel's symbols and the instructions a trap interrupted marked.

`dis` and `examine ... using i` print these. A word that cannot be read (outside the dump, an
unmapped page) is one entry carrying the error, and the listing goes on at the next page; a
word that is no instruction is `.word 0x...`.
"""

from __future__ import annotations

import struct
from collections.abc import Iterator
from dataclasses import dataclass

from q4py.disasm import decode, format_instruction
from q4py.errors import Q4Error, ReadError
from q4py.kernel.events import crash_events
from q4py.kernel.traps import trap_type
from q4py.program import Program
from q4py.unwind import unwind_event

PAGE = 4096
_CHUNK = 1 << 16  # bytes read at a time


@dataclass(frozen=True)
class Listed:
    """One line of a listing: an instruction (`word` and `text`), or a read that failed
    (`word` None, `text` the error, `skipped` the words it stands for)."""

    address: int
    word: int | None
    text: str
    note: str | None = None  # "crash event 0: ..." on an interrupted instruction
    skipped: int = 1


def interrupted(prog: Program) -> dict[int, str]:
    """pc -> `crash event N: <trap name>` for every kernel-mode trap of the crash events'
    stacks (the instructions the traps interrupted). Empty when the dump has no readable
    crash event table."""
    marks: dict[int, str] = {}
    try:
        events = crash_events(prog)
    except Q4Error:
        return marks
    for event in events:
        try:
            trace = unwind_event(prog, event)
        except Q4Error:
            continue
        for segment in trace.segments:
            trap = segment.trap
            if trap is None or trap.user_mode:
                continue
            pc = trap.pcoq & ~3
            marks.setdefault(pc, f"crash event {event.index}: "
                                 f"{trap_type(trap.trap_type).name}")
    return marks


def symbolic_text(prog: Program, word: int, pc: int) -> str:
    """The instruction's text, a pc-relative branch's target named (`panic+0x14`)."""
    insn = decode(word, pc, prog.wide)
    if insn.target is None:
        return insn.text
    name = prog.symbolize(insn.target)
    if name is None:
        return insn.text
    shown = f"{insn.target:#x}"
    return format_instruction(insn.mnemonic,
                              ",".join(name if op == shown else op for op in insn.operands))


def listing(prog: Program, address: int, count: int, space: int = 0,
            marks: dict[int, str] | None = None) -> Iterator[Listed]:
    """`count` instructions from `space.address`, read a chunk at a time."""
    bits = 64 if prog.wide else 32
    address &= ~3
    count = min(count, ((1 << bits) - address) // 4)  # never past the top of the space
    done = 0
    while done < count:
        want = min(count - done, _CHUNK // 4)
        try:
            data = prog.read(address, want * 4, space)
        except ReadError:
            data = _readable_prefix(prog, address, want, space)
        words = struct.unpack(f">{len(data) // 4}I", data)
        for word in words:
            note = marks.get(address) if marks and not space else None
            yield Listed(address, word, symbolic_text(prog, word, address), note)
            address += 4
        done += len(words)
        if len(words) < want:  # the next word cannot be read: one line, on to the next page
            try:
                prog.read(address, 4, space)
                error = "cannot be read"
            except ReadError as err:
                error = str(err)
            skipped = min((PAGE - address % PAGE) // 4, count - done)
            yield Listed(address, None, error, None, skipped)
            address += skipped * 4
            done += skipped


def _readable_prefix(prog: Program, address: int, want: int, space: int) -> bytes:
    """The words from `address` that can be read, page by page, up to the first that cannot."""
    out = b""
    while len(out) < want * 4:
        here = address + len(out)
        size = min(want * 4 - len(out), PAGE - here % PAGE)
        try:
            out += prog.read(here, size, space)
        except ReadError:
            break
    return out


def function_extent(prog: Program, address: int) -> tuple[int, int] | None:
    """(first, last) instruction address of the function at `address`, from its unwind
    descriptor (`region_end` is inclusive), else from its symbol's size; None if neither."""
    entry = prog.unwind_for(address)
    if entry is not None:
        return entry.start, entry.end
    name = prog.symbolize(address)
    if name is None or "+" in name:
        return None
    symbol = prog.symbol(name)
    if symbol.size < 4:
        return None
    return symbol.address, symbol.address + symbol.size - 4
