"""`Lpmc`: the low-priority machine checks the kernel logged (p4 had it; the format is q4py's,
in the style of ProcInfo's tables).

    p4> Lpmc
    LPMC log : 1 entry
    cpu type    count  logged at (ticks ago)  check summary       cpu status          cache status
      2 CACHE       3  0x6f622da0 (1726013)   0x0000000000000000  0x0000000000000000  0x0000...

An LPMC is a corrected error (a cache parity error firmware fixed, say): a processor that logs
many is a processor to replace before it takes an HPMC.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from q4py.commands import command
from q4py.errors import CommandError
from q4py.kernel.lpmc import has_lpmc_log, lpmc_entries

if TYPE_CHECKING:
    from q4py.shell.session import Session


@command(
    "Lpmc",
    usage="Lpmc",
    summary="the low-priority machine checks (corrected errors) the kernel logged",
    help="One line per logged check: processor, what failed (CACHE, TLB, BUS, ASSIST), how\n"
    "often, the lbolt it was logged at and how many ticks before the crash, and the PIM check\n"
    "summary, CPU status and cache status words. Example:\n"
    "  p4> Lpmc\n"
    "  LPMC log : 1 entry\n"
    "  cpu type    count  logged at (ticks ago)  check summary       cpu status          "
    "cache status\n"
    "    2 CACHE       3  0x6f622da0 (1726013)   0x0000000000000000  0x0000000000000000  "
    "0x0000000000000000",
)
def lpmc_command(session: Session, args: list[str]) -> None:
    if args:
        raise CommandError("usage: Lpmc")
    prog = session.program
    if not has_lpmc_log(prog):
        raise CommandError("Lpmc: this kernel keeps no LPMC log (no lpmc_log)")
    entries = lpmc_entries(prog)
    if not entries:
        print("LPMC log : no entries", file=session.out)
        return
    now = prog.read_global("lbolt")
    print(f"LPMC log : {len(entries)} entr{'y' if len(entries) == 1 else 'ies'}",
          file=session.out)
    print("cpu type    count  logged at (ticks ago)  check summary       cpu status          "
          "cache status", file=session.out)
    for e in entries:
        when = f"{e.lbolt & 0xFFFFFFFF:#010x} ({now - e.lbolt})"
        print(f"{e.cpu:>3} {e.kind:<6} {e.count:>6}  {when:<22} {e.check_summary:#018x}  "
              f"{e.cpu_status:#018x}  {e.cache_status:#018x}", file=session.out)
