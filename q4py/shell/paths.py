"""The one check that a path lies inside the open crash directory.

A dump is never written to (`CMD > FILE`, `q4 --record FILE`) and nothing it carries is ever
executed (`include FILE`, `run SCRIPT`): every one of those asks `inside_crash_dir` first. Both
sides are resolved, symlinks included, so `ln -s /crash/INDEX notes` or a crash directory
reached through a link is still recognised.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any


def crash_dir_of(program: Any) -> Path | None:
    """The crash directory of `program` (a q4py Program), None for a stand-in without one."""
    dump = getattr(program, "path", None)
    return None if dump is None else Path(dump)


def inside_crash_dir(program: Any, path: str | Path) -> bool:
    """True when `path` (a file that may not exist yet) is inside `program`'s crash directory,
    or is that directory."""
    dump = crash_dir_of(program)
    if dump is None:
        return False
    try:
        target = Path(path).expanduser().resolve()
        return target.is_relative_to(dump.expanduser().resolve())
    except (OSError, RuntimeError, ValueError):
        # A symlink loop or a NUL in the name names no file: opening it fails anyway.
        return False
