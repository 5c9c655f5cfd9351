"""q4py's benchmark: `python benchmarks/bench.py [--sizes seed,16g,64g] [--json FILE] [--keep]`.

For each size it forges the scenario (the seed fixture, or benchmarks/scenarios/bench-*.toml,
written by benchmarks/scenarios.py), then measures, each part in a fresh Python process:

1. opening the dump (`Program.open`: INDEX, image headers and pfn arrays, vmunix symbols);
2. a full `crashinfo`, with the process's peak resident set;
3. bulk decoding in records per second, each beside a plain `struct` pass that decodes the same
   members of the same bytes (read beforehand, so the baseline is pure decoding): the pfdat
   scan, the process table, the sysmap walk, `load struct buf ... next av_forw max 100000`,
   `print -x addrof av_forw`, and the same list loaded backwards (`next av_back`);
4. random page reads from gzip-compressed images against the same reads from plain ones: with
   an empty cache (the first reads of gzip data), in a new session that finds what the first
   one left in the cache, and warm; and the disk the cache then holds;
5. the first `crashinfo` on the gzip dump, with an empty cache, and the disk it leaves in it
   (4 and 5 are the part `random`).
6. thread work (the seed's 228 threads, the 16g and 64g scenarios' 16 000 and 60 000):
   `stacks` over every thread with the peak resident set after it, and `trace -W pid N` of one
   process (the part `threads`).

It prints a table and, with `--json FILE`, writes the figures as a list of
`{"size", "metric", "value", "unit", "baseline", "ratio"}` records. `ratio` is how many times
slower q4py is than its baseline (lower is better; None where there is no baseline).

Dumps are forged into a temporary directory that is deleted at the end; with `--keep` they are
forged into (and reused from) the q4py cache directory, `<cache>/bench/`. Timings are the best
of a few runs: other work on the machine only ever makes a run slower. `crashinfo` and `stacks`
run once each and also give the CPU seconds the process used (`crashinfo CPU`, `stacks CPU`):
on a machine other work keeps busy (the load average is in the machine line) they are what
the run costs, where the elapsed time also counts the waits for a processor.
"""

from __future__ import annotations

import argparse
import io
import json
import os
import platform
import random
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from collections import deque
from collections.abc import Callable
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib

SCENARIOS = {
    "seed": REPO / "fixtures" / "scenarios" / "hpux1100-32-kalloc-sysmap.toml",
    "16g": HERE / "scenarios" / "bench-16g.toml",
    "64g": HERE / "scenarios" / "bench-64g.toml",
}
LOAD_MAX = 100_000
_PILE_SLICE = 1 << 18  # bytes of a table the raw-load baseline reads at once, as load does
MIN_BULK = 1000  # fewer records measure fixed costs, not decoding: no bulk row
RANDOM_READS = 3000
MiB = 1 << 20

# Targets from issue 5, shown beside the figures: (metric, size or None for all) -> (limit, kind)
TARGETS: dict[tuple[str, str | None], tuple[float, str]] = {
    ("open", None): (0.2, "max"),
    ("crashinfo", "seed"): (0.5, "max"),
    ("crashinfo", "64g"): (2.0, "max"),  # issue 8: with the thread population
    ("crashinfo peak RSS", "64g"): (1024.0, "max"),
    ("stacks", "64g"): (5.0, "max"),
    ("stacks peak RSS", "64g"): (1024.0, "max"),
    ("trace -W pid", None): (0.1, "max"),
    ("forge", "64g"): (60.0, "max"),
    ("pfdat scan", None): (2.0, "ratio"),
    ("proc table", None): (2.0, "ratio"),
    ("sysmap walk", None): (2.0, "ratio"),
    ("load bufs, next av_forw", None): (2.0, "ratio"),
    ("print addrof av_forw", None): (2.0, "ratio"),
    ("load bufs, next av_back (backwards)", None): (2.0, "ratio"),
    # issue 14: whole tables as piles
    ("load all of pfdat", None): (1.5, "ratio"),
    ("keep pf_flags & P_SYS, all of pfdat", None): (1.5, "ratio"),
    ("forget pf_flags & P_SYS, all of pfdat", None): (1.5, "ratio"),
    ("print -x addrof pf_flags > FILE, kept pfdat", None): (1.5, "ratio"),
    ("keep p_stat != SUNUSED, proc table", None): (1.5, "ratio"),
    ("forget p_stat != SUNUSED, proc table", None): (1.5, "ratio"),
    ("load pfd_t from pfdat max N", "64g"): (3.0, "max"),
    ("keep pf_flags & P_SYS", "64g"): (1.0, "max"),
    ("print -x addrof pf_flags > FILE", "64g"): (10.0, "max"),
    ("pfdat piles peak RSS", "64g"): (2048.0, "max"),
    **{(f"disassemble 10 MB text, {text}, {processes}, {kind}", "text"): (10.0, "max")
       for text in ("distinct", "kernel-like") for processes in ("1 process", "2 processes")
       for kind in ("wall", "CPU")},
}


def best(fn: Callable[[], Any], *, runs: int = 3, least: float = 0.3) -> float:
    """The shortest wall time of `fn()` over at least `runs` runs and `least` seconds."""
    times: list[float] = []
    started = time.perf_counter()
    while len(times) < runs or (time.perf_counter() - started < least and len(times) < 50):
        t = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t)
    return min(times)


def paired(q4: Callable[[], Any], plain: Callable[[], Any], *, runs: int = 7,
           least: float = 0.3) -> tuple[float, float]:
    """The shortest wall times of q4py's `q4()` and of its baseline `plain()`, run in turns
    the same number of times (at least `runs`, and for at least `least` seconds, at most 50):
    both get as many chances at a quiet moment of the machine."""
    times: tuple[list[float], list[float]] = ([], [])
    started = time.perf_counter()
    while len(times[0]) < runs or (time.perf_counter() - started < least
                                   and len(times[0]) < 50):
        for fn, out in ((q4, times[0]), (plain, times[1])):
            t = time.perf_counter()
            fn()
            out.append(time.perf_counter() - t)
    return min(times[0]), min(times[1])


def record(size: str, metric: str, value: float | None, unit: str,
           baseline: float | None = None, ratio: float | None = None) -> dict[str, Any]:
    return {"size": size, "metric": metric, "value": value, "unit": unit,
            "baseline": baseline, "ratio": ratio}


def rate_record(size: str, metric: str, records: int, seconds: float,
                baseline_seconds: float) -> dict[str, Any]:
    """Records per second beside the baseline's; ratio = baseline rate / q4py rate."""
    value, base = records / seconds, records / baseline_seconds
    return record(size, metric, round(value), "records/s", round(base), round(base / value, 2))


# -- the workers (each runs in a fresh process) ---------------------------------------------------
def worker_open(dump: str, _: dict[str, Any]) -> list[dict[str, Any]]:
    from q4py.program import Program

    def open_once() -> None:
        Program.open(dump).crashdir.close()

    return [record("", "open", round(best(open_once, runs=5), 4), "s")]


def worker_crashinfo(dump: str, _: dict[str, Any]) -> list[dict[str, Any]]:
    from q4py.program import Program
    from q4py.shell.session import Session

    out = io.StringIO()
    session = Session(Program.open(dump), out)
    t, cpu = time.perf_counter(), time.process_time()
    ok = session.execute("crashinfo")
    seconds, cpu = time.perf_counter() - t, time.process_time() - cpu
    if not ok:
        raise SystemExit(f"crashinfo failed: {out.getvalue().splitlines()[-1]}")
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KiB on Linux
    return [record("", "crashinfo", round(seconds, 4), "s"),
            record("", "crashinfo CPU", round(cpu, 4), "s"),
            record("", "crashinfo peak RSS", round(rss, 1), "MiB")]


def worker_gzip_crashinfo(dump: str, _: dict[str, Any]) -> list[dict[str, Any]]:
    """The first crashinfo on a gzip dump, in a new process with an empty cache: everything
    gzip costs on the way (today's seek-point indexes, or the whole-file inflation before)."""
    from q4py.program import Program
    from q4py.shell.session import Session

    out = io.StringIO()
    t = time.perf_counter()
    session = Session(Program.open(dump), out)
    ok = session.execute("crashinfo")
    seconds = time.perf_counter() - t
    if not ok:
        raise SystemExit(f"crashinfo failed: {out.getvalue().splitlines()[-1]}")
    return [record("", "gzip: first crashinfo, empty cache", round(seconds, 4), "s")]


def disk_used(path: Path) -> int:
    """Bytes of the files under `path` (blocks really allocated: sparse files count as such)."""
    return sum(p.lstat().st_blocks * 512 for p in path.rglob("*") if p.is_file())


def _drain(iterable: Any) -> None:
    deque(iterable, maxlen=0)  # consume in C: the fastest plain pass there is


def worker_bulk(dump: str, options: dict[str, Any]) -> list[dict[str, Any]]:
    """Bulk decoding, each beside a baseline that decodes the same members of the same bytes
    with a plain `struct` pass (`iter_unpack`, or `unpack_from` along a list), bytes read
    beforehand: what q4py adds is reading the dump and its own bookkeeping."""
    from q4py.kernel.maps import map_global_names, read_resource_map, resource_map
    from q4py.kernel.pfdat import _SLICE, page_census
    from q4py.kernel.procs import process_table
    from q4py.layouts.proc import SUNUSED
    from q4py.program import Program

    prog = Program.open(dump)
    rows = []
    # pfdat: the census against iter_unpack of the three members it counts by, slice by slice.
    layout = prog.types.get("struct pfdat")
    census = layout.projection(("pf_flags", "pf_kclass", "pf_ksub"))
    base, entries = prog.read_global("pfdat"), prog.read_global("physmem")
    q4 = best(lambda: page_census(prog), least=0)
    passes = []
    for _ in range(3):  # a whole pass each time, as for q4py: the best sum, not a sum of bests
        seconds = 0.0
        for first in range(0, entries, _SLICE):
            data = prog.read(base + first * layout.size,
                             min(_SLICE, entries - first) * layout.size)
            t = time.perf_counter()
            _drain(census.iter_unpack(data))
            seconds += time.perf_counter() - t
        passes.append(seconds)
    plain = min(passes)
    rows.append(rate_record("", "pfdat scan", entries, q4, plain))
    # The process table: the four members of every slot q4py decodes, and the two of each
    # in-use process's vas (the command names are read, and cut only for the processes shown).
    proc, vas = prog.types.get("struct proc"), prog.types.get("struct vas")
    slot_members = proc.projection(("p_stat", "p_flag", "p_pid", "p_vas"))
    vas_members = vas.projection(("va_rss", "va_vsize"))
    nproc = prog.read_global("nproc")
    table = prog.read(prog.read_global("proc"), proc.size * nproc)
    spaces = b"".join(prog.read(rec[3], vas.size) for rec in slot_members.iter_unpack(table)
                      if rec[0] != SUNUSED and rec[3])
    q4, plain = paired(lambda: process_table(prog),
                       lambda: (_drain(slot_members.iter_unpack(table)),
                                _drain(vas_members.iter_unpack(spaces))))
    rows.append(rate_record("", "proc table", nproc, q4, plain))
    # The sysmap: header, free runs and terminator (both members of each slot).
    name = map_global_names(prog)[0]
    rmap = resource_map(prog, name)
    mapent = prog.types.get("struct mapent")
    slots = len(rmap.sizes) + 2
    if slots >= MIN_BULK:  # the seed's sysmap is depleted: nothing to walk
        raw = prog.read(rmap.address, mapent.size * slots)
        q4, plain = paired(lambda: read_resource_map(prog, rmap.address, name),
                           lambda: _drain(mapent.fast.iter_unpack(raw)))
        rows.append(rate_record("", "sysmap walk", slots, q4, plain))
    if options.get("buf_address") is not None:
        rows += _bulk_bufs(dump, options)
    return rows


def _bulk_bufs(dump: str, options: dict[str, Any]) -> list[dict[str, Any]]:
    """`load ... next av_forw` then `print -x addrof av_forw`, and `load ... next av_back`
    (the same list backwards), against following the pointer with `unpack_from` (decoding
    that member only) over the list's bytes, and formatting the same two numbers per line."""
    from q4py.program import Program
    from q4py.shell.session import Session

    prog = Program.open(dump)
    start, count = options["buf_address"], min(options["buf_count"], LOAD_MAX)
    buf = prog.types.get("struct buf")
    blob = prog.read(start, buf.size * count)  # the list is packed (scenario stride 0)
    last = start + (count - 1) * buf.size

    def chain(member: str, head: int) -> Callable[[], list[int]]:
        unpack_from = buf.projection([member]).unpack_from

        def walk() -> list[int]:
            addresses, address = [], head
            while address and len(addresses) < LOAD_MAX:
                addresses.append(address)
                address = unpack_from(blob, address - start)[0]
            return addresses
        return walk

    forward, backward = chain("av_forw", start), chain("av_back", last)
    addresses = forward()
    assert len(addresses) == count == len(backward()), (len(addresses), count)
    pairs = list(zip(addresses, addresses[1:] + [0], strict=True))
    plains = {"load": forward, "back": backward,
              "print": lambda: "\n".join(f"{a:#x} {f:#x}" for a, f in pairs)}
    lines = {"load": f"load struct buf from {start:#x} next av_forw max {LOAD_MAX}",
             "print": "print -x addrof av_forw",
             "back": f"load struct buf from {last:#x} next av_back max {LOAD_MAX}"}
    times: dict[str, list[float]] = {kind: [] for kind in lines}
    plain_times: dict[str, list[float]] = {kind: [] for kind in lines}
    for _ in range(7):  # in turns with the baselines; a fresh Program each time
        for kinds in (("load", "print"), ("back",)):
            session = Session(Program.open(dump), io.StringIO())
            for kind in kinds:
                t = time.perf_counter()
                ok = session.execute(lines[kind])
                times[kind].append(time.perf_counter() - t)
                if not ok:
                    raise SystemExit(f"{lines[kind]} failed: {session.out.getvalue()[-300:]}")
                t = time.perf_counter()
                plains[kind]()
                plain_times[kind].append(time.perf_counter() - t)
            del session
    plain_load, plain_print, plain_back = (min(plain_times[k]) for k in ("load", "print", "back"))
    return [rate_record("", "load bufs, next av_forw", count, min(times["load"]), plain_load),
            rate_record("", "print addrof av_forw", count, min(times["print"]), plain_print),
            rate_record("", "load bufs, next av_back (backwards)", count, min(times["back"]),
                        plain_back)]


def worker_random(dump: str, options: dict[str, Any]) -> list[dict[str, Any]]:
    """Random page reads, plain images against gzip ones: a new session's first pass, then warm.

    Each gzip figure is set beside the plain one measured the same way. The gzip dump is read
    first with an empty cache (what the first reads of gzip data cost), then by a new session
    that finds what the first one left in the cache, then again by that session.
    """
    from q4py.program import Program

    def sample_of(prog: Program) -> list[int]:
        page = prog.crashdir.index.pagesize
        pfns = list(prog.crashdir.memory.pfns())
        rng = random.Random(5)
        return [rng.choice(pfns) * page for _ in range(RANDOM_READS)]

    def reads(prog: Program, sample: list[int]) -> Callable[[], None]:
        page = prog.crashdir.index.pagesize

        def run() -> None:
            for address in sample:
                prog.read(address, page)
        return run

    def first_pass(path: str) -> tuple[float, Program, list[int]]:
        prog = Program.open(path)
        sample = sample_of(prog)
        t = time.perf_counter()
        reads(prog, sample)()
        return time.perf_counter() - t, prog, sample

    first_pass(dump)  # warm-up: the OS page cache and q4py's code paths, for both dumps alike
    plain_first, plain, sample = first_pass(dump)
    plain_warm = best(reads(plain, sample))
    cold, _, _ = first_pass(options["gzip_dump"])  # the cache is empty
    packed_first, packed, packed_sample = first_pass(options["gzip_dump"])  # finds its work
    assert packed_sample == sample
    packed_warm = best(reads(packed, sample))
    rows = []
    for metric, seconds, base in (
        ("random page reads, plain, new session", plain_first, None),
        ("random page reads, plain, warm", plain_warm, None),
        ("random page reads, gzip, empty cache", cold, plain_first),
        ("random page reads, gzip, new session, warm cache", packed_first, plain_first),
        ("random page reads, gzip, warm", packed_warm, plain_warm),
    ):
        value = RANDOM_READS / seconds
        if base is None:
            rows.append(record("", metric, round(value), "reads/s"))
        else:
            rows.append(record("", metric, round(value), "reads/s", round(RANDOM_READS / base),
                               round(seconds / base, 2)))
    return rows


def _session(dump: str) -> Any:
    from q4py.program import Program
    from q4py.shell.session import Session

    return Session(Program.open(dump), io.StringIO())


def _execute(session: Any, line: str) -> float:
    """Seconds `line` took; SystemExit when it failed."""
    session.out.seek(0)
    session.out.truncate()
    t = time.perf_counter()
    ok = session.execute(line)
    seconds = time.perf_counter() - t
    if not ok:
        raise SystemExit(f"{line} failed: {session.out.getvalue()[-300:]}")
    return seconds


def _turns(runs: int, q4: Callable[[], float], plain: Callable[[], Any]) -> tuple[float, float]:
    """Best seconds of q4py's `q4()` (which times itself) and of the baseline `plain()`, run in
    turns `runs` times each."""
    q4_times, plain_times = [], []
    for _ in range(runs):
        q4_times.append(q4())
        t = time.perf_counter()
        plain()
        plain_times.append(time.perf_counter() - t)
    return min(q4_times), min(plain_times)


def worker_piles(dump: str, options: dict[str, Any]) -> list[dict[str, Any]]:
    """Whole tables as piles (issue 14): `load` of all of pfdat, `keep`/`forget` on it and on
    the process table, and `print -x addrof pf_flags > FILE` of the kept pfdat pile, each beside
    a baseline on the same bytes: reading them into one buffer (load), numpy doing the same
    filter on the member's column and listing the positions chosen, as the new pile holds them
    (keep, forget), formatting the same two numbers per line with f-strings into a file
    (print)."""
    import numpy as np

    from q4py.layouts.proc import SUNUSED
    from q4py.layouts.vm import P_SYS

    session = _session(dump)
    prog = session.program
    rows = []
    entries, base = prog.read_global("physmem"), prog.read_global("pfdat")
    pfdat = prog.types.get("pfd_t")
    size = pfdat.size
    runs = 3 if entries <= 5_000_000 else 2
    step = max(1, _PILE_SLICE // size)

    def read_table() -> np.ndarray:
        buffer = np.empty(entries * size, dtype=np.uint8)
        for first in range(0, entries, step):
            count = min(step, entries - first)
            buffer[first * size:(first + count) * size] = np.frombuffer(
                prog.read(base + first * size, count * size), np.uint8)
        return buffer

    def load_again() -> float:
        session.piles._piles.clear()  # drop the last pile first: memory for one table only
        return _execute(session, f"load pfd_t from pfdat max {entries}")

    q4, plain = _turns(runs, load_again, read_table)
    rows.append(rate_record("", "load all of pfdat", entries, q4, plain))

    def numpy_filter(raw: np.ndarray, count: int, start: int, layout: Any, member: str,
                     test: Callable[[np.ndarray], np.ndarray]) -> Callable[[], Any]:
        field = layout.field(member)
        column = np.ndarray((count,), dtype=f">{'i' if field.ctype.signed else 'u'}"
                            f"{field.ctype.size}", buffer=raw, offset=field.offset,
                            strides=(layout.size,))

        def run() -> Any:
            # What the new pile holds: the positions of the chosen structures (their records,
            # addresses and indexes are found from those when a command asks).
            return np.flatnonzero(test(column))
        return run

    raw = session.piles.current.records._buffer.copy()  # the same bytes, apart

    def filtered(line: str) -> Callable[[], float]:
        def run() -> float:
            seconds = _execute(session, line)
            session.piles.discard()  # the loaded pile is `it` again
            return seconds
        return run

    flags_set = numpy_filter(raw, entries, base, pfdat, "pf_flags",
                             lambda flags: (flags & P_SYS) != 0)
    flags_clear = numpy_filter(raw, entries, base, pfdat, "pf_flags",
                               lambda flags: (flags & P_SYS) == 0)
    for verb, plain_fn in (("keep", flags_set), ("forget", flags_clear)):
        q4, plain = _turns(runs, filtered(f"{verb} pf_flags & {P_SYS:#x}"), plain_fn)
        rows.append(rate_record("", f"{verb} pf_flags & P_SYS, all of pfdat", entries, q4,
                                plain))
    del raw
    _execute(session, f"keep pf_flags & {P_SYS:#x}")
    kept = session.piles.current
    addresses = kept.records.addresses
    flags = kept.records.column("pf_flags")
    with tempfile.TemporaryDirectory(prefix="q4py-bench-print-") as scratch:
        target = Path(scratch) / "pfdat.txt"

        def f_strings() -> None:
            with open(target, "w", encoding="ascii") as out:
                block = 1 << 16
                for first in range(0, len(addresses), block):
                    pairs = zip(addresses[first:first + block].tolist(),
                                flags[first:first + block].tolist(), strict=True)
                    out.write("".join([f"{a:#x} {f:#x}\n" for a, f in pairs]))

        q4, plain = _turns(1 if entries > 5_000_000 else 2,
                           lambda: _execute(session, f"print -x addrof pf_flags > {target}"),
                           f_strings)
    rows.append(rate_record("", "print -x addrof pf_flags > FILE, kept pfdat", len(kept), q4,
                            plain))
    session.piles._piles.clear()
    # The process table: every slot, then the ones in use.
    nproc, table = prog.read_global("nproc"), prog.read_global("proc")
    proc = prog.types.get("proc_t")
    _execute(session, "load proc_t from proc max nproc")
    raw = session.piles.current.records._buffer.copy()
    in_use = numpy_filter(raw, nproc, table, proc, "p_stat", lambda stat: stat != SUNUSED)
    unused = numpy_filter(raw, nproc, table, proc, "p_stat", lambda stat: stat == SUNUSED)
    for verb, plain_fn in (("keep", in_use), ("forget", unused)):
        q4, plain = _turns(7, filtered(f"{verb} p_stat != {SUNUSED}"), plain_fn)
        rows.append(rate_record("", f"{verb} p_stat != SUNUSED, proc table", nproc, q4, plain))
    return rows


def worker_pfdat_flow(dump: str, options: dict[str, Any]) -> list[dict[str, Any]]:
    """The engineer's three steps on all of pfdat, once each in a fresh process, and the peak
    resident set after them: `load pfd_t from pfdat max N`, `keep pf_flags & P_SYS`,
    `print -x addrof pf_flags > FILE`."""
    from q4py.layouts.vm import P_SYS

    session = _session(dump)
    entries = session.program.read_global("physmem")
    with tempfile.TemporaryDirectory(prefix="q4py-bench-flow-") as scratch:
        steps = [("load pfd_t from pfdat max N", f"load pfd_t from pfdat max {entries}"),
                 ("keep pf_flags & P_SYS", f"keep pf_flags & {P_SYS:#x}"),
                 ("print -x addrof pf_flags > FILE",
                  f"print -x addrof pf_flags > {Path(scratch) / 'pfdat.txt'}")]
        rows = [record("", name, round(_execute(session, line), 3), "s")
                for name, line in steps]
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KiB on Linux
    return rows + [record("", "pfdat piles peak RSS", round(rss, 1), "MiB")]


def worker_threads(dump: str, _: dict[str, Any]) -> list[dict[str, Any]]:
    """Thread work (issue 8): `stacks` over every thread, once in a fresh process, with the
    peak resident set after it; then `trace -W pid N` of the
    process with the most threads (best of a few, in a session that has done nothing else
    before the first)."""
    from q4py.kernel.threads import thread_addresses
    from q4py.program import Program
    from q4py.shell.session import Session

    out = io.StringIO()
    prog = Program.open(dump)
    session = Session(prog, out)
    count = len(thread_addresses(prog))
    t, cpu = time.perf_counter(), time.process_time()
    ok = session.execute("stacks")
    seconds, cpu = time.perf_counter() - t, time.process_time() - cpu
    if not ok:
        raise SystemExit("stacks failed")
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    pid = _traced_pid(dump)
    fresh = Session(Program.open(dump), io.StringIO())

    def trace_once() -> None:
        if not fresh.execute(f"trace -W pid {pid}"):
            raise SystemExit(f"trace -W pid {pid} failed")

    return [record("", "threads", count, "threads"),
            record("", "stacks", round(seconds, 3), "s"),
            record("", "stacks CPU", round(cpu, 3), "s"),
            record("", "stacks peak RSS", round(rss, 1), "MiB"),
            record("", "trace -W pid", round(best(trace_once, runs=3), 4), "s")]


def _traced_pid(dump: str) -> int:
    """The process with the most threads (the lowest pid of those)."""
    from collections import Counter

    from q4py.kernel.threads import threads
    from q4py.program import Program

    counts = Counter(t.pid for t in threads(Program.open(dump)))
    return min(counts, key=lambda pid: (-counts[pid], pid))


WORKERS = {"open": worker_open, "crashinfo": worker_crashinfo, "bulk": worker_bulk,
           "random": worker_random, "piles": worker_piles, "pfdat flow": worker_pfdat_flow,
           "gzip_crashinfo": worker_gzip_crashinfo, "threads": worker_threads}
PARTS = ("open", "crashinfo", "bulk", "random", "piles", "threads")


def run_worker(mode: str, dump: Path, options: dict[str, Any], env: dict[str, str] | None = None,
               ) -> list[dict[str, Any]]:
    """Run one worker in a fresh interpreter and return its records."""
    environment = dict(os.environ, **(env or {}))
    environment["PYTHONPATH"] = os.pathsep.join(
        p for p in (str(REPO), environment.get("PYTHONPATH", "")) if p)
    done = subprocess.run(
        [sys.executable, str(Path(__file__).resolve()), "--worker", mode, str(dump),
         json.dumps(options)],
        env=environment, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        raise SystemExit(f"bench: the {mode} worker failed on {dump}:\n{done.stderr}")
    return json.loads(done.stdout)


# -- forging --------------------------------------------------------------------------------------
def gzip_variant(scenario: Path, workdir: Path) -> Path:
    """The same scenario with `dump.compress = true` (a file, so --keep can key the cache)."""
    text = scenario.read_text(encoding="utf-8")
    if text.count("compress = false") != 1:
        raise SystemExit(f"bench: {scenario} has no single 'compress = false' line to flip")
    path = workdir / f"{scenario.stem}-gzip.toml"
    path.write_text(text.replace("compress = false", "compress = true"), encoding="utf-8")
    return path


def forge(scenario: Path, name: str, workdir: Path, keep: bool) -> tuple[Path, float | None]:
    """Forge `scenario`; returns the crash directory and the seconds it took (None: cached)."""
    if keep:
        from q4py.cachedir import forge_cached, scenario_key, user_cache_dir

        key = scenario_key(scenario.read_bytes())
        cached = (user_cache_dir() / "bench" / name / key).is_dir()
        t = time.perf_counter()
        path = forge_cached(scenario, f"bench/{name}", what=f"benchmark scenario {name}")
        seconds = time.perf_counter() - t
        os.sync()
        return path, None if cached else seconds
    from q4py.forge import forge_crashdir

    out = workdir / name
    t = time.perf_counter()
    forge_crashdir(scenario, out)
    seconds = time.perf_counter() - t
    os.sync()  # measure reads, not the writeback of what was just written
    return out, seconds


def dump_records(size: str, dump: Path, seconds: float | None) -> list[dict[str, Any]]:
    from q4py.crashdir import CrashDir

    with CrashDir.open(dump) as crash:
        pages = crash.memory.page_count
        physmem = crash.index.memsize // crash.index.pagesize
    on_disk = sum(p.stat().st_size for p in dump.iterdir())
    rows = [record(size, "image pages", pages, "pages", physmem, round(pages / physmem, 4)),
            record(size, "dump on disk", round(on_disk / MiB, 1), "MiB")]
    if seconds is not None:
        rows.insert(0, record(size, "forge", round(seconds, 2), "s"))
    return rows


def bench_size(size: str, workdir: Path, keep: bool,
               parts: tuple[str, ...] = PARTS) -> list[dict[str, Any]]:
    scenario = SCENARIOS[size]
    sc = tomllib.loads(scenario.read_text(encoding="utf-8"))
    print(f"bench: {size}: forging {scenario.relative_to(REPO)} ...", file=sys.stderr)
    dump, seconds = forge(scenario, size, workdir, keep)
    rows = dump_records(size, dump, seconds)
    options: dict[str, Any] = {}
    if sc.get("buf_lists"):
        options.update(buf_address=sc["buf_lists"][0]["address"],
                       buf_count=sc["buf_lists"][0]["count"])
    print(f"bench: {size}: {', '.join(parts)} ...", file=sys.stderr)
    if "open" in parts:
        opens = [run_worker("open", dump, options)[0] for _ in range(3)]
        rows.append(min(opens, key=lambda r: r["value"]) | {"size": size})
    if "crashinfo" in parts:
        runs = [run_worker("crashinfo", dump, options) for _ in range(3)]
        rows.append(min((r[0] for r in runs), key=lambda r: r["value"]) | {"size": size})
        rows.append(min((r[1] for r in runs), key=lambda r: r["value"]) | {"size": size})
        rows.append(max((r[2] for r in runs), key=lambda r: r["value"]) | {"size": size})
    if "bulk" in parts:
        rows += [r | {"size": size} for r in run_worker("bulk", dump, options)]
    if "threads" in parts:  # every size has threads (the seed its thread_defaults)
        rows += [r | {"size": size} for r in run_worker("threads", dump, options)]
    if "piles" in parts:
        rows += [r | {"size": size} for r in run_worker("pfdat flow", dump, options)]
        rows += [r | {"size": size} for r in run_worker("piles", dump, options)]
    if "random" not in parts:
        if not keep:
            shutil.rmtree(dump, ignore_errors=True)
        return rows
    print(f"bench: {size}: gzip images, random page reads ...", file=sys.stderr)
    gz_scenario = gzip_variant(scenario, workdir)
    gz_dump, gz_seconds = forge(gz_scenario, f"{size}-gzip", workdir, keep)
    if gz_seconds is not None:
        rows.append(record(size, "forge (gzip)", round(gz_seconds, 2), "s"))
    crashinfo_plain = next((r["value"] for r in rows if r["metric"] == "crashinfo"), None)
    for mode in ("gzip_crashinfo", "random"):
        cache = Path(tempfile.mkdtemp(prefix="cache-", dir=workdir))  # cold: nothing in it yet
        try:
            found = run_worker(mode, gz_dump if mode == "gzip_crashinfo" else dump,
                               {"gzip_dump": str(gz_dump)}, {"Q4PY_CACHE_DIR": str(cache)})
            if mode == "gzip_crashinfo" and crashinfo_plain:
                first = found[0]
                first.update(baseline=crashinfo_plain,
                             ratio=round(first["value"] / crashinfo_plain, 2))
            rows += [r | {"size": size} for r in found]
            what = "first crashinfo" if mode == "gzip_crashinfo" else "random page reads"
            rows.append(record(size, f"gzip: cache on disk after the {what}",
                               round(disk_used(cache) / MiB, 2), "MiB"))
        finally:
            shutil.rmtree(cache, ignore_errors=True)
    if not keep:
        shutil.rmtree(dump, ignore_errors=True)
        shutil.rmtree(gz_dump, ignore_errors=True)
    return rows


# -- the report -----------------------------------------------------------------------------------
def verdict(row: dict[str, Any]) -> str:
    target = TARGETS.get((row["metric"], row["size"])) or TARGETS.get((row["metric"], None))
    if target is None or row["value"] is None:
        return ""
    limit, kind = target
    if kind == "ratio":
        return f"{'met' if row['ratio'] <= limit else 'MISSED'} (<= {limit:g}x)"
    return f"{'met' if row['value'] <= limit else 'MISSED'} (<= {limit:g} {row['unit']})"


def _number(value: float | None) -> str:
    if value is None:
        return "-"
    if isinstance(value, float) and not value.is_integer():
        return f"{value:,.4g}" if value < 1000 else f"{value:,.0f}"
    return f"{int(value):,}"


def table(rows: list[dict[str, Any]]) -> str:
    head = ("size", "metric", "value", "unit", "baseline", "ratio", "target")
    body = [(r["size"], r["metric"], _number(r["value"]), r["unit"], _number(r["baseline"]),
             "-" if r["ratio"] is None else f"{r['ratio']:g}", verdict(r)) for r in rows]
    widths = [max(len(str(x)) for x in column) for column in zip(head, *body, strict=True)]
    lines = [" | ".join(str(c).ljust(w) for c, w in zip(head, widths, strict=True)).rstrip()]
    lines.append("-+-".join("-" * w for w in widths))
    for row in body:
        cells = [str(c).rjust(w) if i in (2, 4, 5) else str(c).ljust(w)
                 for i, (c, w) in enumerate(zip(row, widths, strict=True))]
        lines.append(" | ".join(cells).rstrip())
    return "\n".join(lines)


def machine() -> str:
    model = ""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    memory = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / (1 << 30)
    load = f", load average {os.getloadavg()[0]:.1f}" if hasattr(os, "getloadavg") else ""
    return (f"{os.cpu_count()} CPUs ({model or platform.processor() or 'unknown CPU'}), "
            f"{memory:.1f} GiB memory, Python {platform.python_version()}, {platform.system()}"
            f"{load}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="bench.py", description=__doc__.split("\n")[0])
    parser.add_argument("--sizes", default="seed,16g,64g,text",
                        help="comma-separated sizes among seed, 16g, 64g, and text (a 10 MB "
                             "kernel text disassembled, benchmarks/disasm_text.py) (default: all)")
    parser.add_argument("--json", metavar="FILE", help="also write the figures as JSON records")
    parser.add_argument("--keep", action="store_true",
                        help="forge into the q4py cache (bench/) and keep the dumps for next time")
    parser.add_argument("--parts", default=",".join(PARTS),
                        help=f"comma-separated parts among {', '.join(PARTS)} (default: all)")
    parser.add_argument("--worker", nargs=3, metavar=("MODE", "DUMP", "OPTIONS"),
                        help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.worker:
        mode, dump, options = args.worker
        json.dump(WORKERS[mode](dump, json.loads(options)), sys.stdout)
        return 0
    sizes = [s.strip() for s in args.sizes.split(",") if s.strip()]
    unknown = [s for s in sizes if s not in SCENARIOS and s != "text"]
    if unknown or not sizes:
        parser.error(f"unknown size {', '.join(unknown) or '(none)'}: pick from "
                     f"{', '.join(SCENARIOS)}")
    parts = tuple(p.strip() for p in args.parts.split(",") if p.strip())
    if not parts or set(parts) - set(PARTS):
        parser.error(f"unknown part in {args.parts!r}: pick from {', '.join(PARTS)}")
    workdir = Path(tempfile.mkdtemp(prefix="q4py-bench-"))
    rows: list[dict[str, Any]] = []
    try:
        for size in sizes:
            if size == "text":
                from benchmarks.disasm_text import measure
                print("bench: text: disassembling 10 MB of kernel text ...", file=sys.stderr)
                rows += measure()
                continue
            rows += bench_size(size, workdir, args.keep, parts)
    finally:
        shutil.rmtree(workdir, ignore_errors=True)
    print(f"q4py benchmark on {machine()}")
    print(table(rows))
    if args.json:
        Path(args.json).write_text(json.dumps(rows, indent=1) + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
