"""Crash events: `crash_event_t` (the crash event table) and `rpb_t` (saved processor state).

Both are reconstructions: HP's headers are not public. What is known: the table's entry size
(0x20 narrow, 0x30 wide, from addresses in public reports), that an entry points to the rpb of
its event, and that rpb_t holds the processor's PIM as a union: a `pim.wide` register set named
`rp_<register>_hi/_lo` (`Using pc from pim.wide.rp_rp_hi`) for PA-RISC 2.0 processors, a
`pim.narrow` one named `rp_<register>` (`Using pc from pim.narrow.rp_pcoq_head`, on a PA-RISC
1.1 PCXL2) for PA-RISC 1.1 ones, whose firmware saves 32-bit registers. Its size 0x370 comes
from 11.11 reports.
"""

from __future__ import annotations

from q4py.layouts.base import TypeRegistry
from q4py.layouts.save_state import REGISTERS

# cet_event values (reconstruction; the names are HP's).
EVENT_KINDS = {1: "PANIC", 2: "TOC", 3: "HPMC"}
EVENT_CODES = {name: code for code, name in EVENT_KINDS.items()}
# cet_flags: the processor's state letter in crashinfo's event table (reconstruction; reports
# show only `E`, a processor that entered the crash path and saved its state).
EVENT_STATES = {1: "E"}
EVENT_STATE_CODES = {name: code for code, name in EVENT_STATES.items()}

RPB_SIZE = 0x370
# The processors whose firmware saves the narrow PIM (32-bit registers), by architecture.
NARROW_PIM_ARCHITECTURE = "PA-RISC 1.1"


def define(reg: TypeRegistry) -> None:
    slots = [
        ("cet_hpa", "unsigned long"),          # processor HPA
        ("cet_event", "unsigned long"),        # EVENT_KINDS
        ("cet_savestate", "rpb_t *"),          # the event's rpb
        ("cet_cpu", "unsigned long"),          # logical processor number
        ("cet_spinlock_depth", "unsigned long"),
        ("cet_flags", "unsigned long"),
    ]
    if not reg.abi.wide:
        slots += [("cet_spare", "unsigned long[2]")]
    # rpb_t must exist before `rpb_t *` can be spelled; pointers resolve by shape, so order is free.
    wide_regs: list[tuple[str, str]] = [("rp_reserved_hi", "uint32_t"),
                                        ("rp_reserved_lo", "uint32_t")]
    for r in REGISTERS:
        wide_regs += [(f"rp_{r}_hi", "uint32_t"), (f"rp_{r}_lo", "uint32_t")]
    reg.define("struct pim_wide", wide_regs, reconstruction=True)
    # PA-RISC 1.1: the same registers, 32 bits each, after the same reserved word (gr0's place).
    reg.define("struct pim_narrow",
               [("rp_reserved", "uint32_t"), *((f"rp_{r}", "uint32_t") for r in REGISTERS)],
               reconstruction=True)
    reg.define("union pim", [("wide", "struct pim_wide"), ("narrow", "struct pim_narrow")],
               reconstruction=True, union=True,
               doc="the wide (PA-RISC 2.0) or the narrow (PA-RISC 1.1) PIM register set")
    reg.define(
        "struct rpb",
        [
            ("pim", "union pim"),
            ("rp_cr16_hi", "uint32_t"), ("rp_cr16_lo", "uint32_t"),  # interval timer
            ("rp_cr23_hi", "uint32_t"), ("rp_cr23_lo", "uint32_t"),  # EIRR
            ("rp_iasq_back", "uint64_t"), ("rp_iaoq_back", "uint64_t"),
            ("rp_check_type", "uint32_t"), ("rp_cpu_state", "uint32_t"),
            ("rp_hpa", "uint64_t"),
            ("rp_spl", "uint64_t"),
        ],
        reconstruction=True,
        aliases=("rpb_t",),
        size=RPB_SIZE,
    )
    reg.define("struct crash_event", slots, reconstruction=True, aliases=("crash_event_t",))
