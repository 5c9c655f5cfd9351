"""The interactive q4 prompt: prompt_toolkit with history, completion and highlighting.

`run_repl(session)` reads commands at `q4> ` until Ctrl-D, `exit` or `quit`:

- history persists in `history` under the per-user state directory
  (`q4py.cachedir.user_state_dir()`), and
  suggestions from it show as greyed text (accept with the right arrow);
- Tab completes commands, flags, types, fields, symbols, scripts and paths (`Q4Completer`);
- input is highlighted with `Q4Lexer`, in colour only on a terminal and never with `NO_COLOR`;
- Ctrl-C at the prompt drops the line; Ctrl-C while a command runs stops it and prints
  `q4: interrupted`; a failing command prints its one line and the prompt comes back;
- long commands report progress through `session.progress(done, total, what)`; here that is a
  status line on stderr, shown only when stderr is a terminal and the command has run for a
  moment, and erased before the command prints anything or ends.

Batch runs (`-f`, stdin not a terminal) never come here: see q4py/shell/batch.py.
"""

from __future__ import annotations

import os
import shutil
import sys
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any, TextIO

from prompt_toolkit import PromptSession
from prompt_toolkit.auto_suggest import AutoSuggestFromHistory
from prompt_toolkit.history import FileHistory, History, InMemoryHistory
from prompt_toolkit.input import Input
from prompt_toolkit.lexers import DynamicLexer, PygmentsLexer
from prompt_toolkit.output import ColorDepth, Output
from prompt_toolkit.styles import DynamicStyle

from q4py.cachedir import user_state_dir
from q4py.shell.completion import Q4Completer
from q4py.shell.lexers import Q4Lexer
from q4py.shell.pipes import split_pipeline
from q4py.shell.terminal import pager_command, run_paged, theme_style

if TYPE_CHECKING:
    from q4py.shell.record import Recorder
    from q4py.shell.session import Session

__all__ = [
    "PROMPT",
    "StatusLine",
    "build_prompt_session",
    "history_path",
    "run_repl",
    "want_colour",
]

PROMPT = "q4> "
PROGRESS_DELAY = 0.3  # seconds a command runs before its progress shows
_LEAVE = ("exit", "quit")


def history_path() -> Path:
    return user_state_dir() / "history"


def want_terminal(stream: Any) -> bool:
    """True when `stream` is a terminal."""
    isatty = getattr(stream, "isatty", None)
    try:
        return bool(isatty()) if callable(isatty) else False
    except (OSError, ValueError):  # a closed or detached stream
        return False


def want_colour(stream: Any = None) -> bool:
    """Colour only on a terminal, and never when `NO_COLOR` is set (https://no-color.org)."""
    if os.environ.get("NO_COLOR"):
        return False
    return want_terminal(sys.stdout if stream is None else stream)


def _history() -> History:
    """The persistent history, or one in memory when the state directory cannot be made."""
    path = history_path()
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.touch(exist_ok=True)
    except OSError:
        return InMemoryHistory()
    return FileHistory(str(path))


def build_prompt_session(
    session: Session,
    *,
    input: Input | None = None,
    output: Output | None = None,
    colour: bool | None = None,
    history: History | None = None,
) -> PromptSession[str]:
    """The prompt_toolkit session of the REPL; `colour` None decides from stdout and NO_COLOR.
    With colour, the session's `theme` setting picks the highlighting (`none`: none)."""
    if colour is None:
        colour = want_colour()
    lexer = PygmentsLexer(Q4Lexer)

    def current_lexer() -> PygmentsLexer | None:
        return lexer if session.settings["theme"] != "none" else None

    return PromptSession(
        PROMPT,
        input=input,
        output=output,
        history=history if history is not None else _history(),
        auto_suggest=AutoSuggestFromHistory(),
        completer=Q4Completer(session),
        complete_in_thread=True,  # a big symbol table must not stall typing
        complete_while_typing=False,  # Tab asks; the line stays quiet otherwise
        lexer=DynamicLexer(current_lexer) if colour else None,
        style=DynamicStyle(lambda: theme_style(str(session.settings["theme"]))),
        include_default_pygments_style=False,
        color_depth=None if colour else ColorDepth.DEPTH_1_BIT,
        enable_history_search=False,
    )


class StatusLine:
    """`session.progress` in the REPL: `what: done/total (N%)` on one line of `stream`.

    Silent for the first `delay` seconds of a command (quick commands never flash a status
    line) and at most `rate` updates a second; `clear()` erases it.
    """

    def __init__(self, stream: TextIO, *, delay: float = 0.3, rate: float = 10.0) -> None:
        self.stream = stream
        self.delay = delay
        self.interval = 1.0 / rate
        self.shown = False
        self._started = time.monotonic()
        self._last = 0.0

    def start(self) -> None:
        """A command begins: restart the delay."""
        self._started = time.monotonic()
        self._last = 0.0

    def __call__(self, done: int, total: int | None, what: str) -> None:
        now = time.monotonic()
        if now - self._started < self.delay or now - self._last < self.interval:
            return
        self._last = now
        if total:
            text = f"{what}: {done}/{total} ({100 * done // total}%)"
        else:
            text = f"{what}: {done}"
        width = max(shutil.get_terminal_size().columns - 1, 10)
        self.stream.write("\r" + text[:width] + "\x1b[K")
        self.stream.flush()
        self.shown = True

    def clear(self) -> None:
        if self.shown:
            self.stream.write("\r\x1b[K")
            self.stream.flush()
            self.shown = False


class _ClearingOut:
    """The session's output while a status line may be showing: erase it before writing, so
    output never lands after the status text on the same terminal line."""

    def __init__(self, out: TextIO, status: StatusLine) -> None:
        self._out = out
        self._status = status

    def write(self, text: str) -> int:
        self._status.clear()
        return self._out.write(text)

    def flush(self) -> None:
        self._out.flush()

    def __getattr__(self, name: str) -> Any:
        return getattr(self._out, name)


def _status_for(stream: TextIO) -> StatusLine | None:
    return StatusLine(stream, delay=PROGRESS_DELAY) if want_terminal(stream) else None


def run_repl(
    session: Session,
    *,
    input: Input | None = None,
    output: Output | None = None,
    recorder: Recorder | None = None,
    prompt_session: PromptSession[str] | None = None,
) -> None:
    """Read and run commands until Ctrl-D, `exit`/`quit`, or the session stops.

    `input`/`output` default to the terminal; tests pass `create_pipe_input()` and
    `DummyOutput()`. With a `recorder`, each command line is written to its transcript (its
    output reaches the transcript through the recorder's tee of `session.out`).
    """
    prompt = prompt_session or build_prompt_session(session, input=input, output=output)
    status = _status_for(sys.stderr)
    # Page only what goes to a terminal, and not while recording (the pager would keep the
    # output from the transcript).
    paging = recorder is None and want_terminal(sys.stdout)
    saved_progress, saved_out = session.progress, session.out
    if status is not None:
        session.progress = status
        session.out = _ClearingOut(session.out, status)  # type: ignore[assignment]
    try:
        _loop(session, prompt, status, recorder, paging)
    finally:
        session.progress, session.out = saved_progress, saved_out


def _loop(
    session: Session,
    prompt: PromptSession[str],
    status: StatusLine | None,
    recorder: Recorder | None,
    paging: bool = False,
) -> None:
    while not session.stopped:
        try:
            line = prompt.prompt()
        except KeyboardInterrupt:  # Ctrl-C at the prompt: the line is dropped
            continue
        except EOFError:  # Ctrl-D on an empty line
            return
        if not line.strip():
            continue
        if recorder is not None:
            recorder.command(f"{PROMPT}{line}")
        if status is not None:
            status.start()
        try:
            _execute(session, line, status, paging)
        except KeyboardInterrupt:  # Ctrl-C while the command ran: back to the prompt
            print("q4: interrupted", file=session.out)
            if recorder is not None:
                recorder.discard()  # a partial output no replay could match
        finally:
            if status is not None:
                status.clear()
        if line.strip() in _LEAVE and session.commands.lookup(line.strip()) is None:
            return  # a registry without exit/quit (tests, embedders) still leaves on them


def _execute(session: Session, line: str, status: StatusLine | None, paging: bool) -> None:
    """Run one line; its output through the pager when paging and the line neither escapes to
    the shell nor pipes (the user chose where that output goes)."""
    command = pager_command(session.settings["pager"]) if paging else None
    if command is None or line.lstrip().startswith("!") or split_pipeline(line)[1] is not None:
        session.execute(line)
        return

    def set_out(stream: TextIO) -> None:
        session.out = stream

    run_paged(lambda: session.execute(line), lambda: session.out, set_out, command,
              status.clear if status is not None else lambda: None,
              int(session.settings["width"]))  # type: ignore[call-overload]
