"""Dumps by format: CRASHDIR, COREDIR and COREFILE forms of one forged machine, told apart by
what is there, read alike; and the bad input of each format refused in one line, exit 2,
nothing written.

(The transcripts of fixtures/transcripts/ replay from all three forms: the pytest plugin makes
each one three tests, NAME[crashdir], NAME[coredir], NAME[corefile].)
"""

from __future__ import annotations

import io
import os
import shutil
from pathlib import Path

import pytest
from test_hostile import TINY

from q4py.cli import main
from q4py.crashdir.index import read_index
from q4py.dumps import DUMP_FORMATS
from q4py.errors import DumpError, ReadError
from q4py.forge.build import Forge
from q4py.forge.scenario import load_scenario
from q4py.program import Program
from q4py.render.banner import render_banner
from q4py.shell.session import Session

MEMSIZE = 4096 * 4096  # TINY's memory_pages
CHUNK = 1024 * 4096  # four COREDIR chunks


@pytest.fixture(scope="module")
def forms(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """TINY built once and written in every format (COREDIR in 4 MiB chunks)."""
    root = tmp_path_factory.mktemp("forms")
    scenario = root / "tiny.toml"
    narrow = "\n".join(line for line in TINY.splitlines() if not line.startswith("file_format"))
    assert narrow != TINY  # TINY's ELF kernel dropped: a narrow kernel is SOM by default
    scenario.write_text(narrow.replace("[pages]", "[dump]\nchunk_pages = 1024\n\n[pages]", 1))
    forge = Forge(load_scenario(scenario))
    forge.build(root / "crashdir", "crashdir")
    for name in DUMP_FORMATS[1:]:
        forge.write_files(root / name, name)
    return {name: root / name for name in DUMP_FORMATS}


@pytest.fixture
def copy(forms: dict[str, Path], tmp_path: Path):  # type: ignore[no-untyped-def]
    """A private copy of one form, to damage."""
    def make(name: str) -> Path:
        target = tmp_path / name
        shutil.copytree(forms[name], target)
        return target
    return make


def output(program: Program, line: str) -> str:
    out = io.StringIO()
    assert Session(program, out).execute(line)
    return out.getvalue()


def test_what_the_forge_writes(forms: dict[str, Path]) -> None:
    assert sorted(os.listdir(forms["corefile"])) == ["core", "vmunix"]
    assert os.path.getsize(forms["corefile"] / "core") == MEMSIZE
    names = sorted(os.listdir(forms["coredir"]))
    assert names == ["INDEX", "core.0.0", "core.0.1", "core.0.2", "core.0.3", "vmunix"]
    assert {os.path.getsize(forms["coredir"] / n) for n in names if n.startswith("core")} == {CHUNK}
    index = read_index(str(forms["coredir"] / "INDEX"), 1)
    assert (index.version, index.memsize, index.chunksize, index.images) == (1, MEMSIZE, CHUNK, ())
    # The same kernel file in every form.
    kernels = {(forms[f] / "vmunix").read_bytes() for f in DUMP_FORMATS}
    assert len(kernels) == 1


def test_each_form_opens_and_reads_alike(forms: dict[str, Path]) -> None:
    programs = {name: Program.open(path) for name, path in forms.items()}
    assert {name: p.crashdir.format.lower() for name, p in programs.items()} == {
        name: name for name in DUMP_FORMATS}
    texts = {name: output(p, "crashinfo general") for name, p in programs.items()}
    assert "9000/800/A500-44" in texts["corefile"]  # the model, from kernel memory: no INDEX
    assert texts["crashdir"] == texts["coredir"] == texts["corefile"]
    sysmap = {name: output(p, "run PrintMap sysmap_32bit") for name, p in programs.items()}
    assert len(set(sysmap.values())) == 1
    # Only the CRASHDIR knows which pages were not dumped; the flat forms hold zeros there.
    free = 0x800000  # a page the forge never writes
    with pytest.raises(ReadError, match="not in the dump"):
        programs["crashdir"].read(free, 8)
    assert programs["coredir"].read(free, 8) == programs["corefile"].read(free, 8) == bytes(8)
    for program in programs.values():
        with pytest.raises(ReadError, match="beyond physical memory"):
            program.read(MEMSIZE, 8)


def test_the_dumped_pages_of_each_form(forms: dict[str, Path]) -> None:
    """A flat dump lists the pages holding data: every page the CRASHDIR holds, and only those
    where the file system reports a sparse file's holes (SEEK_DATA)."""
    programs = {name: Program.open(path) for name, path in forms.items()}
    dumped = list(programs["crashdir"].dumped_pfns())
    for name in ("coredir", "corefile"):
        flat = list(programs[name].dumped_pfns())
        assert flat == sorted(flat) and set(dumped) <= set(flat)
        if len(flat) < MEMSIZE // 4096:  # holes reported
            assert flat == dumped
        assert programs[name].has_page(0xFFF) and not programs[name].has_page(0x1000)
        assert programs[name].page(dumped[0]) == programs["crashdir"].page(dumped[0])
    searches = {name: output(p, "search -c hostile") for name, p in programs.items()}
    assert "hostile" in searches["crashdir"]
    assert searches["crashdir"] == searches["coredir"] == searches["corefile"]
    banners = {name: [line for line in render_banner(p) if "DUMP:" not in line]
               for name, p in programs.items()}
    assert banners["corefile"] == banners["coredir"] == banners["crashdir"]
    assert any("HOST: hostile" in line for line in banners["corefile"])


def test_a_corefile_as_two_files(forms: dict[str, Path], capsys: pytest.CaptureFixture[str],
                                 tmp_path: Path) -> None:
    commands = tmp_path / "c.q4"
    commands.write_text("crashinfo general\n")
    core, vmunix = forms["corefile"] / "core", forms["corefile"] / "vmunix"
    assert main(["-f", str(commands), str(core), str(vmunix)]) == 0
    two_files = capsys.readouterr().out
    assert main(["-f", str(commands), str(forms["corefile"])]) == 0
    assert capsys.readouterr().out == two_files and "Model" in two_files


def refused(capsys: pytest.CaptureFixture[str], tmp_path: Path, *dump: Path) -> str:
    """Run q4 with --record on a bad dump: exit 2, one line on stderr, no file written."""
    before = {p: _state(p) for p in dump}
    record = tmp_path / "out.q4t"
    commands = tmp_path / "c.q4"
    commands.write_text("crashinfo general\n")
    status = main(["-f", str(commands), "--record", str(record), *map(str, dump)])
    err = capsys.readouterr()
    assert status == 2 and err.out == ""
    assert err.err.count("\n") == 1, err.err
    assert not record.exists()
    assert before == {p: _state(p) for p in dump}
    return err.err.rstrip("\n")


def _state(path: Path) -> object:
    if path.is_dir():
        return sorted((p.name, p.stat().st_size, p.stat().st_mtime_ns) for p in path.iterdir())
    return path.stat().st_size, path.stat().st_mtime_ns


def test_a_corefile_shorter_than_memory(copy, capsys, tmp_path) -> None:  # type: ignore[no-untyped-def]
    dump = copy("corefile")
    os.truncate(dump / "core", MEMSIZE - 4096)
    line = refused(capsys, tmp_path, dump)
    assert line == (f"q4: {dump / 'core'}: {MEMSIZE - 4096:#x} bytes: shorter than the "
                    f"{MEMSIZE:#x} bytes of memory the kernel describes (physmem 4096 pages)")


def test_a_coredir_missing_a_chunk(copy, capsys, tmp_path) -> None:  # type: ignore[no-untyped-def]
    dump = copy("coredir")
    (dump / "core.0.2").unlink()
    line = refused(capsys, tmp_path, dump)
    assert line == (f"q4: {dump / 'core.0.2'}: chunk 2 (physical 0x800000-0xbfffff) is missing")


def test_a_coredir_with_overlapping_chunks(copy, capsys, tmp_path) -> None:  # type: ignore[no-untyped-def]
    dump = copy("coredir")
    shutil.copy(dump / "core.0.1", dump / "core.0.01")  # chunk 1 twice
    line = refused(capsys, tmp_path, dump)
    assert line.startswith("q4: ") and "chunk 1 again" in line and "overlap" in line
    (dump / "core.0.01").unlink()
    with open(dump / "core.0.0", "ab") as f:  # chunk 0 reaching into chunk 1's memory
        f.write(bytes(4096))
    line = refused(capsys, tmp_path, dump)
    assert line == (f"q4: {dump / 'core.0.0'}: 0x401000 bytes, more than the chunk's 0x400000: "
                    "it overlaps the next chunk's memory")


def test_a_coredir_chunk_cut_short(copy) -> None:  # type: ignore[no-untyped-def]
    dump = copy("coredir")
    os.truncate(dump / "core.0.3", 4096)
    with pytest.raises(DumpError, match=r"core\.0\.3: truncated: 0x1000 bytes"):
        Program.open(dump)


def test_none_of_the_formats(copy, capsys, tmp_path) -> None:  # type: ignore[no-untyped-def]
    dump = copy("corefile")
    line = refused(capsys, tmp_path, dump / "core")
    assert line == (f"q4: {dump / 'core'}: a plain file: if it is a COREFILE core, name its "
                    "kernel too (q4 CORE VMUNIX)")
    (dump / "core").rename(dump / "memory")
    line = refused(capsys, tmp_path, dump)
    assert line == f"q4: {dump}: not a crash directory: no INDEX file"
    line = refused(capsys, tmp_path, dump / "memory", dump / "memory")
    assert line.startswith(f"q4: {dump / 'memory'} at offset 0x0: not a kernel file q4py reads")


def test_a_som_kernel_whose_dictionary_lies_outside_it(copy, capsys, tmp_path) -> None:  # type: ignore[no-untyped-def]
    dump = copy("corefile")
    kernel = dump / "vmunix"
    data = bytearray(kernel.read_bytes())
    assert data[:2] == b"\x02\x10"  # a narrow kernel: SOM
    data[0x5C:0x60] = (len(data) + 0x1000).to_bytes(4, "big")  # symbol_location
    data[0x7C:0x80] = bytes(4)
    checksum = 0
    for i in range(0, 128, 4):
        checksum ^= int.from_bytes(data[i:i + 4], "big")
    data[0x7C:0x80] = checksum.to_bytes(4, "big")
    kernel.write_bytes(bytes(data))
    line = refused(capsys, tmp_path, dump)
    assert line.startswith(f"q4: {kernel} at offset 0x5c: SOM: the symbol dictionary")
    assert line.endswith(f"lies outside the file ({len(data):#x} bytes)")


def test_q4_forge_writes_the_format_asked(forms: dict[str, Path], tmp_path: Path,
                                          capsys: pytest.CaptureFixture[str]) -> None:
    from q4py.forge.cli import main as forge_main

    scenario = forms["crashdir"].parent / "tiny.toml"
    assert forge_main([str(scenario), str(tmp_path / "cf"), "--format", "corefile"]) == 0
    assert sorted(os.listdir(tmp_path / "cf")) == ["core", "vmunix"]
    assert (tmp_path / "cf" / "core").read_bytes() == (forms["corefile"] / "core").read_bytes()
    assert forge_main([str(scenario), str(tmp_path / "cd"), "--format", "coredir"]) == 0
    assert "core.0.3" in os.listdir(tmp_path / "cd")
    capsys.readouterr()


def test_a_corefile_pair_is_recorded_and_replayed(forms: dict[str, Path], tmp_path: Path,
                                                 capsys: pytest.CaptureFixture[str]) -> None:
    """`--record` on `CORE VMUNIX` names both in the header (`# crashdir:` and `# vmunix:`), and
    the replay opens the pair again from it."""
    commands = tmp_path / "c.q4"
    commands.write_text("crashinfo general\nsymbol panicstr\n")
    record = tmp_path / "pair.q4t"
    core, vmunix = forms["corefile"] / "core", forms["corefile"] / "vmunix"
    assert main(["-f", str(commands), "--record", str(record), str(core), str(vmunix)]) == 0
    header = record.read_text().splitlines()[:3]
    assert f"# crashdir: {core.resolve()}" in header and f"# vmunix: {vmunix.resolve()}" in header
    capsys.readouterr()
    assert main(["--replay", str(record)]) == 0
    assert capsys.readouterr().out.endswith("2 block(s), all match\n")
