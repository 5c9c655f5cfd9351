"""Per-user directories (cache and state), and crash directories forged into the cache once.

Cache: `$Q4PY_CACHE_DIR`, else `$XDG_CACHE_HOME/q4py`, else `~/.cache/q4py`.
State: `$Q4PY_STATE_DIR`, else `$XDG_STATE_HOME/q4py`, else `~/.local/state/q4py`.
"""

from __future__ import annotations

import contextlib
import functools
import hashlib
import os
import re
import shutil
import sys
import tempfile
from pathlib import Path
from typing import TextIO


def _user_dir(override: str, xdg_variable: str, default: tuple[str, ...]) -> Path:
    explicit = os.environ.get(override)
    if explicit:
        return Path(explicit).expanduser()
    xdg = os.environ.get(xdg_variable)
    if xdg and os.path.isabs(xdg):  # the XDG spec says to ignore a relative value
        return Path(xdg) / "q4py"
    return Path.home().joinpath(*default, "q4py")


def user_cache_dir() -> Path:
    """Where q4py keeps what it can rebuild (forged dumps, inflated images). Not created here."""
    return _user_dir("Q4PY_CACHE_DIR", "XDG_CACHE_HOME", (".cache",))


def user_state_dir() -> Path:
    """Where q4py keeps per-user state (the REPL history). Not created here."""
    return _user_dir("Q4PY_STATE_DIR", "XDG_STATE_HOME", (".local", "state"))


@functools.lru_cache(maxsize=1)
def code_fingerprint() -> bytes:
    """A digest of q4py's own source files: a forged dump is only as current as the forge and
    layouts that wrote it, and a development checkout changes them without a new version."""
    root = Path(__file__).resolve().parent
    digest = hashlib.sha256()
    for path in sorted(root.rglob("*.py")):
        digest.update(path.relative_to(root).as_posix().encode() + b"\0")
        with contextlib.suppress(OSError):
            digest.update(path.read_bytes())
    return digest.digest()


_KEY = re.compile(r"[0-9a-f]{16}")


def scenario_key(scenario_bytes: bytes) -> str:
    """16 hex digits naming a forged dump: changes with the scenario, q4py's version and its
    code (code_fingerprint)."""
    from q4py import __version__

    return hashlib.sha256(scenario_bytes + __version__.encode()
                          + code_fingerprint()).hexdigest()[:16]


def forge_cached(scenario: Path, subdir: str, *, what: str = "", log: TextIO | None = None) -> Path:
    """The crash directory forged from `scenario` under `<cache>/<subdir>/<key>/`, forging it
    first if needed (announced on `log`, default stderr, as `q4: forging WHAT into DIR ...`).

    Forging goes into a temporary sibling renamed into place, so a directory that exists is
    complete, and two q4 starting at once both end up using one of the two results.
    Raises OSError when the scenario cannot be read, ScenarioError from the forge.
    """
    data = scenario.read_bytes()
    parent = user_cache_dir() / subdir
    final = parent / scenario_key(data)
    if final.is_dir():
        return final
    parent.mkdir(parents=True, exist_ok=True)
    print(
        f"q4: forging {what or scenario.name} into {final} ...",
        file=log if log is not None else sys.stderr,
    )
    from q4py.forge import forge_crashdir  # only needed the first time

    tmp = Path(tempfile.mkdtemp(prefix=f".{final.name}.", dir=parent))
    try:
        forge_crashdir(scenario, tmp)
        try:
            os.rename(tmp, final)
        except OSError:
            if not final.is_dir():  # not a lost race: a real failure
                raise
    finally:
        if tmp.exists():
            shutil.rmtree(tmp, ignore_errors=True)
    _drop_older(parent, keep=final.name)
    return final


def _drop_older(parent: Path, keep: str) -> None:
    """Remove the other dumps forged into `parent`: each subdirectory holds one scenario, so
    they are older forgings of it (another scenario text or q4py code), never to be used again.
    A q4 still reading one keeps its open files (POSIX), so this is safe while it runs."""
    for entry in parent.iterdir():
        if entry.name != keep and _KEY.fullmatch(entry.name) and entry.is_dir():
            shutil.rmtree(entry, ignore_errors=True)
