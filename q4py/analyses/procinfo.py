"""p4's ProcInfo as data: what a processor was running, its stacks, and when it last idled,
last ran a timeshare thread and last entered the kernel (all from its mpinfo)."""

from __future__ import annotations

from dataclasses import dataclass

from q4py.kernel.mpinfo import processors
from q4py.layouts.system import MPI_CPUSTATES, SPUSTATES
from q4py.program import Program


@dataclass(frozen=True)
class ProcessorInfo:
    cpu: int
    hpa: int
    uareasid: int
    thread: int
    previous_thread: int
    state: str  # SPUSTATE_...
    ics: int
    ics_base: int
    ics_top: int
    idle_stack: int
    ksp: int
    last_idle: int  # lbolt values
    last_tshare: int
    preempt_start: int


def processor_info(prog: Program) -> list[ProcessorInfo]:
    out = []
    for cpu in processors(prog):
        m = prog.read_struct("struct mpinfo", cpu.address)
        state = SPUSTATES.get(m.mpi_cpustate, MPI_CPUSTATES.get(m.mpi_cpustate,
                                                                str(m.mpi_cpustate)))
        out.append(ProcessorInfo(
            cpu=cpu.index, hpa=m.mpi_hpa, uareasid=m.mpi_uareasid, thread=m.mpi_curthread,
            previous_thread=m.mpi_prevthread, state=state, ics=m.mpi_ics_ptr,
            ics_base=m.mpi_ics_base, ics_top=m.mpi_ics_top, idle_stack=m.mpi_idlestack,
            ksp=m.mpi_ksp, last_idle=m.mpi_last_idle, last_tshare=m.mpi_last_tshare,
            preempt_start=m.mpi_preempt_start))
    return out
