"""The kernel's log of low-priority machine checks (`lpmc_log[lpmc_log_count]`, q4py's
`struct lpmc_entry`): which processor, when, what failed, and the PIM words firmware gave."""

from __future__ import annotations

from dataclasses import dataclass

from q4py.kernel.tables import table_size
from q4py.layouts.system import LPMC_TYPES
from q4py.program import Program

MAX_LPMC = 1024  # entries read at most: a garbled count cannot make the log huge


@dataclass(frozen=True)
class LpmcEntry:
    cpu: int
    lbolt: int
    kind: str
    count: int
    check_summary: int
    cpu_status: int
    cache_status: int


def has_lpmc_log(prog: Program) -> bool:
    return prog.has_symbol("lpmc_log")


def lpmc_entries(prog: Program) -> list[LpmcEntry]:
    count = min(table_size(prog, "lpmc_log_count", 0), MAX_LPMC)
    address = prog.read_global("lpmc_log")
    if not address or not count:
        return []
    size = prog.types.get("struct lpmc_entry").size
    return [LpmcEntry(cpu=r.lpmc_cpu, lbolt=r.lpmc_lbolt,
                      kind=LPMC_TYPES.get(r.lpmc_type, f"type {r.lpmc_type}"),
                      count=r.lpmc_count, check_summary=r.lpmc_check_summary,
                      cpu_status=r.lpmc_cpu_status, cache_status=r.lpmc_cache_status)
            for r in (prog.read_struct("struct lpmc_entry", address + i * size)
                      for i in range(count))]
