"""System identity and time: `struct utsname`, `struct timeval`, `struct timezone`, the
message buffer and per-processor information.

utsname, timeval and timezone are the public POSIX/HP-UX structures (SYS_NMLN 257). `msgbuf`
follows 4.3BSD (magic 0x063061, write and read indices, then the text); its text size is taken
from the symbol's size. `struct mpinfo` is a reconstruction.
"""

from __future__ import annotations

from q4py.layouts.base import TypeRegistry

MSG_MAGIC = 0x063061
SYS_NMLN = 257

# mpinfo cpu type codes (reconstruction) -> HP's processor names and their architecture.
CPU_TYPES: dict[int, tuple[str, str]] = {
    1: ("PCXU", "PA-RISC 2.0"),
    2: ("PCXU+", "PA-RISC 2.0"),
    3: ("PCXW", "PA-RISC 2.0"),
    4: ("PCXW+", "PA-RISC 2.0"),
    5: ("PCXW2", "PA-RISC 2.0"),
    6: ("PCXL2", "PA-RISC 1.1"),
}
# lpmc_type values (q4py's) and their names in `Lpmc`.
LPMC_TYPES: dict[int, str] = {1: "CACHE", 2: "TLB", 3: "BUS", 4: "ASSIST"}
LPMC_TYPE_CODES = {name.lower(): code for code, name in LPMC_TYPES.items()}
CPU_TYPE_CODES = {name: code for code, (name, _) in CPU_TYPES.items()}

MPI_ENABLED = 0x1
# mpi_cpustate values (reconstruction) and the names crashinfo prints for them.
MPI_CPUSTATES: dict[int, str] = {0: "USER", 1: "NICE", 2: "SYS", 3: "IDLE", 4: "WAIT"}
MPI_CPUSTATE_CODES = {name: code for code, name in MPI_CPUSTATES.items()}
# p4's names for the same states (SystemInfo, ProcInfo).
SPUSTATES: dict[int, str] = {0: "SPUSTATE_USER", 1: "SPUSTATE_NICE", 2: "SPUSTATE_SYSTEM",
                             3: "SPUSTATE_IDLE", 4: "SPUSTATE_WAIT"}
MPINFO_SIZE_NARROW = 0x80
MPINFO_SIZE_WIDE = 0x100


def define(reg: TypeRegistry) -> None:
    reg.define(
        "struct utsname",
        [(name, f"char[{SYS_NMLN}]") for name in
         ("sysname", "nodename", "release", "version", "machine", "__idnumber")],
        reconstruction=False,
    )
    reg.define("struct timeval", [("tv_sec", "long"), ("tv_usec", "long")],
               reconstruction=False)
    reg.define("struct timezone", [("tz_minuteswest", "int"), ("tz_dsttime", "int")],
               reconstruction=False)
    reg.define(
        "struct msgbuf",
        [("msg_magic", "long"), ("msg_bufx", "long"), ("msg_bufr", "long")],
        reconstruction=False,
        doc="header only: the text (msg_bufc) fills the rest of the symbol",
    )
    reg.define(
        "struct mpinfo",
        [
            ("mpi_hpa", "unsigned long"),
            ("mpi_cpuid", "int"),
            ("mpi_flags", "unsigned int"),
            ("mpi_cputype", "int"),
            ("mpi_spare", "int"),
            ("mpi_curthread", "void *"),
            # What crashinfo's processor, clock and thread sections read per processor.
            ("mpi_spl", "uint64_t"),  # the SPL (EIEM) the processor last set
            ("mpi_timeinval", "uint64_t"),  # interval timer value of its next clock tick
            ("mpi_hardclock_late", "int"),  # clock ticks it handled late
            ("mpi_cpustate", "int"),  # MPI_CPUSTATES: what it was running
            ("mpi_ics", "int"),  # non-zero while on the interrupt control stack
            ("mpi_last_idle", "int"),  # lbolt when it last went idle
            ("mpi_last_migrate", "int"),  # lbolt when a thread last migrated to it
            ("mpi_nready_free", "int"),  # ready threads free to run on any processor
            ("mpi_nready_locked", "int"),  # ready threads locked to it
            ("mpi_nready_alpha", "int"),  # ready threads after alpha semaphore misses
            # What p4's ProcInfo reads.
            ("mpi_prevthread", "void *"),  # the thread that ran before the current one
            ("mpi_uareasid", "unsigned int"),  # space of the current thread's u-area (SR5)
            ("mpi_last_tshare", "int"),  # lbolt when it last ran a timeshare thread
            ("mpi_preempt_start", "int"),  # lbolt of its last entry into the kernel
            ("mpi_ics_ptr", "unsigned long"),  # interrupt control stack pointer
            ("mpi_ics_base", "unsigned long"),  # where its interrupt control stack begins
            ("mpi_ics_top", "unsigned long"),  # and ends
            ("mpi_idlestack", "unsigned long"),  # the stack idle() runs on
            ("mpi_ksp", "unsigned long"),  # saved kernel stack pointer (0 while running)
        ],
        reconstruction=True,
        aliases=("mpinfo_t",),
        size=MPINFO_SIZE_WIDE if reg.abi.wide else MPINFO_SIZE_NARROW,
    )
    reg.define(
        "struct lpmc_entry",
        [
            ("lpmc_cpu", "int"),  # processor that took the check
            ("lpmc_lbolt", "int"),  # when it was logged
            ("lpmc_type", "int"),  # LPMC_TYPES
            ("lpmc_count", "int"),  # times the same check repeated
            ("lpmc_check_summary", "uint64_t"),  # PIM check summary word
            ("lpmc_cpu_status", "uint64_t"),  # PIM CPU diagnose status
            ("lpmc_cache_status", "uint64_t"),  # PIM cache check word
        ],
        reconstruction=True,
        doc="one logged low-priority machine check (q4py's layout)",
    )

