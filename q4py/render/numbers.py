"""Integers in q4's radixes, a whole column at once, as right-justified text in numpy.

`number_cells(values, radix, ...)` gives the text of every value of a column exactly as
`format_numbers` (q4py.commands.print_) writes each one, C's `%#x`, `%#o` and `%d`, but as a
matrix of ASCII bytes, one row per value, right-justified to a width: so `print` of millions of
structures formats them in C and writes whole blocks of lines without one string per cell. A
property test checks it against `format_numbers` for every radix, size and sign.

Hex digits come from the values' own big-endian bytes (`bytes.hex`); octal and decimal digits
four at a time from a table (repeated division by 8**4 or 10**4); each cell is then its row of
a template table (blanks, the prefix) with the digits laid in by arithmetic. Where a value is
longer than the width (q4 lets a later row overflow its column), the matrix is as wide as the
longest, and `overflowing` says which characters each row prints.
"""

from __future__ import annotations

from functools import lru_cache

import numpy as np

_SPACE, _ZERO = ord(" "), ord("0")
_MAX_DIGITS = {"x": 16, "o": 22, "d": 20}


def unsigned_view(values: np.ndarray, radix: str, *, size: int, signed: bool) -> np.ndarray:
    """What `format_numbers` prints the digits of, as uint64: with -x and -o a negative signed
    value in two's complement of `size` bytes, with -d its magnitude."""
    values = np.asarray(values)
    if values.dtype == np.uint64 or not signed:
        return values.astype(np.uint64, copy=False)
    as_unsigned = values.astype(np.int64, copy=False).view(np.uint64)
    if radix == "d":
        return np.where(values < 0, np.uint64(0) - as_unsigned, as_unsigned)
    if size < 8:
        return as_unsigned & np.uint64((1 << (8 * size)) - 1)
    return as_unsigned


_GROUP = 4  # octal and decimal digits are made four at a time, from a table


@lru_cache(maxsize=4)
def _powers(base: int, places: int) -> np.ndarray:
    return np.array([base**k for k in range(places)], dtype=np.uint64)


@lru_cache(maxsize=4)
def _group_table(base: int) -> np.ndarray:
    """The four ASCII digits of every number below base**4, zero-padded."""
    numbers = np.arange(base**_GROUP)
    table = np.empty((base**_GROUP, _GROUP), dtype=np.uint8)
    for k in range(_GROUP):
        table[:, _GROUP - 1 - k] = numbers // base**k % base + _ZERO
    return table


def _digits(magnitudes: np.ndarray, radix: str) -> tuple[np.ndarray, np.ndarray]:
    """(ASCII digits, most significant first, zero-padded to the radix's longest number; the
    number of significant digits of each value, at least 1)."""
    count = len(magnitudes)
    places = _MAX_DIGITS[radix]
    base = {"x": 16, "o": 8, "d": 10}[radix]
    # Digits: how many of base**0, base**1, ... are at most the value (at least one, for 0).
    lengths = np.maximum(np.searchsorted(_powers(base, places), magnitudes, side="right"), 1)
    if radix == "x":
        text = magnitudes.astype(">u8").tobytes().hex().encode("ascii")
        return np.frombuffer(text, dtype=np.uint8).reshape(count, 16), lengths
    groups = -(-places // _GROUP)
    table = _group_table(base)
    digits = np.empty((count, groups * _GROUP), dtype=np.uint8)
    rest = magnitudes.copy()
    step = np.uint64(base**_GROUP)
    for k in range(groups):
        at = (groups - 1 - k) * _GROUP
        digits[:, at:at + _GROUP] = np.take(table, (rest % step).astype(np.intp), axis=0)
        rest //= step
    return digits[:, groups * _GROUP - places:], lengths


def number_cells(values: np.ndarray, radix: str, width: int, *, size: int = 8,
                 signed: bool = True) -> tuple[np.ndarray, np.ndarray]:
    """(an ASCII matrix of `len(values)` rows, each value right-justified in its row as
    `format_numbers` writes it; each value's text length). The matrix is `width` wide, or as
    wide as the longest text when that is longer (q4's later rows overflow their column:
    `overflowing` keeps what each row prints)."""
    values = np.asarray(values)
    count = len(values)
    magnitudes = unsigned_view(values, radix, size=size, signed=signed)
    digits, lengths = _digits(magnitudes, radix)
    if radix == "d":
        marked = (values < 0) if signed and values.dtype != np.uint64 else np.zeros(
            count, dtype=bool)
    else:  # 0x before a nonzero number in hex, 0 in octal
        marked = magnitudes != 0
    templates, shown = _templates(radix)
    room = templates.shape[1] - digits.shape[1]
    # Each row from the template of its length and prefix (blanks, the prefix), with the digits
    # laid in where `shown` says: table look-ups and arithmetic, no masked writes.
    key = 2 * lengths + marked
    full = np.take(templates, key, axis=0)
    places = full[:, room:]
    places += (digits - places) * np.take(shown, key, axis=0)
    lengths = lengths + marked * len(_MARKS[radix])
    wide = max(width, int(lengths.max()) if count else 0)
    if wide <= full.shape[1]:
        return full[:, full.shape[1] - wide:], lengths
    pad = np.full((count, wide - full.shape[1]), _SPACE, dtype=np.uint8)
    return np.concatenate([pad, full], axis=1), lengths


_MARKS = {"x": b"0x", "o": b"0", "d": b"-"}  # before a nonzero (x, o) or negative (d) number


@lru_cache(maxsize=4)
def _templates(radix: str) -> tuple[np.ndarray, np.ndarray]:
    """For a number of L digits, with (odd rows) or without its prefix: the row of the cell
    with blanks and the prefix in place, and which of the digits' places show a digit (1)."""
    places = _MAX_DIGITS[radix]
    marks = _MARKS[radix]
    width = len(marks) + places
    templates = np.full((2 * (places + 1), width), _SPACE, dtype=np.uint8)
    shown = np.zeros((2 * (places + 1), places), dtype=np.uint8)  # over the digits' places
    for length in range(places + 1):
        for marked in (0, 1):
            row = 2 * length + marked
            shown[row, places - length:] = 1
            if marked:
                templates[row, width - length - len(marks):width - length] = list(marks)
    return templates, shown


def overflowing(lengths: np.ndarray, width: int, matrix_width: int) -> np.ndarray:
    """Which characters of a `number_cells` matrix `matrix_width` wide a row prints when its
    column is `width` wide: the cell right-justified to the column, or the whole text of a
    value longer than that."""
    shown = np.maximum(lengths, width)
    return np.arange(matrix_width)[None, :] >= (matrix_width - shown)[:, None]
