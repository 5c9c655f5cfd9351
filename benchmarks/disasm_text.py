"""Disassembling a whole kernel text: 10 MB, 2.5 M instruction words, through q4py.disasm.

    python benchmarks/disasm_text.py        (bench.py runs it as its `text` size)

Two texts, both 2.5 M words at consecutive pcs, decoded wide:
- `distinct`: random words, no two alike: nothing the per-word cache knows helps (the worst
  case; 3 in 10 are no instruction);
- `kernel-like`: 2.5 M draws from a pool of 1 M distinct valid instruction words, so about
  37 % of the words are distinct, as compiled code repeats its words (an assumption: q4py has
  no real HP-UX kernel text to measure).
Each is timed in one process beside a baseline that only formats one string per word
(`.word 0x...`, the least any disassembler does; `ratio` = q4py / baseline, which a loaded
machine changes far less than the seconds), and split in two halves over two processes (the
machine's two cores; each process starts with an empty cache). Wall times; the load average
is recorded beside them.
"""

from __future__ import annotations

import os
import random
import sys
import time
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))

WORDS = 2_500_000
BASE = 0x20000
SEED = 13


def distinct_words(rng: random.Random) -> list[int]:
    return rng.sample(range(1 << 32), WORDS)


def kernel_like_words(rng: random.Random) -> list[int]:
    from q4py.disasm import decode

    pool: list[int] = []
    while len(pool) < 1_000_000:
        word = rng.getrandbits(32)
        if decode(word).kind != "invalid":
            pool.append(word)
    return rng.choices(pool, k=WORDS)


def _decode_half(args: tuple[list[int], int]) -> int:
    from q4py.disasm import disassemble_words

    words, pc = args
    return len(disassemble_words(words, pc, True))


def _time_one_process(words: list[int]) -> float:
    from q4py.disasm import _TEXTS, disassemble_words

    _TEXTS[True].clear()
    start = time.perf_counter()
    assert len(disassemble_words(words, BASE, True)) == WORDS
    return time.perf_counter() - start


def _time_baseline(words: list[int]) -> float:
    start = time.perf_counter()
    out = []
    append = out.append
    for word in words:
        append(f".word 0x{word:08x}")
    assert len(out) == WORDS
    return time.perf_counter() - start


def _time_two_processes(words: list[int]) -> float:
    half = len(words) // 2
    parts = [(words[:half], BASE), (words[half:], BASE + 4 * half)]
    with ProcessPoolExecutor(2) as pool:
        list(pool.map(_decode_half, [([], 0), ([], 0)]))  # start the workers first
        start = time.perf_counter()
        assert sum(pool.map(_decode_half, parts)) == WORDS
        return time.perf_counter() - start


def measure(runs: int = 1) -> list[dict[str, Any]]:
    """bench.py records: seconds to disassemble each text, one and two processes."""
    rng = random.Random(SEED)
    rows = []
    for name, make in (("distinct", distinct_words), ("kernel-like", kernel_like_words)):
        words = make(rng)
        one = min(_time_one_process(words) for _ in range(runs))
        baseline = min(_time_baseline(words) for _ in range(runs))
        two = min(_time_two_processes(words) for _ in range(runs))
        metric = f"disassemble 10 MB text, {name}"
        rows.append({"size": "text", "metric": metric + ", 1 process", "value": round(one, 2),
                     "unit": "s", "baseline": round(baseline, 2),
                     "ratio": round(one / baseline, 1)})
        rows.append({"size": "text", "metric": metric + ", 2 processes",
                     "value": round(two, 2), "unit": "s", "baseline": None, "ratio": None})
    load = os.getloadavg()[0]
    for row in rows:
        row["load"] = round(load, 2)
    return rows


def main() -> int:
    before = os.getloadavg()[0]
    rows = measure()
    print(f"load average {before:.2f} before, {os.getloadavg()[0]:.2f} after "
          f"({os.cpu_count()} CPUs)")
    for row in rows:
        ratio = f"  (baseline {row['baseline']} s, x{row['ratio']})" if row["ratio"] else ""
        print(f"{row['metric']:<52} {row['value']:>7.2f} s{ratio}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
