"""The crash directory's `INDEX` file: an ASCII list of `keyword value...` lines.

savecrash writes one line per fact (host, panic string, memory size, one line per kernel module and
one per image chunk). The keywords follow HP's cr_info(3); the `image` line's fields and the
`pagesize` keyword are q4py's own (see docs/dump-format.md). `parse_index` turns the text into a
frozen `IndexFile`; `render_index` writes it back so that `parse_index(render_index(x)) == x`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from q4py.errors import DumpError

INDEX_VERSION = 2  # CRASHDIR
COREDIR_VERSION = 1  # COREDIR's INDEX: no image lines (its chunks are found by name)
DEFAULT_PAGE_SIZE = 4096
# A 256 GiB dump in 64 MiB chunks has a 4096-line INDEX of about 500 KB; reading is bounded so
# that a garbage file named INDEX cannot take all memory.
MAX_INDEX_SIZE = 16 << 20

# Values are unsigned and must fit the image files' uint64 fields.
_MAX_NUMBER = (1 << 64) - 1
_NUMBER = re.compile(r"0[xX][0-9a-fA-F]{1,16}|[0-9]{1,20}")
# What a free-text value may hold so that it survives a render/parse round trip.
_TEXT = re.compile(r"[\x20-\x7e\t]*")
_WORD = re.compile(r"([^ \t]*)(?:[ \t]+(.*))?")

_SINGLE_TEXT = ("hostname", "modelname", "panic", "release")
_SINGLE_NUMBER = ("version", "memsize", "chunksize", "pagesize")
_SINGLE_TIME = ("dumptime", "savetime")
KEYWORDS = frozenset(("comment", "module", "image", *_SINGLE_TEXT, *_SINGLE_NUMBER, *_SINGLE_TIME))


@dataclass(frozen=True)
class Timestamp:
    """A `dumptime`/`savetime` value: epoch seconds and the date as savecrash printed it."""

    epoch: int
    text: str = ""


@dataclass(frozen=True)
class ModuleEntry:
    """`module <path> <name> <size> <checksum>`: a kernel file; `vmunix` names the kernel."""

    path: str
    name: str
    size: int
    checksum: int  # q4py writes zlib.crc32 of the uncompressed file


@dataclass(frozen=True)
class ImageEntry:
    """`image <file> <chunk-offset> <size> <low-pfn> <high-pfn> <crc32>`: one memory chunk file."""

    file: str  # plain file name inside the crash directory
    offset: int  # offset of this chunk's page data in the whole dump stream
    size: int  # bytes of page data: npages * pagesize
    low_pfn: int
    high_pfn: int
    crc32: int  # zlib.crc32 of the uncompressed image file


@dataclass(frozen=True)
class IndexFile:
    """Everything an INDEX says. Optional keywords absent from the file are None."""

    version: int
    memsize: int
    images: tuple[ImageEntry, ...]
    modules: tuple[ModuleEntry, ...]
    comments: tuple[str, ...] = ()
    hostname: str | None = None
    modelname: str | None = None
    panic: str | None = None
    dumptime: Timestamp | None = None
    savetime: Timestamp | None = None
    release: str | None = None
    chunksize: int | None = None
    pagesize: int = DEFAULT_PAGE_SIZE

    @property
    def vmunix(self) -> ModuleEntry:
        """The kernel's module line (parse_index guarantees there is exactly one)."""
        for module in self.modules:
            if module.name == "vmunix":
                return module
        raise LookupError("INDEX has no vmunix module")


def is_plain_name(name: str) -> bool:
    """True for a file name that stays inside its directory: no separators, not `.`/`..`, no NUL."""
    return bool(name) and name not in (".", "..") and not any(c in name for c in "/\\\0")


# ---------------------------------------------------------------------------------------------
# parsing


def read_index(path: str, version: int = INDEX_VERSION) -> IndexFile:
    """Read and parse the INDEX file at `path` (as bytes, so stray non-ASCII bytes are reported).

    `version` is the format the INDEX must declare: 2 (CRASHDIR) or 1 (COREDIR).
    """
    try:
        with open(path, "rb") as f:
            data = f.read(MAX_INDEX_SIZE + 1)
    except OSError as e:
        raise DumpError(path, f"cannot read INDEX: {e.strerror or e}") from None
    if len(data) > MAX_INDEX_SIZE:
        raise DumpError(path, f"more than {MAX_INDEX_SIZE:#x} bytes: too large for an INDEX")
    return parse_index(data, path, version)


def parse_index(data: str | bytes, path: str, version: int = INDEX_VERSION) -> IndexFile:
    """Parse INDEX text (bytes are decoded as strict ASCII); DumpError names the path and line."""
    text = _decode(data, path)
    parser = _Parser(path, version)
    for number, line in enumerate(text.split("\n"), start=1):
        parser.line(number, line)
    return parser.finish()


def _decode(data: str | bytes, path: str) -> str:
    if isinstance(data, bytes):
        try:
            text = data.decode("ascii")
        except UnicodeDecodeError as e:
            line = data.count(b"\n", 0, e.start) + 1
            raise DumpError(
                path, f"line {line}: non-ASCII byte {data[e.start]:#04x}", e.start
            ) from None
    else:
        text = data
    for offset, char in enumerate(text):
        if not char.isascii():
            line = text.count("\n", 0, offset) + 1
            raise DumpError(path, f"line {line}: non-ASCII character {char!r}", offset)
    if not text.strip():
        raise DumpError(path, "empty INDEX file")
    return text


def _split_word(text: str) -> tuple[str, str]:
    """`word rest of line` -> ("word", "rest of line"); blanks around the rest are dropped."""
    match = _WORD.fullmatch(text)
    assert match is not None  # callers pass text without leading blanks or control characters
    return match.group(1), (match.group(2) or "").strip(" \t")


class _Parser:
    """Collects lines into fields; checks that need the whole file run in finish()."""

    def __init__(self, path: str, version: int = INDEX_VERSION) -> None:
        self.path = path
        self.version = version
        self.fields: dict[str, Any] = {}
        self.seen_at: dict[str, int] = {}
        self.comments: list[str] = []
        self.modules: list[tuple[int, ModuleEntry]] = []
        self.images: list[tuple[int, ImageEntry]] = []

    def error(self, number: int, problem: str) -> DumpError:
        return DumpError(self.path, f"line {number}: {problem}")

    def line(self, number: int, raw: str) -> None:
        # Tolerate CRLF line ends and trailing blanks; other control characters are garbage.
        line = raw.rstrip(" \t\r")
        for char in line:
            if char != "\t" and not ("\x20" <= char <= "\x7e"):
                raise self.error(number, f"control character {ord(char):#04x}")
        if not line.strip(" \t"):
            return
        keyword, value = _split_word(line.lstrip(" \t"))
        if keyword not in KEYWORDS:
            raise self.error(number, f"unknown keyword {keyword!r}")
        if keyword == "comment":
            self.comments.append(value)
        elif keyword == "module":
            self.modules.append((number, self.module(number, value)))
        elif keyword == "image":
            self.images.append((number, self.image(number, value)))
        else:
            if keyword in self.seen_at:
                raise self.error(
                    number, f"duplicate {keyword!r} (first on line {self.seen_at[keyword]})"
                )
            self.seen_at[keyword] = number
            self.fields[keyword] = self.single(number, keyword, value)

    def number(self, number: int, what: str, token: str) -> int:
        if not _NUMBER.fullmatch(token):
            raise self.error(number, f"bad number {token!r} for {what}")
        value = int(token, 16) if token[:2] in ("0x", "0X") else int(token)
        if value > _MAX_NUMBER:
            raise self.error(number, f"{what} {token} is out of range")
        return value

    def single(self, number: int, keyword: str, value: str) -> Any:
        if keyword in _SINGLE_TEXT:
            return value
        if keyword in _SINGLE_TIME:
            epoch, text = _split_word(value)
            return Timestamp(self.number(number, keyword, epoch), text)
        return self.number(number, keyword, value)

    def tokens(self, number: int, keyword: str, value: str, names: tuple[str, ...]) -> list[str]:
        tokens = value.split()
        if len(tokens) != len(names):
            raise self.error(
                number,
                f"{keyword} needs {len(names)} fields ({' '.join(names)}), found {len(tokens)}",
            )
        return tokens

    def module(self, number: int, value: str) -> ModuleEntry:
        path, name, size, checksum = self.tokens(
            number, "module", value, ("path", "name", "size", "checksum")
        )
        if not is_plain_name(name):
            raise self.error(number, f"module name {name!r} is not a plain file name")
        return ModuleEntry(
            path,
            name,
            self.number(number, "module size", size),
            self.number(number, "module checksum", checksum),
        )

    def image(self, number: int, value: str) -> ImageEntry:
        names = ("file", "chunk-offset", "size", "low-pfn", "high-pfn", "crc32")
        file, *numbers = self.tokens(number, "image", value, names)
        if not is_plain_name(file):
            raise self.error(number, f"image file {file!r} is not a plain file name")
        offset, size, low, high, crc = (
            self.number(number, f"image {what}", token)
            for what, token in zip(names[1:], numbers, strict=True)
        )
        if crc > 0xFFFFFFFF:
            raise self.error(number, f"image crc32 {crc:#x} does not fit 32 bits")
        if low > high:
            raise self.error(number, f"image low pfn {low:#x} is above high pfn {high:#x}")
        return ImageEntry(file, offset, size, low, high, crc)

    def finish(self) -> IndexFile:
        fields = self.fields
        for required in ("version", "memsize"):
            if required not in fields:
                raise DumpError(self.path, f"no {required!r} line")
        if fields["version"] != self.version:
            raise self.error(
                self.seen_at["version"],
                f"unsupported INDEX version {fields['version']} (q4py reads {self.version})",
            )
        page_size: int = fields.get("pagesize", DEFAULT_PAGE_SIZE)
        if not (512 <= page_size <= 1 << 30 and page_size & (page_size - 1) == 0):
            raise self.error(
                self.seen_at["pagesize"],
                f"pagesize {page_size} is not a power of two in 512..2**30",
            )
        if fields["memsize"] == 0:
            raise self.error(self.seen_at["memsize"], "memsize is zero")
        if fields.get("chunksize") == 0:
            raise self.error(self.seen_at["chunksize"], "chunksize is zero")
        self.check_modules()
        if self.version == COREDIR_VERSION:
            if self.images:
                raise self.error(self.images[0][0], "a COREDIR INDEX (version 1) has no "
                                 "'image' lines: its chunks are the core.N.M files")
        else:
            self.check_images(page_size)
        return IndexFile(
            comments=tuple(self.comments),
            modules=tuple(module for _, module in self.modules),
            images=tuple(image for _, image in self.images),
            **fields,
        )

    def check_modules(self) -> None:
        first: dict[str, int] = {}
        for number, module in self.modules:
            if module.name in first:
                raise self.error(
                    number, f"duplicate module {module.name!r} (first on line {first[module.name]})"
                )
            first[module.name] = number
        if "vmunix" not in first:
            raise DumpError(self.path, "no 'module' line for vmunix")

    def check_images(self, page_size: int) -> None:
        if not self.images:
            raise DumpError(self.path, "no 'image' line")
        first: dict[str, int] = {}
        stream_offset = 0
        for number, image in self.images:
            if image.file in first:
                raise self.error(
                    number, f"duplicate image {image.file!r} (first on line {first[image.file]})"
                )
            first[image.file] = number
            if image.offset != stream_offset:
                raise self.error(
                    number,
                    f"image offset {image.offset:#x} should be {stream_offset:#x}"
                    " (the sum of the earlier chunks' sizes)",
                )
            if image.size == 0 or image.size % page_size:
                raise self.error(
                    number,
                    f"image size {image.size:#x} is not a whole number of {page_size}-byte pages",
                )
            if image.size // page_size > image.high_pfn - image.low_pfn + 1:
                raise self.error(
                    number,
                    f"image size {image.size:#x} holds more pages than pfns"
                    f" {image.low_pfn:#x}-{image.high_pfn:#x}",
                )
            stream_offset += image.size


# ---------------------------------------------------------------------------------------------
# rendering


def render_index(index: IndexFile) -> str:
    """The INDEX text for `index`, in savecrash's keyword order; ValueError if a value can't be.

    Free text must be printable ASCII without leading/trailing blanks (anything else would not
    read back the same); file names and module paths must be single tokens.
    """
    lines = [f"comment {_text('comment', c)}".rstrip() for c in index.comments]
    lines.append(f"version {index.version}")
    for keyword in ("hostname", "modelname", "panic"):
        value = getattr(index, keyword)
        if value is not None:
            lines.append(f"{keyword} {_text(keyword, value)}".rstrip())
    for keyword in ("dumptime", "savetime"):
        stamp: Timestamp | None = getattr(index, keyword)
        if stamp is not None:
            lines.append(f"{keyword} {stamp.epoch} {_text(keyword, stamp.text)}".rstrip())
    if index.release is not None:
        lines.append(f"release {_text('release', index.release)}".rstrip())
    lines.append(f"memsize {index.memsize}")
    if index.chunksize is not None:
        lines.append(f"chunksize {index.chunksize}")
    lines.append(f"pagesize {index.pagesize}")
    for m in index.modules:
        lines.append(f"module {_token(m.path)} {_token(m.name)} {m.size} {m.checksum}")
    for i in index.images:
        lines.append(
            f"image {_token(i.file)} {i.offset:#018x} {i.size:#018x}"
            f" {i.low_pfn:#018x} {i.high_pfn:#018x} {i.crc32}"
        )
    return "\n".join(lines) + "\n"


def _text(keyword: str, value: str) -> str:
    if not _TEXT.fullmatch(value) or value != value.strip(" \t"):
        raise ValueError(f"{keyword} text {value!r} cannot be written to an INDEX")
    return value


def _token(value: str) -> str:
    if not value or not _TEXT.fullmatch(value) or any(c in value for c in " \t"):
        raise ValueError(f"INDEX field {value!r} must be one printable ASCII word")
    return value
