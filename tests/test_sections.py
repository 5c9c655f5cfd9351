"""crashinfo sections General Information .. Swap Information: the seed dump renders the seed
report's text byte for byte, the formatting helpers, and consistency when a cause changes.

Expected text is written like `cat -A`: every line ends with `$` so trailing blanks are visible
and survive editors; `\\t` is a tab. It is copied from the seed report (the analyst's
`^^^^ how come so large ???` remark and its blank line left out: they are not tool output).
"""

from __future__ import annotations

import calendar
import copy
import re
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from helpers import Shell

from q4py.analyses.bufcache import BufferCache
from q4py.analyses.kmem import KernelMemoryUsage
from q4py.analyses.memory import RATES, THRESHOLDS, MemoryGlobals
from q4py.analyses.processes import ProcessMemory, top_processes
from q4py.analyses.swap import ProcessSwap, SwapPages, swap_usage
from q4py.forge.build import Forge
from q4py.forge.scenario import load_scenario
from q4py.kernel.pfdat import page_census
from q4py.kernel.procs import process_table, processes
from q4py.kernel.swap import device_name
from q4py.layouts import LayoutError
from q4py.layouts.vm import KALLOC_POOLS, PAGE_CLASSES
from q4py.program import Program
from q4py.render import SECTIONS, load_sections
from q4py.render.bufcache import render_bufcache
from q4py.render.general import format_dump_time, format_uptime, format_zone
from q4py.render.kmem import bucket_description, kmem_row, render_kmem
from q4py.render.memory import render_memory
from q4py.render.styles import BY_NAME
from q4py.render.swap import render_swap_globals, render_swap_top, swap_row
from q4py.render.text import pages_in_mb
from q4py.render.user import render_top

SEED = "hpux1100-32-kalloc-sysmap"
SCENARIO = Path(__file__).resolve().parent.parent / "fixtures" / "scenarios" / f"{SEED}.toml"
MINE = ("general", "memory", "kmem", "user", "bufcache", "swap")


def text(block: str) -> list[str]:
    """Lines of a `$`-terminated block (the first, empty line after the quotes dropped)."""
    lines = block.split("\n")[1:-1]
    assert all(line.endswith("$") for line in lines), "every expected line ends with $"
    return [line[:-1] for line in lines]


# The General Information banner is cut from the seed report; crashinfo prints it as in the
# other reports (e.g. hpux1100-64-dpf-scsi-dequeue).
GENERAL = text("""
\t\t\t=======================$
\t\t\t= General Information =$
\t\t\t=======================$
$
Dump time Mon Jun 28 11:35:46 2004 UTC-8$
System has been up 122 days, 14 hours, 56 minutes.$
$
System Name      : HP-UX$
Node Name        : localhost$
Model            : 9000/800/K360$
HP-UX version    : B.11.00 (32-bit Kernel)$
Number of CPU's  : 4$
Disabled CPU's   : 0$
CPU type         : PCXU (180 Mhz)$
CPU Architecture : PA-RISC 2.0$
Load average     : 2.37  1.32  1.29  $
$
""")

MEMORY = text("""
\t\t\t==================$
\t\t\t= Memory Globals =$
\t\t\t==================$
$
Physical Memory     = 327680 pages (1.25 GB)$
Free Memory         = 4438 pages (17.34 MB)$
Average Free Memory = 3019 pages (11.79 MB)$
gpgslim             = 2456 pages (9.59 MB)$
lotsfree            = 8192 pages (32.00 MB)$
desfree             = 1024 pages (4.00 MB)$
minfree             = 256 pages (1.00 MB)$
$
Note:  There are 70 deactivated processes !$
$
deactload: 42.20  12.48  4.48  $
maxpendpageouts = 1307$
pageoutrate     = 1307  curr_pgrate = 4515$
min_pgrate      = 25    max_pgrate  = 3827$
lowmemdeact     = 0     thrashdeact = 1491$
$
$
""")

KMEM = text("""
\t\t\t=======================$
\t\t\t= Kernel Memory Usage =$
\t\t\t=======================$
----------------------------------------------------------------------$
Physical memory usage summary (in page/byte/percent):$
$
Physmem             =   327680    1.2g 100%  Physical memory$
  Freemem           =     4438   17.3m   1%  Free physical memory$
  Used              =   323242    1.2g  99%  Used physical memory$
    System          =   278917    1.1g  85%  By kernel:$
      text          =     1684    6.6m   1%   text$
      data          =      136  544.0k   0%   data$
      bss           =      603    2.4m   0%   bss$
      Static        =    16701   65.2m   5%   for text/static data$
      Dynamic       =   245173  957.7m  75%   for dynamic data$
      Bufcache      =    16383   64.0m   5%   for buffer cache$
      Eqmem         =       20   80.0k   0%   for equiv. mapped memory$
      SCmem         =      640    2.5m   0%   for critical memory$
    User            =    44317  173.1m  14%  By user processes:$
      Uarea         =     1100    4.3m   0%   for thread uareas$
    Disowned        =        8   32.0k   0%  Disowned pages$
$
----------------------------------------------------------------------$
Kernel dynamic memory usage (in page/byte/percent):$
$
Dynamic             =   245173  957.7m  75%  Kernel dynamic memory$
  MALLOC            =   227043  886.9m  69%  Memory buckets$
    bucket[5]       =     1280    5.0m   0%   size    32 bytes$
    bucket[6]       =      244  976.0k   0%   size    64 bytes$
    bucket[7]       =     2501    9.8m   1%   size   128 bytes$
    bucket[8]       =     1867    7.3m   1%   size   256 bytes$
    bucket[9]       =   213742  834.9m  65%   size   512 bytes$
    bucket[10]      =     2943   11.5m   1%   size  1024 bytes$
    bucket[11]      =     1123    4.4m   0%   size  2048 bytes$
    bucket[12]      =      137  548.0k   0%   size  4096 bytes$
    bucket[13]      =      240  960.0k   0%   size     2 pages$
    bucket[14]      =       30  120.0k   0%   size     3 pages$
    bucket[15]      =        8   32.0k   0%   size     4 pages$
    bucket[16]      =        5   20.0k   0%   size     5 pages$
    bucket[17]      =       36  144.0k   0%   size     6 pages$
    bucket[18]      =        0    0.0k   0%   size     7 pages$
    bucket[19]      =      208  832.0k   0%   size     8 pages$
    bucket[20]      =     2679   10.5m   1%   size >   8 pages$
  Reserved          =       13   52.0k   0%  Reserved pools$
  Kalloc            =    17780   69.5m   5%  kalloc()$
    SuperPagePool   =        0    0.0k   0%    Kernel superpage cache$
    BufcacheBufs    =    15994   62.5m   5%    Buffer cache bufs$
    BufcacheHash    =      640    2.5m   0%    Buffer cache hash heads$
    Other           =     1146    4.5m   0%    Other...$
  Eqalloc           =      337    1.3m   0%  eqalloc()$
$
""")

USER = text("""
\t\t\t=====================$
\t\t\t= User Memory Usage =$
\t\t\t=====================$
$
$
Top 10 Processes sorted by physical size (in pages):$
$
pid   command        virtual  physical$
----- -------------- -------- --------$
2100  cmcld          2290     2100    $
3855  oracle         67570    918     $
3866  oracle         67565    913     $
3915  oracle         67565    907     $
3885  oracle         67565    907     $
3794  oracle         67565    879     $
25906 oracle         67673    861     $
3928  oracle         67179    856     $
25878 oracle         67633    834     $
3265  oracle         67609    796     $
$
""")

BUFCACHE = text("""
\t\t\t========================$
\t\t\t= Buffer Cache Globals =$
\t\t\t========================$
$
dbc_max_pct           = 50 %$
dbc_min_pct           = 5 %$
dbc current pct       = 5.0 %$
bufpages              = 16383 pages (64.00 MB)$
Number of buf headers = 159940$
$
fixed_size_cache = 0 $
dbc_parolemem    = 0 $
dbc_stealavg     = 16383 $
dbc_ceiling      = 163840 pages (640.00 MB)$
dbc_nbuf         = 8192 $
dbc_bufpages     = 16384 pages (64.00 MB)$
dbc_vhandcredit  = 1026141 $
orignbuf         = 0 $
origbufpages     = 0 pages$
$
""")

SWAP = text("""
\t\t\t====================$
\t\t\t= Swap Information =$
\t\t\t====================$
$
swapinfo -mt emulation$
======================$
$
             Mb      Mb      Mb   PCT  START/      Mb$
TYPE      AVAIL    USED    FREE  USED   LIMIT RESERVE  PRI  NAME$
dev        1900     531    1369   28%       0       -    1  LVM vg00/lv2$
reserve       -     414    -414$
total      1900     945     955   50%       -       0    -$
$
$
""")

EXPECTED = {"general": GENERAL, "memory": MEMORY, "kmem": KMEM, "user": USER,
            "bufcache": BUFCACHE, "swap": SWAP}


@pytest.fixture(scope="module")
def seed(forged_dump: Callable[[str], Path]) -> Program:
    load_sections()
    return Program.open(forged_dump(SEED))


# -- the seed report ------------------------------------------------------------------------------
@pytest.mark.parametrize("name", MINE)
def test_section_matches_seed_report(seed: Program, name: str) -> None:
    assert SECTIONS[name].render(seed, BY_NAME["plain"]) == EXPECTED[name]


def test_sections_registered_in_report_order() -> None:
    load_sections()
    orders = {name: SECTIONS[name].order for name in MINE}
    assert orders == {"general": 10, "memory": 40, "kmem": 50, "user": 60, "bufcache": 70,
                      "swap": 80}
    for name in MINE:
        assert f"= {SECTIONS[name].title} =" == EXPECTED[name][1].strip("\t")


def test_page_census_projection_agrees_with_full_records(seed: Program) -> None:
    layout = seed.types.get("struct pfdat")
    base = seed.read_global("pfdat")
    full = seed.read_records(layout, base, 5000)
    fields = ("pf_flags", "pf_kclass", "pf_ksub")
    at = [layout.field_index(f) for f in fields]
    data = seed.read(base, 5000 * layout.size)
    assert list(layout.projection(fields).iter_unpack(data)) == [
        tuple(r[i] for i in at) for r in full]
    census = page_census(seed)
    assert sum(census.counts.values()) == seed.read_global("physmem")
    assert census.bad == ()


def test_projection_rejects_members_out_of_order(seed: Program) -> None:
    with pytest.raises(LayoutError):
        seed.types.get("struct pfdat").projection(("pf_ksub", "pf_flags"))


def test_processes_are_the_in_use_slots_in_table_order(seed: Program) -> None:
    scenario = load_scenario(SCENARIO)
    procs = processes(seed)
    explicit = [p["pid"] for p in scenario["processes"]]
    assert [p.pid for p in procs[: len(explicit)]] == explicit
    assert len(procs) == len(explicit) + sum(g["count"] for g in scenario["process_groups"])
    assert [p.slot for p in procs] == list(range(len(procs)))
    assert procs[4].command == "cmcld" and procs[4].rss == 2100 and procs[4].vsize == 2290


def test_the_process_table_by_columns_equals_one_proc_per_process(seed: Program) -> None:
    table = process_table(seed)
    procs = processes(seed)
    assert len(table) == len(procs)
    assert [table.proc(i) for i in range(len(table))] == procs
    assert (list(table.rss), list(table.vsizes)) == ([p.rss for p in procs],
                                                     [p.vsize for p in procs])
    assert table.deactivated == sum(1 for p in procs if p.deactivated)
    # the top ten, from a stable sort over the rss column: ties keep table order
    order = sorted(range(len(procs)), key=lambda i: -procs[i].rss)[:10]
    assert table.largest(10) == order
    assert top_processes(seed, 10) == [ProcessMemory(procs[i].pid, procs[i].command,
                                                     procs[i].vsize, procs[i].rss)
                                       for i in order]


# -- formatting helpers ---------------------------------------------------------------------------
@pytest.mark.parametrize(("west", "zone"), [(480, "UTC-8"), (0, "UTC"), (-60, "UTC+1"),
                                            (330, "UTC-5:30"), (-345, "UTC+5:45")])
def test_format_zone(west: int, zone: str) -> None:
    assert format_zone(west) == zone


def test_format_dump_time_pads_the_day_like_ctime() -> None:
    # From another report: `Dump time Thu Apr  1 05:30:29 2004 UTC-8`.
    epoch = calendar.timegm(time.strptime("2004-04-01 05:30:29", "%Y-%m-%d %H:%M:%S")) + 480 * 60
    assert format_dump_time(epoch, 480) == "Thu Apr  1 05:30:29 2004 UTC-8"
    assert format_dump_time(epoch, 0) == "Thu Apr  1 13:30:29 2004 UTC"


@pytest.mark.parametrize(("seconds", "shown"), [
    (122 * 86400 + 14 * 3600 + 56 * 60 + 21, "122 days, 14 hours, 56 minutes."),
    (16 * 60 + 59, "16 minutes."),
    (5 * 86400 + 3 * 3600 + 2 * 60, "5 days, 3 hours, 2 minutes."),
    (86400 + 60, "1 day, 0 hours, 1 minute."),
    (3600, "1 hour, 0 minutes."),
    (59, "0 minutes."),
])
def test_format_uptime(seconds: int, shown: str) -> None:
    assert format_uptime(seconds) == shown


@pytest.mark.parametrize(("index", "desc"), [
    (5, "size    32 bytes"), (12, "size  4096 bytes"), (13, "size     2 pages"),
    (19, "size     8 pages"), (20, "size >   8 pages")])
def test_bucket_description(index: int, desc: str) -> None:
    assert bucket_description(index) == desc


def test_kmem_row_columns() -> None:
    # A row of another report (131072 pages of memory).
    assert (kmem_row("bucket[12]", 2, 12289, 131072, "size  4096 bytes", 3)
            == "    bucket[12]      =    12289   48.0m   9%   size  4096 bytes")
    assert (kmem_row("Freemem", 1, 0, 131072, "Free physical memory", 2)
            == "  Freemem           =        0    0.0k   0%  Free physical memory")


def test_swap_row_stops_after_its_last_cell() -> None:
    assert swap_row("reserve", "-", 249, -249) == "reserve       -     249    -249"
    assert (swap_row("dev", 1024, 261, 763, "25%", 0, "-", 1, "LVM vg00/lv2")
            == "dev        1024     261     763   25%       0       -    1  LVM vg00/lv2")


def test_swap_details_only_in_their_style(seed: Program) -> None:
    """`plain` ends after the table (the seed report); `toc-line` goes on with the globals,
    and leaves the top processes out when none holds swap (the seed's)."""
    toc_line = SECTIONS["swap"].render(seed, BY_NAME["toc-line"])
    assert toc_line[:len(SWAP) - 2] == SWAP[:-2]
    assert toc_line[len(SWAP) - 2:len(SWAP) + 2] == [
        "", "swap related globals", "====================", ""]
    assert not any(line.startswith("Top ") for line in toc_line)
    assert toc_line[-1] == "" and toc_line[-2] != ""


def test_swap_in_the_35_style(seed: Program) -> None:
    """3.5: no underline, the device by its device file, the globals by their kernel names."""
    lines = SECTIONS["swap"].render(seed, BY_NAME["3.5"])
    assert lines[4:6] == ["swapinfo -mt emulation:", ""]
    assert lines[8].endswith("  /dev/vg00/lvol2") and lines[8][:-15] == SWAP[9][:-12]
    at = lines.index("swapmem_on  = 0 ")
    assert [line.split(" =")[0] for line in lines[at + 1:at + 5]] == [
        "swapmem_cnt", "swapmem_max", "swapspc_cnt", "swapspc_max"]
    assert lines[at - 1] == "" and lines[at + 5:] == [""]


def test_swap_globals_without_swapphys_cnt() -> None:
    lines = render_swap_globals(SwapPages(False, 0, 0, 100, 37, None))
    assert lines[3:] == ["swapmem_on  = 0 ",
                         "maximum swapmem (swapmem_max)               = 0 pages",
                         "remaining swapmem (swapmem_cnt)             = 0 pages",
                         "maximum physical swapspace (swapspc_max)    = 100 pages (400 KB)",
                         "unreserved physical swapspace (swapspc_cnt) = 37 pages (148 KB)"]


def test_page_sizes_under_a_megabyte_in_kilobytes() -> None:
    assert [pages_in_mb(n) for n in (0, 1, 255, 256, 262144)] == [
        "0 pages", "1 pages (4 KB)", "255 pages (1020 KB)", "256 pages (1.00 MB)",
        "262144 pages (1.00 GB)"]


def test_swap_top_cells_grow_past_their_column() -> None:
    rows = render_swap_top((ProcessSwap(7, "a_long_command_name", 123456, 98765, 3),))
    assert rows[0] == "Top 1 Processes sorted by swap size (in pages):"
    assert rows[4] == ("7     a_long_command 123456 (482.25 MB)  98765 (385.80 MB)  "
                       "3    (12 KB)")


def test_top_swap_processes_most_first_ties_in_table_order(
        forged_dump: Callable[[str], Path]) -> None:
    prog = Program.open(forged_dump("hpux1100-32-hang-nfs-swap-p4"))
    top = swap_usage(prog).top
    table = process_table(prog)
    holding = [i for i in range(len(table)) if table.swaps[i]]
    assert len(top) == min(10, len(holding))
    assert [p.swap for p in top] == sorted((p.swap for p in top), reverse=True)
    tied = [p.pid for p in top if p.swap == 2372]
    in_table = [table.pid(i) for i in holding if table.swaps[i] == 2372]
    assert tied == in_table and len(tied) == 2


@pytest.mark.parametrize(("major", "minor", "name"), [
    (64, 0x000002, "LVM vg00/lv2"), (64, 0x010005, "LVM vg01/lv5"),
    (31, 0x026300, "/dev/dsk/c2t6d3")])
def test_device_name(major: int, minor: int, name: str) -> None:
    assert device_name(major, minor) == name


def _memory(freemem: int, minfree: int, deactivated: int) -> MemoryGlobals:
    thresholds: dict[str, int | None] = dict.fromkeys(THRESHOLDS, 0)
    thresholds["minfree"] = minfree
    return MemoryGlobals(131072, freemem, thresholds, deactivated, (1.0, 2.0, 3.0),
                         dict.fromkeys(RATES, 7))


def test_memory_notes_only_when_they_apply() -> None:
    low = render_memory(_memory(0, 256, 37))
    assert low[1] == "Free Memory         = 0 pages"
    at = low.index("Note:  Free memory is desperately low (freemem less than minfree) !")
    assert low[at - 1] == "" and low[at + 1] == "Note:  There are 37 deactivated processes !"
    assert low[at + 2] == ""
    calm = render_memory(_memory(300, 256, 0))
    assert not [line for line in calm if line.startswith("Note:")]
    at = calm.index("minfree             = 256 pages (1.00 MB)")
    assert calm[at + 1:at + 3] == ["", "deactload: 1.00  2.00  3.00  "]


def test_memory_ends_in_one_blank_line_after_the_thresholds_alone() -> None:
    # The hang reports: no notes, no deactload, no rates; one blank line before the next banner.
    bare = MemoryGlobals(524288, 260409, dict.fromkeys(THRESHOLDS, 256), 0, None,
                         dict.fromkeys(RATES))
    lines = render_memory(bare)
    assert lines[-2:] == ["minfree             = 256 pages (1.00 MB)", ""]
    assert render_memory(_memory(300, 256, 0))[-2:] == ["", ""]


def test_memory_leaves_out_globals_the_kernel_lacks() -> None:
    mem = _memory(10, 5, 0)
    mem.rates["curr_pgrate"] = None
    mem.thresholds["gpgslim"] = None
    lines = render_memory(mem)
    assert "pageoutrate     = 7" in lines
    assert not [line for line in lines if line.startswith("gpgslim")]


def test_bufcache_current_pct_and_zero_pages() -> None:
    # Figures of another report: 23037 of 131072 pages is 17.6 %.
    tunables: dict[str, int | None] = {"dbc_ceiling": 39321, "origbufpages": 0, "orignbuf": 0}
    lines = render_bufcache(BufferCache(131072, 23037, 28161, 30, 5, tunables))
    assert lines[2:5] == ["dbc current pct       = 17.6 %",
                          "bufpages              = 23037 pages (89.99 MB)",
                          "Number of buf headers = 28161"]
    assert lines[6:] == ["dbc_ceiling      = 39321 pages (153.60 MB)",
                         "origbufpages     = 0 pages", "orignbuf         = 0 "]


def test_top_processes_cut_long_commands() -> None:
    lines = render_top([ProcessMemory(13282, "notificationServer", 8702, 5108)])
    assert lines[-1] == "13282 notificationSe 8702     5108    "


def test_kmem_bad_pages_are_listed_and_counted() -> None:
    classes = dict.fromkeys(PAGE_CLASSES, 0)
    kmem = KernelMemoryUsage(131072, 0, classes, {i: 0 for i in range(5, 21)},
                             dict.fromkeys(KALLOC_POOLS, 0),
                             ((0x118A8, 0x2971300), (0x126A9, 0x29C9360)))
    lines = render_kmem(kmem)
    assert lines[:9] == ["", "", "-" * 70, "Pfdat processing:", "",
                         "Scanning 131072 pfdat entries (be patient) ...", "",
                         "Warning: Found a P_BAD page (pfn 0x118a8, pfd_t 0x2971300)",
                         "Warning: P_BAD is set by the memory diagnostics (dmem scrubbing)."]
    assert lines[9] == "Warning: Found a P_BAD page (pfn 0x126a9, pfd_t 0x29c9360)"
    assert "    Bad             =        2    8.0k   0%  Bad" in lines


# -- a changed cause changes every derived figure -------------------------------------------------
_ROW = re.compile(r"^ *(\S+) *= +(\d+) +(\S+) +(\d+)%  ")


def _rows(lines: list[str]) -> dict[str, tuple[int, str, int]]:
    """`label -> (pages, size, percent)` of kmem rows (the first row of a repeated label)."""
    rows: dict[str, tuple[int, str, int]] = {}
    for line in lines:
        m = _ROW.match(line)
        if m:
            rows.setdefault(m[1], (int(m[2]), m[3], int(m[4])))
    return rows


def _pct(part: int, whole: int) -> int:
    return int(part * 100 / whole + 0.5)


@pytest.fixture(scope="module")
def changed(tmp_path_factory: pytest.TempPathFactory) -> tuple[dict[str, Any], Program]:
    """The seed with 100000 pages moved from bucket 9 to free, pid 3265 grown to 5000
    resident pages and deactivated, two bad pages, and a zone east of Greenwich."""
    sc = copy.deepcopy(load_scenario(SCENARIO))
    sc["pages"]["buckets"]["9"] -= 100000
    sc["pages"]["free"] += 100000
    proc = next(p for p in sc["processes"] if p["pid"] == 3265)
    proc["physical"] = 5000
    proc["deactivated"] = True
    sc["pages"]["bad"] = [300000, 300001]
    sc["system"]["timezone_minutes_west"] = -60
    out = tmp_path_factory.mktemp("changed") / "dump"
    out.mkdir()
    Forge(sc).build(out)
    load_sections()
    return sc, Program.open(out)


def test_changed_pages_change_every_kmem_figure(changed: tuple[dict[str, Any], Program]) -> None:
    sc, prog = changed
    pages = sc["pages"]
    phys = sc["system"]["memory_pages"]
    malloc = sum(pages["buckets"].values())
    dynamic = malloc + pages["reserved"] + sum(pages["kalloc"].values()) + pages["eqalloc"]
    static = pages["text"] + pages["data"] + pages["bss"] + pages["static"]
    system = static + dynamic + pages["bufcache"] + pages["eqmem"] + pages["scmem"]
    free = pages["free"]
    rows = _rows(SECTIONS["kmem"].fn(prog))
    for label, expected in [("Freemem", free), ("Used", phys - free), ("MALLOC", malloc),
                            ("Dynamic", dynamic), ("System", system), ("Static", static),
                            ("bucket[9]", pages["buckets"]["9"])]:
        assert rows[label][0] == expected, label
        assert rows[label][2] == _pct(expected, phys), label
    assert rows["MALLOC"][1] == f"{malloc * 4 / 1024:.1f}m"
    assert rows["Freemem"][1] == f"{free * 4 / 1024:.1f}m"
    assert rows["Bad"][0] == len(pages["bad"])
    # User is what no other class holds: Used = System + User + Disowned.
    assert rows["Used"][0] == rows["System"][0] + rows["User"][0] + rows["Disowned"][0]


def test_changed_pages_show_in_memory_globals(changed: tuple[dict[str, Any], Program]) -> None:
    sc, prog = changed
    lines = SECTIONS["memory"].render(prog, BY_NAME["plain"])
    free = sc["pages"]["free"]
    assert f"Free Memory         = {free} pages ({free * 4 / 1024:.2f} MB)" in lines
    deactivated = (sum(p["deactivated"] for p in sc["processes"])
                   + sum(g["count"] for g in sc["process_groups"] if g["deactivated"]))
    assert f"Note:  There are {deactivated} deactivated processes !" in lines


def test_changed_process_leads_the_top_10(changed: tuple[dict[str, Any], Program]) -> None:
    sc, prog = changed
    explicit = sc["processes"]
    # Generated processes are all smaller than the tenth explicit one, so the top 10 is the
    # stable order of the explicit processes by resident pages.
    expected = sorted(explicit, key=lambda p: -p["physical"])[:10]
    assert max(max(g["physical"]) for g in sc["process_groups"]) < expected[-1]["physical"]
    lines = SECTIONS["user"].fn(prog)
    table = lines[lines.index("----- -------------- -------- --------") + 1:-1]
    assert [int(line.split()[0]) for line in table] == [p["pid"] for p in expected]
    assert table[0] == f"{3265:<5d} {'oracle':<14} {67609:<8d} {5000:<8d}"


def test_changed_zone_and_bad_pages(changed: tuple[dict[str, Any], Program]) -> None:
    sc, prog = changed
    local = time.strptime(sc["system"]["dump_time"], "%Y-%m-%d %H:%M:%S")
    stamp = time.strftime("%a %b %d %H:%M:%S %Y", local)
    assert SECTIONS["general"].fn(prog)[4] == f"Dump time {stamp} UTC+1"
    pfdat = prog.read_global("pfdat")
    size = prog.types.get("struct pfdat").size
    kmem = SECTIONS["kmem"].fn(prog)
    for pfn in sc["pages"]["bad"]:
        assert (f"Warning: Found a P_BAD page (pfn {pfn:#x}, pfd_t {pfdat + pfn * size:#x})"
                in kmem)


def _arena_kmem(arenas: tuple[tuple[str, int], ...], scanned: int,
                release: tuple[int, int]) -> KernelMemoryUsage:
    classes = dict.fromkeys(PAGE_CLASSES, 0)
    classes["text"] = 700
    return KernelMemoryUsage(131072, 0, classes, {}, dict.fromkeys(KALLOC_POOLS, 0), (),
                             scanned=scanned, arenas=arenas, release=release)


def test_kmem_arenas_largest_fifteen_then_other() -> None:
    # 17 arenas: the two smallest add up to Other; a long name is cut to 15 characters.
    arenas = (("FD_CHUNK_T_ARENA", 500), *((f"M_A{i}", 100 + i) for i in range(15)),
              ("M_SMALL", 7))
    lines = render_kmem(_arena_kmem(arenas, 131072, (11, 11)))
    at = lines.index(kmem_row("Arenas", 1, sum(p for _, p in arenas), 131072,
                              "Kernel arenas", 2))
    assert lines[at + 1].startswith("    FD_CHUNK_T_AREN =      500 ")
    assert lines[at + 2].startswith("    M_A14           =      114 ")
    assert lines[at + 15].startswith("    M_A1            =      101 ")
    assert lines[at + 16] == kmem_row("Other", 2, 107, 131072, "Other arenas...", 2)
    assert lines[at + 17].startswith("  Kalloc ")
    assert not [line for line in lines if "MALLOC" in line or "Reserved" in line]
    # 11.11's summary has no text/data/bss rows; one pfdat entry per page prints no scan.
    assert not [line for line in lines if line.lstrip().startswith(("text", "Pfdat"))]
    eleven = render_kmem(_arena_kmem(arenas[:3], 131072, (11, 0)))
    assert [line for line in eleven if line.lstrip().startswith("text ")]
    assert eleven[eleven.index(kmem_row("Arenas", 1, 500 + 201, 131072, "Kernel arenas", 2))
                  + 4] == kmem_row("Other", 2, 0, 131072, "Other arenas...", 2)


def test_kmem_scan_printed_for_pfdat_in_pieces() -> None:
    lines = render_kmem(_arena_kmem((("M_TEMP", 10),), 129000, (11, 11)))
    assert lines[:9] == ["", "", "-" * 70, "Pfdat processing:", "",
                         "Scanning 129000 pfdat entries (be patient) ...", "", "", "-" * 70]


def test_memory_notes_spaced_in_the_35_style() -> None:
    bare = MemoryGlobals(524288, 100, dict.fromkeys(THRESHOLDS, 256), 0, None,
                         dict.fromkeys(RATES), memory_sleepers=True, release=(11, 11))
    lines = render_memory(bare, note_gap=2)
    assert lines[-7:] == ["", "Note:  Free memory is desperately low (freemem < minfree) !",
                          "", "", "Note:  We have memory sleepers !", "", ""]
    plain = render_memory(bare)  # the other styles: the notes on consecutive lines
    at = plain.index("Note:  We have memory sleepers !")
    assert plain[at - 1].startswith("Note:  Free memory") and plain[at + 1] == ""


def test_a_section_named_with_nothing_to_print_says_so(seed: Program) -> None:
    """A section the dump has nothing for is left out, named or not (the seed's kernel has no
    syswait array and no patches); a command that would print nothing at all says why."""
    shell = Shell(seed)
    assert shell.run("crashinfo syswait patches") == [
        f"crashinfo: {name}: nothing to print in this dump (a full run leaves the section "
        "out; docs/crashinfo.md says when)" for name in ("syswait", "patches")]
    assert shell.run("crashinfo syswait loadavg") == shell.run("crashinfo loadavg")
    assert not any("crashinfo: syswait" in line for line in shell.run("crashinfo"))
