"""`Kthread -t TID` and `pview -V`: p4's thread view, in the format of a public report.

    p4> Kthread -t 312772
    Loaded 1 kthread_t entries in 'DefaultView'
    p4> pview -V
       Kthread     tid  pri  spu grp bind  kt_stat    lastrun    pid  comm       syscall kt_wchan
    0x5c08d040  312772  134    1  -1   no  TSSLEEP    1649495  24466  oracle     pstat   0

Kthread loads the matching threads as a pile of kthread_t named `DefaultView` (it becomes
`it`, so print/keep/trace pile work on it too); `-p PID` takes every thread of a process.
pview -V shows the current pile of kthreads one line each: address, tid, priority,
processor, processor group, bound, state, ticks since it last ran, pid and command of its
process, the system call it is in (a kernel daemon's KI name) and its wait channel.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from q4py.addr import c_hex
from q4py.commands import command
from q4py.errors import CommandError, Q4Error
from q4py.kernel.proclist import proc_identity
from q4py.kernel.threads import has_threads, thread_addresses
from q4py.layouts.sched import KI_CALLS, SYSCALL_NAMES, THREAD_STATES, TSBOUND
from q4py.piles import Records

if TYPE_CHECKING:
    from q4py.shell.session import Session

VIEW = "DefaultView"
KTHREAD_USAGE = "Kthread -t TID | Kthread -p PID"
PVIEW_HEADER = ("   Kthread     tid  pri  spu grp bind  kt_stat    lastrun    pid  comm       "
                "syscall kt_wchan")


def _matching(session: Session, flag: str, wanted: int) -> list[int]:
    prog = session.program
    layout = prog.types.get("struct kthread")
    tid_at = layout.field("kt_tid").offset
    procp_at = layout.field("kt_procp").offset
    out = []
    for address in thread_addresses(prog):
        if flag == "-t":
            if prog.read_u32(address + tid_at) == wanted:
                out.append(address)
            continue
        procp = prog.read_ulong(address + procp_at)
        try:
            pid = proc_identity(prog, procp).pid if procp else -1
        except Q4Error:
            pid = -1
        if pid == wanted:
            out.append(address)
    return out


@command(
    "Kthread",
    usage=KTHREAD_USAGE,
    summary="load the thread with tid TID (or a process's threads) as the pile DefaultView",
    help="  -t TID   the thread with that thread id\n"
    "  -p PID   every thread of the process\n"
    "The threads become the current pile, named DefaultView; pview -V shows them. Example:\n"
    "  p4> Kthread -t 312772\n"
    "  Loaded 1 kthread_t entries in 'DefaultView'",
)
def kthread_command(session: Session, args: list[str]) -> None:
    if len(args) != 2 or args[0] not in ("-t", "-p"):
        raise CommandError(f"usage: {KTHREAD_USAGE}")
    try:
        wanted = int(args[1], 0)
    except ValueError:
        raise CommandError(f"Kthread: '{args[1]}' is not a number") from None
    prog = session.program
    if not has_threads(prog):
        raise CommandError("Kthread: this kernel has no thread list q4py knows")
    found = _matching(session, args[0], wanted)
    if not found:
        what = "tid" if args[0] == "-t" else "pid"
        raise CommandError(f"Kthread: no thread with {what} {wanted}")
    layout = prog.types.get("struct kthread")
    records = Records(layout, [0] * len(found), found, range(len(found)),
                      data=[prog.read(a, layout.size) for a in found])
    pile = session.piles.make(layout, "kthread_t", "kept", records,
                              f"Kthread {' '.join(args)}")
    session.piles.name_current(VIEW)
    print(f"Loaded {pile.count} kthread_t entries in '{VIEW}'", file=session.out)


def _syscall(number: int) -> str:
    if number == 0:
        return "n/a"
    return SYSCALL_NAMES.get(number) or KI_CALLS.get(number) or str(number)


def pview_line(session: Session, address: int, t: Any, now: int) -> str:
    """One thread as pview -V shows it; `t` is its decoded kthread."""
    prog = session.program
    try:
        ident = proc_identity(prog, t.kt_procp) if t.kt_procp else None
    except Q4Error:
        ident = None  # a garbled kt_procp: the thread still shows
    pid, comm = (ident.pid, ident.command) if ident else (-1, "?")
    stat = THREAD_STATES.get(t.kt_stat, str(t.kt_stat))
    bound = "yes" if t.kt_flag & TSBOUND else "no"
    return (f"{c_hex(address):>10}{t.kt_tid:>8}{t.kt_pri:>5}{t.kt_spu:>5}{t.kt_spu_group:>4}"
            f"{bound:>5} {stat:>8}{now - t.kt_lastrun:>11}{pid:>7}  {comm:<11}"
            f"{_syscall(t.kt_syscall):<7} {c_hex(t.kt_wchan)}")


@command(
    "pview",
    usage="pview -V",
    summary="show the current pile of kthreads (a Kthread view), one line per thread",
    help="Columns: kthread address, tid, priority, processor, processor group, bound to its\n"
    "processor, state, clock ticks since it last ran, pid and command, system call (a kernel\n"
    "daemon's KI name) and wait channel. Example:\n"
    "  p4> Kthread -t 2\n"
    "  Loaded 1 kthread_t entries in 'DefaultView'\n"
    "  p4> pview -V\n"
    f"  {PVIEW_HEADER}\n"
    "  0x515a8040       2  128    5  -1   no    TSRUN    1726013      2  vhand      KI_vHAND 0",
)
def pview_command(session: Session, args: list[str]) -> None:
    if args != ["-V"]:
        raise CommandError("usage: pview -V")
    pile = session.piles.current
    if pile.layout.name != "struct kthread":
        raise CommandError(f"pview: {pile.label} holds {pile.type_name}, not kthreads "
                           "(Kthread -t TID loads one)")
    now = session.program.read_global("lbolt")
    print(PVIEW_HEADER, file=session.out)
    for item in pile:
        print(pview_line(session, item.address, item.value, now), file=session.out)
