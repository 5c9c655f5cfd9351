"""The dump is read-only to q4py, and nothing a dump carries is executed.

A full session (the report, walks, scripts, errors) runs against the seed dump, plain and
gzip-compressed; every file of the crash directory is hashed before and after, and every open
of a file inside it is watched for a write mode. Scripts and command files placed inside a crash
directory are refused even when the search path or the current directory points there.
"""

from __future__ import annotations

import builtins
import hashlib
import io
import mmap
import os
import shutil
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from q4py.forge import Forge
from q4py.forge.scenario import load_scenario
from q4py.program import Program
from q4py.shell.session import Session

SEED = "hpux1100-32-kalloc-sysmap"
SCENARIO = Path(__file__).resolve().parent.parent / "fixtures" / "scenarios" / f"{SEED}.toml"
_WRITE_FLAGS = os.O_WRONLY | os.O_RDWR | os.O_CREAT | os.O_APPEND | os.O_TRUNC

SESSION = [
    "crashinfo",
    "trace event 0",
    "p4_sysmap -a",
    "run PrintMap sysmap_32bit",
    "load struct proc from proc max nproc",
    "print -x addrof p_pid",
    "load struct pfdat from pfdat max 5000",
    "keep pf_kclass == 9",
    "history",
    "symbol panic",
    "examine &utsname for 4 using X",
    "fields struct buf",
    "load struct buf from 0x0 next av_forw",  # a bad read: an error line, nothing written
    "nosuchcommand",
    "help",
]


def tree(path: Path) -> dict[str, tuple[int, int, str]]:
    """Every entry under `path` (hidden ones too): size, mtime and sha256 of its bytes."""
    out = {}
    for entry in sorted(path.rglob("*")):
        st = entry.lstat()
        digest = hashlib.sha256(entry.read_bytes()).hexdigest() if entry.is_file() else ""
        out[str(entry.relative_to(path))] = (st.st_size, st.st_mtime_ns, digest)
    return out


@pytest.fixture
def watch_writes(monkeypatch: pytest.MonkeyPatch) -> Iterator[Callable[[Path], list[str]]]:
    """Record every open of a file for writing, and every writable mmap; the function yielded
    gives those under a directory."""
    seen: list[str] = []
    real_open, real_os_open, real_mmap = builtins.open, os.open, mmap.mmap

    def spy_open(file: Any, mode: str = "r", *args: Any, **kwargs: Any) -> Any:
        if isinstance(file, (str, bytes, os.PathLike)) and any(c in mode for c in "wax+"):
            seen.append(os.path.abspath(os.fsdecode(file)))
        return real_open(file, mode, *args, **kwargs)

    def spy_os_open(path: Any, flags: int, *args: Any, **kwargs: Any) -> int:
        if flags & _WRITE_FLAGS:
            seen.append(os.path.abspath(os.fsdecode(path)))
        return real_os_open(path, flags, *args, **kwargs)

    def spy_mmap(fileno: int, length: int, *args: Any, **kwargs: Any) -> mmap.mmap:
        access = kwargs.get("access", mmap.ACCESS_DEFAULT)
        if access != mmap.ACCESS_READ:
            seen.append(os.readlink(f"/proc/self/fd/{fileno}"))
        return real_mmap(fileno, length, *args, **kwargs)

    monkeypatch.setattr(builtins, "open", spy_open)
    monkeypatch.setattr(io, "open", spy_open)
    monkeypatch.setattr(os, "open", spy_os_open)
    monkeypatch.setattr(mmap, "mmap", spy_mmap)

    def under(directory: Path) -> list[str]:
        """The writes recorded under `directory`; the record starts afresh after each call."""
        root = str(directory.resolve())
        found = [p for p in seen if os.path.realpath(p).startswith(root + os.sep)]
        seen.clear()
        return found

    yield under


def full_session(dump: Path) -> str:
    out = io.StringIO()
    session = Session(Program.open(dump), out)
    for line in SESSION:
        session.execute(line)
    session.program.crashdir.close()
    return out.getvalue()


@pytest.mark.parametrize("compress", [False, True], ids=["plain", "gzip"])
def test_a_full_session_changes_nothing_in_the_dump(
        compress: bool, forged_dump: Callable[[str], Path], tmp_path: Path,
        monkeypatch: pytest.MonkeyPatch, watch_writes: Callable[[Path], list[str]]) -> None:
    cache = tmp_path / "cache"
    monkeypatch.setenv("Q4PY_CACHE_DIR", str(cache))
    with open(tmp_path / "probe", "w") as probe:  # the watch sees writes
        probe.write("x")
    assert watch_writes(tmp_path) == [str(tmp_path / "probe")]
    if compress:
        scenario = load_scenario(SCENARIO)
        scenario["dump"]["compress"] = True
        dump = tmp_path / "gz"
        Forge(scenario).build(dump)
    else:
        dump = forged_dump(SEED)
    before = tree(dump)
    watch_writes(dump)  # forging the dump wrote it, of course: watch from here on
    output = full_session(dump)
    assert "Kernel Memory Usage" in output and "loaded" in output  # the session did its work
    assert "internal error" not in output
    assert tree(dump) == before
    assert watch_writes(dump) == []
    if compress:
        # Inflated copies went to the cache, outside the dump.
        assert any(p.is_file() for p in (cache / "inflated").iterdir())


# -- nothing a dump carries is executed -----------------------------------------------------------
def _booby_trap(directory: Path, marker: Path) -> None:
    """Python files and a command file that leave `marker` behind if anything runs them."""
    code = f"open({str(marker)!r}, 'a').write(__name__ + '\\n')\ndef run(q4, args):\n    pass\n"
    for name in ("evil.py", "PrintMap.py", "sitecustomize.py", "q4py_script_evil.py"):
        (directory / name).write_text(code)
    (directory / "commands.q4").write_text(f"run {directory / 'evil.py'}\n")


def test_scripts_and_command_files_inside_the_dump_are_refused(
        forged_dump: Callable[[str], Path], tmp_path: Path,
        monkeypatch: pytest.MonkeyPatch) -> None:
    dump = Path(shutil.copytree(forged_dump(SEED), tmp_path / "crash.0"))
    marker = tmp_path / "ran"
    _booby_trap(dump, marker)
    # Even a user whose search path and current directory are the dump is protected.
    monkeypatch.chdir(dump)
    monkeypatch.setenv("Q4_SCRIPT_PATH", str(dump))
    monkeypatch.setenv("Q4PY_SCRIPT_DIR", str(dump))
    out = io.StringIO()
    session = Session(Program.open(dump), out)
    results = {line: session.execute(line) for line in (
        "run evil", f"run {dump / 'evil.py'}", "run ./evil.py", "include commands.q4",
        f"include {dump / 'commands.q4'}", "run PrintMap sysmap_32bit")}
    assert not marker.exists(), marker.read_text()
    lines = out.getvalue().splitlines()
    refusals = [line for line in lines if "inside the crash directory" in line]
    assert len(refusals) == 5, lines
    assert all(line.startswith("q4: ") for line in refusals)
    # The bundled PrintMap ran, not the one in the dump.
    assert results["run PrintMap sysmap_32bit"] is True
    assert not any(v for k, v in results.items() if k != "run PrintMap sysmap_32bit")
