"""Reading plain-or-gzip files, and the per-user cache a dump may use.

savecrash may gzip the image files and vmunix. Image files are read in place through a
seek-point index kept in the cache (q4py.crashdir.gzindex); a gzipped kernel, read whole
anyway, is inflated once into `<cache>/inflated/<sha256>` (the cache is
q4py.cachedir.user_cache_dir()), at most to the size its INDEX line declares, and reused by
later sessions. The key hashes the file's absolute path, size and mtime, so a replaced file is
inflated anew. The crash directory itself is never written: a cache inside it is not used.
"""

from __future__ import annotations

import gzip
import hashlib
import os
import tempfile
import time
import zlib
from collections.abc import Iterator
from pathlib import Path
from typing import BinaryIO

from q4py.cachedir import user_cache_dir
from q4py.errors import DumpError

GZIP_MAGIC = b"\x1f\x8b"
_CHUNK = 1 << 20
STALE_SECONDS = 3600  # a temporary file untouched this long was left by a run that was killed


def sweep_stale(directory: Path, prefix: str) -> None:
    """Remove temporary files (`prefix*`) that killed runs left in a cache directory: nothing
    else ever would. A file written to in the last STALE_SECONDS may be another run's, kept."""
    now = time.time()
    try:
        entries = list(os.scandir(directory))
    except OSError:
        return
    for entry in entries:
        if not entry.name.startswith(prefix):
            continue
        try:
            if now - entry.stat(follow_symlinks=False).st_mtime > STALE_SECONDS:
                os.unlink(entry.path)
        except OSError:
            pass


def is_gzip(path: str) -> bool:
    """True when the file starts with the gzip magic (the name alone proves nothing)."""
    with open(path, "rb") as f:
        return f.read(2) == GZIP_MAGIC


def open_uncompressed(path: str) -> BinaryIO:
    """The file's uncompressed byte stream: a GzipFile for gzip data, else the file itself."""
    f = open(path, "rb")  # the caller closes it, through the returned stream
    if f.read(2) == GZIP_MAGIC:
        f.seek(0)
        return gzip.GzipFile(fileobj=f, mode="rb")  # type: ignore[return-value]
    f.seek(0)
    return f


def iter_uncompressed(path: str, limit: int | None = None) -> Iterator[bytes]:
    """Yield the file's uncompressed bytes in chunks; DumpError for corrupt or truncated gzip.

    With `limit`, stops with DumpError as soon as the data runs past `limit` bytes, so a
    corrupt (or hostile) file cannot fill the disk.
    """
    total = 0
    try:
        with open_uncompressed(path) as stream:
            while chunk := stream.read(_CHUNK):
                total += len(chunk)
                if limit is not None and total > limit:
                    raise DumpError(
                        path, f"inflates past its declared size ({limit:#x} bytes)", limit
                    )
                yield chunk
    except EOFError:
        raise DumpError(
            path, "truncated: the gzip stream ends early (offset in the inflated data)", total
        ) from None
    except (gzip.BadGzipFile, zlib.error) as e:
        raise DumpError(
            path, f"corrupt gzip data: {e} (offset in the inflated data)", total
        ) from None
    except OSError as e:
        raise DumpError(path, f"cannot read: {e.strerror or e}") from None


def cache_dir_for(crash_dir: str) -> Path | None:
    """The cache a dump in `crash_dir` may write to: None when it lies inside the dump
    (`Q4PY_CACHE_DIR=/crash/c`), where nothing may be written."""
    cache = user_cache_dir()
    try:
        root = Path(crash_dir).resolve()
        resolved = cache.expanduser().resolve()
    except (OSError, RuntimeError):
        return None
    return None if resolved.is_relative_to(root) else cache


def inflated_path(path: str) -> Path:
    """Where the cache keeps the inflated copy of `path`."""
    st = os.stat(path)
    key = f"{os.path.abspath(path)}\0{st.st_size}\0{st.st_mtime_ns}".encode()
    return user_cache_dir() / "inflated" / hashlib.sha256(key).hexdigest()


def inflate_to_cache(path: str, expected_size: int | None = None) -> str:
    """Inflate the gzip file `path` into the cache (once) and return the inflated file's path.

    With `expected_size`, data longer or shorter than that is a DumpError ("inflates past its
    declared size" / "truncated"), and a cached copy of another size is inflated again. A
    cache inside the crash directory is refused (DumpError): a dump is never written to.
    """
    if cache_dir_for(os.path.dirname(os.path.abspath(path))) is None:
        raise DumpError(path, f"cannot inflate into the cache {user_cache_dir()}: it is inside "
                        "the crash directory (a dump is never written to; set Q4PY_CACHE_DIR "
                        "elsewhere)")
    target = inflated_path(path)
    if target.is_file() and (expected_size is None or target.stat().st_size == expected_size):
        return str(target)
    try:
        target.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
        sweep_stale(target.parent, ".inflating-")
        fd, temp = tempfile.mkstemp(dir=target.parent, prefix=".inflating-")
    except OSError as e:
        raise DumpError(
            path, f"cannot inflate into cache {target.parent}: {e.strerror or e}"
        ) from None
    try:
        total = 0
        with os.fdopen(fd, "wb") as out:
            for chunk in iter_uncompressed(path, limit=expected_size):
                out.write(chunk)
                total += len(chunk)
        if expected_size is not None and total < expected_size:
            raise DumpError(
                path,
                f"truncated: inflates to {total:#x} bytes, the header declares {expected_size:#x}",
                total,
            )
        # Rename last so that a reader never sees a half-written file.
        os.replace(temp, target)
    except OSError as e:
        os.unlink(temp)
        raise DumpError(
            path, f"cannot inflate into cache {target.parent}: {e.strerror or e}"
        ) from None
    except BaseException:
        os.unlink(temp)
        raise
    return str(target)
