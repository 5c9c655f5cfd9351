"""`vtop SPACE.OFFSET` and `ptov PA`: addresses translated, with the page directory entry.

`vtop` prints what crashinfo prints under Trap information for an address (q4py.render.vainfo:
the translation and its hpde2_0_t, or the hash chain searched when there is none). `ptov` lists
every virtual address of a physical one: space 0 maps all memory equivalently, and each valid
pdir entry whose page frame it is adds `SPACE.OFFSET` with the entry's address. The ptov
format is q4py's (no HP report shows one).

    q4> ptov 0x4804f00
    PA 0x4804f00 (page frame 0x4804, in the dump):
      0.0x4804f00  (space 0, equivalently mapped)
      0xbc46400.0x3ffffff0f00  (hpde2_0_t 0x201e000)
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from q4py import expr
from q4py.addr import format_space_offset
from q4py.commands import command
from q4py.errors import CommandError, Q4Error
from q4py.kernel.pdir import lookup_va, pdir_entries
from q4py.layouts.vm import PAGE_SHIFT, PAGE_SIZE
from q4py.render.vainfo import va_information

if TYPE_CHECKING:
    from q4py.shell.session import Session


def _address(session: Session, args: list[str], verb: str, usage: str) -> expr.Value:
    if not args:
        raise CommandError(f"usage: {usage}")
    try:
        return expr.evaluate_text(session.args_text or " ".join(args),
                                  expr.ProgramEnv(session.program))
    except Q4Error as err:
        raise CommandError(f"{verb}: {err}") from None


@command(
    "vtop",
    usage="vtop SPACE.OFFSET",
    summary="translate a virtual address to a physical one, with its pdir entry",
    help="Looks SPACE.OFFSET up in the hashed page directory as crashinfo does under Trap\n"
    "information: `VA ... translates to PA ...` with the hpde2_0_t, its access rights,\n"
    "protection key and page size; or `VA ... does not have a translation.` with the hash\n"
    "chain searched. A plain number is an address in space 0, equivalently mapped (its own\n"
    "entry is shown when the directory has one, for I/O pages say).\n"
    "Examples:\n"
    "  vtop 0x0.0x1a012cc\n"
    "  vtop 0x86400.0x10104937238",
)
def vtop_command(session: Session, args: list[str]) -> None:
    prog = session.program
    value = _address(session, args, "vtop", "vtop SPACE.OFFSET")
    space, offset = value.space or 0, value.value
    if space == 0:
        try:
            va = lookup_va(prog, 0, offset)
        except Q4Error:
            va = None
        if va is None or va.found is None:  # no entry of its own: the equivalent mapping
            print(f"VA 0x0.{offset:#x} is equivalently mapped to PA {offset:#x} (no "
                  "hpde2_0_t of its own)", file=session.out)
            return
    for line in va_information(prog, space, offset):
        print(line, file=session.out)


@command(
    "ptov",
    usage="ptov PA",
    summary="list the virtual addresses of a physical address",
    help="Prints the virtual addresses of the physical address PA: `0.PA` (space 0 maps all\n"
    "memory equivalently) and `SPACE.OFFSET` for each valid pdir entry of its page frame,\n"
    "with the entry's address; and whether the dump holds the page.\n"
    "Example:\n"
    "  ptov 0x1a012cc",
)
def ptov_command(session: Session, args: list[str]) -> None:
    prog = session.program
    value = _address(session, args, "ptov", "ptov PA")
    if value.space:
        raise CommandError(f"ptov: {format_space_offset(value.space, value.value)} is a "
                           "virtual address: give a physical one (vtop translates this one)")
    pa = value.value
    pfn, within = pa >> PAGE_SHIFT, pa & (PAGE_SIZE - 1)
    held = "in the dump" if prog.has_page(pfn) else "not in the dump"
    out = session.out
    print(f"PA {pa:#x} (page frame {pfn:#x}, {held}):", file=out)
    print(f"  {format_space_offset(0, pa)}  (space 0, equivalently mapped)", file=out)
    for row in pdir_entries(prog):
        if row.phys == pfn and row.space:
            virtual = format_space_offset(row.space, row.vpage << PAGE_SHIFT | within)
            print(f"  {virtual}  (hpde2_0_t {row.address:#x})", file=out)
