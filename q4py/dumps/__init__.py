"""Crash dumps by format, told apart by what is there (docs/dump-format.md):

- CRASHDIR (version 2, 11.00 on): INDEX + `image.M.P` + vmunix (q4py.crashdir);
- COREDIR (version 1, 10.x): INDEX + `core.N.M` chunks + vmunix (q4py.dumps.coredir);
- COREFILE (version 0): a core file and a kernel file, given as `CORE VMUNIX` or as a directory
  holding `core` and `vmunix` (q4py.dumps.corefile).

`open_dump` opens any of them with its kernel (ELF or SOM, q4py.vmunix) and returns both.
"""

from __future__ import annotations

import os
from typing import Any

from q4py.crashdir import CrashDir, member_file
from q4py.dumps.coredir import CoreDir, is_coredir, write_coredir
from q4py.dumps.corefile import CORE_NAME, KERNEL_NAME, CoreFile, write_corefile
from q4py.errors import DumpError
from q4py.vmunix import KernelImage

__all__ = ["DUMP_FORMATS", "CoreDir", "CoreFile", "open_dump", "write_coredir",
           "write_corefile"]

DUMP_FORMATS = ("crashdir", "coredir", "corefile")


def open_dump(path: str | os.PathLike[str], vmunix: str | os.PathLike[str] | None = None,
              ) -> tuple[Any, KernelImage]:
    """The dump at `path` (with `vmunix`: `path` is a COREFILE's core) and its kernel image.

    DumpError naming the file and the fault for anything that is none of the formats or is
    broken; nothing is written.
    """
    path = os.fspath(path)
    if vmunix is not None:
        dump: Any = CoreFile.open(path, os.fspath(vmunix))
    elif os.path.isfile(path):
        raise DumpError(path, "a plain file: if it is a COREFILE core, name its kernel too "
                        "(q4 CORE VMUNIX)")
    elif not os.path.isdir(path):
        raise DumpError(path, "no such crash dump")
    elif is_coredir(path):
        dump = CoreDir.open(path)
    elif member_file(path, "INDEX") is None and member_file(path, CORE_NAME) is not None:
        dump = CoreFile.open(os.path.join(path, CORE_NAME), os.path.join(path, KERNEL_NAME))
    else:
        dump = CrashDir.open(path)  # or its one line on what is missing
    try:
        kernel = KernelImage.load(dump.vmunix_path)
        if isinstance(dump, CoreFile):
            dump.fit_kernel(kernel)
    except BaseException:
        dump.close()
        raise
    return dump, kernel
