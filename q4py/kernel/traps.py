"""PA-RISC interruption (trap) types: HP-UX's numbers, names and constants.

The numbers are the architecture's interruption vector numbers; the `I_*` constants are HP-UX's
(public through Utah Mach's `hp_pa/trap.h`, same heritage); 29..31 are HP-UX software traps.
The long names are the PA-RISC 2.0 architecture's interruption names as crashinfo capitalises
them: public reports pin "Data TLB Miss Fault/Data Page Fault" (15), "Data Memory Protection
Trap/unaligned Data Reference Trap" (18, lower-case `u` included) and "External Interrupt" (4);
the others follow the same style. The table is the same for 11.00 and 11.11: the 11.00 reports
(hpux1100-64-dpf-atq, hpux1100-64-dpf-scsi-dequeue: type 15) print the names the 11.11 ones do.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class TrapType:
    number: int
    name: str
    constant: str  # HP-UX's I_* name
    data_address: bool = False  # ISR.IOR hold the data address the instruction referenced

    def label(self) -> str:
        """`External Interrupt (I_EXT_INTP)`, as crashinfo's `Trap Types :` list prints it."""
        return f"{self.name} ({self.constant})"


_TABLE = (
    (0, "Non-existent Interruption", "I_NONEXIST", False),
    (1, "High-priority Machine Check", "I_HPMC", False),
    (2, "Power Failure", "I_POWER_FAIL", False),
    (3, "Recovery Counter Trap", "I_RECOV_CTR", False),
    (4, "External Interrupt", "I_EXT_INTP", False),
    (5, "Low-priority Machine Check", "I_LPMC", False),
    (6, "Instruction TLB Miss Fault/Instruction Page Fault", "I_IPGFT", False),
    (7, "Instruction Memory Protection Trap", "I_IMEM_PROT", False),
    (8, "Illegal Instruction Trap", "I_UNIMPL_INST", False),
    (9, "Break Instruction Trap", "I_BRK_INST", False),
    (10, "Privileged Operation Trap", "I_PRIV_OP", False),
    (11, "Privileged Register Trap", "I_PRIV_REG", False),
    (12, "Overflow Trap", "I_OVFLO", False),
    (13, "Conditional Trap", "I_COND", False),
    (14, "Assist Exception Trap", "I_EXCEP", False),
    (15, "Data TLB Miss Fault/Data Page Fault", "I_DPGFT", True),
    (16, "Non-access Instruction TLB Miss Fault", "I_IPGFT_NA", False),
    (17, "Non-access Data TLB Miss Fault/Non-access Data Page Fault", "I_DPGFT_NA", True),
    (18, "Data Memory Protection Trap/unaligned Data Reference Trap", "I_DMEM_PROT", True),
    (19, "Data Memory Break Trap", "I_DMEM_BREAK", True),
    (20, "TLB Dirty Bit Trap", "I_TLB_DIRTY", True),
    (21, "Page Reference Trap", "I_PAGE_REF", True),
    (22, "Assist Emulation Trap", "I_EMULAT", False),
    (23, "Higher-privilege Transfer Trap", "I_HPRIV_XFR", False),
    (24, "Lower-privilege Transfer Trap", "I_LPRIV_XFR", False),
    (25, "Taken Branch Trap", "I_TAKEN_BR", False),
    (26, "Data Memory Access Rights Trap", "I_DMEM_ACC", True),
    (27, "Data Memory Protection ID Trap", "I_DMEM_PID", True),
    (28, "Unaligned Data Reference Trap", "I_UNALIGN", True),
    (29, "Interrupt Stack Overflow", "I_IS_OVFL", False),
    (30, "Kernel Stack Overflow", "I_KS_OVFL", False),
    (31, "Interrupt Stack Lost", "I_IS_LOST", False),
)

TRAP_TYPES: dict[int, TrapType] = {n: TrapType(n, name, const, data) for n, name, const, data
                                   in _TABLE}


def trap_type(number: int) -> TrapType:
    """The trap type `number`; an unknown number gets a name that says so."""
    found = TRAP_TYPES.get(number)
    if found is not None:
        return found
    return TrapType(number, f"Unknown Trap {number}", f"I_{number}")
