"""The kernel message buffer (`msgbuf`): a 4.3BSD ring of text behind a small header."""

from __future__ import annotations

from q4py.errors import Q4Error
from q4py.layouts.system import MSG_MAGIC
from q4py.program import Program


def message_buffer_text(prog: Program) -> str:
    """The buffer's text, oldest first. Its size is the symbol's size less the header."""
    symbol = prog.symbol("msgbuf")
    header_layout = prog.types.get("struct msgbuf")
    header = prog.read_struct(header_layout, symbol.address)
    if header.msg_magic != MSG_MAGIC:
        # msg_magic is a signed long: show its bits, as a hex dump would (not -0x...).
        bits = 8 * header_layout.field("msg_magic").size
        raise Q4Error(f"msgbuf at {symbol.address:#x} has magic "
                      f"{header.msg_magic & ((1 << bits) - 1):#x}, not {MSG_MAGIC:#x}")
    size = symbol.size - header_layout.size
    if size <= 0:
        raise Q4Error(f"msgbuf symbol has size {symbol.size}, too small for a buffer")
    ring = prog.read(symbol.address + header_layout.size, size)
    write = header.msg_bufx
    if not 0 <= write < size:
        raise Q4Error(f"msgbuf write index {write} is outside its {size}-byte buffer")
    # A ring that has wrapped has text at the write index; then it starts there.
    text = ring[write:] + ring[:write] if ring[write] else ring[:write]
    return text.replace(b"\0", b"").decode("latin-1")
