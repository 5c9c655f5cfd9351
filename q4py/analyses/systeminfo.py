"""p4's SystemInfo as data: identity, boot and crash times, load, thread and processor states.

Everything is read from the dump: utsname and the INDEX model, `physmem`, `panicstr` and the
interruption registers (ISR, IOR) of the first crash event, the boot strings the kernel kept,
`boottime`/`time`/`lbolt`, the load averages, `vmtotal()`'s last disk-wait count and when it
ran, the processes the memory scheduler deactivated, every thread's state and flags, and each
processor's state.
"""

from __future__ import annotations

from dataclasses import dataclass

from q4py.analyses.general import GeneralInfo, general_info
from q4py.analyses.loadavg import LoadAverages, load_averages
from q4py.errors import Q4Error
from q4py.kernel.events import crash_events, rpb_registers
from q4py.kernel.mpinfo import Processor, processors
from q4py.kernel.procs import process_table
from q4py.kernel.threads import has_threads, thread_list_problem, threads
from q4py.layouts.base import c_string
from q4py.layouts.sched import THREAD_STATES, TSDEACT, TSDEACTSELF
from q4py.program import Program


@dataclass(frozen=True)
class SystemInfo:
    general: GeneralInfo
    physmem: int  # pages
    panic: str
    isr: int
    ior: int
    boot_string: str | None  # None: the kernel keeps no such string
    krs_kernel: str | None
    krs_system: str | None
    boot_time: int
    lbolt: int
    hz: int
    loads: LoadAverages
    disk_wait: tuple[int, int] | None  # (jobs, lbolt when vmtotal() counted them)
    deactivated: int | None  # processes deactivated
    thread_states: dict[str, int] | None  # None: no thread list
    deact_threads: int
    deactself_threads: int
    processors: list[Processor]
    thread_list_problem: str | None = None  # the states count the threads before it


def _chars(prog: Program, name: str) -> str | None:
    raw = prog.global_or(name, None)
    return None if raw is None else c_string(raw)


def _panic(prog: Program) -> str:
    address = prog.global_or("panicstr", 0)
    if not address:
        return ""
    try:
        return prog.read_string(address, limit=256)
    except Q4Error:
        return f"<panicstr {address:#x} unreadable>"


def _interruption(prog: Program) -> tuple[int, int]:
    """ISR and IOR (cr20, cr21) of the first crash event, 0 without one."""
    try:
        events = crash_events(prog)
        regs = rpb_registers(prog, events[0]) if events else {}
    except Q4Error:
        regs = {}
    return regs.get("cr20", 0), regs.get("cr21", 0)


def system_info(prog: Program) -> SystemInfo:
    isr, ior = _interruption(prog)
    states: dict[str, int] | None = None
    deact = deactself = 0
    if has_threads(prog):
        states = {}
        for thread in threads(prog):
            name = THREAD_STATES.get(thread.stat, f"state {thread.stat}")
            states[name] = states.get(name, 0) + 1
            deact += bool(thread.flag & TSDEACT)
            deactself += bool(thread.flag & TSDEACTSELF)
    pwrun = prog.global_or("vmtotal_pwrun", None)
    try:
        deactivated: int | None = process_table(prog).deactivated
    except Q4Error:
        deactivated = None
    return SystemInfo(
        general=general_info(prog), physmem=prog.read_global("physmem"), panic=_panic(prog),
        isr=isr, ior=ior, boot_string=_chars(prog, "boot_string"),
        krs_kernel=_chars(prog, "krs_kernel_file"), krs_system=_chars(prog, "krs_system_file"),
        boot_time=prog.read_global("boottime").tv_sec, lbolt=prog.read_global("lbolt"),
        hz=prog.read_global("hz"), loads=load_averages(prog),
        disk_wait=(pwrun, prog.global_or("vmtotal_lbolt", 0)) if pwrun is not None else None,
        deactivated=deactivated, thread_states=states, deact_threads=deact,
        deactself_threads=deactself, processors=processors(prog),
        thread_list_problem=thread_list_problem(prog))
