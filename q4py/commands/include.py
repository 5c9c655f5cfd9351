"""`include FILE`: run the commands of a file, each echoed as `q4> LINE` as a batch does.

q4 had an `include` command; how it behaved is not documented. q4py's: FILE is read as UTF-8
text, one command a line; blank lines and `#` comments are skipped; a line may carry a prompt
(`q4> `, `p4> `) as in a transcript. A failing command prints its one error line and the file
goes on; at the end `include` itself fails (one line) when any command failed, so a batch counts
it. `exit` in the file ends the session. Included files may include others, at most
MAX_DEPTH deep; a file included while it runs stops the whole include with one line naming
the loop. A relative FILE is taken from the current directory. A file inside the crash
directory (or a hard link to one) is refused, as `run` refuses scripts there: nothing a dump
carries is ever executed. FILE must be a regular file of at most 4 MiB: a FIFO could block the
session forever and /dev/zero never ends.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from q4py.commands import command
from q4py.errors import CommandError
from q4py.shell.paths import inside_crash_dir, read_command_text

if TYPE_CHECKING:
    from q4py.shell.session import Session

USAGE = "include FILE"
MAX_DEPTH = 8
_PROMPTS = ("q4>", "p4>")  # as a transcript writes them; the blank after is optional

HELP = f"""\
Runs the commands in FILE, one a line, each echoed as `q4> LINE` before its output (like
`q4 -f FILE`). Blank lines and lines starting with `#` are skipped; a line may start with a
`q4> ` prompt, as in a transcript. A command that fails prints its error and the file goes on;
`include` then reports how many failed. `exit` in the file ends the session. Files may include
files, at most {MAX_DEPTH} levels deep. A relative FILE is relative to the current directory.
Files inside the crash directory are refused: nothing a dump carries is executed. FILE must be
a regular file of at most 4 MiB (not a FIFO or a device).
Examples:
  include triage.q4
  include ~/q4/buffers.q4 > buffers.out"""


class _IncludeLoop(BaseException):
    """A file included while it runs. A BaseException, so the session's per-command error
    handling lets it through: it unwinds every include of the loop and the outermost one
    reports it as one line (not one line per level)."""


def read_commands(path: Path) -> list[str]:
    """The command lines of `path`: prompts removed, blanks and comments dropped. Only a
    regular file of at most MAX_COMMAND_FILE bytes is read (q4py.shell.paths)."""
    text = read_command_text(path, "include")
    lines = []
    for raw in text.splitlines():
        line = raw.strip()
        for prompt in _PROMPTS:
            if line.startswith(prompt):
                line = line[len(prompt):].strip()
                break
        if line and not line.startswith("#"):
            lines.append(line)
    return lines


def refuse_inside_dump(session: Session, path: Path, verb: str) -> None:
    """CommandError when `path` lies inside the session's crash directory."""
    if inside_crash_dir(session.program, path):
        raise CommandError(f"{verb}: refusing {path.resolve()}: it is inside the crash "
                           f"directory {session.program.path} (nothing in a dump is executed)")


@command("include", usage=USAGE, summary="run the commands in a file", help=HELP)
def include_command(session: Session, args: list[str]) -> None:
    if len(args) != 1:
        raise CommandError(f"usage: {USAGE}")
    path = Path(args[0]).expanduser()
    refuse_inside_dump(session, path, "include")
    files = session.include_files
    resolved = path.resolve()
    depth = session.include_depth
    if resolved in files:
        chain = [f.name for f in files[files.index(resolved):]] + [resolved.name]
        loop = (f"include: {path}: files include each other in a loop "
                f"({' -> '.join(chain)})")
        # Inside an include: unwind to the outermost one, which reports it.
        raise _IncludeLoop(loop) if depth else CommandError(loop)
    if depth >= MAX_DEPTH:
        raise CommandError(f"include: {path}: files include each other more than {MAX_DEPTH} "
                           "levels deep (does a file include itself?)")
    lines = read_commands(path)
    failed = 0
    session.include_depth = depth + 1
    files.append(resolved)
    try:
        for line in lines:
            print(f"q4> {line}", file=session.out)
            if not session.execute(line):
                failed += 1
            if session.stopped:
                break
    except _IncludeLoop as loop:
        if depth:
            raise
        raise CommandError(str(loop)) from None  # the outermost include reports it, once
    finally:
        files.pop()
        session.include_depth = depth
    if failed:
        raise CommandError(f"include: {failed} of {len(lines)} commands in {path} failed")
