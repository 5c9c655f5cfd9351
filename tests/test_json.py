"""--json (docs/json.md): every document checked against q4py/data/json-schema.json, on every
fixture dump, and its figures against the dump's own bytes."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import jsonschema
import pytest

import q4py
from q4py.cli import main
from q4py.dump import Dump
from q4py.render import load_sections
from q4py.render.jsondoc import json_schema
from tests.conftest import SCENARIOS_DIR
from tests.helpers import Shell

FIXTURES = sorted(p.stem for p in SCENARIOS_DIR.glob("*.toml"))
VALIDATOR = jsonschema.Draft202012Validator(json_schema())


def test_the_schema_is_a_json_schema() -> None:
    jsonschema.Draft202012Validator.check_schema(json_schema())
    assert not VALIDATOR.is_valid({"q4py": 1, "command": "x", "result": {"lines": [1]}})
    assert not VALIDATOR.is_valid({"q4py": 1, "command": "x", "error": "e", "result": {
        "lines": []}})
    assert not VALIDATOR.is_valid({"q4py": 2, "command": "x", "error": "e"})


def _documents(shell: Shell, line: str) -> list[dict[str, Any]]:
    docs = [json.loads(text) for text in shell.run(line)]
    for doc in docs:
        VALIDATOR.validate(doc)
    return docs


@pytest.fixture(scope="module", params=FIXTURES)
def dump(request: pytest.FixtureRequest, forged_dump: Callable[[str], Path]) -> Dump:
    return q4py.open(forged_dump(request.param))


def test_crashinfo_json_on_every_fixture(dump: Dump) -> None:
    shell = Shell(dump.program)
    (doc,) = _documents(shell, "crashinfo --json")
    assert doc["command"] == "crashinfo --json"
    sections = doc["result"]["sections"]
    assert list(sections) == [s.name for s in load_sections()]
    memory = sections["memory"]
    assert memory["freemem"] == int(dump["freemem"])  # a number, from the dump's bytes
    assert sections["general"]["wide"] is dump.wide
    traces = sections["events"]["traces"]
    assert [t["event"]["kind"] for t in traces] == [e.kind for e in dump.crash_events()]
    (kmem,) = _documents(shell, "crashinfo --json kmem")
    assert list(kmem["result"]["sections"]) == ["kmem"]
    assert kmem["result"]["sections"]["kmem"] == sections["kmem"]


def test_print_and_trace_json(dump: Dump) -> None:
    shell = Shell(dump.program)
    assert shell.run("load crash_event_t from &crash_event_table max 2")[0].startswith("loaded")
    (doc,) = _documents(shell, "print --json addrof indexof cet_cpu")
    rows = doc["result"]["rows"]
    table = dump.symbol("crash_event_table").address
    events = list(dump.crash_events())
    assert doc["result"]["count"] == len(rows) == 2
    assert rows[0] == {"addrof": table, "indexof": 0, "cet_cpu": events[0].cpu}
    (trace,) = _documents(shell, "trace --json event 0")
    frames = [f["name"] or hex(f["pc"]) for s in trace["result"]["event"]["segments"]
              for f in s["frames"]]
    assert frames == events[0].frames()
    (pile,) = _documents(shell, "trace --json pile")
    assert pile["result"]["traces"][0]["event"] == trace["result"]["event"]
    for thread in list(dump.threads())[:2]:
        (one,) = _documents(shell, f"trace --json tid {thread.tid}")
        assert one["result"]["thread"]["thread"]["tid"] == thread.tid
    for proc in [p for p in dump.processes() if p.pid][:1]:
        (one,) = _documents(shell, f"trace --json pid {proc.pid}")
        assert one["result"]["process"]["pid"] == proc.pid


def test_json_mode_makes_every_command_one_document(
        forged_dump: Callable[[str], Path]) -> None:
    shell = Shell(q4py.open(forged_dump("hpux1100-32-kalloc-sysmap")).program)
    shell.session.json = True
    assert _documents(shell, "x nproc")[0]["result"] == {"lines": ["0x400"]}
    assert _documents(shell, "keep p_pid >")[0] == {
        "q4py": 1, "command": "keep p_pid >", "error": "no current pile: load something first"}
    assert _documents(shell, "crashinfo memory")[0]["command"] == "crashinfo memory"
    assert _documents(shell, "nonsense")[0]["error"].startswith("unknown command")
    assert shell.run("# a comment") == []


def test_q4_json_c_prints_json_lines(forged_dump: Callable[[str], Path],
                                     capsys: pytest.CaptureFixture[str]) -> None:
    dump = str(forged_dump("hpux1111-64-spinlock-process-lock"))
    status = main(["--json", "-c", "crashinfo memory kmem; trace event 0; x 1 +", dump])
    lines = capsys.readouterr().out.splitlines()
    assert status == 1  # one command failed
    docs = [json.loads(line) for line in lines]
    for doc in docs:
        VALIDATOR.validate(doc)
    assert [d["command"] for d in docs] == ["crashinfo memory kmem", "trace event 0", "x 1 +"]
    assert "error" in docs[2] and "result" in docs[0]
    assert isinstance(docs[0]["result"]["sections"]["memory"]["physmem"], int)


def test_every_section_has_its_schema() -> None:
    defined = json_schema()["$defs"]["crashinfo"]["properties"]["sections"]["properties"]
    missing = [s.name for s in load_sections() if s.name not in defined]
    assert not missing, f"rerun tools/json_schema.py (docs/json.md) for the sections {missing}"


def test_stacks_threads_and_ps_json(dump: Dump) -> None:
    shell = Shell(dump.program)
    (ps,) = _documents(shell, "ps --json")
    rows = ps["result"]["processes"]
    assert [r["pid"] for r in rows] == [p.pid for p in dump.processes()]
    threads = list(dump.threads())
    if not threads:  # a kernel without a thread table: one line, as in text
        assert shell.run("stacks --json")[0].startswith("q4: stacks: this kernel has no")
        return
    (listed,) = _documents(shell, "threads --json")
    assert sorted(r["tid"] for r in listed["result"]["threads"]) == sorted(
        t.tid for t in threads)
    (stacks,) = _documents(shell, "stacks --json")
    groups = stacks["result"]["stacks"]
    assert sum(len(g["tids"]) for g in groups) == len(threads)
