"""Resource maps: `p4_sysmap`, the crashinfo Sysmap section, and `run PrintMap`.

The seed dump must print the report's text; a modified scenario with free runs checks the
statistics, the fragmentation order and PrintMap's histogram against the runs the scenario put
in (the causes), and hand-placed broken maps check the errors.
"""

from __future__ import annotations

import copy
import io
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from q4py.analyses.sysmap import map_report, sysmap_globals, sysmap_reports
from q4py.forge.build import Forge
from q4py.forge.scenario import SCENARIO as SCHEMA
from q4py.forge.scenario import load_scenario
from q4py.kernel.maps import MapEntry, MapError, read_resource_map, resource_map
from q4py.program import Program
from q4py.render.sysmap import sysmap_section
from q4py.shell import Session

SEED = "hpux1100-32-kalloc-sysmap"
SCENARIO = Path(__file__).resolve().parent.parent / "fixtures" / "scenarios" / f"{SEED}.toml"

# From the seed report, Sysmap section (after the banner and blank line).
REPORT_SYSMAP = """\
p4>p4_sysmap -a
sysmap_32bit has a configured mapsize of 23328 entries
   index             m_addr           m_size
       0           0x9d6900     sysmap_32bit
       1                  0                0

Statistics :
Number of entries used = 1
Total free             = 0 pages
Largest free size      = 0 pages
Average free size      = 0.00 pages

Fragmentation :
sysmap_32bit has a configured mapsize of 23328 entries
   index             m_addr           m_size
       0           0x9d6900     sysmap_32bit
       1                  0                0""".split("\n")

# From the seed report: `run PrintMap sysmap` (note the blank after "depleted.").
REPORT_PRINTMAP = [
    "Loading the map entries, this may take a while...",
    "The sysmap_32bit is completely depleted. ",
    "There is not a single page available!",
    "",
    "The sysmap is sized for a maximum of 23328 entries",
]

FREE_RUNS = [(0x9f1000, 3), (0x9f4000, 1), (0xa00000, 200), (0xa10000, 17), (0xa20000, 200),
             (0xa40000, 6)]
# A second map, the way a 64-bit kernel has one per width.
WIDE_MAP = {"name": "sysmap_64bit", "address": 0x9e0000, "entries": 64,
            "symbols": ["sysmap_64bit"], "free": [{"addr": 0x40000, "size": 4096}]}
BAD_MAP = 0x9e8000  # hand-placed maps with no terminator / a limit before the map


def run(prog: Program, line: str) -> list[str]:
    out = io.StringIO()
    Session(prog, out).execute(line)
    return out.getvalue().split("\n")[:-1]


@pytest.fixture(scope="module")
def seed(forged_dump: Callable[[str], Path]) -> Program:
    return Program.open(forged_dump(SEED))


@pytest.fixture(scope="module")
def scenario() -> dict[str, Any]:
    sc = copy.deepcopy(load_scenario(SCENARIO))
    sc["maps"][0]["free"] = [{"addr": a, "size": s} for a, s in FREE_RUNS]
    sc["maps"] += SCHEMA.keys["maps"].validate([WIDE_MAP], "maps")
    entry = 8  # narrow struct mapent
    # Added parts go through the schema too, so they get its defaults.
    sc["objects"] = SCHEMA.keys["objects"].validate([
        # 4 slots, none of them a terminator
        {"type": "struct map", "address": BAD_MAP,
         "fields": {"m_limit": BAD_MAP + 4 * entry, "m_name": 0}},
        *({"type": "struct mapent", "address": BAD_MAP + i * entry,
           "fields": {"m_addr": i, "m_size": 1}} for i in range(1, 4)),
        # m_limit before the map
        {"type": "struct map", "address": BAD_MAP + 0x100,
         "fields": {"m_limit": BAD_MAP, "m_name": 0}},
    ], "objects")
    return sc


@pytest.fixture(scope="module")
def fragmented(scenario: dict[str, Any], tmp_path_factory: pytest.TempPathFactory) -> Program:
    outdir = tmp_path_factory.mktemp("fragmented")
    Forge(copy.deepcopy(scenario)).build(outdir)
    return Program.open(outdir)


# -- the seed ---------------------------------------------------------------------------------
def test_p4_sysmap_all_matches_report(seed: Program) -> None:
    assert run(seed, "p4_sysmap -a") == REPORT_SYSMAP[1:]


def test_sysmap_section_matches_report(seed: Program) -> None:
    lines = sysmap_section(seed)
    assert lines[:3] == ["\t\t\t==========", "\t\t\t= Sysmap =", "\t\t\t=========="]
    assert lines[3] == ""
    assert lines[4:] == REPORT_SYSMAP


def test_crashinfo_echo_replays_as_p4_sysmap(seed: Program) -> None:
    # The transcript replayer checks an echoed command's part against the command's own text.
    echoed = run(seed, "crashinfo sysmap")
    start = echoed.index("p4>p4_sysmap -a")
    assert echoed[start + 1:] == run(seed, "p4_sysmap -a")


def test_printmap_matches_report(seed: Program) -> None:
    assert run(seed, "run PrintMap sysmap") == REPORT_PRINTMAP


def test_seed_map_decoded(seed: Program) -> None:
    rmap = resource_map(seed, "sysmap_32bit")
    assert (rmap.name, rmap.mapsize, rmap.entries, rmap.depleted) == (
        "sysmap_32bit", 23328, (), True)
    assert rmap.limit == rmap.address + 23328 * 8
    assert sysmap_globals(seed) == ["sysmap_32bit"]  # split maps win over the legacy one


def test_map_named_by_legacy_global(seed: Program) -> None:
    # `sysmap` points at the same map: same listing.
    assert run(seed, "p4_sysmap sysmap") == run(seed, "p4_sysmap -a")


def test_p4_sysmap_usage_and_unknown_map(seed: Program) -> None:
    assert run(seed, "p4_sysmap") == ["q4: usage: p4_sysmap -a | p4_sysmap MAP..."]
    assert run(seed, "p4_sysmap -x") == ["q4: usage: p4_sysmap -a | p4_sysmap MAP..."]
    [line] = run(seed, "p4_sysmap physmem")
    assert "'physmem' is not a resource map" in line and "sysmap_32bit" in line


# -- a map with free runs ---------------------------------------------------------------------
def test_statistics_from_the_causes(fragmented: Program) -> None:
    sizes = [s for _, s in FREE_RUNS]
    lines = run(fragmented, "p4_sysmap sysmap_32bit")
    stats = lines[lines.index("Statistics :") + 1:lines.index("Fragmentation :") - 1]
    assert stats == [
        f"Number of entries used = {len(FREE_RUNS) + 1}",
        f"Total free             = {sum(sizes)} pages",
        f"Largest free size      = {max(sizes)} pages",
        f"Average free size      = {sum(sizes) / len(sizes):.2f} pages",
    ]


def test_listing_and_fragmentation_order(fragmented: Program) -> None:
    lines = run(fragmented, "p4_sysmap sysmap_32bit")
    table = lines[2:lines.index("")]
    expected = [f"{i:>8}{hex(a):>19}{s:>17}" for i, (a, s) in enumerate(FREE_RUNS, 1)]
    assert table[1:-1] == expected
    assert table[-1] == f"{len(FREE_RUNS) + 1:>8}{'0':>19}{'0':>17}"
    frag = lines[lines.index("Fragmentation :") + 1:]
    assert frag[:3] == lines[:3]  # the same header as the listing
    # largest first, ties in map order, each run keeping its index
    order = sorted(range(len(FREE_RUNS)), key=lambda i: (-FREE_RUNS[i][1], i))
    assert frag[3:-1] == [expected[i] for i in order]
    assert frag[-1] == table[-1]


def test_runs_are_kept_as_columns(fragmented: Program) -> None:
    rmap = resource_map(fragmented, "sysmap_32bit")
    assert (list(rmap.addrs), list(rmap.sizes)) == ([a for a, _ in FREE_RUNS],
                                                    [s for _, s in FREE_RUNS])
    assert rmap.entries == tuple(MapEntry(i, a, s) for i, (a, s) in enumerate(FREE_RUNS, 1))
    assert rmap.entry(0) == rmap.entries[0] and rmap.entries is rmap.entries  # made once
    report = map_report(rmap)
    assert report.fragmentation == tuple(sorted(rmap.entries, key=lambda e: (-e.size, e.index)))


def test_all_maps_one_blank_apart(fragmented: Program) -> None:
    lines = run(fragmented, "p4_sysmap -a")
    first = run(fragmented, "p4_sysmap sysmap_32bit")
    second = run(fragmented, "p4_sysmap sysmap_64bit")
    assert lines == first + [""] + second
    assert second[0] == f"sysmap_64bit has a configured mapsize of {WIDE_MAP['entries']} entries"
    assert sysmap_globals(fragmented) == ["sysmap_32bit", "sysmap_64bit"]
    assert [r.map.name for r in sysmap_reports(fragmented)] == ["sysmap_32bit", "sysmap_64bit"]


def test_printmap_with_free_runs(fragmented: Program) -> None:
    sizes = [s for _, s in FREE_RUNS]
    largest_addr = next(a for a, s in FREE_RUNS if s == max(sizes))
    lines = run(fragmented, "run PrintMap sysmap")
    assert lines[0] == "Loading the map entries, this may take a while..."
    mb = sum(sizes) * 4 / 1024
    assert lines[1] == (f"The sysmap_32bit has {len(sizes)} free runs, "
                        f"{sum(sizes)} pages ({mb:.2f} MB) in total.")
    # under a MB the size is in whole KB, as crashinfo prints `11 pages (44 KB)`
    largest_kb = max(sizes) * 4
    assert largest_kb < 1024
    assert lines[2] == (f"The largest free run is {max(sizes)} pages "
                        f"({largest_kb} KB) at {largest_addr:#x}.")
    hist = lines[lines.index("Free runs by size:") + 2:lines.index("", 4)]
    # power-of-two classes 1, 2-3, 4-7, ... up to the one holding the largest run
    expected = []
    for k in range(max(sizes).bit_length()):
        low, high = 1 << k, (1 << (k + 1)) - 1
        members = [s for s in sizes if low <= s <= high]
        label = str(low) if low == high else f"{low}-{high}"
        expected.append(f"{label:>13}{len(members):>8}{sum(members):>14}")
    assert hist == expected
    assert lines[-1] == "The sysmap is sized for a maximum of 23328 entries"


def test_printmap_errors(fragmented: Program) -> None:
    assert run(fragmented, "run PrintMap") == [
        "q4: PrintMap: usage: run PrintMap MAPNAME (a kernel struct map * global, e.g. sysmap)"]
    # The name is checked before "Loading the map entries" is promised: one error line.
    lines = run(fragmented, "run PrintMap nosuchmap")
    assert len(lines) == 1
    assert lines[0].startswith("q4: PrintMap: 'nosuchmap' is not a resource map")


# -- broken maps ------------------------------------------------------------------------------
def test_map_without_terminator(fragmented: Program) -> None:
    with pytest.raises(MapError, match=r"map at 0x9e8000.*no terminating entry.*4 configured"):
        read_resource_map(fragmented, BAD_MAP)


def test_map_limit_before_map(fragmented: Program) -> None:
    with pytest.raises(MapError, match=r"map at 0x9e8100: m_limit 0x9e8000 is not after"):
        read_resource_map(fragmented, BAD_MAP + 0x100)
