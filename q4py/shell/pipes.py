"""Shell pipes and escapes: `CMD | PIPELINE` and `!COMMAND`, as crash(8) and drgn have them.

A pipe is a `|` with a blank on each side, outside quotes and parentheses: `crashinfo | grep
Panic`. Inside parentheses it stays the bitwise or of an expression (`keep (pf_flags | 4) == 4`),
and so does a `|` written without blanks (`pf_flags|4`). Everything after the pipe goes to
`/bin/sh` as it is, redirections included (`crashinfo | grep -c x > n.txt`).

What the pipeline prints reaches the session's output: straight to its file descriptor when it
has one (a terminal, `q4 -f ... > out`), else through a reader thread (a test's StringIO, the
REPL's pager, a `--record` tee), so a transcript holds what the pipeline printed. The shell's
own complaints go to q4's stderr. A command the shell cannot run (status 126 or 127) is one
`q4:` line; any other status is the pipeline's business (`grep` finding nothing is 1).
"""

from __future__ import annotations

import io
import subprocess
import threading
from collections.abc import Callable
from typing import TextIO

from q4py.addr import is_address_quote
from q4py.errors import CommandError

PIPE_HELP = """\
Pipes: `CMD | SHELL-COMMANDS` sends CMD's output to /bin/sh (`crashinfo | grep Panic`,
`print p_pid p_comm | sort -n | head`); the `|` needs a blank on each side and is a pipe only
outside quotes and parentheses, so `keep (pf_flags | 4) != 0` keeps its or. `!COMMAND` runs a
shell command (`!ls /var/adm/crash`). What the shell does with files is its own business: only
q4's own `> FILE` is checked against the crash directory."""

_NOT_RUN = {126: "cannot be run", 127: "not found"}


def split_pipeline(line: str) -> tuple[str, str | None]:
    """(`CMD`, `PIPELINE`) for `CMD | PIPELINE`, or (line, None) when there is no pipe."""
    quote = ""
    depth = 0
    for i, ch in enumerate(line):
        if quote:
            if ch == quote:
                quote = ""
        elif ch in "\"'" and not is_address_quote(line, i):  # 0x0.0x18191a1b'1c1d1e1f
            quote = ch
        elif ch == "(":
            depth += 1
        elif ch == ")":
            depth = max(depth - 1, 0)
        elif (ch == "|" and depth == 0 and i > 0 and line[i - 1].isspace()
              and (i == len(line) - 1 or line[i + 1].isspace())):
            return line[:i].rstrip(), line[i + 1:].strip()
    return line, None


def _fileno(stream: TextIO) -> int | None:
    try:
        return stream.fileno()
    except (AttributeError, OSError, ValueError, io.UnsupportedOperation):
        return None


def _check_status(command: str, status: int) -> None:
    reason = _NOT_RUN.get(status)
    if reason is not None:
        raise CommandError(f"shell: {command.split()[0] if command.split() else command!r}: "
                           f"{reason} (exit status {status})")


def _start(command: str, out: TextIO, stdin: int | None) -> tuple[subprocess.Popen[str],
                                                                    threading.Thread | None]:
    """Start `sh -c command` writing to `out`; a reader thread copies its output when `out`
    has no file descriptor of its own."""
    fd = _fileno(out)
    if fd is not None:
        out.flush()
    try:
        proc = subprocess.Popen(
            command, shell=True, stdin=stdin, stdout=fd if fd is not None else subprocess.PIPE,
            text=True, encoding="utf-8", errors="replace",
        )
    except OSError as exc:
        raise CommandError(f"shell: cannot start /bin/sh: {exc.strerror or exc}") from None
    except ValueError:  # a NUL byte: no shell command can hold one
        raise CommandError(f"shell: {command!r} holds a NUL byte") from None
    reader = None
    if fd is None:
        def copy() -> None:
            assert proc.stdout is not None
            for text in iter(lambda: proc.stdout.read(65536), ""):  # type: ignore[union-attr]
                out.write(text)

        reader = threading.Thread(target=copy, daemon=True)
        reader.start()
    return proc, reader


def _finish(proc: subprocess.Popen[str], reader: threading.Thread | None) -> int:
    status = proc.wait()
    if reader is not None:
        reader.join()
    return status


def run_shell(command: str, out: TextIO) -> None:
    """`!COMMAND`: run it with q4's stdin, its output to `out`."""
    if not command.strip():
        raise CommandError("'!' needs a shell command after it (e.g. '!ls')")
    proc, reader = _start(command, out, None)
    try:
        status = _finish(proc, reader)
    except KeyboardInterrupt:
        proc.kill()
        _finish(proc, reader)
        raise
    _check_status(command, status)


def run_piped(run: Callable[[TextIO], None], pipeline: str, out: TextIO) -> None:
    """Run `run(stream)` with its output fed to `sh -c pipeline`, whose output goes to `out`.

    A pipeline that stops reading early (`| head -3`) ends the command quietly, as in a shell.
    """
    if not pipeline:
        raise CommandError("'|' needs a shell command after it (e.g. 'crashinfo | grep Panic')")
    proc, reader = _start(pipeline, out, subprocess.PIPE)
    assert proc.stdin is not None
    try:
        run(proc.stdin)  # type: ignore[arg-type]
        proc.stdin.close()
    except BrokenPipeError:
        pass  # the pipeline has all it wanted
    except BaseException:
        _close_quietly(proc.stdin)
        _finish(proc, reader)
        raise
    finally:
        _close_quietly(proc.stdin)
    _check_status(pipeline, _finish(proc, reader))


def _close_quietly(stream: TextIO) -> None:
    try:
        stream.close()
    except (BrokenPipeError, OSError):
        pass
