"""What a person at a terminal sees beyond the text itself: the pager and the colour theme.

Both are settings (`set pager ...`, `set theme ...`), obeyed only by the interactive prompt
(q4py/shell/repl.py): batch output, transcripts and pipes never page and never hold colour.

- `pager`: `on` pages a command's output longer than the terminal through `$PAGER` (else
  `less -FRX`), `off` never pages, any other value is the pager command itself.
- `width`: the characters of a terminal line, as gdb's `set width`: the pager counts a longer
  line as several rows (`auto`: the terminal's width).
- `theme`: the highlighting of the line being typed: `dark` (bright ANSI colours, for a dark
  background), `light` (deep ones, for a light background) or `none`. ANSI colour names let the
  terminal's own palette decide the exact shade.
"""

from __future__ import annotations

import io
import os
import shutil
import subprocess
from collections.abc import Callable
from typing import TYPE_CHECKING, TextIO

from pygments.token import Comment, Keyword, Name, Number, Operator, String, Token

from q4py.settings import Setting, declare

if TYPE_CHECKING:
    from prompt_toolkit.styles import Style

DEFAULT_PAGER = "less -FRX"
THEMES = ("dark", "light", "none")

PAGER = declare(Setting(
    "pager", "on", "page output longer than the terminal at the prompt: on ($PAGER, else "
    f"{DEFAULT_PAGER}), off, or the pager command to use"))
def _width(text: str) -> int:
    if text == "auto":
        return 0
    value = int(text, 0)
    if not 20 <= value <= 10_000:
        raise ValueError("a width is auto or 20 to 10000 characters")
    return value


WIDTH = declare(Setting(
    "width", 0, "characters in a line of the terminal, as gdb's `set width`: a longer line "
    "takes several rows when the pager decides whether output fits the screen (auto: the "
    "terminal's own width)", parse=_width, show=lambda v: "auto" if not v else str(v)))
THEME = declare(Setting(
    "theme", "dark", "colours of the prompt's highlighting: dark (for a dark background), "
    "light (for a light one) or none", choices=THEMES))

_THEME_COLOURS: dict[str, dict[object, str]] = {
    "dark": {
        Name.Builtin: "bold ansibrightcyan",
        Name.Attribute: "ansibrightyellow",
        Keyword: "ansibrightmagenta",
        Number: "ansibrightgreen",
        String: "ansiyellow",
        Operator: "ansiwhite",
        Comment: "italic ansibrightblack",
        Token.Generic: "ansiwhite",
    },
    "light": {
        Name.Builtin: "bold ansiblue",
        Name.Attribute: "ansimagenta",
        Keyword: "ansired",
        Number: "ansigreen",
        String: "ansibrown",
        Operator: "ansiblack",
        Comment: "italic ansigray",
        Token.Generic: "ansiblack",
    },
}


def theme_style(theme: str) -> Style | None:
    """The prompt_toolkit style of a theme; None for `none` (no highlighting at all)."""
    from prompt_toolkit.styles import style_from_pygments_dict  # only at the prompt

    colours = _THEME_COLOURS.get(theme)
    return None if colours is None else style_from_pygments_dict(colours)  # type: ignore[arg-type]


def pager_command(value: object) -> str | None:
    """The shell command a `pager` setting stands for, or None when output is not paged."""
    text = str(value).strip()
    if text == "off" or not text:
        return None
    if text == "on":
        return os.environ.get("PAGER") or DEFAULT_PAGER
    return text


def run_paged(execute: Callable[[], object], session_out: Callable[[], TextIO],
              set_out: Callable[[TextIO], None], command: str | None,
              before_output: Callable[[], None] = lambda: None, width: int = 0) -> None:
    """Run `execute` with the session's output gathered; then show it, through `command` when
    it is longer than the terminal. Ctrl-C still shows what was printed before it."""
    saved = session_out()
    gathered = io.StringIO()
    set_out(gathered)
    try:
        execute()
    finally:
        set_out(saved)
        before_output()
        show(gathered.getvalue(), saved, command, width)


def screen_rows(text: str, width: int) -> int:
    """The rows `text` takes on a screen `width` characters wide (a long line wraps)."""
    return sum(max(1, -(-len(line) // width)) for line in text.split("\n")[:-1]) + \
        (1 if text and not text.endswith("\n") else 0)


def show(text: str, out: TextIO, command: str | None, width: int = 0) -> None:
    """Write `text` to `out`, through the pager `command` when it does not fit the screen
    (`width` 0: the terminal's width)."""
    size = shutil.get_terminal_size()
    if command is None or screen_rows(text, width or size.columns) < size.lines - 1:
        out.write(text)
        out.flush()
        return
    out.flush()
    try:
        status = subprocess.run(command, shell=True, input=text, text=True,
                                encoding="utf-8", errors="replace").returncode
    except OSError as exc:
        status, reason = 127, str(exc.strerror or exc)
    else:
        reason = "not found" if status == 127 else "cannot be run"
    if status in (126, 127):
        out.write(text)
        out.write(f"q4: pager {command!r} {reason}: the output is shown without it "
                  "(set pager off, or set pager COMMAND)\n")
        out.flush()
