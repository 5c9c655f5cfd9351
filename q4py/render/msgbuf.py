"""Message Buffer: the text the kernel logged, oldest first."""

from __future__ import annotations

from q4py.kernel.msgbuf import message_buffer_text
from q4py.program import Program
from q4py.render import section
from q4py.render.text import banner


@section("msgbuf", "Message Buffer", 30)
def message_buffer_section(prog: Program) -> list[str]:
    # A blank line ends the text, whether the kernel's last message ended its line or the
    # ring stops mid-line (kalloc-sysmap, spinlock-process-lock, vhand-superpages agree).
    text = message_buffer_text(prog)
    return banner("Message Buffer") + [""] + text.splitlines() + [""]
