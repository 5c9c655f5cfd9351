"""The forge: the scenario schema (unknown keys and bad values named by their key path), the
semantic checks of the builder, what a valid build writes, the `q4-forge` CLI, the compressed
variant, and docs/scenario-format.md kept in step with the schema."""

from __future__ import annotations

import re
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from conftest import REPO_ROOT, SCENARIOS_DIR
from helpers import small_seed_raw

from q4py.crashdir import CrashDir
from q4py.errors import ScenarioError
from q4py.forge import forge_crashdir
from q4py.forge.build import Forge
from q4py.forge.cli import main as forge_main
from q4py.forge.scenario import SCENARIO, load_scenario
from q4py.forge.schema import List, MapOf, Table, walk_keys
from q4py.kernel.events import crash_events
from q4py.kernel.procs import process_table
from q4py.kernel.threads import thread_by_tid
from q4py.program import Program
from q4py.unwind import unwind_event, unwind_thread

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib

SEED = "hpux1100-32-kalloc-sysmap"
SEED_PATH = SCENARIOS_DIR / f"{SEED}.toml"
SCENARIO_DOC = REPO_ROOT / "docs" / "scenario-format.md"


@pytest.fixture(scope="module")
def seed_raw() -> dict[str, Any]:
    """The seed scenario as TOML gives it (not validated: tests add mistakes to it)."""
    return tomllib.loads(SEED_PATH.read_text(encoding="utf-8"))


@pytest.fixture
def small() -> dict[str, Any]:
    """The seed shrunk to forge in milliseconds; a fresh copy per test, to modify."""
    return small_seed_raw()


def forge(raw: dict[str, Any], outdir: Path) -> None:
    """Validate like load_scenario, then build: the whole path a scenario file takes."""
    Forge(SCENARIO.validate(raw, "")).build(outdir)


def rejects(raw: dict[str, Any], outdir: Path, path: str, problem: str = "") -> str:
    """Forging `raw` fails with a ScenarioError for key `path`; returns the message."""
    with pytest.raises(ScenarioError) as info:
        forge(raw, outdir)
    message = str(info.value)
    assert info.value.key_path == path, message
    assert message.startswith(f"{path}: "), message
    assert "\n" not in message
    if problem:
        assert re.search(problem, message), message
    return message


def test_small_variant_forges(small: dict[str, Any], tmp_path: Path) -> None:
    """The base of the error tests is itself valid, so each error below has one cause."""
    forge(small, tmp_path)
    prog = Program.open(tmp_path)
    assert [e.kind for e in crash_events(prog)] == ["PANIC", "PANIC"]


# -- schema: unknown keys, types, choices -------------------------------------------------------
def test_unknown_key_with_hint(small: dict[str, Any], tmp_path: Path) -> None:
    small["system"]["widht"] = small["system"].pop("width")
    message = rejects(small, tmp_path, "system.widht", "unknown key")
    assert "did you mean 'width'" in message


def test_unknown_key_without_hint(small: dict[str, Any], tmp_path: Path) -> None:
    small["system"]["zzzzzz"] = 1
    message = rejects(small, tmp_path, "system.zzzzzz", "unknown key")
    assert "did you mean" not in message


def test_unknown_top_level_table(small: dict[str, Any], tmp_path: Path) -> None:
    small["proceses"] = []
    rejects(small, tmp_path, "proceses", r"did you mean 'process(es|_groups)'")


def test_unknown_key_deep_in_a_list(small: dict[str, Any], tmp_path: Path) -> None:
    small["events"][1]["contexts"][0]["trapp"] = 18
    rejects(small, tmp_path, "events[1].contexts[0].trapp", "did you mean 'trap'")


@pytest.mark.parametrize(("value", "problem"), [
    ("18", "expected an integer, got str"),
    (-5, "below the minimum -1"),
    (True, "expected an integer, got bool"),
    (1.5, "expected an integer, got float"),
])
def test_bad_trap_value(small: dict[str, Any], tmp_path: Path, value: Any, problem: str) -> None:
    small["events"][1]["contexts"][0]["trap"] = value
    rejects(small, tmp_path, "events[1].contexts[0].trap", problem)


@pytest.mark.parametrize(("where", "value", "path", "problem"), [
    (("system", "memory_pages"), "lots", "system.memory_pages", "expected an integer, got str"),
    (("system", "memory_pages"), 100, "system.memory_pages", "below the minimum 256"),
    (("system", "width"), "medium", "system.width", "'medium' is not one of narrow, wide"),
    (("system", "dump_time"), "28/06/2004", "system.dump_time", "is not a time like"),
    (("system", "load_average"), ["high", 1, 2], "system.load_average[0]",
     "expected a number, got str"),
    (("dump", "compress"), 1, "dump.compress", "expected true or false, got int"),
    (("processors",), {"hpa": 1}, "processors", "expected a list, got dict"),
    (("kernel", "functions"), [{"name": "f", "address": 0, "size": 4, "frame": "big"}],
     "kernel.functions[0].frame", "expected an integer"),
    (("kernel", "functions"), [{"name": "f", "address": 1 << 32, "size": 4}],
     "kernel.functions[0].address", "above the maximum 0xffffffff"),
    (("kernel",), "none", "kernel", "expected a table, got str"),
    (("pages", "buckets"), {"4": 10}, "pages.buckets.4", "bucket index must be 5..20"),
    (("pages", "kalloc"), {"others": 10}, "pages.kalloc.others", "kalloc pool must be one of"),
    (("events", 0, "kind"), "OOPS", "events[0].kind", "not one of PANIC, TOC, HPMC"),
    (("events", 1, "contexts", 0, "calls", 1), "report_trap_or_int_and_panic+4c",
     "events[1].contexts[0].calls[1]", "is not a call site like 'panic\\+0x14'"),
    (("events", 1, "contexts", 2, "user", "pcoq"), -3, "events[1].contexts[2].user.pcoq",
     "below the minimum 0"),
    (("processes", 3, "command"), 7, "processes[3].command", "expected a string, got int"),
])
def test_bad_values_name_their_key(small: dict[str, Any], tmp_path: Path, where: tuple,
                                   value: Any, path: str, problem: str) -> None:
    target = small
    for step in where[:-1]:
        target = target[step]
    target[where[-1]] = value
    rejects(small, tmp_path, path, problem)


def test_missing_required_key(small: dict[str, Any], tmp_path: Path) -> None:
    del small["system"]["hostname"]
    rejects(small, tmp_path, "system.hostname", "is required")
    del small["events"]
    small["system"]["hostname"] = "back"
    rejects(small, tmp_path, "events", "is required")


def test_load_scenario_names_file_and_key(tmp_path: Path) -> None:
    text = SEED_PATH.read_text(encoding="utf-8").replace('width = "narrow"', 'widht = "narrow"')
    bad = tmp_path / "bad.toml"
    bad.write_text(text, encoding="utf-8")
    with pytest.raises(ScenarioError) as info:
        load_scenario(bad)
    assert str(info.value) == f"{bad}: system.widht: unknown key (did you mean 'width'?)"


def test_load_scenario_rejects_bad_toml_and_missing_file(tmp_path: Path) -> None:
    broken = tmp_path / "broken.toml"
    broken.write_text("[system\nwidth = 1\n", encoding="utf-8")
    with pytest.raises(ScenarioError, match="not valid TOML"):
        load_scenario(broken)
    with pytest.raises(ScenarioError, match="cannot read"):
        load_scenario(tmp_path / "absent.toml")


def test_defaults_are_filled(seed_raw: dict[str, Any]) -> None:
    scenario = load_scenario(SEED_PATH)
    assert scenario["system"]["sysname"] == "HP-UX"  # not in the file: the default
    assert scenario["kernel"]["functions"][0]["interrupt"] is False
    assert scenario["events"][0]["contexts"][0]["user"] is None
    assert scenario["events"][1]["contexts"][0]["trap"] == -1
    assert scenario["pages"]["user"] == -1
    assert "sysname" not in seed_raw["system"]


# -- semantic checks of the builder ------------------------------------------------------------
def test_frame_not_a_multiple_of_8(small: dict[str, Any], tmp_path: Path) -> None:
    assert small["kernel"]["functions"][2]["name"] == "trap"
    small["kernel"]["functions"][2]["frame"] = 0x134
    rejects(small, tmp_path, "kernel.functions[2].frame", "must be a multiple of 8")


def test_function_defined_twice(small: dict[str, Any], tmp_path: Path) -> None:
    twin = dict(small["kernel"]["functions"][0], address=0x100000)
    small["kernel"]["functions"].append(twin)
    rejects(small, tmp_path, f"kernel.functions[{len(small['kernel']['functions']) - 1}].name",
            "'pgcopy' is defined twice")


def test_overlapping_functions(small: dict[str, Any], tmp_path: Path) -> None:
    small["kernel"]["functions"][0]["size"] = 0xA4000  # pgcopy now runs into virtual_fault
    rejects(small, tmp_path, "kernel.functions", "'pgcopy' overlaps 'virtual_fault'")


def test_call_site_naming_an_unknown_function(small: dict[str, Any], tmp_path: Path) -> None:
    small["events"][1]["contexts"][1]["calls"][0] = "pgcopyy+0x1e0"
    rejects(small, tmp_path, "events[1].contexts[1].calls[0]",
            r"no function 'pgcopyy' in kernel.functions \(declare every function of an "
            r"event's stack\)")


def test_call_site_offset_past_the_end(small: dict[str, Any], tmp_path: Path) -> None:
    small["events"][1]["contexts"][1]["calls"][0] = "pgcopy+0x200"  # pgcopy is 0x200 bytes
    rejects(small, tmp_path, "events[1].contexts[1].calls[0]",
            "offset 0x200 is past the end of pgcopy")


def test_interrupt_handler_must_be_outermost(small: dict[str, Any], tmp_path: Path) -> None:
    small["events"][1]["contexts"][0]["calls"] = [
        "panic+0x14", "thandler+0xbdc", "report_trap_or_int_and_panic+0x4c", "trap+0x514"]
    rejects(small, tmp_path, "events[1].contexts[0].calls[1]",
            "thandler is an interrupt handler: it must be the outermost call")


def test_trap_needs_a_handler_below(small: dict[str, Any], tmp_path: Path) -> None:
    small["events"][1]["contexts"][0]["calls"].pop()  # drop thandler
    rejects(small, tmp_path, "events[1].contexts[0].calls",
            "the outermost call trap is not an interrupt handler")


def test_handler_needs_the_interrupted_context(small: dict[str, Any], tmp_path: Path) -> None:
    small["events"][0]["contexts"].pop()  # thandler's user context is gone
    rejects(small, tmp_path, "events[0].contexts[0].calls",
            "thandler handles a trap: add the context it interrupted")


def test_inner_context_needs_its_trap(small: dict[str, Any], tmp_path: Path) -> None:
    del small["events"][1]["contexts"][1]["trap"]
    rejects(small, tmp_path, "events[1].contexts[1].trap", "needs its trap")


def test_user_context_must_be_outermost(small: dict[str, Any], tmp_path: Path) -> None:
    contexts = small["events"][1]["contexts"]
    contexts.insert(1, dict(contexts[2]))
    rejects(small, tmp_path, "events[1].contexts[1]", "a user context is the outermost")


def test_function_without_saved_rp_only_innermost(small: dict[str, Any],
                                                  tmp_path: Path) -> None:
    small["events"][1]["contexts"][1]["calls"].insert(1, "pgcopy+0x10")
    rejects(small, tmp_path, "events[1].contexts[1].calls[1]", "pgcopy saves no RP")


def test_event_on_a_missing_processor(small: dict[str, Any], tmp_path: Path) -> None:
    small["events"][1]["cpu"] = 4
    rejects(small, tmp_path, "events[1].cpu", "no processor 4")


def test_unknown_register(small: dict[str, Any], tmp_path: Path) -> None:
    small["events"][1]["contexts"][1]["registers"]["gr99"] = 1
    rejects(small, tmp_path, "events[1].contexts[1].registers.gr99", "not a save_state register")


def test_page_classes_more_than_memory(small: dict[str, Any], tmp_path: Path) -> None:
    # With text, data, bss and the 3 pages of the seed's buffer headers (kalloc pool
    # bufcache_bufs): more than the 8192 pages.
    small["pages"]["free"] = 8000
    rejects(small, tmp_path, "pages", "classes add up to 10426 pages, not system.memory_pages")


def test_page_classes_with_explicit_user_must_add_up(small: dict[str, Any],
                                                     tmp_path: Path) -> None:
    small["pages"]["user"] = 10
    rejects(small, tmp_path, "pages", "not system.memory_pages = 8192")


def test_bucket_pages_must_be_whole_elements(small: dict[str, Any], tmp_path: Path) -> None:
    small["pages"]["buckets"] = {"14": 5}  # bucket 14 holds 3-page elements
    rejects(small, tmp_path, "pages.buckets.14", "not a whole number of 3-page elements")


def test_boot_after_dump(small: dict[str, Any], tmp_path: Path) -> None:
    small["system"]["boot_time"] = "2005-01-01 00:00:00"
    rejects(small, tmp_path, "system.boot_time", "is after system.dump_time")


def test_too_many_processes(small: dict[str, Any], tmp_path: Path) -> None:
    small["nproc"] = 3
    rejects(small, tmp_path, "nproc", "14 processes do not fit in 3 slots")


def test_swap_device_free_more_than_size(small: dict[str, Any], tmp_path: Path) -> None:
    small["swap"]["devices"][0]["free_pages"] = 10**7
    rejects(small, tmp_path, "swap.devices[0].free_pages", "more than the device holds")


def test_process_slots_follow_table_order(small: dict[str, Any], tmp_path: Path) -> None:
    small["processes"][1]["slot"] = 5
    small["processes"][2]["slot"] = 5
    rejects(small, tmp_path, "processes[2].slot", "not after the previous process's")
    small["processes"][2]["slot"] = 64
    rejects(small, tmp_path, "processes[2].slot", "past nproc")


def test_process_slots_leave_the_slots_between_unused(small: dict[str, Any],
                                                      tmp_path: Path) -> None:
    small["processes"][1]["slot"] = 5
    forge(small, tmp_path)
    table = process_table(Program.open(tmp_path))
    assert table.slots[:3] == [0, 5, 6]
    assert [table.pid(i) for i in range(3)] == [p["pid"] for p in small["processes"][:3]]


def test_a_process_slot_on_11i_is_a_scenario_error(tmp_path: Path) -> None:
    raw = tomllib.loads((SCENARIOS_DIR / "hpux1111-64-unaligned-c8xx.toml").read_text())
    raw["processes"][0]["slot"] = 3
    rejects(raw, tmp_path, "processes[0].slot", "11i links its processes in a list")


def test_swap_reserved_beyond_the_free_pages_says_the_figures(small: dict[str, Any],
                                                             tmp_path: Path) -> None:
    free = sum(d["free_pages"] for d in small["swap"]["devices"])
    small["swap"]["reserved_pages"] = free + 1
    rejects(small, tmp_path, "swap.reserved_pages",
            f"{free + 1} pages reserved, more than the devices' {free} free pages")


def test_an_event_stack_outside_memory_names_its_key(small: dict[str, Any],
                                                     tmp_path: Path) -> None:
    """Space 0 is equivalently mapped: a stack base past memory is the scenario's mistake,
    and the message says which key (memory's own complaint knows no key)."""
    small["events"][0]["space"] = 0
    small["events"][0]["stack_base"] = 0x7fff0000
    rejects(small, tmp_path, "events[0].stack_base",
            r"beyond physical memory \(which ends at 0x2000000\): space 0 is equivalently")


def test_unknown_global_and_bad_global_value(small: dict[str, Any], tmp_path: Path) -> None:
    small["globals"] = {"no_such_global": 1}
    rejects(small, tmp_path, "globals.no_such_global", "not a kernel global")
    small["globals"] = {"hz": 1 << 40}
    message = rejects(small, tmp_path, "globals.hz", "does not fit in int")
    assert message.count("globals.hz") == 1, message  # the key is named once


def test_object_of_unknown_type(small: dict[str, Any], tmp_path: Path) -> None:
    small["objects"] = [{"type": "struct nothing", "address": 0x800000}]
    rejects(small, tmp_path, "objects[0]", "unknown type 'struct nothing'")
    small["objects"] = [{"type": "struct timeval", "address": 0x800000,
                         "fields": {"tv_nsec": 1}}]
    rejects(small, tmp_path, "objects[0]", "has no field 'tv_nsec'")


def test_htbl_entries_power_of_two(small: dict[str, Any], tmp_path: Path) -> None:
    small["kernel"]["htbl_entries"] = 3000
    rejects(small, tmp_path, "kernel.htbl_entries", "3000 is not a power of two")


def test_function_outside_text(small: dict[str, Any], tmp_path: Path) -> None:
    small["pages"]["text"] = 10
    small["thread_defaults"] = {"enabled": False}  # else placing their functions fails first
    rejects(small, tmp_path, "kernel", "outside .text")


# -- what a valid build writes -------------------------------------------------------------------
def test_only_pages_with_data_are_written(forged_dump: Callable[[str], Path]) -> None:
    dump = CrashDir.open(forged_dump(SEED))
    with dump:
        index = dump.index
        pages = sum(entry.size for entry in index.images) // index.pagesize
        total = index.memsize // index.pagesize
        assert total == load_scenario(SEED_PATH)["system"]["memory_pages"]
        assert 0 < pages < total // 20  # a few thousand pages of 327680
        assert pages == dump.memory.page_count == len(list(dump.memory.pfns()))
        # Every image covers its pfn range sparsely or densely, never beyond memsize.
        assert all(entry.high_pfn < total for entry in index.images)


def test_build_into_a_non_empty_directory_is_a_scenario_error(small: dict[str, Any],
                                                                tmp_path: Path) -> None:
    forge(small, tmp_path)
    with pytest.raises(ScenarioError, match="cannot write"):
        forge(small, tmp_path)


def test_compressed_variant_reads_the_same(forged_dump: Callable[[str], Path], tmp_path: Path,
                                           monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("Q4PY_CACHE_DIR", str(tmp_path / "cache"))
    scenario = load_scenario(SEED_PATH)
    scenario["dump"]["compress"] = True
    Forge(scenario).build(tmp_path / "gz")
    names = sorted(p.name for p in (tmp_path / "gz").iterdir())
    assert names and all(n == "INDEX" or n.endswith(".gz") for n in names), names
    plain = Program.open(forged_dump(SEED))
    packed = Program.open(tmp_path / "gz")
    assert packed.crashdir.index.memsize == plain.crashdir.index.memsize
    assert packed.crashdir.index.panic == plain.crashdir.index.panic
    pfns = list(plain.crashdir.memory.pfns())
    assert list(packed.crashdir.memory.pfns()) == pfns
    page = plain.crashdir.index.pagesize
    for pfn in pfns:
        assert packed.crashdir.memory.read(pfn * page, page) == \
            plain.crashdir.memory.read(pfn * page, page), hex(pfn)
    assert packed.read_string(packed.read_global("panicstr")) == plain.crashdir.index.panic
    for a, b in zip(crash_events(plain), crash_events(packed), strict=True):
        assert a == b
        ta, tb = unwind_event(plain, a), unwind_event(packed, b)
        assert ta.segments == tb.segments and ta.problem is tb.problem is None


# -- the q4-forge CLI --------------------------------------------------------------------------
def _write_doc_example(path: Path) -> Path:
    path.write_text(doc_example(), encoding="utf-8")
    return path


def test_cli_success(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    scenario = _write_doc_example(tmp_path / "tiny.toml")
    out = tmp_path / "crash.0"
    assert forge_main([str(scenario), str(out)]) == 0
    assert capsys.readouterr().out == f"q4-forge: wrote {out}\n"
    assert (out / "INDEX").is_file() and (out / "vmunix").is_file()
    empty = tmp_path / "empty"
    empty.mkdir()
    assert forge_main([str(scenario), str(empty)]) == 0  # an existing empty directory is fine


def test_cli_bad_scenario(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    bad = tmp_path / "bad.toml"
    bad.write_text(doc_example().replace("frame = 0x40", "frame = 0x44"), encoding="utf-8")
    assert forge_main([str(bad), str(tmp_path / "out")]) == 2
    captured = capsys.readouterr()
    assert captured.out == ""
    assert captured.err == (f"q4-forge: {bad}: kernel.functions[0].frame: must be a multiple "
                            "of 8\n")


def test_cli_schema_error_names_the_file(tmp_path: Path,
                                         capsys: pytest.CaptureFixture[str]) -> None:
    bad = tmp_path / "bad.toml"
    bad.write_text(doc_example().replace("memory_pages", "memory_page"), encoding="utf-8")
    assert forge_main([str(bad), str(tmp_path / "out")]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1
    assert err.startswith(f"q4-forge: {bad}: system.memory_page: unknown key")
    assert "did you mean 'memory_pages'" in err


def test_cli_non_empty_outdir(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    scenario = _write_doc_example(tmp_path / "tiny.toml")
    out = tmp_path / "used"
    out.mkdir()
    (out / "something").write_text("x")
    assert forge_main([str(scenario), str(out)]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "not empty" in err
    assert sorted(p.name for p in out.iterdir()) == ["something"]


def test_cli_missing_scenario(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert forge_main([str(tmp_path / "nope.toml"), str(tmp_path / "out")]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "cannot read" in err


# -- docs/scenario-format.md --------------------------------------------------------------------
def doc_example() -> str:
    """The worked example of docs/scenario-format.md: the first ```toml block."""
    text = SCENARIO_DOC.read_text(encoding="utf-8")
    match = re.search(r"```toml\n(.*?)```", text, re.S)
    assert match, "docs/scenario-format.md has no ```toml example"
    return match.group(1)


def test_every_schema_key_is_documented() -> None:
    text = SCENARIO_DOC.read_text(encoding="utf-8")
    missing = [path for path, _ in walk_keys(SCENARIO) if f"`{path}`" not in text]
    assert not missing, f"keys missing from docs/scenario-format.md: {missing}"


def test_documented_keys_exist() -> None:
    """The reverse: a key path in a table row of the doc is one the schema has."""
    text = SCENARIO_DOC.read_text(encoding="utf-8")
    known = {path for path, _ in walk_keys(SCENARIO)}
    documented = re.findall(r"^\| `([^`]+)` \|", text, re.M)
    assert documented
    assert sorted(set(documented) - known) == []


def test_every_key_has_a_doc_sentence() -> None:
    for path, spec in walk_keys(SCENARIO):
        if isinstance(spec, (Table, List, MapOf)) or path.endswith("]"):
            continue
        assert spec.doc.strip(), path


def test_doc_example_forges_and_unwinds(tmp_path: Path) -> None:
    example = _write_doc_example(tmp_path / "tiny.toml")
    forge_crashdir(example, tmp_path / "out")
    prog = Program.open(tmp_path / "out")
    scenario = load_scenario(example)
    assert prog.crashdir.index.hostname == scenario["system"]["hostname"]
    [event] = crash_events(prog)
    trace = unwind_event(prog, event)
    assert trace.problem is None
    [segment] = trace.segments
    assert [f.name for f in segment.frames] == scenario["events"][0]["contexts"][0]["calls"]
    frames = {f["name"]: f["frame"] for f in scenario["kernel"]["functions"]}
    base = scenario["events"][0]["stack_base"]
    assert segment.frames[-1].sp == base + frames["main"]
    assert segment.frames[0].sp == base + frames["main"] + frames["panic"]


def test_unwind_flags_reach_vmunix(small: dict[str, Any], tmp_path: Path) -> None:
    """Every flag of `kernel.functions[]` ends up in the function's unwind descriptor."""
    small["kernel"]["functions"][0]["millicode"] = True  # pgcopy, for the test's sake
    forge(small, tmp_path)
    prog = Program.open(tmp_path)
    for fn in small["kernel"]["functions"]:
        entry = prog.unwind_for(prog.symbol(fn["name"]).address)
        assert entry is not None, fn["name"]
        assert entry.frame_size_bytes == fn.get("frame", 0)
        assert entry.save_rp == fn.get("save_rp", True)
        assert entry.interrupt_marker == fn.get("interrupt", False)
        assert entry.args_stored == fn.get("args_stored", False), fn["name"]
        assert entry.millicode == fn.get("millicode", False), fn["name"]


def test_a_user_context_without_pcsq_trapped_from_the_threads_own_space(
        small: dict[str, Any], tmp_path: Path) -> None:
    """`user.pcsq` left out: the user pc is in the space of the stack it trapped onto (the
    thread's own u-area space; an event's `space`)."""
    small["processes"].append({"pid": 4242, "command": "java", "virtual": 100})
    small["threads"] = [{"pid": 4242, "tid": 4243, "state": "run", "contexts": [
        {"calls": ["_swtch+0x40", "preempt+0x20", "thandler+0x10"]},
        {"trap": 4, "user": {"pcoq": 0xC0001003}}]}]
    forge(small, tmp_path)
    prog = Program.open(tmp_path)
    thread = thread_by_tid(prog, 4243)
    trap = unwind_thread(prog, thread).segments[-1].trap
    assert trap is not None and trap.user_mode and trap.pcoq == 0xC0001003
    assert trap.pcsq == thread.uarea_space != 0
