"""`ProcInfo [N]`: p4's view of a processor's mpinfo, in the format of a public report.

    p4> ProcInfo 5
    Cpu state and thread information :
    ----------------------------------
    cpu                hpa    uareasid      threadp  prevthreadp curstate
     5 0xfffffffffcc7a000   0x1f04800   0x515a8040   0x515a8040 SPUSTATE_SYSTEM

then its interrupt control stack (ICS), idle and kernel stacks, and the lbolt at which it last
idled, last ran a timeshare thread and last entered the kernel, each with the ticks since.
Without N, every processor. (p4 printed the cpu column one narrower than its heading; so
does q4py.)
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from q4py.addr import c_hex
from q4py.analyses.procinfo import ProcessorInfo, processor_info
from q4py.commands import command
from q4py.commands.x import evaluate_words
from q4py.errors import CommandError

if TYPE_CHECKING:
    from q4py.shell.session import Session


def _ago(value: int, now: int) -> str:
    return f"{value & 0xFFFFFFFF:#010x} ({now - value})"


def render_procinfo(rows: list[ProcessorInfo], lbolt: int) -> list[str]:
    lines = ["Cpu state and thread information :", "-" * 34,
             f"cpu{'hpa':>19}{'uareasid':>12}{'threadp':>13}{'prevthreadp':>13} curstate"]
    lines += [f"{r.cpu:2d}{c_hex(r.hpa):>19}{c_hex(r.uareasid):>12}{c_hex(r.thread):>13}"
              f"{c_hex(r.previous_thread):>13} {r.state}" for r in rows]
    lines += ["", "ICS, idle and kernel stack information :", "-" * 40,
              f"cpu{'ics':>13}{'ibase':>13}{'topics':>13}{'idlestack':>13}{'ksp':>13}"]
    lines += [f"{r.cpu:2d}" + "".join(f"{c_hex(v):>13}" for v in
                                      (r.ics, r.ics_base, r.ics_top, r.idle_stack, r.ksp))
              for r in rows]
    lines += ["", "Last idle, last ran a timeshare thread, last entry into kernel :",
              "-----------------=----------------------------------------------",  # sic
              f"ticks_since_boot = {lbolt & 0xFFFFFFFF:#x}",
              f"cpu  {'last_idletime':<21}{'last_tsharetime':<21}preempt_start_time"]
    lines += [(f"{r.cpu:2d}  " + " ".join(f"{_ago(v, lbolt):<20}" for v in
                                          (r.last_idle, r.last_tshare, r.preempt_start))
               ).rstrip() for r in rows]
    return lines


@command(
    "ProcInfo",
    usage="ProcInfo [N]",
    summary="a processor's state: its thread, stacks, and when it last idled",
    help="For processor N (every processor without N): its HPA, the space of the current\n"
    "thread's u-area, the current and previous thread, its state; its interrupt control\n"
    "stack, idle stack and saved kernel stack pointer; when (lbolt, ticks ago) it last idled,\n"
    "last ran a timeshare thread and last entered the kernel. Example:\n"
    "  p4> ProcInfo 5\n"
    "  Cpu state and thread information :\n"
    "  ----------------------------------\n"
    "  cpu                hpa    uareasid      threadp  prevthreadp curstate\n"
    "   5 0xfffffffffcc7a000   0x1f04800   0x515a8040   0x515a8040 SPUSTATE_SYSTEM",
)
def procinfo_command(session: Session, args: list[str]) -> None:
    prog = session.program
    rows = processor_info(prog)
    if args:
        cpu = evaluate_words(session, args, "ProcInfo").value
        rows = [r for r in rows if r.cpu == cpu]
        if not rows:
            raise CommandError(f"ProcInfo: no processor {cpu} (there are "
                               f"{len(processor_info(prog))})")
    for line in render_procinfo(rows, prog.read_global("lbolt")):
        print(line, file=session.out)
