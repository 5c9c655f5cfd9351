"""Robustness fixes found in review: each test failed before its fix.

A crashinfo section that cannot be read, a chain of hundreds of traps, negative sizes and table
counts read from a dump, hz of 0, a dump time past what a calendar holds, redirections that
cannot be written, a closed pipe, and files inside the crash directory.
"""

from __future__ import annotations

import io
import shutil
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from types import SimpleNamespace

import pytest
from construct import Container
from helpers import poke

from q4py.cli import main as q4_main
from q4py.errors import Q4Error, ReadError
from q4py.kernel.tables import table_size
from q4py.layouts.save_state import TRAP_TYPE_FIELD
from q4py.memory import KernelMemory
from q4py.program import Program
from q4py.render import load_sections
from q4py.render.general import format_dump_time
from q4py.shell import Session
from q4py.shell.paths import inside_crash_dir
from q4py.unwind import MAX_FRAMES, unwind_save_state

SEED = "hpux1100-32-kalloc-sysmap"
WIDE_1100 = "hpux1100-64-dpf-atq"  # a kthread table, pfdat in chunks, a 64-bit tv_sec
WIDE_11I = "hpux1111-64-spinlock-process-lock"  # kthread_list
REPO = Path(__file__).resolve().parent.parent


def broken_copy(forged_dump: Callable[[str], Path], name: str, tmp_path: Path,
                globals_: dict[str, bytes]) -> Path:
    """A copy of scenario `name`'s dump with the bytes of some globals overwritten (in the image
    file, at the physical address the equivalently mapped global sits at)."""
    dump = Path(shutil.copytree(forged_dump(name), tmp_path / f"{name}-broken"))
    prog = Program.open(dump)
    for where, data in globals_.items():
        symbol, _, member = where.partition(".")
        address = prog.symbol(symbol).address
        if member:
            address += prog.types.get(f"struct {symbol}").field(member).offset
        poke(dump, address, data)
    return dump




def run(dump: Path | Program, *lines: str) -> list[str]:
    prog = dump if isinstance(dump, Program) else Program.open(dump)
    out = io.StringIO()
    session = Session(prog, out)
    for line in lines:
        session.execute(line)
    return out.getvalue().split("\n")[:-1]


def no_internal_error(lines: list[str]) -> list[str]:
    assert not [line for line in lines if "internal error" in line]
    return lines


# -- 1. crashinfo goes on past a section it cannot read -------------------------------------------
def test_crashinfo_prints_every_other_section(forged_dump: Callable[[str], Path],
                                              tmp_path: Path) -> None:
    dump = broken_copy(forged_dump, SEED, tmp_path, {"msgbuf.msg_bufx": b"\xff" * 4})
    names = [s.name for s in load_sections()]
    assert "msgbuf" in names and names[-1] != "msgbuf"
    pristine = Program.open(forged_dump(SEED))
    header = pristine.types.get("struct msgbuf").size
    expected: list[str] = []
    for name in names:
        if name == "msgbuf":
            expected.append("crashinfo: msgbuf: msgbuf write index -1 is outside its "
                            f"{pristine.symbol('msgbuf').size - header}-byte buffer")
        else:  # a section with nothing to print says so when named; a full run leaves it out
            named = run(pristine, f"crashinfo --style plain {name}")
            if not named[0].startswith(f"crashinfo: {name}: nothing to print"):
                expected += named
    assert run(dump, "crashinfo --style plain") == expected


# -- unwinder: one loop, however many traps ------------------------------------------------------
class _TrapChain:
    """A fake Program whose stack is `depth` nested kernel traps: each handler frame (at
    `ss + FRAME`, an interrupt-marked function) holds the save_state of the next trap, the last
    one taken from user mode."""

    FRAME = 0x100
    HANDLER = 0x1000
    BASE = 0x40000000
    STEP = 0x400

    def __init__(self, depth: int) -> None:
        self.depth = depth
        self.wide = False
        self.handler = SimpleNamespace(interrupt_marker=True, frame_size_bytes=self.FRAME,
                                       save_rp=False)

    def unwind_for(self, pc: int) -> SimpleNamespace | None:
        return self.handler if pc == self.HANDLER else None

    def symbolize(self, pc: int) -> str | None:
        return "thandler+0x0" if pc == self.HANDLER else None

    def read_struct(self, name: str, address: int, space: int = 0) -> Container:
        index = (address - self.BASE) // self.STEP
        user = index >= self.depth
        regs = Container(ss_pcoq_head=0x4003 if user else self.HANDLER, ss_pcsq_head=space,
                         ss_sp=self.BASE + (index + 1) * self.STEP + self.FRAME, ss_rp=0,
                         ss_sr4=7, ss_sr5=7, ss_sr6=7, ss_sr7=7)
        return Container(ss_flags=0, ss_narrow=regs, ss_wide=regs, **{TRAP_TYPE_FIELD: 12})


def test_a_long_chain_of_traps_stops_at_the_frame_cap() -> None:
    """700 chained save_states: before the fix, `internal error: RecursionError`."""
    trace = unwind_save_state(_TrapChain(700), _TrapChain.BASE)  # type: ignore[arg-type]
    assert trace.problem == "too many frames"
    assert sum(len(s.frames) for s in trace.segments) == MAX_FRAMES
    # One frame per trap, then the segment the cap stopped before (as a walk always showed it).
    assert [len(s.frames) for s in trace.segments] == [1] * MAX_FRAMES + [0]


def test_a_long_chain_of_traps_is_walked_to_its_end(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("q4py.unwind.MAX_FRAMES", 5000)
    trace = unwind_save_state(_TrapChain(3000), _TrapChain.BASE)  # type: ignore[arg-type]
    assert trace.problem is None
    assert len(trace.segments) == 3000
    last = trace.segments[-1].trap
    assert last is not None and last.user_mode and last.pcoq == 0x4003
    assert [f.sp for f in trace.segments[1].frames] == [_TrapChain.BASE + 2 * _TrapChain.STEP
                                                        + _TrapChain.FRAME]


# -- 3. negative sizes and table counts ------------------------------------------------------------
@pytest.mark.parametrize("space", [0, 7])
def test_a_negative_read_size_is_a_read_error(space: int) -> None:
    memory = KernelMemory(SimpleNamespace(read=lambda pa, size: bytes(size)), wide=False)
    with pytest.raises(ReadError) as caught:
        memory.read(0x1000, -5, space)
    assert str(caught.value) == f"cannot read {space:#x}.0x1000: the size -5 is negative"


@pytest.mark.parametrize("value", [-1, -(1 << 31), 1 << 31, 1 << 40])
def test_table_size_refuses_what_no_table_has(value: int) -> None:
    prog = SimpleNamespace(read_global=lambda name: value)
    with pytest.raises(Q4Error, match=rf"^nmpinfo = {value} is not a table size$"):
        table_size(prog, "nmpinfo")  # type: ignore[arg-type]


def test_table_size_default_for_a_kernel_without_the_global() -> None:
    prog = SimpleNamespace(global_or=lambda name, default: default)
    assert table_size(prog, "nkthread", 0) == 0  # type: ignore[arg-type]


INT_MIN = (0x80000000).to_bytes(4, "big")  # a C int of 0x80000000 reads as -2147483648


@pytest.mark.parametrize(("scenario", "name", "section"), [
    (SEED, "nmpinfo", "processors"),
    (WIDE_1100, "nkthread", "threads"),  # the 11.00 thread table
    (WIDE_11I, "nkthread", "threads"),  # the 11i list: a negative limit showed no thread
    (WIDE_1100, "npfdat_chunks", "kmem"),
])
def test_a_garbled_table_size_is_named(forged_dump: Callable[[str], Path], tmp_path: Path,
                                       scenario: str, name: str, section: str) -> None:
    dump = broken_copy(forged_dump, scenario, tmp_path, {name: INT_MIN})
    lines = no_internal_error(run(dump, f"crashinfo {section}"))
    assert lines == [f"crashinfo: {section}: {name} = -2147483648 is not a table size"]


# -- 4. hz of 0, a dump time past any calendar -----------------------------------------------------
def test_hz_of_zero_prints_n_a(forged_dump: Callable[[str], Path], tmp_path: Path) -> None:
    dump = broken_copy(forged_dump, SEED, tmp_path, {"hz": bytes(4)})
    lines = no_internal_error(run(dump, "crashinfo --style notes clock", "crashinfo threads",
                                  "crashinfo general"))
    rows = [line for line in lines if line[:1].isdigit() and " PANIC " in line]
    # The delta column (after the two timers, 32-bit wide on this narrow kernel) says n/a.
    assert rows and all(line[36:46] == "       n/a" for line in rows), rows
    assert not [line for line in lines if line.startswith(("WARNING", "crashinfo:"))]


@pytest.mark.parametrize("epoch", [(1 << 63) - 1, -(1 << 63)])
def test_a_dump_time_past_any_calendar_prints_the_seconds(epoch: int) -> None:
    assert format_dump_time(epoch, 480) == f"{epoch} (seconds since the epoch, not a date) UTC-8"


def test_a_huge_tv_sec_through_crashinfo(forged_dump: Callable[[str], Path],
                                         tmp_path: Path) -> None:
    dump = broken_copy(forged_dump, WIDE_1100, tmp_path,
                       {"time": ((1 << 63) - 1).to_bytes(8, "big")})
    lines = no_internal_error(run(dump, "crashinfo general"))
    [dump_time] = [line for line in lines if line.startswith("Dump time ")]
    assert dump_time.startswith(f"Dump time {(1 << 63) - 1} (seconds since the epoch, not a "
                                "date) UTC")


# -- 5. redirection --------------------------------------------------------------------------------
@pytest.fixture
def seed(forged_dump: Callable[[str], Path]) -> Path:
    return forged_dump(SEED)


@pytest.fixture
def in_tmp(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.chdir(tmp_path)
    return tmp_path


@pytest.mark.skipif(not Path("/dev/full").exists(), reason="needs /dev/full")
def test_a_file_that_cannot_be_written_is_one_line(seed: Path) -> None:
    assert run(seed, "help > /dev/full") == [
        "q4: cannot write /dev/full: No space left on device"]
    assert run(seed, "crashinfo >> /dev/full", "x 1") == [
        "q4: cannot write /dev/full: No space left on device", "0x1"]


def test_a_failing_command_leaves_the_file_alone(seed: Path, in_tmp: Path) -> None:
    (in_tmp / "keep.txt").write_text("precious\n")
    lines = run(seed, "include > keep.txt", "crashinfo nosuch > keep.txt",
                "print > keep.txt")
    assert len(lines) == 3 and all(line.startswith("q4: ") for line in lines), lines
    assert (in_tmp / "keep.txt").read_text() == "precious\n"
    assert run(seed, "include > new.txt") == ["q4: usage: include FILE"]
    assert not (in_tmp / "new.txt").exists()


def test_a_command_with_no_output_still_creates_the_file(seed: Path, in_tmp: Path) -> None:
    (in_tmp / "empty.q4").write_text("# nothing\n")
    (in_tmp / "old.txt").write_text("old\n")
    assert run(seed, "include empty.q4 > old.txt") == []
    assert (in_tmp / "old.txt").read_text() == ""


def test_two_redirections_are_refused(seed: Path, in_tmp: Path) -> None:
    (in_tmp / "b").write_text("b stays\n")
    assert run(seed, "help > a > b") == [
        "q4: one output file a command: '> a' and '> b' (drop one)"]
    assert (in_tmp / "b").read_text() == "b stays\n"
    assert not (in_tmp / "a").exists()
    # An expression command's `>` is still its comparison.
    assert run(seed, "x 2 > 1 > ./cmp.txt") == []
    assert (in_tmp / "cmp.txt").read_text() == "0x1\n"


@pytest.mark.parametrize("target", ["sub", "sub/", "missing/"])
def test_a_directory_is_not_a_file(seed: Path, in_tmp: Path, target: str) -> None:
    (in_tmp / "sub").mkdir()
    [line] = run(seed, f"help > {target}")
    if target.endswith("/"):
        assert line == f"q4: cannot write {target}: it names a directory (name a file in it)"
    else:
        assert line == f"q4: cannot write {target}: it is a directory (name a file in it)"
    assert sorted(p.name for p in in_tmp.iterdir()) == ["sub"]
    assert list((in_tmp / "sub").iterdir()) == []


# -- 6. a closed pipe ----------------------------------------------------------------------------
def test_a_closed_pipe_ends_the_run_quietly(seed: Path, tmp_path: Path) -> None:
    batch = tmp_path / "batch.q4"
    batch.write_text("crashinfo\nhelp\n" * 3)
    child = subprocess.Popen(
        [sys.executable, "-m", "q4py.cli", "-f", str(batch), str(seed)], cwd=REPO,
        stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    assert child.stdout is not None and child.stderr is not None
    child.stdout.close()  # `| head -0`: every write from now on meets a pipe without a reader
    err = child.stderr.read().decode()
    assert child.wait(timeout=120) == 141
    assert err == ""


# -- 7. one check for "inside the crash directory" -----------------------------------------------
def test_inside_crash_dir_resolves_symlinks(seed: Path, tmp_path: Path) -> None:
    prog = SimpleNamespace(path=seed)
    assert inside_crash_dir(prog, seed / "INDEX")
    assert inside_crash_dir(prog, seed / "new-file")
    assert inside_crash_dir(prog, seed)
    assert not inside_crash_dir(prog, tmp_path / "x")
    assert not inside_crash_dir(SimpleNamespace(), seed / "INDEX")
    (tmp_path / "to-index").symlink_to(seed / "INDEX")
    (tmp_path / "to-dump").symlink_to(seed)
    assert inside_crash_dir(prog, tmp_path / "to-index")
    assert inside_crash_dir(prog, tmp_path / "to-dump" / "notes.txt")
    linked = SimpleNamespace(path=tmp_path / "to-dump")  # the dump opened through a link
    assert inside_crash_dir(linked, seed / "INDEX")


@pytest.fixture
def private_dump(forged_dump: Callable[[str], Path], tmp_path: Path) -> Path:
    return Path(shutil.copytree(forged_dump(SEED), tmp_path / "crash"))


def test_record_into_the_crash_directory_is_refused(private_dump: Path, tmp_path: Path,
                                                    capsys: pytest.CaptureFixture[str]) -> None:
    index = private_dump / "INDEX"
    before = index.read_bytes()
    batch = tmp_path / "batch.q4"
    batch.write_text("help\n")
    (tmp_path / "link").symlink_to(private_dump)
    for target in (index, tmp_path / "link" / "INDEX", private_dump / "new.q4t"):
        assert q4_main(["--record", str(target), "-f", str(batch), str(private_dump)]) == 2
        captured = capsys.readouterr()
        assert captured.out == ""
        assert captured.err == (f"q4: refusing to record to {target}: it is inside the crash "
                                f"directory {private_dump} (a dump is never written to)\n")
    assert index.read_bytes() == before
    assert not (private_dump / "new.q4t").exists()


def test_redirect_include_and_run_refuse_the_crash_directory_through_links(
        private_dump: Path, tmp_path: Path) -> None:
    (private_dump / "evil.q4").write_text("x 1\n")
    (private_dump / "Evil.py").write_text("def run(q4, args):\n    print('ran')\n")
    (tmp_path / "link").symlink_to(private_dump)
    (tmp_path / "notes.txt").symlink_to(private_dump / "notes.txt")
    lines = run(private_dump, f"help > {tmp_path / 'notes.txt'}",
                f"include {tmp_path / 'link' / 'evil.q4'}",
                f"run {tmp_path / 'link' / 'Evil.py'}")
    assert len(lines) == 3, lines
    assert lines[0].startswith(f"q4: refusing to write {tmp_path / 'notes.txt'}: it is inside "
                               "the crash directory")
    assert lines[1].startswith("q4: include: refusing ") and "inside the crash" in lines[1]
    assert lines[2].startswith("q4: run: refusing to load ") and "inside the crash" in lines[2]
    assert not (private_dump / "notes.txt").exists()
