"""`run SCRIPT [ARGS...]`: run a script from the script library (`run PrintMap sysmap`).

q4's library scripts were Perl; q4py's are Python files `NAME.py` that define
`run(q4: q4py.scripting.Q4Script, args: list[str]) -> None`. The library is searched in order:
the scripts bundled with q4py (`q4py/scripts/`), each directory of `$Q4_SCRIPT_PATH`
(colon-separated), then `$Q4PY_SCRIPT_DIR` or, without it, `~/.q4py/scripts`. SCRIPT may also
be the path of a `.py` file. A script is never loaded from inside the crash directory: a dump
is data, and running code shipped with it would let a dump run code.
"""

from __future__ import annotations

import contextlib
import difflib
import importlib.util
import os
import signal
import threading
import traceback
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import q4py.scripts
from q4py.commands import command
from q4py.errors import CommandError, Q4Error
from q4py.scripting import Q4Script
from q4py.shell.paths import inside_crash_dir

if TYPE_CHECKING:
    from q4py.shell.session import Session

USAGE = "run SCRIPT [ARGS...] | run -l"


@dataclass(frozen=True)
class ScriptFile:
    name: str
    path: Path


def script_dirs() -> list[Path]:
    """The library directories, in search order."""
    dirs = [Path(q4py.scripts.__file__).resolve().parent]
    dirs += [Path(p).expanduser() for p in os.environ.get("Q4_SCRIPT_PATH", "").split(":") if p]
    user = os.environ.get("Q4PY_SCRIPT_DIR")
    dirs.append(Path(user).expanduser() if user else Path.home() / ".q4py" / "scripts")
    return dirs


def available_scripts() -> list[ScriptFile]:
    """Every script of the library; a name found twice is the first one in search order."""
    found: dict[str, ScriptFile] = {}
    for directory in script_dirs():
        if not directory.is_dir():
            continue
        for path in sorted(directory.glob("*.py")):
            name = path.stem
            if not name.startswith("_") and name not in found:
                found[name] = ScriptFile(name, path)
    return list(found.values())


def find_script(name: str) -> ScriptFile:
    """The script `name` (a library name, or a path to a .py file)."""
    if "/" in name or name.endswith(".py"):
        path = Path(name).expanduser()
        if not path.is_file():
            raise CommandError(f"run: no script file {name}")
        return ScriptFile(path.stem, path)
    for directory in script_dirs():
        path = directory / f"{name}.py"
        if path.is_file():
            return ScriptFile(name, path)
    names = [s.name for s in available_scripts()]
    close = difflib.get_close_matches(name, names, n=3, cutoff=0.5)
    close += [n for n in names if n.lower() == name.lower() and n not in close]
    hint = f" (did you mean {', '.join(close)}?)" if close else " (run -l lists the scripts)"
    raise CommandError(f"run: unknown script '{name}'{hint}")


def _refuse_inside_dump(session: Session, script: ScriptFile) -> None:
    if inside_crash_dir(session.program, script.path):
        raise CommandError(f"run: refusing to load {script.path.resolve()}: it is inside the "
                           f"crash directory {session.program.path} (scripts are never loaded "
                           "from a dump)")


def run_script(session: Session, script: ScriptFile, args: list[str]) -> None:
    """Load the script's file afresh (edits take effect) and call its `run`.

    A script ends itself, never the session: `sys.exit()`, `raise SystemExit` or a
    KeyboardInterrupt it raises itself become one error line and the batch goes on. Only a
    real Ctrl-C (SIGINT) while it runs interrupts the session, as for any command."""
    _refuse_inside_dump(session, script)
    spec = importlib.util.spec_from_file_location(f"q4py_script_{script.name}", script.path)
    if spec is None or spec.loader is None:
        raise CommandError(f"run: cannot load {script.path}")
    module = importlib.util.module_from_spec(spec)
    with _sigint_watch() as sigint:
        try:
            spec.loader.exec_module(module)
            entry = getattr(module, "run", None)
            if not callable(entry):
                raise CommandError(f"run: {script.path} defines no run(q4, args) function")
            entry(Q4Script(session, script.name, args), list(args))
        except Q4Error:
            raise
        except SystemExit as exc:
            where = _where(exc, script.path)
            raise CommandError(f"run: {script.name} called exit({exc.code!r}){where} (a script "
                               "ends itself, not the session)") from None
        except KeyboardInterrupt as exc:
            if sigint.fired:
                raise  # the user's Ctrl-C: the session's own handling
            raise CommandError(f"run: {script.name} raised KeyboardInterrupt"
                               f"{_where(exc, script.path)} (not a Ctrl-C)") from None
        except Exception as exc:  # a bug in the script: say where, in one line
            raise CommandError(f"run: {script.name} failed: {type(exc).__name__}: {exc}"
                               f"{_where(exc, script.path)}") from exc


class _SigintSeen:
    fired = False


@contextlib.contextmanager
def _sigint_watch() -> Iterator[_SigintSeen]:
    """Note whether a real SIGINT arrives (only the main thread can set a handler; elsewhere
    a KeyboardInterrupt cannot come from a signal anyway)."""
    seen = _SigintSeen()
    if threading.current_thread() is not threading.main_thread():
        yield seen
        return
    previous = signal.getsignal(signal.SIGINT)

    def handler(signum: int, frame: Any) -> None:
        seen.fired = True
        if callable(previous):
            previous(signum, frame)
        else:
            signal.default_int_handler(signum, frame)

    signal.signal(signal.SIGINT, handler)
    try:
        yield seen
    finally:
        signal.signal(signal.SIGINT, previous)


def _where(exc: BaseException, path: Path) -> str:
    frames = [f for f in traceback.extract_tb(exc.__traceback__)
              if Path(f.filename).resolve() == path.resolve()]
    return f" ({path.name} line {frames[-1].lineno})" if frames else ""


@command(
    "run",
    usage=USAGE,
    summary="run a script from the script library (run PrintMap sysmap)",
    help="Scripts are Python files NAME.py defining run(q4, args); see docs/scripting.md.\n"
    "Search order: the bundled library, the directories of $Q4_SCRIPT_PATH "
    "(colon-separated), then $Q4PY_SCRIPT_DIR or ~/.q4py/scripts. SCRIPT may be a path to "
    "a .py file. 'run -l' lists the scripts found.",
)
def run_command(session: Session, args: list[str]) -> None:
    if not args:
        raise CommandError(f"usage: {USAGE}")
    if args[0] == "-l":
        if len(args) > 1:
            raise CommandError(f"usage: {USAGE}")
        scripts = available_scripts()
        width = max((len(s.name) for s in scripts), default=0)
        for s in scripts:
            print(f"{s.name:<{width}}  {s.path}", file=session.out)
        return
    run_script(session, find_script(args[0]), args[1:])
