"""crashinfo's sections for hangs: Global Error Counters, IOVA Usage Check, Kernel Patches,
each from what the forge put in the kernel (globals, what-strings), left out when it is not."""

from __future__ import annotations

import copy
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from conftest import SCENARIOS_DIR
from helpers import Shell, forged_program

from q4py.errors import ScenarioError
from q4py.forge.build import Forge
from q4py.forge.scenario import KERNEL, SCENARIO, load_scenario
from q4py.kernel.patches import kernel_patches
from q4py.program import Program
from q4py.vmunix.model import Symbol

ATQ = "hpux1100-64-dpf-atq"
PATCHES = ["PHNE_13417", "PHKL_12965", "PHKL_13431", "PHKL_13552", "PHKL_13810", "PHKL_14088",
           "PHCO_23651"]


def _scenario() -> dict[str, Any]:
    return copy.deepcopy(load_scenario(SCENARIOS_DIR / f"{ATQ}.toml"))


def _unvalidated(sc: dict[str, Any]) -> dict[str, Any]:
    """The scenario as TOML would give it again: no keys left at None by validation."""
    if isinstance(sc, dict):
        return {k: _unvalidated(v) for k, v in sc.items() if v is not None}
    if isinstance(sc, list):
        return [_unvalidated(v) for v in sc]
    return sc


@pytest.fixture(scope="module")
def hang(tmp_path_factory: pytest.TempPathFactory) -> Shell:
    sc = _scenario()
    sc["kernel"]["patches"] = PATCHES
    sc["globals"].update({"scsi_bioerrors": 26, "scsi_bioerrors_logged": 0,
                          "sd_strategy_bioerrors": 6, "sd_epowerf_bioerrors": 17,
                          "iova_total_pages": 65536, "iova_free_pages": 65000})
    # Three threads of process 2388 sleep on shm_lock, the first of them holding vmtotal_lock,
    # on which a fourth sleeps.
    sc["threads"] += [
        {"pid": 2388, "tid": 5000, "count": 3, "wchan": "shm_lock", "caller": "shmget+0x44",
         "ticks": [300, 100], "pri": 154, "spu": 1, "cpu": 3},
        {"pid": 2388, "tid": 5100, "wchan": "vmtotal_lock", "caller": "vmtotal+0x38",
         "ticks": [50]}]
    sc["beta_semas"] = [{"name": "vmtotal_lock", "owner_tid": 5000}, {"name": "shm_lock"}]
    # Processor 1 was TOCed with a clock tick and a trap signal pending.
    sc["events"][1]["contexts"][0]["registers"]["eirr"] = 0x0800000100000000
    sc["interrupts"] = [{"bit": 4, "handler": "clock_int", "spl": 0xC600000000000000},
                        {"bit": 31, "handler": "take_a_trap", "spl": 0xFFFFFFF0FFFFFFFF}]
    sc["network"] = [
        {"name": "clic1", "ppa": 1, "driver": "clic", "description": "Hyperfabric",
         "link_up": False},
        {"name": "lan3", "ppa": 3, "driver": "btlan", "description": "100BT 4 port / 11i",
         "mac": 0x00306E4A04CF, "ip": [{"address": "0.0.0.0", "up": False}]},
        {"name": "lan5", "ppa": 5, "driver": "igelan", "description": "Gigabit",
         "mac": 0x00306E49A768, "ip": [{"address": "10.6.250.13"}, {"address": "10.6.250.162"}]}]
    sc = SCENARIO.validate(_unvalidated(sc), "")
    out = tmp_path_factory.mktemp("hang")
    Forge(sc).build(out)
    return Shell(Program.open(out))


def test_kernel_patches_five_to_a_line_sorted(hang: Shell) -> None:
    assert hang.run("crashinfo patches") == [
        "\t\t\t==================", "\t\t\t= Kernel Patches =", "\t\t\t==================", "",
        "PHCO_23651\tPHKL_12965\tPHKL_13431\tPHKL_13552\tPHKL_13810\t",
        "PHKL_14088\tPHNE_13417\t", ""]


class _TwoDataPages:
    """Just what kernel_patches asks of a Program: one data object over two dumped pages, a
    what-string crossing from the first into the second."""

    def __init__(self) -> None:
        self.pages = bytearray(0x2000)
        raw = b"@(#) PATCH_11.11: PHKL_23196\0"
        start = 0x1000 - len(b"@(#) PATCH_11.11: PHKL_2")  # the page ends after "PHKL_2"
        self.pages[start:start + len(raw)] = raw

    def symbols(self) -> list[Symbol]:
        return [Symbol("what_PHKL_23196", 0x100000, 0x2000, "object")]

    def dumped_pfns(self) -> Iterator[int]:
        return iter([0x100, 0x101])

    def read(self, address: int, size: int) -> bytes:
        return bytes(self.pages[address - 0x100000:address - 0x100000 + size])


def test_a_what_string_across_a_page_boundary_is_read_whole() -> None:
    assert kernel_patches(_TwoDataPages()) == ["PHKL_23196"]  # type: ignore[arg-type]


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
    full = atq.run("crashinfo")
    for name in ("patches", "errors", "iova", "semaphores", "network"):
        # named, it says in one line that it has nothing to print; a full run leaves it out
        assert atq.run(f"crashinfo {name}") == [
            f"crashinfo: {name}: nothing to print in this dump (a full run leaves the section "
            "out; docs/crashinfo.md says when)"]
        assert not any(line.startswith(f"crashinfo: {name}:") for line in full)


def test_a_bad_patch_name_is_a_scenario_error() -> None:
    with pytest.raises(ScenarioError, match=r"kernel.patches\[0\].*no patch name"):
        KERNEL.validate({"heap": 0x1000000, "patches": ["PHKL-1"]}, "kernel")


def test_threads_waiting_on_beta_semaphores(hang: Shell) -> None:
    lines = hang.run("crashinfo semaphores")
    assert lines[:12] == [
        "\t\t\t=========================", "\t\t\t= Beta Semaphore Checks =",
        "\t\t\t=========================", "", "",
        "Note: We have threads waiting on beta semaphores !", "",
        "Threads waiting on Beta Semaphores", "==================================", "",
        "                TICKS", "WAITING OWNER   SINCE"]
    rows = [line.split() for line in lines[14:-1]]
    shm = hang.session.program.symbol("shm_lock").address
    vmtotal = hang.session.program.symbol("vmtotal_lock").address
    # CPU: kt_cpu (3), not the processor (1); PRI: the sleep's priority word, 0x200 over kt_pri
    # 154.
    assert rows == [
        ["5000", "-1", "300", "3", "666", f"{shm:#x}", "shmget+0x44"],
        ["5001", "-1", "200", "3", "666", f"{shm:#x}", "shmget+0x44"],
        ["5002", "-1", "100", "3", "666", f"{shm:#x}", "shmget+0x44"],
        [*rows[3][:1], "5000", "50", *rows[3][3:5], f"{vmtotal:#x}", "vmtotal+0x38"]]
    assert rows[3][0] == "5100"


def test_a_beta_semaphore_waiter_has_no_kt_wchan(hang: Shell) -> None:
    """p4 shows such a waiter's kt_wchan as 0 and its kt_pri as it is; crashinfo still counts
    it on the semaphore."""
    hang.run("Kthread -t 5001")
    row = hang.run("pview -V")[1].split()
    assert (row[1], row[2], row[-1]) == ("5001", "154", "0")
    assert "shm_lock" in [line.split()[0] for line in hang.run("crashinfo threads")
                          if line.startswith("shm_lock ")]


def test_outstanding_external_interrupts(hang: Shell) -> None:
    assert "Outstanding external interrupts" not in hang.run("crashinfo --style plain processors")
    lines = hang.run("crashinfo --style 3.5 processors")
    at = lines.index("Outstanding external interrupts")
    assert lines[at:at + 8] == [
        "Outstanding external interrupts", "===============================", "",
        "    eirr", "cpu bit  SPL                Handler SPL        Handler",
        "--- ---- --------           -----------        -------",
        "1   4    SPLNOPREEMPT       SPL6/SPINLOCK_EIEM clock_int",
        "1   31   SPLNOPREEMPT       SPLNOPREEMPT       take_a_trap"]
    assert lines[at + 8:at + 10] == ["", "Trap Types :"]  # the table comes first
    short = hang.run("crashinfo --style short-spl processors")
    at = short.index("Outstanding external interrupts")
    assert short[at + 4:at + 7] == ["cpu bit  SPL      Handler SPL Handler",
                                    "--- ---- -------- ----------- -------",
                                    "1   4    SPLSCHED SPLSYS      clock_int"]


def test_no_pending_interrupt_no_table(forged_dump: Callable[[str], Path]) -> None:
    atq = Shell(Program.open(forged_dump(ATQ)))
    assert "Outstanding external interrupts" not in atq.run("crashinfo processors")


def test_network_interfaces(hang: Shell) -> None:
    # The rows as hpux1111-64-hang-vhand-superpages prints these interfaces.
    lines = [line.rstrip() for line in hang.run("crashinfo network")]
    assert lines[1] == "\t\t\t= Network Interfaces ="
    assert lines[4:15] == [
        "Name   PPA   Driver      Interface           Mac       States       IP",
        "              Name      Description        Address    Link IP     Address",
        "-" * 80,
        "clic1   1    clic    Hyperfabric        0x000000000000 DOWN n/c  n/c",
        "lan3    3    btlan   100BT 4 port / 11i 0x00306e4a04cf UP   DOWN 0.0.0.0",
        "lan5    5    igelan  Gigabit            0x00306e49a768 UP   UP   10.6.250.13",
        " " * 60 + "UP   10.6.250.162", "",
        'n/c : means "Not Configured", ifconfig has not been done on this interface', "", ""]
    assert lines[15:] == ['If you want more information, you can use : "lanshow -f"', ""]


def test_a_bad_ip_address_is_a_scenario_error() -> None:
    sc = _unvalidated(_scenario())
    sc["network"] = [{"name": "lan0", "ppa": 0, "driver": "btlan", "ip": [{"address": "10.1"}]}]
    with pytest.raises(ScenarioError, match=r"network\[0\].ip\[0\].address.*no IPv4"):
        SCENARIO.validate(sc, "")


def test_disabled_processors_and_vpars_notes(forged_dump: Callable[[str], Path]) -> None:
    from q4py.analyses.events import analyze_events
    from q4py.render.events import disabled_notes

    prog = Program.open(forged_dump("hpux1111-64-hang-vhand-superpages"))
    report = analyze_events(prog)
    assert report.vpars and report.disabled == list(range(7, 15))
    lines = disabled_notes(report)
    assert lines[:5] == ["", "Note: We have 8 disabled cpus !",
                         "As this is a vpars system you should not get a crash event",
                         "for the disabled cpus.", ""]
    assert lines[-3:] == ["", "Note: CPU 14 is disabled", ""]
    report.vpars = False  # a machine with processors deconfigured, not a partition
    assert disabled_notes(report)[:3] == ["", "Note: We have 8 disabled cpus !", ""]
    report.disabled = []
    assert disabled_notes(report) == []


def test_arenas_or_buckets_not_both() -> None:
    sc = _scenario()
    sc["pages"]["arenas"] = {"M_TEMP": 10}
    sc["pages"]["user"] = -1
    with pytest.raises(ScenarioError, match="pages.arenas"):
        Forge(SCENARIO.validate(_unvalidated(sc), "")).build(Path("/nonexistent-q4py-out"))


def test_arenas_counted_and_a_garbled_count_is_one_line(tmp_path: Path) -> None:
    from helpers import poke

    sc = _scenario()
    sc["pages"]["buckets"] = {}
    sc["pages"]["arenas"] = {"M_TEMP": 300, "M_SPINLOCK": 20, "FD_CHUNK_T_ARENA": 45}
    sc["pages"]["user"] = -1  # the rest
    prog = forged_program(_unvalidated(sc), tmp_path / "arenas")
    lines = Shell(prog).run("crashinfo kmem")
    at = lines.index("  Arenas            =      365    1.4m   0%  Kernel arenas")
    assert lines[at + 1:at + 5] == ["    M_TEMP          =      300    1.2m   0%  ",
                                    "    FD_CHUNK_T_AREN =       45  180.0k   0%  ",
                                    "    M_SPINLOCK      =       20   80.0k   0%  ",
                                    "    Other           =        0    0.0k   0%  Other arenas..."]
    poke(tmp_path / "arenas", prog.symbol("nkmem_arenas").address,
         (0x7FFFFFFF).to_bytes(4, "big"))
    # The pages still count, by index; one line says why the arenas have no names.
    garbled = Shell(Program.open(tmp_path / "arenas")).run("crashinfo kmem")
    assert garbled[:at + 1] == lines[:at + 1]
    assert [row.split()[0] for row in garbled[at + 1:at + 5]] == [
        "arena[0]", "arena[2]", "arena[1]", "Other"]
    assert garbled[at + 5] == ("Can't name the arenas: nkmem_arenas = 2147483647 is more "
                               "arenas than a page can name (pf_ksub holds 65536)")
    assert garbled[at + 6:] == lines[at + 5:]
