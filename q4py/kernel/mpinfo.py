"""Per-processor information (`mpproc_info[nmpinfo]`, `struct mpinfo`) and what crashinfo reads
of each crash event's rpb beyond the stack: EIEM, EIRR, IPSW, the interval timer and the
interruption registers.
"""

from __future__ import annotations

import weakref
from dataclasses import dataclass

from q4py.kernel.events import CrashEvent, rpb_registers
from q4py.kernel.tables import table_size
from q4py.layouts.system import MPI_CPUSTATES, MPI_ENABLED
from q4py.program import Program


@dataclass(frozen=True)
class Processor:
    index: int
    address: int  # of its mpinfo
    hpa: int
    enabled: bool
    spl: int  # the SPL (EIEM) it last set
    timeinval: int  # interval timer value of its next clock tick
    hardclock_late: int
    state: str  # USER, SYS, IDLE ...
    on_ics: bool
    last_idle: int  # lbolt
    last_migrate: int  # lbolt
    ready: tuple[int, int, int]  # free to run anywhere, locked to it, alpha semaphore misses
    current_thread: int


def processors(prog: Program) -> list[Processor]:
    layout = prog.types.get("struct mpinfo")
    base = prog.read_global("mpproc_info")
    at = {f.name: i for i, f in enumerate(layout.fields)}
    out = []
    for i, rec in enumerate(prog.read_records(layout, base, table_size(prog, "nmpinfo"))):
        def get(name: str, rec: tuple = rec) -> int:
            return rec[at[name]]

        out.append(Processor(
            index=i, address=base + i * layout.size, hpa=get("mpi_hpa"),
            enabled=bool(get("mpi_flags") & MPI_ENABLED), spl=get("mpi_spl"),
            timeinval=get("mpi_timeinval"), hardclock_late=get("mpi_hardclock_late"),
            state=MPI_CPUSTATES.get(get("mpi_cpustate"), str(get("mpi_cpustate"))),
            on_ics=bool(get("mpi_ics")), last_idle=get("mpi_last_idle"),
            last_migrate=get("mpi_last_migrate"),
            ready=(get("mpi_nready_free"), get("mpi_nready_locked"), get("mpi_nready_alpha")),
            current_thread=get("mpi_curthread")))
    return out


_CURRENT: weakref.WeakKeyDictionary[Program, dict[int, int]] = weakref.WeakKeyDictionary()


def virtual_partition(prog: Program) -> bool:
    """Whether the kernel ran in a vPars virtual partition: `vpar_partition` set (q4py's
    reconstruction; a kernel without the global is not partitioned). The processors of the
    other partitions are then disabled in this kernel's mpproc_info."""
    return bool(prog.global_or("vpar_partition", 0))


def current_threads(prog: Program) -> dict[int, int]:
    """Each processor's current thread (mpi_curthread) -> the processor, read once per dump."""
    found = _CURRENT.get(prog)
    if found is None:
        found = {cpu.current_thread: cpu.index for cpu in processors(prog) if cpu.current_thread}
        _CURRENT[prog] = found
    return found


def processor_of(prog: Program, mpinfo_address: int) -> int | None:
    """The processor whose mpinfo is at `mpinfo_address` (a spinlock's owner), if any."""
    for cpu in processors(prog):
        if cpu.address == mpinfo_address:
            return cpu.index
    return None


@dataclass(frozen=True)
class RpbState:
    """The control registers an event's rpb saved."""

    eiem: int  # cr15
    eirr: int  # cr23
    ipsw: int  # cr22
    interval_timer: int  # cr16
    pcsq: int
    pcoq: int
    iir: int  # cr19
    isr: int  # cr20
    ior: int  # cr21


def rpb_state(prog: Program, event: CrashEvent) -> RpbState:
    regs = rpb_registers(prog, event)
    rpb = prog.read_struct("rpb_t", event.rpb)
    return RpbState(
        eiem=regs["cr15"], eirr=(rpb.rp_cr23_hi << 32) | rpb.rp_cr23_lo, ipsw=regs["cr22"],
        interval_timer=(rpb.rp_cr16_hi << 32) | rpb.rp_cr16_lo, pcsq=regs["pcsq_head"],
        pcoq=regs["pcoq_head"], iir=regs["cr19"], isr=regs["cr20"], ior=regs["cr21"])
