"""A pytest plugin: every `*.q4t` transcript pytest collects is a test that replays it.

The dump comes from the transcript's header (docs/transcripts.md):

- `# crashdir: PATH` — PATH relative to the transcript's directory;
- `# scenario: NAME` — forged from `<dir>/../scenarios/NAME.toml` (the bundled demo scenario
  when that is its name and no such file exists) into a temporary directory, once per test
  session and scenario. Such a transcript is three tests, `NAME[crashdir]`, `NAME[coredir]` and
  `NAME[corefile]`: one forged machine written in each dump format, the same text expected
  from all three.

A transcript with neither header fails: a test must say what it runs on. The commands run in
the transcript's directory (q4py.shell.transcript.replay), so a relative `include` works
whatever directory pytest was started from; pytest's own working directory is restored. A
failure shows one unified diff per differing block, expected against actual, without a Python
traceback.

The plugin is registered as the pytest11 entry point `q4py` (pyproject.toml); the q4py test
suite also loads it from tests/conftest.py, for runs from a checkout that is not installed.
"""

from __future__ import annotations

import io
import shutil
import tempfile
from importlib import resources
from pathlib import Path
from typing import Any

import pytest

from q4py.cli import DEMO_SCENARIO
from q4py.errors import Q4Error
from q4py.shell.session import Session
from q4py.shell.transcript import (
    ReplayResult,
    Transcript,
    TranscriptError,
    header_dump,
    parse_transcript,
    replay,
)

SUFFIX = ".q4t"
DUMP_FORMATS = ("crashdir", "coredir", "corefile")  # q4py.dumps.DUMP_FORMATS, without its imports


class _Dumps:
    """Dumps forged for this test session: per scenario file, one machine built once and
    written in every dump format."""

    def __init__(self) -> None:
        self._made: dict[Path, Path] = {}
        self._root: Path | None = None

    def forged(self, scenario: Path, dump_format: str = "crashdir") -> Path:
        key = scenario.resolve()
        if key not in self._made:
            from q4py.forge.build import Forge  # only when a transcript needs it
            from q4py.forge.scenario import load_scenario

            if self._root is None:
                self._root = Path(tempfile.mkdtemp(prefix="q4py-transcripts-"))
            outdir = self._root / f"{len(self._made)}-{scenario.stem}"
            forge = Forge(load_scenario(scenario))
            forge.build(outdir / DUMP_FORMATS[0], DUMP_FORMATS[0])
            for other in DUMP_FORMATS[1:]:
                forge.write_files(outdir / other, other)
            self._made[key] = outdir
        return self._made[key] / dump_format

    def cleanup(self) -> None:
        if self._root is not None:
            shutil.rmtree(self._root, ignore_errors=True)
            self._root = None
        self._made.clear()


_DUMPS_KEY = pytest.StashKey[_Dumps]()


def pytest_configure(config: pytest.Config) -> None:
    config.stash[_DUMPS_KEY] = _Dumps()


def pytest_unconfigure(config: pytest.Config) -> None:
    dumps = config.stash.get(_DUMPS_KEY, None)
    if dumps is not None:
        dumps.cleanup()


def pytest_collect_file(file_path: Path, parent: pytest.Collector) -> pytest.Collector | None:
    if file_path.suffix == SUFFIX:
        return TranscriptFile.from_parent(parent, path=file_path)
    return None


class TranscriptFile(pytest.File):
    """A `.q4t` file: one test item, since its commands build on each other (piles)."""

    def collect(self) -> list[pytest.Item]:
        try:
            transcript = parse_transcript(self.path.read_text(encoding="utf-8"), str(self.path))
        except (TranscriptError, OSError, UnicodeDecodeError) as exc:
            raise self.CollectError(f"{self.path}: cannot read this transcript: {exc}") from None
        if "scenario" not in transcript.header or "crashdir" in transcript.header:
            return [TranscriptItem.from_parent(self, name=self.path.stem, transcript=transcript)]
        return [TranscriptItem.from_parent(self, name=f"{self.path.stem}[{fmt}]",
                                           transcript=transcript, dump_format=fmt)
                for fmt in DUMP_FORMATS]


class TranscriptDiffers(Exception):
    """Raised by a transcript item whose replay found differing blocks."""

    def __init__(self, transcript: Transcript, result: ReplayResult) -> None:
        super().__init__(f"{len(result.failures)} block(s) differ")
        self.transcript = transcript
        self.result = result


class _SetupFailed(Exception):
    """The dump of a transcript could not be found, forged or opened: one line says why."""


class TranscriptItem(pytest.Item):
    def __init__(self, *, transcript: Transcript, dump_format: str = "crashdir",
                 **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.transcript = transcript
        self.dump_format = dump_format

    def runtest(self) -> None:
        from q4py.program import Program  # the dump layer, only when a transcript runs

        # Absolute: the replay runs in the transcript's directory (relative `include`s there).
        crashdir = self._crashdir().absolute()
        vmunix = self._vmunix()
        try:
            program = Program.open(crashdir, vmunix)
        except (Q4Error, OSError) as exc:
            raise _SetupFailed(f"cannot open the dump {crashdir}: {exc}") from None
        # In-process: replay() restores pytest's working directory however the replay ends.
        result = replay(self.transcript, Session(program, io.StringIO()),
                        directory=self.path.parent)
        if not result.ok:
            raise TranscriptDiffers(self.transcript, result)
        assert result.checked == len(self.transcript.blocks)

    def _vmunix(self) -> Path | None:
        """A COREFILE's kernel (`# vmunix:` beside `# crashdir:`), else None."""
        vmunix = self.transcript.header.get("vmunix")
        if vmunix is None or "crashdir" not in self.transcript.header:
            return None
        return (self.path.parent / Path(vmunix).expanduser()).absolute()

    def _crashdir(self) -> Path:
        try:
            found = header_dump(self.transcript, self.path.parent, Path(DEMO_SCENARIO).stem)
        except TranscriptError as exc:
            raise _SetupFailed(str(exc)) from None
        if found is None:
            raise _SetupFailed(
                "the header names no dump: add '# scenario: NAME' or '# crashdir: PATH'"
            )
        if found.crashdir is not None:
            return found.crashdir
        name = self.transcript.header["scenario"]
        if found.demo:
            return self._forged(resources.files("q4py") / "data" / "demo" / DEMO_SCENARIO, name)
        assert found.scenario is not None
        return self._forged(found.scenario, name)

    def _forged(self, scenario: Any, name: str) -> Path:
        try:
            with resources.as_file(scenario) as path:  # package data may live in a zip
                return self.config.stash[_DUMPS_KEY].forged(Path(path), self.dump_format)
        except (Q4Error, OSError) as exc:
            raise _SetupFailed(f"cannot forge scenario {name!r}: {exc}") from None

    def repr_failure(
        self, excinfo: pytest.ExceptionInfo[BaseException], style: Any = None
    ) -> str | Any:
        exc = excinfo.value
        if isinstance(exc, TranscriptDiffers):
            n = len(exc.transcript.blocks)
            lines = [f"{self.path}: {len(exc.result.failures)} of {n} block(s) differ", ""]
            lines += [f.diff_text.rstrip("\n") for f in exc.result.failures]
            return "\n".join(lines)
        if isinstance(exc, _SetupFailed):
            return f"{self.path}: {exc}"
        return super().repr_failure(excinfo, style=style)

    def reportinfo(self) -> tuple[Path, int | None, str]:
        return self.path, 0, f"transcript {self.path.name}"
