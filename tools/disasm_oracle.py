"""Build the disassembly oracle corpus: words decoded by GNU objdump for hppa64.

    python tools/disasm_oracle.py [--objdump PATH] [--out fixtures/disasm/corpus.tsv.gz]
    python tools/disasm_oracle.py --report      # q4py against the corpus: figures, differences

Needs `hppa64-linux-gnu-objdump` (Debian: binutils-hppa64-linux-gnu). The words are a seeded
set: random words, random words of every major opcode, and for each major opcode every
combination of its extension and completer fields (with the other bits random). They are laid
out as one flat binary at BASE and disassembled as PA-RISC 2.0 (wide: objdump's 64-bit
build uses the PA 2.0W forms), so each word's pc is BASE + 4 * its index. The output holds one
line per word: `pc<TAB>word<TAB>GNU's text` (`(bad)` where GNU does not decode it). The test
suite (tests/test_disasm_corpus.py) compares q4py's decoder with this file; binutils is not
needed to run it.
"""

from __future__ import annotations

import argparse
import gzip
import itertools
import random
import re
import shutil
import struct
import subprocess
import sys
import tempfile
from pathlib import Path

SEED = 13
BASE = 0x100000
RANDOM_WORDS = 12000
PER_OPCODE = 160
# Per major opcode: the bit ranges (MSB-0, inclusive) swept through every value: sub-opcodes,
# conditions, completers. The bits not listed stay random.
SWEEPS: dict[int, list[tuple[int, int]]] = {
    0x00: [(19, 26)],  # system control ext8
    0x01: [(18, 25), (26, 26)],  # memory management ext (both layouts share these bits)
    0x02: [(16, 18), (19, 19), (20, 25), (26, 26)],  # arith/log: c f ext6 d
    0x03: [(18, 19), (20, 21), (22, 25), (26, 26)],  # indexed memory: a/u, cc, ext4, m
    0x04: [(21, 22), (23, 23), (26, 26)],  # special function unit
    0x05: [(19, 26)],  # diagnose
    0x06: [(26, 26)],  # fmpyadd
    0x09: [(19, 19), (20, 21), (22, 22), (23, 25), (26, 26)],  # coprocessor word memory
    0x0B: [(19, 19), (20, 21), (22, 22), (23, 25), (26, 26)],  # coprocessor dword memory
    0x0C: [(23, 25), (26, 26)],  # coprocessor ops
    0x0E: [(16, 18), (19, 20), (21, 22), (23, 23), (24, 24), (25, 25), (26, 26)],  # float
    0x0F: [(16, 18), (19, 21), (26, 26)],
    0x14: [(28, 29), (30, 30)],  # ldd/fldd
    0x1C: [(28, 29), (30, 30)],
    0x16: [(29, 29)],
    0x17: [(29, 29), (30, 30)],
    0x1E: [(29, 29)],
    0x1F: [(29, 29), (30, 30)],
    0x24: [(16, 18), (19, 19), (20, 20)],
    0x25: [(16, 18), (19, 19), (20, 20)],
    0x2C: [(16, 18), (19, 19), (20, 20)],
    0x2D: [(16, 18), (19, 19), (20, 20)],
    0x2E: [(16, 18), (19, 19), (20, 25), (26, 26)],
    0x30: [(16, 18), (30, 30)],
    0x31: [(16, 18), (18, 18), (30, 30)],
    0x32: [(16, 18), (30, 30)],
    0x33: [(16, 18), (30, 30)],
    0x34: [(16, 18), (19, 21), (22, 22)],
    0x35: [(16, 18), (19, 21), (22, 22)],
    0x36: [(16, 18), (19, 19), (20, 20)],
    0x38: [(19, 19), (30, 30)],
    0x39: [(19, 19), (30, 30)],
    0x3A: [(16, 18), (19, 19), (30, 31)],
    0x3C: [(16, 18), (19, 19), (20, 21)],
    0x3D: [(16, 18), (19, 19), (20, 21)],
    0x3E: [(16, 16), (17, 18), (19, 20), (21, 22), (23, 25)],
    0x3F: [(16, 18), (19, 20), (21, 22), (23, 25)],
}
for _op in (0x20, 0x21, 0x22, 0x23, 0x27, 0x28, 0x29, 0x2A, 0x2B, 0x2F, 0x3B):
    SWEEPS[_op] = [(16, 18), (30, 30)]
LIMIT_PER_SWEEP = 1024  # combinations beyond this are sampled


def _place(value: int, start: int, end: int) -> int:
    return value << (31 - end)


def _registers(rng: random.Random) -> int:
    """Random register fields (bits 6..10, 11..15, 27..31), the other bits clear."""
    return (rng.getrandbits(5) << 21) | (rng.getrandbits(5) << 16) | rng.getrandbits(5)


def sparse_words(rng: random.Random) -> list[int]:
    """System and memory-management words with only their register and space fields set:
    their reserved bits must be zero, which random words almost never are."""
    words = []
    for ext8 in range(256):
        for _ in range(2):
            words.append((ext8 << 5) | _registers(rng) | (rng.getrandbits(3) << 13))
            words.append((0x01 << 26) | (ext8 << 6) | (rng.getrandbits(1) << 5) |
                         _registers(rng) | (rng.getrandbits(2) << 14))
    for op in (0x0C, 0x0E, 0x3E, 0x0F):  # floating point, multimedia, quad stores
        for low in range(0, 1 << 11):
            words.append((op << 26) | (low << 5) | _registers(rng))
    return words


def corpus_words(rng: random.Random) -> list[int]:
    words = [rng.getrandbits(32) for _ in range(RANDOM_WORDS)] + sparse_words(rng)
    for op in range(64):
        words += [(op << 26) | rng.getrandbits(26) for _ in range(PER_OPCODE)]
        fields = SWEEPS.get(op)
        if not fields:
            continue
        combos = list(itertools.product(*(range(1 << (e - s + 1)) for s, e in fields)))
        if len(combos) > LIMIT_PER_SWEEP:
            combos = rng.sample(combos, LIMIT_PER_SWEEP)
        for combo in combos:
            word = (op << 26) | rng.getrandbits(26)
            for (start, end), value in zip(fields, combo, strict=True):
                mask = ((1 << (end - start + 1)) - 1) << (31 - end)
                word = (word & ~mask) | _place(value, start, end)
            words.append(word)
    return words


_LINE = re.compile(r"^\s*([0-9a-f]+):\s+((?:[0-9a-f]{2} ){4})\s*(.*)$")


def disassemble(objdump: str, words: list[int]) -> list[str]:
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "words.bin"
        path.write_bytes(b"".join(struct.pack(">I", w) for w in words))
        out = subprocess.run([objdump, "-D", "-b", "binary", "-m", "hppa2.0w", "-EB",
                              f"--adjust-vma={BASE:#x}", "-z", str(path)],
                             check=True, capture_output=True, text=True).stdout
    texts: dict[int, str] = {}
    for line in out.splitlines():
        m = _LINE.match(line)
        if m:
            texts[int(m.group(1), 16)] = m.group(3).replace("\t", " ").strip()
    return [texts[BASE + 4 * i] for i in range(len(words))]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--objdump", default=shutil.which("hppa64-linux-gnu-objdump"))
    parser.add_argument("--out", type=Path, default=Path("fixtures/disasm/corpus.tsv.gz"))
    parser.add_argument("--report", action="store_true",
                        help="only compare q4py with the existing corpus file")
    args = parser.parse_args(argv)
    if args.report:
        return report(args.out)
    if not args.objdump:
        print("disasm_oracle: hppa64-linux-gnu-objdump not found (binutils-hppa64-linux-gnu)",
              file=sys.stderr)
        return 2
    words = corpus_words(random.Random(SEED))
    texts = disassemble(args.objdump, words)
    version = subprocess.run([args.objdump, "--version"], capture_output=True,
                             text=True).stdout.splitlines()[0]
    args.out.parent.mkdir(parents=True, exist_ok=True)
    with gzip.open(args.out, "wt", encoding="utf-8") as f:
        f.write(f"# {version}; seed {SEED}; pc word text (GNU)\n")
        for i, (word, text) in enumerate(zip(words, texts, strict=True)):
            f.write(f"{BASE + 4 * i:x}\t{word:08x}\t{text}\n")
    print(f"-> {args.out}")
    return report(args.out)


def report(path: Path) -> int:
    """Compare q4py's decoder with the corpus: the figures, then the differences."""
    from q4py.disasm import disassemble
    from q4py.disasm.gnu import compare_corpus

    with gzip.open(path, "rt", encoding="utf-8") as f:
        figures = compare_corpus(f, lambda word, pc: disassemble(word, pc, True))
    print(figures.summary())
    for word, gnu, ours in figures.undecoded + figures.disagree:
        print(f"  {word:08x}  GNU: {gnu}  q4py: {ours}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
