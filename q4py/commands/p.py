"""`p TYPE ADDR` / `p struct TAG ADDR`: print a kernel structure as p4 did.

    p4> p struct save_state 0x76db400.0x7fff0d48

p4 echoed the address twice (`ADDR`, then `ADDR :`) before the dump; the header shows the type
name as typed. ADDR is one word, an expression of q4py/expr.py (numbers, the 64-bit backtick
form `0x0`4076da18`, `space.offset`, `sym+0x10`) read with p4's rule for a bare symbol: p takes
an address, so a symbol is the address of the object it names (`&sym` too), except that a
pointer global is where it points, as `x`, `examine` and `load ... from` take it: `p proc_t
proc` prints the first struct proc (`proc` is a `struct proc *`) and `p s panicstr` the string
`char *panicstr` points to. `&SYM` is always the symbol's own address.
"""

from __future__ import annotations

import difflib
from typing import TYPE_CHECKING

from q4py import expr
from q4py.commands import command
from q4py.errors import CommandError, Q4Error, ReadError
from q4py.layouts import LayoutError
from q4py.memory import NO_TRANSLATION
from q4py.program import Program
from q4py.render.structs import p4_address, struct_lines
from q4py.render.text import c_escape

if TYPE_CHECKING:
    from q4py.shell.session import Session

USAGE = "p TYPE ADDR | p struct TAG ADDR | p s ADDR"


class _AddressEnv(expr.ProgramEnv):
    """The dump's symbols as p reads them. A bare symbol is its address: p4 took the address
    of the object to print (`p struct crash_event crash_event_table` prints the global itself),
    the same as `&sym`. With `follow_pointers` a pointer global is its value instead, what it
    points to (`p proc_t proc`, `p s panicstr`), as `x` and `examine` read it."""

    def __init__(self, program: Program, follow_pointers: bool) -> None:
        super().__init__(program)
        self.follow_pointers = follow_pointers

    def symbol_value(self, name: str) -> int:
        address = self.symbol_address(name)  # says so when there is no such symbol
        if self.follow_pointers:
            try:
                pointer = self.program.global_ctype(name).kind == "pointer"
            except Q4Error:  # no declared type: the symbol is the object
                pointer = False
            if pointer:
                return super().symbol_value(name)
        return address


def parse_address(prog: Program, text: str, follow_pointers: bool = False,
                  command: str = "p") -> tuple[int, int]:
    """`(space, offset)` of an address typed by the user, an expression of q4py/expr.py in
    which a bare symbol is its address (with `follow_pointers`, a pointer global is its value);
    CommandError, naming `command` (the one the user typed), if it is not one."""
    text = text.strip()
    if not text:
        raise CommandError(f"{command}: empty address")
    try:
        value = expr.evaluate_text(text, _AddressEnv(prog, follow_pointers))
    except Q4Error as err:  # a malformed expression, or a pointer that cannot be read
        raise CommandError(f"{command}: address '{text}': {err}") from None
    space, offset = value.space or 0, value.value
    if offset >> (8 * prog.pointer_size):
        raise CommandError(f"{command}: address '{text}' is outside the "
                           f"{8 * prog.pointer_size}-bit address space")
    return space, offset


def _close_types(prog: Program, name: str) -> list[str]:
    names = prog.types.names()
    # Offer names as the user would type them: `proc_t`, `struct proc`, and the bare tag.
    candidates = sorted(set(names) | {n.removeprefix("struct ") for n in names})
    return difflib.get_close_matches(name.removeprefix("struct "), candidates, n=3, cutoff=0.5)


@command(
    "p",
    usage=USAGE,
    summary="print the structure of type TYPE at ADDR, one line per member",
    help="TYPE is a structure or typedef name as q4py knows it (lock_t, proc_t, "
    "struct save_state, save_state).\nADDR is one word, an expression as in examine: "
    "0x57849500, 4096, 0x0`4076da18, space.offset like 0x76db400.0x7fff0d48, sym+0x10. "
    "q4's own addresses such as 0x0.0x18191a1b'1c1d1e1f paste back as printed.\n"
    "An address no page directory entry maps prints `No translation`, as p4_print did.\n"
    "A bare symbol is an address, as p4 took one: p TYPE sym prints the object sym names "
    "(the same as &sym), except that a pointer global is followed, as x, examine and "
    "load ... from do: p proc_t proc prints the struct proc that proc (struct proc *) "
    "points to, p s panicstr the string panicstr (char *) points to; p TYPE &sym prints "
    "the memory of the pointer variable itself.\n"
    "Nested structures open a block indented by two; arrays print one line per element; "
    "char arrays print as strings; a char * that points at text is annotated.\n"
    "p s ADDR prints the NUL-terminated string at ADDR, as p4 did:\n"
    "  0x05b58000\n"
    "  0x05b58000 : /d/pm/meas/wd2bss/\n"
    "Examples:\n"
    "  p lock_t 0x57849500\n"
    "  p struct rw_lock 0x56c14ec8        (a sleeping reader/writer lock: l_kthread holds it)\n"
    "  p struct pathname 0x51e8.0x7fff0b40  (in a thread's u-area space: trace's PCB line)\n"
    "  p proc_t proc\n"
    "  p s 0x05b58000",
)
def p_command(session: Session, args: list[str]) -> None:
    if len(args) == 2 and args[0] == "s":
        p_string(session, args[1])
        return
    if len(args) < 2 or (args[0] == "struct" and len(args) < 3):
        raise CommandError(f"usage: {USAGE}")
    prog = session.program
    type_name = " ".join(args[:-1])
    try:
        layout = prog.types.get(type_name)
    except LayoutError:
        close = _close_types(prog, type_name)
        hint = f" (did you mean {', '.join(close)}?)" if close else ""
        raise CommandError(f"p: unknown type '{type_name}'{hint}") from None
    space, offset = parse_address(prog, args[-1], follow_pointers=True)
    try:
        lines = struct_lines(prog, layout, offset, space, type_name)
    except ReadError as err:
        if err.problem != NO_TRANSLATION:
            raise
        lines = ["No translation"]  # p4_print's answer for an unmapped address
    print_struct_echo(session, space, offset)
    for line in lines:
        print(line, file=session.out)


def print_struct_echo(session: Session, space: int, offset: int) -> None:
    """p4's two lines before a structure: the address as typed (`0x51e8.0x7fff0b40`), then
    the offset alone (`0x7fff0b40 :`), 8 hex digits at least."""
    address = p4_address(offset)
    print(f"{space:#x}.{address}" if space else address, file=session.out)
    print(f"{address} :", file=session.out)


def p_string(session: Session, text: str) -> None:
    """`p s ADDR`: the address p4-style (`0x05b58000`, zero-padded to 8 or 16 digits), then
    `ADDR : STRING`."""
    prog = session.program
    space, offset = parse_address(prog, text, follow_pointers=True)
    digits = 8 if offset <= 0xFFFFFFFF else 16
    echo = f"0x{offset:0{digits}x}"
    if space:
        echo = f"{space:#x}.{echo}"
    try:
        string = prog.read_string(offset, space)
    except ReadError as err:
        if err.problem != NO_TRANSLATION:
            raise CommandError(f"p s: {err}") from None
        print(echo, file=session.out)
        print("No translation", file=session.out)  # as p4_print said it
        return
    except Q4Error as err:
        raise CommandError(f"p s: {err}") from None
    print(echo, file=session.out)
    print(f"{echo} : {c_escape(string)}", file=session.out)
