"""crashinfo's processor, clock, syswait, load average and thread sections, the Lock structure
and the pfdat in pieces: helpers on known values, the two 64-bit reports' dumps, and changed
causes that must change (or remove) what is printed.
"""

from __future__ import annotations

import copy
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from q4py.analyses.clock import ClockInfo, clock_info
from q4py.analyses.kmem import kernel_memory_usage
from q4py.analyses.lock import deadlocked_lock
from q4py.analyses.processors import likely_trap, processor_report
from q4py.analyses.threads import TopRow, thread_report, top_rows
from q4py.errors import ScenarioError
from q4py.forge.build import Forge
from q4py.forge.scenario import load_scenario
from q4py.kernel.psw import psw_letters
from q4py.kernel.spl import spl_name
from q4py.kernel.threads import WaitChannelNamer, thread_addresses, threads
from q4py.layouts.sched import TSSLEEP
from q4py.program import Program
from q4py.render import SECTIONS, load_sections
from q4py.render.styles import BY_NAME, DEFAULT_STYLE

SCENARIOS = Path(__file__).resolve().parent.parent / "fixtures" / "scenarios"
SPINLOCK = "hpux1111-64-spinlock-process-lock"
ATQ = "hpux1100-64-dpf-atq"
SEED = "hpux1100-32-kalloc-sysmap"


@pytest.fixture(scope="module")
def spin(forged_dump: Callable[[str], Path]) -> Program:
    load_sections()
    return Program.open(forged_dump(SPINLOCK))


@pytest.fixture(scope="module")
def atq(forged_dump: Callable[[str], Path]) -> Program:
    load_sections()
    return Program.open(forged_dump(ATQ))


def _forge(tmp_path: Path, name: str, change: Callable[[dict[str, Any]], None]) -> Program:
    sc = copy.deepcopy(load_scenario(SCENARIOS / f"{name}.toml"))
    change(sc)
    out = tmp_path / "dump"
    out.mkdir()
    Forge(sc).build(out)
    load_sections()
    return Program.open(out)


# -- helpers ----------------------------------------------------------------------------------
@pytest.mark.parametrize(("psw", "letters"), [(0x0800001F, "WRQPDI"), (0x0804000B, "WCQDI"),
                                               (0x08000000, "W"), (0, ""),
                                               (0xC8000001, "YZWI")])
def test_psw_letters_highest_bit_first(psw: int, letters: str) -> None:
    assert psw_letters(psw) == letters


@pytest.mark.parametrize(("ticks", "shown"), [(-12039, (-120, -39)), (4059, (40, 59)),
                                              (15, (0, 15)), (-99, (0, -99)), (0, (0, 0))])
def test_clock_delta_splits_like_c(ticks: int, shown: tuple[int, int]) -> None:
    assert ClockInfo(100, None, 1, 0, []).split(ticks) == shown


def test_top_rows_order_and_cut() -> None:
    named = [("a", 5), ("b", 9), ("b", 1), ("c", 100), ("c", 7), ("d", 3)]
    assert top_rows(named) == [TopRow("c", 2, 100, 7), TopRow("b", 2, 9, 1)]
    # crashinfo 3.5: equal counts in the order the thread list meets them.
    assert top_rows(named, ties_met_first=True) == [TopRow("b", 2, 9, 1),
                                                    TopRow("c", 2, 100, 7)]
    # Every name of two threads or more: the vhand report lists 42 wait channels.
    many = [(f"w{i}", t) for i in range(30) for t in (i, i + 1)]
    rows = top_rows(many)
    assert len(rows) == 30 and rows[0].name == "w29" and rows[-1].name == "w0"
    assert [r.name for r in top_rows([*many, ("w0", 0)], ties_met_first=True)][:2] == ["w0",
                                                                                        "w1"]


def test_likely_trap_is_a_data_miss_for_memory_references_only() -> None:
    assert likely_trap(0x43570000) == 15  # ldb
    assert likely_trap(0x53970000) == 15  # ldd
    assert likely_trap(0x08000240) is None  # an ALU instruction (or)


def test_spl_names() -> None:
    assert spl_name(0xC400000000000000, (11, 11)) == "SPL6"
    assert spl_name(0xC400000000000000, (11, 0)) is None  # 11.00's SPL6 is 0xc6..
    assert spl_name(0xC600000000000000, (11, 0)) == "SPL6"
    assert spl_name(0xC600000000000000, (11, 0), short=True) == "SPLSYS"
    assert spl_name(0xFFFFFFFFFFFFFFFF, (11, 0), short=True) == "SPLUSER"
    assert spl_name(0xC400000000000000, (11, 11), interrupts=True) == "SPL6/SPINLOCK_EIEM"
    assert spl_name(0x1234) is None


# -- the spinlock report's dump ---------------------------------------------------------------
def test_processor_rows_come_from_rpb_save_state_and_mpinfo(spin: Program) -> None:
    report = processor_report(spin)
    assert [(r.event, r.cpu, r.kind, r.state) for r in report.rows] == [
        (0, 0, "PANIC", "E"), (1, 0, "PANIC", "E"), (2, 1, "TOC", "E")]
    assert [[t.trap_type for t in r.traps] for r in report.rows] == [[], [4], []]
    assert report.rows[1].traps[0].eiem == 0xFFFFFFF0FFFFFFFF
    # Only processor 1's mpinfo SPL differs from its rpb's EIEM.
    assert [r.mpi_spl for r in report.rows] == [None, None, 0xFFFFFFF0FFFFFFFF]
    assert report.interrupts_off == [1]
    assert [(m.cpu, m.trap_type, m.ior) for m in report.real_mode] == [(1, 15, 0x428)]


def test_clock_warns_for_the_processor_held_off(spin: Program) -> None:
    info = clock_info(spin)
    assert [r.delta_ticks for r in info.rows] == [15, -12039]
    assert [r.cpu for r in info.held_off] == [1]
    lines = SECTIONS["clock"].render(spin, BY_NAME["notes"])
    assert "approx 120 seconds. Current SPL = 0xc400000000000000 (SPL6)." in lines


def test_deadlocked_lock_and_its_holder(spin: Program) -> None:
    lock = deadlocked_lock(spin)
    assert lock is not None and lock.name == "process lock" and lock.holder_cpu == 1
    assert lock.holder is not None and lock.holder.event.index == 2


def test_threads_are_listed_through_kthread_list_on_11i(spin: Program) -> None:
    assert spin.has_symbol("kthread_list") and not spin.has_symbol("kthread")
    report = thread_report(spin)
    assert dict(report.ran_within)["hour"] == 119
    assert report.statdaemon_ticks == 6044 and report.statdaemon_late
    assert report.noage == 56 and report.zombies == 1
    assert [(r.spu, r.thread.tid if r.thread else None) for r in report.running] == [
        (0, 14730), (1, 14727)]
    assert [w.tid for w in report.waiting] == [12, 556]


def test_sections_left_out_for_what_the_kernel_lacks(spin: Program, tmp_path: Path,
                                                     forged_dump: Callable[[str], Path]) -> None:
    assert SECTIONS["syswait"].fn(spin) == []  # the 11.11 dump has no syswait array
    loadavg = SECTIONS["loadavg"].fn(spin)
    assert "real_run" not in loadavg and "mp_avenrun" in loadavg
    seed = Program.open(forged_dump(SEED))
    assert SECTIONS["threads"].render(seed, DEFAULT_STYLE)  # its processes' default threads
    assert "mp_avenrun" not in SECTIONS["loadavg"].fn(seed)

    def no_threads(sc: dict[str, Any]) -> None:
        sc["thread_defaults"]["enabled"] = False

    bare = _forge(tmp_path, SEED, no_threads)  # no thread table at all: no section
    assert SECTIONS["threads"].render(bare, DEFAULT_STYLE) == []


# -- the data page fault report's dump (11.00) ----------------------------------------------
def test_wait_channels_are_named_by_what_they_are(atq: Program) -> None:
    assert atq.has_symbol("kthread") and not atq.has_symbol("kthread_list")
    namer = WaitChannelNamer(atq)
    names = {namer.name(t) for t in threads(atq) if t.stat == TSSLEEP and t.wchan}
    for expected in ("proc[104]", "LVM vg01/lv1", "*uptr+0", "freemem", "selwait",
                     "vx_inactive_thread_sv+0x8", "ogetblk(0x1007f46d8)", "locklist+0x13e8"):
        assert expected in names, expected
    assert len(thread_addresses(atq)) == len(threads(atq))


def test_pfdat_in_pieces(atq: Program) -> None:
    kmem = kernel_memory_usage(atq)
    assert kmem.scanned == 121711 and kmem.physmem == 131072
    assert kmem.static == 12818 and kmem.classes["eqmem"] == 17
    assert [pfn for pfn, _ in kmem.bad] == [0x118A8, 0x126A9, 0x1F01E]
    assert "    Bad             =        3   12.0k   0%  Bad" in SECTIONS["kmem"].fn(atq)


# -- changed causes ----------------------------------------------------------------------------
def test_no_timed_out_lock_no_lock_section(tmp_path: Path) -> None:
    def change(sc: dict[str, Any]) -> None:
        sc["locks"][0]["timed_out"] = False

    prog = _forge(tmp_path, SPINLOCK, change)
    lines = SECTIONS["events"].render(prog, DEFAULT_STYLE)
    assert "Lock structure" not in lines
    assert "Stack Trace for Crash event 0" in lines


def test_a_clock_on_time_gives_no_warning(tmp_path: Path) -> None:
    def change(sc: dict[str, Any]) -> None:
        cpu = sc["processors"][1]
        cpu["timeinval"] = 0x12E5C7617184D + 3 * 7500000  # three ticks ahead of its timer

    prog = _forge(tmp_path, SPINLOCK, change)
    info = clock_info(prog)
    assert [r.delta_ticks for r in info.rows] == [15, 3]
    lines = SECTIONS["clock"].render(prog, BY_NAME["notes"])
    assert not [line for line in lines if line.startswith(("WARNING", "Note"))]


def test_more_sleepers_change_the_tables(tmp_path: Path) -> None:
    def change(sc: dict[str, Any]) -> None:
        sc["threads"].append({**sc["threads"][-1], "count": 30, "wchan": "lvmkd_q",
                              "wchan_step": 0, "caller": "lvmkd_daemon", "ticks": [10]})

    prog = _forge(tmp_path, SPINLOCK, change)
    report = thread_report(prog)
    assert report.wait_channels[0] == TopRow("lvmkd_q", 36, 24421, 10)
    assert dict(report.ran_within)["second"] == 30


def test_woken_threads_keep_their_sleep_caller_and_the_run_queue_runs_least_ticks_first(
        tmp_path: Path) -> None:
    # Three threads on processor 1's run queue, woken from lvmkd_daemon(): they count among its
    # sleep callers (not its wait channel), and they queue least ticks since run first.
    def change(sc: dict[str, Any]) -> None:
        sc["threads"].append({**sc["threads"][-1], "count": 3, "state": "run", "spu": 1,
                              "pri": 150, "wchan": "", "wchan_step": 0,
                              "caller": "lvmkd_daemon", "ticks": [900, 300, 600]})

    prog = _forge(tmp_path, SPINLOCK, change)
    report = thread_report(prog)
    channel = next(r for r in report.wait_channels if r.name == "lvmkd_q")
    caller = next(r for r in report.sleep_callers if r.name == "lvmkd_daemon()")
    assert caller.count == channel.count + 3
    assert caller.longest == max(channel.longest, 900)
    woken = [(r.pri, r.ticks) for r in report.waiting if r.spu == 1 and r.pri == 150]
    assert woken == [(150, 300), (150, 600), (150, 900)]


@pytest.mark.parametrize(("change", "path"), [
    (lambda sc: sc["threads"][0].update(pid=4242), "threads[0].pid"),
    (lambda sc: sc["threads"][5].update(wchan_step=8), "threads[5].wchan_step"),
    (lambda sc: sc["threads"][5].update(ticks=[1, 2, 3]), "threads[5].ticks"),
    (lambda sc: sc["locks"][0].update(owner_cpu=7), "locks[0].owner_cpu"),
])
def test_forge_names_the_bad_key(tmp_path: Path, change: Callable[[dict[str, Any]], None],
                                 path: str) -> None:
    with pytest.raises(ScenarioError) as err:
        _forge(tmp_path, SPINLOCK, change)
    assert err.value.key_path == path


def test_a_pfdat_piece_must_start_on_a_page_with_an_entry(tmp_path: Path) -> None:
    def change(sc: dict[str, Any]) -> None:
        text = sc["pages"]["text"] + sc["pages"]["data"] + sc["pages"]["bss"]
        sc["pages"]["pfdat_chunks"] = [{"pfn": text, "address": -1}]  # a static page

    with pytest.raises(ScenarioError) as err:
        _forge(tmp_path, ATQ, change)
    assert err.value.key_path == "pages.pfdat_chunks[0].pfn"


def test_bad_wait_channel_is_refused_by_the_schema(tmp_path: Path) -> None:
    text = (SCENARIOS / f"{SPINLOCK}.toml").read_text().replace(
        'wchan = "lvmkd_q"', 'wchan = "lvmkd q"')
    path = tmp_path / "bad.toml"
    path.write_text(text)
    with pytest.raises(ScenarioError, match="not a wait channel"):
        load_scenario(path)


def test_mp_avenrun_leaves_out_disabled_processors() -> None:
    from q4py.analyses.loadavg import LoadAverages
    from q4py.render.loadavg import render_load_averages

    rows = [(float(cpu), 0.0, 0.0) for cpu in range(4)]
    lines = render_load_averages(LoadAverages((0.1, 0.2, 0.3), None, None, rows, disabled=(2,)))
    assert [line.split(" :")[0] for line in lines if line.startswith("cpu")] == [
        "cpu0", "cpu1", "cpu3"]
    assert "cpu3 : 3.000000  0.000000  0.000000  " in lines


def test_message_buffer_ends_in_a_blank_line(spin: Program) -> None:
    # The kernel's text ends its last line; the section still ends in one blank line.
    lines = SECTIONS["msgbuf"].fn(spin)
    assert lines[-2:] == [" Millseconds/sec = 1000", ""]
