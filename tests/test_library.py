"""The library (q4py.open, q4py.dump): the worked example of docs/library.md run as it is
written, and the API on every fixture dump."""

from __future__ import annotations

import doctest
import json
import re
from collections.abc import Callable
from pathlib import Path

import pytest

import q4py
from q4py.analyses.catalog import ANALYSES
from q4py.dump import Dump, Object
from q4py.errors import Q4Error
from q4py.render import load_sections
from tests.conftest import REPO_ROOT, SCENARIOS_DIR

FIXTURES = sorted(p.stem for p in SCENARIOS_DIR.glob("*.toml"))
SEED = "hpux1100-32-kalloc-sysmap"


def _pycon_blocks(text: str) -> str:
    return "\n".join(re.findall(r"```pycon\n(.*?)```", text, flags=re.S))


def test_the_worked_example_of_docs_library_runs(forged_dump: Callable[[str], Path]) -> None:
    text = (REPO_ROOT / "docs" / "library.md").read_text(encoding="utf-8")
    source = _pycon_blocks(text)
    assert source.count(">>>") > 20
    test = doctest.DocTestParser().get_doctest(
        source, {"CRASHDIR": str(forged_dump(SEED))}, "docs/library.md", "docs/library.md", 0)
    runner = doctest.DocTestRunner(optionflags=doctest.NORMALIZE_WHITESPACE)
    report: list[str] = []
    runner.run(test, out=report.append)
    assert runner.failures == 0, "".join(report)


@pytest.fixture(scope="module", params=FIXTURES)
def dump(request: pytest.FixtureRequest, forged_dump: Callable[[str], Path]) -> Dump:
    return q4py.open(forged_dump(request.param))


def test_globals_are_typed_objects(dump: Dump) -> None:
    freemem = dump["freemem"]
    assert isinstance(freemem, Object) and freemem.type_ == "int"
    raw = dump.read(dump.symbol("freemem").address, 4)
    assert int(freemem) == int.from_bytes(raw, "big", signed=True)
    assert repr(freemem) == (f"Object('int', address={dump.symbol('freemem').address:#x}, "
                             f"value={int(freemem)})")
    assert dump.symbol(dump.symbol("freemem").address + 2).name == "freemem"
    with pytest.raises(Q4Error, match="function"):
        dump.object("panic")


def test_processes_agree_with_their_structures(dump: Dump) -> None:
    procs = list(dump.processes())
    # The same table User Memory Usage reads (some scenarios describe no processes).
    assert len(procs) >= len(dump.analyze("user"))
    assert not procs or procs[0].pid == 0
    for proc in procs[:5]:
        struct = proc.struct()
        assert int(struct.p_pid) == proc.pid
        assert int(struct.p_vas.va_rss) == proc.rss  # through a pointer, as C's ->
        assert repr(proc).startswith(f"Process(pid={proc.pid}, command={proc.command!r}, "
                                     f"address={proc.address:#x}")
        assert json.loads(json.dumps(proc.plain()))["pid"] == proc.pid


def test_threads_and_events_on_every_release(dump: Dump) -> None:
    for thread in dump.threads():
        assert int(thread.struct().kt_tid) == thread.tid
    events = list(dump.crash_events())
    assert events and events[0].index == 0
    frames = events[0].frames()
    assert frames and all(isinstance(f, str) for f in frames)


def test_every_analysis_is_plain_data(dump: Dump) -> None:
    for name in dump.analyses():
        try:
            plain = dump.analyze(name, plain=True)
        except Q4Error:
            continue  # a section this dump cannot give (crashinfo prints one line instead)
        json.dumps(plain)  # a TypeError for anything JSON cannot hold


def test_every_crashinfo_section_has_its_analysis() -> None:
    missing = [s.name for s in load_sections() if s.name not in ANALYSES]
    assert not missing, f"add these sections' analyses to q4py/analyses/catalog.py: {missing}"


def test_objects_index_dereference_and_compare(forged_dump: Callable[[str], Path]) -> None:
    dump = q4py.open(forged_dump(SEED))
    table = dump["proc"]
    assert table[1].address_ == table.value_() + dump.sizeof("struct proc")
    assert table.deref_().address_ == table.value_()
    assert table.p_pid.address_ == table.deref_().p_pid.address_  # `->` on a pointer
    uts = dump["utsname"]
    assert uts.sysname.value_() == "HP-UX" and str(uts.sysname) == "HP-UX"
    assert uts.sysname[0].value_() == ord("H")
    assert uts.sysname == "HP-UX"
    assert "p_pid" in dir(table)
    with pytest.raises(IndexError):
        uts.sysname[len(uts.sysname)]
    with pytest.raises(AttributeError):
        _ = uts.no_such_member
    null = dump.struct("struct proc", table.value_()).p_link  # swapper's p_link is NULL
    assert null.value_() == 0
    with pytest.raises(Q4Error, match="NULL"):
        null.deref_()
    assert str(dump.struct("struct proc", table.value_())).startswith(
        f"0x{table.value_():08x} struct proc {{")


def test_scripts_get_char_arrays_as_text(forged_dump: Callable[[str], Path]) -> None:
    from q4py.scripting import Q4Script
    from tests.helpers import Shell

    shell = Shell(q4py.open(forged_dump("hpux1111-64-spinlock-process-lock")).program)
    assert shell.run("load struct proc from proc_list next p_factp max 20")[0].startswith(
        "loaded ")
    q4 = Q4Script(shell.session, "test")
    item = shell.session.piles.current.items[1]
    assert isinstance(item.value.p_comm, bytes)  # what the decoded structure holds
    name = q4.struct(item).p_comm.value_()
    assert name == q4.text(item.value.p_comm) and name == "init"
    assert q4.dump.struct("struct proc", item.address).p_pid.value_() == item.value.p_pid
