"""Kernel address spaces (q4py.memory): space 0 equivalently mapped, other spaces through the
hashed page directory, and every failure a ReadError naming the address the way q4 prints it."""

from __future__ import annotations

import struct
from collections.abc import Callable
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from q4py.errors import ReadError
from q4py.layouts import NARROW, registry_for
from q4py.layouts.vm import PAGE_SIZE, PDE_VALID
from q4py.memory import KernelMemory, PageDirectory, pdir_hash
from q4py.program import Program
from q4py.unwind import rp_slot

SEED = "hpux1100-32-kalloc-sysmap"
STACK_SPACE = 0x76DB400  # event 1's kernel stack (its SR5)
HPDE = registry_for(NARROW).get("hpde2_0_t")


@pytest.fixture(scope="module")
def prog(forged_dump: Callable[[str], Path]) -> Program:
    return Program.open(forged_dump(SEED))


@pytest.fixture(scope="module")
def memory(prog: Program) -> KernelMemory:
    """A KernelMemory of its own over the dump's physical memory, with the dump's pdir."""
    mem = KernelMemory(prog.crashdir.memory, wide=False)
    mem.set_page_directory(PageDirectory(htbl=prog.read_global("htbl"),
                                         nhtbl=prog.read_global("nhtbl"), hpde=HPDE))
    return mem


# -- the seed's stack -----------------------------------------------------------------------------
def test_saved_rp_on_the_stack(prog: Program, memory: KernelMemory) -> None:
    """panic's frame at SP 0x7fff13a8 is 0x40 bytes: its caller's frame marker holds, at
    caller_sp - 20, the return into report_trap_or_int_and_panic+0x4c."""
    panic = prog.kernel.unwind_for(prog.symbol("panic").address)
    assert panic is not None
    slot = rp_slot(0x7FFF13A8 - panic.frame_size_bytes, wide=False)
    assert slot == 0x7FFF1354
    want = prog.symbol("report_trap_or_int_and_panic").address + 0x4C
    assert memory.read(slot, 4, STACK_SPACE) == want.to_bytes(4, "big")
    assert memory.u32(slot, STACK_SPACE) == want
    assert memory.ulong(slot, STACK_SPACE) == want
    assert prog.read_ulong(slot, STACK_SPACE) == want
    assert prog.symbolize(prog.read_u32(slot, STACK_SPACE)) == "report_trap_or_int_and_panic+0x4c"


def test_translation_goes_through_htbl(prog: Program, memory: KernelMemory) -> None:
    offset = 0x7FFF1354
    t = memory.translate(STACK_SPACE, offset)
    assert (t.space, t.vpage) == (STACK_SPACE, offset >> 12)
    assert t.attr & PDE_VALID
    # The entry is the chain's head in htbl or linked from it, and says what it maps.
    htbl, nhtbl = prog.read_global("htbl"), prog.read_global("nhtbl")
    entry = htbl + HPDE.size * pdir_hash(STACK_SPACE, offset, nhtbl)
    chain = []
    while entry:
        chain.append(entry)
        entry = prog.read_struct(HPDE, entry).pde_next
    assert t.hpde in chain
    pde = prog.read_struct(HPDE, t.hpde)
    assert (pde.pde_space, pde.pde_vpage, pde.pde_phys) == (STACK_SPACE, offset >> 12, t.pfn)
    # The physical page holds the same bytes as the virtual one.
    pa = (t.pfn << 12) | (offset & 0xFFF)
    assert prog.crashdir.memory.read(pa, 4) == memory.read(offset, 4, STACK_SPACE)
    assert memory.translate(STACK_SPACE, offset) is t  # cached


def test_read_across_a_page_boundary(memory: KernelMemory) -> None:
    """The stack spans 0x7fff0000 and 0x7fff1000, two pages mapped to unrelated frames."""
    start = 0x7FFF0FF0
    whole = memory.read(start, 0x20, STACK_SPACE)
    assert whole == memory.read(start, 0x10, STACK_SPACE) + memory.read(0x7FFF1000, 0x10,
                                                                       STACK_SPACE)
    assert memory.read(start, 0, STACK_SPACE) == b""


def test_unmapped_page_in_a_mapped_space(memory: KernelMemory) -> None:
    with pytest.raises(ReadError) as info:
        memory.read(0x7FFE0010, 4, STACK_SPACE)
    err = info.value
    assert (err.space, err.offset) == (STACK_SPACE, 0x7FFE0010)
    assert "0x76db400.0x7ffe0010" in str(err)
    assert str(err) == "cannot read 0x76db400.0x7ffe0010: does not have a translation"


def test_read_running_off_the_mapped_stack(memory: KernelMemory) -> None:
    """A read that starts on a mapped page and crosses into an unmapped one fails at the
    unmapped page."""
    with pytest.raises(ReadError, match=r"0x76db400\.0x7fff2000: does not have a translation"):
        memory.read(0x7FFF1FF0, 0x20, STACK_SPACE)


def test_space_without_mappings(memory: KernelMemory, prog: Program) -> None:
    with pytest.raises(ReadError, match=r"^cannot read 0x1234800\.0x7fff1354: does not have a "
                                        r"translation$"):
        memory.read(0x7FFF1354, 4, 0x1234800)
    with pytest.raises(ReadError, match=r"0x1234800\.0x7fff1354"):
        prog.read(0x7FFF1354, 4, 0x1234800)


def test_space_zero_is_equivalently_mapped(prog: Program, memory: KernelMemory) -> None:
    address = prog.symbol("utsname").address
    assert memory.read(address, 16) == prog.crashdir.memory.read(address, 16)
    assert memory.translate(0, address).pfn == address >> 12
    assert memory.cstring(address) == b"HP-UX"


def test_space_zero_beyond_memsize(prog: Program, memory: KernelMemory) -> None:
    memsize = prog.crashdir.index.memsize
    with pytest.raises(ReadError, match=r"beyond physical memory") as info:
        memory.read(memsize, 4)
    assert info.value.space == 0 and info.value.offset == memsize
    with pytest.raises(ReadError, match=rf"^cannot read 0x0\.{memsize - 2:#x}: "):
        prog.read(memsize - 2, 4)  # the last page, not dumped, or the bytes beyond memsize
    with pytest.raises(ReadError, match="outside the address space"):
        memory.read(0xFFFFFFFE, 4)


def test_space_zero_page_not_in_the_dump(prog: Program) -> None:
    physical = prog.crashdir.memory
    pfn = next(p for p in range(prog.crashdir.index.memsize // PAGE_SIZE)
               if not physical.has_page(p))
    with pytest.raises(ReadError, match=rf"physical page {pfn:#x} is not in the dump"):
        prog.read(pfn * PAGE_SIZE + 8, 4)


def test_read_string(prog: Program) -> None:
    assert prog.read_string(prog.read_global("panicstr")) == prog.crashdir.index.panic
    text = prog.symbol("msgbuf").address + prog.types.get("struct msgbuf").size
    assert prog.read_string(text, limit=4096).startswith("panic: kalloc")
    with pytest.raises(ReadError, match=r"string has no NUL within 10 bytes") as info:
        prog.read_string(text, limit=10)
    assert info.value.offset == text


def test_negative_size_is_a_read_error(memory: KernelMemory) -> None:
    """A size computed from a garbled count reaches a user as one line, not a ValueError."""
    with pytest.raises(ReadError, match=r"^cannot read 0x0\.0x0: the size -1 is negative$"):
        memory.read(0, -1)


# -- a tiny fake machine ------------------------------------------------------------------------
class FakePhysical:
    """Physical memory as a dict of pages; reads of other pages fail like the dump's."""

    def __init__(self) -> None:
        self.pages: dict[int, bytearray] = {}

    def write(self, pa: int, data: bytes) -> None:
        for i, byte in enumerate(data):
            page = self.pages.setdefault((pa + i) >> 12, bytearray(PAGE_SIZE))
            page[(pa + i) & 0xFFF] = byte

    def read(self, pa: int, size: int) -> bytes:
        out = bytearray()
        for address in range(pa, pa + size):
            page = self.pages.get(address >> 12)
            if page is None:
                raise ReadError(0, address, f"physical page {address >> 12:#x} is not in the dump")
            out.append(page[address & 0xFFF])
        return bytes(out)


HTBL = 0x10000
SPACE = 0x4321000


def hpde(nxt: int, space: int, vpage: int, pfn: int, valid: bool = True) -> bytes:
    assert HPDE.fast is not None
    return HPDE.fast.pack(nxt, space, vpage, pfn, PDE_VALID if valid else 0, 0)


def fake_memory(nhtbl: int = 1) -> tuple[FakePhysical, KernelMemory]:
    physical = FakePhysical()
    mem = KernelMemory(physical, wide=False)
    mem.set_page_directory(PageDirectory(htbl=HTBL, nhtbl=nhtbl, hpde=HPDE))
    return physical, mem


def test_fake_chain_is_followed_to_the_match() -> None:
    physical, mem = fake_memory()
    physical.write(HTBL, hpde(0x11000, SPACE, 0x7, 0x50))
    physical.write(0x11000, hpde(0x11020, SPACE + 1, 0x8, 0x51))
    physical.write(0x11020, hpde(0, SPACE, 0x8, 0x52, valid=False))  # invalid: skipped
    physical.write(0x50 * PAGE_SIZE, b"page seven")
    assert mem.read(0x7000, 10, SPACE) == b"page seven"
    assert mem.translate(SPACE, 0x7123).hpde == HTBL
    with pytest.raises(ReadError, match=r"^cannot read 0x4321000\.0x8000: does not have a "):
        mem.read(0x8000, 4, SPACE)


def test_pdir_chain_that_loops() -> None:
    physical, mem = fake_memory()
    physical.write(HTBL, hpde(0x11000, SPACE, 0x1, 0x50))
    physical.write(0x11000, hpde(HTBL, SPACE, 0x2, 0x51))  # back to the head
    with pytest.raises(ReadError) as info:
        mem.read(0x9000, 4, SPACE)
    assert str(info.value) == f"cannot read 0x4321000.0x9000: pdir chain loops at {HTBL:#x}"


def test_pdir_entry_not_in_the_dump() -> None:
    physical, mem = fake_memory()
    physical.write(HTBL, hpde(0x99000, SPACE, 0x1, 0x50))
    with pytest.raises(ReadError, match=r"0x4321000\.0x9000: pdir entry 0x99000: physical page "
                                        r"0x99 is not in the dump"):
        mem.read(0x9000, 4, SPACE)


def test_translation_to_a_missing_frame() -> None:
    physical, mem = fake_memory()
    physical.write(HTBL, hpde(0, SPACE, 0x9, 0x77))
    with pytest.raises(ReadError, match=r"0x4321000\.0x9004: translates to 0x77004, physical "
                                        r"page 0x77 is not in the dump"):
        mem.read(0x9004, 4, SPACE)


def test_no_page_directory_or_an_empty_one() -> None:
    mem = KernelMemory(FakePhysical(), wide=False)
    with pytest.raises(ReadError, match="no page directory"):
        mem.read(0x1000, 4, SPACE)
    _, empty = fake_memory(nhtbl=0)
    with pytest.raises(ReadError, match="htbl is empty"):
        empty.read(0x1000, 4, SPACE)


def test_wide_addresses_print_in_halves() -> None:
    mem = KernelMemory(FakePhysical(), wide=True)
    with pytest.raises(ReadError) as info:
        mem.read(0x400003FFFFFF0C20, 8, 0xF2E7400)
    assert info.value.address_text == "0xf2e7400.0x400003ff'ffff0c20"


def test_cstring_across_pages_and_without_nul() -> None:
    physical, mem = fake_memory()
    physical.write(0x1FFC, b"abcdefgh\0")
    assert mem.cstring(0x1FFC) == b"abcdefgh"
    physical.write(0x3000, b"x" * PAGE_SIZE + b"y" * 10)
    with pytest.raises(ReadError, match=r"0x0\.0x3000: string has no NUL within 4100 bytes"):
        mem.cstring(0x3000, limit=4100)
    # Running into a page that is not there is a read error at that page.
    physical.write(0x6000, b"z" * PAGE_SIZE)
    with pytest.raises(ReadError, match=r"0x0\.0x7000: physical page 0x7 is not in the dump"):
        mem.cstring(0x6000, limit=8192)


@settings(max_examples=50, deadline=None)
@given(space=st.integers(1, 0xFFFFFFFF), offset=st.integers(0, (1 << 64) - 1),
       nhtbl=st.sampled_from([1, 2, 1024, 4096, 1 << 16]))
def test_pdir_hash_is_an_index(space: int, offset: int, nhtbl: int) -> None:
    index = pdir_hash(space, offset, nhtbl)
    assert 0 <= index < nhtbl
    # Offsets within one page share a chain.
    assert pdir_hash(space, offset | 0xFFF, nhtbl) == pdir_hash(space, offset & ~0xFFF, nhtbl)


def test_pdir_hash_public_sample() -> None:
    """The one public sample: VA 0x86400.0x10104937238 hashes to htbl[19246]."""
    assert pdir_hash(0x86400, 0x10104937238, 1 << 15) == 19246


def test_u64(memory: KernelMemory, prog: Program) -> None:
    address = prog.symbol("time").address
    assert memory.u64(address) == struct.unpack(">Q", memory.read(address, 8))[0]
