"""`stacks [-c FUNC] [-w WCHAN] [-s STATE] [-m COMMAND]`: every thread's kernel stack, identical
ones grouped, most common first (mdb's `::stacks`, crash's `foreach bt` made short), so a hang
with thousands of sleepers reads as a handful of call chains. The layout is q4py's
(q4py/render/stacks.py); the grouping is q4py.analyses.stacks'.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, TypeVar

from q4py.analyses.stacks import ThreadFilter, stack_groups
from q4py.bulk import collector_paused
from q4py.commands import command
from q4py.errors import CommandError, Q4Error
from q4py.kernel.threads import has_threads, thread_list_problem
from q4py.render.jsondoc import json_document, take_json_flag
from q4py.render.stacks import render_stacks

if TYPE_CHECKING:
    from q4py.program import Program
    from q4py.shell.session import Session

T = TypeVar("T")

USAGE = "stacks [--json] [-c FUNC] [-w WCHAN] [-s STATE] [-m COMMAND]"
_OPTIONS = {"-c": "function", "-w": "wchan", "-s": "state", "-m": "command", "-p": "pid"}


def parse_filter(name: str, args: list[str], allowed: str, usage: str) -> ThreadFilter:
    """Options `-c FUNC -w WCHAN -s STATE -m COMMAND -p PID` (those in `allowed`) as a
    ThreadFilter."""
    values: dict[str, str | int] = {}
    words = list(args)
    while words:
        flag = words.pop(0)
        if flag not in _OPTIONS or flag[1] not in allowed or not words:
            raise CommandError(f"usage: {usage}")
        value = words.pop(0)
        if flag == "-p":
            try:
                values["pid"] = int(value, 0)
            except ValueError:
                raise CommandError(f"{name}: '{value}' is not a process id") from None
        else:
            values[_OPTIONS[flag]] = value
    return ThreadFilter(**values)  # type: ignore[arg-type]


def run_listing(session: Session, name: str, args: list[str], allowed: str, usage: str,
                analysis: Callable[[Program, ThreadFilter], T],
                render: Callable[[T], list[str]]) -> None:
    """A thread listing: the filter from the options, the analysis, its lines printed (with
    `--json`, the analysis as one JSON document `{NAME: [...], "thread_list_problem": ...}`,
    docs/json.md)."""
    as_json, args = take_json_flag(args)
    if not has_threads(session.program):
        raise CommandError(f"{name}: this kernel has no thread table or list q4py can read")
    chosen = parse_filter(name, args, allowed, usage)
    try:
        with collector_paused():  # a row or a stack for each of sixty thousand threads
            data = analysis(session.program, chosen)
    except Q4Error as err:
        raise CommandError(f"{name}: {err}") from None
    problem = thread_list_problem(session.program)
    if as_json:
        print(json_document(session.line, {name: data, "thread_list_problem": problem}),
              file=session.out)
        return
    for line in render(data):
        print(line, file=session.out)
    if problem:  # the threads listed are those before it
        print(f"{name}: {problem}", file=session.out)


@command("stacks", usage=USAGE, summary="every thread's kernel stack, identical ones grouped",
         json=True, help="""\
Unwinds every thread (a running one from its processor's crash event, the others from the
context saved in their PCB when they switched out) and groups the threads with the same state
and stack, most threads first:
  5003 threads in 7 stacks

  COUNT  STATE      WAIT CHANNEL                     COMMAND         TIDS
   4870  TSSLEEP    nfs3_lookup(0x2c03800)           csh             26646 26687 ...
         _sleep+0x4a8
         nfs3_lookup+0x7c
         ...
WAIT CHANNEL and COMMAND show the one all threads of the group share, else how many there
are; TIDS the first five. A trap between two stacks is one line (`<trap 4 from USER mode>`: a
thread preempted in user mode stops there); threads whose stacks cannot be read group by why.
An 11i thread list that loops or breaks ends in one line saying where (`stacks: kthread_list
loops back to ADDR after N threads`), and so does an 11.00 table that runs past the dump: the
threads before it are shown.
Options choose the threads:
  -c FUNC      FUNC is on the stack (`_sleep`, or a call site `_sleep+0x1a8`)
  -w WCHAN     it sleeps on WCHAN (a name as crashinfo prints it, or an address)
  -s STATE     its state (TSSLEEP, SLEEP or sleep; TSRUN, TSRUNPROC, TSZOMB, ...; the
               scenario format's zombie, stopped, running and idle too)
  -m COMMAND   its process's command name
  --json       the groups as one JSON document (docs/json.md)
Examples:
  stacks
  stacks --json -s sleep
  stacks -s sleep -c _sleep
  stacks -w selwait
  stacks -m oracle""")
def stacks_command(session: Session, args: list[str]) -> None:
    run_listing(session, "stacks", args, "cwsm", USAGE, stack_groups, render_stacks)
