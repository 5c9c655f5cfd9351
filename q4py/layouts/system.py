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

# mpinfo cpu type codes (reconstruction) -> HP's processor names; all are PA-RISC 2.0 parts.
CPU_TYPES: dict[int, tuple[str, str]] = {
    1: ("PCXU", "PA-RISC 2.0"),
    2: ("PCXU+", "PA-RISC 2.0"),
    3: ("PCXW", "PA-RISC 2.0"),
    4: ("PCXW+", "PA-RISC 2.0"),
    5: ("PCXW2", "PA-RISC 2.0"),
    6: ("PCXL2", "PA-RISC 1.1"),
}
CPU_TYPE_CODES = {name: code for code, (name, _) in CPU_TYPES.items()}

MPI_ENABLED = 0x1


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
        ],
        reconstruction=True,
        aliases=("mpinfo_t",),
    )
