"""Buffer headers: `struct buf` (reconstruction, HP-UX 11.00 member names).

The member names are 11.00's (`b_flags`, the `b_forw`/`b_back` hash chain, the `av_forw`/
`av_back` free-list chain, `b_un.b_addr`, `b_vp` ...); their order, sizes and the structure's
size are q4py's reconstruction. One public 64-bit q4 session pins four offsets, because it
printed a second buffer made of garbage bytes that count up from 0 (byte i at offset i), so
each value shows where its field sits: `b_flags` = 0x10203 is a 4-byte int at 0, `av_forw` =
0x18191a1b1c1d1e1f at 0x18, `av_back` at 0x20, `b_dev` = 0x4c4d4e4f a 4-byte int at 0x4c. The
members in between are placed so C alignment puts those four exactly there on a wide kernel;
the narrow layout is the same members with 4-byte pointers.

The real header is larger (I/O tracking, merge and queue members); the members q4py does not
model are padding to a plausible size: 0x80 bytes narrow, 0xc0 wide.

Free buffers wait on the free lists whose heads are the kernel global `bfreelist`, an array of
`struct buf` used only for their `av_forw`/`av_back`: each list is a ring through its head (an
empty list's head points at itself). The four queues and their order are 4.3BSD's (BQ_LOCKED,
BQ_LRU, BQ_AGE, BQ_EMPTY); that HP-UX 11 kept them so is q4py's reconstruction, nothing public
shows its `bfreelist`.
"""

from __future__ import annotations

from q4py.layouts.base import TypeRegistry

BUF_SIZE_NARROW = 0x80
BUF_SIZE_WIDE = 0xC0

# b_flags bits (11.00 names; values are the classic BSD ones HP-UX kept).
B_WRITE = 0x0000
B_READ = 0x0001
B_DONE = 0x0002
B_ERROR = 0x0004
B_BUSY = 0x0008
B_PHYS = 0x0010
B_WANTED = 0x0040
B_ASYNC = 0x0100
B_DELWRI = 0x0200
B_INVAL = 0x0800

# bfreelist[]: the free-list heads, in 4.3BSD's order (reconstruction).
BQUEUE_NAMES: tuple[str, ...] = ("BQ_LOCKED", "BQ_LRU", "BQ_AGE", "BQ_EMPTY")
BQUEUES = len(BQUEUE_NAMES)


def define(reg: TypeRegistry) -> None:
    # `b_un` is a union in C; its one modelled member makes it a one-member structure here.
    reg.define(
        "union buf_un",
        [("b_addr", "caddr_t")],
        reconstruction=True,
        doc="The data address of a buffer (b_un.b_addr).",
    )
    reg.define(
        "struct buf",
        [
            ("b_flags", "int"),  # offset 0 (pinned by the 64-bit session)
            ("b_forw", "struct buf *"),  # hash chain
            ("b_back", "struct buf *"),
            ("av_forw", "struct buf *"),  # free list / driver queue (0x18 wide, pinned)
            ("av_back", "struct buf *"),  # 0x20 wide, pinned
            ("b_blockf", "struct buf *"),  # vnode's buffer list
            ("b_blockb", "struct buf **"),
            ("b_bcount", "int"),  # bytes to transfer
            ("b_bufsize", "int"),  # bytes allocated
            ("b_un", "union buf_un"),
            ("b_blkno", "int"),  # daddr_t: block number on the device
            ("b_dev", "dev_t"),  # 0x4c wide, pinned
            ("b_resid", "int"),  # bytes not transferred
            ("b_error", "int"),
            ("b_vp", "struct vnode *"),
            ("b_iodone", "void *"),  # completion routine
            ("b_proc", "struct proc *"),
            ("b_spaddr", "unsigned int"),  # space id of b_un.b_addr
            ("b_lblkno", "int"),  # logical block in the file
        ],
        reconstruction=True,
        aliases=("buf_t",),
        size=BUF_SIZE_WIDE if reg.abi.wide else BUF_SIZE_NARROW,
        doc="A buffer cache header (member order and size are a reconstruction).",
    )
