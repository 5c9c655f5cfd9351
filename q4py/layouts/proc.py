"""Processes (11.00 table layout): `struct proc`, its `struct vas` and the command names.

11.00 keeps a static table `proc[nproc]` of 700-byte entries (HP-UX 11i Internals) and
parallel arrays of command names (`pst_ucomms`, 15 bytes each, PST_UCOMMLEN) and command lines
(`pst_cmds`, 64 bytes each, PST_CLEN). 11i links its processes in `proc_list` through `p_factp`
and keeps both in the proc (`p_comm`, `p_cmds`: q4py's names). Member offsets inside proc and
vas, and the p_stat values, are q4py's reconstruction (SINUSE is 11i's in-use state).
"""

from __future__ import annotations

from q4py.layouts.base import TypeRegistry

PST_UCOMMLEN = 15
PST_CLEN = 64  # bytes of a command line (pst_cmds entry; public <sys/pstat.h>)
PROC_SIZE_NARROW = 700

# p_stat values and p_flag bits (reconstruction of HP's names).
SUNUSED = 0
SSLEEP = 1
SRUN = 3
SIDL = 4
SZOMB = 5
SSTOP = 6
SINUSE = 7  # 11i: a process in use (its threads carry the state)
P_STATES = {SUNUSED: "SUNUSED", SSLEEP: "SSLEEP", 2: "SWAIT", SRUN: "SRUN", SIDL: "SIDL",
            SZOMB: "SZOMB", SSTOP: "SSTOP", SINUSE: "SINUSE"}
SLOAD = 0x00000001
SSYS = 0x00000002
SDEACT = 0x00080000  # process is deactivated (swapped out by the memory scheduler)


def define(reg: TypeRegistry) -> None:
    reg.define(
        "struct vas",
        [
            ("va_next", "struct vas *"),
            ("va_prev", "struct vas *"),
            ("va_refcnt", "int"),
            ("va_rss", "int"),
            ("va_prss", "int"),
            ("va_vsize", "int"),
            ("va_swprss", "int"),  # swap pages held for its private pages (q4py's name)
        ],
        reconstruction=True,
        aliases=("vas_t",),
    )
    reg.define(
        "struct proc",
        [
            ("p_link", "struct proc *"),
            ("p_stat", "int"),
            ("p_flag", "unsigned int"),
            ("p_pid", "pid_t"),
            ("p_ppid", "pid_t"),
            ("p_uid", "uid_t"),
            ("p_vas", "struct vas *"),
            ("p_factp", "struct proc *"),  # next active process in proc_list (11i)
            ("p_comm", f"char[{PST_UCOMMLEN}]"),  # command name (11i; 11.00 uses pst_ucomms)
            ("p_cmds", f"char[{PST_CLEN}]"),  # command line (11i; 11.00 uses pst_cmds)
        ],
        reconstruction=True,
        aliases=("proc_t",),
        size=PROC_SIZE_NARROW if not reg.abi.wide else 0x400,
    )
