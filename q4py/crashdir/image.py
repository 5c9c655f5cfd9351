"""`image.M.P` chunk files: q4py's own binary layout for a run of physical pages.

HP does not publish the layout of its image files, so q4py defines one (docs/dump-format.md):

    0x00 char[8]  magic b"Q4PYIMG\\0"
    0x08 uint32   version (1)
    0x0C uint32   page_size
    0x10 uint32   npages
    0x14 uint32   data_offset        first page's data; a multiple of page_size
    0x18 uint64   pfn[npages]        strictly ascending page frame numbers
    ...           zero padding up to data_offset
    data_offset   npages * page_size bytes of page data, in pfn order

all big-endian. A file may be gzip-compressed as a whole. Opening reads only the header and the
pfn array; page data is mmapped on first use, and a gzip file is read in place through a
seek-point index (q4py.crashdir.gzindex).
"""

from __future__ import annotations

import gzip
import mmap
import operator
import os
import sys
import zlib
from array import array
from bisect import bisect_left
from collections import OrderedDict
from collections.abc import Sequence
from dataclasses import dataclass
from itertools import islice
from pathlib import Path
from typing import Any, BinaryIO

from construct import Bytes, Int32ub, Struct

from q4py.crashdir.cache import is_gzip, open_uncompressed
from q4py.crashdir.gzindex import GzipData, index_path_for
from q4py.errors import DumpError

IMAGE_MAGIC = b"Q4PYIMG\0"
IMAGE_VERSION = 1

# The fixed header. The pfn array that follows is read with array('Q'): construct would take
# seconds for the 16 M entries of a 64 GiB dump.
ImageHeader = Struct(
    "magic" / Bytes(8),
    "version" / Int32ub,
    "page_size" / Int32ub,
    "npages" / Int32ub,
    "data_offset" / Int32ub,
)
HEADER_SIZE = ImageHeader.sizeof()  # 0x18
_PFN_SLICE = 1 << 17  # pfns read per slice (1 MiB)
# Reads at least this long copy with pread instead of through the map, so a scan of a 768 MB
# pfdat does not leave 768 MB of mapped pages in the process's resident set.
_PREAD_MIN = 1 << 16


@dataclass(frozen=True)
class ImageInfo:
    """What the INDEX's image line needs to know about a written image file."""

    size: int  # bytes of page data
    low_pfn: int
    high_pfn: int
    crc32: int  # of the uncompressed file


def data_offset_for(npages: int, page_size: int) -> int:
    """Where page data starts: after the header and pfn array, rounded up to a page."""
    end = HEADER_SIZE + 8 * npages
    return -(-end // page_size) * page_size


def _pfn_bytes(pfns: array) -> bytes:
    """The pfn array as big-endian bytes (swapping a copy on little-endian hosts)."""
    if sys.byteorder == "little":
        pfns = array("Q", pfns)
        pfns.byteswap()
    return pfns.tobytes()


def write_image(
    path: str,
    pages: Sequence[tuple[int, bytes]],
    page_size: int = 4096,
    compress: bool = False,
) -> ImageInfo:
    """Write `pages` ((pfn, data) sorted by pfn, each data exactly page_size bytes) to `path`.

    With `compress` the whole file is gzipped (mtime 0 and no name, so output is reproducible).
    ValueError for an empty, unsorted or wrongly sized page list.
    """
    if not pages:
        raise ValueError("an image file needs at least one page")
    pfns = array("Q")
    for pfn, data in pages:
        if pfns and pfn <= pfns[-1]:
            raise ValueError(f"pages are not sorted by pfn: {pfn:#x} after {pfns[-1]:#x}")
        if len(data) != page_size:
            raise ValueError(f"page {pfn:#x} has {len(data)} bytes, not {page_size}")
        pfns.append(pfn)
    data_offset = data_offset_for(len(pages), page_size)
    header = ImageHeader.build(
        dict(
            magic=IMAGE_MAGIC,
            version=IMAGE_VERSION,
            page_size=page_size,
            npages=len(pages),
            data_offset=data_offset,
        )
    )
    head = header + _pfn_bytes(pfns)
    head += bytes(data_offset - len(head))
    crc = zlib.crc32(head)
    with open(path, "wb") as raw:
        out = (
            gzip.GzipFile(filename="", mode="wb", fileobj=raw, compresslevel=6, mtime=0)
            if compress
            else raw
        )
        with out:
            out.write(head)
            for _, data in pages:
                out.write(data)
                crc = zlib.crc32(data, crc)
    return ImageInfo(len(pages) * page_size, pfns[0], pfns[-1], crc)


class ImageFile:
    """An opened image file: the pfn array in memory, the page data read on demand.

    A plain file's data is mapped on first use; at most MAX_MAPPED files stay mapped (each
    holds two descriptors: its own and the map's), the least recently used one is unmapped
    and mapped again when next read, so a dump of thousands of chunk files stays within any
    ulimit. A gzip file is read in place through a seek-point index (q4py.crashdir.gzindex):
    nothing inflated is written anywhere."""

    def __init__(
        self, path: str, page_size: int, pfns: array, data_offset: int, compressed: bool,
        cache: Path | None = None,
    ) -> None:
        self.path = path
        self.page_size = page_size
        self.pfns = pfns  # array('Q'), ascending; a page's index is its place in the data
        self.data_offset = data_offset
        self.compressed = compressed
        self._map: mmap.mmap | None = None
        self._fd: int | None = None  # the mapped file, kept open for pread
        self._gzip = (GzipData(path, self.file_size, index_path_for(path, cache))
                      if compressed else None)

    @classmethod
    def open(cls, path: str, page_size: int, cache: Path | None = None) -> ImageFile:
        """Read and check the header and pfn array; DumpError naming the file and offset.
        `cache` is where a gzip file's seek-point index is kept (None: in memory only)."""
        try:
            compressed = is_gzip(path)
            stream = open_uncompressed(path)
        except OSError as e:
            raise DumpError(path, f"cannot open image: {e.strerror or e}") from None
        where = " (offset in the inflated data)" if compressed else ""
        try:
            with stream:
                header_bytes = stream.read(HEADER_SIZE)
                if len(header_bytes) < HEADER_SIZE:
                    raise DumpError(
                        path,
                        f"truncated: the header needs {HEADER_SIZE} bytes, the file has"
                        f" {len(header_bytes)}{where}",
                        len(header_bytes),
                    )
                header = ImageHeader.parse(header_bytes)
                _check_header(path, header, page_size)
                pfns = _read_pfns(path, stream, header.npages, where)
        except (EOFError, gzip.BadGzipFile, zlib.error) as e:
            raise DumpError(path, f"corrupt or truncated gzip data in the header: {e}") from None
        except OSError as e:
            raise DumpError(path, f"cannot read image: {e.strerror or e}") from None
        image = cls(path, page_size, pfns, header.data_offset, compressed, cache)
        if not compressed:
            # A plain file's length is known now; a gzip file's when its last block is read.
            size = os.stat(path).st_size
            image._check_length(size)
        return image

    # -- sizes -----------------------------------------------------------------------------

    @property
    def npages(self) -> int:
        return len(self.pfns)

    @property
    def low_pfn(self) -> int:
        return self.pfns[0]

    @property
    def high_pfn(self) -> int:
        return self.pfns[-1]

    @property
    def data_size(self) -> int:
        """Bytes of page data (the INDEX image line's size)."""
        return self.npages * self.page_size

    @property
    def file_size(self) -> int:
        """Bytes of the uncompressed file: header, pfns, padding and page data."""
        return self.data_offset + self.data_size

    def _check_length(self, size: int) -> None:
        if size < self.file_size:
            raise DumpError(
                self.path,
                f"truncated: {self.npages} pages need {self.file_size:#x} bytes, the file has"
                f" {size:#x}",
                size,
            )
        if size > self.file_size:
            raise DumpError(
                self.path,
                f"{size - self.file_size:#x} bytes past the end of its {self.npages} pages",
                self.file_size,
            )

    # -- pages -----------------------------------------------------------------------------

    def index_of(self, pfn: int) -> int | None:
        """The page's place in this file's data, or None when the file does not hold it."""
        i = bisect_left(self.pfns, pfn)
        return i if i < len(self.pfns) and self.pfns[i] == pfn else None

    def page(self, pfn: int) -> bytes | None:
        """The page's bytes, or None if not in this file."""
        i = self.index_of(pfn)
        if i is None:
            return None
        return self.read_data(i, 0, self.page_size)

    def run_length(self, index: int, want: int) -> int:
        """How many of the pages index, index+1, ... (at most `want`) hold consecutive pfns.

        Those pages are one stretch of the file, so a read across them is one copy.
        """
        pfns = self.pfns
        first = pfns[index]
        low, high = 1, min(want, len(pfns) - index)
        if pfns[index + high - 1] - first == high - 1:  # the usual case: no hole at all
            return high
        while low < high:  # pfns ascend strictly: no hole before k iff pfns[i+k]-first == k
            mid = (low + high + 1) // 2
            if pfns[index + mid - 1] - first == mid - 1:
                low = mid
            else:
                high = mid - 1
        return low

    def read_data(self, index: int, start: int, size: int) -> bytes:
        """`size` bytes from byte `start` of page `index` on (the caller stays inside a run)."""
        offset = self.data_offset + index * self.page_size + start
        if self._gzip is not None:
            return self._gzip.read(offset, size)
        data = self._map if self._map is not None else self._map_data()
        if _MAPPED and next(reversed(_MAPPED)) is not self:
            _MAPPED.move_to_end(self)
        if size >= _PREAD_MIN and self._fd is not None:
            try:
                chunk = os.pread(self._fd, size, offset)
            except OSError as e:
                raise DumpError(self.path, f"cannot read image data: {e.strerror or e}",
                                offset) from None
            if len(chunk) == size:
                return chunk
            raise DumpError(self.path, "truncated: the file shrank while open", offset + len(chunk))
        return data[offset : offset + size]

    def _map_data(self) -> mmap.mmap:
        try:
            fd = os.open(self.path, os.O_RDONLY)
        except OSError as e:
            raise DumpError(self.path, f"cannot map image data: {e.strerror or e}") from None
        try:
            size = os.fstat(fd).st_size
            self._check_length(size)  # the file may have changed since open()
            mapped = mmap.mmap(fd, 0, access=mmap.ACCESS_READ)
        except OSError as e:
            os.close(fd)
            raise DumpError(self.path, f"cannot map image data: {e.strerror or e}") from None
        except BaseException:
            os.close(fd)
            raise
        self._fd, self._map = fd, mapped
        _MAPPED[self] = None
        while len(_MAPPED) > MAX_MAPPED:
            oldest, _ = _MAPPED.popitem(last=False)
            oldest.close()
        return mapped

    @property
    def is_open(self) -> bool:
        """Whether the file holds descriptors or a reader now (tests of the bound)."""
        return self._fd is not None or (self._gzip is not None and self._gzip.is_open)

    def close(self) -> None:
        """Unmap the data and close the file (it opens again when next read)."""
        _MAPPED.pop(self, None)
        if self._fd is not None:
            os.close(self._fd)
            self._fd = None
        if self._map is not None:
            self._map.close()  # page reads hand out copies: no view can hold it
            self._map = None
        if self._gzip is not None:
            self._gzip.close()


# Plain image files mapped now, least recently read first (see ImageFile).
MAX_MAPPED = 128
_MAPPED: OrderedDict[ImageFile, None] = OrderedDict()


def _check_header(path: str, h: Any, page_size: int) -> None:
    """Check the fixed header (h is construct's Container for ImageHeader)."""
    if h.magic != IMAGE_MAGIC:
        raise DumpError(path, f"not a q4py image file (magic {h.magic!r})", 0)
    if h.version != IMAGE_VERSION:
        raise DumpError(path, f"unsupported image version {h.version}", 0x08)
    if h.page_size != page_size:
        raise DumpError(path, f"page size {h.page_size}, but INDEX says {page_size}", 0x0C)
    if h.npages == 0:
        raise DumpError(path, "holds no pages", 0x10)
    want = data_offset_for(h.npages, page_size)
    if h.data_offset < want or h.data_offset % page_size:
        raise DumpError(
            path,
            f"data offset {h.data_offset:#x} is not a page boundary at or after {want:#x}",
            0x14,
        )


def _read_pfns(path: str, stream: BinaryIO, npages: int, where: str) -> array:
    """Read the pfn array in slices, so a garbled npages cannot make us allocate gigabytes."""
    pfns = array("Q")
    while len(pfns) < npages:
        want = min(npages - len(pfns), _PFN_SLICE)
        data = stream.read(8 * want)
        if len(data) < 8 * want:
            raise DumpError(
                path,
                f"truncated: the pfn array needs {8 * npages:#x} bytes,"
                f" the file has {8 * len(pfns) + len(data):#x}{where}",
                HEADER_SIZE + 8 * len(pfns) + len(data),
            )
        piece = array("Q")
        piece.frombytes(data)
        if sys.byteorder == "little":
            piece.byteswap()
        _check_ascending(path, pfns[-1] if pfns else None, piece, len(pfns), where)
        pfns.extend(piece)
    return pfns


def _check_ascending(path: str, previous: int | None, piece: array, first: int, where: str) -> None:
    """Check that `piece` (entries first.. of the array) ascends strictly from `previous`."""
    # map() keeps the comparisons in C: a 64 GiB dump has 16 M of them.
    if (previous is None or previous < piece[0]) and all(
        map(operator.lt, piece, islice(piece, 1, None))
    ):
        return
    before = previous
    for i, pfn in enumerate(piece, start=first):
        if before is not None and pfn <= before:
            raise DumpError(
                path,
                f"pfn {pfn:#x} (entry {i}) is not above the previous {before:#x}{where}",
                HEADER_SIZE + 8 * i,
            )
        before = pfn
