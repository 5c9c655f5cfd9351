"""Bulk work over whole tables: CPython's cyclic garbage collector paused while it runs.

A report over sixty thousand threads makes hundreds of thousands of small objects (a record, a
row, a line per thread) that all stay alive until it ends. Each time the allocations pass the
collector's threshold it walks every object alive, so one crashinfo or `stacks` of the 64 GiB
benchmark spent a quarter of its time in full collections that freed nothing (the objects are
acyclic and reference counting frees them). Paused, the collector resumes where the command
ends, as before.
"""

from __future__ import annotations

import gc
from collections.abc import Iterator
from contextlib import contextmanager


@contextmanager
def collector_paused() -> Iterator[None]:
    """Run the block with the cyclic collector off (left off if it already was)."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()
