"""`grep [-E] [-i] [-v] PATTERN FILE ...`: p4's grep over output saved earlier.

    p4> crashinfo threads > crashinfo.txt
    p4> grep nfs3_lookup crashinfo.txt

An analyst saved long output (`CMD > FILE`) and picked lines out of it without leaving p4.
PATTERN is a basic regular expression as grep(1) takes it (`. * [] ^ $`; `| + ? ( )` are
plain characters), an extended one with -E (`"from|mntinfo|down"`). Lines print as they are,
prefixed with the file name when there are several files. Reading a file that is not there
is one error line; the other files are still read.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

from q4py.commands import command
from q4py.errors import CommandError

if TYPE_CHECKING:
    from q4py.shell.session import Session

USAGE = "grep [-E] [-i] [-v] PATTERN FILE ..."
_BRE_PLAIN = re.compile(r"\\?[|+?(){}]")


def basic_to_python(pattern: str) -> str:
    """A basic regular expression (grep without -E) as a Python one: `|+?(){}` are
    literal unless escaped, in which case GNU grep gives them their extended meaning."""
    return _BRE_PLAIN.sub(lambda m: m.group(0)[1] if len(m.group(0)) == 2
                          else "\\" + m.group(0), pattern)


def _parse(args: list[str]) -> tuple[set[str], str, list[str]]:
    flags: set[str] = set()
    while args and args[0].startswith("-") and len(args[0]) > 1 and args[0] != "--":
        for letter in args[0][1:]:
            if letter not in "Eiv":
                raise CommandError(f"grep: unknown flag '-{letter}' (usage: {USAGE})")
            flags.add(letter)
        args = args[1:]
    if args and args[0] == "--":
        args = args[1:]
    if len(args) < 2:
        raise CommandError(f"usage: {USAGE}")
    return flags, args[0], args[1:]


@command(
    "grep",
    usage=USAGE,
    summary="print the lines of saved output (files) that match a pattern",
    help="Pick lines out of output saved with CMD > FILE, as p4's grep did.\n"
    "  -E   PATTERN is an extended regular expression (a|b, x+, (..))\n"
    "  -i   ignore case\n"
    "  -v   print the lines that do not match\n"
    "Examples:\n"
    "  p4> crashinfo threads > crashinfo.txt\n"
    "  p4> grep nfsd crashinfo.txt\n"
    "  p4> grep -E \"from|mntinfo|down\" nfhow.txt",
)
def grep_command(session: Session, args: list[str]) -> None:
    flags, pattern, files = _parse(args)
    source = pattern if "E" in flags else basic_to_python(pattern)
    try:
        regex = re.compile(source, re.IGNORECASE if "i" in flags else 0)
    except re.error as err:
        raise CommandError(f"grep: bad pattern '{pattern}': {err}") from None
    invert = "v" in flags
    problems = []
    for name in files:
        prefix = f"{name}:" if len(files) > 1 else ""
        if "\0" in name:  # open() would raise ValueError: no file has such a name
            problems.append(f"grep: {name!r}: a file name cannot hold a NUL byte")
            continue
        try:
            with open(name, encoding="latin-1") as stream:
                for line in stream:
                    line = line.rstrip("\n")
                    if bool(regex.search(line)) != invert:
                        print(f"{prefix}{line}", file=session.out)
        except OSError as err:
            problems.append(f"grep: {name}: {err.strerror}")
    if problems:
        raise CommandError("; ".join(problems))
