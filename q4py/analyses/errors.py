"""Global Error Counters / kmem_writes as data: the kernel's global I/O error counters (the
SCSI ones crashinfo lists, hpux1111-64-hang-vhand-superpages) and kmem_writes, each when the
kernel has it."""

from __future__ import annotations

from dataclasses import dataclass

from q4py.program import Program

SCSI_TOTAL = "scsi_bioerrors"
# The counters under scsi_bioerrors, in crashinfo's order.
SCSI_DETAIL = ("scsi_bioerrors_logged", "scsi_async_write_bioerrors",
               "scsi_async_write_bioerrors_logged", "sd_strategy_bioerrors",
               "sd_strategy_async_write_bioerrors", "sd_epowerf_bioerrors",
               "sd_epowerf_async_write_bioerrors")
KMEM_WRITES = "kmem_writes"


@dataclass(frozen=True)
class ErrorCounters:
    scsi_total: int | None
    scsi_detail: list[tuple[str, int]]
    kmem_writes: int | None


def error_counters(prog: Program) -> ErrorCounters:
    def value(name: str) -> int | None:
        return prog.read_global(name) if prog.has_symbol(name) else None

    detail = [(name, v) for name in SCSI_DETAIL if (v := value(name)) is not None]
    return ErrorCounters(value(SCSI_TOTAL), detail, value(KMEM_WRITES))
