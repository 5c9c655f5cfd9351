"""Running command lines one after another: a batch (whose output is itself a transcript) and a
basic interactive prompt."""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING

from q4py.shell.session import Session
from q4py.shell.transcript import split_prompt

if TYPE_CHECKING:
    from q4py.shell.record import Recorder


def run_lines(session: Session, lines: Iterable[str], echo_prompt: str = "q4> ") -> int:
    """Run each line, echoing it first as `q4> LINE`; returns how many commands failed.

    Blank lines are skipped. A line that already starts with a prompt (`q4> `, `p4> `, `p4>`, as
    in a transcript) runs without it and is echoed as written. Stops early after `exit`.
    """
    failed = 0
    for raw in lines:
        line = raw.rstrip()
        if not line.strip():
            continue
        cmd = split_prompt(line)
        if cmd is not None:
            echo, command = line, cmd[1]
        else:
            echo, command = f"{echo_prompt}{line}", line
        print(echo, file=session.out)
        if not session.execute(command):
            failed += 1
        if session.stopped:
            break
    return failed


def split_commands(text: str) -> list[str]:
    """The commands of `q4 -c 'CMD; CMD'`: split at each `;` outside quotes."""
    commands, current, quote = [], [], ""
    for ch in text:
        if quote:
            quote = "" if ch == quote else quote
        elif ch in "\"'":
            quote = ch
        elif ch == ";":
            commands.append("".join(current))
            current = []
            continue
        current.append(ch)
    commands.append("".join(current))
    return [c.strip() for c in commands if c.strip()]


def run_commands(
    session: Session, commands: Iterable[str], recorder: Recorder | None = None
) -> int:
    """Run each command without echoing it (`q4 -c`); returns how many failed. A `recorder`
    (`--record`) still gets each command as a prompt line."""
    failed = 0
    for command in commands:
        if recorder is not None:
            recorder.command(f"q4> {command}")
        if not session.execute(command):
            failed += 1
        if session.stopped:
            break
    return failed


def interactive(session: Session, prompt: str = "q4> ") -> None:
    """A plain `input()` loop for a terminal: Ctrl-D leaves, Ctrl-C drops the line."""
    while not session.stopped:
        try:
            line = input(prompt)
        except EOFError:
            print(file=session.out)
            return
        except KeyboardInterrupt:
            print(file=session.out)
            continue
        try:
            session.execute(line)
        except KeyboardInterrupt:  # a long command cut short: back to the prompt
            print(file=session.out)
            print("q4: interrupted", file=session.out)
