"""`Session`: one open dump, where command output goes, and the line dispatcher.

`execute` never lets a user's mistake escape: a `Q4Error` becomes one line `q4: MESSAGE` on
`session.out`, and so does any other exception (a q4py bug), so a batch run goes on past it.

Output redirection (REDIRECT_HELP says it for users): a line ending in `> FILE` or `>> FILE`,
`>`/`>>` being an unquoted word of its own, sends that command's output to FILE (`>>` appends).
Commands whose arguments are expressions (EXPRESSION_COMMANDS) read such an ending as the
comparison or shift it also is (`keep p_pid > 5`) unless FILE holds a `/` (`> ./kept.txt`). An
error still prints its one line on the session's own output, never in the file. FILE is opened
at the command's first output (or when it ends well without any), so a command that fails
before printing leaves an existing FILE as it was; a FILE that cannot be written is a
CommandError (`cannot write FILE: REASON`), never a traceback.
"""

from __future__ import annotations

import difflib
import io
import os
import re
import shlex
import stat
from collections.abc import Callable
from pathlib import Path
from typing import Any, TextIO

from q4py import commands as _commands
from q4py.addr import protect_address_quotes
from q4py.commands import Command, Registry
from q4py.errors import CommandError, Q4Error
from q4py.piles import PileHistory
from q4py.render.jsondoc import JSON_FLAG, json_document, json_error
from q4py.settings import Settings
from q4py.shell import terminal  # noqa: F401  (declares the pager and theme settings)
from q4py.shell.config import Config
from q4py.shell.paths import inside_crash_dir, is_dump_file, short_path
from q4py.shell.pipes import run_piped, run_shell, split_pipeline

# Commands whose words are expressions, where `> WORD` may be a comparison (see the docstring).
EXPRESSION_COMMANDS = frozenset({"keep", "forget", "load", "examine", "x", "Let", "symbol"})
REDIRECT_HELP = """\
Output to a file: end a command with `> FILE` (or `>> FILE` to append), the `>` a word of its
own, not quoted; the command's output goes to FILE, an error still prints here. For keep, forget,
load, examine, x, Let and symbol, whose arguments are expressions, `> WORD` is the comparison
(`keep p_pid > 5`) unless WORD holds a `/`: write `keep p_pid > 5 > ./kept.txt`. Quoting an
expression (`keep "p_pid > 5"`) always keeps its `>`. One redirection a command: `help > a > b`
is refused. Files inside the crash directory are refused: a dump is never written to."""
# Names a crash(8) user types, standing for q4py's commands (`alias` lists them with the user's).
BUILTIN_ALIASES = {
    "bt": "trace",
    "log": "crashinfo msgbuf",
    "rd": "examine",
    "sym": "symbol",
}
_REDIRECT = re.compile(r"(?:^|(?<=\s))(>>?)\s+(\"[^\"]*\"|'[^']*'|[^\s\"']+)\s*$")


class OutputError(Exception):
    """The session's own output cannot be written (a full disk, `> /dev/full`): nothing more
    can be said there, so the run ends with one line on stderr (q4py.cli)."""


def no_progress(done: int, total: int | None, what: str) -> None:
    """The default `Session.progress`: batch output never shows progress (the REPL replaces it
    with a status line on a terminal, see q4py/shell/repl.py)."""


class Session:
    """State shared by the commands of one q4 run.

    `program` is the dump (a `q4py.program.Program`; opaque here). `commands` defaults to the
    built-in registry, loading the command modules on first use. `piles` is the history of
    piles (q4py.piles); its newest pile is the one commands call `it`.
    """

    def __init__(self, program: Any, out: TextIO, *, commands: Registry | None = None) -> None:
        self.program = program
        self.out = out
        self.commands = commands if commands is not None else _commands.load_builtin_commands()
        self.stopped = False
        self.piles = PileHistory()
        self.settings = Settings()  # `set` changes these (q4py.settings)
        self.aliases = dict(BUILTIN_ALIASES)  # `alias` adds to these
        self.config: Config | None = None  # the user's config file, when this session uses it
        # `session.progress(done, total, what)`: long commands report how far they are.
        self.progress: Callable[[int, int | None, str], None] = no_progress
        self.include_depth = 0  # files `include` is running, one inside the other
        self.include_files: list[Path] = []  # those files, resolved, outermost first
        # The running command's arguments as typed (quotes kept, redirection cut): what
        # expression commands parse, so `keep p_comm == "java"` keeps its string.
        self.args_text = ""
        # `q4 --json`: every command prints one JSON document (q4py.render.jsondoc); the line
        # being run is the document's `command`.
        self.json = False
        self.line = ""

    def use_config(self, config: Config) -> list[str]:
        """Take the settings and aliases of the user's config file, which `set` and `alias`
        then write back; returns a line for each entry that could not be used."""
        self.config = config
        problems = []
        for name, text in config.settings.items():
            try:
                self.settings.change(name, text)
            except Q4Error as exc:
                problems.append(f"{config.path}: {exc} (ignored)")
        for name, line in config.aliases.items():
            if self.commands.lookup(name) is not None:
                problems.append(f"{config.path}: alias {name!r} is a command (ignored)")
            else:
                self.aliases[name] = line
        return problems

    def save_config(self, table: str, name: str, value: str | None) -> None:
        """Write one setting or alias (None: remove it) to the config file, when the session
        uses one; a file that cannot be written is one line, and the change holds for now."""
        if self.config is None:
            return
        values = getattr(self.config, table)
        if value is None:
            values.pop(name, None)
        else:
            values[name] = value
        try:
            self.config.save()
        except OSError as exc:
            self._error_line(f"cannot save {name} to {self.config.path}: "
                             f"{exc.strerror or exc} (it holds for this session)")

    def stop(self) -> None:
        """Ask the loop driving this session to end (what `exit` / `quit` do)."""
        self.stopped = True

    def execute(self, line: str) -> bool:
        """Run one command line; True when it succeeded (or was empty / a comment)."""
        self.line = line.strip()
        try:
            self._dispatch(line)
        except Q4Error as exc:
            self._error_line(str(exc))
            return False
        except (BrokenPipeError, OutputError):
            raise  # the output cannot be written: the run ends (q4py.cli), not a q4py bug
        except Exception as exc:  # a q4py bug: report it and let the batch go on
            self._error_line(f"internal error: {type(exc).__name__}: {exc}")
            return False
        return True

    def _dispatch(self, line: str) -> None:
        line = line.strip()
        if not line or line.startswith("#"):
            return
        if line.startswith("!"):
            run_shell(line[1:].strip(), self.out)
            return
        line, pipeline = split_pipeline(line)
        if pipeline is not None:
            self._dispatch_piped(line, pipeline)
            return
        line = self._expand_alias(line)
        words, target = self._split(line)
        if not words:  # cannot happen for a non-blank line, but keep `words[0]` safe
            return
        name, args = words[0], words[1:]
        head = line if target is None else line[:_REDIRECT.search(line).start(1)]  # type: ignore[union-attr]
        self.args_text = re.sub(r"^\s*\S+\s*", "", head, count=1).strip()
        self.line = head.strip()
        cmd = self.commands.lookup(name)
        if cmd is None:
            raise CommandError(self._unknown_message(name))
        if target is None:
            self._run(cmd, args)
            return
        path, mode = target
        stream = self._redirect_to(path, mode)
        saved = self.out
        self.out = stream  # type: ignore[assignment]
        try:
            self._run(cmd, args)
        except BaseException:
            self.out = saved
            stream.close(ok=False)  # the command's own error is the one to report
            raise
        self.out = saved
        stream.close(ok=True)

    def _dispatch_piped(self, line: str, pipeline: str) -> None:
        """`CMD | PIPELINE`: CMD's output (not its error line) goes into the pipeline."""
        if not line:
            raise CommandError("'|' needs a command before it (e.g. 'crashinfo | grep Panic')")
        saved = self.out

        def run(stream: TextIO) -> None:
            self.out = stream
            try:
                self._dispatch(line)
            finally:
                self.out = saved

        run_piped(run, pipeline, saved)

    def _expand_alias(self, line: str) -> str:
        """The line with its first word replaced by the alias it names (once: an alias
        naming another alias is not followed, so no definition can loop)."""
        first, _, rest = line.partition(" ")
        alias = None if self.commands.lookup(first) else self.aliases.get(first)
        if alias is None:
            return line
        return f"{alias} {rest}".strip()

    def _split(self, line: str) -> tuple[list[str], tuple[Path, str] | None]:
        """The words of `line` and, when it ends in a redirection, (file, open mode)."""
        words = _words(line)
        match = _REDIRECT.search(line)
        if match is None or match.start(1) == 0:
            if match is not None:
                raise CommandError(f"'{match.group(1)}' needs a command before it "
                                   "(e.g. 'history > piles.txt')")
            return words, None
        head = line[:match.start(1)]
        try:
            head_words = shlex.split(protect_address_quotes(head), posix=True)
        except ValueError:  # the `>` sits inside an open quote: part of an argument
            return words, None
        file_word = shlex.split(match.group(2), posix=True)[0] if match.group(2) else ""
        cmd = self.commands.lookup(head_words[0]) if head_words else None
        expression = cmd is not None and cmd.name in EXPRESSION_COMMANDS
        if expression and "/" not in file_word:
            return words, None  # `keep p_pid > 5`: a comparison, not a file
        if not file_word:
            raise CommandError(f"'{match.group(1)}' needs a file name")
        if file_word.endswith("/"):  # Path() would drop the slash and write a file
            raise CommandError(f"cannot write {file_word}: it names a directory (name a file "
                               "in it)")
        earlier = None if expression else _REDIRECT.search(head.rstrip())
        if earlier is not None and earlier.start(1) > 0:
            raise CommandError(f"one output file a command: '{earlier.group(0).strip()}' and "
                               f"'{match.group(0).strip()}' (drop one)")
        return head_words, (Path(file_word).expanduser(), "a" if match.group(1) == ">>" else "w")

    def _redirect_to(self, path: Path, mode: str) -> RedirectFile:
        """Check the target before the command runs; the file itself opens on first output."""
        name = short_path(path)
        if inside_crash_dir(self.program, path):
            raise CommandError(f"refusing to write {name}: it is inside the crash directory "
                               f"{self.program.path} (a dump is never written to)")
        try:
            if path.is_dir():
                raise CommandError(f"cannot write {name}: it is a directory (name a file in it)")
            if not path.parent.is_dir():
                raise CommandError(f"cannot write {name}: No such file or directory")
            if path.exists() and not _writable_kind(path.stat().st_mode):
                raise CommandError(f"cannot write {name}: not a regular file (a FIFO or "
                                   "socket could block the session)")
        except OSError as exc:  # a name too long, a path of thousands of directories
            raise CommandError(f"cannot write {name}: {exc.strerror or exc}") from None
        return RedirectFile(path, mode, self.program)

    def _unknown_message(self, name: str) -> str:
        close = difflib.get_close_matches(name, self.commands.names(), n=1)
        if close:
            return f"unknown command '{name}' (did you mean '{close[0]}'?)"
        return f"unknown command '{name}' (type 'help' for the list)"

    def _run(self, cmd: Command, args: list[str]) -> None:
        """Run `cmd`; with `json`, as one JSON document: `--json` for a command that has that
        form, its output lines wrapped in one for any other."""
        if not self.json:
            cmd.fn(self, args)
        elif cmd.json:
            cmd.fn(self, args if JSON_FLAG in args else [JSON_FLAG, *args])
        else:
            saved, captured = self.out, io.StringIO()
            self.out = captured  # type: ignore[assignment]
            try:
                cmd.fn(self, args)
            finally:
                self.out = saved
            print(json_document(self.line, {"lines": captured.getvalue().splitlines()}),
                  file=self.out)

    def _error_line(self, message: str) -> None:
        # One line whatever the message holds, so transcripts stay line-aligned.
        flat = " ".join(message.split("\n")).rstrip()
        if self.json:
            print(json_error(self.line, flat), file=self.out)
            return
        print(f"q4: {flat}", file=self.out)


class RedirectFile:
    """The text stream of `CMD > FILE`: FILE is opened (truncated) at the first write, so a
    command that fails before any output leaves it untouched; OSError becomes CommandError.

    Opening checks the file itself, not its name: it is opened without truncating and without
    waiting, then refused when it is a FIFO or socket, or one of the dump's files under another
    name (a hard link made after the command started), and only then truncated."""

    def __init__(self, path: Path, mode: str, program: Any = None) -> None:
        self.path = path
        self.mode = mode
        self.program = program
        self._file: TextIO | None = None

    def _failed(self, exc: OSError) -> CommandError:
        return CommandError(f"cannot write {short_path(self.path)}: {exc.strerror or exc}")

    def _open(self) -> TextIO:
        if self._file is None:
            flags = os.O_WRONLY | os.O_CREAT | os.O_NONBLOCK
            flags |= os.O_APPEND if self.mode == "a" else 0
            try:
                fd = os.open(self.path, flags, 0o666)
            except OSError as exc:
                raise self._failed(exc) from None
            except ValueError as exc:  # a NUL in the name
                raise CommandError(f"cannot write {str(self.path)[:120]!r}: {exc}") from None
            try:
                st = os.fstat(fd)
                if not _writable_kind(st.st_mode):
                    raise CommandError(f"cannot write {short_path(self.path)}: not a regular "
                                       "file (a FIFO or socket could block the session)")
                if is_dump_file(self.program, st):
                    raise CommandError(f"refusing to write {short_path(self.path)}: it is a "
                                       "file of the crash directory under another name (a "
                                       "hard link; a dump is never written to)")
                os.set_blocking(fd, True)
                if self.mode == "w" and stat.S_ISREG(st.st_mode):
                    os.ftruncate(fd, 0)
                self._file = open(fd, self.mode, encoding="utf-8")  # noqa: SIM115
            except OSError as exc:
                os.close(fd)
                raise self._failed(exc) from None
            except BaseException:
                os.close(fd)
                raise
        return self._file

    def write(self, text: str) -> int:
        file = self._open()
        try:
            return file.write(text)
        except OSError as exc:
            raise self._failed(exc) from None

    def flush(self) -> None:
        if self._file is not None:
            try:
                self._file.flush()
            except OSError as exc:
                raise self._failed(exc) from None

    def writable(self) -> bool:
        return True

    def isatty(self) -> bool:
        return False

    def close(self, ok: bool = True) -> None:
        """Close FILE; `ok` (the command succeeded) creates it even when nothing was printed,
        as a shell's `>` does. A failure to write is raised only when `ok`: a command's own
        error is the more useful one."""
        try:
            file = self._open() if ok else self._file
            if file is not None:
                file.close()
        except (OSError, CommandError) as exc:
            if ok:
                raise exc if isinstance(exc, CommandError) else self._failed(exc) from None


def _writable_kind(mode: int) -> bool:
    """A file `> FILE` writes: a regular file, or a character device such as /dev/null."""
    return stat.S_ISREG(mode) or stat.S_ISCHR(mode)


def _words(line: str) -> list[str]:
    try:
        return shlex.split(protect_address_quotes(line), posix=True)
    except ValueError as exc:
        raise CommandError("unbalanced quotes") from exc
