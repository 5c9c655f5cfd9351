"""The Crash Events path on wide (64-bit) kernels: nested traps on interrupt stacks, the trap
marker's information, the interrupted instruction, the page directory lookup and the arguments
frames stored, on the dumps forged from the 64-bit report scenarios.

Expected values are derived from the scenarios' causes (frame sizes, stack bases, call sites,
registers, stored arguments), the way the forge is told the machine was; nothing is copied from
a report."""

from __future__ import annotations

import copy
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from conftest import SCENARIOS_DIR

from q4py.analyses.events import analyze_events, trap_info, trap_marker
from q4py.disasm import disassemble
from q4py.errors import ScenarioError
from q4py.forge.build import Forge
from q4py.forge.scenario import load_scenario
from q4py.kernel.args import FrameArgs, stored_arguments
from q4py.kernel.events import crash_events
from q4py.kernel.pdir import lookup_va
from q4py.kernel.release import by_release, parse_release
from q4py.memory import pdir_hash, pdir_vtag
from q4py.program import Program
from q4py.render.events import render_trap_information
from q4py.render.stack import NOT_AVAILABLE, render_args, render_event
from q4py.render.styles import BY_NAME
from q4py.render.vainfo import PDIR_STYLES
from q4py.unwind import EventTrace, unwind_event

SCSI = "hpux1100-64-dpf-scsi-dequeue"
ATQ = "hpux1100-64-dpf-atq"
C8XX = "hpux1111-64-unaligned-c8xx"
WIDE = [SCSI, ATQ, C8XX]


@pytest.fixture(scope="module", params=WIDE)
def case(request: pytest.FixtureRequest,
         forged_dump: Callable[[str], Path]) -> tuple[dict[str, Any], Program]:
    return load_scenario(SCENARIOS_DIR / f"{request.param}.toml"), \
        Program.open(forged_dump(request.param))


@pytest.fixture(scope="module")
def scsi(forged_dump: Callable[[str], Path]) -> Program:
    return Program.open(forged_dump(SCSI))


# -- what a scenario implies -----------------------------------------------------------------------
def call_pc(sc: dict[str, Any], call: str) -> int:
    name, _, offset = call.partition("+")
    [fn] = [f for f in sc["kernel"]["functions"] if f["name"] == name]
    return fn["address"] + int(offset or "0", 16)


def function(sc: dict[str, Any], call: str) -> dict[str, Any]:
    name = call.partition("+")[0]
    return next(f for f in sc["kernel"]["functions"] if f["name"] == name)


def expected_layout(sc: dict[str, Any], index: int) -> list[dict[str, Any]]:
    """Per kernel context, innermost first: its frames' SPs, its stack's space, and the
    save_state (address, trap type) its handler built. A context runs on top of the one it
    interrupted unless it has a stack of its own (`stack_base`), where the save_state goes."""
    event = sc["events"][index]
    contexts = event["contexts"]
    top = event["stack_base"]
    out: list[dict[str, Any]] = []
    for k in range(len(contexts) - 1, -1, -1):
        ctx = contexts[k]
        if ctx["user"] is not None:
            continue
        base = ctx["stack_base"] if ctx["stack_base"] >= 0 else top
        sps, sp = [], base
        for call in reversed(ctx["calls"]):
            sp += function(sc, call)["frame"]
            sps.insert(0, sp)
        quadrant = sps[0] >> 62
        space = 0 if quadrant == 0 else (ctx["stack_space"] if ctx["stack_space"] >= 0
                                         else event["space"])
        trap = (base, contexts[k + 1]["trap"]) if k + 1 < len(contexts) else None
        out.insert(0, {"frames": [(s, call_pc(sc, c)) for s, c in zip(sps, ctx["calls"],
                                                                       strict=True)],
                       "space": space, "sr": 4 + quadrant, "trap": trap, "ctx": ctx})
        top = sps[0]
    return out


def main_trace(prog: Program) -> EventTrace:
    return unwind_event(prog, crash_events(prog)[0])


# -- unwinding -------------------------------------------------------------------------------------
def test_frames_and_nested_traps_follow_from_the_causes(
        case: tuple[dict[str, Any], Program]) -> None:
    sc, prog = case
    trace = main_trace(prog)
    assert trace.problem is None
    assert trace.pc_source == "pim.wide.rp_rp_hi"
    expected = expected_layout(sc, 0)
    assert len(trace.segments) == len(expected)
    for segment, want in zip(trace.segments, expected, strict=True):
        assert [(f.sp, f.pc) for f in segment.frames] == want["frames"]
        assert (segment.space_register, segment.space) == (want["sr"], want["space"])
        if want["trap"] is None:
            assert segment.trap is None
        else:
            assert segment.trap is not None
            assert (segment.trap.save_state, segment.trap.trap_type) == want["trap"]
            assert segment.trap.space == want["space"]
            # The handler's frame sits right on top of the save_state it holds.
            handler = prog.unwind_for(segment.frames[-1].pc)
            assert handler is not None and handler.interrupt_marker
            assert segment.frames[-1].sp - handler.frame_size_bytes == segment.trap.save_state


def test_a_trap_inside_an_interrupt_inside_a_process(scsi: Program) -> None:
    """The fault's save_state is on the interrupt stack in space 0, on top of the interrupted
    driver; the interrupt's save_state is at the interrupt stack's base; the process below
    runs on its own kernel stack in quadrant 1."""
    trace = main_trace(scsi)
    [fault, interrupt, process] = trace.segments
    assert fault.trap is not None and interrupt.trap is not None and process.trap is None
    assert (fault.trap.trap_type, interrupt.trap.trap_type) == (15, 4)
    assert fault.trap.space == interrupt.trap.space == 0
    assert fault.trap.save_state == interrupt.frames[0].sp  # scsi_dequeue has no frame
    assert interrupt.trap.save_state < interrupt.frames[-1].sp
    assert process.space_register == 5 and process.space != 0
    assert process.frames[0].sp >> 62 == 1


def test_render_marks_interrupt_stacks_with_sr4(scsi: Program) -> None:
    lines = render_event(main_trace(scsi), True)
    assert lines.count("SR4=0x00000000") == 2
    assert any(line.startswith("SR5=0x") for line in lines)
    assert "|  p struct save_state 0.0x804920" in lines  # space 0: `0.`, as crashinfo prints


# -- trap information ------------------------------------------------------------------------------
def test_trap_information_comes_from_the_innermost_trap(
        case: tuple[dict[str, Any], Program]) -> None:
    sc, prog = case
    report = analyze_events(prog)
    info = report.trap
    assert info is not None
    faulted = sc["events"][0]["contexts"][1]
    regs = faulted["registers"]
    assert info.trap.number == faulted["trap"]
    assert (info.iir, info.isr, info.ior) == (regs["iir"], regs["isr"], regs["ior"])
    assert info.pcsq == 0 and info.pcoq == call_pc(sc, faulted["calls"][0])
    assert info.location == faulted["calls"][0]
    assert info.instruction == disassemble(regs["iir"], info.pcoq, True)
    first = expected_layout(sc, 0)[0]["trap"]
    assert (info.address, info.space) == (first[0], 0 if first[0] >> 62 == 0
                                          else sc["events"][0]["space"])


def test_the_instruction_is_read_from_kernel_text(scsi: Program) -> None:
    marker = trap_marker(main_trace(scsi))
    assert marker is not None
    fresh = Program.open(scsi.path)
    real = fresh.memory.read

    def read(offset: int, size: int, space: int = 0) -> bytes:
        if (space, offset, size) == (0, marker.pcoq, 4):
            return (0x53970000).to_bytes(4, "big")  # another word than the IIR
        return real(offset, size, space)

    fresh.memory.read = read  # type: ignore[method-assign]
    info = trap_info(fresh, marker)
    assert info.iir == 0x73FD0040
    assert info.instruction == disassemble(0x53970000, marker.pcoq, True)


def test_the_report_instructions() -> None:
    """The three faulting words print as the reports show them, with or without capstone."""
    assert disassemble(0x73FD0040) == "std  ret1,0x20(r31)"
    assert disassemble(0x53970000) == "ldd  0(ret0),arg3"
    assert disassemble(0x4B810000) == "ldw  0(ret0),r1"


# -- the page directory ----------------------------------------------------------------------------
def test_an_address_without_a_translation(forged_dump: Callable[[str], Path]) -> None:
    sc = load_scenario(SCENARIOS_DIR / f"{ATQ}.toml")
    prog = Program.open(forged_dump(ATQ))
    regs = sc["events"][0]["contexts"][1]["registers"]
    va = lookup_va(prog, regs["isr"], regs["ior"])
    assert va is not None and va.found is None
    kernel = sc["kernel"]
    assert va.index == pdir_hash(regs["isr"], regs["ior"], kernel["htbl_entries"])
    assert va.head == kernel["htbl_address"] + va.index * prog.types.get("hpde2_0_t").size
    assert va.vtag == pdir_vtag(regs["isr"], regs["ior"])
    [head] = va.chain
    assert (head.address, head.next, head.space, head.vpage) == \
        (va.head, 0, kernel["htbl_empty_space"], va.index)  # an unused head names itself
    assert not head.valid


def test_an_io_page_translation(forged_dump: Callable[[str], Path]) -> None:
    sc = load_scenario(SCENARIOS_DIR / f"{C8XX}.toml")
    prog = Program.open(forged_dump(C8XX))
    [tr] = sc["kernel"]["translations"]
    ior = sc["events"][0]["contexts"][1]["registers"]["ior"]
    va = lookup_va(prog, tr["space"], ior)
    assert va is not None and va.found is not None
    assert va.found.address == va.head  # the only entry of its chain sits in the head
    assert va.physical == tr["physical"] | (ior & 0xFFF)  # sign-extended back from 44 bits
    assert (va.found.access_rights, va.found.protection_key, va.found.page_size) == \
        (tr["access_rights"], tr["protection_key"], tr["page_size"])


def test_a_translation_placed_away_from_its_head(tmp_path: Path) -> None:
    sc = load_scenario(SCENARIOS_DIR / f"{C8XX}.toml")
    sc["kernel"]["translations"][0]["pde"] = 0x2800000
    Forge(sc).build(tmp_path)
    prog = Program.open(tmp_path)
    va = lookup_va(prog, 0, sc["kernel"]["translations"][0]["address"] + 0x59)
    assert va is not None and va.found is not None
    assert [r.address for r in va.chain] == [va.head, 0x2800000]
    assert not va.chain[0].valid and va.chain[0].next == 0x2800000


# -- arguments -------------------------------------------------------------------------------------
def _resolve(value: Any, trap: tuple[int, int] | None) -> int:
    if value == "save_state":
        assert trap is not None
        return trap[0]
    if value == "trap":
        assert trap is not None
        return trap[1]
    return value & 0xFFFFFFFFFFFFFFFF


def test_stored_arguments_follow_from_the_causes(case: tuple[dict[str, Any], Program]) -> None:
    sc, prog = case
    report = analyze_events(prog)
    layout = expected_layout(sc, 0)
    want: dict[tuple[int, int], dict[int, int]] = {}
    for s, seg in enumerate(layout):
        ctx = seg["ctx"]
        for f, call in enumerate(ctx["calls"]):
            stored = function(sc, call)["stored_args"]
            assert stored_arguments(prog, call_pc(sc, call)) == sorted(stored)
            if stored:
                given = ctx["args"].get(call, {})
                want[(s, f)] = {i: _resolve(given.get(f"arg{i}", 0), seg["trap"])
                                for i in stored}
    assert {k: v.values for k, v in report.main_args.items()} == want


def test_a_function_interrupted_in_its_prologue_stored_less(scsi: Program) -> None:
    start = scsi.symbol("scsi_dequeue").address  # stores arg0 then arg1, no frame
    assert stored_arguments(scsi, start + 0x30) == [0, 1]
    assert stored_arguments(scsi, start + 4) == [0]
    assert stored_arguments(scsi, start) == []
    assert stored_arguments(scsi, scsi.symbol("ihandler").address + 0x904) == []


def test_render_args_collapses_runs_of_unstored_arguments() -> None:
    lines = render_args(FrameArgs({0: 0x4A8AA000, 3: 0x100, 4: None, 6: 1}), True)
    assert lines == [
        "         arg0: 0x000000004a8aa000",
        NOT_AVAILABLE,
        "         arg3: 0x0000000000000100",
        "         arg4: --------n/a-------",
        NOT_AVAILABLE,
        "         arg6: 0x0000000000000001",
    ]
    assert render_args(FrameArgs({1: 5}), False) == [NOT_AVAILABLE, "         arg1: 0x00000005"]


# -- the rpb's pc sources --------------------------------------------------------------------------
def test_rp_fallbacks_are_reported(scsi: Program) -> None:
    event = crash_events(scsi)[0]
    rpb = scsi.layout("rpb_t")
    rp_lo = event.rpb + rpb.field("pim.wide.rp_rp_lo").offset
    gr31_lo = event.rpb + rpb.field("pim.wide.rp_gr31_lo").offset
    panic = scsi.symbol("panic").address + 0x14
    fresh = Program.open(scsi.path)
    real = fresh.memory.read
    patched = {rp_lo: 0xDEADBEE0, gr31_lo: panic}

    def read(offset: int, size: int, space: int = 0) -> bytes:
        data = bytearray(real(offset, size, space))
        for address, value in patched.items():
            if space == 0 and offset <= address and address + 4 <= offset + size:
                data[address - offset:address - offset + 4] = value.to_bytes(4, "big")
        return bytes(data)

    fresh.memory.read = read  # type: ignore[method-assign]
    trace = unwind_event(fresh, event)
    assert trace.failed_sources == [("pim.wide.rp_rp_hi", 0xDEADBEE0)]
    assert (trace.pc_source, trace.pc) == ("pim.wide.rp_gr31_hi", panic)
    lines = render_event(trace, True)
    assert "= Using pc from pim.wide.rp_rp_hi = 0xdeadbee0 (failed)" in lines
    assert f"= Using pc from pim.wide.rp_gr31_hi = {panic:#x}" in lines


# -- per-release formatting ------------------------------------------------------------------------
def test_release_parsing_and_choice() -> None:
    assert [parse_release(r) for r in ("B.11.00", "B.11.0", "B.11.11", "B.11.23")] == \
        [(11, 0), (11, 0), (11, 11), (11, 23)]
    assert by_release(PDIR_STYLES, (11, 0)) is PDIR_STYLES[(11, 0)]
    assert by_release(PDIR_STYLES, (11, 23)) is PDIR_STYLES[(11, 11)]
    assert by_release(PDIR_STYLES, None) is PDIR_STYLES[(11, 0)]


def test_trap_information_spacing_by_style(scsi: Program) -> None:
    info = analyze_events(scsi).trap
    assert info is not None
    spaced = render_trap_information(info, BY_NAME["spaced"])
    compact = render_trap_information(info, BY_NAME["plain"])
    assert [line for line in spaced if line] == [line for line in compact if line]
    assert spaced.count("") == 7 and compact.count("") == 2


# -- the scenario's checks -------------------------------------------------------------------------
def _trap_at(sc: dict[str, Any], call: str) -> None:
    ctx = sc["events"][0]["contexts"][1]
    ctx["args"].pop(ctx["calls"][0])
    ctx["calls"][0] = call


def _scsi_scenario() -> dict[str, Any]:
    return copy.deepcopy(load_scenario(SCENARIOS_DIR / f"{SCSI}.toml"))


@pytest.mark.parametrize(("change", "path", "problem"), [
    (lambda sc: sc["events"][0]["contexts"][1]["args"].update(
        {"scsi_dequeue+0x30": {"arg3": 1}}),
     "events[0].contexts[1].args.scsi_dequeue+0x30.arg3", "does not store arg3"),
    (lambda sc: sc["events"][0]["contexts"][2]["args"].update(
        {"vno_rw+0x84": {"arg0": "save_state"}}),
     "events[0].contexts[2].args.vno_rw+0x84.arg0", "handled no trap"),
    (lambda sc: sc["events"][0]["contexts"][2]["args"].update({"panic+0x14": {}}),
     "events[0].contexts[2].args.panic+0x14", "not one of this context's calls"),
    (lambda sc: sc["events"][0]["contexts"][0].update({"stack_space": 0}),
     "events[0].contexts[0].stack_space", "needs stack_base"),
    (lambda sc: _trap_at(sc, "scsi_dequeue+0x4"),  # inside its prologue
     "events[0].contexts[1].registers.iir", "already holds"),
])
def test_forge_rejects_inconsistent_causes(tmp_path: Path, change: Callable[[Any], Any],
                                           path: str, problem: str) -> None:
    sc = _scsi_scenario()
    change(sc)
    with pytest.raises(ScenarioError) as err:
        Forge(sc).build(tmp_path)
    assert err.value.key_path == path
    assert problem in err.value.problem
