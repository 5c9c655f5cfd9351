"""Kernel threads: the 11.00 thread table or the 11i thread list, each thread with its process.

Which one a kernel has is read from its symbols: `kthread_list` (11i: a list linked through
`kt_global_kthread`, at most `nkthread` long) or `kthread` (11.00: a table of `nkthread` entries,
unused ones with kt_stat 0). A kernel with neither has no threads q4py can show.

A thread waiting for a beta semaphore sleeps with kt_wchan 0; the semaphore (kt_sema) is its
wait channel. A sleeping thread's wait channel is named as crashinfo named it
(`wait_channel_name`):
- an address inside the thread's own u-area: `*uptr+OFFSET`;
- an entry of the 11.00 process table: `proc[N]`;
- biowait(), ogetblk() and lock_read() sleep on a `struct buf`: when the buf can be read and
  is busy (B_BUSY: a buf slept on is), the name of its device (`LVM vg01/lv1`);
- the STREAMS readers (hpstreams_read_int(), streams_getmsg(), getmsg_subr()) sleep on a
  stream head, `STREAM 0xADDR` (its read queue's q_ptr points back at it), or a socket,
  `SOCKET 0xADDR` (its protocol control block points back at it); fifo_rdwr() on a FIFO's
  vnode (v_type VFIFO), `FIFO 0xADDR`; ttread() on an open terminal's `struct tty`, `DEVICE
  0xDEV` (its t_dev, 8 digits);
- an address inside a kernel symbol: `selwait`, `per_processor_selects+0x40`;
- a System V semaphore of a set: `sema[N][M]+OFF` (set N of `sema`, semaphore M);
- an address inside a System V message queue: `msgque[N]+OFF`;
- anything else (kernel dynamic memory): the sleep caller with the address,
  `vx_rwsleep_lock(0x100c99fa1)`.
"""

from __future__ import annotations

from bisect import bisect_right
from collections.abc import Iterable, Sequence
from functools import cache
from itertools import compress
from typing import Any, NamedTuple
from weakref import WeakKeyDictionary

from q4py.addr import c_hex
from q4py.errors import Q4Error, ReadError
from q4py.kernel.proclist import ProcIdentity, proc_identity
from q4py.kernel.swap import device_name
from q4py.kernel.tables import readable_entries, table_bytes, table_size, walk_list
from q4py.layouts.base import Layout, c_string
from q4py.layouts.buf import B_BUSY
from q4py.layouts.columns import member_column
from q4py.layouts.ipc import TS_ISOPEN, VFIFO
from q4py.layouts.proc import PST_UCOMMLEN
from q4py.layouts.sched import SCHED_NOAGE, TSBOUND, TSUNUSED, sleepq_index
from q4py.program import Program

UAREA_SIZE = 0x2000  # bytes of a thread's u-area and kernel stack (reconstruction)
MAX_SEM_SETS = 1 << 16  # semmni beyond this is garbage, not a kernel's table
# Sleep callers whose channel is a struct buf: biowait() waits for its I/O, ogetblk() for a
# busy buffer, lock_read() for a buffer's lock (hpux1111-64-hang-vhand-superpages: oracle's
# readers of raw logical volumes).
BUF_SLEEPERS = frozenset({"biowait", "ogetblk", "lock_read"})
# Sleep callers whose channel is a stream head or a socket (the vhand report: hpstreams_read_int
# 500, streams_getmsg 11 and getmsg_subr 2 sleepers, 510 STREAM and 1 SOCKET channels among
# them), and those whose channel is a FIFO (fifo_rdwr 9, FIFO 9).
STREAM_SLEEPERS = frozenset({"hpstreams_read_int", "streams_getmsg", "getmsg_subr"})
FIFO_SLEEPERS = frozenset({"fifo_rdwr"})
# A terminal's reader (hpux1100-32-hang-nfs-swap-p4: getty, `DEVICE 0x00000000`).
TTY_SLEEPERS = frozenset({"ttread"})


class Thread(NamedTuple):
    """One kthread with its process's pid, ppid and command. A named tuple: sixty thousand
    are made from the kthread table's columns in C (a frozen dataclass costs 3 us each)."""

    address: int
    tid: int
    stat: int
    flag: int
    pri: int
    spu: int
    group: int
    policy: int
    syscall: int
    lastrun: int  # lbolt when it last ran
    wchan: int  # what it waits on: kt_wchan, or the beta semaphore of kt_sema
    sleep_pri: int  # kt_sleep_pri: the priority word its sleep recorded
    sleep_caller: int  # return address into the function that called sleep
    uarea: int  # its u-area (user_t, PCB first), an offset in `uarea_space`
    uarea_space: int  # space of its u-area and kernel stack (its SR5 in the kernel)
    link: int  # kt_link: the next thread on its run or sleep queue
    proc: int  # address of its struct proc
    pid: int
    ppid: int
    command: str
    # Processor time (crashinfo's usage table): kt_cpu, kt_cpticks, kt_uticks, kt_sticks,
    # kt_iticks, kt_start.
    cpu: int
    recent: int
    user_ticks: int
    sys_ticks: int
    intr_ticks: int
    start: int
    sema: int  # kt_sema: the beta semaphore it waits for (then kt_wchan is 0), else 0

    @property
    def noage(self) -> bool:
        return self.policy == SCHED_NOAGE

    @property
    def bound(self) -> bool:
        return bool(self.flag & TSBOUND)


# The kthread member of each Thread field from `tid` to `proc`, in field order.
_MEMBERS = ("kt_tid", "kt_stat", "kt_flag", "kt_pri", "kt_spu", "kt_spu_group",
            "kt_schedpolicy", "kt_syscall", "kt_lastrun", "kt_wchan", "kt_sleep_pri",
            "kt_sleep_caller", "kt_uarea", "kt_uarea_space", "kt_link", "kt_procp")
# ... and of each field after `command`.
_USAGE_MEMBERS = ("kt_cpu", "kt_cpticks", "kt_uticks", "kt_sticks", "kt_iticks", "kt_start")


def has_threads(prog: Program) -> bool:
    return prog.has_symbol("kthread_list") or prog.has_symbol("kthread")


def thread_addresses(prog: Program) -> list[int]:
    """Addresses of the threads, in list or table order."""
    return [address for address, _ in thread_records(prog)]


def thread_records(prog: Program) -> list[tuple[int, tuple]]:
    """Every thread as (address, its kthread record), in list or table order: the 11.00 table
    is read in one pass, the 11i list followed link by link."""
    layout = prog.types.get("struct kthread")
    count = table_size(prog, "nkthread", 0)
    if prog.has_symbol("kthread_list"):
        next_at = layout.field_index("kt_global_kthread")

        def step(address: int) -> tuple[tuple, int]:
            rec = prog.read_records(layout, address, 1)[0]
            return rec, rec[next_at]

        # thread_list_problem says why a corrupt list ended where it did.
        out, _LIST_PROBLEMS[prog] = walk_list(
            prog.read_global("kthread_list"), step, count, name="kthread_list",
            noun="threads", limit_name="nkthread")
        return out
    if prog.has_symbol("kthread"):
        table = prog.read_global("kthread")
        stat_at = layout.field_index("kt_stat")
        return [(table + i * layout.size, rec)
                for i, rec in enumerate(_table_records(prog, layout, table, count))
                if rec[stat_at] != TSUNUSED]
    return []


def _table_records(prog: Program, layout: Layout, table: int, count: int) -> list[tuple]:
    """The 11.00 table's records: all `count`, or (a garbled nkthread that runs past the dump)
    those before the first entry the dump cannot read."""
    _LIST_PROBLEMS[prog] = None
    try:
        return prog.read_records(layout, table, count)
    except ReadError as err:
        held = readable_entries(prog, table, layout.size, count)
        _LIST_PROBLEMS[prog] = (f"the kthread table ends after {held} of nkthread's {count} "
                                f"entries: {err}")
        return prog.read_records(layout, table, held)


_THREADS: WeakKeyDictionary[Program, list[Thread]] = WeakKeyDictionary()
_LIST_PROBLEMS: WeakKeyDictionary[Program, str | None] = WeakKeyDictionary()


def thread_list_problem(prog: Program) -> str | None:
    """Why the 11i thread list ended before its last thread (a loop, an unreadable kthread,
    more than nkthread of them), or the 11.00 table before nkthread entries (the rest is not
    in the dump), or None: one line for the listings to print."""
    if not has_threads(prog):
        return None
    if prog not in _LIST_PROBLEMS:
        thread_records(prog)
    return _LIST_PROBLEMS.get(prog)


_TABLE_READ_AT = 64  # processes above which the whole 11.00 table's columns are read


class _Identities:
    """Each process's identity read once, however many threads it has: an 11.00 table entry
    from its record (or, for every thread at once, from the table's pid and ppid columns read
    whole) and the name array read whole; others through proc_identity."""

    def __init__(self, prog: Program) -> None:
        self.prog = prog
        self.known: dict[int, ProcIdentity | None] = {}
        self.table: tuple[int, int, int] | None = None  # (proc[0], entry size, nproc)
        if prog.has_symbol("proc") and prog.has_symbol("pst_ucomms"):
            layout = prog.types.get("struct proc")
            self.table = (prog.read_global("proc"), layout.size, prog.read_global("nproc"))
            self.at = (layout.field_index("p_pid"), layout.field_index("p_ppid"))
        self.names: bytes | None = None
        self.columns: tuple[Sequence[int], Sequence[int]] | None = None  # p_pid, p_ppid

    def __call__(self, procp: int) -> ProcIdentity | None:
        if procp not in self.known:
            try:
                self.known[procp] = self._identity(procp) if procp else None
            except Q4Error:
                self.known[procp] = None  # a garbled kt_procp: the thread still counts
        return self.known[procp]

    def of_all(self, procps: Sequence[int]) -> list[ProcIdentity | None]:
        """The identity of the process of each of `procps` (the whole table's columns read at
        once: sixty thousand threads ask for thirty thousand processes; a few threads read
        their few entries)."""
        distinct = dict.fromkeys(procps)
        if self.table is not None and self.columns is None and len(distinct) > _TABLE_READ_AT:
            base, size, count = self.table
            layout = self.prog.types.get("struct proc")
            try:
                data = self.prog.read(base, size * count)
            except Q4Error:
                pass  # a table the dump lacks in part: each entry read alone says what fails
            else:
                self.columns = (member_column(layout, "p_pid", data),
                                member_column(layout, "p_ppid", data))
        identity, known = self.__call__, self.known
        for procp in distinct:
            identity(procp)
        return [known[procp] for procp in procps]

    def _identity(self, procp: int) -> ProcIdentity:
        if self.table is None:
            return proc_identity(self.prog, procp)
        base, size, count = self.table
        slot, misaligned = divmod(procp - base, size)
        if misaligned or not 0 <= slot < count:
            return proc_identity(self.prog, procp)
        if self.names is None:  # names past the dump are empty: the thread still shows
            self.names = table_bytes(self.prog, self.prog.read_global("pst_ucomms"),
                                     PST_UCOMMLEN, count)
        raw = self.names[slot * PST_UCOMMLEN:(slot + 1) * PST_UCOMMLEN]
        name = c_string(raw)
        if self.columns is not None:
            return ProcIdentity(self.columns[0][slot], self.columns[1][slot], name)
        rec = self.prog.read_records("struct proc", procp, 1)[0]
        return ProcIdentity(rec[self.at[0]], rec[self.at[1]], name)


def threads(prog: Program) -> list[Thread]:
    """Every thread, with the pid, ppid and command of its process (read once per dump:
    crashinfo's sections and `stacks` each want all sixty thousand)."""
    found = _THREADS.get(prog)
    if found is None:
        found = _THREADS[prog] = _made(prog, thread_records(prog), _Identities(prog))
    return list(found)


def thread_at(prog: Program, address: int) -> Thread:
    """The thread whose kthread is at `address`, with its process's pid, ppid and command."""
    rec = prog.read_records(prog.types.get("struct kthread"), address, 1)[0]
    return _made(prog, [(address, rec)], _Identities(prog))[0]


def _made(prog: Program, records: list[tuple[int, tuple]],
          identity: _Identities) -> list[Thread]:
    """Threads of (address, kthread record) pairs, built a column at a time."""
    if not records:
        return []
    at = _field_indexes(prog.types.get("struct kthread"))
    columns = list(zip(*(rec for _, rec in records), strict=True))
    picked = [columns[at[member]] for member in _MEMBERS]
    # A beta semaphore's waiter sleeps with kt_wchan 0: its channel is the semaphore.
    wchans = _MEMBERS.index("kt_wchan")
    picked[wchans] = [wchan or sema for wchan, sema in
                      zip(picked[wchans], columns[at["kt_sema"]], strict=True)]
    idents = identity.of_all(picked[-1])  # the last member is kt_procp
    pids = [ident.pid if ident else -1 for ident in idents]
    ppids = [ident.ppid if ident else -1 for ident in idents]
    commands = [ident.command if ident else "" for ident in idents]
    usage = [columns[at[member]] for member in _USAGE_MEMBERS]
    return list(map(Thread._make, zip((address for address, _ in records), *picked, pids,
                                      ppids, commands, *usage, columns[at["kt_sema"]],
                                      strict=True)))


@cache
def _field_indexes(layout: Layout) -> dict[str, int]:
    return {f.name: i for i, f in enumerate(layout.fields)}


def thread_by_tid(prog: Program, tid: int) -> Thread:
    """The thread with thread id `tid`; Q4Error when there is none."""
    found = _matching(prog, "kt_tid", tid)
    if not found:
        raise Q4Error(f"no thread with tid {tid}")
    return found[0]


def threads_of(prog: Program, proc: int) -> list[Thread]:
    """The threads of the process whose proc is at `proc`, in list or table order."""
    return _matching(prog, "kt_procp", proc)


_SEARCHED = {"kt_tid": "tid", "kt_procp": "proc"}  # member -> its Thread field


def _matching(prog: Program, member: str, value: int) -> list[Thread]:
    """The threads whose `member` is `value`. The 11.00 table is searched a column at a time
    (two members of 60 000 entries decoded in C), the 11i list record by record."""
    known = _THREADS.get(prog)
    if known is not None and member in _SEARCHED:  # every thread read already: search them
        field = _SEARCHED[member]
        return [thread for thread in known if getattr(thread, field) == value]
    layout = prog.types.get("struct kthread")
    identity = _Identities(prog)
    if prog.has_symbol("kthread_list") or not prog.has_symbol("kthread"):
        at = layout.field_index(member)
        return _made(prog, [(address, rec) for address, rec in thread_records(prog)
                            if rec[at] == value], identity)
    table = prog.read_global("kthread")
    count = table_size(prog, "nkthread", 0)
    data = table_bytes(prog, table, layout.size, count)  # as _table_records
    stats, values = member_column(layout, "kt_stat", data), member_column(layout, member, data)
    found = []
    for i in compress(range(len(values)), map(value.__eq__, values)):
        if stats[i] != TSUNUSED:
            address = table + i * layout.size
            found.append((address, prog.read_records(layout, address, 1)[0]))
    return _made(prog, found, identity)


def sleep_queue(prog: Program, wchan: int) -> list[int]:
    """The threads on the sleep queue `wchan` hashes to that sleep on it (kthread addresses).

    Q4Error when the queue loops or passes nkthread entries (a corrupt link).
    """
    if not prog.has_symbol("sleepq"):
        return []
    head = prog.symbol("sleepq").address + \
        sleepq_index(wchan) * prog.types.get("struct sleepq").size
    layout = prog.types.get("struct kthread")
    link_at, wchan_at = layout.field("kt_link").offset, layout.field("kt_wchan").offset
    limit = table_size(prog, "nkthread", 0) or 1 << 20
    out: list[int] = []
    seen: set[int] = set()
    address = prog.read_ulong(head)
    while address:
        if address in seen or len(seen) > limit:
            raise Q4Error(f"sleep queue {sleepq_index(wchan)} loops at kthread {address:#x}")
        seen.add(address)
        if prog.read_ulong(address + wchan_at) == wchan:
            out.append(address)
        address = prog.read_ulong(address + link_at)
    return out


def function_name(prog: Program, pc: int) -> str | None:
    """The kernel function holding `pc` (`ksleep` for ksleep+0x1c4)."""
    text = prog.symbolize(pc) if pc else None
    return text.split("+", 1)[0] if text else None


class WaitChannelNamer:
    """Names wait channels; built once per dump (it reads the process, semaphore and message
    queue table bounds)."""

    def __init__(self, prog: Program) -> None:
        self.prog = prog
        self.proc_table = _table(prog, "proc", "nproc", "struct proc")
        self.msg_table = _table(prog, "msgque", "msgmni", "struct msqid_ds")
        self.sem_size = prog.types.get("struct sem").size
        self.sem_sets = _sem_sets(prog, self.sem_size)
        # (wchan, sleep caller) -> name: threads of a group share both.
        self.named: dict[tuple[int, int], str] = {}

    def name(self, thread: Thread) -> str:
        wchan = thread.wchan
        if thread.uarea and thread.uarea <= wchan < thread.uarea + UAREA_SIZE:
            return f"*uptr+{c_hex(wchan - thread.uarea)}"
        slot = _slot(self.proc_table, wchan)
        if slot is not None:
            return f"proc[{slot[0]}]"
        key = (wchan, thread.sleep_caller)
        found = self.named.get(key)
        if found is None:
            found = self.named[key] = self._name(wchan, thread.sleep_caller)
        return found

    def _name(self, wchan: int, sleep_caller: int) -> str:
        caller = function_name(self.prog, sleep_caller)
        named = self._by_caller(caller, wchan)
        if named is not None:
            return named
        symbol = self.prog.symbolize(wchan)
        if symbol is not None:
            return symbol
        i = bisect_right(self.sem_sets, (wchan, 1 << 64)) - 1
        if i >= 0:
            base, end, set_id = self.sem_sets[i]
            if wchan < end:
                sem, off = divmod(wchan - base, self.sem_size)
                return f"sema[{set_id}][{sem}]" + (f"+{off:#x}" if off else "")
        slot = _slot(self.msg_table, wchan)
        if slot is not None:
            return f"msgque[{slot[0]}]" + (f"+{slot[1]:#x}" if slot[1] else "")
        return f"{caller}({wchan:#x})" if caller else f"{wchan:#x}"

    def _by_caller(self, caller: str | None, wchan: int) -> str | None:
        """The object a sleep caller's channel is, when it is one: a buf's device, a stream
        head, a socket, a FIFO, a terminal."""
        if caller in BUF_SLEEPERS:
            buf = self._read("struct buf", wchan)
            if buf is not None and buf.b_flags & B_BUSY:
                number = buf.b_dev & 0xFFFFFFFF
                return device_name(number >> 24, number & 0xFFFFFF)
        elif caller in STREAM_SLEEPERS:
            if self._points_back("struct sth_s", "sth_rq", "struct queue", "q_ptr", wchan):
                return f"STREAM {wchan:#x}"
            if self._points_back("struct socket", "so_pcb", "struct inpcb", "inp_socket", wchan):
                return f"SOCKET {wchan:#x}"
        elif caller in FIFO_SLEEPERS:
            vnode = self._read("struct vnode", wchan)
            if vnode is not None and vnode.v_type == VFIFO:
                return f"FIFO {wchan:#x}"
        elif caller in TTY_SLEEPERS:
            tty = self._read("struct tty", wchan)
            if tty is not None and tty.t_state & TS_ISOPEN:
                return f"DEVICE {tty.t_dev & 0xFFFFFFFF:#010x}"
        return None

    def _read(self, type_name: str, address: int) -> Any:
        try:
            return self.prog.read_struct(type_name, address)
        except Q4Error:  # not readable: not that object
            return None

    def _points_back(self, type_name: str, member: str, other: str, back: str,
                     address: int) -> bool:
        """The structure at `address` points at one that points back at it."""
        obj = self._read(type_name, address)
        target = getattr(obj, member) if obj is not None else 0
        found = self._read(other, target) if target else None
        return found is not None and getattr(found, back) == address


def _readable_sets(prog: Program, base: int, size: int, count: int) -> list[tuple[int, int]]:
    """(sem_base, sem_nsems) of the sets up to the first the dump cannot give."""
    out = []
    for i in range(count):
        try:
            ds = prog.read_struct("struct semid_ds", base + i * size)
        except Q4Error:
            break
        out.append((ds.sem_base, ds.sem_nsems))
    return out


def _table(prog: Program, name: str, count: str, type_name: str) -> tuple[int, int, int] | None:
    """(base, entry size, entries) of a kernel table reached through a pointer global."""
    if not (prog.has_symbol(name) and prog.has_symbol(count)):
        return None
    return prog.read_global(name), prog.types.get(type_name).size, prog.read_global(count)


def _slot(table: tuple[int, int, int] | None, address: int) -> tuple[int, int] | None:
    """(entry, offset in it) of an address inside a table."""
    if table is None:
        return None
    base, size, count = table
    if not base <= address < base + size * count:
        return None
    return divmod(address - base, size)


def _sem_sets(prog: Program, sem_size: int) -> list[tuple[int, int, int]]:
    """(first semaphore, end, set id) of every System V semaphore set, by address."""
    table = _table(prog, "sema", "semmni", "struct semid_ds")
    if table is None or not table[0]:
        return []
    base, size, count = table
    count = max(0, min(count, MAX_SEM_SETS))
    layout = prog.types.get("struct semid_ds")
    try:  # the whole table in one read, its two columns decoded in C
        data = prog.read(base, size * count)
        sets: Iterable[tuple[int, int]] = zip(member_column(layout, "sem_base", data),
                                              member_column(layout, "sem_nsems", data),
                                              strict=True)
    except Q4Error:  # part of it outside the dump: the sets before the first that is
        sets = _readable_sets(prog, base, size, count)
    out = []
    for i, (sem_base, nsems) in enumerate(sets):
        if sem_base and nsems:
            out.append((sem_base, sem_base + nsems * sem_size, i))
    return sorted(out)
