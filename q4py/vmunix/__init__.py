"""The kernel image (`vmunix`): symbols both ways, section extents, `.PARISC.unwind` descriptors.

Read with `KernelImage.load(path)`; the forge writes one with `q4py.vmunix.writer.write_vmunix`.
The container layouts are in `elf_layouts`, the unwind descriptor in `unwind`; the file format is
described in docs/vmunix-format.md.
"""

from __future__ import annotations

from q4py.vmunix.image import KernelImage
from q4py.vmunix.model import PAGE_SIZE, SectionSizes, Symbol
from q4py.vmunix.unwind import UnwindEntry

__all__ = ["PAGE_SIZE", "KernelImage", "SectionSizes", "Symbol", "UnwindEntry"]
