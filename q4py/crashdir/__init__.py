"""The crash directory savecrash writes: `INDEX`, the kernel `vmunix`, memory in `image.M.P`.

`CrashDir.open(path)` parses the INDEX, opens every image's header and builds `PhysicalMemory`;
page data is mapped only when read, gzip images are read in place (q4py.crashdir.gzindex).
Nothing in the directory is ever written (see q4py.crashdir.cache). `write_crashdir` makes one.
"""

from __future__ import annotations

import os
import stat
import zlib
from functools import cached_property
from types import TracebackType

from q4py.crashdir.cache import cache_dir_for, inflate_to_cache, is_gzip, iter_uncompressed
from q4py.crashdir.image import ImageFile, write_image
from q4py.crashdir.index import (
    ImageEntry,
    IndexFile,
    ModuleEntry,
    Timestamp,
    parse_index,
    read_index,
    render_index,
)
from q4py.crashdir.physmem import PhysicalMemory
from q4py.crashdir.writer import write_crashdir
from q4py.errors import DumpError

# The kernel file is read whole; real ones are tens of MB, and a bound keeps a hostile one from
# taking all memory.
MAX_KERNEL_SIZE = 1 << 30

__all__ = [
    "CrashDir",
    "ImageEntry",
    "ImageFile",
    "IndexFile",
    "ModuleEntry",
    "PhysicalMemory",
    "Timestamp",
    "parse_index",
    "read_index",
    "render_index",
    "member_file",
    "write_crashdir",
    "write_image",
]


class CrashDir:
    """An opened crash directory: its INDEX, physical memory and kernel file."""

    format = "CRASHDIR"  # the dump format (q4py.dumps has the others)

    def __init__(
        self,
        path: str,
        index: IndexFile,
        images: dict[str, ImageFile],
        memory: PhysicalMemory,
        vmunix_file: str,
    ) -> None:
        self.path = path
        self.index = index
        self.images = images  # INDEX file name -> opened image
        self.memory = memory
        self.vmunix_file = vmunix_file  # the file in the directory (maybe vmunix.gz)

    @classmethod
    def open(cls, path: str | os.PathLike[str]) -> CrashDir:
        """Open the crash directory at `path`; DumpError naming the file for anything wrong."""
        path = os.fspath(path)
        if not os.path.isdir(path):
            raise DumpError(path, "not a crash directory (not a directory)")
        index_path = _member(path, "INDEX")
        if index_path is None:
            raise DumpError(path, "not a crash directory: no INDEX file")
        index = read_index(index_path)
        images: dict[str, ImageFile] = {}
        cache = cache_dir_for(path)  # gzip images keep their seek-point indexes there
        for entry in index.images:
            image_path = _member(path, entry.file)
            if image_path is None:
                raise DumpError(
                    os.path.join(path, entry.file), "image file named in INDEX is missing"
                )
            image = ImageFile.open(image_path, index.pagesize, cache)
            _check_against_index(image, entry)
            images[entry.file] = image
        memory = PhysicalMemory(list(images.values()), index.memsize, index.pagesize)
        vmunix_file = _member(path, index.vmunix.name) or _member(path, index.vmunix.name + ".gz")
        if vmunix_file is None:
            raise DumpError(path, f"no vmunix (neither {index.vmunix.name} nor its .gz)")
        return cls(path, index, images, memory, vmunix_file)

    @cached_property
    def vmunix_path(self) -> str:
        """A plain file holding the kernel: vmunix itself, or vmunix.gz inflated into the cache."""
        try:
            compressed = is_gzip(self.vmunix_file)
            size = os.stat(self.vmunix_file).st_size
        except OSError as e:
            raise DumpError(self.vmunix_file, f"cannot read: {e.strerror or e}") from None
        if compressed:
            # Inflating stops at the size the INDEX declares, which must be a kernel's: a gzip
            # bomb cannot fill the disk, nor a huge declared size the memory.
            declared = self.index.vmunix.size
            if declared > MAX_KERNEL_SIZE:
                raise DumpError(self.vmunix_file, f"INDEX declares {declared:#x} bytes: larger "
                                f"than any kernel (q4py reads at most {MAX_KERNEL_SIZE:#x})")
            return inflate_to_cache(self.vmunix_file, declared)
        if size > MAX_KERNEL_SIZE:
            raise DumpError(self.vmunix_file, f"{size:#x} bytes: larger than any kernel "
                            f"(q4py reads at most {MAX_KERNEL_SIZE:#x})")
        return self.vmunix_file

    def verify(self) -> list[str]:
        """Check every file against the INDEX (crc32s, sizes, gzip integrity); list the problems."""
        problems: list[str] = []
        for entry in self.index.images:
            image = self.images[entry.file]
            size, crc = _size_and_crc(image.path, image.file_size, problems)
            if size is None:
                continue
            if size != image.file_size:
                problems.append(
                    f"{image.path}: truncated: {size:#x} bytes, the header declares"
                    f" {image.file_size:#x}"
                )
            elif crc != entry.crc32:
                problems.append(
                    f"{image.path}: crc32 {crc:#010x}, but INDEX says {entry.crc32:#010x}"
                )
        module = self.index.vmunix
        size, crc = _size_and_crc(self.vmunix_file, None, problems)
        if size is not None and size != module.size:
            problems.append(f"{self.vmunix_file}: {size} bytes, but INDEX says {module.size}")
        elif size is not None and crc != module.checksum:
            problems.append(
                f"{self.vmunix_file}: crc32 {crc:#010x}, but INDEX says {module.checksum:#010x}"
            )
        return problems

    def close(self) -> None:
        """Unmap the image data (views from earlier reads keep their map alive until dropped)."""
        self.memory.close()

    def __enter__(self) -> CrashDir:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()


def _member(directory: str, name: str) -> str | None:
    """The path of the regular file `name` in `directory`, None if absent.

    A symlink is followed only when its target stays inside the directory, so an INDEX cannot
    make q4py read some other file of the machine.
    """
    full = os.path.join(directory, name)
    try:
        st = os.lstat(full)
    except FileNotFoundError:
        return None
    except OSError as e:
        raise DumpError(full, f"cannot examine: {e.strerror or e}") from None
    if stat.S_ISLNK(st.st_mode):
        target = os.path.realpath(full)
        root = os.path.realpath(directory)
        if os.path.commonpath([target, root]) != root:
            raise DumpError(full, f"symlink points outside the crash directory (to {target})")
        try:
            st = os.stat(full)
        except OSError as e:
            raise DumpError(full, f"broken symlink: {e.strerror or e}") from None
    if not stat.S_ISREG(st.st_mode):
        raise DumpError(full, "not a regular file")
    return full


# For the other dump formats' directories (q4py.dumps): the same symlink and file-type rules.
member_file = _member


def _check_against_index(image: ImageFile, entry: ImageEntry) -> None:
    """The image header must agree with its INDEX line (same pages, same pfn range)."""
    if image.data_size != entry.size:
        raise DumpError(
            image.path,
            f"holds {image.npages} pages ({image.data_size:#x} bytes),"
            f" but INDEX says size {entry.size:#x}",
        )
    if (image.low_pfn, image.high_pfn) != (entry.low_pfn, entry.high_pfn):
        raise DumpError(
            image.path,
            f"holds pages {image.low_pfn:#x}-{image.high_pfn:#x},"
            f" but INDEX says {entry.low_pfn:#x}-{entry.high_pfn:#x}",
        )


def _size_and_crc(
    path: str, limit: int | None, problems: list[str]
) -> tuple[int, int] | tuple[None, None]:
    """Uncompressed size and zlib.crc32 of a file; on a read error, note it and return Nones."""
    size = crc = 0
    try:
        for chunk in iter_uncompressed(path, limit):
            size += len(chunk)
            crc = zlib.crc32(chunk, crc)
    except DumpError as e:
        problems.append(str(e))
        return None, None
    return size, crc
