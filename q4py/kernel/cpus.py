"""Per-processor kernel globals: arrays such as `mp_avenrun[]` and `syswait[]`, one entry per
processor, of which the processors `nmpinfo` counts are in use.
"""

from __future__ import annotations

from typing import Any

from q4py.kernel.tables import table_size
from q4py.program import Program


def per_processor_global(prog: Program, name: str) -> list[Any]:
    """The entries of a per-processor global array (as many as the symbol holds, at most
    one per processor); empty when the kernel has no such global."""
    if not prog.has_symbol(name):
        return []
    ctype = prog.global_ctype(name)
    symbol = prog.symbol(name)
    count = min(symbol.size // ctype.size if symbol.size else 1, table_size(prog, "nmpinfo"))
    return [prog.read_value(ctype, symbol.address + i * ctype.size) for i in range(count)]
