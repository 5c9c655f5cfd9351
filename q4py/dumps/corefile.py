"""COREFILE (dump format version 0, HP-UX up to 10.01 and crashutil(1M)'s `-v COREFILE`): one
plain file holding physical memory, file offset = physical address, plus the kernel file.

HP documents the layout and that the two are given as a pair (core image first, kernel second).
There is no INDEX, so the size of memory comes from the kernel: its `physmem` (pages), read from
the core at the symbol's address (the kernel's data is equivalently mapped). A core shorter than
that is refused; a longer one is read up to that size only.
"""

from __future__ import annotations

import os
from collections.abc import Iterable
from dataclasses import dataclass

from q4py.crashdir import MAX_KERNEL_SIZE
from q4py.dumps.flat import PAGE_SIZE, FlatMemory, Piece, write_flat
from q4py.errors import DumpError
from q4py.vmunix import KernelImage

CORE_NAME = "core"
KERNEL_NAME = "vmunix"


@dataclass
class CoreFile:
    """An opened COREFILE: the core, its memory, and the kernel file."""

    path: str  # the core file
    memory: FlatMemory
    vmunix_path: str
    index: None = None  # no INDEX: model, panic and times come from the kernel's memory
    format: str = "COREFILE"

    @classmethod
    def open(cls, core: str, vmunix: str) -> CoreFile:
        for path, what in ((core, "core file"), (vmunix, "kernel file")):
            try:
                st = os.stat(path)
            except OSError as e:
                raise DumpError(path, f"cannot read the {what}: {e.strerror or e}") from None
            if not os.path.isfile(path):
                raise DumpError(path, f"the {what} is not a regular file")
        if st.st_size > MAX_KERNEL_SIZE:
            raise DumpError(vmunix, f"{st.st_size:#x} bytes: larger than any kernel")
        size = os.stat(core).st_size
        if size < PAGE_SIZE:
            raise DumpError(core, f"only {size} bytes: not a memory image")
        return cls(core, FlatMemory([Piece(core, 0, size)], size - size % PAGE_SIZE), vmunix)

    def fit_kernel(self, kernel: KernelImage) -> None:
        """Take the memory size from the kernel's `physmem`; refuse a core shorter than that."""
        symbol = kernel.symbol("physmem")
        if symbol is None:
            return  # nothing says how large memory was: the whole file is memory
        width = 4  # physmem is an int in both widths
        have = self.memory.memsize
        if symbol.address + width > have:
            raise DumpError(self.path, f"{have:#x} bytes: too short to hold physmem "
                            f"(at {symbol.address:#x})")
        pages = int.from_bytes(self.memory.read(symbol.address, width), "big")
        memsize = pages * PAGE_SIZE
        if have < memsize:
            raise DumpError(self.path, f"{have:#x} bytes: shorter than the {memsize:#x} bytes "
                            f"of memory the kernel describes (physmem {pages} pages)")
        self.memory = FlatMemory([Piece(self.path, 0, memsize)], memsize)

    def close(self) -> None:
        self.memory.close()


def write_corefile(outdir: str | os.PathLike[str], pages: Iterable[tuple[int, bytes]], *,
                   vmunix: bytes, memsize: int) -> None:
    """A directory holding `core` (memsize bytes, `pages` at their addresses, zeros elsewhere)
    and `vmunix`, as `crashutil -v COREFILE` leaves the pair."""
    os.makedirs(outdir, exist_ok=True)
    if os.listdir(outdir):
        raise FileExistsError(f"{os.fspath(outdir)} is not empty")
    write_flat([Piece(os.path.join(outdir, CORE_NAME), 0, memsize)], pages)
    with open(os.path.join(outdir, KERNEL_NAME), "wb") as f:
        f.write(vmunix)
