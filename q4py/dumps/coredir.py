"""COREDIR (dump format version 1, savecore(4) of HP-UX 10.x): a `core.N` directory holding an
`INDEX`, the kernel (`vmunix`) and `core.N.M` files.

HP documents (savecore(4), crashutil(1M)): each `core.N.M` holds a contiguous portion of
physical memory; the files are equal-size chunks except possibly the last; a page that could not
be dumped is zeros; M is decimal "with as many digits as necessary to accommodate the highest
numbered file". q4py's own choices where HP is silent: M counts from 0, the chunk M starts at
physical address M x chunksize, and the INDEX is q4py's CRASHDIR INDEX with `version 1` and no
`image` lines (`chunksize` gives the chunk size; without it, chunk 0's size is taken).
"""

from __future__ import annotations

import os
import re
import zlib
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from q4py.crashdir import MAX_KERNEL_SIZE, member_file
from q4py.crashdir.index import (
    COREDIR_VERSION,
    DEFAULT_PAGE_SIZE,
    IndexFile,
    ModuleEntry,
    read_index,
    render_index,
)
from q4py.dumps.flat import FlatMemory, Piece, write_flat
from q4py.errors import DumpError

CHUNK_NAME = re.compile(r"core\.(\d{1,9})\.(\d{1,9})")


@dataclass
class CoreDir:
    """An opened COREDIR: INDEX, memory from the chunks, and the kernel file."""

    path: str
    index: IndexFile
    memory: FlatMemory
    vmunix_path: str
    format: str = "COREDIR"

    @classmethod
    def open(cls, path: str) -> CoreDir:
        index_path = member_file(path, "INDEX")
        if index_path is None:
            raise DumpError(path, "COREDIR without an INDEX file")
        index = read_index(index_path, COREDIR_VERSION)
        pieces = _chunks(path, index)
        vmunix = member_file(path, index.vmunix.name)
        if vmunix is None:
            raise DumpError(os.path.join(path, index.vmunix.name),
                            "the kernel file named in INDEX is missing")
        size = os.stat(vmunix).st_size
        if size > MAX_KERNEL_SIZE:
            raise DumpError(vmunix, f"{size:#x} bytes: larger than any kernel")
        return cls(path, index, FlatMemory(pieces, index.memsize, index.pagesize), vmunix)

    def close(self) -> None:
        self.memory.close()


def is_coredir(path: str) -> bool:
    """A directory with core.N.M files (and no CRASHDIR image files) is taken for a COREDIR."""
    try:
        names = os.listdir(path)
    except OSError:
        return False
    return any(CHUNK_NAME.fullmatch(name) for name in names)


def _chunks(path: str, index: IndexFile) -> list[Piece]:
    """The chunk files, checked to tile 0..memsize exactly: none missing, none overlapping."""
    found: dict[int, str] = {}
    dumps: set[str] = set()
    for name in sorted(os.listdir(path)):
        match = CHUNK_NAME.fullmatch(name)
        if not match:
            continue
        dumps.add(match[1])
        number = int(match[2])
        if number in found:
            raise DumpError(os.path.join(path, name),
                            f"chunk {number} again (also {found[number]}): the two overlap")
        found[number] = name
    if len(dumps) > 1:
        raise DumpError(path, f"chunks of several dumps ({', '.join(sorted(dumps))}) in one "
                        "COREDIR")
    files = {n: member_file(path, name) for n, name in found.items()}
    chunk = index.chunksize
    if chunk is None:
        first = files.get(0)
        if first is None:
            raise DumpError(os.path.join(path, f"core.{min(dumps or {'0'})}.0"),
                            "chunk 0 is missing (and INDEX gives no chunksize)")
        chunk = os.stat(first).st_size
    if chunk == 0 or chunk % index.pagesize:
        raise DumpError(path, f"chunk size {chunk:#x} is not a whole number of "
                        f"{index.pagesize}-byte pages")
    count = -(-index.memsize // chunk)
    dump = min(dumps) if dumps else "0"
    pieces = []
    for number in range(count):
        base = number * chunk
        want = min(chunk, index.memsize - base)
        file = files.get(number)
        if file is None:
            raise DumpError(os.path.join(path, chunk_name(dump, number, count)),
                            f"chunk {number} (physical {base:#x}-{base + want - 1:#x}) is "
                            "missing")
        size = os.stat(file).st_size
        if size > want:
            raise DumpError(file, f"{size:#x} bytes, more than the chunk's {want:#x}: it "
                            f"overlaps the next chunk's memory")
        if size < want:
            raise DumpError(file, f"truncated: {size:#x} bytes, the chunk holds {want:#x}")
        pieces.append(Piece(file, base, want))
    extra = sorted(n for n in files if n >= count)
    if extra:
        raise DumpError(files[extra[0]] or path, f"chunk {extra[0]} lies beyond memsize "
                        f"{index.memsize:#x} ({count} chunks of {chunk:#x} bytes)")
    return pieces


def chunk_name(dump: str | int, number: int, count: int) -> str:
    """`core.N.M`, M zero-padded to the width of the highest chunk number."""
    return f"core.{dump}.{number:0{len(str(count - 1))}d}"


def write_coredir(
    outdir: str | os.PathLike[str],
    pages: Iterable[tuple[int, bytes]],
    *,
    vmunix: bytes,
    memsize: int,
    chunksize: int,
    dump_number: int = 0,
    pagesize: int = DEFAULT_PAGE_SIZE,
    vmunix_source: str = "/stand/vmunix",
    **described: Any,
) -> IndexFile:
    """Write a COREDIR at `outdir` (absent or empty); `pages` as for write_crashdir, `described`
    the INDEX fields that describe the system (hostname, modelname, panic, dumptime, savetime,
    release, comments), as write_crashdir takes them."""
    if chunksize < pagesize or chunksize % pagesize:
        raise ValueError(f"chunksize {chunksize} is not a whole number of pages")
    index = IndexFile(
        version=COREDIR_VERSION, memsize=memsize, images=(),
        modules=(ModuleEntry(vmunix_source, "vmunix", len(vmunix), zlib.crc32(vmunix)),),
        chunksize=chunksize, pagesize=pagesize, **described,
    )
    text = render_index(index)  # fail on unwritable text before any file is written
    os.makedirs(outdir, exist_ok=True)
    if os.listdir(outdir):
        raise FileExistsError(f"{os.fspath(outdir)} is not empty")
    count = -(-memsize // chunksize)
    pieces = [Piece(os.path.join(outdir, chunk_name(dump_number, n, count)), n * chunksize,
                    min(chunksize, memsize - n * chunksize)) for n in range(count)]
    write_flat(pieces, pages, pagesize)
    with open(os.path.join(outdir, "vmunix"), "wb") as f:
        f.write(vmunix)
    temp = os.path.join(outdir, ".INDEX.tmp")
    with open(temp, "w", encoding="ascii", newline="\n") as f:
        f.write(text)
    os.replace(temp, os.path.join(outdir, "INDEX"))
    return index
