"""Gzip images read in place, and the bound on open files (issue 10 items 2, 3, 9, 10, 12).

Dumps here are written by `write_crashdir` with small pages and chunks so each case stays
small: a bomb of 64 MiB of zeros stands for the 9.6 GB one, 300 chunk files for 4,096.
"""

from __future__ import annotations

import os
import random
import time
import zlib
from collections.abc import Iterator
from pathlib import Path

import pytest

from q4py.crashdir import CrashDir, gzindex, image, write_crashdir
from q4py.errors import DumpError
from q4py.program import Program

PAGE = 4096
VMUNIX = b"\x7fELF" + bytes(range(256)) * 8


@pytest.fixture
def cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    path = tmp_path / "cache"
    monkeypatch.setenv("Q4PY_CACHE_DIR", str(path))
    return path


def page(pfn: int, size: int = PAGE) -> bytes:
    """A page that says which it is, and compresses as memory does (half of it zeros)."""
    return (pfn.to_bytes(8, "big") + random.Random(pfn).randbytes(size // 2)).ljust(size, b"\0")


def dump(path: Path, npages: int, chunk_pages: int, compress: bool = True,
         pagesize: int = PAGE, data: bytes | None = None) -> Path:
    pages: Iterator[tuple[int, bytes]] = (
        (pfn, data if data is not None else page(pfn, pagesize)) for pfn in range(npages))
    write_crashdir(path, pages, vmunix=VMUNIX, memsize=npages * pagesize,
                   chunk_pages=chunk_pages, compress=compress, pagesize=pagesize)
    return path


def disk_used(path: Path) -> int:
    return sum(p.lstat().st_blocks * 512 for p in path.rglob("*") if p.is_file()) \
        if path.exists() else 0


def tree(path: Path) -> dict[str, bytes]:
    return {str(p.relative_to(path)): p.read_bytes() for p in sorted(path.rglob("*"))
            if p.is_file()}


# -- reading in place ---------------------------------------------------------------------------
def test_pages_read_in_place_write_no_inflated_copy(tmp_path: Path, cache: Path) -> None:
    crash = dump(tmp_path / "gz", 512, 128)
    plain = dump(tmp_path / "plain", 512, 128, compress=False)
    with CrashDir.open(crash) as gz, CrashDir.open(plain) as pl:
        for pfn in (0, 511, 130, 7, 300, 511, 0):
            assert gz.memory.read(pfn * PAGE, PAGE) == pl.memory.read(pfn * PAGE, PAGE)
        assert gz.memory.read(127 * PAGE + 100, 2 * PAGE) == pl.memory.read(127 * PAGE + 100,
                                                                           2 * PAGE)
    assert not (cache / "inflated").exists()


def test_the_index_is_kept_in_the_cache_and_used_again(tmp_path: Path, cache: Path,
                                                       monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(gzindex, "SPACING", 64 << 10)
    monkeypatch.setattr(gzindex, "BLOCK", 32 << 10)
    crash = dump(tmp_path / "gz", 256, 256)  # one 1 MiB image
    with CrashDir.open(crash) as first:
        first.memory.read(255 * PAGE, 8)  # inflates the whole file once, points on the way
    saved = list((cache / "gzindex").iterdir())
    assert len(saved) == 1
    assert 0 < saved[0].stat().st_size < 256 * PAGE // 4  # small next to the data
    with CrashDir.open(crash) as second:
        data = second.images["image.1.1.gz"]._gzip
        assert data is not None
        assert second.memory.read(255 * PAGE, 8) == page(255)[:8]
        assert data._points > 10  # imported: the read started from a point near its end


# -- 3. a bomb with a consistent header --------------------------------------------------------
def test_a_gzip_bomb_writes_nothing_and_stays_bounded(tmp_path: Path, cache: Path) -> None:
    big = 1 << 20
    crash = dump(tmp_path / "bomb", 64, 64, pagesize=big, data=bytes(big))  # 64 MiB of zeros
    assert disk_used(crash) < 1 << 20
    with CrashDir.open(crash) as bomb:
        assert bomb.memory.read(63 * big + 0x1000, 4) == bytes(4)
    assert disk_used(cache) < 1 << 20  # the index of zeros, not 64 MiB
    assert not list(cache.rglob(".inflating-*"))


def test_data_past_the_declared_size_is_refused_in_one_line(tmp_path: Path, cache: Path) -> None:
    crash = dump(tmp_path / "gz", 4, 4)
    packed = crash / "image.1.1.gz"
    raw = zlib.decompress(packed.read_bytes(), 31)
    packed.write_bytes(zlib.compress(raw + bytes(1 << 20), wbits=31))
    with CrashDir.open(crash) as crashdir:  # the header is fine; the data is not
        with pytest.raises(DumpError, match=r"image.1.1.gz at offset 0x5000: inflates past its "
                                            r"declared size \(0x5000 bytes\)$"):
            crashdir.memory.read(3 * PAGE, 8)


# -- 2. vmunix.gz declared beyond any kernel ----------------------------------------------------
def test_a_huge_declared_vmunix_gz_is_refused_before_inflating(tmp_path: Path,
                                                              cache: Path) -> None:
    crash = dump(tmp_path / "gz", 4, 4)
    index = crash / "INDEX"
    text = index.read_text()
    line = next(x for x in text.splitlines() if x.startswith("module "))
    words = line.split()
    words[3] = "3221225472"
    index.write_text(text.replace(line, " ".join(words)))
    with pytest.raises(DumpError) as err:
        Program.open(crash)
    assert str(err.value) == (f"{crash / 'vmunix.gz'}: INDEX declares 0xc0000000 bytes: larger "
                              "than any kernel (q4py reads at most 0x40000000)")
    assert disk_used(cache) == 0


# -- 9. open files ------------------------------------------------------------------------------
def open_fds() -> int:
    return len(os.listdir("/proc/self/fd"))


@pytest.mark.parametrize("compress", [False, True], ids=["plain", "gzip"])
def test_open_files_stay_bounded(tmp_path: Path, cache: Path, compress: bool,
                                 monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(image, "MAX_MAPPED", 16)
    monkeypatch.setattr(gzindex, "MAX_OPEN", 16)
    crash = dump(tmp_path / "many", 300, 1, compress=compress)  # 300 chunk files
    before = open_fds()  # other tests' dumps may hold some: they can only be closed by ours
    with CrashDir.open(crash) as many:
        for _ in range(2):
            for pfn in range(300):
                assert many.memory.read(pfn * PAGE, 8) == page(pfn)[:8]
        assert sum(i.is_open for i in many.images.values()) <= 16
        assert open_fds() - before <= 2 * 16  # a plain image holds its file and its map
    assert not any(i.is_open for i in many.images.values())


# -- 10. a corrupt image is inflated once ------------------------------------------------------
def test_a_corrupt_gzip_image_is_inflated_once(tmp_path: Path, cache: Path,
                                               monkeypatch: pytest.MonkeyPatch) -> None:
    crash = dump(tmp_path / "gz", 64, 64)
    packed = crash / "image.1.1.gz"
    data = bytearray(packed.read_bytes())
    middle = len(data) // 2
    data[middle:middle + 64] = bytes(64)  # garble the deflate stream
    packed.write_bytes(bytes(data))
    calls = []
    real = gzindex.indexed_gzip.IndexedGzipFile

    class Counting(real):  # type: ignore[misc, valid-type]
        def pread(self, *args: object) -> bytes:
            calls.append(args)
            return super().pread(*args)

    monkeypatch.setattr(gzindex.indexed_gzip, "IndexedGzipFile", Counting)
    with CrashDir.open(crash) as crashdir:
        errors = set()
        for _ in range(17):
            with pytest.raises(DumpError) as err:
                crashdir.memory.read(63 * PAGE, 8)
            errors.add(str(err.value))
    assert len(errors) == 1 and "corrupt gzip data" in errors.pop()
    assert len(calls) == 1


# -- 12. a cache inside the crash directory ------------------------------------------------------
def test_a_cache_inside_the_dump_is_never_written(tmp_path: Path,
                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    crash = dump(tmp_path / "gz", 64, 16)
    monkeypatch.setenv("Q4PY_CACHE_DIR", str(crash / "cache"))
    before = tree(crash)
    with CrashDir.open(crash) as crashdir:
        for pfn in range(64):
            assert crashdir.memory.read(pfn * PAGE, 8) == page(pfn)[:8]
        with pytest.raises(DumpError, match="it is inside the crash directory"):
            crashdir.vmunix_path  # noqa: B018
    assert tree(crash) == before


# -- 3. what a killed run left behind -------------------------------------------------------------
def test_temporary_files_of_killed_runs_are_swept(tmp_path: Path, cache: Path) -> None:
    crash = dump(tmp_path / "gz", 4, 4)
    inflated = cache / "inflated"
    inflated.mkdir(parents=True)
    old, fresh = inflated / ".inflating-killed", inflated / ".inflating-running"
    for path in (old, fresh):
        with open(path, "wb") as f:
            f.truncate(1 << 30)  # sparse: stands for 1.6 GB of half-inflated kernel
    hours_ago = time.time() - 2 * 3600
    os.utime(old, (hours_ago, hours_ago))
    with CrashDir.open(crash) as crashdir:
        assert Path(crashdir.vmunix_path).read_bytes() == VMUNIX
    assert not old.exists() and fresh.exists()  # another run may still be writing that one
