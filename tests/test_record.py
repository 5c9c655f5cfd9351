"""`q4 --record`: transcripts written from a session replay green; and the pytest plugin that
collects `*.q4t` files as tests (run in an inner pytest through `pytester`)."""

from __future__ import annotations

import io
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from prompt_toolkit.input import create_pipe_input
from prompt_toolkit.output import DummyOutput

from q4py import cli
from q4py.program import Program
from q4py.shell import Session, parse_transcript, replay
from q4py.shell.record import Recorder, Tee, transcript_header
from q4py.shell.repl import run_repl

pytest_plugins = ["pytester"]

SEED = "hpux1100-32-kalloc-sysmap"
COMMANDS = """\
crashinfo general
trace event 0
run PrintMap sysmap
help trace
nosuchcommand
# a comment line
p4_sysmap -a
"""


@pytest.fixture
def seed(forged_dump: Callable[[str], Path]) -> Path:
    return forged_dump(SEED)


def test_record_then_replay_round_trip(
    seed: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    cmds = tmp_path / "cmds.txt"
    cmds.write_text(COMMANDS)
    out = tmp_path / "session.q4t"
    # nosuchcommand fails, so the batch exits 1; the transcript records its error line.
    assert cli.main(["-f", str(cmds), "--record", str(out), str(seed)]) == 1
    printed = capsys.readouterr().out
    text = out.read_text()
    header, body = text.split("q4> ", 1)
    assert header.splitlines()[0] == f"# crashdir: {seed.resolve()}"
    assert "q4> " + body == printed  # the transcript is the batch output, after its header
    assert "q4> nosuchcommand\nq4: unknown command 'nosuchcommand'" in text
    transcript = parse_transcript(text, str(out))
    assert [b.command for b in transcript.blocks][:3] == [
        "crashinfo general", "trace event 0", "run PrintMap sysmap"
    ]
    assert cli.main(["--replay", str(out), str(seed)]) == 0
    assert capsys.readouterr().out.endswith("block(s), all match\n")
    assert cli.main(["--replay", str(out)]) == 0  # the header names the dump


def test_a_recorded_transcript_catches_a_change(
    seed: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    cmds = tmp_path / "cmds.txt"
    cmds.write_text("crashinfo general\n")
    out = tmp_path / "t.q4t"
    assert cli.main(["-f", str(cmds), "--record", str(out), str(seed)]) == 0
    out.write_text(out.read_text().replace("Node Name        : localhost", "Node Name : elsewhere"))
    capsys.readouterr()
    assert cli.main(["--replay", str(out), str(seed)]) == 1
    assert "-Node Name : elsewhere\n+Node Name        : localhost" in capsys.readouterr().out


def test_record_from_stdin(
    seed: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setattr("sys.stdin", io.StringIO("crashinfo general\nexit\n"))
    out = tmp_path / "t.q4t"
    assert cli.main(["--record", str(out), str(seed)]) == 0
    assert "# recorded by q4py" in out.read_text() and "from stdin" in out.read_text()
    assert cli.main(["--replay", str(out), str(seed)]) == 0


def test_record_errors(seed: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    cmds = tmp_path / "cmds.txt"
    cmds.write_text("help\n")
    assert cli.main(["--replay", str(cmds), "--record", str(tmp_path / "x.q4t")]) == 2
    assert "--record cannot be used with --replay" in capsys.readouterr().err
    bad = tmp_path / "no" / "such" / "dir" / "x.q4t"
    assert cli.main(["-f", str(cmds), "--record", str(bad), str(seed)]) == 2
    err = capsys.readouterr().err
    assert err.startswith(f"q4: {bad}: cannot write") and err.count("\n") == 1


def test_record_the_repl(seed: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("Q4PY_STATE_DIR", str(tmp_path / "state"))
    path = tmp_path / "repl.q4t"
    session = Session(Program.open(seed), io.StringIO())
    with Recorder.open(path, transcript_header(seed, SEED)) as recorder:
        session.out = recorder.tee(session.out)
        with create_pipe_input() as pipe:
            pipe.send_text("crashinfo general\rbogus\r\x04")
            run_repl(session, input=pipe, output=DummyOutput(), recorder=recorder)
    transcript = parse_transcript(path.read_text(), str(path))
    assert [b.command for b in transcript.blocks] == ["crashinfo general", "bogus"]
    assert replay(transcript, Session(Program.open(seed), io.StringIO())).ok


def test_transcript_header(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    cache = tmp_path / "cache"
    monkeypatch.setenv("Q4PY_CACHE_DIR", str(cache))
    assert transcript_header(None, "demo-name") == {"scenario": "demo-name"}
    assert transcript_header(cache / "demo" / "0123abcd", "demo-name") == {"scenario": "demo-name"}
    assert transcript_header(cache / "scenarios" / "small" / "0123abcd", "d") == {
        "scenario": "small"
    }
    elsewhere = tmp_path / "crash.0"
    assert transcript_header(elsewhere, "d") == {"crashdir": str(elsewhere.resolve())}
    monkeypatch.chdir(tmp_path)
    assert transcript_header("crash.0", "d") == {"crashdir": str(elsewhere.resolve())}


def test_tee_writes_both() -> None:
    a, b = io.StringIO(), io.StringIO()
    tee = Tee(a, b)
    print("x", file=tee)  # type: ignore[arg-type]
    tee.flush()
    assert a.getvalue() == b.getvalue() == "x\n"
    assert tee.getvalue() == "x\n"  # everything else is the primary's


def test_a_demo_transcript_replays_on_the_bundled_demo(tmp_path: Path) -> None:
    """`# scenario: <demo>` with no scenarios/ beside the file means the bundled demo (None);
    another name still has to be found."""
    demo = parse_transcript(f"# scenario: {SEED}\nq4> # nothing\n")
    assert cli._replay_crashdir(demo, tmp_path, None) is None
    other = parse_transcript("# scenario: other\nq4> # nothing\n")
    with pytest.raises(cli._Fatal, match="scenario 'other' not found"):
        cli._replay_crashdir(other, tmp_path, None)


# --- the pytest plugin ---------------------------------------------------------------------


@pytest.fixture
def inner(pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch) -> Callable[..., Any]:
    """Run an inner pytest with the plugin loaded once: with q4py installed, its pytest11 entry
    point would load it a second time under another name, so entry points stay off."""
    monkeypatch.setenv("PYTEST_DISABLE_PLUGIN_AUTOLOAD", "1")
    return lambda *args: pytester.runpytest("-p", "q4py.shell.pytest_plugin", *args)


def _expected_output(seed: Path, command: str) -> str:
    session = Session(Program.open(seed), io.StringIO())
    session.execute(command)
    return session.out.getvalue()  # type: ignore[attr-defined]


def test_plugin_collects_and_passes_a_transcript(
    pytester: pytest.Pytester, inner: Callable[..., Any], seed: Path
) -> None:
    expected = _expected_output(seed, "crashinfo general")
    pytester.makefile(".q4t", good=f"# crashdir: {seed}\nq4> crashinfo general\n{expected}")
    result = inner("-v")
    result.assert_outcomes(passed=1)
    result.stdout.fnmatch_lines(["*good.q4t::good PASSED*"])


def test_plugin_shows_a_readable_diff(
    pytester: pytest.Pytester, inner: Callable[..., Any], seed: Path
) -> None:
    expected = _expected_output(seed, "crashinfo general").replace("K360", "K999")
    pytester.makefile(
        ".q4t", bad=f"# crashdir: {seed}\nq4> help exit\n...\nq4> crashinfo general\n{expected}"
    )
    result = inner()
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines([
        "*bad.q4t: 1 of 2 block(s) differ",
        "--- expected (*bad.q4t:4 q4> crashinfo general)",
        "+++ actual",
        "-Model            : 9000/800/K999",
        "+Model            : 9000/800/K360",
    ])
    assert "Traceback" not in result.stdout.str()
    assert "runtest" not in result.stdout.str()


def test_plugin_forges_a_scenario_header(
    pytester: pytest.Pytester, inner: Callable[..., Any], seed: Path
) -> None:
    scenario = Path(__file__).resolve().parent.parent / "fixtures" / "scenarios" / f"{SEED}.toml"
    (pytester.path / "scenarios").mkdir()
    (pytester.path / "scenarios" / "tiny.toml").write_text(scenario.read_text())
    (pytester.path / "transcripts").mkdir()
    expected = _expected_output(seed, "crashinfo general")
    (pytester.path / "transcripts" / "t.q4t").write_text(
        f"# scenario: tiny\nq4> crashinfo general\n{expected}"
    )
    (pytester.path / "transcripts" / "u.q4t").write_text("# scenario: tiny\nq4> # again\n")
    result = inner("transcripts")
    result.assert_outcomes(passed=6)  # two transcripts, each from a CRASHDIR, COREDIR, COREFILE


def test_plugin_reports_a_missing_dump_in_one_line(
    pytester: pytest.Pytester, inner: Callable[..., Any]
) -> None:
    pytester.makefile(".q4t", noheader="q4> help\n...\n")
    pytester.makefile(".q4t", missing="# scenario: nowhere\nq4> help\n...\n")
    result = inner()
    result.assert_outcomes(failed=4)  # the scenario one in each of its three dump formats
    result.stdout.fnmatch_lines([
        "*missing.q4t: scenario 'nowhere' not found*",
        "*noheader.q4t: the header names no dump*",
    ])


def test_plugin_reports_a_malformed_transcript(
    pytester: pytest.Pytester, inner: Callable[..., Any]
) -> None:
    pytester.makefile(".q4t", broken="no prompt here\n")
    result = inner()
    result.assert_outcomes(errors=1)
    result.stdout.fnmatch_lines(["*broken.q4t:1: text before the first command*"])


def test_plugin_ignores_other_files(
    pytester: pytest.Pytester, inner: Callable[..., Any]
) -> None:
    pytester.makefile(".txt", notes="q4> help\n")
    result = inner()
    assert result.ret == pytest.ExitCode.NO_TESTS_COLLECTED
