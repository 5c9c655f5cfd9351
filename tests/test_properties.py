"""Property tests: random and mutated input to the readers, the models and the command line.

Whatever the bytes or the text, only q4py's own error types come out (and a command never ends
in an "internal error"). The fast paths derived from the construct models are checked against
construct itself on random bytes, and the forge's streamed pfdat against per-entry packing.
tests/test_crashdir.py and tests/test_vmunix.py already fuzz the INDEX parser and the ELF/unwind
reader; this file covers the image reader, physical memory, every layout and the commands.
"""

from __future__ import annotations

import io
import math
import struct
import tempfile
from collections import Counter
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from q4py import expr
from q4py.crashdir import CrashDir, ImageFile, write_crashdir, write_image
from q4py.errors import DumpError, Q4Error, ReadError
from q4py.forge import forge_crashdir
from q4py.forge.pages import pfdat_fill
from q4py.kernel.pfdat import key_counter
from q4py.kernel.procs import _gather
from q4py.layouts import NARROW, WIDE, Layout, registry_for
from q4py.layouts.flat import flat_parser
from q4py.layouts.vm import P_BAD, P_FREE, P_SYS, PAGE_CLASS_CODES
from q4py.memory import KernelMemory
from q4py.program import Program
from q4py.shell.session import Session

PAGE = 4096
LAYOUTS = [(abi.name, layout) for abi in (NARROW, WIDE)
           for layout in registry_for(abi).layouts()]
FUZZ = settings(max_examples=150, deadline=None,
                suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])


def page_bytes(pfn: int) -> bytes:
    return bytes((i * 7 + pfn * 13) & 0xFF for i in range(256)) * (PAGE // 256)


# -- the construct models and what is derived from them -------------------------------------------
def same(a: Any, b: Any) -> bool:
    """Equal values, with construct's Containers compared key by key and NaN equal to NaN."""
    if isinstance(a, dict):
        keys = [k for k in a if not k.startswith("_")]  # construct's own `_io`
        return keys == [k for k in b if not k.startswith("_")] and all(
            same(a[k], b[k]) for k in keys)
    if isinstance(a, list):
        return isinstance(b, list) and len(a) == len(b) and all(map(same, a, b))
    if isinstance(a, float):
        return isinstance(b, float) and (a == b or math.isnan(a) and math.isnan(b))
    return type(a) is type(b) and a == b


@pytest.mark.parametrize(("abi", "layout"), LAYOUTS, ids=[f"{a}:{lay.name}" for a, lay in LAYOUTS])
@settings(max_examples=25, deadline=None)
@given(data=st.data())
def test_models_parse_any_bytes_and_the_fast_paths_agree(abi: str, layout: Layout,
                                                         data: st.DataObject) -> None:
    raw = data.draw(st.binary(min_size=layout.size, max_size=layout.size))
    value = layout.parse(raw)
    # Program.read_struct's parser is derived from the model: it must give the same value.
    fast = flat_parser(layout)
    assert fast is not layout.parse, f"{layout.name} has no derived parser"
    derived = fast(raw)
    assert same(derived, value)
    # What the model builds from a value, it parses back to that value. (The derived value,
    # without construct's `_io` entry, which Layout.build refuses as an unknown member.)
    assert same(layout.parse(layout.build(derived)), value)
    if layout.fast is not None:
        assert layout.fast.size == layout.size
        assert same(list(layout.fast.unpack(raw)),
                    [value[f.name] for f in layout.fields])
    scalars = [f for f in layout.fields if f.ctype.kind in ("int", "pointer", "float", "chars")]
    if scalars:
        picked = data.draw(st.lists(st.sampled_from(scalars), min_size=1, max_size=4,
                                    unique_by=lambda f: f.name))
        picked.sort(key=lambda f: f.offset)
        projected = layout.projection([f.name for f in picked]).unpack(raw)
        assert same(list(projected), [value[f.name] for f in picked])


FLAT = [(abi, layout) for abi, layout in LAYOUTS if layout.fast is not None
        and any(f.ctype.kind in ("int", "pointer") for f in layout.fields)]


@settings(max_examples=150, deadline=None)
@given(data=st.data())
def test_key_counter_counts_like_the_projection(data: st.DataObject) -> None:
    _, layout = data.draw(st.sampled_from(FLAT))
    scalars = [f for f in layout.fields if f.ctype.kind in ("int", "pointer")]
    picked = sorted(data.draw(st.lists(st.sampled_from(scalars), min_size=1, max_size=3,
                                       unique_by=lambda f: f.name)), key=lambda f: f.offset)
    names = tuple(f.name for f in picked)
    entries = data.draw(st.integers(0, 40))
    # Few distinct entries, so that counts above 1 happen.
    pool = data.draw(st.lists(st.binary(min_size=layout.size, max_size=layout.size),
                              min_size=1, max_size=4))
    raw = b"".join(data.draw(st.sampled_from(pool)) for _ in range(entries))
    assert key_counter(layout, names)(raw) == Counter(layout.projection(names).iter_unpack(raw))


@pytest.mark.parametrize(("abi", "layout"), LAYOUTS[:3], ids=[lay.name for _, lay in LAYOUTS[:3]])
@given(raw=st.binary(max_size=64))
def test_models_refuse_short_data_with_their_own_error(abi: str, layout: Layout,
                                                      raw: bytes) -> None:
    if len(raw) >= layout.size:
        return
    with pytest.raises(Q4Error):
        layout.parse(raw)


# -- image files -----------------------------------------------------------------------------------
def _image(pfns: list[int]) -> bytes:
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "image"
        write_image(str(path), [(pfn, page_bytes(pfn)) for pfn in pfns])
        return path.read_bytes()


GOOD_IMAGE = _image([3, 4, 9])


def _open_and_read(data: bytes) -> None:
    """Open `data` as an image file and read every page it says it holds: DumpError only."""
    with tempfile.TemporaryDirectory() as tmp:
        path = str(Path(tmp) / "image")
        Path(path).write_bytes(data)
        try:
            image = ImageFile.open(path, PAGE)
        except DumpError as err:
            assert str(err).startswith(path) and "\n" not in str(err)
            return
        try:
            for pfn in list(image.pfns)[:64]:
                page = image.page(pfn)
                assert page is not None and len(page) == PAGE
            assert image.page(image.high_pfn + 1) is None
        finally:
            image.close()


@FUZZ
@given(st.binary(max_size=600))
def test_image_reader_random_bytes(data: bytes) -> None:
    _open_and_read(data)


@FUZZ
@given(edits=st.lists(st.tuples(st.integers(0, 0x2000), st.binary(min_size=1, max_size=8)),
                      min_size=1, max_size=5),
       cut=st.none() | st.integers(0, len(GOOD_IMAGE)))
def test_image_reader_mutated_file(edits: list[tuple[int, bytes]], cut: int | None) -> None:
    data = bytearray(GOOD_IMAGE)
    for at, new in edits:
        data[at:at + len(new)] = new
    _open_and_read(bytes(data[:cut] if cut is not None else data))


# -- physical memory: runs of pages, holes, and the pread path for long reads ---------------------
PFNS = [*range(0, 40), *range(41, 90), 95, *range(100, 140)]


@pytest.fixture(scope="module")
def long_dump(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("long") / "dump"
    write_crashdir(path, ((pfn, page_bytes(pfn)) for pfn in PFNS), vmunix=b"\x7fELF",
                   memsize=160 * PAGE, chunk_pages=30)
    return path


@FUZZ
@given(pa=st.integers(0, 165 * PAGE), size=st.integers(0, 45 * PAGE))
def test_long_reads_equal_page_by_page(long_dump: Path, pa: int, size: int) -> None:
    with CrashDir.open(long_dump) as crash:
        try:
            got = crash.memory.read(pa, size)
        except ReadError as err:
            # The first byte that cannot be read is the one named.
            address = err.offset
            assert pa <= address < pa + size
            assert address >= crash.memory.memsize or address // PAGE not in PFNS
            assert all(p in PFNS for p in range(pa // PAGE, address // PAGE))
            return
    want = b"".join(page_bytes(p) for p in range(pa // PAGE, (pa + size - 1) // PAGE + 1))
    assert got == want[pa % PAGE:pa % PAGE + size]


@FUZZ
@given(addresses=st.lists(st.sampled_from([0, 8, 0x40, 0x1FF8, 0x2FE8, 0x3FF0, 0x28000,
                                          0x29000, 0x5A000, 0x5F000, 0x8C000]) |
                          st.integers(0, 0x8F000), max_size=12))
def test_gather_equals_one_read_per_structure(long_dump: Path, addresses: list[int]) -> None:
    memory = KernelMemory(CrashDir.open(long_dump).memory, wide=False)
    prog = SimpleNamespace(read=memory.read)  # all _gather uses of a Program
    size = registry_for(NARROW).get("struct vas").size

    def one(address: int) -> bytes:
        return memory.read(address, size) if address else bytes(size)

    try:
        want: bytes | Q4Error = b"".join([one(a) for a in addresses])
    except ReadError as err:
        want = err
    try:
        got: bytes | Q4Error = _gather(prog, size, addresses)  # type: ignore[arg-type]
    except ReadError as err:
        got = err
    if isinstance(want, ReadError):
        assert isinstance(got, ReadError) and str(got) == str(want)
    else:
        assert got == want


# -- the forge's streamed pfdat -------------------------------------------------------------------
@settings(max_examples=40, deadline=None)
@given(wide=st.booleans(),
       counts=st.lists(st.integers(0, 700), min_size=1, max_size=6),
       bad=st.lists(st.integers(0, 4000), max_size=5))
def test_streamed_pfdat_equals_per_entry_packing(wide: bool, counts: list[int],
                                                 bad: list[int]) -> None:
    layout = registry_for(WIDE if wide else NARROW).get("struct pfdat")
    names = ["free", "text", "bucket", "kalloc", "user", "uarea"]
    runs = [(names[i], i % 3, count) for i, count in enumerate(counts)]
    total = sum(counts)
    bad_pfns = {b for b in bad if b < total}
    entries, pfn = [], 0
    for name, sub, count in runs:
        for _ in range(count):
            flags = (P_FREE if name == "free" else P_SYS) | (P_BAD if pfn in bad_pfns else 0)
            entries.append(layout.fast.pack(0, 0, pfn, flags, PAGE_CLASS_CODES[name], sub,
                                            0 if name == "free" else 1))
            pfn += 1
    want = b"".join(entries)
    fill = pfdat_fill(layout, runs, bad_pfns, total)
    pages = -(-len(want) // PAGE)
    whole = fill(0, pages) if pages else b""
    assert whole[:len(want)] == want and not any(whole[len(want):])
    assert b"".join(fill(i, 1) for i in range(pages)) == whole


# -- the command line -----------------------------------------------------------------------------


@pytest.fixture(scope="module")
def tiny_session(tmp_path_factory: pytest.TempPathFactory) -> Session:
    from test_hostile import TINY as scenario_text

    base = tmp_path_factory.mktemp("props")
    (base / "tiny.toml").write_text(scenario_text, encoding="utf-8")
    forge_crashdir(base / "tiny.toml", base / "dump")
    return Session(Program.open(base / "dump"), io.StringIO())


WORDS = ["struct", "buf", "proc", "pfdat", "from", "max", "next", "skip", "until", "av_forw",
         "addrof", "-x", "-a", "-d", "sysmap_32bit", "pfdat", "panicstr", "physmem", "==", "&",
         "*", "(", ")", "+", "-", "0", "1", "16", "1000", "0x400000", "0xc00000", "-1",
         "0x7fffffffffffffff", "0x0.0xc00000", "0x0`00c00000", "it", "1.5", "''", "\"x y\"",
         "b_flags", "nosuchfield", "struct buf", "struct", "\\", "#", ";", "|", ">", "'"]


def _line(names: list[str]) -> st.SearchStrategy[str]:
    token = st.sampled_from(WORDS) | st.text(min_size=1, max_size=6).filter(lambda t: "\n" not in t)
    return st.tuples(st.sampled_from(names) | st.text(max_size=8),
                     st.lists(token, max_size=6)).map(lambda t: " ".join([t[0], *t[1]]))


@pytest.mark.usefixtures("scratch_cwd")
@FUZZ
@given(data=st.data())
def test_any_command_line_fails_with_one_of_q4pys_errors(tiny_session: Session,
                                                        data: st.DataObject) -> None:
    names = [n for n in tiny_session.commands.names() if n not in ("exit", "quit")]
    line = data.draw(_line(names))
    out = tiny_session.out
    assert isinstance(out, io.StringIO)
    out.seek(0)
    out.truncate()
    tiny_session.execute(line)  # never raises: a Q4Error is one line, anything else a bug
    assert "internal error" not in out.getvalue(), (line, out.getvalue()[-400:])
    for text in out.getvalue().splitlines():
        if text.startswith("q4: "):
            assert len(text) < 2000


@FUZZ
@given(st.text(max_size=40) | st.lists(st.sampled_from(WORDS), max_size=8).map(" ".join))
def test_expression_parser_raises_only_command_errors(text: str) -> None:
    try:
        expr.parse(text)
    except Q4Error:
        pass


def test_struct_format_of_every_layout_matches_its_size() -> None:
    # The derived parser falls back to construct only when it cannot cover a member: none does.
    for _, layout in LAYOUTS:
        assert flat_parser(layout) is not layout.parse, layout.name
    assert struct.calcsize(">" + "Q") == 8
