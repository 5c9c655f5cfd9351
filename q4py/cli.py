"""The `q4` command: open a crash dump (or the bundled demo) and run commands.

    q4 [DUMP]                         the REPL on a terminal, else a batch from stdin
    q4 -f FILE [DUMP]                 run FILE's lines as a batch, echoing `q4> LINE`
    q4 -c 'CMD; CMD' [DUMP]           run the commands given, printing only their output
    q4 --replay TRANSCRIPT [DUMP]     compare a transcript; exit 0 when every block matches
                                      (its commands run in the transcript's directory)
    --record OUT.q4t                  also write the run down as a transcript (not with
                                      --replay); `q4 --replay OUT.q4t` checks it later

DUMP is a CRASHDIR or COREDIR directory, a directory holding a COREFILE's `core` and `vmunix`,
or `CORE VMUNIX`: a COREFILE's two files (q4py.dumps tells them apart).

Exit status: 0 fine; 1 a batch command failed or a transcript differs; 2 nothing could run (a
dump or file that cannot be opened, bad arguments, --record into the crash directory or onto an
existing file) or the output could not be written (a full disk); 141 the
reader of the output went away (`q4 -f f DIR | head -1`): what a shell reports for a tool that
SIGPIPE ended, so `set -o pipefail` still sees it, and no traceback.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import sys
from collections.abc import Iterator
from importlib import resources
from pathlib import Path
from typing import TYPE_CHECKING, Any, TextIO

from q4py import __version__
from q4py.cachedir import forge_cached
from q4py.errors import Q4Error
from q4py.shell.batch import run_commands, run_lines, split_commands
from q4py.shell.config import Config
from q4py.shell.paths import inside_crash_dir, read_command_text
from q4py.shell.record import Recorder, transcript_header
from q4py.shell.session import OutputError, Session
from q4py.shell.transcript import (
    Transcript,
    TranscriptError,
    header_dump,
    parse_transcript,
    replay,
)

if TYPE_CHECKING:
    from importlib.resources.abc import Traversable

DEMO_SCENARIO = "hpux1100-32-kalloc-sysmap.toml"
EXIT_BROKEN_PIPE = 141  # 128 + SIGPIPE, as a shell reports `yes | head -1`'s yes
EXIT_STATUS_HELP = """\
exit status: 0 fine; 1 a batch command failed or a transcript differs; 2 nothing could run
(a dump or file that cannot be opened, bad arguments, --record into the crash directory or
onto an existing file) or the output could not be written; 141 the output's reader went away
(a pipe into `head`)."""


class _Fatal(Exception):
    """Ends `main` with one line on stderr and exit status 2."""


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="q4",
        description="Emulation of HP-UX's q4 crash-dump debugger for PA-RISC crash directories.",
        epilog=EXIT_STATUS_HELP,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    mode = p.add_mutually_exclusive_group()
    mode.add_argument("-f", "--file", metavar="FILE", help="run the commands in FILE as a batch")
    mode.add_argument("--replay", metavar="TRANSCRIPT", help="replay a transcript and compare")
    mode.add_argument("-c", "--command", metavar="'CMD; CMD'", dest="commands",
                      help="run these commands (separated by ';') and exit")
    p.add_argument("--json", action="store_true",
                   help="print one JSON document per command (with -c, -f or stdin; "
                        "docs/json.md)")
    p.add_argument(
        "--record",
        metavar="OUT.q4t",
        help="also write the commands and their output to OUT.q4t as a transcript",
    )
    p.add_argument(
        "crashdir", nargs="?", metavar="DUMP",
        help="crash dump: a CRASHDIR or COREDIR directory, a directory holding a COREFILE's core "
        "and vmunix, or a COREFILE's core followed by VMUNIX (default: the demo dump)",
    )
    p.add_argument("vmunix", nargs="?", metavar="VMUNIX",
                   help="the kernel file of a COREFILE given as CORE VMUNIX")
    p.add_argument("--version", action="version", version=f"q4py {__version__}")
    return p


def main(argv: list[str] | None = None) -> int:
    try:
        status = _main(argv)
        sys.stdout.flush()  # a closed pipe shows here for output still buffered
    except BrokenPipeError:
        _silence_stdout()
        return EXIT_BROKEN_PIPE
    except (OutputError, OSError) as exc:  # `> /dev/full`: the output cannot be written
        _silence_stdout()
        message = exc if isinstance(exc, OutputError) else _output_error(exc)
        print(f"q4: {message}", file=sys.stderr)
        return 2
    return status


def _output_error(exc: OSError) -> OutputError:
    return OutputError(f"cannot write the output: {exc.strerror or exc}")


class _GuardedOut:
    """sys.stdout for a batch: a write that fails (ENOSPC, EIO) raises OutputError, which the
    session lets through (a command's error line could not be written either); a closed pipe
    stays a BrokenPipeError."""

    def __init__(self, stream: TextIO) -> None:
        self.stream = stream

    def write(self, text: str) -> int:
        try:
            return self.stream.write(text)
        except BrokenPipeError:
            raise
        except OSError as exc:
            raise _output_error(exc) from None

    def flush(self) -> None:
        try:
            self.stream.flush()
        except BrokenPipeError:
            raise
        except OSError as exc:
            raise _output_error(exc) from None

    def __getattr__(self, name: str) -> Any:
        return getattr(self.stream, name)


def _silence_stdout() -> None:
    """Point stdout at /dev/null so the interpreter's flush at exit writes nowhere instead of
    printing a second BrokenPipeError (the recipe of Python's `signal` documentation)."""
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        os.close(devnull)
    except (OSError, ValueError, AttributeError):  # a stdout without a descriptor (a test's)
        pass


def _main(argv: list[str] | None) -> int:
    try:
        args = _parser().parse_args(argv)
    except SystemExit as exc:  # --help, --version, usage errors: argparse already printed
        return exc.code if isinstance(exc.code, int) else 2
    if args.record and args.replay:
        print("q4: --record cannot be used with --replay", file=sys.stderr)
        return 2
    try:
        if args.replay:
            return _replay(Path(args.replay), args.crashdir, args.vmunix)
        out: Any = _GuardedOut(sys.stdout)
        if args.commands is not None:
            session = Session(_open_dump(args.crashdir, args.vmunix), out)
            session.json = args.json
            _use_config(session)
            with _recording(args.record, session, args.crashdir, "-c", args.vmunix) as recorder:
                failed = run_commands(session, split_commands(args.commands), recorder)
                return 1 if failed else 0
        if args.file:
            lines = _read_text(Path(args.file), "q4 -f").split("\n")
            session = Session(_open_dump(args.crashdir, args.vmunix), out)
            # The batch file counts as an include already running: one that includes itself
            # is a loop at once, not after a second pass.
            with contextlib.suppress(OSError, RuntimeError):
                session.include_files.append(Path(args.file).resolve())
            session.json = args.json
            with _recording(args.record, session, args.crashdir, args.file, args.vmunix):
                return 1 if _run_batch(session, lines) else 0
        session = Session(_open_dump(args.crashdir, args.vmunix), sys.stdout)
        # The REPL only when a person is at both ends; otherwise the plain batch reader, so
        # transcripts and pipes never see prompt_toolkit's screen control.
        if sys.stdin.isatty() and sys.stdout.isatty():
            from q4py.render.banner import render_banner
            from q4py.shell.repl import run_repl  # prompt_toolkit only when it is used

            _use_config(session)
            print("\n".join(render_banner(session.program)) + "\n")
            with _recording(args.record, session, args.crashdir, None, args.vmunix) as recorder:
                run_repl(session, recorder=recorder)
            return 0
        session.out = out
        session.json = args.json
        with _recording(args.record, session, args.crashdir, "stdin", args.vmunix):
            return 1 if _run_batch(session, sys.stdin) else 0
    except (_Fatal, Q4Error) as exc:
        print(f"q4: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print(file=sys.stderr)
        return 130


def _run_batch(session: Session, lines: Any) -> int:
    """A command file or stdin: echoed as `q4> LINE`, or with --json one document per command
    and nothing else (JSON Lines); the number of commands that failed."""
    if session.json:
        return run_commands(session, [line for line in lines if line.strip()])
    return run_lines(session, lines)


def _use_config(session: Session) -> None:
    """The user's config file for the prompt and `q4 -c` (never for command files or replays,
    whose output must not depend on the machine); its problems are warnings on stderr."""
    config, warning = Config.load()
    problems = ([warning] if warning else []) + session.use_config(config)
    for problem in problems:
        print(f"q4: {problem}", file=sys.stderr)


@contextlib.contextmanager
def _recording(
    out: str | None, session: Session, crashdir: str | None, source: str | None,
    vmunix: str | None = None,
) -> Iterator[Recorder | None]:
    """With `--record OUT`: a transcript of the session, teed from `session.out`."""
    if out is None:
        yield None
        return
    if inside_crash_dir(session.program, out):
        raise _Fatal(f"refusing to record to {out}: it is inside the crash directory "
                     f"{session.program.path} (a dump is never written to)")
    header = transcript_header(crashdir, Path(DEMO_SCENARIO).stem, vmunix)
    try:
        recorder = Recorder.open(out, header, source)
    except FileExistsError:
        raise _Fatal(f"{out}: already exists (a transcript is never overwritten: remove it or "
                     "name another file)") from None
    except OSError as exc:
        raise _Fatal(f"{out}: cannot write: {exc.strerror or exc}") from None
    recorder.at_top = lambda: session.include_depth == 0
    saved = session.out
    session.out = recorder.tee(saved)
    interrupted = False
    try:
        yield recorder
    except KeyboardInterrupt:
        interrupted = True  # the block that was running is dropped
        raise
    finally:
        session.out = saved
        recorder.close(interrupted)


def _read_text(path: Path, what: str) -> str:
    """A command file or transcript: bounded, and a pipe only when the user names one."""
    if not os.path.lexists(path):
        raise _Fatal(f"{path}: no such file")
    return read_command_text(path, what, any_kind=True)


def _open_dump(crashdir: str | Path | None, vmunix: str | Path | None = None) -> Any:
    """Open DUMP (with VMUNIX: a COREFILE's core), or the bundled demo dump (forged into the
    cache on first use)."""
    path = Path(crashdir) if crashdir is not None else _demo_crashdir()
    if not path.exists():
        raise _Fatal(f"{path}: no such crash directory")
    from q4py.program import Program  # the heavy part: only when a dump is really opened

    try:
        return Program.open(path, vmunix)
    except OSError as exc:  # Program.open should say DumpError, but never show a traceback
        raise _Fatal(f"{path}: {exc.strerror or exc}") from None


def _demo_scenario() -> Traversable:
    """The bundled demo scenario (package data; may live inside a zip)."""
    return resources.files("q4py") / "data" / "demo" / DEMO_SCENARIO


def _demo_crashdir() -> Path:
    ref = _demo_scenario()
    if not ref.is_file():
        raise _Fatal(f"the bundled demo scenario {DEMO_SCENARIO} is missing from this install")
    with resources.as_file(ref) as scenario:
        return _forge(scenario, "demo", "the demo dump")


def _forge(scenario: Path, subdir: str, what: str) -> Path:
    try:
        return forge_cached(scenario, subdir, what=what)
    except OSError as exc:
        raise _Fatal(f"cannot forge {what}: {exc}") from None


def _replay_crashdir(transcript: Transcript, base: Path, crashdir: str | None) -> str | Path | None:
    """CRASHDIR given > `# crashdir:` header > `# scenario:` header > the demo (None)."""
    if crashdir is not None:
        return crashdir
    try:
        found = header_dump(transcript, base, Path(DEMO_SCENARIO).stem)
    except TranscriptError as exc:
        raise _Fatal(f"{transcript.path}: {exc}") from None
    if found is None or found.demo:
        return None  # no header, or recorded on the demo dump: the bundled demo is that scenario
    if found.crashdir is not None:
        return found.crashdir
    assert found.scenario is not None
    name = found.scenario.stem
    return _forge(found.scenario, f"scenarios/{name}", f"scenario {name}")


def _replay(path: Path, crashdir: str | None, vmunix: str | Path | None = None) -> int:
    transcript = parse_transcript(_read_text(path, "q4 --replay"), str(path))
    target = _replay_crashdir(transcript, path.parent, crashdir)
    if crashdir is None and vmunix is None:
        # A COREFILE recorded as CORE VMUNIX: `# vmunix:` names the kernel beside `# crashdir:`.
        found = header_dump(transcript, path.parent, Path(DEMO_SCENARIO).stem)
        vmunix = found.vmunix if found is not None else None
    # Absolute before the replay moves to the transcript's directory (its relative paths are
    # the transcript's); a CRASHDIR typed on the command line is still taken from here.
    dump = _open_dump(None if target is None else Path(target).absolute(),
                      None if vmunix is None else Path(vmunix).absolute())
    result = replay(transcript, Session(dump, sys.stdout), directory=path.absolute().parent)
    for failure in result.failures:
        sys.stdout.write(failure.diff_text)
    n = len(transcript.blocks)
    if result.ok:
        print(f"{path}: {n} block(s), all match")
        return 0
    print(f"{path}: {len(result.failures)} of {n} block(s) differ")
    return 1


if __name__ == "__main__":
    sys.exit(main())
