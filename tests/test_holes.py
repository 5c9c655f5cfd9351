"""Issue 10's holes, each reproduced: hostile files the session is pointed at (devices, FIFOs,
hard links, huge names), scripts that try to end the batch, the command line's own files
(`--record`, `--replay`, `-f`), and the forge's handling of impossible scenarios.

Every test is bounded: devices and sparse files are refused before they are read, a FIFO is
driven from a thread with a timeout, nothing waits on a reader that never comes.
"""

from __future__ import annotations

import io
import os
import shutil
import sys
import threading
from collections.abc import Callable
from pathlib import Path

import pytest
from conftest import SCENARIOS_DIR
from prompt_toolkit.input import create_pipe_input
from prompt_toolkit.output import DummyOutput

from q4py import cli
from q4py.commands import Registry, load_builtin_commands
from q4py.errors import ScenarioError
from q4py.forge import forge_crashdir
from q4py.forge.cli import main as forge_main
from q4py.program import Program
from q4py.shell import Session
from q4py.shell.batch import run_lines
from q4py.shell.record import Recorder
from q4py.shell.repl import run_repl

SEED = "hpux1100-32-kalloc-sysmap"
WIDE = "hpux1111-64-spinlock-process-lock"
TIMEOUT = 20  # seconds a thread may take before the test calls it a hang


@pytest.fixture
def seed(forged_dump: Callable[[str], Path]) -> Path:
    return forged_dump(SEED)


@pytest.fixture(scope="module")
def program(forged_dump: Callable[[str], Path]) -> Program:
    return Program.open(forged_dump(SEED))


@pytest.fixture
def in_tmp(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.chdir(tmp_path)
    return tmp_path


def lines_of(program: Program, *commands: str) -> list[str]:
    out = io.StringIO()
    session = Session(program, out)
    for line in commands:
        session.execute(line)
    return out.getvalue().splitlines()


def one_error(lines: list[str]) -> str:
    assert len(lines) == 1 and lines[0].startswith("q4: "), lines
    assert "internal error" not in lines[0] and "Traceback" not in lines[0], lines
    return lines[0]


def in_thread(fn: Callable[[], object]) -> object:
    """Run `fn` with a timeout: a call that blocks fails the test instead of hanging it."""
    result: list[object] = []
    thread = threading.Thread(target=lambda: result.append(fn()), daemon=True)
    thread.start()
    thread.join(TIMEOUT)
    assert not thread.is_alive(), "blocked"
    return result[0]


# -- 1. include reads any file whole --------------------------------------------------------
@pytest.mark.parametrize("device", ["/dev/zero", "/dev/urandom"])
def test_include_refuses_a_device(program: Program, device: str) -> None:
    line = one_error(lines_of(program, f"include {device}"))
    assert line == f"q4: include: {device} is a device or socket, not a regular file"


def test_include_refuses_a_huge_file_without_reading_it(program: Program, tmp_path: Path) -> None:
    huge = tmp_path / "huge.q4"
    with open(huge, "wb") as f:
        f.truncate(2 << 30)  # sparse: 2 GiB of NULs that take no disk
    assert "is larger than 4 MiB" in one_error(lines_of(program, f"include {huge}"))
    newlines = tmp_path / "newlines.q4"
    newlines.write_bytes(b"\n" * ((4 << 20) + 1))
    assert "is larger than 4 MiB" in one_error(lines_of(program, f"include {newlines}"))


# -- 4. the batch's own output cannot be written ----------------------------------------------
def test_batch_into_a_full_device_is_one_line(seed: Path, tmp_path: Path,
                                              monkeypatch: pytest.MonkeyPatch,
                                              capsys: pytest.CaptureFixture[str]) -> None:
    cmds = tmp_path / "cmds"
    cmds.write_text("help\nhelp exit\n")
    with open("/dev/full", "w", buffering=1) as full:
        monkeypatch.setattr(sys, "stdout", full)
        status = cli.main(["-f", str(cmds), str(seed)])
    assert status == 2
    err = capsys.readouterr().err
    assert err == "q4: cannot write the output: No space left on device\n"


# -- 5. FIFOs block ---------------------------------------------------------------------------
def test_redirect_and_include_refuse_a_fifo_without_blocking(program: Program,
                                                             tmp_path: Path) -> None:
    fifo = tmp_path / "fifo"
    os.mkfifo(fifo)
    try:
        lines = in_thread(lambda: lines_of(program, f"help > {fifo}", f"include {fifo}"))
    finally:
        # Should a call block, a reader and a writer let it go before the test ends.
        for flags in (os.O_RDONLY | os.O_NONBLOCK, os.O_RDWR):
            os.close(os.open(fifo, flags))
    assert lines == [
        f"q4: cannot write {fifo}: not a regular file (a FIFO or socket could block the session)",
        f"q4: include: {fifo} is a FIFO, not a regular file",
    ]


def test_redirect_to_dev_null_still_works(program: Program) -> None:
    assert lines_of(program, "help exit > /dev/null") == []


# -- 6. hard links into the crash directory ---------------------------------------------------
@pytest.fixture
def own_dump(seed: Path, tmp_path: Path) -> Path:
    return Path(shutil.copytree(seed, tmp_path / "crash.0"))


def test_a_hard_link_to_index_is_not_written(own_dump: Path, in_tmp: Path) -> None:
    before = (own_dump / "INDEX").read_bytes()
    os.link(own_dump / "INDEX", in_tmp / "hl")
    out = lines_of(Program.open(own_dump), "help > hl", "help >> hl")
    assert len(out) == 2 and all("inside the crash directory" in line for line in out), out
    assert (own_dump / "INDEX").read_bytes() == before


def test_a_hard_link_made_after_the_check_is_not_written(own_dump: Path, in_tmp: Path) -> None:
    from q4py.shell.session import RedirectFile

    before = (own_dump / "INDEX").read_bytes()
    program = Program.open(own_dump)
    stream = RedirectFile(in_tmp / "late", "w", program)  # checked while it did not exist
    os.link(own_dump / "INDEX", in_tmp / "late")
    with pytest.raises(Exception, match="under another name"):
        stream.write("overwritten\n")
    assert (own_dump / "INDEX").read_bytes() == before


def test_a_hard_link_to_a_script_in_the_dump_is_not_run(own_dump: Path, in_tmp: Path) -> None:
    marker = in_tmp / "ran"
    (own_dump / "evil.py").write_text(
        f"open({str(marker)!r}, 'w').write('x')\ndef run(q4, args):\n    pass\n")
    (own_dump / "evil.q4").write_text(f"run {own_dump / 'evil.py'}\n")
    os.link(own_dump / "evil.py", in_tmp / "hard.py")
    os.link(own_dump / "evil.q4", in_tmp / "hard.q4")
    out = lines_of(Program.open(own_dump), "run ./hard.py", "include hard.q4")
    assert len(out) == 2 and all("inside the crash directory" in line for line in out), out
    assert not marker.exists()


# -- 7. huge names ------------------------------------------------------------------------------
@pytest.mark.parametrize("name", ["a" * 300, "d/" * 3000 + "x"])
def test_a_name_too_long_is_one_line(program: Program, in_tmp: Path, name: str) -> None:
    line = one_error(lines_of(program, f"help > {name}"))
    assert line.startswith("q4: cannot write ") and line.endswith(": File name too long")
    assert len(line) < 200


def test_grep_of_a_name_holding_a_nul_is_one_line(program: Program, in_tmp: Path) -> None:
    """Found by hypothesis (`grep struct \\x00`): open() refuses such a name with ValueError."""
    line = one_error(lines_of(program, "grep struct \x00"))
    assert line.startswith("q4: grep: ") and "NUL" in line and "internal" not in line


# -- 8. scripts that end the batch ---------------------------------------------------------------
@pytest.mark.parametrize("body,message", [
    ("import sys; sys.exit(3)", "run: quitter called exit(3)"),
    ("raise SystemExit", "run: quitter called exit(None)"),
    ("raise KeyboardInterrupt", "run: quitter raised KeyboardInterrupt"),
])
def test_a_script_cannot_end_the_batch(program: Program, tmp_path: Path, body: str,
                                       message: str) -> None:
    script = tmp_path / "quitter.py"
    script.write_text(f"def run(q4, args):\n    {body}\n")
    out = io.StringIO()
    session = Session(program, out)
    failed = run_lines(session, [f"run {script}", "help exit"])
    lines = out.getvalue().splitlines()
    assert failed == 1
    assert lines[1].startswith(f"q4: {message}") and "(quitter.py line 2)" in lines[1], lines
    assert lines[2] == "q4> help exit" and len(lines) > 3  # the batch went on


# -- 11. address arithmetic wraps at 64 bits ---------------------------------------------------
def test_addresses_wrap_at_64_bits(forged_dump: Callable[[str], Path]) -> None:
    wide = Program.open(forged_dump(WIDE))
    out = lines_of(wide, "x 0xffffffffffffffff+0x21", "examine 0xffffffffffffffff+0x21 using X",
                   "load struct proc from 0xffffffffffffffff+0x21")
    assert out[0] == "0x20"
    assert out[1] == "q4: examine: cannot read 0x0.0x00000000'00000020: physical page 0x0 is " \
                     "not in the dump"
    assert "(stopped by bad read at 0x0.0x00000000'00000020)" in out


# -- 13. the forge accepts structures on top of each other ----------------------------------------
def overlapping_scenario(tmp_path: Path) -> Path:
    text = (SCENARIOS_DIR / f"{WIDE}.toml").read_text()
    rpbs = [line for line in text.splitlines() if line.startswith("rpb = ")]
    assert len(rpbs) >= 2
    bad = tmp_path / "overlap.toml"
    bad.write_text(text.replace(rpbs[1], rpbs[0]))  # the second event's rpb onto the first's
    return bad


def test_the_forge_refuses_overlapping_structures(tmp_path: Path) -> None:
    bad = overlapping_scenario(tmp_path)
    with pytest.raises(ScenarioError) as err:
        forge_crashdir(bad, tmp_path / "out")
    assert str(err.value).startswith(f"{bad}: events[1]: struct rpb at ")
    assert "overlaps struct rpb at" in str(err.value) and "(events[0])" in str(err.value)
    assert not (tmp_path / "out").exists()  # 18: nothing left behind


# -- 14. replay from the transcript's own directory ---------------------------------------------
def test_replay_in_the_transcripts_directory(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                             capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setenv("Q4PY_CACHE_DIR", str(tmp_path / "cache"))
    (tmp_path / "scenarios").mkdir()
    shutil.copy(SCENARIOS_DIR / f"{WIDE}.toml", tmp_path / "scenarios")
    (tmp_path / "transcripts").mkdir()
    (tmp_path / "transcripts" / "t.q4t").write_text(
        f"# scenario: {WIDE}\nq4> x 0x10+0x20\n0x30\n")
    monkeypatch.chdir(tmp_path / "transcripts")
    assert cli.main(["--replay", "t.q4t"]) == 0, capsys.readouterr()
    assert capsys.readouterr().out.endswith("t.q4t: 1 block(s), all match\n")


# -- 15. --record -------------------------------------------------------------------------------
def test_record_never_overwrites(seed: Path, tmp_path: Path,
                                 capsys: pytest.CaptureFixture[str]) -> None:
    cmds = tmp_path / "cmds"
    cmds.write_text("help exit\n")
    old = tmp_path / "old.q4t"
    old.write_text("precious\n")
    assert cli.main(["-f", str(cmds), "--record", str(old), str(seed)]) == 2
    assert "already exists" in capsys.readouterr().err
    assert old.read_text() == "precious\n"


def test_record_drops_an_interrupted_block(program: Program, tmp_path: Path) -> None:
    registry = Registry()
    for cmd in load_builtin_commands().all():
        registry.add(cmd)

    @registry.command("spin", usage="spin", summary="interrupted by Ctrl-C")
    def spin(session: Session, args: list[str]) -> None:
        print("partial", file=session.out)
        raise KeyboardInterrupt

    path = tmp_path / "repl.q4t"
    session = Session(program, io.StringIO(), commands=registry)
    with Recorder.open(path, {"crashdir": str(program.path)}) as recorder:
        session.out = recorder.tee(session.out)
        with create_pipe_input() as pipe:
            pipe.send_text("x 1+1\rspin\rx 2+2\r\x04")
            run_repl(session, input=pipe, output=DummyOutput(), recorder=recorder)
    body = [line for line in path.read_text().splitlines() if not line.startswith("#")]
    assert body == ["q4> x 1+1", "0x2", "q4> x 2+2", "0x4"]


# -- 16. p and a pointer global ---------------------------------------------------------------
def test_p_follows_a_pointer_global_as_x_does(program: Program) -> None:
    pointee = lines_of(program, "x proc")[0]
    printed = lines_of(program, "p proc_t proc")
    # p4 prints structure addresses with 8 hex digits at least (0x01a01000).
    assert int(printed[0], 16) == int(pointee, 16)
    assert printed[2] == f"{printed[0]} proc_t {{"
    own = lines_of(program, "p proc_t &proc")[0]
    assert int(own, 16) == program.symbol("proc").address and own != printed[0]


# -- 18. the forge's errors, and a batch file that includes itself ------------------------------
def test_q4_forge_names_the_scenario_and_leaves_nothing(tmp_path: Path,
                                                        capsys: pytest.CaptureFixture[str]) -> None:
    bad = overlapping_scenario(tmp_path)
    out = tmp_path / "crash"
    assert forge_main([str(bad), str(out)]) == 2
    assert capsys.readouterr().err.startswith(f"q4-forge: {bad}: events[1]: ")
    assert not out.exists()
    out.mkdir()  # an empty directory given: left as it was, empty
    assert forge_main([str(bad), str(out)]) == 2
    assert list(out.iterdir()) == []


def test_a_batch_file_including_itself_runs_once(seed: Path, tmp_path: Path,
                                                 capsys: pytest.CaptureFixture[str]) -> None:
    loop = tmp_path / "loop.q4"
    loop.write_text("x 0x7+0x7\ninclude loop.q4\n")
    os.chdir(tmp_path)
    try:
        assert cli.main(["-f", str(loop), str(seed)]) == 1
    finally:
        os.chdir(Path(__file__).parent)
    out = capsys.readouterr().out.splitlines()
    assert out.count("0xe") == 1, out
    assert out[-1] == "q4: include: loop.q4: files include each other in a loop " \
                      "(loop.q4 -> loop.q4)"


# -- found by benchmarks/fuzz.py ------------------------------------------------------------------
def test_patches_walk_only_dumped_pages_of_a_garbled_span(program: Program,
                                                          monkeypatch: pytest.MonkeyPatch) -> None:
    """A garbled vmunix symbol made the data span gigabytes wide: crashinfo's patch scan tried
    every page of it (21 s for 0xc4010610 bytes, forever for 2**60)."""
    from q4py.kernel import patches

    monkeypatch.setattr(patches, "data_span", lambda prog: (0, 1 << 60))
    assert in_thread(lambda: patches.kernel_patches(program)) == []


def test_a_huge_load_under_an_address_space_limit_is_bounded(program: Program) -> None:
    """`load ... max 0x100000000` set aside 4 GiB at once; under `ulimit -v` that was a
    MemoryError: the limit of a load counts the address space left too."""
    import resource

    with open("/proc/self/statm") as statm:
        used = int(statm.read().split()[0]) * resource.getpagesize()
    saved = resource.getrlimit(resource.RLIMIT_AS)
    resource.setrlimit(resource.RLIMIT_AS, (used + (1 << 30), saved[1]))
    try:
        out = lines_of(program, "load struct buf from 0x1000 max 0x100000000")
    finally:
        resource.setrlimit(resource.RLIMIT_AS, saved)
    assert not any("internal error" in line or "MemoryError" in line for line in out), out
    assert out[0].startswith("loaded "), out
