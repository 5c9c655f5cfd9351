"""Wait channels named as crashinfo named them, each from the object the forge built where the
thread sleeps: System V semaphores and message queues, stream heads, sockets, FIFOs, busy bufs
and terminals (hpux1111-64-hang-vhand-superpages; hpux1100-32-hang-nfs-swap-p4 names the same
kinds, and a terminal)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from conftest import SCENARIOS_DIR

from q4py.errors import ScenarioError
from q4py.forge.build import Forge
from q4py.forge.scenario import PROCESS, SCENARIO, tomllib
from q4py.forge.thread_tables import expand_thread_tables
from q4py.kernel.threads import WaitChannelNamer, threads
from q4py.program import Program

C8XX = "hpux1111-64-unaligned-c8xx"  # a small 11i kernel


def _group(tid: int, wchan: str, caller: str, **more: Any) -> dict[str, Any]:
    return {"pid": 1, "tid": tid, "wchan": wchan, "caller": caller, **more}


GROUPS = [
    _group(100, "sema[28][18]+0x4", "semop"),
    _group(101, "sema[2][1]+0x4", "semop"),
    _group(102, "__sem+0x11e4", "semop"),  # a kernel symbol is named before a set
    _group(103, "msgque[0]+0x5c", "msgrcv"),
    _group(104, "stream:0x2fbe7100", "hpstreams_read_int"),
    _group(105, "socket:0x3006ea00", "streams_getmsg"),
    _group(106, "fifo:0x3335d240", "fifo_rdwr"),
    # A STREAMS reader whose channel is no stream head keeps its caller's name.
    _group(107, "0x2fbe7100", "fifo_rdwr"),
    _group(108, "buf", "lock_read", buf_device={"major": 64, "minor": 0x080054}),
    _group(109, "SD$#var#tmp#ucAAAAAAa26803", "lock_read"),
    _group(110, "0x3a000040", "lock_read"),  # no busy buf there
    _group(111, "tty:0x00000000", "ttread"),  # the console
    _group(112, "tty:0x1f000100", "ttread"),
    _group(113, "0x5a000080", "ttread"),  # no open terminal there
]
NAMES = {100: "sema[28][18]+0x4", 101: "sema[2][1]+0x4", 102: "__sem+0x11e4",
         103: "msgque[0]+0x5c", 104: "STREAM 0x2fbe7100", 105: "SOCKET 0x3006ea00",
         106: "FIFO 0x3335d240", 107: "fifo_rdwr(0x2fbe7100)", 108: "LVM vg08/lv84",
         109: "SD$#var#tmp#ucAAAAAAa26803", 110: "lock_read(0x3a000040)",
         111: "DEVICE 0x00000000", 112: "DEVICE 0x1f000100", 113: "ttread(0x5a000080)"}


def _scenario(groups: list[dict[str, Any]]) -> dict[str, Any]:
    raw = tomllib.loads((SCENARIOS_DIR / f"{C8XX}.toml").read_text())
    return {**raw, "threads": [*raw.get("threads", []), *groups]}


@pytest.fixture(scope="module")
def forged(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("wchans")
    Forge(SCENARIO.validate(_scenario(GROUPS), "")).build(Path(out))
    return Path(out)


def _names(prog: Program) -> dict[int, str]:
    namer = WaitChannelNamer(prog)
    return {t.tid: namer.name(t) for t in threads(prog) if t.tid in NAMES}


def test_each_kind_of_channel_is_named_from_what_is_there(forged: Path) -> None:
    assert _names(Program.open(forged)) == NAMES


def test_a_garbled_semaphore_table_size_names_the_sets_the_dump_holds(forged: Path) -> None:
    prog = Program.open(forged)
    real = prog.read_global

    def garbled(name: str) -> Any:
        return 1 << 40 if name == "semmni" else real(name)

    prog.read_global = garbled  # type: ignore[method-assign]
    assert _names(prog) == NAMES


@pytest.mark.parametrize("wchan", ["sema[1]+0x4", "stream:6fbe7100", "msgque[0][1]",
                                   "fifo:0xzz", "tty:"])
def test_a_malformed_channel_is_a_scenario_error(wchan: str) -> None:
    with pytest.raises(ScenarioError, match=r"threads\[\d+\]\.wchan.*not a wait channel"):
        SCENARIO.validate(_scenario([_group(100, wchan, "semop")]), "")


def test_a_thread_table_row_without_a_process() -> None:
    sc = _scenario([])
    sc["thread_tables"] = [{"columns": ["tid", "pid", "ppid", "command", "wchan"],
                            "rows": "500 none 0 - selwait\n501 1 0 - selwait\n"}]
    groups = expand_thread_tables(SCENARIO.validate(sc, ""), PROCESS)["threads"]
    lone, init = groups[-2:]
    assert (lone["tid"], lone["pid"], lone["no_process"]) == (500, 0, True)
    assert (init["tid"], init["pid"], init["no_process"]) == (501, 1, False)
