"""Tests of the command registry, Session, batch runner, transcripts and the q4 CLI.

Everything runs on fake commands in a private registry and a fake program, so no dump, forge or
real command module is needed, except at the end: the shell tour replayed on the forged seed
dump from a directory that is not the repository's.
"""

from __future__ import annotations

import functools
import io
import os
import subprocess
import sys
import types
from collections.abc import Callable
from importlib import metadata
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import q4py.commands as commands_pkg
from q4py import cli
from q4py.cachedir import forge_cached, scenario_key, user_cache_dir
from q4py.commands import Registry, lookup
from q4py.errors import CommandError, DumpError, Q4Error, ScenarioError
from q4py.shell import (
    Session,
    TranscriptError,
    interactive,
    match_lines,
    parse_transcript,
    replay,
    run_lines,
)
from q4py.shell.transcript import ellipsis_spans, working_directory


class FakeProgram:
    def __init__(self, path: Path | None = None) -> None:
        self.path = path


@pytest.fixture
def calls() -> dict[str, int]:
    return {"inner": 0}


@pytest.fixture
def registry(calls: dict[str, int]) -> Registry:
    import q4py.commands.help  # noqa: F401  (registers help and exit in the global registry)

    reg = Registry()
    for name in ("help", "exit"):
        cmd = lookup(name)
        assert cmd is not None
        reg.add(cmd)

    @reg.command("echo", usage="echo [WORD...]", summary="print the words", help="Echo text.")
    def echo(session: Session, args: list[str]) -> None:
        print(" ".join(args), file=session.out)

    @reg.command("fail", usage="fail", summary="always fails")
    def fail(session: Session, args: list[str]) -> None:
        print("partial", file=session.out)
        raise CommandError("fail: it failed")

    @reg.command("multiline", usage="multiline", summary="fails with a two-line message")
    def multiline(session: Session, args: list[str]) -> None:
        raise Q4Error("first\nsecond")

    @reg.command("boom", usage="boom", summary="a bug")
    def boom(session: Session, args: list[str]) -> None:
        raise RuntimeError("kaput")

    @reg.command("interrupt", usage="interrupt", summary="as if Ctrl-C")
    def interrupt(session: Session, args: list[str]) -> None:
        raise KeyboardInterrupt

    @reg.command("crashinfo", usage="crashinfo", summary="fake report", aliases=("ci",))
    def crashinfo(session: Session, args: list[str]) -> None:
        print("crash report", file=session.out)

    @reg.command("emit", usage="emit", summary="echoes p4 commands like crashinfo")
    def emit(session: Session, args: list[str]) -> None:
        out = session.out
        print("emit header\n", file=out)
        print("p4>inner", file=out)
        print("inner output", file=out)
        print("p4> echo   two  words", file=out)
        print("two words\n", file=out)

    @reg.command("inner", usage="inner", summary="counts its runs")
    def inner(session: Session, args: list[str]) -> None:
        calls["inner"] += 1
        print("inner output", file=session.out)

    return reg


@pytest.fixture
def session(registry: Registry) -> Session:
    return Session(FakeProgram(), io.StringIO(), commands=registry)


def out_of(session: Session) -> str:
    assert isinstance(session.out, io.StringIO)
    return session.out.getvalue()


# --- registry ---------------------------------------------------------------------------------


def test_registry_lookup_by_name_and_alias(registry: Registry) -> None:
    cmd = registry.lookup("ci")
    assert cmd is not None and cmd.name == "crashinfo"
    assert registry.lookup("crash") is None  # no prefix matching
    names = [c.name for c in registry.all()]
    assert names == sorted(names) and names.count("crashinfo") == 1


def test_registry_rejects_a_clash(registry: Registry) -> None:
    with pytest.raises(ValueError, match="already taken"):

        @registry.command("ci", usage="ci", summary="clash")
        def other(session: Session, args: list[str]) -> None:
            pass


def test_load_builtin_commands_imports_each_module(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "zz_fake_cmd.py").write_text(
        "from q4py.commands import command\n"
        "@command('zz-fake', usage='zz-fake', summary='from a file')\n"
        "def zz(session, args):\n"
        "    print('zz', file=session.out)\n"
    )
    (tmp_path / "_private.py").write_text("raise RuntimeError('must not be imported')\n")
    monkeypatch.setattr(commands_pkg, "__path__", [str(tmp_path)])
    monkeypatch.setattr(commands_pkg, "_loaded", False)
    monkeypatch.delitem(sys.modules, "q4py.commands.zz_fake_cmd", raising=False)
    try:
        reg = commands_pkg.load_builtin_commands()
        assert reg is commands_pkg.REGISTRY
        cmd = commands_pkg.lookup("zz-fake")
        assert cmd is not None and cmd.summary == "from a file"
        assert commands_pkg._loaded
        sess = Session(None, io.StringIO())  # default registry = the built-in one
        assert sess.execute("zz-fake") and out_of(sess) == "zz\n"
    finally:
        commands_pkg.REGISTRY.remove("zz-fake")
        sys.modules.pop("q4py.commands.zz_fake_cmd", None)


# --- session ----------------------------------------------------------------------------------


def test_dispatch_splits_like_a_shell(session: Session) -> None:
    assert session.execute("  echo 'a  b' \"c\" d  ")
    assert out_of(session) == "a  b c d\n"


def test_empty_and_comment_lines_do_nothing(session: Session) -> None:
    assert session.execute("")
    assert session.execute("   ")
    assert session.execute("# echo nothing")
    assert out_of(session) == ""


def test_unknown_command_suggests_a_close_name(session: Session) -> None:
    assert not session.execute("crashinf")
    assert not session.execute("ech hi")  # exact names only: no prefix match
    assert not session.execute("zzzzzz")
    assert out_of(session).splitlines() == [
        "q4: unknown command 'crashinf' (did you mean 'crashinfo'?)",
        "q4: unknown command 'ech' (did you mean 'echo'?)",
        "q4: unknown command 'zzzzzz' (type 'help' for the list)",
    ]


def test_unbalanced_quotes(session: Session) -> None:
    assert not session.execute("echo 'oops")
    assert out_of(session) == "q4: unbalanced quotes\n"


def test_errors_are_one_line_and_the_session_goes_on(session: Session) -> None:
    assert not session.execute("fail")
    assert not session.execute("multiline")
    assert not session.execute("boom")
    assert session.execute("echo still here")
    assert out_of(session).splitlines() == [
        "partial",
        "q4: fail: it failed",
        "q4: first second",
        "q4: internal error: RuntimeError: kaput",
        "still here",
    ]
    assert not session.stopped


def test_keyboard_interrupt_propagates(session: Session) -> None:
    with pytest.raises(KeyboardInterrupt):
        session.execute("interrupt")


@pytest.mark.parametrize("line", ["exit", "quit"])
def test_exit_and_quit_stop_the_session(session: Session, line: str) -> None:
    assert session.execute(line)
    assert session.stopped


def test_exit_takes_no_arguments(session: Session) -> None:
    assert not session.execute("exit now")
    assert not session.stopped
    assert out_of(session) == "q4: usage: exit\n"


def test_help_lists_sorted_commands(session: Session, registry: Registry) -> None:
    assert session.execute("help")
    lines = out_of(session).splitlines()
    listed = [line.split()[0] for line in lines if line.startswith("  ")]
    assert listed == sorted(c.name for c in registry.all())
    assert any("crashinfo" in line and "fake report" in line and "ci" in line for line in lines)


def test_help_for_one_command(session: Session) -> None:
    assert session.execute("help echo")
    assert out_of(session) == "usage: echo [WORD...]\n\nprint the words\n\nEcho text.\n"


def test_help_via_alias_and_unknown(session: Session) -> None:
    assert session.execute("help quit")
    assert out_of(session).startswith("usage: exit\naliases: quit\n")
    assert not session.execute("help ecko")
    assert out_of(session).endswith("q4: help: unknown command 'ecko' (did you mean 'echo'?)\n")


# --- batch and interactive --------------------------------------------------------------------


def test_batch_echoes_each_command(session: Session) -> None:
    failed = run_lines(
        session,
        ["echo hi   ", "", "   ", "p4>echo x", "q4> echo y", "p4> fail", "echo after"],
    )
    assert failed == 1
    assert out_of(session).splitlines() == [
        "q4> echo hi",
        "hi",
        "p4>echo x",
        "x",
        "q4> echo y",
        "y",
        "p4> fail",
        "partial",
        "q4: fail: it failed",
        "q4> echo after",
        "after",
    ]


def test_batch_stops_after_exit(session: Session) -> None:
    assert run_lines(session, ["echo a", "quit", "echo never"]) == 0
    assert out_of(session) == "q4> echo a\na\nq4> quit\n"


def test_batch_output_replays_as_a_transcript(session: Session, registry: Registry) -> None:
    run_lines(session, ["echo one", "fail", "emit", "crashinf"])
    transcript = parse_transcript(out_of(session), "batch")
    fresh = Session(FakeProgram(), io.StringIO(), commands=registry)
    result = replay(transcript, fresh)
    assert result.ok, [f.diff_text for f in result.failures]
    assert result.checked == 6  # echo, fail, emit + its 2 echoed blocks, crashinf


def test_interactive_loop(session: Session, monkeypatch: pytest.MonkeyPatch) -> None:
    feed: list[object] = ["echo one", KeyboardInterrupt(), "echo two", EOFError()]

    def fake_input(prompt: str) -> str:
        assert prompt == "q4> "
        item = feed.pop(0)
        if isinstance(item, BaseException):
            raise item
        assert isinstance(item, str)
        return item

    monkeypatch.setattr("builtins.input", fake_input)
    interactive(session)
    assert feed == []
    assert out_of(session) == "one\n\ntwo\n\n"


def test_interactive_leaves_on_exit(session: Session, monkeypatch: pytest.MonkeyPatch) -> None:
    feed = ["exit", "echo never"]
    monkeypatch.setattr("builtins.input", lambda prompt: feed.pop(0))
    interactive(session)
    assert feed == ["echo never"]


# --- transcript parsing -----------------------------------------------------------------------

SAMPLE = """\
# A header comment.
# scenario: hpux-demo
# crashdir: dumps/one

q4> echo hi
hi
p4>echo  x
x

p4> echo y   \n\
y   \n\
q4>
q4> echo last
last


"""


def test_parse_transcript() -> None:
    t = parse_transcript(SAMPLE, "s.txt")
    assert t.path == "s.txt"
    assert t.header["scenario"] == "hpux-demo"
    assert t.header["crashdir"] == "dumps/one"
    got = [(b.prompt, b.command, b.expected, b.line_no) for b in t.blocks]
    assert got == [
        ("q4> ", "echo hi", ["hi"], 5),
        ("p4>", "echo  x", ["x", ""], 7),  # blank line kept mid-file
        ("p4> ", "echo y", ["y"], 10),  # trailing blanks dropped
        ("q4>", "", [], 12),
        ("q4> ", "echo last", ["last"], 13),  # trailing blank lines at the end dropped
    ]


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("hello\nq4> echo\n", "t.txt:1: text before the first command line"),
        ("# only a comment\n\n", "t.txt: no command lines"),
        ("", "t.txt: no command lines"),
        ("# scenario: a\n# scenario: b\nq4> x\n", "t.txt:2: second '# scenario:' header"),
        ("# scenario: ../../etc\nq4> x\n", "t.txt:1: bad scenario name"),
        ("# crashdir:\nq4> x\n", "t.txt:1: '# crashdir:' needs a value"),
    ],
)
def test_parse_transcript_errors(text: str, message: str) -> None:
    with pytest.raises(TranscriptError) as info:
        parse_transcript(text, "t.txt")
    assert str(info.value).startswith(message)


# --- matching ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("expected", "actual", "ok"),
    [
        ([], [], True),
        (["a"], ["a"], True),
        (["a"], ["b"], False),
        (["a"], ["a", "b"], False),
        (["a  "], ["a"], True),  # trailing blanks never matter
        (["a"], ["a \t"], True),
        ([" a"], ["a"], False),  # leading ones do
        (["..."], [], True),  # zero lines
        (["..."], ["x", "y", "z"], True),  # many
        (["a", "...", "b"], ["a", "b"], True),
        (["a", "...", "b"], ["a", "1", "2", "b"], True),
        (["a", "...", "b"], ["a", "1", "2", "c"], False),
        (["...", "z"], ["x", "z"], True),  # at the start
        (["...", "z"], ["z", "x"], False),
        (["a", "..."], ["a", "q", "r"], True),  # at the end
        (["a", "..."], ["q", "a"], False),
        (["...", "b", "...", "d", "..."], ["a", "b", "c", "d", "e"], True),  # several
        (["...", "d", "...", "b", "..."], ["a", "b", "c", "d", "e"], False),  # out of order
        (["a", "...", "a"], ["a"], False),  # anchors must not overlap
        (["a", "...", "...", "a"], ["a", "a"], True),
        (["...", "a", "b", "..."], ["a", "a", "b"], True),  # needs the KMP fallback
        (["x", "...", "y", "...", "y"], ["x", "y"], False),
        (["..."], ["..."], True),
        ([" ..."], ["x"], False),  # only an exact `...` is a wildcard
    ],
)
def test_match_lines(expected: list[str], actual: list[str], ok: bool) -> None:
    assert match_lines(expected, actual) is ok


def reference_match(expected: list[str], actual: list[str]) -> bool:
    """Obviously-correct exponential-free recursive matcher to check match_lines against."""
    exp = [e.rstrip() for e in expected]
    act = [a.rstrip() for a in actual]

    @functools.cache
    def m(i: int, j: int) -> bool:
        if i == len(exp):
            return j == len(act)
        if exp[i] == "...":
            return m(i + 1, j) or (j < len(act) and m(i, j + 1))
        return j < len(act) and exp[i] == act[j] and m(i + 1, j + 1)

    return m(0, 0)


LINES = st.lists(st.sampled_from(["a", "b", "a ", "", "..."]), max_size=9)


@settings(max_examples=300, deadline=None)
@given(LINES, LINES)
def test_match_lines_agrees_with_reference(expected: list[str], actual: list[str]) -> None:
    assert match_lines(expected, actual) == reference_match(expected, actual)


def test_ellipsis_spans_say_what_each_dots_line_covers() -> None:
    spans = ellipsis_spans(["a", "...", "c", "..."], ["a", "b", "b", "c"])
    assert spans == [range(1, 3), range(4, 4)]
    assert ellipsis_spans(["a"], ["a"]) == []
    assert ellipsis_spans(["a", "..."], ["b"]) is None


def test_replay_counts_the_lines_only_a_dots_line_covered(session: Session) -> None:
    text = "q4> echo a b\n...\nq4> echo c\n...\nc\n...\n"
    result = replay(parse_transcript(text), session)
    assert result.ok and result.unchecked == 1
    assert result.covered == [(1, ["a b"]), (3, []), (3, [])]


# --- replay -----------------------------------------------------------------------------------


def test_replay_ok_with_wildcards_and_blanks(session: Session) -> None:
    text = "q4> echo a\na   \nq4> help\ncommands:\n...\nq4> fail\npartial\nq4: fail: it failed\n\n"
    result = replay(parse_transcript(text), session)
    assert result.ok and result.failures == [] and result.checked == 3


def test_replay_reports_a_unified_diff(session: Session) -> None:
    text = "q4> echo a\na\nq4> echo hi\nwrong\nq4> echo z\nz\n"
    result = replay(parse_transcript(text, "t.txt"), session)
    assert not result.ok
    assert [f.block.command for f in result.failures] == ["echo hi"]
    assert result.failures[0].diff_text.splitlines() == [
        "--- expected (t.txt:3 q4> echo hi)",
        "+++ actual",
        "@@ -1 +1 @@",
        "-wrong",
        "+hi",
    ]


def test_replay_blank_lines_mid_file_count(session: Session) -> None:
    result = replay(parse_transcript("q4> echo a\na\n\nq4> echo b\nb\n"), session)
    assert not result.ok
    assert "\n-\n" in result.failures[0].diff_text  # the expected blank line is missing


def test_replay_restores_session_out(session: Session) -> None:
    before = session.out
    replay(parse_transcript("q4> echo a\na\n"), session)
    assert session.out is before and out_of(session) == ""


ECHO_TRANSCRIPT = """\
q4> emit
emit header

p4>inner
inner output
p4>echo two words
two words

"""


def test_echoed_commands_are_matched_not_rerun(session: Session, calls: dict[str, int]) -> None:
    result = replay(parse_transcript(ECHO_TRANSCRIPT), session)
    assert result.ok, [f.diff_text for f in result.failures]
    assert result.checked == 3
    assert calls["inner"] == 0  # its block was matched against emit's output


def test_echoed_block_mismatch_is_reported_on_that_block(session: Session) -> None:
    text = ECHO_TRANSCRIPT.replace("inner output", "other output")
    result = replay(parse_transcript(text, "e.txt"), session)
    assert [f.block.line_no for f in result.failures] == [4]
    diff = result.failures[0].diff_text
    assert "+++ actual (echoed by line 1)" in diff
    assert "-other output" in diff and "+inner output" in diff


def test_unmatched_echoed_commands_stay_in_the_output(
    session: Session, calls: dict[str, int]
) -> None:
    # The transcript's second block is not the first echoed command: it runs on its own, and
    # emit's block shows all the echoed lines as unexpected.
    text = "q4> emit\nemit header\n\nq4> echo two words\ntwo words\n"
    result = replay(parse_transcript(text), session)
    assert result.checked == 2
    assert [f.block.command for f in result.failures] == ["emit"]
    diff = result.failures[0].diff_text
    assert "+p4>inner" in diff and "+p4> echo   two  words" in diff


def test_echoed_prefix_matches_then_the_rest_runs(session: Session, calls: dict[str, int]) -> None:
    # `q4> inner` matches the echoed `p4>inner` (prompts aside); the echoed `echo` has no block.
    text = "q4> emit\nemit header\n\nq4> inner\ninner output\nq4> echo z\nz\n"
    result = replay(parse_transcript(text), session)
    assert calls["inner"] == 0
    assert result.checked == 3
    assert [f.block.command for f in result.failures] == ["emit"]
    assert "+p4> echo   two  words" in result.failures[0].diff_text
    assert "+p4>inner" not in result.failures[0].diff_text


# --- the directory a replay runs in ------------------------------------------------------------


@pytest.fixture
def dir_registry(registry: Registry) -> Registry:
    """The fake commands, the real `include`, and `pwd` printing the working directory."""
    import q4py.commands.include  # noqa: F401  (registers include in the global registry)

    include = lookup("include")
    assert include is not None
    registry.add(include)

    @registry.command("pwd", usage="pwd", summary="print the working directory")
    def pwd(session: Session, args: list[str]) -> None:
        print(Path.cwd(), file=session.out)

    return registry


@pytest.fixture
def elsewhere(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A working directory that is not the transcript's."""
    d = tmp_path / "elsewhere"
    d.mkdir()
    monkeypatch.chdir(d)
    return d


def write_transcript(directory: Path, body: str) -> Path:
    """A transcript file with an included command file `cmds/inc.q4` next to it."""
    (directory / "cmds").mkdir(parents=True, exist_ok=True)
    (directory / "cmds" / "inc.q4").write_text("echo included\n")
    t = directory / "t.q4t"
    t.write_text(body)
    return t


def test_working_directory_restores_the_cwd(tmp_path: Path, elsewhere: Path) -> None:
    with working_directory(tmp_path):
        assert Path.cwd() == tmp_path
    assert Path.cwd() == elsewhere
    with pytest.raises(KeyboardInterrupt), working_directory(tmp_path):
        raise KeyboardInterrupt
    assert Path.cwd() == elsewhere
    with working_directory(None):
        assert Path.cwd() == elsewhere


def test_replay_runs_in_the_transcripts_directory(
    dir_registry: Registry, tmp_path: Path, elsewhere: Path
) -> None:
    tdir = tmp_path / "transcripts"
    tdir.mkdir()
    t = write_transcript(
        tdir, f"q4> pwd\n{tdir}\nq4> include cmds/inc.q4\nq4> echo included\nincluded\n")
    session = Session(FakeProgram(), io.StringIO(), commands=dir_registry)
    result = replay(parse_transcript(t.read_text(), str(t)), session)
    assert result.ok, [f.diff_text for f in result.failures]
    assert result.checked == 3 and Path.cwd() == elsewhere  # and back afterwards
    # An explicit directory wins; text not read from a file runs where it is.
    result = replay(parse_transcript(f"q4> pwd\n{tmp_path}\n", str(t)), session,
                    directory=tmp_path)
    assert result.ok
    assert replay(parse_transcript(f"q4> pwd\n{elsewhere}\n"), session).ok
    # From the transcript's directory the include is found; from elsewhere it would not be.
    assert not session.execute("include cmds/inc.q4")


def test_replay_restores_the_cwd_when_interrupted(
    dir_registry: Registry, tmp_path: Path, elsewhere: Path
) -> None:
    t = write_transcript(tmp_path, "q4> pwd\n...\nq4> interrupt\n")
    session = Session(FakeProgram(), io.StringIO(), commands=dir_registry)
    with pytest.raises(KeyboardInterrupt):
        replay(parse_transcript(t.read_text(), str(t)), session)
    assert Path.cwd() == elsewhere


def test_replay_refuses_a_dump_opened_by_a_relative_path(
    dir_registry: Registry, tmp_path: Path, elsewhere: Path
) -> None:
    t = write_transcript(tmp_path, "q4> echo a\na\n")
    session = Session(FakeProgram(Path("crash.0")), io.StringIO(), commands=dir_registry)
    with pytest.raises(TranscriptError, match="relative path"):
        replay(parse_transcript(t.read_text(), str(t)), session)
    assert Path.cwd() == elsewhere
    # Text not from a file does not move, so a relative dump path is fine there.
    assert replay(parse_transcript("q4> echo a\na\n"), session).ok


# --- hypothesis: nothing but Q4Error escapes --------------------------------------------------

TEXT = st.lists(
    st.sampled_from(list("q4p> .#:\n\t'\"\\abcx-é\r") + ["q4> ", "p4>", "...", "# scenario: "]),
    max_size=60,
).map("".join)


@settings(max_examples=200, deadline=None)
@given(TEXT)
def test_parse_transcript_never_crashes(text: str) -> None:
    try:
        t = parse_transcript(text, "h.txt")
    except Q4Error:
        return
    assert t.blocks


@pytest.mark.usefixtures("scratch_cwd")
@settings(max_examples=200, deadline=None)
@given(
    st.lists(
        st.one_of(
            TEXT,
            st.sampled_from(["echo 'x", "fail", "boom", "help", "help nope", "emit", "crashinfo"]),
        ),
        max_size=5,
    )
)
def test_execute_never_raises(lines: list[str]) -> None:
    reg = Registry()  # built here: hypothesis tests cannot use function-scoped fixtures

    @reg.command("echo", usage="echo", summary="s")
    def echo(session: Session, args: list[str]) -> None:
        print(" ".join(args), file=session.out)

    @reg.command("fail", usage="fail", summary="s")
    def fail(session: Session, args: list[str]) -> None:
        raise CommandError("no")

    @reg.command("boom", usage="boom", summary="s")
    def boom(session: Session, args: list[str]) -> None:
        raise ZeroDivisionError("x")

    import q4py.commands.help  # noqa: F401

    help_cmd = lookup("help")
    assert help_cmd is not None
    reg.add(help_cmd)
    sess = Session(FakeProgram(), io.StringIO(), commands=reg)
    for line in lines:
        assert isinstance(sess.execute(line), bool)
    for line in out_of(sess).splitlines():
        if line.startswith("q4: "):
            assert "\n" not in line


# --- cache directory --------------------------------------------------------------------------


def test_user_cache_dir_precedence(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    monkeypatch.delenv("Q4PY_CACHE_DIR", raising=False)
    monkeypatch.delenv("XDG_CACHE_HOME", raising=False)
    assert user_cache_dir() == tmp_path / "home" / ".cache" / "q4py"
    monkeypatch.setenv("XDG_CACHE_HOME", "relative/ignored")
    assert user_cache_dir() == tmp_path / "home" / ".cache" / "q4py"
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    assert user_cache_dir() == tmp_path / "xdg" / "q4py"
    monkeypatch.setenv("Q4PY_CACHE_DIR", str(tmp_path / "mine"))
    assert user_cache_dir() == tmp_path / "mine"


@pytest.fixture
def fake_forge(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> list[Path]:
    """A stand-in `q4py.forge` whose forge_crashdir writes FORGED; returns the outdirs used."""
    outdirs: list[Path] = []

    def forge_crashdir(scenario: Path, outdir: Path) -> None:
        outdirs.append(Path(outdir))
        text = Path(scenario).read_text()
        if "bad" in text:
            (Path(outdir) / "half-written").write_text("x")
            raise ScenarioError("kernel.cpus", "must be a positive integer")
        (Path(outdir) / "FORGED").write_text(text)

    module = types.ModuleType("q4py.forge")
    module.forge_crashdir = forge_crashdir  # type: ignore[attr-defined]
    monkeypatch.setitem(sys.modules, "q4py.forge", module)
    monkeypatch.setenv("Q4PY_CACHE_DIR", str(tmp_path / "cache"))
    return outdirs


def test_forge_cached_forges_once(fake_forge: list[Path], tmp_path: Path) -> None:
    scenario = tmp_path / "s.toml"
    scenario.write_text("name = 'one'\n")
    log = io.StringIO()
    first = forge_cached(scenario, "demo", what="the demo dump", log=log)
    assert first == tmp_path / "cache" / "demo" / scenario_key(scenario.read_bytes())
    assert len(first.name) == 16 and (first / "FORGED").read_text() == "name = 'one'\n"
    assert log.getvalue() == f"q4: forging the demo dump into {first} ...\n"
    assert forge_cached(scenario, "demo", log=log) == first
    assert len(fake_forge) == 1 and log.getvalue().count("forging") == 1
    assert fake_forge[0].parent == first.parent and not fake_forge[0].exists()  # renamed
    scenario.write_text("name = 'two'\n")  # another scenario text is another directory
    second = forge_cached(scenario, "demo", log=log)
    assert second != first
    assert second.is_dir() and not first.exists()  # the older forging is dropped


def test_forge_cached_loses_a_race_gracefully(
    fake_forge: list[Path], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    scenario = tmp_path / "s.toml"
    scenario.write_text("race\n")
    final = tmp_path / "cache" / "demo" / scenario_key(b"race\n")
    forge = sys.modules["q4py.forge"].forge_crashdir  # type: ignore[attr-defined]

    def slow_forge(scenario: Path, outdir: Path) -> None:
        forge(scenario, outdir)
        final.mkdir()  # another q4 finished first
        (final / "FORGED").write_text("theirs")

    monkeypatch.setattr(sys.modules["q4py.forge"], "forge_crashdir", slow_forge)
    assert forge_cached(scenario, "demo", log=io.StringIO()) == final
    assert (final / "FORGED").read_text() == "theirs"
    assert sorted(p.name for p in final.parent.iterdir()) == [final.name]  # temp dir removed


def test_forge_cached_failure_leaves_nothing(fake_forge: list[Path], tmp_path: Path) -> None:
    scenario = tmp_path / "s.toml"
    scenario.write_text("bad\n")
    with pytest.raises(ScenarioError):
        forge_cached(scenario, "demo", log=io.StringIO())
    assert list((tmp_path / "cache" / "demo").iterdir()) == []


# --- CLI --------------------------------------------------------------------------------------


@pytest.fixture
def cli_env(
    monkeypatch: pytest.MonkeyPatch, registry: Registry, fake_forge: list[Path]
) -> list[Path]:
    """The CLI with the fake commands, a fake forge, and a fake `q4py.program` whose Program.open
    fails with DumpError on a directory holding a file GARBLED. Returns the opened paths."""
    opened: list[Path] = []

    class Program:
        @classmethod
        def open(cls, path: Path, vmunix: Path | None = None) -> FakeProgram:
            if (Path(path) / "GARBLED").exists():
                raise DumpError(str(Path(path) / "INDEX"), "not an INDEX file", offset=0x10)
            opened.append(Path(path))
            return FakeProgram(Path(path))

    module = types.ModuleType("q4py.program")
    module.Program = Program  # type: ignore[attr-defined]
    monkeypatch.setitem(sys.modules, "q4py.program", module)
    monkeypatch.setattr(cli, "Session", functools.partial(Session, commands=registry))
    return opened


@pytest.fixture
def crashdir(tmp_path: Path) -> Path:
    d = tmp_path / "crash.0"
    d.mkdir()
    return d


def test_cli_version(capsys: pytest.CaptureFixture[str]) -> None:
    assert cli.main(["--version"]) == 0
    assert capsys.readouterr().out.strip() == "q4py 0.1.0"


def test_cli_bad_usage(capsys: pytest.CaptureFixture[str]) -> None:
    assert cli.main(["-f", "a", "--replay", "b"]) == 2
    assert "not allowed with" in capsys.readouterr().err


def test_cli_missing_crashdir(
    cli_env: list[Path], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert cli.main([str(tmp_path / "nope")]) == 2
    captured = capsys.readouterr()
    assert captured.err == f"q4: {tmp_path / 'nope'}: no such crash directory\n"
    assert captured.out == "" and cli_env == []


def test_cli_garbled_crashdir(
    cli_env: list[Path], crashdir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (crashdir / "GARBLED").write_text("")
    assert cli.main([str(crashdir)]) == 2
    err = capsys.readouterr().err
    assert err == f"q4: {crashdir / 'INDEX'} at offset 0x10: not an INDEX file\n"


def test_cli_missing_command_file(
    cli_env: list[Path], crashdir: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert cli.main(["-f", str(tmp_path / "cmds.txt"), str(crashdir)]) == 2
    assert capsys.readouterr().err == f"q4: {tmp_path / 'cmds.txt'}: no such file\n"
    assert cli_env == []  # the dump is not opened for nothing


def test_cli_missing_transcript(
    cli_env: list[Path], crashdir: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert cli.main(["--replay", str(tmp_path / "t.txt"), str(crashdir)]) == 2
    assert capsys.readouterr().err.count("\n") == 1


def test_cli_bad_transcript(
    cli_env: list[Path], crashdir: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    t = tmp_path / "t.txt"
    t.write_text("no prompt here\n")
    assert cli.main(["--replay", str(t), str(crashdir)]) == 2
    assert capsys.readouterr().err.startswith(f"q4: {t}:1: text before the first command")


def test_cli_batch_file(
    cli_env: list[Path], crashdir: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    cmds = tmp_path / "cmds.txt"
    cmds.write_text("echo hi\n\n# note\np4>echo there\n")
    assert cli.main(["-f", str(cmds), str(crashdir)]) == 0
    assert capsys.readouterr().out == "q4> echo hi\nhi\nq4> # note\np4>echo there\nthere\n"
    assert cli_env == [crashdir]
    cmds.write_text("fail\necho after\n")
    assert cli.main(["-f", str(cmds), str(crashdir)]) == 1  # a command failed


def test_cli_batch_from_stdin(
    cli_env: list[Path],
    crashdir: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    monkeypatch.setattr(sys, "stdin", io.StringIO("echo from stdin\nquit\necho never\n"))
    assert cli.main([str(crashdir)]) == 0
    assert capsys.readouterr().out == "q4> echo from stdin\nfrom stdin\nq4> quit\n"


def test_cli_replay_exit_codes(
    cli_env: list[Path], crashdir: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    t = tmp_path / "t.txt"
    t.write_text(ECHO_TRANSCRIPT + "q4> echo a\n...\n")
    assert cli.main(["--replay", str(t), str(crashdir)]) == 0
    assert capsys.readouterr().out == f"{t}: 4 block(s), all match\n"
    t.write_text("q4> echo a\nb\nq4> echo c\nc\n")
    assert cli.main(["--replay", str(t), str(crashdir)]) == 1
    out = capsys.readouterr().out
    assert f"--- expected ({t}:1 q4> echo a)\n+++ actual\n" in out
    assert "-b\n+a\n" in out and out.endswith(f"{t}: 1 of 2 block(s) differ\n")


def test_cli_replay_crashdir_header(
    cli_env: list[Path], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / "dumps" / "one").mkdir(parents=True)
    tdir = tmp_path / "transcripts"
    tdir.mkdir()
    t = tdir / "t.txt"
    t.write_text("# crashdir: ../dumps/one\nq4> echo a\na\n")
    assert cli.main(["--replay", str(t)]) == 0
    assert cli_env == [tdir / ".." / "dumps" / "one"]


def test_cli_replay_runs_in_the_transcripts_directory(
    cli_env: list[Path], registry: Registry, dir_registry: Registry, tmp_path: Path,
    elsewhere: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / "crash.0").mkdir()
    tdir = tmp_path / "transcripts"
    tdir.mkdir()
    t = write_transcript(tdir, "q4> include cmds/inc.q4\nq4> echo included\nincluded\n"
                         f"q4> pwd\n{tdir}\n")
    # The transcript named relative to where q4 starts; CRASHDIR taken from there too.
    relative = Path("..") / "transcripts" / "t.q4t"
    assert relative.resolve() == t.resolve()
    assert cli.main(["--replay", str(relative), "../crash.0"]) == 0, capsys.readouterr().out
    assert capsys.readouterr().out == f"{relative}: 3 block(s), all match\n"
    assert cli_env == [elsewhere / ".." / "crash.0"] and cli_env[0].is_absolute()
    assert Path.cwd() == elsewhere


def test_cli_replay_scenario_header(
    cli_env: list[Path],
    fake_forge: list[Path],
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    fixtures = tmp_path / "fixtures"
    (fixtures / "scenarios").mkdir(parents=True)
    (fixtures / "transcripts").mkdir()
    (fixtures / "scenarios" / "small.toml").write_text("small\n")
    t = fixtures / "transcripts" / "t.txt"
    t.write_text("# scenario: small\nq4> echo a\na\n")
    assert cli.main(["--replay", str(t)]) == 0
    dump = tmp_path / "cache" / "scenarios" / "small" / scenario_key(b"small\n")
    assert cli_env == [dump] and (dump / "FORGED").read_text() == "small\n"
    assert "q4: forging scenario small into" in capsys.readouterr().err
    t.write_text("# scenario: missing\nq4> echo a\na\n")
    assert cli.main(["--replay", str(t)]) == 2
    assert "scenario 'missing' not found" in capsys.readouterr().err


def test_cli_demo_dump(
    cli_env: list[Path],
    fake_forge: list[Path],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    demo = tmp_path / "demo.toml"
    monkeypatch.setattr(cli, "_demo_scenario", lambda: demo)
    monkeypatch.setattr(sys, "stdin", io.StringIO("echo x\n"))
    assert cli.main([]) == 2
    assert "demo scenario" in capsys.readouterr().err
    demo.write_text("demo\n")
    for _ in range(2):
        monkeypatch.setattr(sys, "stdin", io.StringIO("echo x\n"))
        assert cli.main([]) == 0
    dump = tmp_path / "cache" / "demo" / scenario_key(b"demo\n")
    assert cli_env == [dump, dump] and len(fake_forge) == 1
    captured = capsys.readouterr()
    assert captured.err == f"q4: forging the demo dump into {dump} ...\n"
    assert captured.out == "q4> echo x\nx\n" * 2


def test_cli_demo_forge_error(
    cli_env: list[Path],
    fake_forge: list[Path],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    demo = tmp_path / "demo.toml"
    demo.write_text("bad\n")
    monkeypatch.setattr(cli, "_demo_scenario", lambda: demo)
    assert cli.main([]) == 2
    err = capsys.readouterr().err.splitlines()
    assert err[-1] == "q4: kernel.cpus: must be a positive integer"


def test_cli_garbled_crashdir_with_the_real_program(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    pytest.importorskip("q4py.program")
    (tmp_path / "INDEX").write_text("this is not an INDEX file\n")
    assert cli.main(["-f", "/dev/null", str(tmp_path)]) == 2
    captured = capsys.readouterr()
    assert captured.out == "" and captured.err.startswith("q4: ")
    assert captured.err.count("\n") == 1 and "Traceback" not in captured.err


# --- the shell tour, from another directory ---------------------------------------------------

TOUR = Path(__file__).resolve().parent.parent / "fixtures" / "transcripts" / "shell-tour.q4t"


def test_the_tour_includes_relative_to_itself() -> None:
    commands = [b.command for b in parse_transcript(TOUR.read_text(), str(TOUR)).blocks]
    assert "include ../commands/shell-tour.q4" in commands
    assert (TOUR.parent / "../commands/shell-tour.q4").is_file()


def test_the_tour_replays_from_another_directory(
    forged_dump: Callable[[str], Path], elsewhere: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from q4py.program import Program

    seed = forged_dump("hpux1100-32-kalloc-sysmap")
    # In-process, as the pytest plugin replays.
    transcript = parse_transcript(TOUR.read_text(), str(TOUR))
    result = replay(transcript, Session(Program.open(seed), io.StringIO()))
    assert result.ok, "".join(f.diff_text for f in result.failures)
    assert result.checked == len(transcript.blocks) and Path.cwd() == elsewhere
    # `q4 --replay`, the dump given on the command line.
    assert cli.main(["--replay", str(TOUR), str(seed)]) == 0, capsys.readouterr().out
    assert capsys.readouterr().out.endswith("all match\n") and Path.cwd() == elsewhere


def test_the_plugin_replays_the_tour_from_another_directory(elsewhere: Path) -> None:
    """pytest started elsewhere, collecting the tour by its path, through the plugin."""
    root = TOUR.parent.parent.parent
    installed = any(ep.name == "q4py" for ep in metadata.entry_points(group="pytest11"))
    plugin = [] if installed else ["-p", "q4py.shell.pytest_plugin"]
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(
        [str(root), *filter(None, [os.environ.get("PYTHONPATH")])])}
    run = subprocess.run(
        [sys.executable, "-m", "pytest", "-p", "no:cacheprovider", *plugin, str(TOUR)],
        cwd=elsewhere, env=env, capture_output=True, text=True, timeout=600, check=False)
    assert run.returncode == 0, run.stdout + run.stderr
    assert "3 passed" in run.stdout  # the tour from a CRASHDIR, a COREDIR and a COREFILE


def test_a_forged_dump_is_keyed_on_q4pys_code(monkeypatch: pytest.MonkeyPatch) -> None:
    """A development checkout changes the forge without a new version: its cached dumps must
    not be reused by the changed code."""
    import q4py.cachedir

    before = scenario_key(b"demo\n")
    monkeypatch.setattr(q4py.cachedir, "code_fingerprint", lambda: b"other code")
    assert scenario_key(b"demo\n") != before
