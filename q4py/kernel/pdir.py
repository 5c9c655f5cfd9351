"""Looking a virtual address up in the kernel's hashed page directory, with the details.

`q4py.memory` translates addresses to read memory; this module answers crashinfo's question
"what does the page table say about this address": the hash chain it searched (head index,
virtual tag, every entry), and the entry that maps the page with its access rights, protection
key and page size. Space 0 is looked up like any other space: crashinfo shows the entry of an
equivalently mapped or I/O page too.

The hpde2_0_t members and the pde_attr bit fields are reconstructions (q4py/layouts/vm.py).
"""

from __future__ import annotations

from dataclasses import dataclass

from q4py.errors import Q4Error
from q4py.layouts.vm import (
    PAGE_SHIFT,
    PAGE_SIZE,
    PDE_AR_MASK,
    PDE_AR_SHIFT,
    PDE_KEY_MASK,
    PDE_PS_MASK,
    PDE_PS_SHIFT,
    PDE_VALID,
    PHYS_ADDRESS_BITS,
)
from q4py.memory import pdir_hash, pdir_vtag
from q4py.program import Program

MAX_CHAIN = 256  # entries followed before a chain is taken for a loop

# PA-RISC access rights (type << 4 | PL1 << 2 | PL2) by HP-UX's PDE_AR_* names.
ACCESS_RIGHTS = {
    0x00: "PDE_AR_KR", 0x10: "PDE_AR_KRW", 0x20: "PDE_AR_KRX", 0x30: "PDE_AR_KRWX",
    0x0F: "PDE_AR_UR", 0x1F: "PDE_AR_URW", 0x2F: "PDE_AR_URX", 0x3F: "PDE_AR_URWX",
    0x4C: "PDE_AR_GATEWAY",
}


@dataclass(frozen=True)
class PdeRow:
    """One hpde2_0_t of a chain, at `address` (space 0)."""

    address: int
    next: int
    space: int
    vpage: int
    phys: int
    attr: int

    @property
    def valid(self) -> bool:
        return bool(self.attr & PDE_VALID)

    @property
    def access_rights(self) -> int:
        return (self.attr >> PDE_AR_SHIFT) & PDE_AR_MASK

    @property
    def protection_key(self) -> int:
        return self.attr & PDE_KEY_MASK

    @property
    def page_size(self) -> int:
        return PAGE_SIZE << (2 * ((self.attr >> PDE_PS_SHIFT) & PDE_PS_MASK))


@dataclass(frozen=True)
class VaLookup:
    """What the hashed page directory says about `space.offset`."""

    space: int
    offset: int
    index: int  # htbl[index] heads the chain searched
    head: int  # its address
    vtag: tuple[int, int]
    chain: list[PdeRow]
    found: PdeRow | None
    problem: str | None = None  # why the chain could not be read to its end

    @property
    def physical(self) -> int | None:
        """The physical address, sign-extended from the 44 bits a pde can name (I/O space)."""
        if self.found is None:
            return None
        size = self.found.page_size
        pa = (self.found.phys << PAGE_SHIFT) | (self.offset & (size - 1))
        if pa >> (PHYS_ADDRESS_BITS - 1) & 1:
            pa |= ((1 << 64) - 1) ^ ((1 << PHYS_ADDRESS_BITS) - 1)
        return pa


def access_rights_name(rights: int) -> str | None:
    return ACCESS_RIGHTS.get(rights)


def lookup_va(prog: Program, space: int, offset: int) -> VaLookup | None:
    """Search the hash chain of `space.offset`; None when the kernel has no htbl."""
    if not (prog.has_symbol("htbl") and prog.has_symbol("nhtbl")):
        return None
    htbl, nhtbl = prog.read_global("htbl"), prog.read_global("nhtbl")
    if nhtbl <= 0:
        return None
    layout = prog.types.get("hpde2_0_t")
    index = pdir_hash(space, offset, nhtbl)
    head = htbl + index * layout.size
    vpage = (offset >> PAGE_SHIFT) & 0xFFFFFFFF
    chain: list[PdeRow] = []
    found = None
    problem = None
    address = head
    seen: set[int] = set()
    while address and found is None:
        if address in seen or len(chain) >= MAX_CHAIN:
            problem = f"pdir chain loops at {address:#x}"
            break
        seen.add(address)
        try:
            pde = prog.read_struct(layout, address)
        except Q4Error as err:
            problem = str(err)
            break
        row = PdeRow(address, pde.pde_next, pde.pde_space, pde.pde_vpage, pde.pde_phys,
                     pde.pde_attr)
        chain.append(row)
        if row.valid and row.space == space and row.vpage == vpage:
            found = row
        address = row.next
    return VaLookup(space, offset, index, head, pdir_vtag(space, offset), chain, found, problem)


def pdir_entries(prog: Program) -> list[PdeRow]:
    """Every valid entry of every hash chain (the heads in htbl and the entries they link),
    for questions asked of the whole directory: which pages a space maps, which virtual
    pages map a physical one. Empty when the kernel has no htbl; a chain that loops or cannot
    be read ends there."""
    if not (prog.has_symbol("htbl") and prog.has_symbol("nhtbl")):
        return []
    htbl, nhtbl = prog.read_global("htbl"), prog.read_global("nhtbl")
    if nhtbl <= 0:
        return []
    layout = prog.types.get("hpde2_0_t")
    out: list[PdeRow] = []
    seen: set[int] = set()
    for index, head in enumerate(prog.read_records(layout, htbl, nhtbl)):
        address, record = htbl + index * layout.size, head
        for _ in range(MAX_CHAIN):
            row = PdeRow(address, *record[:5])
            if row.valid:
                out.append(row)
            if not row.next or row.next in seen:
                break
            seen.add(row.next)
            address = row.next
            try:
                record = prog.read_records(layout, address, 1)[0]
            except Q4Error:
                break
    return out


def space_pages(prog: Program, space: int) -> list[tuple[int, int]]:
    """(virtual page, page frame) of every page the directory maps in `space`, by address."""
    return sorted((row.vpage, row.phys) for row in pdir_entries(prog) if row.space == space)
