"""The rpb's PIM as the processor saved it: `pim.wide` (PA-RISC 2.0, 64-bit registers in halves)
or `pim.narrow` (PA-RISC 1.1, 32-bit registers), told by the processor's cpu type; the same
stacks either way. The union that holds them: every member read from the same bytes."""

from __future__ import annotations

import copy
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from conftest import SCENARIOS_DIR

from q4py.errors import ScenarioError
from q4py.forge.build import Forge
from q4py.forge.scenario import load_scenario
from q4py.kernel.events import crash_events, pim_member
from q4py.kernel.mpinfo import rpb_state
from q4py.layouts import NARROW, registry_for
from q4py.program import Program
from q4py.unwind import unwind_event

SEED = "hpux1100-32-kalloc-sysmap"  # a narrow kernel on PA-RISC 2.0 processors (PCXU)


def _on_pcxl2() -> dict[str, Any]:
    sc = copy.deepcopy(load_scenario(SCENARIOS_DIR / f"{SEED}.toml"))
    for cpu in sc["processors"]:
        cpu["type"] = "PCXL2"
    return sc


@pytest.fixture(scope="module")
def pcxl2(tmp_path_factory: pytest.TempPathFactory) -> Program:
    out = tmp_path_factory.mktemp("pcxl2")
    Forge(_on_pcxl2()).build(out)
    return Program.open(out)


def test_a_pa11_processor_saves_the_narrow_pim(pcxl2: Program,
                                               forged_dump: Callable[[str], Path]) -> None:
    pcxu = Program.open(forged_dump(SEED))
    for narrow, wide in zip(crash_events(pcxl2), crash_events(pcxu), strict=True):
        assert (pim_member(pcxl2, narrow), pim_member(pcxu, wide)) == ("narrow", "wide")
        n, w = unwind_event(pcxl2, narrow), unwind_event(pcxu, wide)
        assert w.pc_source.startswith("pim.wide.rp_") and w.pc_source.endswith("_hi")
        assert n.pc_source == w.pc_source.replace("pim.wide.", "pim.narrow.").removesuffix("_hi")
        assert n.pc == w.pc
        assert [[(f.sp, f.pc) for f in s.frames] for s in n.segments] == [
            [(f.sp, f.pc) for f in s.frames] for s in w.segments]
        # A 32-bit EIEM in PA-RISC 2.0 numbering: external interrupt 0 stays bit 0.
        assert rpb_state(pcxu, wide).eiem == 0xFFFFFFFF
        assert rpb_state(pcxl2, narrow).eiem == 0xFFFFFFFF << 32
        assert rpb_state(pcxl2, narrow).ipsw == rpb_state(pcxu, wide).ipsw


def test_a_pa11_register_wider_than_32_bits_is_a_scenario_error(tmp_path: Path) -> None:
    sc = _on_pcxl2()
    sc["events"][0]["contexts"][0]["registers"]["eiem"] = 0xFFFFFFFFFFFFFFFF
    with pytest.raises(ScenarioError, match=r"events\[0\].*PCXL2 processor's registers are 32"):
        Forge(sc).build(tmp_path)


def test_a_union_reads_every_member_from_the_same_bytes() -> None:
    pim = registry_for(NARROW).get("union pim")
    assert pim.union and pim.size == registry_for(NARROW).get("struct pim_wide").size
    data = pim.build({"narrow": {"rp_rp": 0x2B01F0, "rp_sp": 0x5E0530}})
    assert len(data) == pim.size
    both = pim.parse(data)
    assert (both.narrow.rp_rp, both.narrow.rp_sp) == (0x2B01F0, 0x5E0530)
    # The wide view of the same bytes: narrow rp_rp (offset 8) is wide rp_gr1_hi's word.
    assert both.wide.rp_gr1_hi == 0x2B01F0
    assert pim.build({}) == bytes(pim.size)
