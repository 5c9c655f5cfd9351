"""`run SCRIPT`: the search path, the script API, refusal of scripts inside a crash directory,
and errors (unknown names, script bugs)."""

from __future__ import annotations

import io
import shutil
from collections.abc import Callable
from pathlib import Path

import pytest

from q4py.commands.run import available_scripts, script_dirs
from q4py.program import Program
from q4py.shell import Session

SEED = "hpux1100-32-kalloc-sysmap"

HELLO = '''
def run(q4, args):
    q4.print("hello", *args)
    q4.out("physmem=%d\\n" % q4.read_global("physmem"))
    q4.print(hex(q4.symbol("sysmap").address))
    q4.print(q4.resource_map("sysmap").mapsize)
'''

MARKER_SCRIPT = '''
from pathlib import Path
Path({marker!r}).write_text("ran")
def run(q4, args):
    q4.print("should never print")
'''


@pytest.fixture(autouse=True)
def isolated_library(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """No user library leaks into the tests: $Q4PY_SCRIPT_DIR is an empty directory."""
    user = tmp_path / "user-scripts"
    user.mkdir()
    monkeypatch.setenv("Q4PY_SCRIPT_DIR", str(user))
    monkeypatch.delenv("Q4_SCRIPT_PATH", raising=False)
    return user


@pytest.fixture(scope="module")
def dump(forged_dump: Callable[[str], Path], tmp_path_factory: pytest.TempPathFactory) -> Path:
    # A private copy: the tests write scripts into the crash directory.
    copy = tmp_path_factory.mktemp("run") / "crash"
    shutil.copytree(forged_dump(SEED), copy)
    return copy


@pytest.fixture(scope="module")
def prog(dump: Path) -> Program:
    return Program.open(dump)


def run(prog: Program, line: str) -> list[str]:
    out = io.StringIO()
    Session(prog, out).execute(line)
    return out.getvalue().split("\n")[:-1]


def test_script_from_q4_script_path(prog: Program, tmp_path: Path,
                                    monkeypatch: pytest.MonkeyPatch) -> None:
    first, second = tmp_path / "a", tmp_path / "b"
    first.mkdir()
    second.mkdir()
    (second / "Hello.py").write_text(HELLO)
    monkeypatch.setenv("Q4_SCRIPT_PATH", f"{first}:{second}")
    assert run(prog, "run Hello x y") == [
        "hello x y",
        f"physmem={prog.read_global('physmem')}",
        hex(prog.symbol("sysmap").address),
        "23328",
    ]
    # the first directory of the path wins
    (first / "Hello.py").write_text("def run(q4, args):\n    q4.print('first')\n")
    assert run(prog, "run Hello") == ["first"]


def test_search_order(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                      isolated_library: Path) -> None:
    monkeypatch.setenv("Q4_SCRIPT_PATH", f"{tmp_path / 'p1'}::{tmp_path / 'p2'}")
    dirs = script_dirs()
    assert dirs[0].name == "scripts" and (dirs[0] / "PrintMap.py").is_file()
    assert dirs[1:] == [tmp_path / "p1", tmp_path / "p2", isolated_library]
    monkeypatch.delenv("Q4PY_SCRIPT_DIR")
    assert script_dirs()[-1] == Path.home() / ".q4py" / "scripts"


def test_bundled_script_shadows_library(prog: Program, isolated_library: Path) -> None:
    (isolated_library / "PrintMap.py").write_text(
        "def run(q4, args):\n    q4.print('user copy')\n")
    (isolated_library / "Mine.py").write_text("def run(q4, args):\n    q4.print('mine')\n")
    first = run(prog, "run PrintMap sysmap")[0]
    assert first == "Loading the map entries, this may take a while..."
    assert run(prog, "run Mine") == ["mine"]
    names = [s.name for s in available_scripts()]
    assert names.count("PrintMap") == 1 and "Mine" in names
    listing = run(prog, "run -l")
    assert any(line.startswith("Mine ") and line.endswith("Mine.py") for line in listing)


def test_script_inside_crash_dir_refused(prog: Program, dump: Path, tmp_path: Path,
                                         monkeypatch: pytest.MonkeyPatch) -> None:
    marker = tmp_path / "marker"
    inside = dump / "scripts"
    inside.mkdir(exist_ok=True)
    (inside / "Evil.py").write_text(MARKER_SCRIPT.format(marker=str(marker)))
    [line] = run(prog, f"run {inside / 'Evil.py'}")
    assert line.startswith("q4: run: refusing to load ") and "inside the crash directory" in line
    monkeypatch.setenv("Q4_SCRIPT_PATH", str(inside))
    [line] = run(prog, "run Evil")
    assert "refusing to load" in line
    # through a symlink from outside, it still resolves inside the dump
    (tmp_path / "Sneaky.py").symlink_to(inside / "Evil.py")
    [line] = run(prog, f"run {tmp_path / 'Sneaky.py'}")
    assert "refusing to load" in line
    assert not marker.exists()


def test_unknown_script_names_close_ones(prog: Program) -> None:
    assert run(prog, "run PrintMop sysmap") == [
        "q4: run: unknown script 'PrintMop' (did you mean PrintMap?)"]
    assert run(prog, "run Zzzzzzzz") == [
        "q4: run: unknown script 'Zzzzzzzz' (run -l lists the scripts)"]
    assert run(prog, "run") == ["q4: usage: run SCRIPT [ARGS...] | run -l"]


def test_script_errors(prog: Program, isolated_library: Path) -> None:
    (isolated_library / "Buggy.py").write_text(
        "def run(q4, args):\n    q4.print('before')\n    return 1 / 0\n")
    assert run(prog, "run Buggy") == [
        "before", "q4: run: Buggy failed: ZeroDivisionError: division by zero (Buggy.py line 3)"]
    (isolated_library / "Refuses.py").write_text(
        "def run(q4, args):\n    q4.error('needs an argument')\n")
    assert run(prog, "run Refuses") == ["q4: Refuses: needs an argument"]
    (isolated_library / "NoEntry.py").write_text("x = 1\n")
    [line] = run(prog, "run NoEntry")
    assert line.startswith("q4: run: ") and "defines no run(q4, args)" in line
    (isolated_library / "ReadsBad.py").write_text(
        "def run(q4, args):\n    q4.read_global('no_such_global')\n")
    [line] = run(prog, "run ReadsBad")
    assert "no_such_global" in line and "internal error" not in line
