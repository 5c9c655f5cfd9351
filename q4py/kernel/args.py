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

The home slots are the caller's outgoing argument area, so a caller may fill them itself: the
stores through sp that come right before its call's branch (the instruction at the return
address - 8), after its own prologue, put arguments there that the callee need not store. Such
an argument is shown too. So one function's frames can differ: p4 prints for_val2's arg0 and
arg2 in the frames for_val2 called itself from (for_val2+0x13c writes them before its
recursive call) and n/a in the one foreach_valid+0x54 called, which does not
(hpux1111-64-hang-lock-contention-p4).
"""

from __future__ import annotations

from dataclasses import dataclass

from q4py.disasm import SP, decode
from q4py.errors import Q4Error
from q4py.program import Program
from q4py.unwind import Segment, arg_slot

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
    return sorted(_prologue(prog, entry.start, min(pc, entry.end + 1))[0])


def _prologue(prog: Program, start: int, limit: int) -> tuple[set[int], int]:
    """The arguments a prologue at `start` stores (read up to `limit`), and where it ends."""
    wide = prog.wide
    count = register_args(wide)
    stored: set[int] = set()
    adjust = 0  # how far sp has moved since entry
    address = start
    while address < min(limit, start + 4 * MAX_PROLOGUE):
        try:
            insn = decode(prog.read_u32(address), address, wide)
        except Q4Error:
            break
        if insn.base != SP:
            break
        if insn.kind == "ldo" and insn.register == SP and insn.displacement is not None:
            adjust += insn.displacement
            address += 4
            continue
        if insn.kind != "store" or insn.displacement is None:
            break
        address += 4
        index = FIRST_ARG_REGISTER - (insn.register or 0)
        if not insn.modifies_base and 0 <= index < count and \
                insn.displacement - adjust == arg_slot(0, index, wide):
            stored.add(index)
        if insn.modifies_base:  # stwm/std,ma: stores and allocates the frame
            adjust += insn.displacement
    return stored, address


def caller_stored_arguments(prog: Program, return_pc: int) -> list[int]:
    """Indices of the arguments a caller stored in its outgoing argument area right before the
    call that returns to `return_pc`, ascending ([] if none)."""
    entry = prog.unwind_for(return_pc)
    if entry is None or entry.interrupt_marker:
        return []
    wide = prog.wide
    count = register_args(wide)
    body = _prologue(prog, entry.start, return_pc)[1]
    stored: set[int] = set()
    address = return_pc - 12  # the instruction before the call's branch
    while address >= max(body, return_pc - 8 - 4 * MAX_PROLOGUE):
        try:
            insn = decode(prog.read_u32(address), address, wide)
        except Q4Error:
            break
        if insn.base != SP or insn.kind != "store" or insn.displacement is None or \
                insn.modifies_base:
            break
        index = FIRST_ARG_REGISTER - (insn.register or 0)
        if not (0 <= index < count and insn.displacement == arg_slot(0, index, wide)):
            break
        stored.add(index)
        address -= 4
    return sorted(stored)


@dataclass(frozen=True)
class FrameArgs:
    """A frame's arguments: value by index for the stored ones, up to the highest stored."""

    values: dict[int, int | None]  # None: stored, but its slot could not be read

    @property
    def highest(self) -> int:
        return max(self.values, default=-1)


def frame_arguments(prog: Program, sp: int, pc: int, space: int,
                    return_pc: int = 0) -> FrameArgs:
    """The stored arguments of the frame at `sp` running `pc`, read from its caller's frame;
    `return_pc`, where the call returns to in the caller (0: unknown), adds those the caller
    stored before its call."""
    indices = stored_arguments(prog, pc)
    if return_pc:
        indices = sorted({*indices, *caller_stored_arguments(prog, return_pc)})
    if not indices:
        return FrameArgs({})
    entry = prog.unwind_for(pc)
    if entry is None:
        return FrameArgs({})
    caller_sp = sp - entry.frame_size_bytes
    values: dict[int, int | None] = {}
    for index in indices:
        try:
            values[index] = prog.read_ulong(arg_slot(caller_sp, index, prog.wide), space)
        except Q4Error:
            values[index] = None
    return FrameArgs(values)


def segment_frame_arguments(prog: Program, segment: Segment, index: int) -> FrameArgs:
    """The stored arguments of frame `index` of `segment`, with those its caller (the next
    frame out, when the segment has it) stored before the call."""
    frames = segment.frames
    frame = frames[index]
    return_pc = frames[index + 1].pc if index + 1 < len(frames) else 0
    return frame_arguments(prog, frame.sp, frame.pc, segment.space, return_pc)
