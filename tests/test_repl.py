"""The interactive REPL, driven through a prompt_toolkit pipe input and a DummyOutput.

Commands are fakes in a private registry and the program is a stand-in, so no dump is needed.
Keys are sent as a terminal would: `\\r` is Enter, `\\x03` Ctrl-C, `\\x04` Ctrl-D. Every test
ends its input with Ctrl-D (or `exit`), so `run_repl` returns.
"""

from __future__ import annotations

import io
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from prompt_toolkit.input import create_pipe_input
from prompt_toolkit.input.base import PipeInput
from prompt_toolkit.lexers import PygmentsLexer
from prompt_toolkit.output import DummyOutput

from q4py.cachedir import user_state_dir
from q4py.commands import Registry, lookup
from q4py.errors import CommandError
from q4py.shell import repl
from q4py.shell.completion import Q4Completer
from q4py.shell.repl import (
    StatusLine,
    build_prompt_session,
    history_path,
    run_repl,
    want_colour,
)
from q4py.shell.session import Session, no_progress


class FakeProgram:
    path = None


class TtyStringIO(io.StringIO):
    def isatty(self) -> bool:
        return True


@pytest.fixture(autouse=True)
def state(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Every REPL test keeps its history in its own state directory, never the user's."""
    d = tmp_path / "state"
    monkeypatch.setenv("Q4PY_STATE_DIR", str(d))
    monkeypatch.delenv("NO_COLOR", raising=False)
    return d


@pytest.fixture
def registry() -> Registry:
    import q4py.commands.help  # noqa: F401  (registers exit/quit in the global registry)

    reg = Registry()
    cmd = lookup("exit")
    assert cmd is not None
    reg.add(cmd)

    @reg.command("echo", usage="echo [WORD...]", summary="print the words")
    def echo(session: Session, args: list[str]) -> None:
        print(" ".join(args), file=session.out)

    @reg.command("fail", usage="fail", summary="always fails")
    def fail(session: Session, args: list[str]) -> None:
        raise CommandError("fail: it failed")

    @reg.command("spin", usage="spin", summary="interrupted by Ctrl-C")
    def spin(session: Session, args: list[str]) -> None:
        print("started", file=session.out)
        raise KeyboardInterrupt  # what Ctrl-C does to a long-running command

    @reg.command("work", usage="work", summary="reports progress")
    def work(session: Session, args: list[str]) -> None:
        for done in range(1, 5):
            session.progress(done, 4, "load")
        print("worked", file=session.out)

    return reg


@pytest.fixture
def session(registry: Registry) -> Session:
    return Session(FakeProgram(), io.StringIO(), commands=registry)


@pytest.fixture
def pipe() -> Iterator[PipeInput]:
    with create_pipe_input() as inp:
        yield inp


def drive(session: Session, pipe: PipeInput, keys: str) -> str:
    pipe.send_text(keys)
    run_repl(session, input=pipe, output=DummyOutput())
    assert isinstance(session.out, io.StringIO)
    return session.out.getvalue()


def test_a_command_runs_and_prints_to_the_session_output(
    session: Session, pipe: PipeInput
) -> None:
    assert drive(session, pipe, "echo hello   world\r\x04") == "hello world\n"


def test_a_failing_command_leaves_the_repl_running(session: Session, pipe: PipeInput) -> None:
    out = drive(session, pipe, "fail\rnosuch\recho still here\r\x04")
    assert out.splitlines() == [
        "q4: fail: it failed",
        "q4: unknown command 'nosuch' (type 'help' for the list)",
        "still here",
    ]


def test_ctrl_c_at_the_prompt_clears_the_line(session: Session, pipe: PipeInput) -> None:
    assert drive(session, pipe, "echo dropped\x03echo kept\r\x04") == "kept\n"


def test_ctrl_c_during_a_command_returns_to_the_prompt(
    session: Session, pipe: PipeInput
) -> None:
    out = drive(session, pipe, "spin\recho after\r\x04")
    assert out.splitlines() == ["started", "q4: interrupted", "after"]


def test_ctrl_d_leaves(session: Session, pipe: PipeInput) -> None:
    assert drive(session, pipe, "\x04echo never\r") == ""


def test_ctrl_d_on_a_line_with_text_does_not_leave(session: Session, pipe: PipeInput) -> None:
    # Like a shell: Ctrl-D deletes the character under the cursor when the line is not empty.
    assert drive(session, pipe, "echo ab\x1b[D\x04\r\x04") == "a\n"


@pytest.mark.parametrize("word", ["exit", "quit"])
def test_exit_and_quit_leave(session: Session, pipe: PipeInput, word: str) -> None:
    assert drive(session, pipe, f"echo one\r{word}\recho never\r\x04") == "one\n"
    assert session.stopped


def test_exit_leaves_even_without_an_exit_command(pipe: PipeInput) -> None:
    session = Session(FakeProgram(), io.StringIO(), commands=Registry())
    out = drive(session, pipe, "quit\rother\r\x04")
    assert "other" not in out and out.count("\n") == 1  # only quit's own "unknown command"


def test_blank_lines_are_skipped(session: Session, pipe: PipeInput, state: Path) -> None:
    assert drive(session, pipe, "\r   \recho x\r\x04") == "x\n"


def test_history_is_written_to_the_state_dir(
    session: Session, pipe: PipeInput, state: Path
) -> None:
    drive(session, pipe, "echo first\recho second\r\x04")
    assert history_path() == state / "history"
    lines = (state / "history").read_text().splitlines()
    assert [line for line in lines if line.startswith("+")] == ["+echo first", "+echo second"]


def test_history_is_recalled_in_the_next_session(
    registry: Registry, state: Path
) -> None:
    first = Session(FakeProgram(), io.StringIO(), commands=registry)
    with create_pipe_input() as pipe:
        drive(first, pipe, "echo from before\r\x04")
    second = Session(FakeProgram(), io.StringIO(), commands=registry)
    with create_pipe_input() as pipe:
        # Up arrow brings back the last line of the earlier session.
        assert drive(second, pipe, "\x1b[A\r\x04") == "from before\n"


def test_history_falls_back_to_memory_when_the_state_dir_cannot_be_made(
    session: Session, pipe: PipeInput, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("")
    monkeypatch.setenv("Q4PY_STATE_DIR", str(blocker / "state"))  # under a plain file
    assert drive(session, pipe, "echo ok\r\x04") == "ok\n"


def test_state_dir_precedence(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("Q4PY_STATE_DIR", str(tmp_path / "explicit"))
    monkeypatch.setenv("XDG_STATE_HOME", str(tmp_path / "xdg"))
    assert user_state_dir() == tmp_path / "explicit"
    monkeypatch.delenv("Q4PY_STATE_DIR")
    assert user_state_dir() == tmp_path / "xdg" / "q4py"
    monkeypatch.setenv("XDG_STATE_HOME", "relative/path")  # ignored, as the XDG spec says
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    assert user_state_dir() == tmp_path / "home" / ".local" / "state" / "q4py"


def test_colour_only_on_a_terminal_and_never_with_no_color(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    assert want_colour(TtyStringIO())
    assert not want_colour(io.StringIO())
    monkeypatch.setenv("NO_COLOR", "1")
    assert not want_colour(TtyStringIO())
    monkeypatch.setenv("NO_COLOR", "")  # no-color.org: an empty value does not count
    assert want_colour(TtyStringIO())


def test_no_color_disables_the_lexer(
    session: Session, pipe: PipeInput, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(sys, "stdout", TtyStringIO())
    coloured = build_prompt_session(session, input=pipe, output=DummyOutput())
    assert isinstance(coloured.lexer.get_lexer(), PygmentsLexer)  # type: ignore[union-attr]
    monkeypatch.setenv("NO_COLOR", "1")
    plain = build_prompt_session(session, input=pipe, output=DummyOutput())
    assert plain.lexer is None
    assert isinstance(plain.completer, Q4Completer)  # completion stays


def test_theme_picks_the_highlighting(
    session: Session, pipe: PipeInput, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(sys, "stdout", TtyStringIO())
    prompt = build_prompt_session(session, input=pipe, output=DummyOutput())
    dark = prompt.style.get_attrs_for_style_str("class:pygments.name.builtin")
    session.settings.change("theme", "light")
    light = prompt.style.get_attrs_for_style_str("class:pygments.name.builtin")
    assert (dark.color, light.color) == ("ansibrightcyan", "ansiblue")
    session.settings.change("theme", "none")
    assert prompt.lexer.get_lexer() is None  # type: ignore[union-attr]


def test_no_lexer_when_stdout_is_not_a_terminal(session: Session, pipe: PipeInput) -> None:
    assert build_prompt_session(session, input=pipe, output=DummyOutput()).lexer is None


def test_batch_progress_is_a_no_op(session: Session) -> None:
    assert session.progress is no_progress
    session.execute("work")
    assert session.out.getvalue() == "worked\n"  # type: ignore[attr-defined]


def test_progress_is_a_status_line_on_a_terminal_stderr(
    session: Session, pipe: PipeInput, monkeypatch: pytest.MonkeyPatch
) -> None:
    err = TtyStringIO()
    monkeypatch.setattr(sys, "stderr", err)
    monkeypatch.setattr(repl, "PROGRESS_DELAY", 0.0)
    assert drive(session, pipe, "work\r\x04") == "worked\n"
    status = err.getvalue()
    assert status.startswith("\rload: 1/4 (25%)\x1b[K")
    assert status.endswith("\r\x1b[K")  # erased before the command printed
    assert session.progress is no_progress  # restored when the REPL ends
    assert isinstance(session.out, io.StringIO)


def test_no_progress_when_stderr_is_not_a_terminal(
    session: Session, pipe: PipeInput, monkeypatch: pytest.MonkeyPatch
) -> None:
    err = io.StringIO()
    monkeypatch.setattr(sys, "stderr", err)
    monkeypatch.setattr(repl, "PROGRESS_DELAY", 0.0)
    assert drive(session, pipe, "work\r\x04") == "worked\n"
    assert err.getvalue() == ""


def test_status_line_formats_and_clears() -> None:
    err = io.StringIO()
    status = StatusLine(err, delay=0.0, rate=1e9)
    status(3, None, "walking")
    status(1, 3, "load")
    status.clear()
    status.clear()  # nothing shown: nothing to erase
    assert err.getvalue() == "\rwalking: 3\x1b[K\rload: 1/3 (33%)\x1b[K\r\x1b[K"


def test_status_line_waits_before_showing() -> None:
    err = io.StringIO()
    status = StatusLine(err, delay=3600.0)
    status(1, 2, "load")
    status.clear()
    assert err.getvalue() == ""
