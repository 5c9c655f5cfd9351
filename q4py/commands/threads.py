"""`threads [-s STATE] [-w WCHAN] [-m COMMAND] [-p PID]`: one line per thread, on every release
(the 11.00 table or the 11i list). The layout is q4py's (q4py/render/stacks.py)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from q4py.analyses.stacks import chosen_threads, sleep_queue_checks, thread_rows
from q4py.commands import command
from q4py.commands.stacks import parse_filter, run_listing
from q4py.render.jsondoc import take_json_flag
from q4py.render.stacks import render_sleep_queue_checks, render_threads

if TYPE_CHECKING:
    from q4py.shell.session import Session

USAGE = "threads [--json] [-s STATE] [-w WCHAN] [-m COMMAND] [-p PID]"


@command("threads", usage=USAGE, summary="list the threads: tid, process, state, wait channel",
         json=True, help="""\
One line per thread, in table or list order:
  KTHREAD                TID    PID STATE       PRI SPU      TICKS  WCHAN       COMMAND
  0x5c08d040          312772  24466 TSSLEEP     134   1    1649495  0xeba700    oracle
TICKS: clock ticks since it last ran (lbolt - kt_lastrun); WCHAN named as crashinfo names wait
channels. Options choose the threads as for `stacks`: -s STATE, -w WCHAN, -m COMMAND, and
-p PID (the threads of one process). `trace -U tid N` shows one thread's stack.
With -w, the sleep queue that wakeup() walks for the channel is checked (q4py's lines): a
thread that sleeps on WCHAN but is not on it is one no wakeup reaches, `Not on sleep queue N
of WCHAN (no wakeup reaches them): ...`; a queue that loops or cannot be read, `Can't check
the sleepers of WCHAN: WHY`. Nothing is said when every sleeper is on its queue. An 11i
thread list that loops or breaks, or an 11.00 table that runs past the dump (a garbled
nkthread), ends the listing in one line saying where.
`--json` prints the rows as one JSON document (docs/json.md).
Examples:
  threads
  threads -s TSRUN
  threads -p 24466
  threads -w selwait
  threads --json -s TSRUN""")
def threads_command(session: Session, args: list[str]) -> None:
    prog = session.program
    run_listing(session, "threads", args, "wsmp", USAGE, thread_rows,
                lambda rows: render_threads(rows, prog.wide))
    as_json, words = take_json_flag(args)
    if "-w" in words and not as_json:  # wakeup(WCHAN) walks WCHAN's sleep queue: check it
        chosen = chosen_threads(prog, parse_filter("threads", words, "wsmp", USAGE))
        for line in render_sleep_queue_checks(sleep_queue_checks(prog, chosen)):
            print(line, file=session.out)
