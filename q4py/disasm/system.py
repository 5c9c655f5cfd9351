"""System control (opcode 0x00), memory management (0x01: TLB, cache, probe and LPA),
special function units (SPOP, 0x04) and DIAG (0x05)."""

from __future__ import annotations

from q4py.disasm.core import REG, Instruction, number, space_base

CONTROL = ("rctr", "cr1", "cr2", "cr3", "cr4", "cr5", "cr6", "cr7", "pidr1", "pidr2", "ccr",
           "sar", "pidr3", "pidr4", "iva", "eiem", "itmr", "pcsq", "pcoq", "iir", "isr", "ior",
           "ipsw", "eirr", "tr0", "tr1", "tr2", "tr3", "tr4", "tr5", "tr6", "tr7")


def space3(s: int) -> int:
    """assemble_3: the 3-bit space register number of MTSP/MFSP, BE and the I-side ops."""
    return ((s & 1) << 2) | (s >> 1)


def op_system(word: int, pc: int) -> Instruction | None:
    ext = (word >> 5) & 0xFF
    r1, r2, t = (word >> 21) & 31, (word >> 16) & 31, word & 31
    if ext == 0x00:
        return Instruction(word, "break", (number(word & 31), number((word >> 13) & 0x1FFF)))
    if ext == 0x20:
        if word == 0x00000400:
            return Instruction(word, "sync", ())
        if word == 0x00100400:
            return Instruction(word, "syncdma", ())
        return None
    if 0x60 <= ext <= 0x67:
        if word & ~0x000000E0 != 0x00000C00:
            return None
        return Instruction(word, "rfi,r" if ext == 0x65 else "rfi", ())
    if ext in (0x6B, 0x73):  # SSM/RSM: a 10-bit mask
        if (word >> 13) & 7:
            return None
        return Instruction(word, "ssm" if ext == 0x6B else "rsm",
                           (number((word >> 16) & 0x3FF), REG[t]))
    # the moves: the fields an instruction does not use are zero
    s3 = (word >> 13) & 7
    if ext == 0xC3 and not (r1 or s3 or t):
        return Instruction(word, "mtsm", (REG[r2],))
    if ext == 0x85 and not (r2 or (word >> 13) & 1):
        return Instruction(word, "ldsid", (space_base((word >> 14) & 3, r1), REG[t]))
    if ext == 0xC1 and not (r1 or t):
        return Instruction(word, "mtsp", (REG[r2], f"sr{space3(s3)}"))
    if ext == 0x25 and not (r1 or r2):
        return Instruction(word, "mfsp", (f"sr{space3(s3)}", REG[t]))
    if ext == 0xC2 and not (s3 or t):
        return Instruction(word, "mtctl", (REG[r2], CONTROL[r1]))
    if ext == 0x45 and not (r2 or s3 & 5):
        wide = (word >> 14) & 1
        return Instruction(word, "mfctl,w" if wide else "mfctl", (CONTROL[r1], REG[t]))
    if ext == 0xC6 and not (r1 or s3 or t):
        return Instruction(word, "mtsarcm", (REG[r2],))
    if ext == 0xA5 and not (r1 or r2 or s3):
        return Instruction(word, "mfia", (REG[t],))
    return None


# I-side (bits 19..25, a 3-bit space in 16..18) and D-side (bits 18..25, 2-bit space) ops
_I_SIDE = {0x00: "iitlbp", 0x01: "iitlba", 0x08: "pitlb", 0x09: "pitlbe", 0x0A: "fic",
           0x0B: "fice", 0x18: "pitlb,l", 0x20: "iitlbt"}
_D_SIDE = {0x40: "idtlbp", 0x41: "idtlba", 0x46: "probe,r", 0x47: "probe,w", 0xC6: "probei,r",
           0xC7: "probei,w", 0x48: "pdtlb", 0x58: "pdtlb,l", 0x49: "pdtlbe", 0x4A: "fdc",
           0xCA: "fdc", 0x4B: "fdce", 0x4C: "lci", 0x4D: "lpa", 0x4E: "pdc", 0x4F: "fic",
           0x5A: "gfw", 0x6A: "gfr", 0x60: "idtlbt"}


def op_memory_management(word: int, pc: int) -> Instruction | None:
    b, x, t = (word >> 21) & 31, (word >> 16) & 31, word & 31
    m = ",m" if (word >> 5) & 1 else ""
    if not (word >> 12) & 1:  # I-side
        name = _I_SIDE.get((word >> 6) & 0x7F)
        if name is None or t:  # no target register: bits 27..31 are zero
            return None
        where = f"(sr{space3((word >> 13) & 7)},{REG[b]})"
        if name == "iitlbt":
            return Instruction(word, name, (REG[x], REG[b]))
        if name in ("iitlbp", "iitlba"):
            return Instruction(word, name, (REG[x], where))
        return Instruction(word, name + m, (REG[x] + where,))
    ext = (word >> 6) & 0xFF
    name = _D_SIDE.get(ext)
    if name is None:
        return None
    where = space_base((word >> 14) & 3, b)
    if t and not name.startswith(("probe", "lci", "lpa")):  # no target: bits 27..31 zero
        return None
    if name in ("idtlbt",):
        return Instruction(word, name, (REG[x], REG[b]))
    if name in ("idtlbp", "idtlba"):
        return Instruction(word, name, (REG[x], where))
    if m and name.startswith(("probe", "lci")):
        return None
    if name.startswith("probe"):
        access = number(x) if ext & 0x80 else REG[x]
        return Instruction(word, name, (where, access, REG[t]))
    if name in ("lci", "lpa"):
        return Instruction(word, name + m, (REG[x] + where, REG[t]))
    if ext == 0xCA:  # FDC with a short displacement
        return Instruction(word, name + m, (number(x) + where,))
    return Instruction(word, name + m, (REG[x] + where,))


def op_spop(word: int, pc: int) -> Instruction:
    """SPOP0..3: special function unit operations (bits 21..22 pick the form)."""
    form, sfu = (word >> 9) & 3, (word >> 6) & 7
    n = ",n" if (word >> 5) & 1 else ""
    low = word & 31
    if form == 0:
        sop = (((word >> 11) & 0x7FFF) << 5) | low
        return Instruction(word, f"spop0,{sfu},{number(sop)}{n}", ())
    if form == 1:
        return Instruction(word, f"spop1,{sfu},{number((word >> 11) & 0x7FFF)}{n}", (REG[low],))
    if form == 2:
        sop = (((word >> 11) & 0x3FF) << 5) | low
        return Instruction(word, f"spop2,{sfu},{number(sop)}{n}", (REG[(word >> 21) & 31],))
    sop = (((word >> 11) & 31) << 5) | low
    return Instruction(word, f"spop3,{sfu},{number(sop)}{n}",
                       (REG[(word >> 16) & 31], REG[(word >> 21) & 31]))


def op_diag(word: int, pc: int) -> Instruction:
    return Instruction(word, "diag", (number(word & 0x3FFFFFF),))
