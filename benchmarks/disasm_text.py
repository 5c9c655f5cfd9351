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
machine's two cores; each process starts with an empty cache). Wall time and CPU time (for
two processes, the busier worker's): on a machine other work keeps busy the wall time
measures the others too, the CPU time is what an idle machine's wall time would be (a little
more: sharing a core slows the one that runs). The load average is recorded beside them.
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


def _decode_half(args: tuple[list[int], int]) -> tuple[int, float]:
    """(texts made, CPU seconds) for one half, in a worker process (caches emptied: a
    forked worker inherits the parent's)."""
    from q4py.disasm import _BRANCHES, _TEXTS, disassemble_words

    _TEXTS[True].clear()
    _BRANCHES[True].clear()
    words, pc = args
    start = time.process_time()
    made = len(disassemble_words(words, pc, True))
    return made, time.process_time() - start


def _time_one_process(words: list[int]) -> tuple[float, float]:
    """(wall, CPU) seconds to disassemble `words` in this process, caches empty."""
    from q4py.disasm import _BRANCHES, _TEXTS, disassemble_words

    _TEXTS[True].clear()
    _BRANCHES[True].clear()
    wall, cpu = time.perf_counter(), time.process_time()
    assert len(disassemble_words(words, BASE, True)) == WORDS
    return time.perf_counter() - wall, time.process_time() - cpu


def _time_baseline(words: list[int]) -> tuple[float, float]:
    wall, cpu = time.perf_counter(), time.process_time()
    out = []
    append = out.append
    for word in words:
        append(f".word 0x{word:08x}")
    assert len(out) == WORDS
    return time.perf_counter() - wall, time.process_time() - cpu


def _time_two_processes(words: list[int]) -> tuple[float, float]:
    """(wall, CPU of the busier worker) seconds with the halves on two processes."""
    half = len(words) // 2
    parts = [(words[:half], BASE), (words[half:], BASE + 4 * half)]
    with ProcessPoolExecutor(2) as pool:
        list(pool.map(_decode_half, [([], 0), ([], 0)]))  # start the workers first
        start = time.perf_counter()
        results = list(pool.map(_decode_half, parts))
        wall = time.perf_counter() - start
    assert sum(made for made, _ in results) == WORDS
    return wall, max(cpu for _, cpu in results)


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
        for label, (wall, cpu), base in (("1 process", one, baseline),
                                         ("2 processes", two, None)):
            for kind, value, base_value in (("wall", wall, base and base[0]),
                                            ("CPU", cpu, base and base[1])):
                rows.append({"size": "text", "metric": f"{metric}, {label}, {kind}",
                             "value": round(value, 2), "unit": "s",
                             "baseline": round(base_value, 2) if base_value else None,
                             "ratio": round(value / base_value, 1) if base_value else None})
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
        print(f"{row['metric']:<58} {row['value']:>7.2f} s{ratio}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
