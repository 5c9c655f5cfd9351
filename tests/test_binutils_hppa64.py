"""The ELF kernels the forge writes, read back by GNU binutils for hppa64 (readelf, objdump):
an independent reader, so a mistake shared by q4py's writer and reader shows.

The tools come from Debian's binutils-hppa64-linux-gnu (tests/tools/install-hppa64-binutils.sh
installs it); without them these tests are skipped, saying so.
"""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import pytest
from test_vmunix import vmunix_bytes

from q4py.vmunix import KernelImage

READELF = shutil.which("hppa64-linux-gnu-readelf")
OBJDUMP = shutil.which("hppa64-linux-gnu-objdump")
pytestmark = pytest.mark.skipif(
    READELF is None or OBJDUMP is None,
    reason="binutils-hppa64-linux-gnu is not installed (tests/tools/install-hppa64-binutils.sh)",
)


def run(*args: str) -> str:
    done = subprocess.run(args, capture_output=True, text=True, check=True)
    assert "warning" not in done.stderr.lower() and "error" not in done.stderr.lower(), done.stderr
    return done.stdout


@pytest.fixture(scope="module")
def wide_kernel(forged_dump) -> Path:  # type: ignore[no-untyped-def]
    """The ELF64 vmunix of a forged wide fixture dump."""
    return forged_dump("hpux1100-64-dpf-atq") / "vmunix"


def test_readelf_header(wide_kernel: Path) -> None:
    out = run(READELF or "", "-h", str(wide_kernel))
    assert re.search(r"Class:\s+ELF64", out) and "big endian" in out
    assert re.search(r"Machine:\s+HPPA", out) and re.search(r"Type:\s+EXEC", out)
    assert "PA-RISC 2.0, wide" in out and "HP-UX" in out


def test_readelf_symbols_are_q4pys(wide_kernel: Path) -> None:
    kernel = KernelImage.load(wide_kernel)
    out = run(READELF or "", "-sW", str(wide_kernel))
    rows = re.findall(r"^\s*\d+: ([0-9a-f]{16})\s+(\d+) (FUNC|OBJECT)\s+GLOBAL\s+\S+\s+\S+ (\S+)$",
                      out, re.M)
    theirs = sorted((name, int(value, 16), int(size), "func" if kind == "FUNC" else "object")
                    for value, size, kind, name in rows)
    ours = sorted((s.name, s.address, s.size, s.kind) for s in kernel.symbols())
    assert len(ours) > 50 and theirs == ours


def test_readelf_unwind_table_is_q4pys(wide_kernel: Path) -> None:
    kernel = KernelImage.load(wide_kernel)
    out = run(READELF or "", "-u", str(wide_kernel))
    entries = re.findall(r"^<[^>]+>: \[0x([0-9a-f]+)-0x([0-9a-f]+)\]\n\t([^\n]*)$", out, re.M)
    assert len(entries) == len(kernel.unwind_entries)
    for (start, end, flags), entry in zip(entries, kernel.unwind_entries, strict=True):
        assert (int(start, 16), int(end, 16)) == (entry.start, entry.end)
        frame = re.search(r"Total_frame_size=(\d+)", flags)
        assert (int(frame[1]) * 8 if frame else 0) == entry.frame_size_bytes  # 8-byte units
        assert ("Save_RP" in flags) == entry.save_rp
        assert ("HP_UX_interrupt_marker" in flags) == entry.interrupt_marker


def test_objdump_sections_and_symbols(wide_kernel: Path) -> None:
    kernel = KernelImage.load(wide_kernel)
    out = run(OBJDUMP or "", "-f", "-h", "-t", str(wide_kernel))
    assert "file format elf64-hppa" in out and "architecture: hppa2.0w" in out
    sizes = kernel.section_sizes
    for name, size, vma in ((".text", sizes.text_size, sizes.text_addr),
                            (".data", sizes.data_size, sizes.data_addr),
                            (".bss", sizes.bss_size, sizes.bss_addr)):
        assert re.search(rf"\d+ {re.escape(name)}\s+{size:08x}\s+{vma:016x}", out), name
    panic = kernel.symbol("panic")
    assert re.search(rf"^{panic.address:016x} g\s+F \.text\s+{panic.size:016x} panic$", out, re.M)


def test_readelf_and_objdump_read_an_elf32_kernel(tmp_path: Path) -> None:
    path = tmp_path / "vmunix"
    path.write_bytes(vmunix_bytes(False))
    out = run(READELF or "", "-h", "-u", str(path))
    assert re.search(r"Class:\s+ELF32", out) and re.search(r"Machine:\s+HPPA", out)
    assert "<panic>: [0x20400-0x204fc]" in out
    table = run(OBJDUMP or "", "-t", str(path))
    assert re.search(r"^00020400 g\s+F \.text\s+00000100 panic$", table, re.M)
