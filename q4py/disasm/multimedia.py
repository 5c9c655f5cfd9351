"""PA 2.0's multimedia opcode 0x3E: PERMH, MIXW/MIXH, HSHL/HSHR (the halfword adds,
subtracts and averages are in opcode 0x02, q4py/disasm/arith.py)."""

from __future__ import annotations

from q4py.disasm.core import REG, Instruction


def op_multimedia(word: int, pc: int) -> Instruction | None:
    r1, r2, t = (word >> 21) & 31, (word >> 16) & 31, word & 31
    if not (word >> 15) & 1:  # PERMH,c0c1c2c3
        if (word >> 12) & 1 or (word >> 5) & 1:
            return None
        c = ((word >> 13) & 3, (word >> 10) & 3, (word >> 8) & 3, (word >> 6) & 3)
        return Instruction(word, "permh," + "".join(map(str, c)), (REG[r1], REG[t]))
    right = (word >> 14) & 1
    kind = (word >> 11) & 3
    if kind == 0:  # MIXW / MIXH
        ext = (word >> 9) & 3
        if ext not in (0, 2) or (word >> 5) & 15:
            return None
        name = ("mixw" if ext == 0 else "mixh") + (",r" if right else ",l")
        return Instruction(word, name, (REG[r2], REG[r1], REG[t]))
    if kind != 1 or (word >> 5) & 1:
        return None
    amount = str((word >> 6) & 15)
    if right:  # HSHR,u / HSHR,s
        if r2:
            return None
        return Instruction(word, "hshr," + ("s" if (word >> 10) & 1 else "u"),
                           (REG[r1], amount, REG[t]))
    if r1 or (word >> 10) & 1 or (word >> 13) & 1:
        return None
    return Instruction(word, "hshl", (REG[r2], amount, REG[t]))
