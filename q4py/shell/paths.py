"""The checks on files a session reads or writes outside the dump.

A dump is never written to (`CMD > FILE`, `q4 --record FILE`) and nothing it carries is ever
executed (`include FILE`, `run SCRIPT`): every one of those asks `inside_crash_dir` first. Both
sides are resolved, symlinks included, so `ln -s /crash/INDEX notes` or a crash directory
reached through a link is still recognised; and a file is also compared by identity (device and
inode), so a hard link to a dump's file (`ln /crash/INDEX notes`) is recognised too.

Command files (`include FILE`, `q4 -f FILE`, transcripts) are read through `read_command_text`:
regular files only where a session could block (a FIFO never sends its end), and at most a
bound of bytes, so `include /dev/zero` is one line, not all the memory there is.
"""

from __future__ import annotations

import os
import stat
from pathlib import Path
from typing import Any

from q4py.errors import CommandError

# A crash directory holds a few thousand files; a hostile one with more is not walked further.
_MAX_DUMP_ENTRIES = 100_000
MAX_COMMAND_FILE = 4 << 20  # bytes: thousands of pages of commands


def crash_dir_of(program: Any) -> Path | None:
    """The crash directory of `program` (a q4py Program), None for a stand-in without one."""
    dump = getattr(program, "path", None)
    return None if dump is None else Path(dump)


def inside_crash_dir(program: Any, path: str | Path) -> bool:
    """True when `path` (a file that may not exist yet) is inside `program`'s crash directory,
    is that directory, or is another name (a hard link) of a file in it."""
    dump = crash_dir_of(program)
    if dump is None:
        return False
    try:
        target = Path(path).expanduser().resolve()
        if target.is_relative_to(dump.expanduser().resolve()):
            return True
        st = os.stat(target)
    except (OSError, RuntimeError, ValueError):
        # No such file yet, a symlink loop or a NUL in the name: no file to be linked.
        return False
    return is_dump_file(program, st)


def is_dump_file(program: Any, st: os.stat_result) -> bool:
    """True when the file `st` describes (already opened or stat'ed) is one of the crash
    directory's files under another name: a hard link, compared by device and inode."""
    dump = crash_dir_of(program)
    if dump is None or not stat.S_ISREG(st.st_mode) or st.st_nlink < 2:
        return False  # a file with one name has that name only, checked by path
    key = (st.st_dev, st.st_ino)
    seen = 0
    pending = [os.fspath(dump)]
    while pending:
        try:
            entries = list(os.scandir(pending.pop()))
        except OSError:
            continue
        for entry in entries:
            seen += 1
            if seen > _MAX_DUMP_ENTRIES:
                return True  # a directory too large to search: refuse rather than guess
            try:
                if entry.is_dir(follow_symlinks=False):
                    pending.append(entry.path)
                    continue
                found = entry.stat(follow_symlinks=False)
            except OSError:
                continue
            if (found.st_dev, found.st_ino) == key:
                return True
    return False


def short_path(path: str | Path, width: int = 120) -> str:
    """`path` for a one-line message: a name of thousands of characters is cut in the middle."""
    text = str(path)
    if len(text) <= width:
        return text
    half = (width - 3) // 2
    return f"{text[:half]}...{text[-half:]}"


def read_command_text(path: Path, what: str, *, limit: int = MAX_COMMAND_FILE,
                      any_kind: bool = False) -> str:
    """The UTF-8 text of the command file `path`; CommandError (`WHAT: ...`, one line) when it
    is missing, a directory, larger than `limit` bytes, not text, or not a regular file (a
    FIFO could block, `/dev/zero` never ends) unless `any_kind`: the file the user names on the
    command line may be a shell's `<(...)` pipe or /dev/null, read up to the bound."""
    name = short_path(path)
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK)  # a FIFO without a writer: no wait
    except FileNotFoundError:
        raise CommandError(f"{what}: no file {name}") from None
    except IsADirectoryError:
        raise CommandError(f"{what}: {name} is a directory, not a command file") from None
    except OSError as exc:
        raise CommandError(f"{what}: cannot read {name}: {exc.strerror or exc}") from None
    except ValueError as exc:  # a NUL in the name
        raise CommandError(f"{what}: cannot read {str(path)[:120]!r}: {exc}") from None
    mode = os.fstat(fd).st_mode
    problem = None
    if stat.S_ISDIR(mode):
        problem = f"{what}: {name} is a directory, not a command file"
    elif not (stat.S_ISREG(mode) or any_kind):
        kind = "a FIFO" if stat.S_ISFIFO(mode) else "a device or socket"
        problem = f"{what}: {name} is {kind}, not a regular file"
    if problem is not None:
        os.close(fd)
        raise CommandError(problem)
    with os.fdopen(fd, "rb") as file:
        if not stat.S_ISREG(mode):
            os.set_blocking(fd, True)  # a pipe the user named: wait for its writer
        try:
            data = file.read(limit + 1)
        except OSError as exc:
            raise CommandError(f"{what}: cannot read {name}: {exc.strerror or exc}") from None
    if len(data) > limit:
        raise CommandError(f"{what}: {name} is larger than {limit >> 20} MiB: not a command "
                           "file")
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        raise CommandError(f"{what}: {name} is not a text file (UTF-8 expected)") from None
