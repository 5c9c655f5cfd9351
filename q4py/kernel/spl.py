"""SPL levels: the EIEM values HP-UX's spl*() routines set, per release, with crashinfo's names.

crashinfo prints this legend under its processor table and names a processor's current SPL
from it (`Current SPL = 0xc400000000000000 (SPL6)`). The values are the release's: 11.00
disables the I/O modules with 0xef00080000000000 and the system events with 0xc7../0xc6..
(hpux1100-64-hang-runqueue and hpux1100-64-hang-soaccept-p4 agree), 11.11 with 0xed00080000000000
and 0xc5../0xc4.. (hpux1111-64-spinlock-process-lock, hpux1111-64-hang-vhand-superpages).

The names are crashinfo's, and two sets exist: the long ones (`SPLNOPREEMPT - Disable kernel
preemption ...`, all reports but one) and the short ones of hpux1100-64-hang-soaccept-p4
(`SPLSCHED Disable scheduling interrupts.`), whose legend also starts at 0xffffffffffffffff
where the long one starts at 0xfffffffeffffffff. The short set of 11.11 is a reconstruction: no
report shows it, so it is the 11.00 short names over the 11.11 values. The processor table's
outstanding interrupts name the spinlock level `SPL6/SPINLOCK_EIEM` (vhand-superpages), where
the legend says `SPL6`.
"""

from __future__ import annotations

from dataclasses import dataclass

from q4py.kernel.release import by_release


@dataclass(frozen=True)
class SplLevel:
    value: int
    name: str
    meaning: str
    short: str  # the short name
    short_meaning: str


_USER_SHORT = 0xFFFFFFFFFFFFFFFF  # where the short legend starts (soaccept)


def _levels(io: int, resync: int, system: int) -> tuple[SplLevel, ...]:
    return (
        SplLevel(0xFFFFFFFEFFFFFFFF, "SPLPREEMPTOK", "Default user mode SPL level.",
                 "SPLUSER", "Default user mode SPL level."),
        SplLevel(0xFFFFFFF0FFFFFFFF, "SPLNOPREEMPT",
                 "Disable kernel preemption (scheduling interrupt off).",
                 "SPLSCHED", "Disable scheduling interrupts."),
        SplLevel(0xFFFFFF00FFFFFFFF, "SPL2", "Disable software interrupt (software triggers off).",
                 "SPLSOFT", "Disable software interrupts (sw triggers off)."),
        SplLevel(io, "SPL5", "Disable IO modules.", "SPLIO", "Disable IO modules."),
        SplLevel(resync, "SPL6+CLOCK_RESYNC", "Disable hardclock+enable clock-resync.",
                 "SPLSYS", "Enable clock-resync."),
        SplLevel(system, "SPL6", "Disable hardclock.",
                 "SPLSYS", "Disable system events (eg. hardclock)."),
        SplLevel(0x0000000700000000, "SPL7/PSW_I=0", "Disable the world.",
                 "SPL7", "Disable the world (eg. PSW_I=0)."),
    )


SPL_TABLES: dict[tuple[int, int], tuple[SplLevel, ...]] = {
    (11, 0): _levels(0xEF00080000000000, 0xC700000000000000, 0xC600000000000000),
    (11, 11): _levels(0xED00080000000000, 0xC500000000000000, 0xC400000000000000),
}
SPINLOCK_LEVEL = "SPL6"  # the level spinlocks raise to: SPINLOCK_EIEM


def spl_levels(release: tuple[int, int] | None) -> tuple[SplLevel, ...]:
    return by_release(SPL_TABLES, release)


def legend_value(level: SplLevel, short: bool) -> int:
    """The value a legend line shows: the short legend's user level is all ones."""
    return _USER_SHORT if short and level.short == "SPLUSER" else level.value


def spl_name(eiem: int, release: tuple[int, int] | None = None, short: bool = False,
             interrupts: bool = False) -> str | None:
    """`SPL6` for 0xc400000000000000 on 11.11 (`SPLSYS` short; `SPL6/SPINLOCK_EIEM` in the
    outstanding interrupts table); None for a value that is no SPL level of the release."""
    for level in spl_levels(release):
        if eiem in (level.value, legend_value(level, short)):
            if short:
                return level.short
            if interrupts and level.name == SPINLOCK_LEVEL:
                return f"{level.name}/SPINLOCK_EIEM"
            return level.name
    return None
