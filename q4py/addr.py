"""How HP's tools print addresses and numbers, and how q4 reads them back.

PA-RISC addresses are `space.offset`. Each tool prints them its own way:
- q4 diagnostics: `0x0.0x18191a1b'1c1d1e1f` (64-bit offsets as two 8-digit halves);
- crashinfo / p4: `0x76db400.0x7fff0d48`, and `0.0x804920` when the space is 0;
- p4 struct dumps: `0x00000000_1a98f7c0` for 64-bit values.
"""

from __future__ import annotations

import re


def format_q4_address(space: int, offset: int, wide: bool = False) -> str:
    """q4's diagnostic form: `0x0.0x18191a1b'1c1d1e1f` (wide) or `0x76db400.0x7fff0d48` (narrow)."""
    if wide or offset > 0xFFFFFFFF:
        return f"{space:#x}.0x{offset >> 32:08x}'{offset & 0xFFFFFFFF:08x}"
    return f"{space:#x}.{offset:#x}"


def format_space_offset(space: int, offset: int) -> str:
    """crashinfo's form: `0x76db400.0x7fff0d48`, or `0.0x804920` in space 0."""
    return f"{'0' if space == 0 else hex(space)}.{offset:#x}"


def format_p4_value(value: int, size: int) -> str:
    """p4's zero-padded field value: `0x0001` (2 bytes), `0x00000000_1a98f7c0` (8 bytes)."""
    if size == 8:
        return f"0x{(value >> 32) & 0xFFFFFFFF:08x}_{value & 0xFFFFFFFF:08x}"
    return f"0x{value & ((1 << (8 * size)) - 1):0{2 * size}x}"


def c_hex(value: int) -> str:
    """C's `%#x`: zero prints as `0`, anything else as `0x...` in lower case."""
    return "0" if value == 0 else f"{value:#x}"


# q4's 64-bit addresses hold a quote (`0x0.0x18191a1b'1c1d1e1f`): one between the hex halves
# is part of the number, not the start of a quoted string.
_ADDRESS_QUOTE = re.compile(r"(?<=0[xX][0-9a-fA-F]{8})'(?=[0-9a-fA-F]{8}(?![0-9A-Za-z_]))")


def is_address_quote(line: str, at: int) -> bool:
    """Is the `'` at `line[at]` the one between the halves of a q4 address?"""
    return _ADDRESS_QUOTE.match(line, at) is not None


def protect_address_quotes(line: str) -> str:
    """`line` with the quote of every unquoted q4 address escaped for shlex."""
    out, quote, i = [], "", 0
    while i < len(line):
        ch = line[i]
        if quote:
            if ch == quote:
                quote = ""
            elif ch == "\\" and quote == '"':
                out.append(line[i:i + 2])
                i += 2
                continue
        elif ch == "\\":
            out.append(line[i:i + 2])
            i += 2
            continue
        elif ch == "'" and is_address_quote(line, i):
            ch = "\\'"
        elif ch in "'\"":
            quote = ch
        out.append(ch)
        i += 1
    return "".join(out)
