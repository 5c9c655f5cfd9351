"""Two scenarios written from docs/scenario-format.md alone, of situations no report shows (an
11.11 32-bit hang: sleepers on one beta semaphore, a zombie storm; an 11.00 64-bit data page
fault panic on four processors, the others TOC'd). Forged, each must decode to the causes its
comments state: figures checked against the scenario's numbers, not against q4py's text."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from pathlib import Path

import pytest
from helpers import Shell

import q4py
from q4py.dump import Dump
from q4py.kernel.mounts import mounts
from q4py.kernel.threads import thread_by_tid
from q4py.layouts.proc import SINUSE, SRUN, SSLEEP, SSTOP, SZOMB
from q4py.layouts.sched import TSRUN, TSRUNPROC, TSSLEEP, TSSTOP, TSZOMB
from q4py.unwind import unwind_thread

HANG = "invented-hpux1111-32-hang-sema-zombies"
DPF = "invented-hpux1100-64-dpf-4cpu"


@pytest.fixture(scope="module")
def hang(forged_dump: Callable[[str], Path]) -> Dump:
    return q4py.open(forged_dump(HANG))


@pytest.fixture(scope="module")
def dpf(forged_dump: Callable[[str], Path]) -> Dump:
    return q4py.open(forged_dump(DPF))


def test_hang_forty_sleepers_on_the_semaphore_tid_3101_holds(hang: Dump) -> None:
    sema = hang.symbol("app_sema").address
    waiters = [t for t in hang.threads() if t.plain()["sema"] == sema]
    assert sorted(t.tid for t in waiters) == list(range(3001, 3041))
    assert {t.pid for t in waiters} == {3000} and {t.stat for t in waiters} == {TSSLEEP}
    holder = hang.struct("struct b_sema", sema).b_owner
    assert int(holder) == thread_by_tid(hang.program, 3101).address
    rows = hang.analyze("semaphores", plain=True)
    assert len(rows) == 40 and {r["owner_tid"] for r in rows} == {3101}


def test_hang_zombies_and_states(hang: Dump) -> None:
    states = Counter(t.stat for t in hang.threads())
    assert states[TSZOMB] == 60  # forkd's children, pids 4001..4060
    assert states[TSRUNPROC] == 1 and states[TSRUN] == 2  # 3060 and the preempted 3070
    zombies = {t.pid for t in hang.threads() if t.stat == TSZOMB}
    assert zombies == set(range(4001, 4061))
    stat = {p.pid: p.stat for p in hang.processes()}
    assert {pid for pid, s in stat.items() if s == SZOMB} == zombies  # exit() left them so
    assert stat[4000] == stat[3000] == SINUSE


def test_hang_the_running_thread_is_the_toc_stack_of_processor_0(hang: Dump) -> None:
    event = next(e for e in hang.crash_events() if e.cpu == 0)
    assert event.kind == "TOC"
    assert event.frames() == ["spinunlock+0x1c", "biowait+0x50", "bwrite+0x90",
                              "app_flush+0x30", "ioctl+0x1e0", "syscall+0x2a4",
                              "syscallinit+0x554"]
    rw = hang.struct("struct rw_lock", 0x6a3000)
    assert int(rw.l_kthread) == thread_by_tid(hang.program, 3101).address
    assert int(rw.write_waiters) == 2


def test_hang_a_thread_preempted_in_user_mode_trapped_from_its_own_space(hang: Dump) -> None:
    thread = thread_by_tid(hang.program, 3070)
    trace = unwind_thread(hang.program, thread)
    trap = trace.segments[-1].trap
    assert trace.user_mode and trap is not None and trap.trap_type == 4
    assert (trap.pcsq, trap.pcoq) == (thread.uarea_space, 0x4000a1b3)


def test_hang_file_systems_swap_and_network(hang: Dump) -> None:
    listed = {m.mount_point: m for m in mounts(hang.program).mounts}
    assert listed["/data"].free == 0 and listed["/"].special == "/dev/vg00/lvol3"
    assert listed["/"].blocks * listed["/"].fragment == 204800 * 1024
    swap = hang.analyze("swap", plain=True)["pages"]
    assert swap["swapspc_max"] == 1048576 // 4 and swap["swapspc_cnt"] == 2000 - 1000
    lan = {i["name"]: i for i in hang.analyze("network", plain=True)["interfaces"]}
    assert lan["lan0"]["link_up"] and not lan["lan1"]["link_up"]
    assert lan["lan0"]["addresses"] == [["UP", "10.1.2.3"]] and lan["lan1"]["addresses"] == []


def test_dpf_the_panic_and_three_tocs(dpf: Dump) -> None:
    events = list(dpf.crash_events())
    assert [(e.kind, e.cpu) for e in events] == [("PANIC", 0), ("TOC", 1), ("TOC", 2),
                                                 ("TOC", 3)]
    assert events[0].frames()[4:6] == ["vx_iput+0x38", "vn_rele+0x50"]
    assert events[1].frames()[:2] == ["spinlock+0x2c", "lock_read+0x40"]
    trap = dpf.analyze("events").trap
    assert trap is not None and trap.trap.number == 15 and (trap.isr, trap.ior) == (0, 0x28)
    assert trap.location == "vx_iput+0x38"


def test_dpf_thirty_readers_wait_for_the_writer(dpf: Dump) -> None:
    readers = [t for t in dpf.threads() if t.wchan == 0x1f00012]
    assert sorted(t.pid for t in readers) == [3000 + 7 * k for k in range(30)]
    assert {t.stat for t in readers} == {TSSLEEP}
    owner = dpf.struct("struct rw_lock", 0x1f00000).l_kthread
    assert int(owner) == thread_by_tid(dpf.program, 2001).address
    assert thread_by_tid(dpf.program, 6004).stat == TSSTOP
    stat = {p.pid: p.stat for p in dpf.processes()}
    # 11.00's p_stat follows the threads: exited, stopped, running or waiting to, asleep
    assert (stat[6004], stat[6003], stat[2000], stat[2200], stat[3000]) == (
        SZOMB, SSTOP, SRUN, SRUN, SSLEEP)


def test_stacks_takes_the_scenarios_state_words(hang: Dump) -> None:
    """A reader who wrote `state = "zombie"` asks `stacks -s zombie`."""
    shell = Shell(hang.program)
    assert shell.run("stacks -s zombie") == shell.run("stacks -s TSZOMB")
    assert shell.run("stacks -s zombie")[0] == "60 threads in 1 stacks"
    assert shell.run("stacks -s running")[0] == "1 threads in 1 stacks"


def test_an_address_error_names_the_command_typed(hang: Dump) -> None:
    shell = Shell(hang.program)
    assert shell.run("Lock_t 0xffffffff0") == [
        "q4: Lock_t: address '0xffffffff0' is outside the 32-bit address space"]
    assert shell.run("trace -T nosuchsym") == [
        "q4: trace: address 'nosuchsym': no symbol 'nosuchsym' in the kernel"]
