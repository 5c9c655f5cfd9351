"""The q4 shell: sessions, batch runs, the basic prompt, and transcript replay."""

from __future__ import annotations

from q4py.shell.batch import interactive, run_lines
from q4py.shell.session import Session
from q4py.shell.transcript import (
    Block,
    BlockFailure,
    ReplayResult,
    Transcript,
    TranscriptError,
    match_lines,
    parse_transcript,
    replay,
)

__all__ = [
    "Block",
    "BlockFailure",
    "ReplayResult",
    "Session",
    "Transcript",
    "TranscriptError",
    "interactive",
    "match_lines",
    "parse_transcript",
    "replay",
    "run_lines",
]
