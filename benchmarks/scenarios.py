"""Generate the benchmark's large scenarios from the seed: `python benchmarks/scenarios.py`.

The seed (fixtures/scenarios/hpux1100-32-kalloc-sysmap.toml, a 1.25 GiB K360 on the 32-bit
kernel) is benchmarked as it is. The larger sizes keep its kernel, crash events and message
buffer, move to the 64-bit kernel (a 32-bit kernel cannot address that much memory) and scale
what the decoder has to read:

| size | memory | pfdat entries | processes | threads | sysmap free runs | bufs in a list |
|---|---|---|---|---|---|---|
| 16g | 16 GiB | 4 M | 8 000 | 16 000 | 1 000 | 25 000 |
| 64g | 64 GiB | 16 M | 30 000 | 60 000 | 4 000 | 100 000 |

Every process has two threads, each with its kernel stack (THREAD_KINDS: database servers
asleep on semaphores, reading sockets or waiting for disk I/O, some preempted in user mode; web
servers in accept and select; shells in wait), so `stacks` has sixty thousand stacks to walk.

The output is deterministic (fixed random seeds), so the committed files in
benchmarks/scenarios/ are exactly what this script writes; rerun it after changing it.
"""

from __future__ import annotations

import copy
import random
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
SEED = REPO / "fixtures" / "scenarios" / "hpux1100-32-kalloc-sysmap.toml"
OUT = HERE / "scenarios"
GiB = 1 << 30
PAGE = 4096


@dataclass(frozen=True)
class Size:
    name: str
    gib: int
    model: str
    processes: int
    nproc: int
    free_runs: int
    bufs: int
    buf_address: int


SIZES = {
    "16g": Size("16g", 16, "9000/800/N4000-44", 8_000, 8_192, 1_000, 25_000, 0x3_0000_0000),
    "64g": Size("64g", 64, "9000/800/SD64000", 30_000, 30_720, 4_000, 100_000, 0xC_0000_0000),
}


def scenario(size: Size) -> dict[str, Any]:
    """The seed scaled to `size` (a plain dict, ready for `dumps`)."""
    sc = copy.deepcopy(tomllib.loads(SEED.read_text(encoding="utf-8")))
    pages = size.gib * GiB // PAGE
    scale = pages // sc["system"]["memory_pages"]  # 12 for 16g, 51 for 64g
    system = sc["system"]
    system.update(width="wide", model=size.model, memory_pages=pages,
                  hostname=f"bench{size.name}")
    sc["dump"]["chunk_pages"] = 8192  # 32 MiB image files
    for event in sc["events"]:  # 64-bit kernel stacks live in quadrant 1
        event["stack_base"] = 0x4000_03FF_FFFF_04F0
    # Kernel memory grows with the machine; user pages take the rest.
    p = sc["pages"]
    for key in ("free", "static", "reserved", "eqalloc", "bufcache", "eqmem", "scmem", "uarea",
                "disowned"):
        p[key] *= scale
    p["buckets"] = {k: v * scale for k, v in p["buckets"].items()}
    for k in ("18", "19", "20"):  # multi-page buckets must stay whole elements: keep the seed's
        p["buckets"][k] = sc["pages"]["buckets"][k]
    p["kalloc"] = {k: v * scale for k, v in p["kalloc"].items()}
    p["bad"] = [pages // 3, pages // 3 + 1, pages - 5]
    sc["bufcache"]["nbuf"] = size.bufs * 4
    # The process table: the seed's named processes, then generated groups up to the count.
    sc["nproc"] = size.nproc
    named = len(sc["processes"])
    groups = []
    rest = size.processes - named
    for i, (command, share, virtual, physical, deact) in enumerate((
        ("oracle", 0.6, 67500, [900, 150], False),
        ("oracle", 0.2, 67400, [160, 20], True),
        ("httpd", 0.15, 4200, [800, 300], False),
        ("sh", 0.05, 220, [90, 40], False),
    )):
        count = int(rest * share) if i < 3 else rest - sum(g["count"] for g in groups)
        groups.append({"command": command, "count": count, "first_pid": 4000 + i * 100_000,
                       "pid_step": 3, "virtual": virtual, "physical": physical,
                       "deactivated": deact})
    sc["process_groups"] = groups
    # A fragmented sysmap: thousands of small free runs, none large enough for the request.
    rng = random.Random(size.gib)
    runs, addr = [], 0x60000
    for _ in range(size.free_runs):
        addr += rng.randrange(1, 64)
        length = rng.randrange(1, 9)
        runs.append({"addr": addr, "size": length})
        addr += length
    sc["maps"][0]["entries"] = max(sc["maps"][0]["entries"], size.free_runs + 16)
    sc["maps"][0]["free"] = runs
    sc["swap"]["devices"][0]["kilobytes"] *= scale
    sc["swap"]["devices"][0]["free_pages"] *= scale
    sc["swap"]["reserved_pages"] *= scale
    sc["buf_lists"] = [{"address": size.buf_address, "count": size.bufs}]
    # Two threads per process, with their stacks; the pdir grows with the thread spaces.
    sc["kernel"]["htbl_entries"] = 1 << 18
    sc["threads"] = thread_population(sc, groups)
    sc["nkthread"] = sum(t["count"] for t in sc["threads"])
    return sc


_SYSCALL = ["syscall+0x28c", "syscallinit+0x54c"]
_SLEEP = ["_swtch+0xc4", "_sleep+0x1a8"]
# command -> thread kinds: (share of its threads, state, wait channel, calls below _sleep)
THREAD_KINDS: dict[str, list[tuple[float, str, str, list[str]]]] = {
    "oracle": [
        (0.5, "sleep", "0x4c11c400", ["semop+0x2f0"]),
        (0.4, "sleep", "selwait", ["read_sleep+0x1ac", "streams_getmsg+0x1a0",
                                   "soreceive+0x200", "recv+0x100"]),
        (0.1, "run", "", []),  # preempted in user mode
    ],
    "httpd": [
        (0.5, "sleep", "0x48389200", ["soaccept+0x9d8", "accept+0x22c"]),
        (0.5, "sleep", "selwait", ["select+0x3b4"]),
    ],
    "sh": [(1.0, "sleep", "uarea", ["wait1+0x2c0", "waitpid+0x40"])],
}
_DEACTIVATED = [(1.0, "sleep", "bufhash+0x80", ["biowait+0x8c", "ufs_read+0x120",
                                                "vn_rdwr+0x90", "read+0x7c"])]
_PREEMPTED = [{"calls": ["_swtch+0x40", "preempt+0x60", "thandler+0x1c0"]},
              {"trap": 15, "user": {"pcsq": 0x4a5b000, "pcoq": 0x7f7dcba3}}]


def thread_population(sc: dict[str, Any], groups: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Two threads for each process: the named ones asleep in select, each process group's
    by THREAD_KINDS, spread over its processes."""
    threads: list[dict[str, Any]] = [
        {"pid": p["pid"], "count": 2, "wchan": "selwait", "caller": "_sleep",
         "calls": [*_SLEEP, "select+0x3b4", *_SYSCALL], "ticks": [12, 4000]}
        for p in sc["processes"]]
    for group in groups:
        kinds = _DEACTIVATED if group["deactivated"] else THREAD_KINDS[group["command"]]
        total, placed = 2 * group["count"], 0
        for i, (share, state, wchan, calls) in enumerate(kinds):
            count = int(total * share) if i < len(kinds) - 1 else total - placed
            placed += count
            thread: dict[str, Any] = {
                "pid": group["first_pid"], "processes": group["count"],
                "pid_step": group["pid_step"], "count": count, "state": state,
                "ticks": [1, 90000]}
            if state == "run":
                thread["contexts"] = _PREEMPTED
            else:
                thread.update(wchan=wchan, caller="_sleep", calls=[*_SLEEP, *calls, *_SYSCALL])
                if wchan.startswith("0x"):
                    thread["wchan_step"] = 0x40
            threads.append(thread)
    return threads


# -- a TOML writer for what scenarios hold -------------------------------------------------------
def _value(v: Any) -> str:
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, int):
        return hex(v) if v >= 0x10000 else str(v)
    if isinstance(v, float):
        return repr(v)
    if isinstance(v, str):
        if "\n" in v:
            return '"""\n' + v.replace("\\", "\\\\").replace('"""', '\\"""') + '"""'
        return '"' + v.replace("\\", "\\\\").replace('"', '\\"') + '"'
    if isinstance(v, list):
        if v and all(isinstance(x, dict) for x in v):
            return "[\n" + "".join(f"  {_value(x)},\n" for x in v) + "]"
        return "[" + ", ".join(_value(x) for x in v) + "]"
    if isinstance(v, dict):
        return "{ " + ", ".join(f"{_key(k)} = {_value(x)}" for k, x in v.items()) + " }"
    raise TypeError(f"cannot write {type(v).__name__} to TOML")


def _key(k: str) -> str:
    return k if k.replace("_", "").isalnum() else f'"{k}"'


def _table(out: list[str], path: str, table: dict[str, Any], array: bool = False) -> None:
    plain = {k: v for k, v in table.items() if not _is_sub(v, k)}
    out.append(f"\n[[{path}]]" if array else f"\n[{path}]")
    out += [f"{_key(k)} = {_value(v)}" for k, v in plain.items()]
    for k, v in table.items():
        if k in plain:
            continue
        if isinstance(v, dict):
            _table(out, f"{path}.{_key(k)}", v)
        else:
            for item in v:
                _table(out, f"{path}.{_key(k)}", item, array=True)


def _is_sub(v: Any, key: str) -> bool:
    """Tables and arrays of tables get their own header (except long lists of small ones)."""
    if isinstance(v, dict):
        return bool(v) and any(isinstance(x, (dict, list)) for x in v.values()) or key in (
            "symbols", "buckets", "kalloc")
    return isinstance(v, list) and bool(v) and all(isinstance(x, dict) for x in v) and key not in (
        "free",)


def dumps(sc: dict[str, Any], header: str) -> str:
    out = [f"# {line}".rstrip() for line in header.splitlines()]
    for key, value in sc.items():
        if isinstance(value, dict):
            _table(out, key, value)
        elif isinstance(value, list) and value and all(isinstance(x, dict) for x in value):
            for item in value:
                _table(out, key, item, array=True)
        elif isinstance(value, list) and not value:
            continue
        else:
            out.insert(len(header.splitlines()), f"{key} = {_value(value)}")
    return "\n".join(out) + "\n"


def write_all(outdir: Path = OUT) -> list[Path]:
    outdir.mkdir(parents=True, exist_ok=True)
    written = []
    for size in SIZES.values():
        header = (f"Benchmark scenario {size.name}: the seed scaled to {size.gib} GiB on the "
                  f"64-bit kernel.\nGenerated by benchmarks/scenarios.py: do not edit, rerun it.")
        path = outdir / f"bench-{size.name}.toml"
        text = dumps(scenario(size), header)
        assert tomllib.loads(text) == scenario(size), "the TOML writer lost something"
        path.write_text(text, encoding="utf-8")
        written.append(path)
    return written


if __name__ == "__main__":
    for path in write_all():
        print(f"wrote {path.relative_to(REPO)}")
