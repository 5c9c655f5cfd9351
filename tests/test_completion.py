"""The REPL's completer, through `get_completions` on fake sessions (no dump, no terminal).

The fakes have only what the completer reads: a registry, `program.types` (names, get),
`program.kernel.symbols()`, and `piles.current.layout.walk()`; a session that lacks any of it
must still complete the rest.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from prompt_toolkit.completion import CompleteEvent
from prompt_toolkit.document import Document

from q4py.commands import Registry
from q4py.commands.examine import FORMATS, USAGE
from q4py.shell.completion import FLAGS, Q4Completer, script_names


@dataclass
class FakeCType:
    spelling: str


@dataclass
class FakeField:
    name: str
    ctype: FakeCType


@dataclass
class FakeLayout:
    names: list[str]

    def walk(self) -> list[FakeField]:
        return [FakeField(n, FakeCType("int")) for n in self.names]


class FakeTypes:
    def __init__(self, layouts: dict[str, FakeLayout]) -> None:
        self._layouts = layouts

    def names(self) -> list[str]:
        return sorted(self._layouts)

    def get(self, name: str) -> FakeLayout:
        for key in (name, f"struct {name}"):
            if key in self._layouts:
                return self._layouts[key]
        raise KeyError(name)


@dataclass
class FakeSymbol:
    name: str


@dataclass
class FakeKernel:
    names: list[str]

    def symbols(self) -> list[FakeSymbol]:
        return [FakeSymbol(n) for n in self.names]


@dataclass
class FakeProgram:
    types: FakeTypes
    kernel: FakeKernel


@dataclass
class FakePile:
    layout: Any
    name: str | None = None


@dataclass
class FakePiles:
    current: FakePile | None
    piles: list[FakePile] = field(default_factory=list)

    def __iter__(self) -> Any:
        return iter(self.piles)


@dataclass
class FakeSession:
    commands: Registry
    program: Any = None
    piles: Any = None


BUF = FakeLayout(["av_forw", "av_back", "b_dev", "b_flags", "b_vp.v_count"])
PROC = FakeLayout(["p_stat", "p_pid", "p_factp", "p_global_proc"])
TYPES = FakeTypes({"proc_t": PROC, "struct proc": PROC, "struct buf": BUF, "struct map": BUF})
SYMBOLS = ["proc_list", "proc", "panicstr", "nproc", "nkthread", "sysmap_32bit", "sysmap"]


def make_registry() -> Registry:
    reg = Registry()
    for name in ("load", "print", "keep", "forget", "p", "fields", "whatis",
                 "trace", "crashinfo", "p4_sysmap", "run", "include", "help", "recall",
                 "symbol", "name"):
        reg.command(name, usage=name, summary=f"the {name} command")(lambda s, a: None)
    reg.command("exit", usage="exit", summary="leave q4", aliases=("quit",))(lambda s, a: None)
    # The real commands' aliases: `ex` and `let` complete as `examine` and `Let`.
    reg.command("examine", usage="examine", summary="the examine command",
                aliases=("ex",))(lambda s, a: None)
    reg.command("Let", usage="Let", summary="the Let command", aliases=("let",))(
        lambda s, a: None)
    return reg


@pytest.fixture
def completer() -> Q4Completer:
    session = FakeSession(
        make_registry(),
        FakeProgram(TYPES, FakeKernel(SYMBOLS)),
        FakePiles(FakePile(BUF, "bufs"), [FakePile(BUF, "bufs"), FakePile(PROC, None)]),
    )
    return Q4Completer(
        session,
        scripts=lambda: ["PrintMap", "WhatHappened"],
        sections=lambda: ["general", "events", "sysmap"],
    )


def words(completer: Q4Completer, text: str) -> list[str]:
    event = CompleteEvent(completion_requested=True)
    return [c.text for c in completer.get_completions(Document(text), event)]


def replaced(completer: Q4Completer, text: str) -> set[int]:
    event = CompleteEvent(completion_requested=True)
    return {c.start_position for c in completer.get_completions(Document(text), event)}


def test_first_word_is_a_command_or_alias(completer: Q4Completer) -> None:
    assert words(completer, "") == sorted(make_registry().names())
    assert words(completer, "p") == ["p", "p4_sysmap", "print"]
    assert words(completer, "qu") == ["quit"]
    assert words(completer, "zz") == []


def test_command_completions_carry_the_summary(completer: Q4Completer) -> None:
    event = CompleteEvent(completion_requested=True)
    (only,) = completer.get_completions(Document("crash"), event)
    assert only.text == "crashinfo" and only.start_position == -5
    assert only.display_meta_text == "the crashinfo command"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("print -", ["-x", "-d", "-o", "-t"]),
        ("print -x -", ["-x", "-d", "-o", "-t"]),
        ("p4_sysmap ", ["-a"]),
        ("trace ", ["event", "pile", "processor", "-v"]),
        ("trace ev", ["event"]),
        ("run -", ["-l"]),
        ("name ", ["it"]),
    ],
)
def test_flags(completer: Q4Completer, text: str, expected: list[str]) -> None:
    assert words(completer, text) == expected


def test_the_flag_table_has_the_documented_flags() -> None:
    assert FLAGS["print"] == ("-x", "-d", "-o", "-t")
    assert FLAGS["p4_sysmap"] == ("-a",)
    assert "event" in FLAGS["trace"]


def test_crashinfo_sections(completer: Q4Completer) -> None:
    assert words(completer, "crashinfo ") == ["general", "events", "sysmap"]
    assert words(completer, "crashinfo general s") == ["sysmap"]


def test_crashinfo_sections_come_from_the_renderers() -> None:
    from q4py.render import load_sections

    c = Q4Completer(FakeSession(make_registry()))
    assert words(c, "crashinfo ") == [s.name for s in load_sections()]
    assert "sysmap" in words(c, "crashinfo ")


@pytest.mark.parametrize("cmd", ["load", "p", "fields", "whatis"])
def test_type_names(completer: Q4Completer, cmd: str) -> None:
    assert {"proc_t", "struct buf", "struct proc"} <= set(words(completer, f"{cmd} "))
    assert {"proc_t", "struct proc"} <= set(words(completer, f"{cmd} proc"))
    assert "struct buf" in words(completer, f"{cmd} b")  # a tag finds its struct


@pytest.mark.parametrize("cmd", ["load", "p", "fields"])
def test_struct_tags(completer: Q4Completer, cmd: str) -> None:
    assert words(completer, f"{cmd} struct ") == ["buf", "map", "proc"]
    assert words(completer, f"{cmd} struct b") == ["buf"]


def test_p_offers_the_string_form(completer: Q4Completer) -> None:
    assert words(completer, "p s") == ["s", "struct buf", "struct map", "struct proc"]


@pytest.mark.parametrize("cmd", ["print", "keep", "forget"])
def test_fields_of_the_current_pile(completer: Q4Completer, cmd: str) -> None:
    assert words(completer, f"{cmd} b_") == ["b_dev", "b_flags", "b_vp.v_count"]
    assert words(completer, f"{cmd} av") == ["av_forw", "av_back"]


def test_print_offers_pseudo_fields(completer: Q4Completer) -> None:
    assert words(completer, "print -x ") == [
        *FLAGS["print"], "addrof", "indexof", "spaceof", "physaddrof", *[f.name for f in BUF.walk()]
    ]
    assert words(completer, "print -x b_dev ") == [  # no flag after a field
        "addrof", "indexof", "spaceof", "physaddrof", *[f.name for f in BUF.walk()]
    ]
    assert words(completer, "print add") == ["addrof"]
    assert words(completer, "keep add") == []


def test_fields_inside_an_expression(completer: Q4Completer) -> None:
    assert words(completer, "keep (b_fl") == ["b_flags"]
    assert replaced(completer, "keep (b_fl") == {-4}
    assert words(completer, "keep b_dev!=0&&av_b") == ["av_back"]
    assert words(completer, "keep b_dev > av_f") == ["av_forw"]  # `>` compares in keep


def test_no_pile_no_fields() -> None:
    session = FakeSession(make_registry(), FakeProgram(TYPES, FakeKernel(SYMBOLS)), None)
    assert words(Q4Completer(session), "print b") == []
    assert words(Q4Completer(session), "print -") == list(FLAGS["print"])
    session.piles = FakePiles(None)
    assert words(Q4Completer(session), "keep b") == []


def test_load_next_completes_fields_of_the_loaded_type(completer: Q4Completer) -> None:
    assert words(completer, "load proc_t from proc_list next p_") == [
        "p_stat", "p_pid", "p_factp", "p_global_proc"
    ]
    assert words(completer, "load struct buf from 0x0`4076da18 next av") == [
        "av_forw", "av_back"
    ]
    assert words(completer, "load nosuch_t from 0 next ") == []


def test_load_clauses_and_symbols(completer: Q4Completer) -> None:
    assert words(completer, "load proc_t ") == ["from", "max", "next", "skip", "until"]
    assert words(completer, "load proc_t from proc_list ") == ["max", "next", "skip", "until"]
    assert words(completer, "load proc_t from proc_") == ["proc_list"]
    assert words(completer, "load proc_t from &np") == ["nproc"]
    assert replaced(completer, "load proc_t from &np") == {-2}
    assert words(completer, "load proc_t from proc_list max np") == ["nproc"]


def test_symbols_after_examine_symbol_and_p_type(completer: Q4Completer) -> None:
    assert words(completer, "examine pan") == ["panicstr"]
    assert words(completer, "examine &np") == ["nproc"]
    assert words(completer, "examine panicstr ") == ["for", "using"]
    assert words(completer, "examine panicstr for 4 ") == ["using"]
    assert words(completer, "examine panicstr using ") == list(FORMATS)
    assert words(completer, "symbol sys") == ["sysmap", "sysmap_32bit"]
    assert words(completer, "p proc_t proc") == ["proc", "proc_list"]
    assert words(completer, "p struct buf pan") == ["panicstr"]
    assert words(completer, "p struct buf 0x1f") == []  # a number is not a name
    assert words(completer, "p4_sysmap sys") == ["sysmap", "sysmap_32bit"]


def test_examine_offers_every_format_the_command_takes(completer: Q4Completer) -> None:
    offered = words(completer, "examine &nproc using ")
    # Every letter examine accepts (the 8-byte, unsigned and pointer-size ones too), no other.
    assert set(offered) == set(FORMATS) and len(offered) == len(FORMATS)
    assert {"J", "K", "e", "E", "U", "O"} <= set(offered)
    assert words(completer, "examine &nproc for 4 using J") == ["J"]
    event = CompleteEvent(completion_requested=True)
    metas = {c.text: c.display_meta_text
             for c in completer.get_completions(Document("examine x using "), event)}
    assert metas["J"] == "hex, 8 bytes" and metas["K"] == "hex, pointer size"
    assert metas["s"] == "string"
    assert "using FMT" in USAGE  # the clause the completion follows


@pytest.mark.parametrize(
    ("alias", "command"), [("ex", "examine"), ("let", "Let"), ("quit", "exit")])
def test_an_alias_completes_as_its_command(completer: Q4Completer, alias: str,
                                           command: str) -> None:
    for rest in ("", "pan", "&np", "panicstr ", "panicstr for 4 ", "panicstr using ",
                 "panicstr using X", "-"):
        assert words(completer, f"{alias} {rest}") == words(completer, f"{command} {rest}")
    assert words(completer, "ex panicstr using ") == list(FORMATS)
    assert words(completer, "ex pan") == ["panicstr"]
    assert words(completer, "ex panicstr ") == ["for", "using"]
    assert words(completer, "let -") == ["-b"]


def test_an_unknown_first_word_completes_as_itself(completer: Q4Completer) -> None:
    # Not a command nor an alias: no command's completions, and no error either.
    assert words(completer, "exa panicstr using ") == []


def test_no_symbol_flood_on_an_empty_word(completer: Q4Completer) -> None:
    assert words(completer, "examine ") == []


def test_scripts_after_run(completer: Q4Completer) -> None:
    assert words(completer, "run ") == ["PrintMap", "WhatHappened", "-l"]
    assert words(completer, "run Pr") == ["PrintMap"]
    assert words(completer, "run PrintMap ") == []


def test_script_names_use_the_run_search(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    (tmp_path / "MyScript.py").write_text("def run(q4, args):\n    pass\n")
    monkeypatch.setenv("Q4_SCRIPT_PATH", str(tmp_path))
    names = script_names()
    assert "PrintMap" in names and "MyScript" in names


def test_help_completes_commands(completer: Q4Completer) -> None:
    assert words(completer, "help cr") == ["crashinfo"]


def test_recall_completes_pile_names(completer: Q4Completer) -> None:
    assert words(completer, "recall b") == ["bufs"]


def test_paths_after_include_and_redirection(
    completer: Q4Completer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "cmds.q4").write_text("")
    (tmp_path / "crash.0").mkdir()
    monkeypatch.chdir(tmp_path)
    assert sorted(words(completer, "include c")) == ["mds.q4", "rash.0"]
    assert sorted(words(completer, "crashinfo > c")) == ["mds.q4", "rash.0"]
    assert sorted(words(completer, "crashinfo >> cm")) == ["ds.q4"]
    assert sorted(words(completer, "crashinfo >cm")) == ["ds.q4"]
    assert words(completer, f"include {tmp_path}/cr") == ["ash.0"]


def test_a_bare_session_completes_commands_only() -> None:
    class Bare:
        pass

    c = Q4Completer(Bare())
    assert words(c, "") == []
    assert words(c, "load ") == []
    assert words(c, "print b") == []
    assert words(c, "examine pan") == []


def test_a_failing_source_gives_no_candidates() -> None:
    class Broken:
        def names(self) -> list[str]:
            raise RuntimeError("broken")

    session = FakeSession(make_registry(), FakeProgram(Broken(), FakeKernel(SYMBOLS)))  # type: ignore[arg-type]
    assert words(Q4Completer(session), "load ") == []
    assert words(Q4Completer(session), "load proc_t from pan") == ["panicstr"]


def test_a_real_session_on_the_seed_dump(forged_dump: Any) -> None:
    """The completer against a real Session: the Program's types and symbols, the built-in
    commands, and the piles the real `load`/`name` make."""
    import io

    from q4py.program import Program
    from q4py.shell import Session

    prog = Program.open(forged_dump("hpux1100-32-kalloc-sysmap"))
    session = Session(prog, io.StringIO())
    c = Q4Completer(session)
    assert {"crashinfo", "help", "exit", "quit"} <= set(words(c, ""))
    assert "proc_t" in words(c, "load pro")
    assert "map" in words(c, "load struct ma")
    assert words(c, "examine panics") == ["panicstr"]
    assert words(c, "ex panics") == ["panicstr"]  # the real registry's alias
    assert words(c, "ex &nproc using ") == list(FORMATS)
    assert "sysmap_32bit" in words(c, "p4_sysmap sysmap_")
    assert "PrintMap" in words(c, "run ")
    # No pile yet: the history's `current` raises, and the flags still complete.
    assert words(c, "print -") == list(FLAGS["print"])
    assert words(c, "print p_") == []
    assert session.execute("load proc_t from proc max 2") and session.execute("name it procs")
    assert {"p_pid", "p_stat"} <= set(words(c, "print -x p_"))
    assert "p_pid" in words(c, "keep p_pid > 0 && p_p")
    assert words(c, "recall pr") == ["procs"]
