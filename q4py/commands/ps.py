"""`ps`: one line per process with its thread count and command line, on every release (the
11.00 process table with `pst_cmds`, or the 11i list with `p_cmds`). The layout is q4py's."""

from __future__ import annotations

from typing import TYPE_CHECKING

from q4py.analyses.stacks import process_rows
from q4py.commands import command
from q4py.errors import CommandError, Q4Error
from q4py.kernel.proclist import proc_list_problem
from q4py.render.jsondoc import json_document, take_json_flag
from q4py.render.stacks import render_ps

if TYPE_CHECKING:
    from q4py.shell.session import Session


@command("ps", usage="ps [--json]", json=True,
         summary="list the processes: pid, parent, state, threads, command line", help="""\
One line per process, in table or list order:
  PROC                  PID   PPID   UID STAT      THR  COMMAND
  0x14305c0            5538   5534     0 SSLEEP      1  csh -c rm /d/pm/meas/wd2bss/ERR*
THR counts the process's threads; COMMAND is its command line (pst_cmds at 11.00, p_cmds at
11i; `? (cannot read its command line: WHY)` when 11.00's pst_cmds cannot be read). An 11i
process list that loops or breaks ends the listing in one line saying where.
`trace -W pid N` shows the stacks of one process's threads. `--json` prints the rows
as one JSON document (docs/json.md).
Examples:
  ps
  ps --json""")
def ps_command(session: Session, args: list[str]) -> None:
    as_json, args = take_json_flag(args)
    if args:
        raise CommandError("usage: ps [--json]")
    try:
        rows = process_rows(session.program)
    except Q4Error as err:
        raise CommandError(f"ps: {err}") from None
    problem = proc_list_problem(session.program)
    if as_json:
        print(json_document(session.line, {"processes": rows, "proc_list_problem": problem}),
              file=session.out)
        return
    for line in render_ps(rows, session.program.wide):
        print(line, file=session.out)
    if problem:  # the processes listed are those before it
        print(f"ps: {problem}", file=session.out)
