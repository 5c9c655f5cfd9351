"""How long the forge takes over many threads stated as thread tables:
`python benchmarks/forge_threads.py [--threads N] [--runs R]`.

It forges hpux1100-64-hang-runqueue (918 threads in `[[thread_tables]]`, 860 processes they
create) and the same machine with N synthetic rows instead (N threads of N/4 processes, a
quarter of them asleep with a stack of five calls from the table, the others waiting to run),
each into a temporary directory, and prints the best of R runs: the expansion of the tables
into thread groups, and the whole forge (kernel, memory, threads, files).
"""

from __future__ import annotations

import argparse
import copy
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from q4py.forge.build import Forge
from q4py.forge.scenario import PROCESS, SCENARIO, load_scenario
from q4py.forge.thread_tables import expand_thread_tables

SCENARIO_PATH = (Path(__file__).resolve().parent.parent / "fixtures" / "scenarios"
                 / "hpux1100-64-hang-runqueue.toml")
COLUMNS = ["tid", "pid", "command", "ticks", "pri", "spu", "state", "wchan", "cpu", "recent",
           "user_ticks", "sys_ticks", "start"]


def synthetic(base: dict[str, Any], count: int) -> dict[str, Any]:
    """The fixture's machine with `count` generated rows in place of its thread tables."""
    sc = copy.deepcopy(base)
    rows = "\n".join(
        f"{100000 + i} {20000 + i // 4} cmd{i // 4 % 50} {i * 7} {154 if i % 4 == 0 else 179} "
        f"{i % 2} {'SLEEP selwait' if i % 4 == 0 else 'RUN -'} {i % 9} {i % 5} {i * 11} "
        f"{i * 13} {0x406D0000 + i}" for i in range(count))
    sc["nproc"] = max(sc["nproc"], count // 4 + 16)
    sc["thread_tables"] = [SCENARIO.keys["thread_tables"].item.validate({
        "columns": COLUMNS, "rows": rows, "ppid": 1, "caller": "select+0x2b8",
        "syscall": "select",
        "calls": ["_swtch+0xc4", "_sleep+0x1a8", "select+0x2b8", "syscall+0x2a4",
                  "syscallinit+0x554"]}, "thread_tables[0]")]
    return sc


def best(runs: int, fn: Any) -> float:
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return min(times)


def forge(sc: dict[str, Any]) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        Forge(sc).build(Path(tmp) / "dump")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--threads", type=int, default=1000, help="synthetic rows (1000)")
    parser.add_argument("--runs", type=int, default=3, help="best of this many runs (3)")
    args = parser.parse_args(argv)
    fixture = load_scenario(SCENARIO_PATH)
    for name, sc in (("hpux1100-64-hang-runqueue", fixture),
                     (f"{args.threads} synthetic rows", synthetic(fixture, args.threads))):
        groups = len(expand_thread_tables(sc, PROCESS)["threads"])
        expand = best(args.runs, lambda sc=sc: expand_thread_tables(sc, PROCESS))
        whole = best(args.runs, lambda sc=sc: forge(sc))
        print(f"{name}: {groups} threads, tables expanded in {expand:.3f} s, "
              f"forged in {whole:.2f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
