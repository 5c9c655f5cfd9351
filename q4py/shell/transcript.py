"""Transcripts: q4 sessions written down as text, parsed and replayed against a dump.

The syntax is described in docs/transcripts.md. In short: a line starting with `q4> `, `p4> ` or
`p4>` is a command; the lines up to the next command are its expected output; a line that is
exactly `...` matches any run of lines; trailing blanks never matter. `#` lines before the first
command are a header (`# scenario: NAME`, `# crashdir: PATH`, `# crashinfo-style: NAME`).

A transcript replays in its own directory: relative paths in its commands (`include
../commands/tour.q4`, `> out.txt`, `run scripts/mine.py`) mean the same wherever q4 or pytest
was started. `replay` changes the working directory for the replay only (`working_directory`)
and always changes it back.
"""

from __future__ import annotations

import contextlib
import difflib
import io
import os
import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from q4py.errors import Q4Error
from q4py.render.styles import BY_NAME as CRASHINFO_STYLES
from q4py.render.styles import STYLE_SETTING, style_names
from q4py.shell.session import Session

# Longest first so `p4> x` keeps the space in its prompt.
COMMAND_PROMPTS: tuple[str, ...] = ("q4> ", "p4> ", "p4>")
ELLIPSIS = "..."
STYLE_HEADER = "crashinfo-style"  # names the crashinfo style the replay uses
KNOWN_HEADER_KEYS = ("scenario", "crashdir", STYLE_HEADER)

_HEADER_RE = re.compile(r"#\s*([A-Za-z][\w-]*)\s*:\s*(.*)$")
_SCENARIO_NAME_RE = re.compile(r"[\w.-]+$")  # a file name, so a header cannot point elsewhere


class TranscriptError(Q4Error):
    """A transcript file is malformed; the message names the file and line."""


@dataclass(frozen=True)
class Block:
    """One command of a transcript and the output it should print."""

    prompt: str  # as written: "q4> ", "p4> ", "p4>" (or "q4>" for a bare prompt line)
    command: str
    expected: list[str]
    line_no: int  # 1-based line of the command in the file


@dataclass(frozen=True)
class Transcript:
    header: dict[str, str]
    blocks: list[Block]
    path: str = "<transcript>"


@dataclass(frozen=True)
class BlockFailure:
    block: Block
    diff_text: str


@dataclass
class ReplayResult:
    ok: bool
    failures: list[BlockFailure] = field(default_factory=list)
    checked: int = 0  # blocks compared (run, or matched against echoed output)
    # What each `...` of a matching block covered: (the block's line number, the lines).
    covered: list[tuple[int, list[str]]] = field(default_factory=list)

    @property
    def unchecked(self) -> int:
        """Output lines of the matching blocks that only a `...` line covered."""
        return sum(len(lines) for _, lines in self.covered)


def split_prompt(line: str) -> tuple[str, str] | None:
    """`(prompt, command)` when `line` is a command line, else None. Trailing blanks ignored."""
    line = line.rstrip()
    if line == "q4>":  # "q4> " with its blank stripped: a prompt with no command
        return "q4>", ""
    for prompt in COMMAND_PROMPTS:
        if line.startswith(prompt):
            return prompt, line[len(prompt) :]
    return None


def normalise_command(command: str) -> str:
    """Command text with runs of whitespace folded, for comparing echoed commands."""
    return " ".join(command.split())


def output_lines(text: str) -> list[str]:
    """Split captured output into rstripped lines (a final newline ends a line, adds none)."""
    if not text:
        return []
    lines = text.split("\n")
    if lines[-1] == "":
        lines.pop()
    return [line.rstrip() for line in lines]


def _strip_trailing_blank(lines: list[str]) -> list[str]:
    end = len(lines)
    while end and not lines[end - 1]:
        end -= 1
    return lines[:end]


def parse_transcript(text: str, path: str = "<transcript>") -> Transcript:
    """Parse transcript text; raises TranscriptError for text before the first command, a bad
    header value, or a transcript with no command at all."""
    header: dict[str, str] = {}
    blocks: list[Block] = []
    current: tuple[str, str, int] | None = None
    expected: list[str] = []
    for no, raw in enumerate(text.split("\n"), start=1):
        line = raw.rstrip()
        cmd = split_prompt(line)
        if cmd is not None:
            if current is not None:
                blocks.append(Block(current[0], current[1], expected, current[2]))
            current, expected = (cmd[0], cmd[1], no), []
        elif current is not None:
            expected.append(line)
        elif line.startswith("#"):
            _header_line(header, line, path, no)
        elif line:
            raise TranscriptError(
                f"{path}:{no}: text before the first command line"
                " (commands start with 'q4> ' or 'p4>')"
            )
    if current is None:
        raise TranscriptError(f"{path}: no command lines (commands start with 'q4> ' or 'p4>')")
    # Trailing blank lines at the very end of the file are dropped (an editor's final newline).
    blocks.append(Block(current[0], current[1], _strip_trailing_blank(expected), current[2]))
    return Transcript(header, blocks, path)


def _header_line(header: dict[str, str], line: str, path: str, no: int) -> None:
    m = _HEADER_RE.match(line)
    if m is None:
        return  # a plain comment
    key, value = m.group(1).lower(), m.group(2).strip()
    if key in KNOWN_HEADER_KEYS:
        if key in header:
            raise TranscriptError(f"{path}:{no}: second '# {key}:' header")
        if not value:
            raise TranscriptError(f"{path}:{no}: '# {key}:' needs a value")
        if key == "scenario" and not _SCENARIO_NAME_RE.match(value):
            raise TranscriptError(f"{path}:{no}: bad scenario name {value!r}")
        if key == STYLE_HEADER and value not in CRASHINFO_STYLES:
            raise TranscriptError(f"{path}:{no}: unknown crashinfo style {value!r} "
                                  f"(styles: {style_names()})")
    header[key] = value


def _find(haystack: Sequence[str], needle: Sequence[str], start: int, end: int) -> int:
    """First index >= start where `needle` occurs inside haystack[start:end], or -1 (KMP)."""
    m = len(needle)
    if m == 0:
        return start
    fail = [0] * m
    k = 0
    for i in range(1, m):
        while k and needle[i] != needle[k]:
            k = fail[k - 1]
        if needle[i] == needle[k]:
            k += 1
        fail[i] = k
    k = 0
    for i in range(start, end):
        while k and haystack[i] != needle[k]:
            k = fail[k - 1]
        if haystack[i] == needle[k]:
            k += 1
            if k == m:
                return i - m + 1
    return -1


def match_lines(expected: Sequence[str], actual: Sequence[str]) -> bool:
    """True when `actual` matches `expected`, where a line `...` in `expected` stands for any run
    of zero or more lines. Lines compare with trailing blanks stripped."""
    return ellipsis_spans(expected, actual) is not None


def ellipsis_spans(expected: Sequence[str], actual: Sequence[str]) -> list[range] | None:
    """The lines of `actual` each `...` of `expected` covers (one range per `...`, in order),
    or None when `actual` does not match.

    The literal runs between `...` lines must occur in order: the first anchored at the start,
    the last at the end, the ones between at their earliest place (earliest is always safe,
    since leaving more lines for later runs can only help). Linear time per run (KMP).
    """
    exp = [line.rstrip() for line in expected]
    act = [line.rstrip() for line in actual]
    segments: list[list[str]] = [[]]
    for line in exp:
        if line == ELLIPSIS:
            segments.append([])
        else:
            segments[-1].append(line)
    if len(segments) == 1:
        return [] if exp == act else None
    first, middle, last = segments[0], segments[1:-1], segments[-1]
    if len(first) + len(last) > len(act):
        return None
    end = len(act) - len(last)
    if act[: len(first)] != first or act[end:] != last:
        return None
    spans = []
    pos = len(first)
    for seg in middle:
        at = _find(act, seg, pos, end)
        if at < 0:
            return None
        spans.append(range(pos, at))
        pos = at + len(seg)
    spans.append(range(pos, end))
    return spans


@dataclass
class _Echoed:
    raw: str  # the command line as printed
    command: str
    lines: list[str]


def split_echoed(lines: list[str]) -> tuple[list[str], list[_Echoed]]:
    """Split a command's output at command lines it echoed itself (crashinfo prints
    `p4>p4_sysmap -a` before that command's output): its own lines, then each echoed command."""
    own: list[str] = []
    echoed: list[_Echoed] = []
    for line in lines:
        cmd = split_prompt(line)
        if cmd is not None:
            echoed.append(_Echoed(line, cmd[1], []))
        elif echoed:
            echoed[-1].lines.append(line)
        else:
            own.append(line)
    return own, echoed


def _run_captured(session: Session, command: str) -> list[str]:
    saved = session.out
    buf = io.StringIO()
    session.out = buf
    try:
        session.execute(command)
    finally:
        session.out = saved
    return output_lines(buf.getvalue())


@contextlib.contextmanager
def working_directory(directory: str | os.PathLike[str] | None) -> Iterator[None]:
    """Run the body with `directory` as the working directory (None: stay), then return to the
    one before, however the body ends (an exception, Ctrl-C). The working directory belongs to
    the whole process: the pytest plugin replays in-process, so nothing may be left changed."""
    if directory is None:
        yield
        return
    saved = os.getcwd()
    os.chdir(directory)
    try:
        yield
    finally:
        os.chdir(saved)


def transcript_directory(transcript: Transcript) -> Path | None:
    """The directory of the transcript's file, or None when it was not read from a file."""
    path = Path(transcript.path)
    return path.resolve().parent if path.is_file() else None


@dataclass(frozen=True)
class HeaderDump:
    """Where a transcript's header says its dump comes from: exactly one field is set."""

    crashdir: Path | None = None  # `# crashdir: PATH`, relative to the transcript's directory
    scenario: Path | None = None  # `# scenario: NAME`, the file <dir>/../scenarios/NAME.toml
    demo: bool = False  # `# scenario: <the demo>` and no such file: the bundled demo scenario
    vmunix: Path | None = None  # `# vmunix: PATH` with `# crashdir:`: a COREFILE's core + kernel


def header_dump(transcript: Transcript, base: Path, demo_name: str) -> HeaderDump | None:
    """The dump named by the header of `transcript` (read from directory `base`); None when
    the header names none. `# crashdir:` wins over `# scenario:`; `demo_name` is the stem of
    the bundled demo scenario. TranscriptError when the named scenario file is missing."""
    base = base.absolute()  # `.` (a transcript in the current directory) has no parent
    if "crashdir" in transcript.header:
        vmunix = transcript.header.get("vmunix")
        return HeaderDump(crashdir=base / Path(transcript.header["crashdir"]).expanduser(),
                          vmunix=None if vmunix is None else base / Path(vmunix).expanduser())
    name = transcript.header.get("scenario")
    if name is None:
        return None
    scenario = base.parent / "scenarios" / f"{name}.toml"
    if scenario.is_file():
        return HeaderDump(scenario=scenario)
    if name == demo_name:
        return HeaderDump(demo=True)
    raise TranscriptError(f"scenario {name!r} not found ({scenario})")


def replay(transcript: Transcript, session: Session, *,
           directory: str | os.PathLike[str] | None = None) -> ReplayResult:
    """Run every block of `transcript` in `session` and compare the output.

    The commands run in `directory`, by default the transcript's own directory when it was read
    from a file (`transcript.path`), so its relative paths do not depend on where the replay
    was started; the working directory is restored afterwards. The session's dump must then
    have been opened by an absolute path (its files are read lazily).

    A command whose output echoes command lines (see split_echoed) has those sub-outputs matched
    against the following blocks with the same command text, in order, instead of running them
    again; echoed commands with no such block stay part of the echoing command's output.
    """
    if directory is None:
        directory = transcript_directory(transcript)
    dump = getattr(session.program, "path", None)
    if directory is not None and dump is not None and not Path(dump).is_absolute():
        raise TranscriptError(f"{transcript.path}: the dump {dump} was opened by a relative "
                              "path, which the replay's working directory would change")
    style = transcript.header.get(STYLE_HEADER)
    with working_directory(directory), _crashinfo_style(session, style):
        return _replay(transcript, session)


@contextlib.contextmanager
def _crashinfo_style(session: Session, name: str | None) -> Iterator[None]:
    """The session's crashinfo style set to the header's for the replay, then put back."""
    if name is None:
        yield
        return
    values = session.settings.values
    before = values.get(STYLE_SETTING.name)
    session.settings.change(STYLE_SETTING.name, name)
    try:
        yield
    finally:
        if before is None:
            values.pop(STYLE_SETTING.name, None)
        else:
            values[STYLE_SETTING.name] = before


def _replay(transcript: Transcript, session: Session) -> ReplayResult:
    blocks = transcript.blocks
    failures: list[BlockFailure] = []
    covered: list[tuple[int, list[str]]] = []
    checked = 0

    def check(index: int, actual: list[str], actual_label: str) -> None:
        nonlocal checked
        checked += 1
        block = blocks[index]
        if index == len(blocks) - 1:  # trailing blank lines at the end of the file don't count
            actual = _strip_trailing_blank(actual)
        spans = ellipsis_spans(block.expected, actual)
        if spans is not None:
            covered.extend((block.line_no, [actual[i] for i in span]) for span in spans)
            return
        label = f"expected ({transcript.path}:{block.line_no} {block.prompt}{block.command})"
        diff = difflib.unified_diff(
            block.expected, actual, fromfile=label, tofile=actual_label, lineterm=""
        )
        failures.append(BlockFailure(block, "\n".join(diff) + "\n"))

    i = 0
    while i < len(blocks):
        block = blocks[i]
        own, echoed = split_echoed(_run_captured(session, block.command))
        j, k = i + 1, 0
        matched: list[tuple[int, list[str]]] = []
        while (
            k < len(echoed)
            and j < len(blocks)
            and normalise_command(blocks[j].command) == normalise_command(echoed[k].command)
        ):
            matched.append((j, echoed[k].lines))
            j, k = j + 1, k + 1
        for rest in echoed[k:]:  # not in the transcript: shows up in this block's diff
            own += [rest.raw, *rest.lines]
        check(i, own, "actual")
        for index, lines in matched:
            check(index, lines, f"actual (echoed by line {block.line_no})")
        i = j
    return ReplayResult(not failures, failures, checked, covered)
