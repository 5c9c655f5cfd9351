"""Hostile crash directories: broken on purpose, layer by layer, by the tests themselves.

Each case ends in one line that names the file (with the offset) or the address, and the
problem; nothing hangs, nothing grows without bound, and the CLI exits 2 (without a traceback)
for a dump it cannot open. tests/test_crashdir.py, test_vmunix.py and test_maps.py already break
the INDEX parser, the image headers, the ELF reader and the map walker one field at a time; this
file covers the rest of issue 5's list, and the same faults seen from the layers above (the
Program, the commands, the `q4` command line).
"""

from __future__ import annotations

import gzip
import io
import os
import shutil
import subprocess
import sys
import zlib
from pathlib import Path

import pytest
from elftools.elf.elffile import ELFFile
from helpers import poke

from q4py.addr import format_q4_address
from q4py.cli import main as q4_main
from q4py.crashdir import CrashDir
from q4py.crashdir.image import HEADER_SIZE
from q4py.errors import DumpError, ReadError
from q4py.forge import forge_crashdir
from q4py.program import Program
from q4py.shell.session import Session

# A 16 MB narrow kernel with a two-run sysmap and 50 bufs linked through av_forw.
TINY = """\
[system]
width = "narrow"
release = "B.11.00"
hostname = "hostile"
model = "9000/800/A500-44"
memory_pages = 4096
dump_time = "2024-01-02 03:04:05"
boot_time = "2024-01-01 00:00:00"
panic = "hostile input"

[[processors]]
hpa = 0xfffa0000
type = "PCXW"
mhz = 440

[kernel]
heap = 0x400000
file_format = "elf"  # the vmunix tests below edit ELF section headers

[[kernel.functions]]
name = "panic"
address = 0x1000
size = 0x100
frame = 0x40

[[kernel.functions]]
name = "main"
address = 0x2000
size = 0x200
frame = 0x80

[pages]
free = 1000
text = 16

[[maps]]
name = "sysmap_32bit"
address = 0x200000
entries = 64
symbols = ["sysmap_32bit"]
free = [{ addr = 0x1000, size = 4 }, { addr = 0x2000, size = 8 }]

[[buf_lists]]
address = 0xC00000
count = 50

[[events]]
kind = "PANIC"
cpu = 0
rpb = 0x20000
space = 0x1234400
stack_base = 0x7fff0000

[[events.contexts]]
calls = ["panic+0x14", "main+0x40"]
"""
BUFS, BUF_COUNT, BUF_SIZE = 0xC00000, 50, 0x80
SYSMAP, MAPENT = 0x200000, 8
MiB = 1 << 20


@pytest.fixture(scope="module")
def pristine(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The tiny dump, forged once; tests break copies of it."""
    base = tmp_path_factory.mktemp("hostile")
    scenario = base / "tiny.toml"
    scenario.write_text(TINY, encoding="utf-8")
    forge_crashdir(scenario, base / "dump")
    return base / "dump"


@pytest.fixture
def dump(pristine: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A private copy to break, with a private cache for anything inflated."""
    monkeypatch.setenv("Q4PY_CACHE_DIR", str(tmp_path / "cache"))
    return Path(shutil.copytree(pristine, tmp_path / "crash.0"))




def one_line(text: str) -> str:
    assert text.endswith("\n") and text.count("\n") == 1, repr(text)
    return text[:-1]


def q4_fails(dump: Path, capsys: pytest.CaptureFixture[str], tmp_path: Path) -> str:
    """Run `q4 -f (empty batch) DUMP`: it must exit 2 with one line on stderr; returns it."""
    batch = tmp_path / "batch.q4"
    batch.write_text("crashinfo\n")
    assert q4_main(["-f", str(batch), str(dump)]) == 2
    captured = capsys.readouterr()
    assert captured.out == ""
    line = one_line(captured.err)
    assert line.startswith("q4: ")
    return line


def session(dump: Path) -> tuple[Session, io.StringIO]:
    out = io.StringIO()
    return Session(Program.open(dump), out), out


def run(s: Session, out: io.StringIO, line: str) -> list[str]:
    start = len(out.getvalue())
    s.execute(line)
    lines = out.getvalue()[start:].splitlines()
    assert not any("internal error" in x for x in lines), lines
    return lines


# -- INDEX ----------------------------------------------------------------------------------------
def test_missing_index(dump: Path, capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    (dump / "INDEX").unlink()
    assert q4_fails(dump, capsys, tmp_path) == f"q4: {dump}: not a crash directory: no INDEX file"


def test_empty_index(dump: Path, capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    (dump / "INDEX").write_bytes(b"")
    assert q4_fails(dump, capsys, tmp_path) == f"q4: {dump / 'INDEX'}: empty INDEX file"


@pytest.mark.parametrize(
    ("edit", "problem"),
    [
        (lambda t: t.replace("hostname ", "hostnmae "), "unknown keyword 'hostnmae'"),
        (lambda t: t + "memsize 4096\n", "duplicate 'memsize' (first on line"),
        (lambda t: t.replace("image image.1.1 ", "image ../image.1.1 "), "not a plain file name"),
        (lambda t: t.replace("image image.1.1 ", "image /etc/passwd "), "not a plain file name"),
    ],
    ids=["unknown", "duplicated", "dotdot", "absolute"],
)
def test_index_lines_through_the_cli(dump: Path, capsys: pytest.CaptureFixture[str],
                                     tmp_path: Path, edit: object, problem: str) -> None:
    index = dump / "INDEX"
    index.write_text(edit(index.read_text()))  # type: ignore[operator]
    line = q4_fails(dump, capsys, tmp_path)
    assert line.startswith(f"q4: {index}: line ")
    assert problem in line


def test_huge_index_is_not_read_whole(dump: Path) -> None:
    index = dump / "INDEX"
    with open(index, "r+b") as f:
        f.truncate(1 << 32)  # sparse: 4 GiB that take no disk
    with pytest.raises(DumpError) as info:
        CrashDir.open(dump)
    assert str(info.value) == f"{index}: more than 0x1000000 bytes: too large for an INDEX"


@pytest.mark.parametrize("name", ["INDEX", "image.1.1", "vmunix"])
def test_a_fifo_is_refused_without_blocking(dump: Path, name: str) -> None:
    (dump / name).unlink()
    os.mkfifo(dump / name)  # opening it for reading would wait for a writer forever
    with pytest.raises(DumpError) as info:
        Program.open(dump)
    assert str(info.value) == f"{dump / name}: not a regular file"


def test_image_linked_to_a_device(dump: Path) -> None:
    (dump / "image.1.1").unlink()
    (dump / "image.1.1").symlink_to("/dev/zero")
    with pytest.raises(DumpError, match=r"image.1.1: symlink points outside the crash directory"):
        CrashDir.open(dump)


# -- image files ----------------------------------------------------------------------------------
def test_zero_length_image(dump: Path, capsys: pytest.CaptureFixture[str],
                           tmp_path: Path) -> None:
    (dump / "image.1.1").write_bytes(b"")
    assert q4_fails(dump, capsys, tmp_path) == (
        f"q4: {dump / 'image.1.1'} at offset 0x0: truncated: the header needs {HEADER_SIZE} "
        "bytes, the file has 0")


def test_npages_of_millions_in_a_short_file(dump: Path) -> None:
    # 2**25 pages declare a 256 MiB pfn array: read in slices, so the lie costs one slice.
    image = dump / "image.1.1"
    size = min(image.stat().st_size, HEADER_SIZE + (1 << 20) - 8)  # shorter than one slice
    with open(image, "r+b") as f:
        f.truncate(size)
        f.seek(0x10)
        f.write((1 << 25).to_bytes(4, "big") + (0x10001000).to_bytes(4, "big"))
    with pytest.raises(DumpError) as info:
        CrashDir.open(dump)
    assert str(info.value) == (
        f"{image} at offset {size:#x}: truncated: the pfn array needs 0x10000000 bytes, the "
        f"file has {size - HEADER_SIZE:#x}")


def test_gzip_image_bomb_stops_at_its_declared_size(dump: Path, tmp_path: Path) -> None:
    image = dump / "image.1.1"
    plain = image.read_bytes()
    # The real image, then 64 MiB of zeros: 64 KiB compressed, far past the declared size.
    packer = zlib.compressobj(6, zlib.DEFLATED, 31)
    bomb = packer.compress(plain)
    zeros = bytes(MiB)
    for _ in range(64):
        bomb += packer.compress(zeros)
    bomb += packer.flush()
    assert len(bomb) < 2 * MiB
    image.write_bytes(bomb)
    with CrashDir.open(dump) as crash:  # the header and pfn array are fine
        with pytest.raises(DumpError) as info:
            crash.memory.read(BUFS, 16)
    assert str(info.value) == (
        f"{image} at offset {len(plain):#x}: inflates past its declared size ({len(plain):#x} "
        "bytes)")
    cache = tmp_path / "cache"
    left = [p for p in cache.rglob("*") if p.is_file()] if cache.exists() else []
    assert all(p.stat().st_size <= len(plain) for p in left), left


# -- vmunix ---------------------------------------------------------------------------------------
def test_gzip_vmunix_bomb_stops_at_the_index_size(dump: Path, tmp_path: Path) -> None:
    kernel = (dump / "vmunix").read_bytes()
    (dump / "vmunix").unlink()
    (dump / "vmunix.gz").write_bytes(gzip.compress(kernel + bytes(32 * MiB), mtime=0))
    with pytest.raises(DumpError) as info:
        Program.open(dump)
    assert str(info.value) == (
        f"{dump / 'vmunix.gz'} at offset {len(kernel):#x}: inflates past its declared size "
        f"({len(kernel):#x} bytes)")
    assert sum(p.stat().st_size for p in (tmp_path / "cache").rglob("*") if p.is_file()) == 0


def test_huge_vmunix_is_not_read(dump: Path) -> None:
    with open(dump / "vmunix", "r+b") as f:
        f.truncate(1 << 31)  # sparse
    with pytest.raises(DumpError) as info:
        Program.open(dump)
    assert str(info.value) == (
        f"{dump / 'vmunix'}: 0x80000000 bytes: larger than any kernel (q4py reads at most "
        "0x40000000)")


def _section(data: bytes, name: str) -> tuple[int, int]:
    """(offset of the section header, offset of the section's data) of section `name`."""
    elf = ELFFile(io.BytesIO(data))
    for i, section in enumerate(elf.iter_sections()):
        if section.name == name:
            return elf["e_shoff"] + i * elf["e_shentsize"], section["sh_offset"]
    raise AssertionError(f"no section {name}")


def test_vmunix_section_past_the_end(dump: Path, capsys: pytest.CaptureFixture[str],
                                     tmp_path: Path) -> None:
    kernel = dump / "vmunix"
    data = bytearray(kernel.read_bytes())
    header, _ = _section(bytes(data), ".symtab")
    data[header + 0x10:header + 0x14] = (len(data) + 0x100).to_bytes(4, "big")  # sh_offset
    kernel.write_bytes(bytes(data))
    line = q4_fails(dump, capsys, tmp_path)
    assert line.startswith(f"q4: {kernel} at offset {header:#x}: ")
    assert "past the end of the file" in line


def test_vmunix_unwind_table_out_of_order(dump: Path, capsys: pytest.CaptureFixture[str],
                                          tmp_path: Path) -> None:
    kernel = dump / "vmunix"
    data = bytearray(kernel.read_bytes())
    _, table = _section(bytes(data), ".PARISC.unwind")
    data[table:table + 32] = data[table + 16:table + 32] + data[table:table + 16]
    kernel.write_bytes(bytes(data))
    line = q4_fails(dump, capsys, tmp_path)
    assert line.startswith(f"q4: {kernel} at offset {table + 16:#x}: unwind entry 1")
    assert "sorted" in line


def test_the_real_command_line_prints_no_traceback(dump: Path) -> None:
    (dump / "image.1.1").write_bytes(b"Q4PYIMG\0")
    done = subprocess.run(
        [sys.executable, "-m", "q4py.cli", "-f", os.devnull, str(dump)],
        capture_output=True, text=True, timeout=60, check=False,
        cwd=Path(__file__).resolve().parent.parent)
    assert done.returncode == 2
    assert done.stdout == ""
    assert one_line(done.stderr) == (
        f"q4: {dump / 'image.1.1'} at offset 0x8: truncated: the header needs {HEADER_SIZE} "
        "bytes, the file has 8")


# -- memory and the commands above it -------------------------------------------------------------
def test_string_without_nul(dump: Path) -> None:
    prog = Program.open(dump)
    panicstr = prog.read_global("panicstr")
    page_end = (panicstr | 0xFFF) + 1
    prog.crashdir.close()
    poke(dump, panicstr, b"A" * (page_end - panicstr))
    poke(dump, page_end, b"B" * 0x1000)  # the next page too: no NUL within the limit
    prog = Program.open(dump)
    with pytest.raises(ReadError) as info:
        prog.read_string(panicstr)
    assert str(info.value) == (
        f"cannot read {format_q4_address(0, panicstr)}: string has no NUL within 4096 bytes")
    s, out = session(dump)
    lines = run(s, out, "crashinfo")  # the section that reads it says why, the others print
    assert "\t\t\t= General Information =" in lines
    failed = [line for line in lines if line.startswith(("q4:", "crashinfo:"))]
    assert failed == [f"crashinfo: events: {info.value}"]
    assert any("Sysmap" in line for line in lines[lines.index(failed[0]):])


def test_next_chain_that_loops(dump: Path) -> None:
    # buf[9].av_forw points back at buf[3]: the walk stops where it came back.
    forw = 0x0C  # av_forw in the narrow struct buf
    poke(dump, BUFS + 9 * BUF_SIZE + forw, (BUFS + 3 * BUF_SIZE).to_bytes(4, "big"))
    s, out = session(dump)
    lines = run(s, out, f"load struct buf from {BUFS:#x} next av_forw max 1000")
    assert lines == ["loaded 10 struct bufs as a linked list ", "",
                     f"(stopped by loop at {format_q4_address(0, BUFS + 3 * BUF_SIZE)})", ""]


def test_max_of_two_to_the_63(dump: Path) -> None:
    s, out = session(dump)
    # A list still ends at its NULL pointer...
    lines = run(s, out, f"load struct buf from {BUFS:#x} next av_forw max 0x7fffffffffffffff")
    assert lines == [f"loaded {BUF_COUNT} struct bufs as a linked list ", ""]
    # ...and an array at the first page the dump does not hold.
    end = (BUFS + BUF_COUNT * BUF_SIZE + 0xFFF) & ~0xFFF
    lines = run(s, out, f"load struct buf from {BUFS:#x} max 0x7fffffffffffffff")
    assert lines == [f"loaded {(end - BUFS) // BUF_SIZE} struct bufs as an array ", "",
                     f"(stopped by bad read at {format_q4_address(0, end)})", ""]


def test_map_without_terminator_through_the_command(dump: Path) -> None:
    # Every configured slot in use: no m_size 0 anywhere.
    for slot in range(1, 64):
        poke(dump, SYSMAP + slot * MAPENT, (0x100 * slot).to_bytes(4, "big") + b"\0\0\0\1")
    s, out = session(dump)
    lines = run(s, out, "p4_sysmap -a")
    assert lines[-1] == (f"q4: sysmap_32bit map at {SYSMAP:#x} (sysmap_32bit): no terminating "
                         "entry (m_size 0) within its 64 configured entries")


def test_map_limit_far_past_the_dump(dump: Path) -> None:
    # m_limit says 2**28 slots: the walk ends at the first page that is not in the dump.
    poke(dump, SYSMAP, (SYSMAP + (MAPENT << 28)).to_bytes(4, "big"))
    for slot in range(1, 512):
        poke(dump, SYSMAP + slot * MAPENT, (0x100 * slot).to_bytes(4, "big") + b"\0\0\0\1")
    s, out = session(dump)
    lines = run(s, out, "p4_sysmap -a")
    assert lines[-1] == (f"q4: cannot read {format_q4_address(0, SYSMAP + 0x1000)}: physical page "
                         f"{(SYSMAP + 0x1000) >> 12:#x} is not in the dump")


def test_interrupted_walk_leaves_the_piles_alone(dump: Path) -> None:
    s, out = session(dump)
    assert s.execute(f"load struct buf from {BUFS:#x} next av_forw")
    before = (len(s.piles), s.piles.current)

    def interrupt(done: int, total: int | None, what: str) -> None:
        raise KeyboardInterrupt  # what Ctrl-C raises in the middle of a walk

    s.progress = interrupt
    pfdat = s.program.read_global("pfdat")
    with pytest.raises(KeyboardInterrupt):
        s.execute(f"load struct pfdat from {pfdat:#x} max 3000")
    assert (len(s.piles), s.piles.current) == before
    s.progress = lambda done, total, what: None
    assert s.execute("print -x addrof av_forw")  # the session goes on, on the same pile
    assert f"{BUFS:#x}" in out.getvalue().splitlines()[-BUF_COUNT]
