"""`hpa2cpu [HPA]`: the processor a hard physical address belongs to (p4 had it; the output is
q4py's, in ProcInfo's columns).

    p4> hpa2cpu 0xfffffffffcc7a000
    cpu                hpa
      5 0xfffffffffcc7a000

Without HPA, every processor. HPA is an expression; a 32-bit HPA (`0xfcc7a000`) matches its
sign-extended 64-bit form, as PDC and the narrow kernels wrote it.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from q4py.commands import command
from q4py.commands.x import evaluate_words
from q4py.errors import CommandError
from q4py.kernel.mpinfo import processors

if TYPE_CHECKING:
    from q4py.shell.session import Session


def _sign_extended(hpa: int) -> int:
    return hpa | 0xFFFFFFFF00000000 if hpa <= 0xFFFFFFFF and hpa & 0x80000000 else hpa


@command(
    "hpa2cpu",
    usage="hpa2cpu [HPA]",
    summary="the processor number of a hardware physical address (HPA)",
    help="Prints the processor whose HPA it is (every processor without HPA). A 32-bit HPA\n"
    "matches its sign-extended form. Example:\n"
    "  p4> hpa2cpu 0xfffffffffcc7a000\n"
    "  cpu                hpa\n"
    "    5 0xfffffffffcc7a000",
)
def hpa2cpu_command(session: Session, args: list[str]) -> None:
    cpus = processors(session.program)
    if args:
        wanted = _sign_extended(evaluate_words(session, args, "hpa2cpu").value)
        cpus = [c for c in cpus if _sign_extended(c.hpa) == wanted]
        if not cpus:
            raise CommandError(f"hpa2cpu: no processor has HPA {wanted:#x}")
    print(f"cpu {'hpa':>18}", file=session.out)
    for cpu in cpus:
        print(f"{cpu.index:>3} {cpu.hpa:#18x}", file=session.out)
