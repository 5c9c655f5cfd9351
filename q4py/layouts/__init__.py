"""Construct models of the HP-UX kernel structures, one subsystem per module.

`registry_for(abi)` gives the `TypeRegistry` of a narrow or wide kernel: every structure q4py
knows, by C name. Modules: `save_state` (trap frames), `crash` (crash events, rpb), `vm` (resource
maps, buckets, pfdat, pdir), `system` (utsname, time, msgbuf, processors), `proc` (processes),
`io` (swap devices), `buf` (buffer headers), `sched` (threads, syswait, spinlocks, rw_locks),
`fs` (mounted file systems, path names); `globals` declares the kernel variables q4py reads.
"""

from __future__ import annotations

from functools import cache

from q4py.layouts import buf, crash, fs, io, ipc, proc, save_state, sched, system, vm
from q4py.layouts.base import NARROW, WIDE, Abi, Field, Layout, LayoutError, TypeRegistry
from q4py.layouts.globals import KERNEL_GLOBALS

__all__ = ["NARROW", "WIDE", "Abi", "Field", "KERNEL_GLOBALS", "Layout", "LayoutError",
           "TypeRegistry", "registry_for"]


@cache
def registry_for(abi: Abi) -> TypeRegistry:
    """Every known structure for one kernel width, built once."""
    reg = TypeRegistry(abi)
    for module in (save_state, crash, vm, system, proc, io, buf, sched, fs, ipc):
        module.define(reg)
    return reg
