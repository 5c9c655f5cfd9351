"""Every thread's kernel stack: the thread model (u-area, PCB, sleep queues, command lines) as
the forge writes it and the decoder reads it, unwound through the one unwinder; and bad input
(a PCB outside the dump, a sleep queue that loops) kept to one line per thread."""

from __future__ import annotations

import copy
import shutil
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from helpers import Shell, poke

from q4py.errors import Q4Error, ScenarioError
from q4py.forge.build import Forge
from q4py.forge.scenario import SCENARIO, load_scenario
from q4py.kernel.proclist import command_line, proc_label
from q4py.kernel.threads import sleep_queue, thread_by_tid, threads, threads_of
from q4py.layouts.sched import UAREA_OFFSET_NARROW, UAREA_OFFSET_WIDE
from q4py.program import Program
from q4py.unwind import unwind_thread

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib

SCENARIOS = Path(__file__).resolve().parent.parent / "fixtures" / "scenarios"
SPINLOCK = "hpux1111-64-spinlock-process-lock"  # 11.11, 64-bit: the kthread list
SEED = "hpux1100-32-kalloc-sysmap"  # 11.00, 32-bit: the kthread table

SLEEPER = ["_swtch+0xc4", "_sleep+0x1a8", "select+0x100", "syscall+0x2a4", "syscallinit+0x554"]
USER_PC = 0xC0001003


def preempted(sc: dict[str, Any]) -> list[dict[str, Any]]:
    """Preempted in user mode: the scenario's interrupt handler at the bottom of the stack."""
    handler = next(f["name"] for f in sc["kernel"]["functions"] if f.get("interrupt"))
    return [{"calls": ["_swtch+0x40", "preempt+0x20", f"{handler}+0x10"]},
            {"trap": 4, "user": {"pcsq": 0x4321400, "pcoq": USER_PC}}]


def _threads(sc: dict[str, Any], pid: int) -> None:
    """Three sleepers with a call chain, one preempted in user mode, one without a stated
    stack; and threads of a kernel daemon and of a user process that state none (9300...)."""
    sc.setdefault("processes", []).extend([
        {"pid": pid, "command": "oracle", "cmdline": "oracleARDR "
         "(DESCRIPTION=(LOCAL=YES)(ADDRESS=(PROTOCOL=beq)))"},
        {"pid": pid + 1, "command": "vxfsd"},  # no user memory: a kernel daemon
        {"pid": pid + 2, "command": "java", "virtual": 4000}])
    functions = sc["kernel"]["functions"]
    end = max(f["address"] + f["size"] for f in functions)
    functions.append({"name": "_sleep", "address": -(-end // 0x1000) * 0x1000, "size": 0x400,
                      "frame": 0x100, "stored_args": [0, 1]})
    sc.setdefault("threads", []).extend([
        {"pid": pid, "tid": 9000, "count": 3, "wchan": "selwait", "caller": "_sleep",
         "calls": SLEEPER, "args": {"_sleep+0x1a8": {"arg0": 0x5678, "arg1": 0x1234}},
         "ticks": [100]},
        {"pid": pid, "tid": 9100, "state": "run", "contexts": preempted(sc), "ticks": [5]},
        {"pid": pid, "tid": 9200, "wchan": "selwait", "ticks": [7]},
        {"pid": pid + 2, "tid": 9300, "wchan": "memory_sleepers", "caller": "sysmemreserve"},
        {"pid": pid + 2, "tid": 9301, "state": "run"},
        {"pid": pid + 2, "tid": 9302, "state": "stopped"},
        {"pid": pid + 2, "tid": 9303, "state": "zombie"},
        {"pid": pid + 2, "tid": 9304, "state": "idle"},
        {"pid": pid + 1, "tid": 9305, "wchan": "lbolt", "caller": "statdaemon"},
        {"pid": pid + 2, "tid": 9306, "wchan": "0x4f2c1840", "caller": "vx_rwsleep_lock",
         "syscall": "read"},
    ])


def _forge(tmp_path: Path, name: str, change: Callable[[dict[str, Any]], None]) -> Path:
    sc = copy.deepcopy(load_scenario(SCENARIOS / f"{name}.toml"))
    change(sc)
    out = tmp_path / "dump"
    out.mkdir()
    Forge(sc).build(out)
    return out


def _complete(sc: dict[str, Any]) -> dict[str, Any]:
    """Defaults for the keys the test's own tables leave out (as validation fills them)."""
    return SCENARIO.validate(sc, "")


@pytest.fixture(scope="module", params=[SPINLOCK, SEED])
def dump(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Path:
    raw = _raw(request.param)
    _threads(raw, 31337)
    raw["thread_defaults"] = {"enabled": False}  # the tests count the threads they state
    out = tmp_path_factory.mktemp("threads") / "dump"
    out.mkdir()
    Forge(_complete(raw)).build(out)
    return out


def _raw(name: str) -> dict[str, Any]:
    return tomllib.loads((SCENARIOS / f"{name}.toml").read_text(encoding="utf-8"))


def names(trace: Any) -> list[str]:
    return [f.name for s in trace.segments for f in s.frames]


def test_a_sleeper_unwinds_from_its_pcb_in_its_own_space(dump: Path) -> None:
    prog = Program.open(dump)
    sleepers = [thread_by_tid(prog, tid) for tid in (9000, 9001, 9002)]
    assert len({t.uarea_space for t in sleepers}) == 3  # a space each
    for thread in sleepers:
        assert thread.uarea == (UAREA_OFFSET_WIDE if prog.wide else UAREA_OFFSET_NARROW)
        trace = unwind_thread(prog, thread)
        assert names(trace) == SLEEPER and trace.problem is None
        assert trace.event is None and not trace.user_mode
        segment = trace.segments[0]
        assert segment.space == thread.uarea_space and segment.space_register == 5
        sps = [f.sp for f in segment.frames]
        assert sps == sorted(sps, reverse=True)  # the stack grows up: callers lower
        assert sps[-1] > thread.uarea + prog.types.get("user_t").size


def test_a_thread_preempted_in_user_mode_stops_at_the_user_boundary(dump: Path) -> None:
    prog = Program.open(dump)
    trace = unwind_thread(prog, thread_by_tid(prog, 9100))
    assert names(trace)[:2] == ["_swtch+0x40", "preempt+0x20"] and len(names(trace)) == 3
    trap = trace.segments[-1].trap
    assert trap is not None and trap.user_mode and trap.trap_type == 4
    assert trap.pcoq == USER_PC and trace.user_mode


@pytest.fixture(scope="module")
def broken(dump: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The dump with thread 9200's u-area space garbled: its PCB cannot be read."""
    copy_ = Path(shutil.copytree(dump, tmp_path_factory.mktemp("broken") / "dump"))
    prog = Program.open(copy_)
    member = prog.types.get("struct kthread").field("kt_uarea_space")
    poke(copy_, thread_by_tid(prog, 9200).address + member.offset,
         (0x7FFF0000).to_bytes(member.size, "big"))
    return copy_


def test_a_thread_whose_pcb_cannot_be_read_says_so(broken: Path) -> None:
    prog = Program.open(broken)
    trace = unwind_thread(prog, thread_by_tid(prog, 9200))
    assert trace.segments == [] and trace.problem is not None
    assert "PCB" in trace.problem


def _functions(trace: Any) -> list[str]:
    return [name.split("+", 1)[0] for name in names(trace)]


def test_a_group_that_states_no_stack_gets_a_default_one(dump: Path) -> None:
    """From what the group states: its state, caller, syscall and process (q4py's design,
    docs/scenario-format.md); 11.00's 32-bit switch saves its caller's context."""
    prog = Program.open(dump)
    switch = [] if not prog.wide and prog.has_symbol("kthread") else ["_swtch"]
    sleep, syscall = [*switch, "_sleep"], ["syscall", "syscallinit"]
    daemon, fault = ["main", "$vstart", "$locore"], ["vfault", "trap", "thandler"]
    spaces = {t.uarea_space for t in threads(prog)}
    expected = {
        9200: ([*sleep, *daemon], None),  # no caller, no syscall, no user memory
        9300: ([*sleep, "sysmemreserve", *fault], 15),  # a page fault from user mode
        9301: ([*switch, "preempt", "ihandler"], 4),  # runnable, nothing says it slept
        9302: ([*switch, "stop", "issig", "ihandler"], 4),
        9303: ([*switch, "exit", "rexit", *syscall], None),
        9304: (["newproc", "fork", *syscall], None),
        9305: ([*sleep, "statdaemon", *daemon], None),
        9306: ([*sleep, "vx_rwsleep_lock", "read", *syscall], None),
    }
    for tid, (functions, trap) in expected.items():
        thread = thread_by_tid(prog, tid)
        trace = unwind_thread(prog, thread)
        assert trace.problem is None and _functions(trace) == functions, tid
        last = trace.segments[-1].trap
        if trap is None:
            assert last is None and not trace.user_mode, tid
        else:  # the USER boundary, in the space of a thread laid with that stack
            assert last is not None and last.trap_type == trap and trace.user_mode, tid
            assert last.pcsq in spaces and last.pcoq & 3 == 3, tid
    sleeper = thread_by_tid(prog, 9306)
    trace = unwind_thread(prog, sleeper)
    frames = [frame for segment in trace.segments for frame in segment.frames]
    assert frames[len(sleep)].pc == sleeper.sleep_caller  # the caller's frame: kt_sleep_caller
    assert names(trace)[-2:] == SLEEPER[-2:]  # called from the sites the scenario's stacks use


def test_a_default_stack_leaves_out_what_the_scenario_declares_unlayable(
        tmp_path: Path) -> None:
    """A function declared to save no RP can only be innermost: the default stack of a
    stopped thread goes on without `issig` there, and still unwinds to its way in."""
    raw = _raw(SPINLOCK)
    functions = raw["kernel"]["functions"]
    end = max(f["address"] + f["size"] for f in functions)
    functions.append({"name": "issig", "address": -(-end // 0x1000) * 0x1000, "size": 0x400,
                      "frame": 0x80, "save_rp": False})
    raw["threads"].append({"pid": 1450, "tid": 9400, "state": "stopped", "syscall": "read"})
    Forge(_complete(raw)).build(tmp_path)
    prog = Program.open(tmp_path)
    trace = unwind_thread(prog, thread_by_tid(prog, 9400))
    assert trace.problem is None
    assert _functions(trace) == ["_swtch", "stop", "read", "syscall", "syscallinit"]


def test_a_running_thread_is_its_processors_crash_event(tmp_path: Path) -> None:
    prog = Program.open(_forge(tmp_path, SPINLOCK, lambda sc: None))
    running = [t for t in threads(prog) if t.tid == 14727]  # on processor 1, in user mode
    trace = unwind_thread(prog, running[0])
    assert trace.event is not None and trace.event.event.cpu == 1 and trace.user_mode
    other = unwind_thread(prog, [t for t in threads(prog) if t.tid == 14730][0])
    assert other.event is not None and other.event.event.cpu == 0
    assert names(other)[:2] == ["panic+0x6c", "too_much_time+0x2e8"]  # its last event


def test_sleep_queues_command_lines_and_p4_process_names(dump: Path) -> None:
    prog = Program.open(dump)
    selwait = prog.symbol("selwait").address
    sleepers = set(sleep_queue(prog, selwait))
    ours = {thread_by_tid(prog, tid).address for tid in (9000, 9001, 9002, 9200)}
    assert ours <= sleepers  # the three with stated stacks and the one without
    assert thread_by_tid(prog, 9100).address not in sleepers  # runnable: on no sleep queue
    proc = thread_by_tid(prog, 9000).proc
    assert command_line(prog, proc) == \
        "oracleARDR (DESCRIPTION=(LOCAL=YES)(ADDRESS=(PROTOCOL=beq)))"
    assert {t.tid for t in threads_of(prog, proc)} == {9000, 9001, 9002, 9100, 9200}
    label = proc_label(prog, proc)
    assert label.startswith("proc_list{" if prog.has_symbol("kthread_list") else "proc[")


def test_thread_searches_read_the_dump_or_the_threads_already_read(dump: Path) -> None:
    """trace -W and -U search the table or list; after crashinfo or stacks read every thread,
    they search those instead, with the same answers."""
    fresh, warm = Program.open(dump), Program.open(dump)
    every = threads(warm)
    proc = thread_by_tid(fresh, 9000).proc
    assert threads_of(fresh, proc) == threads_of(warm, proc) == \
        [t for t in every if t.proc == proc]
    assert thread_by_tid(fresh, 9306) == thread_by_tid(warm, 9306)
    with pytest.raises(Q4Error, match="no thread with tid 424242"):
        thread_by_tid(warm, 424242)


def test_a_pcb_outside_the_dump_is_one_problem(dump: Path, tmp_path: Path) -> None:
    copy_ = Path(shutil.copytree(dump, tmp_path / "copy"))
    prog = Program.open(copy_)
    thread = thread_by_tid(prog, 9001)
    pcb = prog.translate(thread.uarea_space, thread.uarea).pfn * 4096 + thread.uarea % 4096
    size = prog.pointer_size
    poke(copy_, pcb + size, (0x3F000000).to_bytes(size, "big"))  # pcb_sp: nowhere
    prog = Program.open(copy_)
    trace = unwind_thread(prog, thread_by_tid(prog, 9001))
    assert trace.problem is not None and "\n" not in trace.problem
    assert names(unwind_thread(prog, thread_by_tid(prog, 9002))) == SLEEPER  # the rest go on


def test_a_sleep_queue_that_loops_is_one_error(dump: Path, tmp_path: Path) -> None:
    copy_ = Path(shutil.copytree(dump, tmp_path / "copy"))
    prog = Program.open(copy_)
    last = thread_by_tid(prog, 9200)
    first = thread_by_tid(prog, 9000)
    link = prog.types.get("struct kthread").field("kt_link").offset
    size = prog.pointer_size
    poke(copy_, last.address + link, first.address.to_bytes(size, "big"))
    prog = Program.open(copy_)
    with pytest.raises(Q4Error, match="loops"):
        sleep_queue(prog, prog.symbol("selwait").address)


def test_forge_rejects_a_stack_it_cannot_lay(tmp_path: Path) -> None:
    def running_with_calls(sc: dict[str, Any]) -> None:
        sc["threads"].append(dict(sc["threads"][0], calls=SLEEPER, tid=-1))
    with pytest.raises(ScenarioError, match="processor's crash event"):
        _forge(tmp_path, SPINLOCK, running_with_calls)


# -- p4's trace family --------------------------------------------------------------------------
def test_trace_v_tid_heads_and_tabulates_a_switched_out_thread(dump: Path) -> None:
    prog = Program.open(dump)
    shell = Shell(prog)
    lines = shell.run("trace -v tid 9000")
    thread = thread_by_tid(prog, 9000)
    label = proc_label(prog, thread.proc)
    indent = " " * (11 if label.startswith("proc[") else 10)
    named = f"{label} " if label.startswith("proc[") else ""
    assert lines[:6] == [
        f"{label} pid=31337 tid=9000  cmd=\"oracleARDR (DESCRIPTION=(LOCAL=YES)(ADDR\"",
        f"Process  : p proc_t    {thread.proc:#x}",
        f"{indent}{named}pid=31337 oracle",
        f"Kthread  : p kthread_t {thread.address:#x}",
        f"Using PCB: p user_t {thread.uarea_space:#x}.{thread.uarea:#x}",
        f"SR5={thread.uarea_space:#x}",
    ]
    assert lines[6].split() == ["SP", "SZ", "RP", "FUNC"]
    frames = unwind_thread(prog, thread).segments[0].frames
    assert len(lines) == 7 + len(frames)
    for line, frame in zip(lines[7:], frames, strict=True):
        entry = prog.unwind_for(frame.pc)
        assert entry is not None
        assert line.split() == [hex(frame.sp), hex(entry.frame_size_bytes), hex(frame.pc),
                                frame.name]


def test_trace_u_numbers_frames_and_lists_stored_arguments(dump: Path) -> None:
    prog = Program.open(dump)
    lines = Shell(prog).run("trace -U tid 9001")
    assert lines[1] == 'p_stat="SINUSE" : kt_stat="TSSLEEP"' if prog.has_symbol(
        "kthread_list") else lines[1] == 'p_stat="SSLEEP" : kt_stat="TSSLEEP"'
    header = lines.index("LVL  FUNC   ( ARG0, ARG1, ARG2, ARG3 )")
    assert lines[header + 1:header + 3] == ["0)  _swtch+0xc4   ( n/a, n/a, n/a, n/a )",
                                            "1)  _sleep+0x1a8   ( 0x5678, 0x1234, n/a, n/a )"]


def test_trace_w_pid_lists_every_thread_and_goes_on_past_a_bad_one(broken: Path) -> None:
    prog = Program.open(broken)
    lines = Shell(prog).run("trace -W pid 31337")
    assert lines[0].endswith("pid=31337  cmd=\"oracleARDR (DESCRIPTION=(LOCAL=YES)(ADDR\"")
    kthreads = [line for line in lines if line.startswith("Kthread  : p kthread_t ")]
    assert len(kthreads) == 5 and lines.count("") == 4
    assert sum(line.startswith("Can't unwind: cannot read its PCB") for line in lines) == 1
    assert any(line.startswith("|  Trap type 4 in USER mode at 0x4321400.0xc0001003")
               for line in lines)
    sp_rows = [line for line in lines if line.endswith("_sleep+0x1a8   ( 0x5678, 0x1234, "
                                                       "n/a, n/a )")]
    assert len(sp_rows) == 3


def test_trace_of_a_running_thread_is_its_processors_event(tmp_path: Path) -> None:
    prog = Program.open(_forge(tmp_path, SPINLOCK, lambda sc: None))
    shell = Shell(prog)
    address = [t for t in threads(prog) if t.tid == 14730][0].address
    lines = shell.run(f"trace -U -T {address:#x}")
    assert lines[0] == "" and lines[1].startswith("proc_list{") and "tid=14730" in lines[1]
    at = lines.index("          Running on SPU #0")
    assert lines[at + 1:at + 4] == ["", "Processor #0", "==============  EVENT  "
                                    "============================"]
    assert lines[at + 4] == "= Event #1 is PANIC on CPU #0"  # the processor's last event
    cpu = shell.run("trace processor 0")
    assert cpu[0].startswith("Cpu 0  : proc_list{") and "tid=14730" in cpu[0]
    assert cpu[1] == "Processor #0"
    user = shell.run("trace -v processor 1")  # caught in user mode: the banner says so
    assert "= USER mode!" in user


def test_trace_pile_follows_kthread_and_proc_piles(dump: Path) -> None:
    prog = Program.open(dump)
    shell = Shell(prog)
    address = thread_by_tid(prog, 9000).address
    shell.run(f"load kthread_t from {address:#x} max 1")
    lines = shell.run("trace pile")
    assert "tid=9000" in lines[0] and lines[-1].endswith("syscallinit+0x554")
    shell.run(f"load proc_t from {thread_by_tid(prog, 9000).proc:#x} max 1")
    assert shell.run("trace pile")[0].endswith("cmd=\"oracleARDR (DESCRIPTION=(LOCAL=YES)"
                                               "(ADDR\"")


@pytest.mark.parametrize("line", ["trace tid 424242", "trace -W pid 424242", "trace -U pid 1",
                                  "trace -T 0x10", "trace -U -W tid 1", "trace tid x"])
def test_trace_bad_input_is_one_line(dump: Path, line: str,
                                     capsys: pytest.CaptureFixture[str]) -> None:
    shell = Shell(Program.open(dump))
    assert not shell.session.execute(line)
    said = shell.out.getvalue() + capsys.readouterr().err
    assert said.count("\n") == 1 and said.startswith("q4: ") and "internal" not in said


# -- stacks, threads, ps --------------------------------------------------------------
def test_stacks_groups_identical_stacks_most_common_first(broken: Path) -> None:
    prog = Program.open(broken)
    lines = Shell(prog).run("stacks -m oracle -w selwait")
    assert lines[0] == "4 threads in 2 stacks"
    heads = [line for line in lines if line[:5].strip().isdigit()]
    assert [h.split()[:3] for h in heads] == [["3", "TSSLEEP", "selwait"],
                                              ["1", "TSSLEEP", "selwait"]]
    assert heads[0].endswith("9000 9001 9002")
    first = lines.index(heads[0])
    assert [line.strip() for line in lines[first + 1:first + 6]] == SLEEPER
    assert lines[lines.index(heads[1]) + 1].strip().startswith("Can't unwind: cannot read")


def test_stacks_filters_by_function_state_and_trap(dump: Path) -> None:
    shell = Shell(Program.open(dump))
    # (default stacks of the scenario's threads that call select use the same call site)
    assert shell.run("stacks -c select+0x100 -w selwait")[0] == "3 threads in 1 stacks"
    assert shell.run("stacks -c select -s TSSLEEP -w selwait")[0] == "3 threads in 1 stacks"
    assert shell.run("stacks -c preempt -s sleep")[0] == "0 threads in 0 stacks"
    preempted = shell.run("stacks -c preempt -m oracle")
    assert preempted[0] == "1 threads in 1 stacks"
    assert preempted[-2].strip() == "<trap 4 from USER mode>"


def test_threads_and_ps_list_every_thread_and_process(dump: Path) -> None:
    prog = Program.open(dump)
    shell = Shell(prog)
    rows = shell.run("threads -p 31337")
    assert rows[-1] == "5 threads" and len(rows) == 7
    assert [r.split()[1] for r in rows[1:-1]] == ["9000", "9001", "9002", "9100", "9200"]
    assert rows[4].split()[3] == "TSRUN" and rows[1].split()[7] == "selwait"
    assert len(shell.run("threads")) == len(threads(prog)) + 2
    ps = shell.run("ps")
    ours = [r for r in ps if r.split()[1:2] == ["31337"]]
    assert len(ours) == 1 and ours[0].split()[5] == "5"
    assert ours[0].endswith("oracleARDR (DESCRIPTION=(LOCAL=YES)(ADDRESS=(PROTOCOL=beq)))")
    for line in ("threads -x", "threads -s nonsense", "stacks -c", "ps now"):
        assert not shell.session.execute(line)


def test_print_reads_1100_names_from_their_parallel_arrays(dump: Path) -> None:
    """issue 10 item 17: on 11.00 p_comm and p_cmds are empty in the proc itself."""
    prog = Program.open(dump)
    shell = Shell(prog)
    proc = thread_by_tid(prog, 9000).proc
    shell.run(f"load struct proc from {proc:#x} max 1")
    assert shell.run("print p_pid p_comm")[1].split() == ["31337", '"oracle"']
    assert shell.run("print p_cmds")[1].strip() == \
        '"oracleARDR (DESCRIPTION=(LOCAL=YES)(ADDRESS=(PROTOCOL=beq)))"'
