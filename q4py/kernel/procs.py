"""The 11.00 process table: `proc[nproc]`, each slot's `struct vas` and its command name.

A slot is in use when `p_stat` is not SUNUSED. The command name of slot i is `pst_ucomms[i]`,
a NUL-terminated char[15] in a parallel array.
"""

from __future__ import annotations

from dataclasses import dataclass

from q4py.layouts.proc import PST_UCOMMLEN, SDEACT, SUNUSED
from q4py.program import Program


@dataclass(frozen=True)
class Proc:
    """One in-use slot of the process table, with the sizes of its address space in pages."""

    slot: int
    address: int
    pid: int
    stat: int
    flag: int
    command: str
    vsize: int  # vas.va_vsize
    rss: int  # vas.va_rss

    @property
    def deactivated(self) -> bool:
        return bool(self.flag & SDEACT)


def processes(prog: Program) -> list[Proc]:
    """In-use processes in table order."""
    proc_layout = prog.types.get("struct proc")
    vas_layout = prog.types.get("struct vas")
    table = prog.read_global("proc")
    nproc = prog.read_global("nproc")
    comms = prog.read(prog.read_global("pst_ucomms"), PST_UCOMMLEN * nproc)
    index = {name: proc_layout.field_index(name)
             for name in ("p_stat", "p_flag", "p_pid", "p_vas")}
    vsize_at = vas_layout.field_index("va_vsize")
    rss_at = vas_layout.field_index("va_rss")
    out = []
    for slot, rec in enumerate(prog.read_records(proc_layout, table, nproc)):
        stat = rec[index["p_stat"]]
        if stat == SUNUSED:
            continue
        vsize = rss = 0
        vas = rec[index["p_vas"]]
        if vas:  # system processes may have no address space
            vrec = prog.read_records(vas_layout, vas, 1)[0]
            vsize, rss = vrec[vsize_at], vrec[rss_at]
        raw = comms[slot * PST_UCOMMLEN:(slot + 1) * PST_UCOMMLEN]
        out.append(Proc(slot=slot, address=table + slot * proc_layout.size,
                        pid=rec[index["p_pid"]], stat=stat, flag=rec[index["p_flag"]],
                        command=raw.split(b"\0", 1)[0].decode("latin-1"),
                        vsize=vsize, rss=rss))
    return out
