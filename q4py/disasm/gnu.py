"""Semantic comparison of q4py's disassembly with GNU objdump's, for the oracle corpus in
fixtures/disasm/ (built by tools/disasm_oracle.py, checked by tests/test_disasm_corpus.py).

Mnemonic, completers, registers, displacements, immediates and targets must agree; the
differences of syntax are normalised by the rules below, each a row of the table in
docs/disassembly.md."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

_ARG = {"arg0": "r26", "arg1": "r25", "arg2": "r24", "arg3": "r23"}
_TOKEN = re.compile(r"[(),]|[^(),]+")
_GNU_MIX = re.compile(r"^(mix[wh],[lr])(\S)")  # GNU omits the blank after mixw,l / mixh,r
_GNU_FTEST = re.compile(r"^ftest ,")  # and puts one before ftest's completer


def gnu_undecoded(text: str) -> bool:
    """GNU's `#xxxxxxxx` is no instruction; `(null)` in its text marks a reserved completer
    encoding GNU indexes past its table for (row: reserved encodings)."""
    return text.startswith("#") or "(null)" in text or "UND" in text or text == "ftest ,"


def split(text: str) -> tuple[list[str], list[str]]:
    """(mnemonic and completers, operand tokens) of one instruction text."""
    text = _GNU_FTEST.sub("ftest,", _GNU_MIX.sub(r"\1 \2", text.strip()))
    head, _, rest = text.partition(" ")
    mnemonic = head.split(",")
    tokens = [t.strip() for t in _TOKEN.findall(rest.strip()) if t.strip() and t != ","]
    return mnemonic, tokens


def _gnu_register(token: str) -> str:
    m = re.fullmatch(r"fpe(\d+)", token)
    if m:  # GNU names fr1..fr3 (the exception registers) fpe2..fpe7, halves included
        n = int(m.group(1))
        return f"fr{n // 2}" + ("R" if n % 2 else "")
    if token == "fpsr":
        return "fr0"
    return token


# GNU prints the positions, lengths and shift amounts of these in decimal
_DECIMAL = {"shrpw", "shrpd", "extrw", "extrd", "depw", "depd", "depwi", "depdi", "shladd",
            "hshladd", "hshradd", "hshl", "hshr", "fcmp"}


def _numbers(token: str, gnu: bool, decimal: bool = False) -> set[int]:
    """The values a number token may stand for: GNU prints displacements and immediates in
    hex without 0x, positions, lengths and shift amounts in decimal (`decimal`)."""
    token = token.removeprefix("L%")
    negative = token.startswith("-")
    body = token[1:] if negative else token
    values: set[int] = set()
    try:
        if body.startswith("0x"):
            values.add(int(body, 16))
        elif gnu:
            values.add(int(body, 16))
            if decimal and body.isdigit():
                values.add(int(body, 10))
        else:
            values.add(int(body, 10))
    except ValueError:
        return set()
    return {-v for v in values} if negative else values


def _same(g: str, o: str, decimal: bool) -> bool:
    ours_value = _numbers(o, False)
    if ours_value:  # numbers by value: GNU's "20" is 0x20
        return bool(ours_value & _numbers(g, True, decimal))
    return _gnu_register(g) == _ARG.get(o, o)


def agree(gnu: str, ours: str, word: int = 0) -> str | None:
    """None when the two texts say the same instruction, else what differs."""
    g_mn, g_ops = split(gnu)
    o_mn, o_ops = split(ours)
    g_mn = ["fstw" if m == "fstws" else m for m in g_mn]
    op = word >> 26
    if op in (0x13, 0x1B) and g_mn[1:] in (["ma"], ["mb"]):
        # LDWM/STWM: GNU picks ,ma/,mb by bit 18 in wide mode; q4py by the displacement's
        # sign (mb when negative), as the architecture does
        g_mn = o_mn[:1] + g_mn[1:] if o_mn[1:] in (["ma"], ["mb"]) else g_mn
        g_mn = [g_mn[0]] + o_mn[1:] if o_mn[1:] in (["ma"], ["mb"]) else g_mn
    if g_mn[0] in ("fmpyadd", "fmpysub") and "sgl" in g_mn:
        o_ops = [t.removesuffix("R") for t in o_ops]  # GNU drops the halves
    if "o" in g_mn[1:]:
        # GNU's ,o (short form, modification by 0): the same as q4py's ,ma/,mb/none with
        # displacement 0; for the coprocessor forms GNU prints 0 whatever the displacement.
        g_mn = [m for m in g_mn if m != "o"]
        o_mn = [m for m in o_mn if m not in ("o", "ma", "mb")]
        if g_mn[0][0] == "c":
            g_ops = [t for t in g_ops if t != "0"]
            o_ops = [t for t in o_ops if not _numbers(t, False)]
    decimal = g_mn[0] in _DECIMAL
    if len(g_mn) != len(o_mn) or \
            not all(_same(g, o, True) for g, o in zip(g_mn, o_mn, strict=True)):
        return f"mnemonic {','.join(g_mn)} != {','.join(o_mn)}"
    if len(g_ops) != len(o_ops):
        return f"operands {g_ops} != {o_ops}"
    for g, o in zip(g_ops, o_ops, strict=True):
        if not _same(g, o, decimal):
            return f"operand {g} != {o}"
    return None


def compare_corpus(lines: Iterable[str], decode: Callable[[int, int], str]) -> Figures:
    """Figures for corpus lines `pc<TAB>word<TAB>GNU text` decoded with decode(word, pc)."""
    figures = Figures()
    for line in lines:
        if line.startswith("#"):
            continue
        pc_text, word_text, gnu = line.rstrip("\n").split("\t")
        figures.words += 1
        word = int(word_text, 16)
        ours = decode(word, int(pc_text, 16))
        if gnu_undecoded(gnu):
            if not ours.startswith(".word"):
                figures.extra.append((word, gnu, ours))
            continue
        figures.gnu += 1
        if ours.startswith(".word"):
            figures.undecoded.append((word, gnu, ours))
            continue
        why = agree(gnu, ours, word)
        if why:
            figures.disagree.append((word, gnu, f"{ours}: {why}"))
    return figures


@dataclass
class Figures:
    words: int = 0
    gnu: int = 0  # words GNU decodes
    undecoded: list[tuple[int, str, str]] = field(default_factory=list)
    disagree: list[tuple[int, str, str]] = field(default_factory=list)
    extra: list[tuple[int, str, str]] = field(default_factory=list)  # GNU rejects, q4py not

    @property
    def decoded(self) -> float:
        return 1 - len(self.undecoded) / self.gnu

    @property
    def agreement(self) -> float:
        return 1 - len(self.disagree) / (self.gnu - len(self.undecoded))

    def summary(self) -> str:
        return (f"{self.words} words, {self.gnu} decoded by GNU; q4py decodes "
                f"{self.gnu - len(self.undecoded)} ({100 * self.decoded:.2f} %), agreeing on "
                f"{self.gnu - len(self.undecoded) - len(self.disagree)} "
                f"({100 * self.agreement:.2f} %); of the {self.words - self.gnu} words GNU "
                f"rejects, q4py decodes {len(self.extra)}")
