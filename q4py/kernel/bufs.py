"""The buffer cache's free lists: `bfreelist[q]` heads, each a ring of `struct buf` through
`av_forw`/`av_back` (queues in q4py.layouts.buf.BQUEUE_NAMES order, a reconstruction).

A walk follows `av_forw` from the head until it comes back; when it does not (a broken list),
`av_back` from the head the same way, so a buffer past the break is still found from the other
side. A walk stops at NULL, at an address no structure with pointers can have (not
pointer-aligned), at an address it has seen (a cycle that does not pass the head), or at memory
the dump cannot read; and all the walks together stop after as many buffers as the kernel has
headers (`nbuf`; `MAX_WALK` when it does not say, or says more), since no more can be free.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

from q4py.errors import Q4Error
from q4py.layouts.buf import BQUEUE_NAMES, BQUEUES
from q4py.program import Program

MAX_WALK = 1 << 18  # buffers followed in all, at the most


@dataclass(frozen=True)
class QueuedBuf:
    """A buffer found on a free list."""

    address: int
    queue: int  # bfreelist index
    position: int  # 1 = the first after the head in the direction it was found
    backwards: bool  # found following av_back from the head
    linked_back: bool  # the link the other way points at the buffer it was reached from

    @property
    def list_name(self) -> str:
        return f"bfreelist[{self.queue}] ({BQUEUE_NAMES[self.queue]})"


def free_list_bufs(prog: Program) -> Iterator[QueuedBuf]:
    """Every buffer reachable from the free-list heads (none when the kernel has no
    `bfreelist`): forwards, then backwards those the forward walk did not reach."""
    if not prog.has_symbol("bfreelist"):
        return
    layout = prog.types.get("struct buf")
    forw, back = layout.field("av_forw").offset, layout.field("av_back").offset
    align = layout.field("av_forw").size
    heads = prog.symbol("bfreelist").address
    nbuf = prog.global_or("nbuf", 0)
    budget = min(nbuf, MAX_WALK) if isinstance(nbuf, int) and nbuf > 0 else MAX_WALK
    for queue in range(BQUEUES):
        head = heads + queue * layout.size
        found: set[int] = set()
        for backwards, step, other in ((False, forw, back), (True, back, forw)):
            previous, address, seen = head, _link(prog, head + step), {head}
            position = 0
            while address and not address % align and address not in seen and budget > 0:
                seen.add(address)
                position += 1
                budget -= 1
                try:
                    after = prog.read_ulong(address + step)
                    linked = prog.read_ulong(address + other) == previous
                except Q4Error:
                    break  # a link into memory the dump does not hold
                if address not in found:
                    found.add(address)
                    yield QueuedBuf(address, queue, position, backwards, linked)
                previous, address = address, after
            if address == head:
                break  # the ring is whole: the other way holds nothing more


def _link(prog: Program, address: int) -> int:
    try:
        return prog.read_ulong(address)
    except Q4Error:
        return 0
