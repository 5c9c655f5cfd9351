"""`run WhatHappened`: the first-look triage names the seed's causes by itself, and reports the
other findings (free memory below minfree, spinlock holders) and the clear checks on variants of
the seed built for that.

The seed's figures the issue names (sysmap_32bit depleted; bucket[9], 512 bytes, 65 % of
memory) are asserted literally; the rest is checked against the analyses the script reads.
"""

from __future__ import annotations

import io
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from conftest import SCENARIOS_DIR

from q4py.analyses.kmem import kernel_memory_usage
from q4py.analyses.lock import deadlocked_lock
from q4py.analyses.memory import memory_globals
from q4py.forge.build import Forge
from q4py.forge.scenario import load_scenario
from q4py.program import Program
from q4py.shell import Session

SEED = "hpux1100-32-kalloc-sysmap"


def what_happened(prog: Program, extra: str = "") -> list[str]:
    out = io.StringIO()
    Session(prog, out).execute(f"run WhatHappened{extra}")
    return out.getvalue().split("\n")[:-1]


def section(lines: list[str], title: str) -> list[str]:
    """The lines under a `title` / `-----` heading, up to the blank line ending it or the next
    heading."""
    start = lines.index(title) + 2
    end = start
    while end < len(lines) and not (end + 1 < len(lines) and set(lines[end + 1]) == {"-"}):
        end += 1
    while end > start and not lines[end - 1]:
        end -= 1
    return lines[start:end]


@pytest.fixture(scope="module")
def seed(forged_dump: Callable[[str], Path]) -> Program:
    return Program.open(forged_dump(SEED))


@pytest.fixture(scope="module")
def seed_lines(seed: Program) -> list[str]:
    return what_happened(seed)


def test_seed_names_the_depleted_sysmap(seed_lines: list[str]) -> None:
    findings = section(seed_lines, "Findings")
    assert "* Resource map depleted: sysmap_32bit (also sysmap) has not a single free page" \
        in findings
    i = findings.index("* Resource map depleted: sysmap_32bit (also sysmap) has not a single "
                       "free page")
    assert findings[i + 1].startswith("  0 free runs, 0 pages free; the map is sized for 23328 ")


def test_seed_names_bucket_9(seed_lines: list[str], seed: Program) -> None:
    findings = section(seed_lines, "Findings")
    title = "* One MALLOC bucket holds most kernel memory: bucket[9], 512 bytes"
    assert title in findings
    i = findings.index(title)
    kmem = kernel_memory_usage(seed)
    pages = kmem.buckets[9]
    assert findings[i + 1] == f"  bucket[9] (512 bytes) holds {pages} pages (834.9m):"
    assert findings[i + 2].startswith(f"  65% of physical memory ({kmem.physmem} pages), ")
    assert f"of all MALLOC buckets ({kmem.malloc} pages)." in findings[i + 2]


def test_seed_crash_and_trap(seed_lines: list[str], seed: Program) -> None:
    crash = section(seed_lines, "The crash")
    assert crash[0] == "Panic string : kalloc: out of kernel virtual space"
    assert crash[1].startswith("Main event   : #0, PANIC on CPU #0 (2 crash events")
    assert crash[2].startswith("Stack        : panic+0x4c <- kalloc+0x1a4 <- ")
    traps = section(seed_lines, "Traps in kernel mode")
    assert traps[0] == "Event #1 trapped in pgcopy+0x1e0"
    assert traps[1] == "    Type 18: Data Memory Protection Trap/unaligned Data Reference Trap"
    assert traps[2] == "    PCSQ.PCOQ = 0x0.0x378e0 = pgcopy+0x1e0"
    ss = seed.read_struct("save_state", 0x7FFF0D48, 0x76DB400).ss_narrow
    assert traps[3].startswith(f"    IIR       = 0x{ss.ss_cr19:08x}  ldw ")
    assert traps[4] == f"    ISR.IOR   = {ss.ss_cr20:#x}.{ss.ss_cr21:#x}"
    assert traps[5] == "    p struct save_state 0x76db400.0x7fff0d48"


def test_seed_deactivated_and_clear_checks(seed_lines: list[str], seed: Program) -> None:
    mem = memory_globals(seed)
    findings = section(seed_lines, "Findings")
    assert (f"* Deactivated processes: {mem.deactivated} processes were deactivated (SDEACT)"
            in findings)
    clear = seed_lines[seed_lines.index("Checked and clear") + 2:]
    assert clear == [
        f"  freemem {mem.freemem} pages (17.34 MB), minfree 256 pages (1.00 MB): free memory "
        "above minfree",
        "  no processor held a spinlock (spinlock depth 0 in every crash event)",
        "  no thread asleep on a beta semaphore",
    ]


def test_arguments_are_refused(seed: Program) -> None:
    assert what_happened(seed, " -HANG") == [
        "q4: WhatHappened: usage: run WhatHappened (it takes no arguments)"]


# -- variants of the seed ------------------------------------------------------------------------
def forge_variant(tmp_path: Path, change: Callable[[dict[str, Any]], None]) -> Program:
    sc = load_scenario(SCENARIOS_DIR / f"{SEED}.toml")
    change(sc)
    Forge(sc).build(tmp_path)
    return Program.open(tmp_path)


def test_a_healthy_variant_reports_clear_checks(tmp_path: Path) -> None:
    def healthy(sc: dict[str, Any]) -> None:
        moved = sc["pages"]["buckets"]["9"] - 1000
        sc["pages"]["buckets"]["9"] = 1000
        sc["pages"]["free"] += moved  # the leak never happened
        sc["maps"][0]["free"] = [{"addr": 0x2000000, "size": 300}, {"addr": 0x2200000,
                                                                     "size": 40}]
        for group in sc["process_groups"]:
            group["deactivated"] = False

    prog = forge_variant(tmp_path, healthy)
    lines = what_happened(prog)
    assert section(lines, "Findings") == ["None of the first checks found anything wrong."]
    clear = lines[lines.index("Checked and clear") + 2:]
    assert clear[0] == "  sysmap_32bit (also sysmap): 340 pages (1.33 MB) free in 2 runs, " \
        "largest 300 pages"
    assert clear[1].startswith("  largest MALLOC bucket: bucket[10] (1024 bytes) holds 2943 "
                               "pages (11.5m): 1% of physical memory")
    assert "no deactivated process" in " ".join(clear)


def test_low_memory_and_spinlock_holders(tmp_path: Path) -> None:
    def stressed(sc: dict[str, Any]) -> None:
        sc["vm"]["minfree"] = sc["pages"]["free"] + 1
        sc["events"][1]["spinlock_depth"] = 2

    prog = forge_variant(tmp_path, stressed)
    findings = section(what_happened(prog), "Findings")
    assert "* Free memory is below minfree: the system was desperately short of memory" \
        in findings
    i = findings.index("* Spinlocks were held when the crash events were taken")
    assert findings[i + 1] == ("  Processor #0 held 2 spinlocks (the spinlock depth of event "
                               "#1, PANIC): trace processor 0")


def test_spinlock_deadlock_names_the_lock_and_its_holder(
        forged_dump: Callable[[str], Path]) -> None:
    prog = Program.open(forged_dump("hpux1111-64-spinlock-process-lock"))
    lock = deadlocked_lock(prog)
    assert lock is not None and lock.name == "process lock" and lock.holder_cpu == 1
    findings = section(what_happened(prog), "Findings")
    i = findings.index(f"* Spinlock deadlock: the lock 'process lock' at {lock.address:#x} "
                       "timed out")
    assert lock.holder is not None
    assert findings[i + 1] == (f"  Held by processor #1, its last crash event is "
                               f"#{lock.holder.event.index} (TOC): trace processor 1")


def test_a_hang_names_the_semaphore_its_sleepers_wait_on(
        forged_dump: Callable[[str], Path]) -> None:
    """The invented 11.11 hang: 40 appserv threads asleep on app_sema, which tid 3101 holds."""
    prog = Program.open(forged_dump("invented-hpux1111-32-hang-sema-zombies"))
    lines = what_happened(prog)
    assert section(lines, "Findings") == [
        "* Threads are asleep on beta semaphores",
        "  40 on app_sema (the longest for 12000 ticks), held by tid 3101: trace -U tid 3101"]
    assert "  no thread asleep on a beta semaphore" in what_happened(
        Program.open(forged_dump(SEED)))
