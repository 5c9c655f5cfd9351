"""Physical memory of the crashed machine, assembled from the image chunk files.

A dump holds only some pages (savecrash skips free and user pages), spread over many chunk files.
A page is found by bisecting the chunks' sorted pfn ranges, then the chunk's own pfn array.
"""

from __future__ import annotations

from bisect import bisect_right
from collections.abc import Iterator, Sequence

from q4py.crashdir.image import ImageFile
from q4py.errors import DumpError, ReadError


class PhysicalMemory:
    """Byte reads by physical address over the pages of a dump."""

    def __init__(self, images: Sequence[ImageFile], memsize: int, page_size: int) -> None:
        """Check the chunks (no shared pfns, all below memsize) and index them by pfn range.

        Chunks must cover disjoint pfn ranges (the writer always does so); that is what lets
        one bisect on the low pfns find the only chunk that can hold a page.
        """
        self.memsize = memsize
        self.page_size = page_size
        self._shift = page_size.bit_length() - 1  # page_size is a power of two
        limit = memsize // page_size  # a page must lie wholly inside memory
        ordered = sorted(images, key=lambda image: image.low_pfn)
        for before, after in zip(ordered, ordered[1:], strict=False):
            if after.low_pfn <= before.high_pfn:
                raise DumpError(
                    after.path,
                    f"pages {after.low_pfn:#x}-{after.high_pfn:#x} overlap {before.path}"
                    f" (pages {before.low_pfn:#x}-{before.high_pfn:#x})",
                )
        for image in ordered:
            if image.high_pfn >= limit:
                raise DumpError(
                    image.path,
                    f"page {image.high_pfn:#x} is beyond physical memory"
                    f" (memsize {memsize:#x} holds pages up to {limit - 1:#x})",
                )
        self._images = ordered
        self._lows = [image.low_pfn for image in ordered]
        self._last: tuple[int, ImageFile, int] | None = None  # most reads are sequential

    @property
    def images(self) -> Sequence[ImageFile]:
        """The chunk files, in pfn order."""
        return tuple(self._images)

    @property
    def page_count(self) -> int:
        """Pages in the dump."""
        return sum(image.npages for image in self._images)

    def pfns(self) -> Iterator[int]:
        """Every pfn in the dump, ascending."""
        for image in self._images:
            yield from image.pfns

    def _image_for(self, pfn: int) -> ImageFile | None:
        i = bisect_right(self._lows, pfn) - 1
        if i < 0 or pfn > self._images[i].high_pfn:
            return None
        return self._images[i]

    def has_page(self, pfn: int) -> bool:
        image = self._image_for(pfn)
        return image is not None and image.index_of(pfn) is not None

    def page(self, pfn: int) -> bytes | None:
        """The page's bytes, or None when the dump does not hold it."""
        found = self._locate(pfn)
        return None if found is None else found[0].read_data(found[1], 0, self.page_size)

    def _locate(self, pfn: int) -> tuple[ImageFile, int] | None:
        """The chunk holding page `pfn` and the page's place in it."""
        last = self._last
        if last is not None and last[0] == pfn:
            return last[1], last[2]
        image = self._image_for(pfn)
        index = image.index_of(pfn) if image is not None else None
        if image is None or index is None:
            return None
        self._last = (pfn, image, index)
        return image, index

    def read(self, pa: int, size: int) -> bytes:
        """`size` bytes at physical address `pa`, across page and chunk boundaries.

        ReadError (space 0) at the first byte that is beyond memsize or on a page not dumped.
        """
        if pa < 0 or size < 0:
            raise ValueError(f"bad physical read: {size} bytes at {pa:#x}")
        shift = self._shift
        pfn = pa >> shift
        start = pa - (pfn << shift)
        if start + size <= self.page_size and pa + size <= self.memsize:
            # Most reads (a structure, a pointer) stay inside one page.
            found = self._locate(pfn)
            if found is not None:
                return found[0].read_data(found[1], start, size)
        parts: list[bytes] = []
        address, end = pa, pa + size
        while address < end:
            if address >= self.memsize:
                raise ReadError(
                    0,
                    address,
                    f"{address:#x} is beyond physical memory (memsize {self.memsize:#x})",
                )
            pfn = address >> shift
            image = self._image_for(pfn)
            index = image.index_of(pfn) if image is not None else None
            if image is None or index is None:
                raise ReadError(0, address, f"physical page {pfn:#x} is not in the dump")
            # Pages with consecutive pfns lie back to back in the file: copy them at once.
            run = image.run_length(index, ((end - 1) >> shift) - pfn + 1)
            start = address - (pfn << shift)
            take = min(end, (pfn + run) << shift) - address
            parts.append(image.read_data(index, start, take))
            address += take
        return parts[0] if len(parts) == 1 else b"".join(parts)

    def close(self) -> None:
        self._last = None
        for image in self._images:
            image.close()
