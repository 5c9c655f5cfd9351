"""Formatting shared by HP's reports: section banners, page-size figures and C escapes."""

from __future__ import annotations

PAGE_KB = 4


def banner(title: str, tabs: int = 3) -> list[str]:
    """crashinfo's three-line section banner, indented with tabs."""
    rule = "\t" * tabs + "=" * (len(title) + 4)
    return [rule, "\t" * tabs + f"= {title} =", rule]


def underline(title: str, char: str = "=") -> list[str]:
    return [title, char * len(title)]


def pages_in_mb(pages: int) -> str:
    """`327680 pages (1.25 GB)`, `4438 pages (17.34 MB)`, `11 pages (44 KB)` under a MB, and
    `0 pages` for zero."""
    if pages == 0:
        return "0 pages"
    return f"{pages} pages ({page_size(pages)})"


def page_size(pages: int) -> str:
    """The size of `pages` 4 KB pages: `1.25 GB`, `17.34 MB`, or whole KB under a MB."""
    kb = pages * PAGE_KB
    if kb < 1024:
        return f"{kb} KB"
    mb = kb / 1024
    if mb >= 1024:
        return f"{mb / 1024:.2f} GB"
    return f"{mb:.2f} MB"


def kmem_size(pages: int) -> str:
    """kmeminfo's one-decimal size: `544.0k`, `957.7m`, `1.2g`."""
    kb = pages * PAGE_KB
    if kb < 1024:
        return f"{kb:.1f}k"
    if kb < 1024 * 1024:
        return f"{kb / 1024:.1f}m"
    return f"{kb / 1024 / 1024:.1f}g"


def percent(part: int, whole: int) -> int:
    """A whole percentage, rounded half up as HP's tools did."""
    return int(part * 100 / whole + 0.5) if whole else 0


# adb's named escapes; any other unprintable byte is a 3-digit octal escape in that style.
_ADB_ESCAPES = {0: "\\0", 7: "\\a", 8: "\\b", 9: "\\t", 10: "\\n", 11: "\\v", 12: "\\f",
                13: "\\r"}


def c_escape(raw: bytes | str, *, literal: bool = False) -> str:
    """Bytes (or latin-1 text) on one line with C escapes; the one escaper of the project.

    literal=False (adb style, `examine` and `p s`): printable ASCII as is, `\\n` `\\t` ... by
    name, anything else as `\\ooo`; quotes and backslashes stay as they are.
    literal=True (`print` and struct dumps): a quoted C string literal of the text up to its
    first NUL, with `"` and `\\` escaped and other unprintable bytes as `\\xhh`.
    """
    data = raw.encode("latin-1") if isinstance(raw, str) else bytes(raw)
    if not literal:
        return "".join(chr(b) if 0x20 <= b < 0x7F else _ADB_ESCAPES.get(b, f"\\{b:03o}")
                       for b in data)
    body = data.split(b"\0", 1)[0]
    return '"' + "".join("\\" + chr(b) if b in (0x22, 0x5C) else chr(b) if 0x20 <= b < 0x7F
                         else f"\\x{b:02x}" for b in body) + '"'
