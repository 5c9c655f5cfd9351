"""Table sizes read from the dump (`nmpinfo`, `nkthread`, `npfdat_chunks`, ...).

Each is a C int: a garbled one reads as a negative number (0x80000000 is -2147483648) or, were
it unsigned, as billions of entries. Either is named in one line instead of reaching a read as a
negative size or an endless loop.
"""

from __future__ import annotations

from typing import Any

from q4py.errors import Q4Error
from q4py.program import Program

INT_MAX = 0x7FFFFFFF

_NO_DEFAULT: Any = object()


def table_size(prog: Program, name: str, default: Any = _NO_DEFAULT) -> int:
    """The kernel global `name` as a table size; Q4Error `NAME = VALUE is not a table size`
    when it is negative or past INT_MAX. With `default`, a kernel without the symbol gives it."""
    value = prog.read_global(name) if default is _NO_DEFAULT else prog.global_or(name, default)
    if not isinstance(value, int) or not 0 <= value <= INT_MAX:
        raise Q4Error(f"{name} = {value} is not a table size")
    return value
