"""Tests of q4py.crashdir: INDEX parsing, image files, physical memory and CrashDir.

Every crash directory here is built in tmp_path by the writer (or, for broken ones, by
write_image and render_index directly), then read back.
"""

from __future__ import annotations

import gzip
import hashlib
import os
import re
import string
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from q4py.crashdir import (
    CrashDir,
    ImageEntry,
    ImageFile,
    IndexFile,
    ModuleEntry,
    Timestamp,
    parse_index,
    render_index,
    write_crashdir,
    write_image,
)
from q4py.crashdir import image as image_module
from q4py.errors import DumpError, ReadError

PAGE = 4096
# Three chunks of three pages: [0 1 2] [3 8 9] [10 20 21]; memory is 32 pages.
PFNS = [0, 1, 2, 3, 8, 9, 10, 20, 21]
MEMSIZE = 32 * PAGE
VMUNIX = b"\x7fELF" + bytes(range(256)) * 8


def page_bytes(pfn: int, page_size: int = PAGE) -> bytes:
    """A page whose every byte depends on the pfn and the offset, so misplaced reads show."""
    row = bytes((i * 7 + pfn * 13) & 0xFF for i in range(256))
    return row * (page_size // 256)


def expected(pa: int, size: int) -> bytes:
    """What `size` bytes at `pa` must read, computed from page_bytes directly."""
    out = b""
    while size:
        pfn, start = divmod(pa, PAGE)
        take = min(size, PAGE - start)
        out += page_bytes(pfn)[start : start + take]
        pa, size = pa + take, size - take
    return out


def pages(pfns: list[int]) -> Iterator[tuple[int, bytes]]:
    for pfn in pfns:
        yield pfn, page_bytes(pfn)


def make_dump(path: Path, compress: bool = False, **fields: object) -> IndexFile:
    return write_crashdir(
        path,
        pages(PFNS),
        vmunix=VMUNIX,
        memsize=MEMSIZE,
        chunk_pages=3,
        compress=compress,
        hostname="hpfcs01",
        modelname="9000/800/rp7410",
        panic="TOC, pcsq.pcoq = 0.afb04, isr.ior = 0.0",
        dumptime=Timestamp(1022700743, "Wed May 29 21:32:23 CEST 2002"),
        savetime=Timestamp(1022700954, "Wed May 29 21:35:54 CEST 2002"),
        release="@(#) $Revision: vmunix: B.11.11 $",
        comments=("savecrash crash dump INDEX file", "written by q4py tests"),
        **fields,  # type: ignore[arg-type]
    )


def hand_made_dump(
    path: Path, chunks: list[list[int]], memsize: int = MEMSIZE, compress: bool = False
) -> Path:
    """A crash directory written piecewise, so tests can make ones the writer refuses to."""
    path.mkdir()
    images = []
    offset = 0
    for n, chunk in enumerate(chunks, start=1):
        name = f"image.1.{n}" + (".gz" if compress else "")
        info = write_image(str(path / name), list(pages(chunk)), PAGE, compress)
        images.append(ImageEntry(name, offset, info.size, info.low_pfn, info.high_pfn, info.crc32))
        offset += info.size
    (path / "vmunix").write_bytes(VMUNIX)
    index = IndexFile(
        version=2,
        memsize=memsize,
        images=tuple(images),
        modules=(ModuleEntry("/stand/vmunix", "vmunix", len(VMUNIX), 0),),
    )
    (path / "INDEX").write_text(render_index(index))
    return path


def tree_hashes(path: Path) -> dict[str, tuple[str, int]]:
    return {
        p.name: (hashlib.sha256(p.read_bytes()).hexdigest(), p.stat().st_mtime_ns)
        for p in sorted(path.iterdir())
    }


@pytest.fixture(autouse=True)
def private_cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Keep inflated files out of the user's real cache."""
    cache = tmp_path / "cache"
    monkeypatch.setenv("Q4PY_CACHE_DIR", str(cache))
    return cache


# ---------------------------------------------------------------------------------------------
# INDEX

SAMPLE_INDEX = """\
comment   savecrash crash dump INDEX file
version   2
hostname  hpfcs01
modelname 9000/800/A500-44
panic     TOC, pcsq.pcoq = 0.afb04, isr.ior = 0.0
dumptime  1022700743 Wed May 29 21:32:23 CEST 2002
savetime  0x3cf52a9a Wed May 29 21:35:54 CEST 2002
release   @(#)     $Revision: vmunix:    vw: -proj  selectors: CUPI80_BL2000_1108 $

memsize   268435456
chunksize 0x1000000
module    /stand/vmunix vmunix 19051688 3294003011
module\t/stand/dlkm/mod.d/rng rng 55196 1640733157
image     image.1.1 0x0 0x7fe000 0x0 0xffd 2015777806
image     image.1.2.gz 0x7fe000 8384512 0xffe 0x1ffd 3112181374
"""


def test_parse_sample_index() -> None:
    index = parse_index(SAMPLE_INDEX.replace("\n", "\r\n"), "INDEX")
    assert index.version == 2
    assert index.hostname == "hpfcs01"
    assert index.panic == "TOC, pcsq.pcoq = 0.afb04, isr.ior = 0.0"
    assert index.savetime == Timestamp(0x3CF52A9A, "Wed May 29 21:35:54 CEST 2002")
    # Free text keeps its inner spacing.
    assert (
        index.release == "@(#)     $Revision: vmunix:    vw: -proj  selectors: CUPI80_BL2000_1108 $"
    )
    assert index.memsize == 256 << 20
    assert index.chunksize == 16 << 20
    assert index.pagesize == 4096  # default: no pagesize line
    assert index.vmunix == ModuleEntry("/stand/vmunix", "vmunix", 19051688, 3294003011)
    assert [m.name for m in index.modules] == ["vmunix", "rng"]
    assert index.images[1] == ImageEntry(
        "image.1.2.gz", 0x7FE000, 0x7FF000, 0xFFE, 0x1FFD, 3112181374
    )
    assert parse_index(render_index(index), "INDEX") == index


def test_written_index_round_trips(tmp_path: Path) -> None:
    index = make_dump(tmp_path / "dump")
    text = (tmp_path / "dump" / "INDEX").read_text()
    assert parse_index(text, "INDEX") == index
    assert render_index(parse_index(text, "INDEX")) == text
    assert [(i.file, i.offset, i.low_pfn, i.high_pfn) for i in index.images] == [
        ("image.1.1", 0, 0, 2),
        ("image.1.2", 3 * PAGE, 3, 9),
        ("image.1.3", 6 * PAGE, 10, 21),
    ]
    assert index.chunksize == 3 * PAGE


def replace_line(text: str, start: str, new: str) -> str:
    lines = text.splitlines()
    (i,) = [n for n, line in enumerate(lines) if line.startswith(start)]
    lines[i] = new
    return "\n".join(lines) + "\n"


def line_of(text: str, start: str) -> int:
    return next(n for n, line in enumerate(text.splitlines(), 1) if line.startswith(start))


@pytest.mark.parametrize(
    ("start", "new", "problem"),
    [
        ("hostname", "hostnmae hpfcs01", "unknown keyword 'hostnmae'"),
        ("memsize", "memsize 12k", "bad number '12k' for memsize"),
        ("memsize", "memsize 0x", "bad number '0x' for memsize"),
        ("memsize", "memsize 99999999999999999999", "memsize 99999999999999999999 is out of range"),
        ("memsize", "memsize " + "9" * 5000, "bad number"),
        ("version", "version 3", "unsupported INDEX version 3"),
        ("dumptime", "dumptime yesterday", "bad number 'yesterday' for dumptime"),
        ("module\t/stand/dlkm", "module /a/rng rng 1", "module needs 4 fields"),
        ("module\t/stand/dlkm", "module /a/rng ../rng 1 2", "module name '../rng'"),
        ("image     image.1.1 ", "image ../etc/passwd 0 0x7fe000 0 0xffd 1", "not a plain file"),
        ("image     image.1.1 ", "image /etc/passwd 0 0x7fe000 0 0xffd 1", "not a plain file"),
        ("image     image.1.1 ", "image a\\b 0 0x7fe000 0 0xffd 1", "not a plain file"),
        ("image     image.1.1 ", "image .. 0 0x7fe000 0 0xffd 1", "not a plain file"),
        ("image     image.1.1 ", "image i 0 0x7fe000 0x10 0xf 1", "low pfn 0x10 is above"),
        ("image     image.1.1 ", "image i 0 0x7fe000 0 0xffd 0x100000000", "does not fit 32"),
        ("image     image.1.1 ", "image i 0 0x7fe001 0 0xffd 1", "not a whole number"),
        ("image     image.1.1 ", "image i 0 0x7fe000 0 0x10 1", "more pages than pfns"),
        ("image     image.1.2", "image i2 0x1000 8384512 0xffe 0x1ffd 1", "should be 0x7fe000"),
        ("image     image.1.2", "image image.1.1 0x7fe000 8384512 0xffe 0x1ffd 1", "duplicate"),
        ("hostname", "hostname a\x01b", "control character 0x01"),
    ],
)
def test_index_line_errors(start: str, new: str, problem: str) -> None:
    text = replace_line(SAMPLE_INDEX, start, new)
    with pytest.raises(DumpError) as info:
        parse_index(text, "/dumps/crash.0/INDEX")
    message = str(info.value)
    assert message.startswith(f"/dumps/crash.0/INDEX: line {line_of(text, new[:8])}: ")
    assert problem in message


def test_duplicate_single_keyword_names_both_lines() -> None:
    text = SAMPLE_INDEX + "hostname other\n"
    with pytest.raises(
        DumpError, match=r"INDEX: line 16: duplicate 'hostname' \(first on line 3\)"
    ):
        parse_index(text, "INDEX")


@pytest.mark.parametrize(
    ("drop", "problem"),
    [
        ("version", "no 'version' line"),
        ("memsize", "no 'memsize' line"),
        ("image", "no 'image' line"),
        ("module    /stand/vmunix", "no 'module' line for vmunix"),
    ],
)
def test_index_missing_keyword(drop: str, problem: str) -> None:
    text = "".join(line for line in SAMPLE_INDEX.splitlines(True) if not line.startswith(drop))
    with pytest.raises(DumpError, match=f"^INDEX: {problem}$"):
        parse_index(text, "INDEX")


@pytest.mark.parametrize("text", ["", "\n\n  \n", b""])
def test_empty_index(text: str | bytes) -> None:
    with pytest.raises(DumpError, match="^INDEX: empty INDEX file$"):
        parse_index(text, "INDEX")


def test_non_ascii_index_reports_offset_and_line() -> None:
    data = SAMPLE_INDEX.encode().replace(b"hpfcs01", b"hpfc\xe901")
    with pytest.raises(DumpError) as info:
        parse_index(data, "INDEX")
    offset = data.index(b"\xe9")
    assert info.value.offset == offset
    assert str(info.value) == f"INDEX at offset {offset:#x}: line 3: non-ASCII byte 0xe9"
    with pytest.raises(DumpError, match="line 3: non-ASCII character 'é'"):
        parse_index(data.decode("latin-1"), "INDEX")


def test_render_refuses_text_that_would_not_read_back() -> None:
    index = parse_index(SAMPLE_INDEX, "INDEX")
    for bad in ["two\nlines", " padded", "caf\xe9"]:
        with pytest.raises(ValueError, match="cannot be written"):
            render_index(replace(index, hostname=bad))
    with pytest.raises(ValueError, match="one printable ASCII word"):
        render_index(replace(index, modules=(ModuleEntry("/stand/my vmunix", "vmunix", 1, 1),)))


_TEXT = st.text(alphabet=string.printable[:95] + "\t", max_size=30).map(lambda s: s.strip(" \t"))
_WORD = st.text(alphabet=string.ascii_letters + string.digits + "._-", min_size=1, max_size=10)
_NAME = _WORD.filter(lambda s: s not in (".", ".."))
_U64 = st.integers(0, 2**64 - 1)


@st.composite
def index_files(draw: st.DrawFn) -> IndexFile:
    page_size = draw(st.sampled_from([512, 4096, 8192]))
    names = draw(st.lists(_NAME, min_size=1, max_size=4, unique=True))
    images = []
    offset = 0
    for name in names:
        npages = draw(st.integers(1, 4))
        low = draw(st.integers(0, 2**40))
        high = low + npages - 1 + draw(st.integers(0, 100))
        crc = draw(st.integers(0, 2**32 - 1))
        images.append(ImageEntry(name, offset, npages * page_size, low, high, crc))
        offset += npages * page_size
    others = draw(st.lists(_NAME.filter(lambda s: s != "vmunix"), max_size=3, unique=True))
    modules = [
        ModuleEntry("/" + draw(_WORD), name, draw(_U64), draw(_U64)) for name in ["vmunix", *others]
    ]
    stamp = st.none() | st.builds(Timestamp, _U64, _TEXT)
    return IndexFile(
        version=2,
        memsize=draw(st.integers(1, 2**64 - 1)),
        images=tuple(images),
        modules=tuple(draw(st.permutations(modules))),
        comments=tuple(draw(st.lists(_TEXT, max_size=3))),
        hostname=draw(st.none() | _TEXT),
        modelname=draw(st.none() | _TEXT),
        panic=draw(st.none() | _TEXT),
        dumptime=draw(stamp),
        savetime=draw(stamp),
        release=draw(st.none() | _TEXT),
        chunksize=draw(st.none() | st.integers(1, 2**64 - 1)),
        pagesize=page_size,
    )


@settings(max_examples=200, deadline=None)
@given(index_files())
def test_render_parse_round_trip(index: IndexFile) -> None:
    assert parse_index(render_index(index), "INDEX") == index


def parse_or_dump_error(data: str | bytes) -> None:
    """parse_index may accept the data or raise DumpError; anything else is a bug."""
    try:
        index = parse_index(data, "INDEX")
    except DumpError as e:
        assert str(e).startswith("INDEX")
    else:
        assert index.version == 2 and index.images and index.vmunix.name == "vmunix"


@settings(max_examples=200, deadline=None)
@given(st.binary(max_size=400) | st.text(max_size=400))
def test_parse_index_random_input(data: str | bytes) -> None:
    parse_or_dump_error(data)


@settings(max_examples=200, deadline=None)
@given(st.data())
def test_parse_index_mutated(data: st.DataObject) -> None:
    text = SAMPLE_INDEX.encode()
    for _ in range(data.draw(st.integers(1, 4))):
        at = data.draw(st.integers(0, len(text)))
        end = data.draw(st.integers(at, min(len(text), at + 12)))
        kind = data.draw(st.sampled_from(["delete", "insert", "replace", "duplicate"]))
        if kind == "delete":
            text = text[:at] + text[end:]
        elif kind == "duplicate":
            text = text[:end] + text[at:end] + text[end:]
        else:
            new = data.draw(
                st.binary(max_size=8) | st.sampled_from([b" ", b"\n", b"0x", b"99" * 12])
            )
            text = text[:at] + new + (text[end:] if kind == "replace" else text[at:])
    parse_or_dump_error(text)


# ---------------------------------------------------------------------------------------------
# reading memory


@pytest.mark.parametrize("compress", [False, True], ids=["plain", "gzip"])
@pytest.mark.parametrize(
    ("pa", "size"),
    [
        (0, 1),
        (0x123, 0x10),
        (PAGE - 4, 8),  # page boundary inside a chunk
        (3 * PAGE - 6, 12),  # pfn 2 -> 3 is also a chunk boundary
        (0x800, 3 * PAGE),  # three whole pages, two chunks
        (9 * PAGE + 0x10, PAGE),  # pfn 9 -> 10 crosses into the third chunk
        (21 * PAGE, PAGE),  # the last page
        (5 * PAGE, 0),
    ],
)
def test_reads_across_pages_and_chunks(tmp_path: Path, compress: bool, pa: int, size: int) -> None:
    make_dump(tmp_path / "dump", compress=compress)
    with CrashDir.open(tmp_path / "dump") as dump:
        assert dump.memory.read(pa, size) == expected(pa, size)


def test_gzip_dump_reads_like_plain(tmp_path: Path, private_cache: Path) -> None:
    make_dump(tmp_path / "plain")
    make_dump(tmp_path / "gz", compress=True)
    assert sorted(os.listdir(tmp_path / "gz")) == [
        "INDEX",
        "image.1.1.gz",
        "image.1.2.gz",
        "image.1.3.gz",
        "vmunix.gz",
    ]
    with CrashDir.open(tmp_path / "plain") as plain, CrashDir.open(tmp_path / "gz") as gz:
        assert list(gz.memory.pfns()) == list(plain.memory.pfns()) == PFNS
        for pfn in PFNS:
            assert gz.memory.read(pfn * PAGE, PAGE) == plain.memory.read(pfn * PAGE, PAGE)
        assert Path(gz.vmunix_path).read_bytes() == Path(plain.vmunix_path).read_bytes() == VMUNIX
        assert plain.vmunix_path == str(tmp_path / "plain" / "vmunix")
    # Images are read in place: only the kernel is inflated (indexes: tests/test_gzindex.py).
    inflated = sorted((private_cache / "inflated").iterdir())
    assert len(inflated) == 1 and inflated[0].read_bytes() == VMUNIX
    indexes = sorted((private_cache / "gzindex").glob("*"))
    before = {p: p.stat().st_mtime_ns for p in inflated + indexes}
    with CrashDir.open(tmp_path / "gz") as again:
        assert again.memory.read(20 * PAGE, 8) == expected(20 * PAGE, 8)
        assert Path(again.vmunix_path).read_bytes() == VMUNIX
    # Reused, not made again (an imported index that did not grow is not saved again).
    assert {p: p.stat().st_mtime_ns for p in inflated + indexes} == before


def test_gzip_is_read_only_when_data_is_read(tmp_path: Path, private_cache: Path) -> None:
    make_dump(tmp_path / "gz", compress=True)
    with CrashDir.open(tmp_path / "gz") as dump:
        assert dump.memory.page_count == len(PFNS)
        assert dump.memory.has_page(8) and not dump.memory.has_page(4)
        assert not private_cache.exists()
        dump.memory.read(8 * PAGE, 1)
        image = next(i for i in dump.images.values() if i.index_of(8) is not None)
        assert image.is_open and not (private_cache / "inflated").exists()


@pytest.mark.parametrize("compress", [False, True], ids=["plain", "gzip"])
def test_open_and_read_leave_the_directory_unchanged(tmp_path: Path, compress: bool) -> None:
    make_dump(tmp_path / "dump", compress=compress)
    before = tree_hashes(tmp_path / "dump")
    with CrashDir.open(tmp_path / "dump") as dump:
        for pfn in PFNS:
            dump.memory.read(pfn * PAGE, PAGE)
        assert dump.vmunix_path
        assert dump.verify() == []
    assert tree_hashes(tmp_path / "dump") == before


def test_page_not_in_dump(tmp_path: Path) -> None:
    make_dump(tmp_path / "dump")
    with CrashDir.open(tmp_path / "dump") as dump:
        with pytest.raises(ReadError) as info:
            dump.memory.read(3 * PAGE + 0xFF0, 0x20)  # pfn 3 is dumped, pfn 4 is not
        assert str(info.value) == "cannot read 0x0.0x4000: physical page 0x4 is not in the dump"
        assert info.value.offset == 4 * PAGE
        assert dump.memory.page(4) is None


def test_read_beyond_memsize(tmp_path: Path) -> None:
    make_dump(tmp_path / "dump")
    with CrashDir.open(tmp_path / "dump") as dump:
        with pytest.raises(ReadError) as info:
            dump.memory.read(MEMSIZE + 0x10, 4)
        assert str(info.value) == (
            f"cannot read 0x0.{MEMSIZE + 0x10:#x}: {MEMSIZE + 0x10:#x} is beyond physical memory"
            f" (memsize {MEMSIZE:#x})"
        )


def test_memory_queries(tmp_path: Path) -> None:
    make_dump(tmp_path / "dump")
    with CrashDir.open(tmp_path / "dump") as dump:
        memory = dump.memory
        assert memory.page_count == 9
        assert [memory.has_page(p) for p in range(12)] == [p in PFNS for p in range(12)]
        assert not memory.has_page(10**12)
        assert bytes(memory.page(20) or b"") == page_bytes(20)
        assert [(i.low_pfn, i.high_pfn) for i in memory.images] == [(0, 2), (3, 9), (10, 21)]


# ---------------------------------------------------------------------------------------------
# broken image files


def rewrite(path: Path, offset: int, data: bytes) -> None:
    blob = bytearray(path.read_bytes())
    blob[offset : offset + len(data)] = data
    path.write_bytes(bytes(blob))


@pytest.mark.parametrize(
    ("offset", "data", "problem"),
    [
        (0, b"Q4PYIMX\0", "at offset 0x0: not a q4py image file (magic b'Q4PYIMX\\x00')"),
        (8, (2).to_bytes(4, "big"), "at offset 0x8: unsupported image version 2"),
        (12, (8192).to_bytes(4, "big"), "at offset 0xc: page size 8192, but INDEX says 4096"),
        (0x14, (0x800).to_bytes(4, "big"), "at offset 0x14: data offset 0x800 is not a page"),
        (
            0x20,
            (3).to_bytes(8, "big"),
            "at offset 0x20: pfn 0x3 (entry 1) is not above the previous",
        ),
    ],
)
def test_bad_image_header(tmp_path: Path, offset: int, data: bytes, problem: str) -> None:
    dump = hand_made_dump(tmp_path / "dump", [[3, 8, 9]])
    rewrite(dump / "image.1.1", offset, data)
    with pytest.raises(DumpError) as info:
        CrashDir.open(dump)
    assert str(info.value).startswith(f"{dump / 'image.1.1'} {problem}")


@pytest.mark.parametrize("slice_pages", [1, 2, 3])
def test_pfn_order_is_checked_across_read_slices(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, slice_pages: int
) -> None:
    # The pfn array is read in slices; a descent must be caught wherever a slice ends.
    monkeypatch.setattr(image_module, "_PFN_SLICE", slice_pages)
    dump = hand_made_dump(tmp_path / "dump", [[3, 8, 9, 11]])
    with CrashDir.open(dump) as crash:
        assert list(crash.memory.pfns()) == [3, 8, 9, 11]
    rewrite(dump / "image.1.1", 0x28, (8).to_bytes(8, "big"))
    with pytest.raises(
        DumpError, match=r"at offset 0x28: pfn 0x8 \(entry 2\) is not above the previous 0x8"
    ):
        CrashDir.open(dump)


def test_truncated_plain_image_is_found_at_open(tmp_path: Path) -> None:
    dump = hand_made_dump(tmp_path / "dump", [[3, 8, 9]])
    image = dump / "image.1.1"
    with open(image, "r+b") as f:
        f.truncate(image.stat().st_size - 100)
    with pytest.raises(DumpError) as info:
        CrashDir.open(dump)
    assert str(info.value) == (
        f"{image} at offset 0x3f9c: truncated: 3 pages need 0x4000 bytes, the file has 0x3f9c"
    )


def test_truncated_header(tmp_path: Path) -> None:
    dump = hand_made_dump(tmp_path / "dump", [[3, 8, 9]])
    (dump / "image.1.1").write_bytes(b"Q4PYIMG\0\0\0")
    with pytest.raises(DumpError, match=r"truncated: the header needs 24 bytes, the file has 10"):
        CrashDir.open(dump)


def gzip_file(path: Path, data: bytes) -> None:
    path.write_bytes(gzip.compress(data, mtime=0))


@pytest.mark.parametrize(
    ("change", "problem"),
    [
        (lambda b: b[:-100], "truncated: inflates to 0x3f9c bytes, the header declares 0x4000"),
        (
            lambda b: b + b"extra",
            "at offset 0x4000: inflates past its declared size (0x4000 bytes)",
        ),
    ],
    ids=["short", "long"],
)
def test_gzip_image_length_is_checked_when_inflating(
    tmp_path: Path, change: object, problem: str
) -> None:
    dump = hand_made_dump(tmp_path / "dump", [[3, 8, 9]])
    plain = (dump / "image.1.1").read_bytes()
    gzip_file(dump / "image.1.1", change(plain))  # type: ignore[operator]
    with CrashDir.open(dump) as crash:  # the header alone is fine
        with pytest.raises(DumpError) as info:
            crash.memory.read(3 * PAGE, 1)
        assert str(info.value).startswith(str(dump / "image.1.1"))
        assert problem in str(info.value)


def test_cut_gzip_stream(tmp_path: Path) -> None:
    dump = hand_made_dump(tmp_path / "dump", [[3, 8, 9]], compress=True)
    image = dump / "image.1.1.gz"
    image.write_bytes(image.read_bytes()[:-12])  # drop the gzip trailer and some data
    with CrashDir.open(dump) as crash:
        with pytest.raises(DumpError, match="truncated: inflates to 0x3ecf bytes, the header "
                           "declares 0x4000"):
            crash.memory.read(3 * PAGE, 1)
        assert any("gzip stream ends early" in p for p in crash.verify())


def test_image_disagreeing_with_index(tmp_path: Path) -> None:
    dump = hand_made_dump(tmp_path / "dump", [[3, 8, 9]])
    write_image(str(dump / "image.1.1"), list(pages([3, 8, 10])))
    with pytest.raises(DumpError, match=r"image.1.1: holds pages 0x3-0xa, but INDEX says 0x3-0x9"):
        CrashDir.open(dump)


def test_overlapping_chunks_name_both_files(tmp_path: Path) -> None:
    dump = hand_made_dump(tmp_path / "dump", [[0, 5, 9], [4, 12]])
    with pytest.raises(DumpError) as info:
        CrashDir.open(dump)
    assert str(info.value) == (
        f"{dump / 'image.1.2'}: pages 0x4-0xc overlap {dump / 'image.1.1'} (pages 0x0-0x9)"
    )


def test_page_beyond_memsize_at_open(tmp_path: Path) -> None:
    dump = hand_made_dump(tmp_path / "dump", [[0, 1], [2, 8]], memsize=8 * PAGE)
    with pytest.raises(DumpError) as info:
        CrashDir.open(dump)
    assert str(info.value) == (
        f"{dump / 'image.1.2'}: page 0x8 is beyond physical memory (memsize 0x8000 holds pages"
        " up to 0x7)"
    )


# ---------------------------------------------------------------------------------------------
# the directory


def test_not_a_directory(tmp_path: Path) -> None:
    (tmp_path / "file").write_text("x")
    with pytest.raises(DumpError, match="file: not a crash directory"):
        CrashDir.open(tmp_path / "file")
    with pytest.raises(DumpError, match="missing: not a crash directory"):
        CrashDir.open(tmp_path / "missing")


def test_no_index(tmp_path: Path) -> None:
    make_dump(tmp_path / "dump")
    (tmp_path / "dump" / "INDEX").unlink()
    with pytest.raises(DumpError, match="dump: not a crash directory: no INDEX file"):
        CrashDir.open(tmp_path / "dump")


def test_missing_image_and_vmunix(tmp_path: Path) -> None:
    make_dump(tmp_path / "dump")
    (tmp_path / "dump" / "vmunix").unlink()
    with pytest.raises(DumpError, match=r"dump: no vmunix \(neither vmunix nor its .gz\)"):
        CrashDir.open(tmp_path / "dump")
    (tmp_path / "dump" / "image.1.2").unlink()
    with pytest.raises(DumpError, match="image.1.2: image file named in INDEX is missing"):
        CrashDir.open(tmp_path / "dump")


def test_symlinks(tmp_path: Path) -> None:
    make_dump(tmp_path / "dump")
    dump = tmp_path / "dump"
    # A link inside the directory is followed...
    (dump / "image.1.1").rename(dump / "real.1.1")
    (dump / "image.1.1").symlink_to("real.1.1")
    with CrashDir.open(dump) as crash:
        assert crash.memory.read(0, 16) == expected(0, 16)
    # ...one leading out of it is refused.
    (dump / "image.1.1").unlink()
    (dump / "real.1.1").rename(tmp_path / "outside")
    (dump / "image.1.1").symlink_to(tmp_path / "outside")
    with pytest.raises(DumpError, match="image.1.1: symlink points outside the crash directory"):
        CrashDir.open(dump)


def test_non_regular_file(tmp_path: Path) -> None:
    make_dump(tmp_path / "dump")
    (tmp_path / "dump" / "image.1.3").unlink()
    (tmp_path / "dump" / "image.1.3").mkdir()
    with pytest.raises(DumpError, match="image.1.3: not a regular file"):
        CrashDir.open(tmp_path / "dump")


def test_index_errors_name_the_index_file(tmp_path: Path) -> None:
    make_dump(tmp_path / "dump")
    index = tmp_path / "dump" / "INDEX"
    index.write_text(index.read_text().replace("hostname", "hostnmae"))
    with pytest.raises(
        DumpError, match=f"^{re.escape(str(index))}: line 4: unknown keyword 'hostnmae'$"
    ):
        CrashDir.open(tmp_path / "dump")


@pytest.mark.parametrize("compress", [False, True], ids=["plain", "gzip"])
def test_verify_finds_crc_mismatches(tmp_path: Path, compress: bool) -> None:
    make_dump(tmp_path / "dump", compress=compress)
    dump = tmp_path / "dump"
    suffix = ".gz" if compress else ""
    # Flip one data byte of the second chunk, keeping the file's length.
    image = dump / f"image.1.2{suffix}"
    data = bytearray(gzip.decompress(image.read_bytes()) if compress else image.read_bytes())
    data[PAGE + 5] ^= 0xFF
    if compress:
        gzip_file(image, bytes(data))
    else:
        image.write_bytes(bytes(data))
    vmunix = dump / f"vmunix{suffix}"
    if compress:
        gzip_file(vmunix, VMUNIX + b"!")
    else:
        vmunix.write_bytes(VMUNIX[:-1] + b"!")
    with CrashDir.open(dump) as crash:
        problems = crash.verify()
    assert len(problems) == 2
    assert problems[0].startswith(f"{image}: crc32 0x")
    assert problems[0].endswith(f"but INDEX says {crash.index.images[1].crc32:#010x}")
    if compress:
        assert problems[1] == f"{vmunix}: {len(VMUNIX) + 1} bytes, but INDEX says {len(VMUNIX)}"
    else:
        assert problems[1].startswith(f"{vmunix}: crc32 0x")


# ---------------------------------------------------------------------------------------------
# the writer


def test_writer_streams_and_checks_its_input(tmp_path: Path) -> None:
    consumed: list[int] = []

    def source() -> Iterator[tuple[int, bytes]]:
        for pfn in PFNS:
            consumed.append(pfn)
            yield pfn, page_bytes(pfn)

    index = write_crashdir(tmp_path / "a", source(), vmunix=VMUNIX, memsize=MEMSIZE, chunk_pages=4)
    assert consumed == PFNS
    assert [i.size // PAGE for i in index.images] == [4, 4, 1]
    assert index.vmunix.size == len(VMUNIX)

    with pytest.raises(ValueError, match="not sorted by pfn: 0x2 after 0x5"):
        write_crashdir(
            tmp_path / "b", pages([1, 5, 2]), vmunix=VMUNIX, memsize=MEMSIZE, chunk_pages=2
        )
    with pytest.raises(ValueError, match="page 0x20 is beyond memsize"):
        write_crashdir(tmp_path / "c", pages([32]), vmunix=VMUNIX, memsize=MEMSIZE, chunk_pages=2)
    with pytest.raises(FileExistsError):
        write_crashdir(tmp_path / "a", pages([1]), vmunix=VMUNIX, memsize=MEMSIZE, chunk_pages=2)
    with pytest.raises(ValueError, match="hostname text"):
        write_crashdir(
            tmp_path / "d",
            pages([1]),
            vmunix=VMUNIX,
            memsize=MEMSIZE,
            chunk_pages=2,
            hostname="a\nb",
        )
    assert not (tmp_path / "d").exists()  # refused before writing anything


def test_image_file_api(tmp_path: Path) -> None:
    path = str(tmp_path / "image")
    info = write_image(path, list(pages([7, 9, 400])))
    assert (info.size, info.low_pfn, info.high_pfn) == (3 * PAGE, 7, 400)
    image = ImageFile.open(path, PAGE)
    assert list(image.pfns) == [7, 9, 400]
    assert image.data_offset == PAGE  # header + 3 pfns rounded up to a page
    assert bytes(image.page(9) or b"") == page_bytes(9)
    assert image.page(8) is None
    image.close()
    with pytest.raises(ValueError, match="has 10 bytes, not 4096"):
        write_image(path, [(1, b"x" * 10)])
