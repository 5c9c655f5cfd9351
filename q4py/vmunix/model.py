"""Plain data shared by the vmunix writer and reader: section extents and symbols."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

PAGE_SIZE = 4096  # PA-RISC base page; the kernel's text/data/bss page counts use it

SymbolKind = Literal["func", "object"]


def pages(size: int) -> int:
    """Pages needed to hold `size` bytes (a partial page counts)."""
    return -(-size // PAGE_SIZE)


@dataclass(frozen=True, slots=True)
class SectionSizes:
    """Where the kernel's .text, .data and .bss sit and how big they are (from section headers)."""

    text_addr: int
    text_size: int
    data_addr: int
    data_size: int
    bss_addr: int
    bss_size: int

    @property
    def text_pages(self) -> int:
        return pages(self.text_size)

    @property
    def data_pages(self) -> int:
        return pages(self.data_size)

    @property
    def bss_pages(self) -> int:
        return pages(self.bss_size)


@dataclass(frozen=True, slots=True)
class Symbol:
    """A kernel function (`func`, in .text) or data object (`object`, in .data or .bss)."""

    name: str
    address: int
    size: int
    kind: SymbolKind

    def __repr__(self) -> str:
        return (f"Symbol(name={self.name!r}, address={self.address:#x}, size={self.size}, "
                f"kind={self.kind!r})")

    def contains(self, address: int) -> bool:
        """[address, address+size); a zero-size symbol contains only its own address."""
        if self.size == 0:
            return address == self.address
        return self.address <= address < self.address + self.size
