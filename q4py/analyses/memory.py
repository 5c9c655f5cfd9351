"""Memory Globals: the VM's page thresholds, deactivation and paging rates.

Globals a kernel lacks are None (a forged kernel holds only what its scenario set); the
renderer leaves their lines out.
"""

from __future__ import annotations

from dataclasses import dataclass

from q4py.analyses.threads import waits_on_memory
from q4py.kernel.procs import process_table
from q4py.kernel.release import kernel_release
from q4py.program import Program

THRESHOLDS = ("avefree", "gpgslim", "lotsfree", "desfree", "minfree")
RATES = ("maxpendpageouts", "pageoutrate", "curr_pgrate", "min_pgrate", "max_pgrate",
         "lowmemdeact", "thrashdeact")


@dataclass(frozen=True)
class MemoryGlobals:
    physmem: int
    freemem: int
    thresholds: dict[str, int | None]  # THRESHOLDS by name
    deactivated: int  # processes with SDEACT
    deactload: tuple[float, ...] | None
    rates: dict[str, int | None]  # RATES by name
    memory_sleepers: bool = False  # threads sleep on `memory_sleepers`, waiting for memory
    release: tuple[int, int] | None = None  # utsname.release (the notes' words follow it)

    @property
    def desperately_low(self) -> bool:
        minfree = self.thresholds.get("minfree")
        return minfree is not None and self.freemem < minfree


def memory_globals(prog: Program) -> MemoryGlobals:
    deactload = prog.global_or("deactload", None)
    return MemoryGlobals(
        physmem=prog.read_global("physmem"),
        freemem=prog.read_global("freemem"),
        thresholds={name: prog.global_or(name, None) for name in THRESHOLDS},
        deactivated=process_table(prog).deactivated,
        deactload=tuple(deactload) if deactload is not None else None,
        rates={name: prog.global_or(name, None) for name in RATES},
        memory_sleepers=waits_on_memory(prog),
        release=kernel_release(prog),
    )
