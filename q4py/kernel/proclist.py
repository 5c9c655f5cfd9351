"""11i processes: `proc_list` linked through `p_factp`, names in `p_comm`; and any process's
identity (pid, parent, command) whichever way its kernel keeps them.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import NamedTuple
from weakref import WeakKeyDictionary

from q4py.errors import Q4Error, ReadError
from q4py.kernel.procs import Proc
from q4py.kernel.tables import walk_list
from q4py.layouts.base import c_string
from q4py.layouts.proc import PST_CLEN, PST_UCOMMLEN
from q4py.program import Program


class ProcIdentity(NamedTuple):
    pid: int
    ppid: int
    command: str


def proc_identity(prog: Program, address: int) -> ProcIdentity:
    """Pid, parent pid and command name of the proc at `address` (11.00 table or 11i list)."""
    proc = prog.read_struct("struct proc", address)
    slot = _table_slot(prog, address)
    if slot is not None:
        try:
            raw = prog.read(prog.read_global("pst_ucomms") + slot * PST_UCOMMLEN, PST_UCOMMLEN)
        except ReadError:
            raw = b""  # a name past the dump: the pids still show
    else:
        raw = proc.p_comm
    return ProcIdentity(proc.p_pid, proc.p_ppid, c_string(raw))


def _table_slot(prog: Program, address: int) -> int | None:
    """The 11.00 process table slot of the proc at `address` (None on 11i)."""
    if not (prog.has_symbol("pst_ucomms") and prog.has_symbol("proc")):
        return None
    return (address - prog.read_global("proc")) // prog.types.get("struct proc").size


def command_line(prog: Program, address: int) -> str:
    """The command line of the proc at `address`: `pst_cmds[slot]` on 11.00, `p_cmds` on 11i.

    Bytes that are not printable ASCII (a garbled entry) print as `?`.
    """
    slot = _table_slot(prog, address)
    if slot is not None and prog.has_symbol("pst_cmds"):
        raw = prog.read(prog.read_global("pst_cmds") + slot * PST_CLEN, PST_CLEN)
    elif slot is not None:
        raw = b""
    else:
        raw = prog.read_struct("struct proc", address).p_cmds
    return "".join(c if " " <= c <= "~" else "?" for c in c_string(raw))


# proc members whose 11.00 values live in parallel arrays: member -> (array, entry size)
PARALLEL_MEMBERS = {"p_comm": ("pst_ucomms", PST_UCOMMLEN), "p_cmds": ("pst_cmds", PST_CLEN)}


def kept_member_addresses(prog: Program, type_name: str, member: str,
                          addresses: Sequence[int]) -> list[int] | None:
    """Where the kernel keeps `member` of the `type_name` structures at `addresses` (space 0),
    when that is not in the structures themselves: on an 11.00 kernel a proc's `p_comm` and
    `p_cmds` are `pst_ucomms[slot]` and `pst_cmds[slot]` (the proc's own bytes are empty).
    None on other kernels, for other members, or for an address that is not a table slot.
    Every reader of a member (print's columns, expressions) asks here."""
    array_name, size = PARALLEL_MEMBERS.get(member, ("", 0))
    if type_name != "struct proc" or not size:
        return None
    table = _parallel_table(prog, array_name)
    if table is None:
        return None
    base, entry, count, array = table
    slots = [divmod(address - base, entry) for address in addresses]
    if any(rest or not 0 <= slot < count for slot, rest in slots):
        return None
    return [array + slot * size for slot, _ in slots]


# Per dump: (proc table, sizeof(struct proc), nproc, parallel array) by array name, read once
# (an expression asks for every structure of a pile).
_PARALLEL: WeakKeyDictionary[Program, dict[str, tuple[int, int, int, int] | None]] = \
    WeakKeyDictionary()


def _parallel_table(prog: Program, array_name: str) -> tuple[int, int, int, int] | None:
    known = _PARALLEL.setdefault(prog, {})
    if array_name not in known:
        if prog.has_symbol(array_name) and prog.has_symbol("proc"):
            known[array_name] = (prog.read_global("proc"), prog.types.get("struct proc").size,
                                 prog.global_or("nproc", 0), prog.read_global(array_name))
        else:
            known[array_name] = None
    return known[array_name]


class ParallelValues(NamedTuple):
    values: list[bytes | None]  # None: the entry cannot be read
    problem: str | None  # why the first unreadable entry cannot be read


def parallel_member(prog: Program, type_name: str, member: str,
                    addresses: Sequence[int]) -> ParallelValues | None:
    """`member` of the structures at `addresses` as kept_member_addresses places it (the
    parallel array read once); None where the structures' own bytes hold it. A garbled
    array pointer (or an entry past the dump) costs only the entries it hides."""
    kept = kept_member_addresses(prog, type_name, member, addresses)
    if kept is None:
        return None
    size = PARALLEL_MEMBERS[member][1]
    if not kept:
        return ParallelValues([], None)
    first = min(kept)
    try:
        names = prog.read(first, max(kept) + size - first)
    except Q4Error:
        return _entries_one_by_one(prog, kept, size)
    return ParallelValues([names[at - first:at - first + size] for at in kept], None)


def _entries_one_by_one(prog: Program, kept: list[int], size: int) -> ParallelValues:
    values: list[bytes | None] = []
    problem = None
    for at in kept:
        try:
            values.append(prog.read(at, size))
        except Q4Error as err:
            values.append(None)
            problem = problem or " ".join(str(err).split())
    return ParallelValues(values, problem)


def proc_label(prog: Program, address: int) -> str:
    """How p4 names a process: `proc[99]` (its 11.00 table slot) or `proc_list{131}` (its
    position on the 11i list)."""
    slot = _table_slot(prog, address)
    if slot is not None:
        return f"proc[{slot}]"
    positions = _LIST_POSITIONS.get(prog)
    if positions is None:
        try:
            listed = proc_list_addresses(prog)
        except Q4Error:
            listed = []
        # Read once per dump: a trace of every thread names each one's process.
        positions = _LIST_POSITIONS[prog] = {a: i for i, a in enumerate(listed)}
    position = positions.get(address)
    return "proc_list{?}" if position is None else f"proc_list{{{position}}}"


_LIST_POSITIONS: WeakKeyDictionary[Program, dict[int, int]] = WeakKeyDictionary()


def proc_list_addresses(prog: Program) -> list[int]:
    """The 11i process list: `proc_list` linked through `p_factp`, at most `nproc` long."""
    next_at = prog.types.get("struct proc").field("p_factp").offset
    # proc_list_problem says why a corrupt list ended where it did.
    listed, _LIST_PROBLEMS[prog] = walk_list(
        prog.read_global("proc_list"), lambda address: (None, prog.read_ulong(address + next_at)),
        prog.global_or("nproc", 0), name="proc_list", noun="processes", limit_name="nproc")
    return [address for address, _ in listed]


_LIST_PROBLEMS: WeakKeyDictionary[Program, str | None] = WeakKeyDictionary()


def proc_list_problem(prog: Program) -> str | None:
    """Why the 11i process list ended before its last process, or None (11.00's table)."""
    if not prog.has_symbol("proc_list"):
        return None
    if prog not in _LIST_PROBLEMS:
        proc_list_addresses(prog)
    return _LIST_PROBLEMS.get(prog)


def listed_processes(prog: Program) -> list[Proc]:
    """The processes of an 11i kernel, in list order; `slot` is the position in the list."""
    vas_layout = prog.types.get("struct vas")
    out = []
    for slot, address in enumerate(proc_list_addresses(prog)):
        proc = prog.read_struct("struct proc", address)
        vsize = rss = swap = 0
        if proc.p_vas:
            vas = prog.read_struct(vas_layout, proc.p_vas)
            vsize, rss, swap = vas.va_vsize, vas.va_rss, vas.va_swprss
        out.append(Proc(slot, address, proc.p_pid, proc.p_stat, proc.p_flag,
                        c_string(proc.p_comm), vsize, rss, swap))
    return out
