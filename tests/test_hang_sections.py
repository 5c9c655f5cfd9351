"""crashinfo's sections for hangs: Global Error Counters, IOVA Usage Check, Kernel Patches,
each from what the forge put in the kernel (globals, what-strings), left out when it is not."""

from __future__ import annotations

import copy
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from conftest import SCENARIOS_DIR
from helpers import Shell

from q4py.errors import ScenarioError
from q4py.forge.build import Forge
from q4py.forge.scenario import KERNEL, load_scenario
from q4py.program import Program

ATQ = "hpux1100-64-dpf-atq"
PATCHES = ["PHNE_13417", "PHKL_12965", "PHKL_13431", "PHKL_13552", "PHKL_13810", "PHKL_14088",
           "PHCO_23651"]


def _scenario() -> dict[str, Any]:
    return copy.deepcopy(load_scenario(SCENARIOS_DIR / f"{ATQ}.toml"))


@pytest.fixture(scope="module")
def hang(tmp_path_factory: pytest.TempPathFactory) -> Shell:
    sc = _scenario()
    sc["kernel"]["patches"] = PATCHES
    sc["globals"].update({"scsi_bioerrors": 26, "scsi_bioerrors_logged": 0,
                          "sd_strategy_bioerrors": 6, "sd_epowerf_bioerrors": 17,
                          "iova_total_pages": 65536, "iova_free_pages": 65000})
    out = tmp_path_factory.mktemp("hang")
    Forge(sc).build(out)
    return Shell(Program.open(out))


def test_kernel_patches_five_to_a_line_sorted(hang: Shell) -> None:
    assert hang.run("crashinfo patches") == [
        "\t\t\t==================", "\t\t\t= Kernel Patches =", "\t\t\t==================", "",
        "PHCO_23651\tPHKL_12965\tPHKL_13431\tPHKL_13552\tPHKL_13810\t",
        "PHKL_14088\tPHNE_13417\t", ""]


def test_error_counters_and_their_note(hang: Shell) -> None:
    lines = hang.run("crashinfo errors")
    assert lines[1] == "\t\t= Global Error Counters / kmem_writes ="
    assert lines[4:9] == ["scsi_bioerrors                    = 26",
                          "\tscsi_bioerrors_logged             = 0",
                          "\tsd_strategy_bioerrors             = 6",
                          "\tsd_epowerf_bioerrors              = 17", ""]
    assert lines[9:11] == ["Note:  There are scsi_bioerrors ! For more information go to: ",
                           '"http://wtec.cup.hp.com/~hpux/crash/info/scsi_bioerrors.htm"']


def test_iova_free_share(hang: Shell) -> None:
    assert hang.run("crashinfo iova")[3:] == ["", "", "99% of IOVA still available/free.", ""]


def test_sections_left_out_without_their_data(forged_dump: Callable[[str], Path]) -> None:
    atq = Shell(Program.open(forged_dump(ATQ)))
    for name in ("patches", "errors", "iova"):
        assert atq.run(f"crashinfo {name}") == []


def test_a_bad_patch_name_is_a_scenario_error() -> None:
    with pytest.raises(ScenarioError, match=r"kernel.patches\[0\].*no patch name"):
        KERNEL.validate({"heap": 0x1000000, "patches": ["PHKL-1"]}, "kernel")
