"""Output redirection (`CMD > FILE`, `CMD >> FILE`) and `include FILE`, on the seed dump.

The rule tested both ways: a line ending in an unquoted `>`/`>>` word and one more word
redirects, except for the commands whose arguments are expressions, where that ending is the
comparison (or shift) unless the file word holds a `/`.
"""

from __future__ import annotations

import shutil
from collections.abc import Callable
from pathlib import Path
from types import SimpleNamespace

import pytest
from helpers import Shell

from q4py.commands.include import MAX_DEPTH
from q4py.program import Program

SEED = "hpux1100-32-kalloc-sysmap"


@pytest.fixture(scope="module")
def prog(forged_dump: Callable[[str], Path]) -> Program:
    return Program.open(forged_dump(SEED))


@pytest.fixture(autouse=True)
def in_tmp(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Every test runs in its own empty directory, so relative names land there."""
    monkeypatch.chdir(tmp_path)
    return tmp_path


@pytest.fixture
def shell(prog: Program) -> Shell:
    return Shell(prog)


# -- redirection ---------------------------------------------------------------------------------
def test_redirect_writes_the_file_and_nothing_else(shell: Shell, in_tmp: Path) -> None:
    expected = shell.run("examine &nproc using D")
    assert shell.run("examine &nproc using D > ./nproc.txt") == []
    assert (in_tmp / "nproc.txt").read_text() == "\n".join(expected) + "\n"
    assert shell.run("help exit > help.txt") == []
    assert (in_tmp / "help.txt").read_text().startswith("usage: exit\n")


def test_append(shell: Shell, in_tmp: Path) -> None:
    shell.run("load struct proc from proc max 2")
    shell.run("history > piles.txt")
    shell.run("history >> piles.txt")
    once = shell.run("history")
    assert (in_tmp / "piles.txt").read_text().split("\n")[:-1] == once + once
    shell.run("history > piles.txt")  # `>` truncates
    assert (in_tmp / "piles.txt").read_text().split("\n")[:-1] == once


def test_expression_commands_compare(shell: Shell, in_tmp: Path) -> None:
    shell.run("load struct proc from proc max nproc")
    kept = shell.run("keep p_pid > 5")
    assert kept[0].startswith("kept ") and "of 1024 struct procs" in kept[0]
    assert shell.run("x 1 > 0") == ["0x1"]
    assert shell.run("Let -d 16 >> 2") == ["4"]
    assert shell.run("x nproc > nproc") == ["0x0"]  # a symbol, not a file called nproc
    assert list(in_tmp.iterdir()) == []  # no file `5`, `0`, `2` or `nproc` appeared


def test_expression_commands_redirect_to_a_path(shell: Shell, in_tmp: Path) -> None:
    shell.run("load struct proc from proc max nproc")
    assert shell.run("keep p_pid > 3000 > ./kept.txt") == []
    message = (in_tmp / "kept.txt").read_text()
    assert message.startswith("kept ") and "discarded" in message
    assert shell.session.piles.current.command == "keep p_pid > 3000"
    assert shell.run('keep "p_pid > 4000" > ./kept2.txt') == []
    assert (in_tmp / "kept2.txt").read_text().startswith("kept ")


def test_other_commands_take_any_file_name(shell: Shell, in_tmp: Path) -> None:
    shell.run("load struct proc from proc max 3")
    assert shell.run("print p_pid > 5") == []
    assert (in_tmp / "5").read_text().split("\n")[0].strip() == "p_pid"


def test_quoted_and_attached_forms_do_not_redirect(shell: Shell, in_tmp: Path) -> None:
    assert shell.run('help exit > "my help.txt"') == []
    assert (in_tmp / "my help.txt").read_text().startswith("usage: exit")
    lines = shell.run("help exit >out.txt")  # `>` must be a word of its own
    assert len(lines) == 1 and lines[0].startswith("q4: ")
    assert not (in_tmp / "out.txt").exists()
    assert shell.run('x "3 > 2"') == ["0x1"]


def test_errors_stay_on_the_session_output(shell: Shell, in_tmp: Path) -> None:
    lines = shell.run("print nosuch > out.txt")
    assert len(lines) == 1 and lines[0].startswith("q4: ")
    assert not (in_tmp / "out.txt").exists()  # opened at the first output: there was none
    lines = shell.run("history > /nonexistent-dir/x.txt")
    assert lines == ["q4: cannot write /nonexistent-dir/x.txt: No such file or directory"]
    assert shell.run("> out.txt") == [
        "q4: '>' needs a command before it (e.g. 'history > piles.txt')"]
    assert shell.run('history > ""') == ["q4: '>' needs a file name"]


def test_the_crash_directory_is_never_written(shell: Shell, prog: Program) -> None:
    target = prog.path / "notes.txt"
    lines = shell.run(f"history > {target}")
    assert len(lines) == 1 and "inside the crash directory" in lines[0]
    assert not target.exists()


# -- include -------------------------------------------------------------------------------------
def test_include_runs_and_echoes(shell: Shell, in_tmp: Path) -> None:
    (in_tmp / "cmds.q4").write_text(
        "# a comment\n\nexamine &nproc using D\nq4> symbol panicstr\n   x 1+1\n")
    lines = shell.run("include cmds.q4")
    assert lines == (["q4> examine &nproc using D"] + shell.run("examine &nproc using D")
                     + ["q4> symbol panicstr"] + shell.run("symbol panicstr")
                     + ["q4> x 1+1", "0x2"])


def test_include_reports_failures_and_goes_on(shell: Shell, in_tmp: Path) -> None:
    (in_tmp / "bad.q4").write_text("x 1 +\nbogus\nx 2\n")
    lines = shell.run("include bad.q4")
    assert lines[0] == "q4> x 1 +"
    assert lines[1].startswith("q4: x: expression")
    assert lines[2] == "q4> bogus"
    assert lines[3].startswith("q4: unknown command 'bogus'")
    assert lines[4:6] == ["q4> x 2", "0x2"]
    assert lines[6] == "q4: include: 2 of 3 commands in bad.q4 failed"
    assert shell.session.execute("include bad.q4") is False


def test_an_include_loop_is_one_error_line_naming_it(shell: Shell, in_tmp: Path) -> None:
    (in_tmp / "self.q4").write_text("x 1\ninclude self.q4\n")
    assert shell.run("include self.q4") == [
        "q4> x 1", "0x1", "q4> include self.q4",
        "q4: include: self.q4: files include each other in a loop (self.q4 -> self.q4)"]
    (in_tmp / "a.q4").write_text("include b.q4\nx 2\n")
    (in_tmp / "b.q4").write_text("include a.q4\n")
    (in_tmp / "top.q4").write_text("include a.q4\n")
    lines = shell.run("include top.q4")
    assert [line for line in lines if line.startswith("q4: ")] == [
        "q4: include: a.q4: files include each other in a loop (a.q4 -> b.q4 -> a.q4)"]
    assert shell.session.execute("include top.q4") is False
    assert shell.session.include_depth == 0 and shell.session.include_files == []
    assert shell.run("x 3") == ["0x3"]  # the session goes on


def test_nested_includes_are_bounded(shell: Shell, in_tmp: Path) -> None:
    # Distinct files, one including the next: the depth bound, not a loop.
    for n in range(MAX_DEPTH + 1):
        (in_tmp / f"f{n}.q4").write_text(f"include f{n + 1}.q4\n")
    lines = shell.run("include f0.q4")
    deep = [line for line in lines if "levels deep" in line]
    assert deep == [f"q4: include: f{MAX_DEPTH}.q4: files include each other more than "
                    f"{MAX_DEPTH} levels deep (does a file include itself?)"]
    assert shell.session.include_depth == 0


def test_include_exit_stops(shell: Shell, in_tmp: Path) -> None:
    (in_tmp / "stop.q4").write_text("x 1\nexit\nx 2\n")
    assert shell.run("include stop.q4") == ["q4> x 1", "0x1", "q4> exit"]
    assert shell.session.stopped


def test_include_redirected(shell: Shell, in_tmp: Path) -> None:
    (in_tmp / "one.q4").write_text("x 7\n")
    assert shell.run("include one.q4 > ./out.txt") == []
    assert (in_tmp / "out.txt").read_text() == "q4> x 7\n0x7\n"


@pytest.mark.parametrize(("setup", "line", "message"), [
    (None, "include", "usage: include FILE"),
    (None, "include a b", "usage: include FILE"),
    (None, "include missing.q4", "include: no file missing.q4"),
    ("dir", "include sub", "include: sub is a directory"),
    ("binary", "include bin.q4", "include: bin.q4 is not a text file"),
])
def test_include_errors(shell: Shell, in_tmp: Path, setup: str | None, line: str,
                        message: str) -> None:
    if setup == "dir":
        (in_tmp / "sub").mkdir()
    if setup == "binary":
        (in_tmp / "bin.q4").write_bytes(b"\xff\xfe\x00x")
    lines = shell.run(line)
    assert len(lines) == 1, lines
    assert lines[0].startswith("q4: ") and message in lines[0], lines


def test_include_refuses_files_in_the_crash_directory(tmp_path: Path,
                                                      forged_dump: Callable[[str], Path]) -> None:
    crash = tmp_path / "crash"
    shutil.copytree(forged_dump(SEED), crash)
    (crash / "evil.q4").write_text("x 1\n")
    shell = Shell(SimpleNamespace(path=crash))
    lines = shell.run(f"include {crash / 'evil.q4'}")
    assert len(lines) == 1 and "inside the crash directory" in lines[0]
    assert "q4> x 1" not in lines
