"""Gzip image files read in place: a seek-point index instead of an inflated copy.

A gzip file cannot be entered in the middle: inflating byte N needs everything before it. The
`indexed_gzip` library records, every SPACING bytes of inflated data, a seek point (the bit
position in the compressed stream and the 32 KiB window before it), so a later read starts at
the nearest point before it. q4py reads the page data in BLOCK-sized blocks through that index
and keeps the latest blocks in a bounded cache (BLOCK_CACHE bytes across all files), so:

- no inflated copy is ever written: a 256 GiB compressed dump needs no 256 GiB of disk, and a
  gzip bomb fills nothing;
- inflation is bounded by the size the image header (and so the INDEX) declares: no read goes
  past it, and the block holding the last declared byte also asks for one byte more: data
  there is refused ("inflates past its declared size"), and data that ends early is refused
  as truncated;
- the index is saved in the cache (`<cache>/gzindex/<key>`, zlib-compressed; the key hashes
  the file's absolute path, size and mtime) and imported by the next session, so its first
  reads start at the nearest point instead of the start of the file; never when the cache lies
  inside the crash directory (q4py.crashdir.cache.cache_dir_for);
- a corrupt stream is inflated once: the error is remembered with its offset, and every later
  read at or past it raises the same DumpError without inflating again;
- at most MAX_OPEN readers are open at once (each holds its index in memory); the least
  recently used one saves its index and closes, to be reopened from the saved index. With
  `drop_handles` a reader holds no file descriptor between reads.

indexed_gzip was picked over rapidgzip by a measurement (docs/performance.md): faster random
reads after an import of the index on one core, a third of the memory, and no worker threads
(rapidgzip aborts the interpreter when a file is left unclosed at exit).
"""

from __future__ import annotations

import hashlib
import io
import os
import tempfile
import zlib
from collections import OrderedDict
from pathlib import Path

import indexed_gzip

from q4py.crashdir.cache import sweep_stale
from q4py.errors import DumpError

SPACING = 1 << 20  # inflated bytes between seek points: 32 KiB of window each
BLOCK = 256 << 10  # bytes inflated per read of the file
BLOCK_CACHE = 32 << 20  # bytes of inflated blocks kept, all files together
MAX_OPEN = 32  # readers open at once (indexes in memory)
_SAVE_EVERY = 8  # blocks inflated between saves of a growing index


class GzipData:
    """The uncompressed bytes [0, size) of the gzip file `path`, read by block."""

    def __init__(self, path: str, size: int, index_path: Path | None) -> None:
        self.path = path
        self.size = size  # what the header declares: nothing past it is read
        self.index_path = index_path
        self._reader: indexed_gzip.IndexedGzipFile | None = None
        self._error: tuple[int, DumpError] | None = None  # (offset, what went wrong there)
        self._unsaved = 0  # blocks inflated since the index was last saved
        self._points = 0  # seek points the saved (or imported) index holds
        self.inflations = 0  # blocks inflated in all (for tests and benchmarks)

    def read(self, offset: int, size: int) -> bytes:
        """`size` bytes from `offset`; the caller stays inside [0, self.size)."""
        if offset < 0 or size < 0 or offset + size > self.size:
            raise DumpError(self.path, f"read of {size:#x} bytes at {offset:#x} is outside the "
                            f"{self.size:#x} bytes the header declares", offset)
        parts = []
        position, end = offset, offset + size
        while position < end:
            number = position // BLOCK
            block = self._block(number)
            start = position - number * BLOCK
            take = min(end - position, len(block) - start)
            parts.append(block[start:start + take])
            position += take
        return parts[0] if len(parts) == 1 else b"".join(parts)

    def _block(self, number: int) -> bytes:
        key = (self, number)
        found = _BLOCKS.get(key)
        if found is not None:
            _BLOCKS.move_to_end(key)
            return found
        start = number * BLOCK
        if self._error is not None and start + BLOCK > self._error[0]:
            raise self._error[1]  # known bad from here on: not inflated again
        want = min(BLOCK, self.size - start)
        last = start + want == self.size
        try:
            data = self._open().pread(want + 1 if last else want, start)
        except DumpError:
            raise
        except Exception as exc:  # zlib's and indexed_gzip's errors: corrupt or truncated data
            self._fail(start, f"corrupt gzip data: {exc or type(exc).__name__} (inflating "
                              f"from {start:#x} of the inflated data)")
        self.inflations += 1
        if len(data) < want:
            self._fail(start + len(data), f"truncated: inflates to {start + len(data):#x} bytes, "
                                          f"the header declares {self.size:#x}")
        if len(data) > want:
            self._fail(self.size, f"inflates past its declared size ({self.size:#x} bytes)")
        _remember(key, data)
        self._unsaved += 1
        if self._unsaved >= _SAVE_EVERY:
            self._save()
        return data

    def _fail(self, offset: int, problem: str) -> None:
        error = DumpError(self.path, problem, offset)
        self._error = (min(offset, self._error[0]) if self._error else offset, error)
        raise error

    def _open(self) -> indexed_gzip.IndexedGzipFile:
        reader = self._reader
        if reader is not None:
            _OPEN.move_to_end(self)
            return reader
        try:
            reader = _reader(self.path)
        except Exception as exc:
            raise DumpError(self.path, f"cannot read gzip data: {exc}") from None
        saved = self._load_index()
        if saved is not None:
            try:
                reader.import_index(fileobj=io.BytesIO(saved))
            except Exception:  # a stale or damaged index: build a new one
                reader.close()
                reader = _reader(self.path)
        self._reader = reader
        self._points = _count_points(reader)
        _OPEN[self] = None
        while len(_OPEN) > MAX_OPEN:
            oldest, _ = _OPEN.popitem(last=False)
            oldest.release()
        return reader

    def _load_index(self) -> bytes | None:
        if self.index_path is None:
            return None
        try:
            return zlib.decompress(self.index_path.read_bytes())
        except (OSError, zlib.error):
            return None

    def _save(self) -> None:
        """Write the index to the cache (atomically); a cache that cannot be written only
        costs the next session its head start."""
        self._unsaved = 0
        if self.index_path is None or self._reader is None:
            return
        points = _count_points(self._reader)
        if points <= self._points:
            return  # nothing new since it was imported or saved
        self._points = points
        buffer = io.BytesIO()
        try:
            self._reader.export_index(fileobj=buffer)
        except Exception:
            return
        directory = self.index_path.parent
        try:
            directory.mkdir(mode=0o700, parents=True, exist_ok=True)
            sweep_stale(directory, ".saving-")
            fd, temp = tempfile.mkstemp(dir=directory, prefix=".saving-")
        except OSError:
            return
        try:
            with os.fdopen(fd, "wb") as out:
                out.write(zlib.compress(buffer.getvalue(), 1))
            os.replace(temp, self.index_path)
        except OSError:
            Path(temp).unlink(missing_ok=True)

    @property
    def is_open(self) -> bool:
        return self._reader is not None

    def release(self) -> None:
        """Save the index and close the reader (it reopens on the next read)."""
        if self._reader is None:
            return
        if self._unsaved:
            self._save()
        reader, self._reader = self._reader, None
        _OPEN.pop(self, None)
        try:
            reader.close()
        except Exception:
            pass

    def close(self) -> None:
        """Release the reader and drop this file's cached blocks."""
        self.release()
        for key in [k for k in _BLOCKS if k[0] is self]:
            _BLOCKS.pop(key, None)
        global _cached
        _cached = sum(len(v) for v in _BLOCKS.values())


def index_path_for(path: str, cache: Path | None) -> Path | None:
    """Where the cache keeps the index of gzip file `path` (None: no cache to use)."""
    if cache is None:
        return None
    try:
        st = os.stat(path)
    except OSError:
        return None
    key = f"{os.path.abspath(path)}\0{st.st_size}\0{st.st_mtime_ns}\0{SPACING}".encode()
    return cache / "gzindex" / hashlib.sha256(key).hexdigest()


def _reader(path: str) -> indexed_gzip.IndexedGzipFile:
    # A small buffer: reads are whole blocks, which then go straight to the inflater (the
    # default 1 MiB buffer would inflate up to 1 MiB more at every seek).
    return indexed_gzip.IndexedGzipFile(path, spacing=SPACING, drop_handles=True,
                                        buffer_size=4096)


def _count_points(reader: indexed_gzip.IndexedGzipFile) -> int:
    try:
        return sum(1 for _ in reader.seek_points())
    except Exception:
        return 0


# Inflated blocks of every open file, least recently used first, at most BLOCK_CACHE bytes.
_BLOCKS: OrderedDict[tuple[GzipData, int], bytes] = OrderedDict()
_cached = 0
_OPEN: OrderedDict[GzipData, None] = OrderedDict()


def _remember(key: tuple[GzipData, int], data: bytes) -> None:
    global _cached
    _BLOCKS[key] = data
    _cached += len(data)
    while _cached > BLOCK_CACHE and len(_BLOCKS) > 1:
        _, old = _BLOCKS.popitem(last=False)
        _cached -= len(old)
