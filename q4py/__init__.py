"""q4py: an emulation of HP-UX's q4 kernel crash-dump debugger for PA-RISC crash directories.

As a library (docs/library.md): `dump = q4py.open(PATH)` opens a crash directory read-only and
returns a `q4py.dump.Dump`.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from q4py.dump import Dump

__version__ = "0.1.0"
__all__ = ["open", "__version__"]


def open(path: str | Path, vmunix: str | Path | None = None) -> Dump:  # noqa: A001
    """Open the crash dump at `path` (read-only) as a `q4py.dump.Dump`: a CRASHDIR, a COREDIR,
    a directory holding a COREFILE's `core` and `vmunix`, or (with `vmunix`) a COREFILE's core.
    (`open` is drgn's and the issue's name.)"""
    from q4py.dump import Dump  # the decoder only when a dump is really opened

    return Dump.open(path, vmunix)
