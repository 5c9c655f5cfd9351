"""`Lock_t ADDR`: p4's view of a spinlock, the dump's own lock_t (11.00's or 11i's).

    p4> Lock_t 0x06bd5bc0
    0x06bd5bc0
    0x06bd5bc0 :
    0x06bd5bc0 lock_t {
    0x06bd5bc0   u_int   sl_lock;            0x00000000
    ...
    0x06bd5bd0   u_int   sl_name_ptr:1:23;   0x1a184c  ("thread lock")
    0x06bd5bd4   u_int   sl_pad[3];          0x00000000
    0x06bd5be0 };

As a public report shows it: `p lock_t` in a narrower column, an array as one line (its first
element), and the lock's name after its name pointer.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from q4py.analyses.lock import lock_layout
from q4py.commands import command
from q4py.commands.p import parse_address, print_struct_echo
from q4py.errors import CommandError, Q4Error
from q4py.render.structs import struct_lines

if TYPE_CHECKING:
    from q4py.shell.session import Session

_DECL_WIDTH = 28


@command(
    "Lock_t",
    usage="Lock_t ADDR",
    summary="print the spinlock (lock_t) at ADDR with its name",
    help="The lock_t of the dump's release (11.00's packs its name pointer in a bit-field), its\n"
    "name pointer followed by the name. ADDR is an expression, as for p. Example:\n"
    "  p4> Lock_t 0x06bd5bc0\n"
    "  0x06bd5bc0\n"
    "  0x06bd5bc0 :\n"
    "  0x06bd5bc0 lock_t {\n"
    "  0x06bd5bc0   u_int   sl_lock;            0x00000000\n"
    "  ...\n"
    "  0x06bd5bd0   u_int   sl_name_ptr:1:23;   0x1a184c  (\"thread lock\")",
)
def lock_t_command(session: Session, args: list[str]) -> None:
    if len(args) != 1:
        raise CommandError("usage: Lock_t ADDR")
    prog = session.program
    space, offset = parse_address(prog, args[0], command="Lock_t")
    try:
        lines = struct_lines(prog, lock_layout(prog), offset, space, "lock_t",
                             annotate_strings=False, decl_width=_DECL_WIDTH,
                             compact_arrays=True, string_members=frozenset({"sl_name_ptr"}))
    except Q4Error as err:
        raise CommandError(f"Lock_t: {err}") from None
    print_struct_echo(session, space, offset)
    for line in lines:
        print(line, file=session.out)
