"""Formatting shared by HP's reports: section banners and page-size figures."""

from __future__ import annotations

PAGE_KB = 4


def banner(title: str, tabs: int = 3) -> list[str]:
    """crashinfo's three-line section banner, indented with tabs."""
    rule = "\t" * tabs + "=" * (len(title) + 4)
    return [rule, "\t" * tabs + f"= {title} =", rule]


def underline(title: str, char: str = "=") -> list[str]:
    return [title, char * len(title)]


def pages_in_mb(pages: int) -> str:
    """`327680 pages (1.25 GB)`, `4438 pages (17.34 MB)`, and `0 pages` for zero."""
    if pages == 0:
        return "0 pages"
    mb = pages * PAGE_KB / 1024
    if mb >= 1024:
        return f"{pages} pages ({mb / 1024:.2f} GB)"
    return f"{pages} pages ({mb:.2f} MB)"


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
