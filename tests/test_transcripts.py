"""The transcripts of fixtures/transcripts/ are there, and the pytest plugin collects them.

Each `*.q4t` there is itself a test: q4py's pytest plugin (q4py/shell/pytest_plugin.py, loaded
by conftest.py) replays it against the dump its header names. A transcript's expected output
comes from HP's reports; the dump is forged from the scenario the header names. This is the
fidelity test of the whole path: forge -> dump -> decoder -> text.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from conftest import TRANSCRIPTS_DIR

from q4py.shell import parse_transcript

TRANSCRIPTS = sorted(TRANSCRIPTS_DIR.glob("*.q4t"))


def test_there_are_transcripts() -> None:
    assert TRANSCRIPTS, "fixtures/transcripts/ holds no *.q4t"


@pytest.mark.parametrize("path", TRANSCRIPTS, ids=[p.stem for p in TRANSCRIPTS])
def test_transcript_names_its_scenario(path: Path) -> None:
    transcript = parse_transcript(path.read_text(), str(path))
    assert transcript.header.get("scenario"), f"{path} names no '# scenario:' in its header"


def test_the_plugin_collects_transcripts(pytestconfig: pytest.Config) -> None:
    assert pytestconfig.pluginmanager.hasplugin("q4py.shell.pytest_plugin") or (
        pytestconfig.pluginmanager.hasplugin("q4py")
    )
    assert "fixtures/transcripts" in pytestconfig.getini("testpaths")


def test_header_dump_is_one_rule_for_the_cli_and_the_plugin(tmp_path: Path) -> None:
    from q4py.shell.transcript import HeaderDump, TranscriptError, header_dump

    base = tmp_path / "transcripts"
    (tmp_path / "scenarios").mkdir()
    (tmp_path / "scenarios" / "mine.toml").write_text("")

    def dump(header: str) -> HeaderDump | None:
        return header_dump(parse_transcript(header + "q4> help\n"), base, "demo")

    assert dump("") is None
    assert dump("# crashdir: ../cd\n# scenario: mine\n") == HeaderDump(crashdir=base / "../cd")
    assert dump("# scenario: mine\n") == HeaderDump(scenario=tmp_path / "scenarios" / "mine.toml")
    assert dump("# scenario: demo\n") == HeaderDump(demo=True)
    with pytest.raises(TranscriptError, match="scenario 'gone' not found"):
        dump("# scenario: gone\n")
