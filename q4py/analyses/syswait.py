"""The Syswait Array as data: threads waiting for I/O, per processor.

`syswait` holds one `struct syswait` per processor; a kernel without it has no such section.
"""

from __future__ import annotations

from q4py.kernel.cpus import per_processor_global
from q4py.program import Program


def syswait_iowait(prog: Program) -> list[int]:
    """Threads waiting for I/O, per processor; empty for a kernel without a syswait array."""
    return [entry.iowait for entry in per_processor_global(prog, "syswait")]
