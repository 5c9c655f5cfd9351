"""Kernel patches: the patch identifiers in the kernel's what-strings.

A patched kernel object carries an SCCS what-string naming its patch (`@(#) PATCH_11.00:
vfs_vnops.o 99/04/16 PHKL_18543`, what `what /stand/vmunix` lists). They are strings the
kernel holds in its data, so q4py finds them where crashinfo could: in the kernel's initialised
data in the dump, from the lowest data object of the vmunix to the end of the highest.
"""

from __future__ import annotations

import re

from q4py.errors import Q4Error
from q4py.program import Program

WHAT = b"@(#)"
PATCH_ID = re.compile(rb"\bPH[A-Z]{2}_\d+\b")
PAGE = 0x1000
WHAT_LIMIT = 256  # a what-string is one line


def data_span(prog: Program) -> tuple[int, int] | None:
    """(start, end) of the kernel's data objects; None without any."""
    objects = [s for s in prog.symbols() if s.kind == "object" and s.size]
    if not objects:
        return None
    return min(s.address for s in objects), max(s.address + s.size for s in objects)


def kernel_patches(prog: Program) -> list[str]:
    """The patch identifiers of the kernel's what-strings, sorted, each once."""
    span = data_span(prog)
    if span is None:
        return []
    found: set[str] = set()
    start, end = span
    first, last = start // PAGE, (end - 1) // PAGE
    tail = b""  # the end of the page before, for a string that crosses into this one
    previous = None
    # Only the pages the dump holds: a garbled symbol table may make the span gigabytes wide.
    for pfn in prog.dumped_pfns():
        if pfn < first:
            continue
        if pfn > last:
            break
        if previous is None or pfn != previous + 1:
            tail = b""  # a page the dump left out holds nothing q4py can read
        previous = pfn
        try:
            data = prog.read(pfn * PAGE, PAGE)
        except Q4Error:
            tail = b""
            continue
        block = tail + data
        pos = block.find(WHAT)
        while pos >= 0:  # a string seen twice (in the tail, then whole) adds nothing new
            line, *end = block[pos:pos + WHAT_LIMIT].split(b"\0", 1)
            # A string cut by the end of the page is read whole with the next one: its part
            # here would name a patch that is not there (PHKL_2 of PHKL_23196).
            if end or pos + WHAT_LIMIT <= len(block):
                found.update(m.decode() for m in PATCH_ID.findall(line))
            pos = block.find(WHAT, pos + 1)
        tail = data[-WHAT_LIMIT:]
    return sorted(found)
