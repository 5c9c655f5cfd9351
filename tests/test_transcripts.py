"""Every transcript in fixtures/transcripts/ replays green against the dump its header names.

A transcript's expected output comes from HP's reports; the dump is forged from the scenario the
header names. This is the fidelity test of the whole path: forge -> dump -> decoder -> text.
"""

from __future__ import annotations

import io
from collections.abc import Callable
from pathlib import Path

import pytest

from q4py.program import Program
from q4py.shell import Session, parse_transcript, replay

from conftest import TRANSCRIPTS_DIR

TRANSCRIPTS = sorted(TRANSCRIPTS_DIR.glob("*.q4t"))


def test_there_are_transcripts() -> None:
    assert TRANSCRIPTS, "fixtures/transcripts/ holds no *.q4t"


@pytest.mark.parametrize("path", TRANSCRIPTS, ids=[p.stem for p in TRANSCRIPTS])
def test_transcript_replays(path: Path, forged_dump: Callable[[str], Path]) -> None:
    transcript = parse_transcript(path.read_text(), str(path))
    scenario = transcript.header.get("scenario")
    assert scenario, f"{path.name} names no '# scenario:' in its header"
    session = Session(Program.open(forged_dump(scenario)), io.StringIO())
    result = replay(transcript, session)
    diffs = "\n".join(f.diff_text for f in result.failures)
    assert result.ok, f"{path.name}: {len(result.failures)} block(s) differ\n{diffs}"
    assert result.checked == len(transcript.blocks)
