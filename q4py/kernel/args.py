"""Function arguments a stack frame still holds, for crashinfo's `with all args` traces.

PA-RISC passes the first arguments in registers (arg0..arg7 = r26..r19 wide, arg0..arg3 =
r26..r23 narrow). A function that needs them after a call stores them in their home slots in its
caller's frame (`q4py.unwind.arg_slot`, relative to the SP it was entered with). The unwind
descriptor only says *that* it did (Args_stored); *which* ones it stored is in its prologue,
the `std argN,-D(sp)` (`stw` narrow) instructions it starts with, and that is what this module
reads from kernel text: only a stored argument can be shown, the others are `n/a`.

The prologue is read up to the first instruction that is not part of it (a store through sp,
an `ldo D(sp),sp` frame allocation) and never past the frame's own pc: a function interrupted
inside its prologue has not stored what follows.
"""

from __future__ import annotations

from dataclasses import dataclass

from q4py.disasm import SP, decode
from q4py.errors import Q4Error
from q4py.program import Program
from q4py.unwind import arg_slot

MAX_PROLOGUE = 32  # instructions
FIRST_ARG_REGISTER = 26  # arg0 is r26, arg1 r25, ...


def register_args(wide: bool) -> int:
    """How many arguments travel in registers."""
    return 8 if wide else 4


def stored_arguments(prog: Program, pc: int) -> list[int]:
    """Indices of the arguments the function holding `pc` stored, ascending ([] if none)."""
    entry = prog.unwind_for(pc)
    if entry is None or not entry.args_stored or entry.interrupt_marker:
        return []
    wide = prog.wide
    count = register_args(wide)
    stored: set[int] = set()
    adjust = 0  # how far sp has moved since entry
    address = entry.start
    while address < min(pc, entry.end + 1, entry.start + 4 * MAX_PROLOGUE):
        try:
            insn = decode(prog.read_u32(address), address, wide)
        except Q4Error:
            break
        address += 4
        if insn.base != SP:
            break
        if insn.kind == "ldo" and insn.register == SP and insn.displacement is not None:
            adjust += insn.displacement
            continue
        if insn.kind != "store" or insn.displacement is None:
            break
        index = FIRST_ARG_REGISTER - (insn.register or 0)
        if not insn.modifies_base and 0 <= index < count and \
                insn.displacement - adjust == arg_slot(0, index, wide):
            stored.add(index)
        if insn.modifies_base:  # stwm/std,ma: stores and allocates the frame
            adjust += insn.displacement
    return sorted(stored)


@dataclass(frozen=True)
class FrameArgs:
    """A frame's arguments: value by index for the stored ones, up to the highest stored."""

    values: dict[int, int | None]  # None: stored, but its slot could not be read

    @property
    def highest(self) -> int:
        return max(self.values, default=-1)


def frame_arguments(prog: Program, sp: int, pc: int, space: int) -> FrameArgs:
    """The stored arguments of the frame at `sp` running `pc`, read from its caller's frame."""
    indices = stored_arguments(prog, pc)
    if not indices:
        return FrameArgs({})
    entry = prog.unwind_for(pc)
    assert entry is not None
    caller_sp = sp - entry.frame_size_bytes
    values: dict[int, int | None] = {}
    for index in indices:
        try:
            values[index] = prog.read_ulong(arg_slot(caller_sp, index, prog.wide), space)
        except Q4Error:
            values[index] = None
    return FrameArgs(values)
