"""The long hostile-input run: `python benchmarks/fuzz.py --cases N [--seed S] [--jobs J]
[--scenario NAME ...]`.

Generates N cases with tests/fuzzcorpus.py (the categories in turn), runs them in worker
processes (each under an address-space limit, so a blow-up is a MemoryError, not the machine's
memory), and prints a table: category, cases, clean, Traceback, hang, memory, file modified,
then one line per case that was not clean. A worker that stops answering is killed and its case
counted as a hang; a worker that dies is counted against the case it was running (memory when
the kernel killed it, Traceback otherwise) and the run goes on with a new worker.

`--scenario NAME` (repeatable; `--scenario hang` for the five hang fixtures) forges
fixtures/scenarios/NAME.toml as bases beside the tiny dump: every category but gzip and cycles
then breaks those dumps and runs the thread commands on them, and the `structures` category
corrupts the structures the thread analyses decode.
"""

from __future__ import annotations

import argparse
import json
import os
import select
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent / "tests"))

from fuzzcorpus import (  # noqa: E402
    CATEGORIES,
    SCENARIO_CATEGORIES,
    SCENARIOS,
    TIME_LIMIT,
    Case,
    Outcome,
    format_table,
    generate,
    make_bases,
    run_case,
    tally,
)

ADDRESS_SPACE = 3 << 30  # per worker: far above what a case needs
HANG_SCENARIOS = tuple(sorted(p.stem for p in SCENARIOS.glob("*-hang-*.toml")))


def categories(scenarios: tuple[str, ...], only: tuple[str, ...] = ()) -> tuple[str, ...]:
    return only or (SCENARIO_CATEGORIES if scenarios else CATEGORIES)


def worker(seed: int, first: int, last: int, workdir: Path,
           scenarios: tuple[str, ...], only: tuple[str, ...]) -> None:
    """Run cases first..last-1, one JSON line each (`start` before, the outcome after)."""
    import resource

    resource.setrlimit(resource.RLIMIT_AS, (ADDRESS_SPACE, ADDRESS_SPACE))
    os.environ["Q4PY_CACHE_DIR"] = str(workdir / f"cache-{first}")
    bases = make_bases(workdir, scenarios)
    cases = generate(seed, last, categories(scenarios, only))
    for case in cases[first:last]:
        print(json.dumps({"start": case.number}), flush=True)
        o = run_case(case, bases, workdir / f"case-{first}")
        print(json.dumps({"n": case.number, "outcome": o.outcome, "detail": o.detail}),
              flush=True)


def run_range(seed: int, first: int, last: int, workdir: Path,
              outcomes: dict[int, Outcome], cases: list[Case],
              scenarios: tuple[str, ...], only: tuple[str, ...]) -> None:
    """Drive workers over first..last-1 until every case has an outcome."""
    next_case = first
    while next_case < last:
        proc = subprocess.Popen(
            [sys.executable, __file__, "--worker", str(seed), str(next_case), str(last),
             str(workdir), ",".join(scenarios), ",".join(only)],
            stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
        assert proc.stdout is not None
        running: int | None = None
        while True:
            ready, _, _ = select.select([proc.stdout], [], [], TIME_LIMIT * 3)
            if not ready:  # no word for longer than any case may take: a hang
                proc.kill()
                proc.wait()
                n = running if running is not None else next_case
                outcomes[n] = Outcome(cases[n], "hang", "the worker stopped answering")
                next_case = n + 1
                break
            line = proc.stdout.readline()
            if not line:  # the worker ended
                status = proc.wait()
                if running is not None and running not in outcomes:
                    kind = "memory" if status == -signal.SIGKILL else "Traceback"
                    outcomes[running] = Outcome(cases[running], kind,
                                                f"the worker died (status {status})")
                    next_case = running + 1
                else:
                    next_case = last
                break
            record = json.loads(line)
            if "start" in record:
                running = record["start"]
                continue
            n = record["n"]
            outcomes[n] = Outcome(cases[n], record["outcome"], record["detail"])
            running = None
            next_case = n + 1


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cases", type=int, default=2000)
    parser.add_argument("--seed", type=int, default=10)
    parser.add_argument("--jobs", type=int, default=2, help="worker processes at once")
    parser.add_argument("--scenario", action="append", default=[],
                        help="also break the dump of fixtures/scenarios/NAME.toml ('hang': "
                             "the hang fixtures)")
    parser.add_argument("--only", action="append", default=[], choices=SCENARIO_CATEGORIES,
                        help="cases of this category only (repeatable)")
    parser.add_argument("--worker", nargs=6, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.worker:
        seed, first, last, workdir, names, only = args.worker
        worker(int(seed), int(first), int(last), Path(workdir),
               tuple(filter(None, names.split(","))), tuple(filter(None, only.split(","))))
        return 0
    scenarios = tuple(dict.fromkeys(
        name for given in args.scenario
        for name in (HANG_SCENARIOS if given == "hang" else (given,))))
    for name in scenarios:
        if not (SCENARIOS / f"{name}.toml").is_file():
            parser.error(f"no scenario {SCENARIOS / name}.toml")
    only = tuple(args.only)
    if "structures" in only and not scenarios:
        parser.error("structures cases need --scenario")
    cases = generate(args.seed, args.cases, categories(scenarios, only))
    outcomes: dict[int, Outcome] = {}
    started = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="q4py-fuzz-") as tmp:
        workdir = Path(tmp)
        make_bases(workdir, scenarios)  # once, before the workers share them
        bounds = [args.cases * j // args.jobs for j in range(args.jobs + 1)]
        pids = []
        for j in range(args.jobs):
            pid = os.fork()
            if pid == 0:
                mine: dict[int, Outcome] = {}
                run_range(args.seed, bounds[j], bounds[j + 1], workdir, mine, cases, scenarios,
                          only)
                with open(workdir / f"result-{j}.json", "w") as f:
                    json.dump({n: [o.outcome, o.detail] for n, o in mine.items()}, f)
                os._exit(0)
            pids.append(pid)
        for pid in pids:
            os.waitpid(pid, 0)
        for j in range(args.jobs):
            for n, (outcome, detail) in json.loads(
                    (workdir / f"result-{j}.json").read_text()).items():
                outcomes[int(n)] = Outcome(cases[int(n)], outcome, detail)
    seconds = time.perf_counter() - started
    done = [outcomes[n] for n in sorted(outcomes)]
    print(f"q4py fuzz: {len(done)} cases, seed {args.seed}, {seconds:.0f} s"
          + (f", scenarios {' '.join(scenarios)}" if scenarios else ""))
    print(format_table(tally(done)))
    for o in done:
        if o.outcome != "clean":
            print(f"{o.case.category} #{o.case.number} (seed {o.case.seed}): {o.outcome}: "
                  f"{o.detail}")
    return 0 if all(o.outcome == "clean" for o in done) else 1


if __name__ == "__main__":
    sys.exit(main())
