"""`q4 --record OUT.q4t`: write a session down as a transcript that `q4 --replay` checks.

The transcript starts with a header naming the dump, so a replay needs no CRASHDIR:

- `# scenario: NAME` when the dump is the bundled demo, or was forged from scenario NAME into
  the user cache (`<cache>/scenarios/NAME/...`); a replay finds `NAME.toml` in
  `../scenarios/` next to the transcript (the demo's name also resolves to the bundled demo);
- `# crashdir: PATH` otherwise, PATH absolute so the file can be moved.

Then comes every command as `q4> CMD` followed by the lines it printed. A batch echoes the
command lines into its own output, so recording it is a tee of `session.out`; the REPL writes
each line it reads with `Recorder.command`.
"""

from __future__ import annotations

import io
from collections.abc import Callable
from pathlib import Path
from typing import Any, TextIO

from q4py import __version__
from q4py.cachedir import user_cache_dir

__all__ = ["Recorder", "Tee", "transcript_header"]


def transcript_header(crashdir: str | Path | None, demo_scenario: str,
                      vmunix: str | Path | None = None) -> dict[str, str]:
    """The header naming the dump: `crashdir` None is the demo (scenario `demo_scenario`);
    with `vmunix`, `crashdir` is a COREFILE's core and both are named."""
    if vmunix is not None and crashdir is not None:
        return {"crashdir": str(Path(crashdir).expanduser().resolve()),
                "vmunix": str(Path(vmunix).expanduser().resolve())}
    if crashdir is None:
        return {"scenario": demo_scenario}
    path = Path(crashdir).expanduser().resolve()
    cache = user_cache_dir().expanduser().resolve()
    if path.is_relative_to(cache):
        parts = path.relative_to(cache).parts
        # forge_cached puts scenario NAME in <cache>/scenarios/NAME/<key>, the demo in
        # <cache>/demo/<key>.
        if len(parts) == 3 and parts[0] == "scenarios":
            return {"scenario": parts[1]}
        if len(parts) == 2 and parts[0] == "demo":
            return {"scenario": demo_scenario}
    return {"crashdir": str(path)}


class Tee:
    """A text stream writing to `primary` and `copy`; everything else is `primary`'s."""

    def __init__(self, primary: TextIO, copy: TextIO) -> None:
        self.primary = primary
        self.copy = copy

    def write(self, text: str) -> int:
        self.copy.write(text)
        return self.primary.write(text)

    def flush(self) -> None:
        self.copy.flush()
        self.primary.flush()

    def fileno(self) -> int:
        # No descriptor: a shell pipeline's output must come through write() to be recorded.
        raise io.UnsupportedOperation("a Tee has no file descriptor")

    def __getattr__(self, name: str) -> Any:
        return getattr(self.primary, name)


class Recorder:
    """A transcript being written to `file` (which the recorder owns and closes).

    Each block (a command line and what it printed) is held back until the next one starts or
    the recording ends well: an interrupted command (Ctrl-C) is dropped whole with `discard`,
    so the transcript never keeps a partial output that no replay could match."""

    _PROMPTS = ("q4> ", "p4> ", "p4>")

    def __init__(self, file: TextIO, header: dict[str, str], source: str | None = None) -> None:
        self.file = file
        # Whether an echoed prompt now starts a block: not inside an `include`, whose echoed
        # lines belong to its own block (the CLI sets it from the session).
        self.at_top: Callable[[], bool] = lambda: True
        self._pending: list[str] = []  # the block being written
        self._line_start = True
        for key, value in header.items():
            file.write(f"# {key}: {value}\n")
        what = f" from {source}" if source else ""
        file.write(f"# recorded by q4py {__version__}{what}; replay with q4 --replay FILE\n")
        file.flush()

    @classmethod
    def open(
        cls, path: str | Path, header: dict[str, str], source: str | None = None
    ) -> Recorder:
        """Create the transcript file; FileExistsError when it exists (a transcript is never
        overwritten silently), another OSError when it cannot be written."""
        return cls(open(path, "x", encoding="utf-8"), header, source)  # noqa: SIM115

    def tee(self, out: TextIO) -> TextIO:
        """`out` with everything written to it copied into the transcript."""
        return Tee(out, self)  # type: ignore[arg-type, return-value]

    def write(self, text: str) -> int:
        """Output of the session (through the tee); a batch's echoed `q4> ` line starts a new
        block."""
        if self._line_start and text.startswith(self._PROMPTS) and self.at_top():
            self.commit()
        self._pending.append(text)
        if text:
            self._line_start = text.endswith("\n")
        return len(text)

    def flush(self) -> None:
        """Written blocks reach the file; the open one waits for its end."""
        self.file.flush()

    def command(self, line: str) -> None:
        """A command line the output did not echo itself (the REPL's input): a new block."""
        self.commit()
        self._pending.append(line.rstrip("\n") + "\n")
        self._line_start = True

    def commit(self) -> None:
        """Write the block held so far."""
        if self._pending:
            self.file.write("".join(self._pending))
            self._pending.clear()

    def discard(self) -> None:
        """Drop the block held so far (its command was interrupted)."""
        self._pending.clear()
        self._line_start = True

    def close(self, interrupted: bool = False) -> None:
        """Write the last block (unless the run was `interrupted` in it) and close the file."""
        if interrupted:
            self.discard()
        self.commit()
        self.file.close()

    def __enter__(self) -> Recorder:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
