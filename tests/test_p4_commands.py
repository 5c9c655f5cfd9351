"""p4's commands of the hang reports on a dump built for them: Mount and Bdf (bdf's arithmetic,
long names, a looping vfs list), grep over saved output, hpa2cpu, Lpmc, Kthread/pview,
ProcInfo, SystemInfo and Lock_t, with their errors. The report formats themselves are checked
by the hang transcripts in fixtures/transcripts/."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from helpers import Shell, poke

from q4py.commands.grep import basic_to_python
from q4py.forge.build import Forge
from q4py.forge.scenario import load_scenario
from q4py.program import Program

SCENARIOS = Path(__file__).resolve().parent.parent / "fixtures" / "scenarios"
EXTRA = """
[[mounts]]
special = "/dev/root"
on = "/"
type = "vxfs"
dev = 0x40000003
kbytes = 614400
free = 182242
avail = 170900

[[mounts]]
special = "nmsdb:/d/bufds/pm/meas"
on = "/d/pm/meas"
type = "nfs3"
dev = 0xff000001

[[mounts]]
special = "/dev/vg00/lvol1"
on = "/stand"
type = "hfs"
dev = 0x40000001
kbytes = 67733
free = 38798
avail = 32024

[[lpmc]]
cpu = 1
ticks = 1000
type = "tlb"
count = 2
check_summary = 0x1234
"""


@pytest.fixture(scope="module")
def dump(tmp_path_factory: pytest.TempPathFactory) -> Path:
    base = tmp_path_factory.mktemp("p4")
    text = (SCENARIOS / "hpux1111-64-spinlock-process-lock.toml").read_text() + EXTRA
    (base / "p4.toml").write_text(text)
    Forge(load_scenario(base / "p4.toml")).build(base / "dump")
    return base / "dump"


@pytest.fixture(scope="module")
def shell(dump: Path) -> Shell:
    return Shell(Program.open(dump))


def test_mount_lists_the_vfs_chain(shell: Shell) -> None:
    lines = shell.run("Mount")
    assert lines[0] == ("Dev_t      Devicefile                 Mount point              "
                        "Type struct vfs")
    assert [line.split()[:4] for line in lines[1:]] == [
        ["0x40000003", "/dev/root", "/", "vxfs"],
        ["0xff000001", "nmsdb:/d/bufds/pm/meas", "/d/pm/meas", "nfs3"],
        ["0x40000001", "/dev/vg00/lvol1", "/stand", "hfs"]]
    assert lines[3].startswith("0x40000001 /dev/vg00/lvol1            /stand              "
                               "      hfs 0x")


def test_bdf_derives_used_and_percent(shell: Shell) -> None:
    assert shell.run("Bdf") == [
        "Filesystem           kbytes     used    avail %used Mounted on",
        "/dev/root            614400   432158   170900   72% /",
        "nmsdb:/d/bufds/pm/meas",  # longer than the column: a line of its own
        "                          0        0        0    0% /d/pm/meas",
        "/dev/vg00/lvol1       67733    28935    32024   47% /stand",
    ]


def test_a_looping_vfs_list_ends_in_one_line(dump: Path, tmp_path: Path) -> None:
    copy = tmp_path / "dump"
    shutil.copytree(dump, copy)
    prog = Program.open(copy)
    first = prog.read_global("rootvfs")
    second = prog.read_struct("struct vfs", first).vfs_next
    poke(copy, second, first.to_bytes(8, "big"))  # the second vfs points back at the first
    lines = Shell(Program.open(copy)).run("Bdf")
    # The heading, the two file systems read (the NFS one on two lines), then why it stopped.
    assert len(lines) == 5 and lines[-2].endswith("/d/pm/meas")
    assert lines[-1] == f"q4: vfs list loops back to {first:#x}"


def test_mount_without_a_mount_list(forged_dump) -> None:
    shell = Shell(Program.open(forged_dump("hpux1100-32-kalloc-sysmap")))
    assert shell.run("Mount") == ["q4: Mount: this kernel has no mount list (no rootvfs)"]
    assert shell.run("Bdf now") == ["q4: usage: Bdf"]


def test_grep_basic_and_extended(shell: Shell, tmp_path: Path) -> None:
    saved = tmp_path / "saved.txt"
    saved.write_text("nfs3_lookup(0x2c03800)\nselwait\na|b literal\nSELWAIT\n")
    assert shell.run(f"grep nfs3 {saved}") == ["nfs3_lookup(0x2c03800)"]
    assert shell.run(f"grep 'a|b' {saved}") == ["a|b literal"]  # | is plain without -E
    assert shell.run(f'grep -E "nfs3|^sel" {saved}') == ["nfs3_lookup(0x2c03800)", "selwait"]
    assert shell.run(f"grep -iv 'selwait\\|nfs' {saved}") == ["a|b literal"]
    assert shell.run(f"grep x {tmp_path}/none.txt") == [
        f"q4: grep: {tmp_path}/none.txt: No such file or directory"]
    assert shell.run("grep -q x f") == [
        "q4: grep: unknown flag '-q' (usage: grep [-E] [-i] [-v] PATTERN FILE ...)"]
    assert shell.run(f"grep -E '(' {saved}")[0].startswith("q4: grep: bad pattern '(':")
    assert basic_to_python(r"a\|b+") == r"a|b\+"


def test_hpa2cpu(shell: Shell) -> None:
    assert shell.run("hpa2cpu 0xfffa2000") == ["cpu                hpa",
                                               "  1 0xfffffffffffa2000"]
    assert shell.run("hpa2cpu")[1:] == ["  0 0xfffffffffffa0000", "  1 0xfffffffffffa2000"]
    assert shell.run("hpa2cpu 0x1234") == ["q4: hpa2cpu: no processor has HPA 0x1234"]


def test_lpmc(shell: Shell, forged_dump) -> None:
    lines = shell.run("Lpmc")
    assert lines[0] == "LPMC log : 1 entry"
    lbolt = 44301785 - 1000
    assert lines[2] == (f"  1 TLB         2  {lbolt:#010x} (1000)      0x0000000000001234  "
                        "0x0000000000000000  0x0000000000000000")
    other = Shell(Program.open(forged_dump("hpux1100-32-kalloc-sysmap")))
    assert other.run("Lpmc") == ["q4: Lpmc: this kernel keeps no LPMC log (no lpmc_log)"]


def test_kthread_and_pview(shell: Shell) -> None:
    assert shell.run("pview -V")[0].startswith("q4: ")  # nothing loaded yet
    assert shell.run("Kthread -t 14730") == ["Loaded 1 kthread_t entries in 'DefaultView'"]
    header, row = shell.run("pview -V")
    assert header.split() == ["Kthread", "tid", "pri", "spu", "grp", "bind", "kt_stat",
                              "lastrun", "pid", "comm", "syscall", "kt_wchan"]
    assert row.split()[1:] == ["14730", "223", "0", "-1", "no", "TSRUNPROC", "6025", "11232",
                               "java", "n/a", "0"]
    assert shell.run("Kthread -t 99999") == ["q4: Kthread: no thread with tid 99999"]
    assert shell.run("Kthread -p 11232")[0].startswith("Loaded ")
    assert shell.run("Kthread 5") == ["q4: usage: Kthread -t TID | Kthread -p PID"]
    shell.run("load struct mpinfo from mpproc_info max 1")
    assert "not kthreads" in shell.run("pview -V")[0]


def test_procinfo_and_systeminfo(shell: Shell) -> None:
    lines = shell.run("ProcInfo 1")
    assert lines[3].split()[:2] == ["1", "0xfffffffffffa2000"]
    assert shell.run("ProcInfo 7") == ["q4: ProcInfo: no processor 7 (there are 2)"]
    info = shell.run("SystemInfo")
    assert "CPU type         :  PCX-W+ (750 Mhz)" in info
    assert "Number of threads in TSZOMB  state = 1" in info
    assert info[-1] == "cpu[  1]  :  SPUSTATE_SYSTEM    SPU_ENABLED        PROC_CONFIGED"


def test_lock_t_of_an_11i_lock(shell: Shell) -> None:
    lines = shell.run("Lock_t 0x57849500")
    assert lines[:3] == ["0x57849500", "0x57849500 :", "0x57849500 lock_t {"]
    assert lines[5] == ("0x57849510   char    *sl_name_ptr;       0x00000000_00944c70  "
                        "(\"process lock\")")
    assert shell.run("Lock_t")[0] == "q4: usage: Lock_t ADDR"


FIXTURES = sorted(p.stem for p in SCENARIOS.glob("*.toml"))


@pytest.mark.parametrize("name", FIXTURES)
def test_the_p4_commands_work_on_every_fixture(forged_dump, name: str) -> None:
    # The panics' dumps too: each command answers, or says in one line what the dump lacks.
    prog = Program.open(forged_dump(name))
    shell = Shell(prog)
    info = shell.run("SystemInfo")
    assert info[0].startswith("System Name      :  ") and "Processor states:" in info
    assert shell.run("ProcInfo 0")[3].split()[0] == "0"
    assert shell.run("hpa2cpu")[1].split()[0] == "0"
    tids = [line.split()[1] for line in shell.run("threads")[1:] if line.split()[1:2]]
    if tids and tids[0].isdigit():
        assert shell.run(f"Kthread -t {tids[0]}")[0].startswith("Loaded ")
        assert len(shell.run("pview -V")) >= 2
    for command in ("Mount", "Bdf", "Lpmc"):
        lines = shell.run(command)
        assert lines and not any("internal error" in line for line in lines), (command, lines)
        assert len(lines) > 1 or lines[0].startswith(f"q4: {command}: this kernel")
