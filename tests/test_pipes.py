"""Shell pipes (`CMD | PIPELINE`), escapes (`!COMMAND`) and `q4 -c`, on the seed dump."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from helpers import Shell

from q4py.cli import main
from q4py.program import Program
from q4py.shell.batch import split_commands
from q4py.shell.pipes import split_pipeline

SEED = "hpux1100-32-kalloc-sysmap"


@pytest.fixture(scope="module")
def prog(forged_dump: Callable[[str], Path]) -> Program:
    return Program.open(forged_dump(SEED))


@pytest.fixture
def shell(prog: Program, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Shell:
    monkeypatch.chdir(tmp_path)
    return Shell(prog)


@pytest.mark.parametrize(("line", "expected"), [
    ("crashinfo | grep Panic", ("crashinfo", "grep Panic")),
    ("help | sort | head -2", ("help", "sort | head -2")),
    ("keep (pf_flags | 4) == 4", ("keep (pf_flags | 4) == 4", None)),
    ("keep pf_flags|4", ("keep pf_flags|4", None)),
    ('print "a | b"', ('print "a | b"', None)),
    ("help |", ("help", "")),
])
def test_split_pipeline(line: str, expected: tuple[str, str | None]) -> None:
    assert split_pipeline(line) == expected


def test_pipe_feeds_the_output_to_the_shell(shell: Shell) -> None:
    full = shell.run("help")
    assert shell.run("help | wc -l") == [str(len(full))]
    assert shell.run("help | grep -c crashinfo") == [str(sum("crashinfo" in x for x in full))]


def test_pipe_that_stops_reading_early_ends_quietly(shell: Shell) -> None:
    assert shell.run("help | head -1") == shell.run("help")[:1]
    assert shell.session.execute("help | true")


def test_pipe_with_a_shell_redirection(shell: Shell, tmp_path: Path) -> None:
    assert shell.run("help | head -2 > out.txt") == []
    assert (tmp_path / "out.txt").read_text().splitlines() == shell.run("help")[:2]


def test_error_line_stays_out_of_the_pipe(shell: Shell) -> None:
    # The pipeline still runs (on no input), as in a shell; the error line comes after it.
    assert shell.run("nosuch | wc -l") == [
        "0", "q4: unknown command 'nosuch' (type 'help' for the list)"]


def test_pipe_and_escape_errors_are_one_line(shell: Shell) -> None:
    assert shell.run("help |") == [
        "q4: '|' needs a shell command after it (e.g. 'crashinfo | grep Panic')"]
    assert shell.run("!") == ["q4: '!' needs a shell command after it (e.g. '!ls')"]
    assert shell.run("help | no-such-program-q4py") == [
        "q4: shell: 'no-such-program-q4py': not found (exit status 127)"]
    assert shell.run("help | a\x00b") == ["q4: shell: 'a\\x00b' holds a NUL byte"]
    assert shell.run("!a\x00b") == ["q4: shell: 'a\\x00b' holds a NUL byte"]
    assert shell.run("help") != []  # the session goes on


def test_shell_escape(shell: Shell) -> None:
    assert shell.run("!echo one two") == ["one two"]
    assert shell.run("!  printf 'a\\nb\\n'") == ["a", "b"]
    assert shell.session.execute("!false")  # a status other than 126/127 is the shell's


def test_split_commands() -> None:
    assert split_commands("help; symbol freemem ;;") == ["help", "symbol freemem"]
    assert split_commands("print 'a;b'; help") == ["print 'a;b'", "help"]


def test_q4_dash_c(forged_dump: Callable[[str], Path], capsys: pytest.CaptureFixture[str]) -> None:
    status = main(["-c", "help | head -1; symbol freemem; bogus", str(forged_dump(SEED))])
    lines = capsys.readouterr().out.splitlines()
    assert lines[0] == "commands:"
    assert lines[1].startswith("freemem ")
    assert lines[2] == "q4: unknown command 'bogus' (type 'help' for the list)"
    assert status == 1
