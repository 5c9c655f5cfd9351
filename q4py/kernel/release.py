"""The HP-UX release a dump comes from, as numbers: `B.11.00` -> (11, 0), `B.11.11` -> (11, 11).

Report formats changed between releases (crashinfo's 11.11 builds print the trap information
without blank lines, the hashed page directory rows in wider columns), so renderers pick their
formatting data by release; the release is read from the kernel's `utsname`, never assumed.
"""

from __future__ import annotations

import re
from typing import TypeVar

from q4py.errors import Q4Error
from q4py.layouts.base import c_string
from q4py.program import Program

T = TypeVar("T")
_RELEASE = re.compile(r"(\d+)\.(\d+)")


def parse_release(text: str) -> tuple[int, int] | None:
    match = _RELEASE.search(text)
    return (int(match.group(1)), int(match.group(2))) if match else None


def kernel_release(prog: Program) -> tuple[int, int] | None:
    """utsname.release as (major, minor); None when it cannot be read or parsed."""
    try:
        raw = prog.read_global("utsname").release
    except Q4Error:
        return None
    return parse_release(c_string(raw))


def by_release(table: dict[tuple[int, int], T], release: tuple[int, int] | None) -> T:
    """The entry of the newest release not newer than `release` (the oldest when unknown)."""
    known = sorted(table)
    chosen = known[0]
    for candidate in known:
        if release is not None and candidate <= release:
            chosen = candidate
    return table[chosen]
