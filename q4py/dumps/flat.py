"""Physical memory held flat: file offset = physical address (COREFILE), or a row of equal pieces
each holding a contiguous portion (COREDIR's core.N.M chunks). Every page is present; a page the
kernel did not dump reads as zeros, the only way these formats have to say so.
"""

from __future__ import annotations

import errno
import os
from bisect import bisect_right
from collections import OrderedDict
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass

from q4py.errors import DumpError, ReadError

PAGE_SIZE = 4096
MAX_OPEN_FILES = 32  # pieces kept open at once; a 256 GiB COREDIR may have thousands


@dataclass(frozen=True)
class Piece:
    """`size` bytes of physical memory from `base`, held in `path` from offset 0."""

    path: str
    base: int
    size: int


class FlatMemory:
    """Byte reads by physical address over contiguous pieces covering 0..memsize."""

    def __init__(self, pieces: Sequence[Piece], memsize: int, page_size: int = PAGE_SIZE) -> None:
        self.memsize = memsize
        self.page_size = page_size
        self.pieces = tuple(sorted(pieces, key=lambda p: p.base))
        self._bases = [p.base for p in self.pieces]
        self._open: OrderedDict[str, int] = OrderedDict()

    def _fd(self, path: str) -> int:
        fd = self._open.get(path)
        if fd is not None:
            self._open.move_to_end(path)
            return fd
        try:
            fd = os.open(path, os.O_RDONLY)
        except OSError as e:
            raise DumpError(path, f"cannot read: {e.strerror or e}") from None
        self._open[path] = fd
        if len(self._open) > MAX_OPEN_FILES:
            _, oldest = self._open.popitem(last=False)
            os.close(oldest)
        return fd

    def read(self, pa: int, size: int) -> bytes:
        """`size` bytes at physical address `pa`; ReadError at the first byte past memsize."""
        if pa < 0 or size < 0:
            raise ValueError(f"bad physical read: {size} bytes at {pa:#x}")
        if pa + size > self.memsize:
            address = max(pa, self.memsize)
            raise ReadError(0, address,
                            f"{address:#x} is beyond physical memory (memsize {self.memsize:#x})")
        parts = []
        address, end = pa, pa + size
        while address < end:
            piece = self.pieces[bisect_right(self._bases, address) - 1]
            take = min(end, piece.base + piece.size) - address
            offset = address - piece.base
            data = os.pread(self._fd(piece.path), take, offset)
            if len(data) != take:
                raise ReadError(0, address + len(data),
                                f"{piece.path} ends at offset {offset + len(data):#x}: "
                                "the file was cut after it was opened")
            parts.append(data)
            address += take
        return parts[0] if len(parts) == 1 else b"".join(parts)

    def has_page(self, pfn: int) -> bool:
        """Every page of memory is in a flat dump (zeros where the kernel dumped none)."""
        return 0 <= pfn < self.memsize // self.page_size

    def page(self, pfn: int) -> bytes | None:
        if not self.has_page(pfn):
            return None
        return self.read(pfn * self.page_size, self.page_size)

    def pfns(self) -> Iterator[int]:
        """The pages holding data, ascending. The holes of a sparse file (the pages nothing was
        written to: zeros) are skipped where the file system reports them (SEEK_DATA), so a
        search does not read gigabytes of zeros; elsewhere every page is listed."""
        size = self.page_size
        for piece in self.pieces:
            for start, end in _data_runs(self._fd(piece.path), piece.size):
                first = (piece.base + start) // size
                last = min(-(-(piece.base + end) // size), self.memsize // size)
                yield from range(first, last)

    def close(self) -> None:
        while self._open:
            _, fd = self._open.popitem()
            os.close(fd)


def _data_runs(fd: int, size: int) -> Iterator[tuple[int, int]]:
    """(start, end) offsets of the data (not hole) runs of the first `size` bytes of a file."""
    at = 0
    while at < size:
        try:
            start = os.lseek(fd, at, os.SEEK_DATA)
        except OSError as e:
            if e.errno == errno.ENXIO:  # only a hole from `at` on
                return
            yield at, size  # no SEEK_DATA here: all of it is data
            return
        if start >= size:
            return
        end = min(os.lseek(fd, start, os.SEEK_HOLE), size)
        yield start, end
        at = end


def write_flat(pieces: Sequence[Piece], pages: Iterable[tuple[int, bytes]],
               page_size: int = PAGE_SIZE) -> None:
    """Create every piece's file at its full size (zeros, left as holes where the file system
    allows), then write `pages` ((pfn, data), ascending) into the pieces holding them."""
    for piece in pieces:
        fd = os.open(piece.path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o644)
        try:
            os.ftruncate(fd, piece.size)
        finally:
            os.close(fd)
    bases = [piece.base for piece in pieces]
    current: Piece | None = None
    fd = -1
    try:
        for pfn, data in pages:
            address = pfn * page_size
            while data:
                if current is None or not current.base <= address < current.base + current.size:
                    if fd >= 0:
                        os.close(fd)
                    index = bisect_right(bases, address) - 1
                    current = pieces[index]
                    if not (index >= 0 and address < current.base + current.size):
                        raise ValueError(f"page {pfn:#x} is beyond the memory written")
                    fd = os.open(current.path, os.O_WRONLY)
                take = min(len(data), current.base + current.size - address)
                os.pwrite(fd, data[:take], address - current.base)
                address, data = address + take, data[take:]
    finally:
        if fd >= 0:
            os.close(fd)
