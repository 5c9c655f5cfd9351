"""`struct save_state`: the registers a trap or interrupt handler saves (1152 bytes).

Public layout (GDB's hppa-hpux-tdep.c offsets, HP-UX <machine/save_state.h> member names): flags,
a narrow copy of 62 32-bit registers, floating point, and a wide copy of 60 64-bit registers.
Not a reconstruction.
"""

from __future__ import annotations

from q4py.layouts.base import TypeRegistry

# The 60 registers in save_state order (note sr4 before sr0..sr3). Narrow adds the two mpsfu words.
REGISTERS: tuple[str, ...] = (
    "gr1", "rp", *(f"gr{n}" for n in range(3, 23)), "arg3", "arg2", "arg1", "arg0", "dp",
    "ret0", "ret1", "sp", "gr31", "cr11", "pcoq_head", "pcsq_head", "pcoq_tail", "pcsq_tail",
    "cr15", "cr19", "cr20", "cr21", "cr22", "cpustate", "sr4", "sr0", "sr1", "sr2", "sr3",
    "sr5", "sr6", "sr7", "cr0", "cr8", "cr9", "cr10", "cr12", "cr13", "cr24", "cr25", "cr26",
    "cr27",
)
assert len(REGISTERS) == 60

# General register number -> save_state name, for "gr25 = ..." style lookups.
GR_NAMES: dict[int, str] = {n: REGISTERS[n - 1] for n in range(1, 32)}

# Where the handler records the trap type with the registers it saved (crashinfo's "trap
# marker"): HP's field is not public; q4py keeps it in the pad word after the narrow registers.
TRAP_TYPE_FIELD = "ss_pad"

SS_INTRAP = 0x01
SS_INSYSCALL = 0x02
SS_ININT = 0x04
SS_PSPKERNEL = 0x08
SS_WIDEREGS = 0x40


def define(reg: TypeRegistry) -> None:
    reg.define(
        "struct __ss_narrow",
        [(f"ss_{r}", "unsigned int") for r in REGISTERS]
        + [("ss_mpsfu_low", "unsigned int"), ("ss_mpsfu_ovflo", "unsigned int")],
        reconstruction=False,
        aliases=("__ss_narrow_t",),
    )
    reg.define(
        "struct __reg64",
        [("ss_reserved", "int64_t")]
        + [(f"ss_{r}", "uint64_t") for r in REGISTERS]
        + [("ss_reserved2", "uint64_t[2]"), ("ss_oldcksum", "uint32_t"),
           ("ss_newcksum", "uint32_t")],
        reconstruction=False,
        aliases=("__reg64_t",),
    )
    reg.define(
        "struct save_state",
        [
            ("ss_flags", "ssflags_t"),
            ("ss_narrow", "struct __ss_narrow"),
            ("ss_pad", "int"),
            ("ss_fpblock", "double[32]"),
            ("ss_xor", "char[128]"),
            ("ss_wide", "struct __reg64"),
        ],
        reconstruction=False,
        aliases=("save_state_t",),
        doc="registers saved by thandler/ihandler; ss_wide is valid when ss_flags has 0x40",
    )
