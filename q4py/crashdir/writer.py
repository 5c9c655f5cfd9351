"""Writing a crash directory: image chunks, vmunix, and the INDEX last.

The forge builds dumps through `write_crashdir`, so every file it makes is read back by the same
code (q4py.crashdir) that reads a dump from the field.
"""

from __future__ import annotations

import gzip
import os
import zlib
from collections.abc import Iterable, Sequence
from dataclasses import replace
from itertools import islice

from q4py.crashdir.image import write_image
from q4py.crashdir.index import (
    DEFAULT_PAGE_SIZE,
    INDEX_VERSION,
    ImageEntry,
    IndexFile,
    ModuleEntry,
    Timestamp,
    render_index,
)


def write_crashdir(
    outdir: str | os.PathLike[str],
    pages: Iterable[tuple[int, bytes]],
    *,
    vmunix: bytes,
    memsize: int,
    chunk_pages: int,
    compress: bool = False,
    pagesize: int = DEFAULT_PAGE_SIZE,
    comments: Sequence[str] = (),
    hostname: str | None = None,
    modelname: str | None = None,
    panic: str | None = None,
    dumptime: Timestamp | None = None,
    savetime: Timestamp | None = None,
    release: str | None = None,
    vmunix_source: str = "/stand/vmunix",
    modules: Sequence[ModuleEntry] = (),
) -> IndexFile:
    """Write a crash directory at `outdir` (must be absent or empty) and return its INDEX.

    `pages` yields (pfn, data) in ascending pfn order, each data exactly `pagesize` bytes; it is
    consumed one chunk at a time, so a generator keeps at most `chunk_pages` pages in memory.
    Chunks go to `image.1.1`, `image.1.2`, ... (`.gz` added with `compress`, which also writes
    `vmunix.gz` instead of `vmunix`).

    The keyword arguments after `pagesize` are the INDEX fields of the same names; the writer
    computes version, chunksize, the images and the vmunix module line (path `vmunix_source`,
    size and zlib.crc32 of `vmunix`). `modules` are further (DLKM) module lines, written as given.
    ValueError for unsorted/misized pages, a page beyond memsize, no pages, or text an INDEX
    cannot hold.
    """
    if chunk_pages < 1:
        raise ValueError(f"chunk_pages must be at least 1, not {chunk_pages}")
    if any(module.name == "vmunix" for module in modules):
        raise ValueError("modules must not name vmunix: the writer adds its line")
    vmunix_module = ModuleEntry(vmunix_source, "vmunix", len(vmunix), zlib.crc32(vmunix))
    index = IndexFile(
        version=INDEX_VERSION,
        memsize=memsize,
        images=(),
        modules=(vmunix_module, *modules),
        comments=tuple(comments),
        hostname=hostname,
        modelname=modelname,
        panic=panic,
        dumptime=dumptime,
        savetime=savetime,
        release=release,
        chunksize=chunk_pages * pagesize,
        pagesize=pagesize,
    )
    render_index(index)  # fail on unwritable text before any file is written

    os.makedirs(outdir, exist_ok=True)
    if os.listdir(outdir):
        raise FileExistsError(f"{os.fspath(outdir)} is not empty")
    max_pfn = memsize // pagesize - 1
    suffix = ".gz" if compress else ""
    images: list[ImageEntry] = []
    stream_offset = 0
    previous = -1
    source = iter(pages)
    while chunk := list(islice(source, chunk_pages)):
        first, last = chunk[0][0], chunk[-1][0]
        if first <= previous:
            raise ValueError(f"pages are not sorted by pfn: {first:#x} after {previous:#x}")
        if last > max_pfn:
            raise ValueError(f"page {last:#x} is beyond memsize {memsize:#x}")
        name = f"image.1.{len(images) + 1}{suffix}"
        info = write_image(os.path.join(outdir, name), chunk, pagesize, compress)
        images.append(ImageEntry(name, stream_offset, info.size, first, last, info.crc32))
        stream_offset += info.size
        previous = last
    if not images:
        raise ValueError("a crash directory needs at least one page")

    if compress:
        with gzip.GzipFile(os.path.join(outdir, "vmunix.gz"), "wb", compresslevel=6, mtime=0) as f:
            f.write(vmunix)
    else:
        with open(os.path.join(outdir, "vmunix"), "wb") as f:
            f.write(vmunix)

    # The INDEX goes last, and by rename: a directory with an INDEX is a complete dump.
    index = replace(index, images=tuple(images))
    temp = os.path.join(outdir, ".INDEX.tmp")
    with open(temp, "w", encoding="ascii", newline="\n") as f:
        f.write(render_index(index))
    os.replace(temp, os.path.join(outdir, "INDEX"))
    return index
