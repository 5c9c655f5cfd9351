"""Every analysis by name: the functions crashinfo's sections render, as one table.

The library (`Dump.analyze`) and `--json` reach the analyses through this table; the renderers
call the same functions directly. Each entry is `(prog) -> plain data` (dataclasses, named
tuples, lists, numbers, strings). A crashinfo section has the entry of its own name; `lock` is
the deadlocked spinlock the events section shows for a "Spinlock deadlock" panic.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from q4py.analyses.bufcache import buffer_cache
from q4py.analyses.clock import clock_info
from q4py.analyses.errors import error_counters
from q4py.analyses.events import analyze_events
from q4py.analyses.general import general_info
from q4py.analyses.iova import iova_free_percent
from q4py.analyses.kmem import kernel_memory_usage
from q4py.analyses.loadavg import load_averages
from q4py.analyses.lock import deadlocked_lock
from q4py.analyses.memory import memory_globals
from q4py.analyses.network import network_interfaces
from q4py.analyses.processes import top_processes
from q4py.analyses.processors import processor_report
from q4py.analyses.semaphores import beta_sema_waiters
from q4py.analyses.swap import swap_usage
from q4py.analyses.sysmap import sysmap_reports
from q4py.analyses.syswait import syswait_iowait
from q4py.analyses.threads import thread_report
from q4py.errors import Q4Error
from q4py.kernel.msgbuf import message_buffer_text
from q4py.kernel.patches import kernel_patches
from q4py.program import Program

USER_TOP = 10  # processes the User Memory Usage section lists


@dataclass(frozen=True)
class Analysis:
    name: str
    fn: Callable[[Program], Any]
    summary: str


def _top_processes(prog: Program) -> Any:
    return top_processes(prog, USER_TOP)


def _sysmaps(prog: Program) -> Any:
    return sysmap_reports(prog)


ANALYSES: dict[str, Analysis] = {a.name: a for a in (
    Analysis("general", general_info, "General Information: host, model, release, dump time"),
    Analysis("events", analyze_events, "Crash Events: panic string, trap, every event's stack"),
    Analysis("msgbuf", message_buffer_text, "Message Buffer: the kernel's log text"),
    Analysis("memory", memory_globals, "Memory Globals: physmem, freemem, thresholds, rates"),
    Analysis("kmem", kernel_memory_usage, "Kernel Memory Usage: pages by class (pfdat scan)"),
    Analysis("user", _top_processes, f"User Memory Usage: the {USER_TOP} largest processes"),
    Analysis("bufcache", buffer_cache, "Buffer Cache Globals"),
    Analysis("swap", swap_usage, "Swap Information: devices and memory swap"),
    Analysis("errors", error_counters, "Global Error Counters: SCSI errors, kmem_writes"),
    Analysis("network", network_interfaces, "Network Interfaces: LAN interfaces, states, IPs"),
    Analysis("iova", iova_free_percent, "IOVA Usage Check: percent of I/O address space free"),
    Analysis("processors", processor_report, "Processors: events and saved registers"),
    Analysis("clock", clock_info, "Processor Clock Info"),
    Analysis("syswait", syswait_iowait, "Syswait Array: threads waiting for I/O per CPU"),
    Analysis("loadavg", load_averages, "Load Averages"),
    Analysis("semaphores", beta_sema_waiters, "Beta Semaphore Checks: threads waiting on "
             "beta semaphores and their owners"),
    Analysis("threads", thread_report, "Thread Information: running and waiting threads"),
    Analysis("sysmap", _sysmaps, "Sysmap: the kernel virtual space resource maps"),
    Analysis("patches", kernel_patches, "Kernel Patches: the what-strings' patch names"),
    Analysis("lock", deadlocked_lock, "the spinlock of a Spinlock deadlock panic, or None"),
)}


def analysis(name: str) -> Analysis:
    """The analysis called `name`; Q4Error naming the known ones otherwise."""
    found = ANALYSES.get(name)
    if found is None:
        raise Q4Error(f"no analysis '{name}' (analyses: {' '.join(ANALYSES)})")
    return found
