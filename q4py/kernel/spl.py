"""SPL levels: the EIEM values HP-UX 11i's spl*() routines set, with crashinfo's names.

crashinfo prints this legend under its processor table and names a processor's current SPL
from it (`Current SPL = 0xc400000000000000 (SPL6)`). The values are those of the 64-bit EIEM
as public 11.11 crashinfo output lists them; the order is the legend's.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class SplLevel:
    value: int
    name: str
    meaning: str


SPL_LEVELS: tuple[SplLevel, ...] = (
    SplLevel(0xFFFFFFFEFFFFFFFF, "SPLPREEMPTOK", "Default user mode SPL level."),
    SplLevel(0xFFFFFFF0FFFFFFFF, "SPLNOPREEMPT",
             "Disable kernel preemption (scheduling interrupt off)."),
    SplLevel(0xFFFFFF00FFFFFFFF, "SPL2", "Disable software interrupt (software triggers off)."),
    SplLevel(0xED00080000000000, "SPL5", "Disable IO modules."),
    SplLevel(0xC500000000000000, "SPL6+CLOCK_RESYNC", "Disable hardclock+enable clock-resync."),
    SplLevel(0xC400000000000000, "SPL6", "Disable hardclock."),
    SplLevel(0x0000000700000000, "SPL7/PSW_I=0", "Disable the world."),
)


def spl_name(eiem: int) -> str | None:
    """`SPL6` for 0xc400000000000000; None for a value that is no SPL level."""
    for level in SPL_LEVELS:
        if level.value == eiem:
            return level.name
    return None
