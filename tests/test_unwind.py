"""Unwinding crash events (q4py.unwind, q4py.kernel.events) on the seed dump.

Expected frames, SPs and save_state addresses are derived here from the scenario's causes (frame
sizes, stack bases, call sites), the way a PA-RISC stack is laid: it grows up, each frame sits
its function's frame size above its caller's, and a trap handler's frame sits right above the
save_state of the context it interrupted. Nothing is copied from a report."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from conftest import SCENARIOS_DIR
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from q4py.errors import ReadError
from q4py.forge.build import Forge
from q4py.forge.scenario import load_scenario
from q4py.kernel.events import crash_events, rpb_registers
from q4py.layouts.save_state import TRAP_TYPE_FIELD
from q4py.program import Program
from q4py.unwind import MAX_FRAMES, EventTrace, rp_slot, unwind_event

SEED = "hpux1100-32-kalloc-sysmap"
SEED_PATH = SCENARIOS_DIR / f"{SEED}.toml"


@pytest.fixture(scope="module")
def scenario() -> dict[str, Any]:
    return load_scenario(SEED_PATH)


@pytest.fixture(scope="module")
def seed_dir(forged_dump: Callable[[str], Path]) -> Path:
    return forged_dump(SEED)


@pytest.fixture
def prog(seed_dir: Path) -> Program:
    """A fresh Program per test: some tests patch its reads."""
    return Program.open(seed_dir)


# -- what the scenario implies -----------------------------------------------------------------
@dataclasses.dataclass
class Expected:
    frames: list[tuple[int, int, str]]  # (sp, pc, call site), innermost first
    trap: tuple[int, bool, int, int] | None  # (type, user mode, pcoq, save_state address)


def call_pc(sc: dict[str, Any], call: str) -> int:
    name, _, offset = call.partition("+")
    [fn] = [f for f in sc["kernel"]["functions"] if f["name"] == name]
    return fn["address"] + int(offset or "0", 16)


def expected_segments(sc: dict[str, Any], index: int) -> list[Expected]:
    """Lay event `index`'s contexts on its stack from the outermost one up."""
    frame = {f["name"]: f["frame"] for f in sc["kernel"]["functions"]}
    event = sc["events"][index]
    contexts = event["contexts"]
    base = event["stack_base"]
    out: list[Expected] = []
    for k in range(len(contexts) - 1, -1, -1):
        ctx = contexts[k]
        if ctx["user"] is not None:
            continue  # a user context leaves its save_state at the stack base
        sps: list[int] = []
        sp = base
        for call in reversed(ctx["calls"]):
            sp += frame[call.partition("+")[0]]
            sps.insert(0, sp)
        trap = None
        if k + 1 < len(contexts):
            nxt = contexts[k + 1]
            user = nxt["user"] is not None
            pcoq = nxt["user"]["pcoq"] if user else call_pc(sc, nxt["calls"][0])
            trap = (nxt["trap"], user, pcoq, base)
        frames = [(s, call_pc(sc, c), c) for s, c in zip(sps, ctx["calls"], strict=True)]
        out.insert(0, Expected(frames, trap))
        base = sps[0]
    return out


def actual_segments(trace: EventTrace) -> list[Expected]:
    return [Expected([(f.sp, f.pc, f.name or "?") for f in s.frames],
                     None if s.trap is None else (s.trap.trap_type, s.trap.user_mode,
                                                  s.trap.pcoq, s.trap.save_state))
            for s in trace.segments]


# -- the seed -----------------------------------------------------------------------------------
def test_crash_events(prog: Program, scenario: dict[str, Any]) -> None:
    events = crash_events(prog)
    table = prog.symbol("crash_event_table").address
    size = prog.types.get("crash_event_t").size
    assert [(e.index, e.address) for e in events] == [(0, table), (1, table + size)]
    for event, want in zip(events, scenario["events"], strict=True):
        assert event.kind == want["kind"]
        assert event.rpb == want["rpb"]
        assert event.cpu == want["cpu"]
        assert event.hpa == scenario["processors"][want["cpu"]]["hpa"]
        assert event.spinlock_depth == 0


def test_rpb_registers_of_a_panic(prog: Program, scenario: dict[str, Any]) -> None:
    """A PANIC rpb holds RP in panic(), a zeroed pc, and panic's SP in the stack's space."""
    event = crash_events(prog)[1]
    regs = rpb_registers(prog, event)
    [expected] = expected_segments(scenario, 1)[:1]
    assert regs["rp"] == call_pc(scenario, "panic+0x14")
    assert regs["pcoq_head"] == 0
    assert regs["sp"] == expected.frames[0][0]
    assert regs["sr5"] == scenario["events"][1]["space"]


@pytest.mark.parametrize("index", [0, 1])
def test_event_frames_follow_from_frame_sizes(prog: Program, scenario: dict[str, Any],
                                              index: int) -> None:
    trace = unwind_event(prog, crash_events(prog)[index])
    assert trace.problem is None
    assert not trace.user_mode
    assert trace.failed_sources == []
    assert trace.pc_source == "pim.wide.rp_rp_hi"  # a PANIC: pcoq is zero, RP is in panic()
    assert trace.pc == call_pc(scenario, scenario["events"][index]["contexts"][0]["calls"][0])
    assert actual_segments(trace) == expected_segments(scenario, index)
    space = scenario["events"][index]["space"]
    for segment in trace.segments:
        assert (segment.space_register, segment.space) == (5, space)
        assert segment.trap is not None and segment.trap.space == space


def test_event_1_trap_boxes(prog: Program, scenario: dict[str, Any]) -> None:
    trace = unwind_event(prog, crash_events(prog)[1])
    traps = [s.trap for s in trace.segments]
    assert all(t is not None for t in traps)
    assert [t.trap_type for t in traps] == [18, 15]  # data memory protection, data page fault
    assert [t.user_mode for t in traps] == [False, True]
    kernel_trap, user_trap = traps
    assert kernel_trap.name == "pgcopy+0x1e0" and kernel_trap.pcsq == 0
    user = scenario["events"][1]["contexts"][2]["user"]
    assert (user_trap.pcsq, user_trap.pcoq, user_trap.name) == (user["pcsq"], user["pcoq"], None)
    # Each save_state sits right below the handler frame that saved it.
    thandler = prog.kernel.unwind_for(prog.symbol("thandler").address)
    assert thandler is not None and thandler.interrupt_marker
    for segment in trace.segments:
        handler = segment.frames[-1]
        assert handler.name is not None and handler.name.startswith("thandler+")
        assert segment.trap.save_state == handler.sp - thandler.frame_size_bytes
    assert user_trap.save_state == scenario["events"][1]["stack_base"]
    # The trap type is recorded with the registers the handler saved.
    ss = prog.read_struct("save_state", kernel_trap.save_state, kernel_trap.space)
    assert ss[TRAP_TYPE_FIELD] == 18


def test_kernel_trap_save_state_registers(prog: Program, scenario: dict[str, Any]) -> None:
    """The save_state of the kernel trap holds the interrupted context's registers."""
    trace = unwind_event(prog, crash_events(prog)[1])
    trap = trace.segments[0].trap
    assert trap is not None
    ss = prog.read_struct("save_state", trap.save_state, trap.space)
    inner = trace.segments[1].frames
    assert ss.ss_narrow.ss_sp == inner[0].sp
    assert ss.ss_narrow.ss_pcoq_head == inner[0].pc
    assert ss.ss_narrow.ss_rp == inner[1].pc  # pgcopy saves no RP: it came from the register
    registers = scenario["events"][1]["contexts"][1]["registers"]
    assert ss.ss_narrow.ss_cr19 == registers["iir"]
    assert ss.ss_narrow.ss_cr21 == registers["ior"]
    assert ss.ss_narrow.ss_arg1 == registers["gr25"]  # gr25 is arg1 (gr26 is arg0)
    assert ss.ss_narrow.ss_ret0 == registers["ret0"]


# -- the consistency requirement --------------------------------------------------------
def test_changing_a_frame_size_moves_every_sp_above_it(scenario: dict[str, Any], prog: Program,
                                                      tmp_path: Path) -> None:
    changed = load_scenario(SEED_PATH)
    [trap] = [f for f in changed["kernel"]["functions"] if f["name"] == "trap"]
    grow = 0x20
    trap["frame"] += grow  # 0x130 -> 0x150
    Forge(changed).build(tmp_path)
    moved = Program.open(tmp_path)
    for index, (before_event, after_event) in enumerate(
            zip(crash_events(prog), crash_events(moved), strict=True)):
        before = unwind_event(prog, before_event)
        after = unwind_event(moved, after_event)
        assert after.problem is None
        assert actual_segments(after) == expected_segments(changed, index)
        # Walk from the bottom of the stack up: every frame moves by `grow` for each `trap`
        # frame at or below it; a save_state by one for each below it.
        below = 0
        seen_deltas = set()
        for old_seg, new_seg in reversed(list(zip(before.segments, after.segments,
                                                  strict=True))):
            assert old_seg.trap is not None and new_seg.trap is not None
            assert new_seg.trap.save_state - old_seg.trap.save_state == grow * below
            for old, new in reversed(list(zip(old_seg.frames, new_seg.frames, strict=True))):
                assert (old.pc, old.name) == (new.pc, new.name)
                if old.name and old.name.startswith("trap+"):
                    below += 1
                assert new.sp - old.sp == grow * below, (index, old.name)
                seen_deltas.add(new.sp - old.sp)
        assert 0 in seen_deltas and grow in seen_deltas  # frames below trap stay, above move
        if index == 1:
            assert 2 * grow in seen_deltas  # event 1 has trap twice on its stack


# -- user mode, and stacks that are wrong --------------------------------------------------------
def test_user_mode_pc_in_the_rpb(scenario: dict[str, Any], tmp_path: Path) -> None:
    changed = load_scenario(SEED_PATH)
    pcoq = 0x4000A9B3  # privilege level 3
    changed["events"].append(dict(changed["events"][0], kind="TOC", cpu=1, rpb=0x6F7200,
                                  contexts=[{"calls": [], "trap": -1, "registers": {},
                                             "user": {"pcsq": 0x5BD0400, "pcoq": pcoq,
                                                      "sp": 0x7F7E0000}}]))
    Forge(changed).build(tmp_path)
    prog = Program.open(tmp_path)
    event = crash_events(prog)[2]
    assert (event.kind, event.cpu) == ("TOC", 1)
    trace = unwind_event(prog, event)
    assert trace.user_mode is True
    assert trace.segments == []
    assert trace.pc_source == "pim.wide.rp_pcoq_head_hi"
    assert trace.pc == pcoq
    assert trace.problem is None


def _patch_words(prog: Program, words: dict[tuple[int, int], int]) -> None:
    """Make (space, address) words of the dump read as other values (a corrupted stack)."""
    real = prog.memory.read

    def read(offset: int, size: int, space: int = 0) -> bytes:
        data = bytearray(real(offset, size, space))
        for (wspace, address), value in words.items():
            if wspace == space and offset <= address and address + 4 <= offset + size:
                data[address - offset:address - offset + 4] = value.to_bytes(4, "big")
        return bytes(data)

    prog.memory.read = read  # type: ignore[method-assign]


SPACE_1 = 0x76DB400
PANIC_RP_SLOT = (SPACE_1, 0x7FFF1354)  # where panic's caller's return pointer is saved


def test_rp_slot_of_the_seed(prog: Program, scenario: dict[str, Any]) -> None:
    """The slot the corruption tests overwrite is the one the walk reads for panic's caller."""
    first = expected_segments(scenario, 1)[0].frames[0][0]
    panic = prog.kernel.unwind_for(prog.symbol("panic").address)
    assert panic is not None
    assert rp_slot(first - panic.frame_size_bytes, False) == PANIC_RP_SLOT[1]
    assert prog.read_ulong(PANIC_RP_SLOT[1], SPACE_1) == \
        call_pc(scenario, "report_trap_or_int_and_panic+0x4c")


def test_corrupted_rp_outside_the_kernel(prog: Program) -> None:
    _patch_words(prog, {PANIC_RP_SLOT: 0xDEADBEEF})
    trace = unwind_event(prog, crash_events(prog)[1])
    assert [f.name for f in trace.segments[0].frames] == ["panic+0x14"]
    assert trace.problem is not None
    assert "0xdeadbeec" in trace.problem  # the privilege bits dropped
    assert "0x76db400.0x7fff1354" in trace.problem


def test_corrupted_rp_into_data(prog: Program) -> None:
    _patch_words(prog, {PANIC_RP_SLOT: prog.symbol("crash_event_table").address + 0x10})
    trace = unwind_event(prog, crash_events(prog)[1])
    assert [f.name for f in trace.segments[0].frames] == ["panic+0x14", "crash_event_table+0x10"]
    assert trace.problem is not None and "no unwind entry" in trace.problem


def test_corrupted_rp_into_other_code_ends(prog: Program) -> None:
    """A plausible but wrong RP sends the walk down garbage; it still ends, without raising."""
    _patch_words(prog, {PANIC_RP_SLOT: prog.symbol("kalloc").address + 0x10})
    trace = unwind_event(prog, crash_events(prog)[1])
    frames = [f for s in trace.segments for f in s.frames]
    assert frames[1].name == "kalloc+0x10"
    assert len(frames) <= MAX_FRAMES


def test_unreadable_rp_slot(prog: Program) -> None:
    real = prog.memory.read

    def read(offset: int, size: int, space: int = 0) -> bytes:
        slot_space, slot = PANIC_RP_SLOT
        if space == slot_space and offset <= slot < offset + size:  # also a whole-page read
            raise ReadError(space, offset, "does not have a translation")
        return real(offset, size, space)

    prog.memory.read = read  # type: ignore[method-assign]
    trace = unwind_event(prog, crash_events(prog)[1])
    assert trace.problem == "cannot read 0x76db400.0x7fff1354: does not have a translation"
    assert len(trace.segments[0].frames) == 1


def test_save_state_leading_back_to_its_handler(prog: Program) -> None:
    """A save_state whose SP and pc point at the handler frame that holds it would make the walk
    enter the same trap for ever; the walk notices the frame it has seen."""
    trace = unwind_event(prog, crash_events(prog)[1])
    handler = trace.segments[0].frames[-1]
    trap = trace.segments[0].trap
    assert trap is not None
    ss = prog.layout("save_state").field("ss_narrow.ss_sp").offset
    pc = prog.layout("save_state").field("ss_narrow.ss_pcoq_head").offset
    fresh = Program.open(prog.path)
    _patch_words(fresh, {(SPACE_1, trap.save_state + ss): handler.sp,
                         (SPACE_1, trap.save_state + pc): handler.pc})
    looped = unwind_event(fresh, crash_events(fresh)[1])
    assert looped.problem == "stack walk loops"
    assert len(looped.segments) == 2


def test_unreadable_rpb(prog: Program) -> None:
    event = dataclasses.replace(crash_events(prog)[1], rpb=0xFFFFFF00)
    trace = unwind_event(prog, event)
    assert trace.segments == []
    assert trace.problem is not None and trace.problem.startswith("cannot read the rpb")


def test_rpb_without_a_usable_pc(prog: Program) -> None:
    event = crash_events(prog)[1]
    rp = prog.layout("rpb_t").field("pim.wide.rp_rp_lo").offset
    _patch_words(prog, {(0, event.rpb + rp): 0xDEADBEE0})
    trace = unwind_event(prog, event)
    assert trace.problem == "no usable pc in the rpb"
    assert trace.failed_sources == [("pim.wide.rp_rp_hi", 0xDEADBEE0)]


STACK_WORDS = st.integers(0x7FFF04F0 // 4, 0x7FFF13AC // 4).map(lambda w: w * 4)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow,
                                                                   HealthCheck.function_scoped_fixture])
@given(words=st.dictionaries(STACK_WORDS, st.integers(0, 0xFFFFFFFF), min_size=1, max_size=4))
def test_any_corrupted_stack_words_never_raise(seed_dir: Path, words: dict[int, int]) -> None:
    prog = Program.open(seed_dir)
    _patch_words(prog, {(SPACE_1, a): v for a, v in words.items()})
    trace = unwind_event(prog, crash_events(prog)[1])
    assert isinstance(trace, EventTrace)
    assert sum(len(s.frames) for s in trace.segments) <= MAX_FRAMES


def test_crashinfo_unwinds_each_event_once(prog: Program,
                                           monkeypatch: pytest.MonkeyPatch) -> None:
    import io

    import q4py.unwind
    from q4py.shell import Session

    unwound: list[int] = []
    real = q4py.unwind._unwind_event

    def counting(prog: Program, event: Any) -> EventTrace:
        unwound.append(event.address)
        return real(prog, event)

    monkeypatch.setattr(q4py.unwind, "_unwind_event", counting)
    Session(prog, io.StringIO()).execute("crashinfo")
    events = crash_events(prog)
    # events, processors, clock and lock all want traces: still one unwind per event
    assert sorted(unwound) == sorted(e.address for e in events)
    assert unwind_event(prog, events[0]) is prog.event_traces[events[0]]
