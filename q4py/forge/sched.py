"""The ctx's scheduler side: threads, spinlocks and pseudo-swap.

Scenario keys stay causes: a group of threads says how many there are, what they sleep on and in
which function, and how long ago each last ran; the ctx turns that into `struct kthread`s
(the 11.00 table or the 11i list, by release), `kt_lastrun = lbolt - ticks`, wait channel
symbols and u-areas. Nothing here writes a figure the decoder prints after working it out.
(The per-processor scheduler fields are set with the processors, in `system.py`.)
"""

from __future__ import annotations

import re
from typing import Any

from q4py.errors import ScenarioError
from q4py.forge.context import ForgeContext
from q4py.forge.default_stacks import with_default_stacks
from q4py.forge.ipc import FORMS, IpcObjects, is_ipc_wchan
from q4py.forge.kernel import KernelFunction
from q4py.forge.processes import Processes
from q4py.forge.schema import Bool, Int, List, Str, Table
from q4py.forge.stacks import CONTEXT, build_stack, call_args, call_problem
from q4py.forge.system import lbolt, uses_lists
from q4py.layouts import KERNEL_GLOBALS
from q4py.layouts.buf import B_BUSY
from q4py.layouts.sched import (
    B_SEMA_MAGIC,
    BSEMA_SLEEP_PRI,
    LOCK_1100_NAME_BITS,
    NSLEEPQ,
    SCHED_POLICIES,
    SYSCALL_NUMBERS,
    THREAD_STATE_CODES,
    TSBOUND,
    TSDEACT,
    TSDEACTSELF,
    TSRUNPROC,
    TSSLEEP,
    UAREA_OFFSET_NARROW,
    UAREA_OFFSET_WIDE,
    sleepq_index,
)

_U64 = 0xFFFFFFFFFFFFFFFF
_STATES = {"sleep": "TSSLEEP", "run": "TSRUN", "running": "TSRUNPROC", "zombie": "TSZOMB",
           "stopped": "TSSTOP", "idle": "TSIDL"}
_SYMBOL_WCHAN = re.compile(r"^(?P<name>[A-Za-z_$][\w$#]*)(\+(?P<off>0x[0-9a-fA-F]+|\d+))?$",
                           re.ASCII)
_ADDRESS = re.compile(r"^0x[0-9a-fA-F]+$")
_UAREA_WCHAN = re.compile(r"^uarea(\+(?P<off>0x[0-9a-fA-F]+|\d+))?$", re.ASCII)
_PROC_WCHAN = re.compile(r"^proc\[(?P<slot>\d+)\]$", re.ASCII)
_DEACT_FLAGS = {"": 0, "yes": TSDEACT, "self": TSDEACT | TSDEACTSELF}
_CALLER_SIZE = 0x100  # bytes given to a sleep caller the scenario does not declare
_FIRST_SPACE, _SPACE_STEP = 0x2000000, 0x400  # space ids the forge gives threads
_STACK_COPIED = 0x10000  # a group's stack copied thread to thread when it is this close
_HANDLER_FRAME = 0x4D0  # an interrupt handler's frame, as the reports' ihandler has


def _wchan_problem(text: str) -> str | None:
    if (not text or text == "buf" or _ADDRESS.match(text) or _SYMBOL_WCHAN.match(text)
            or _UAREA_WCHAN.match(text) or _PROC_WCHAN.match(text) or is_ipc_wchan(text)):
        return None
    return (f"'{text}' is not a wait channel: a kernel symbol (`selwait`, `locklist+0x13e8`), "
            f"an address (`0x100c99fa1`), `uarea[+OFF]`, `proc[N]`, `buf`, {FORMS}")


# -- schema ------------------------------------------------------------------------------------
THREAD_GROUP = Table("Threads alike, generated: `count` threads of one process.", keys={
    "count": Int("How many.", default=1, minimum=1),
    "pid": Int("Process they belong to (a pid of `processes` or `process_groups`).",
               required=True, minimum=0),
    "no_process": Bool("The threads have no process (kt_procp NULL; `pid` is not looked "
                       "up): crashinfo lists such a thread with pid and ppid 0 and no command.",
                       default=False),
    "processes": Int("Spread the threads evenly over this many processes: `pid`, then the "
                     "pids `pid_step` apart (the threads of many alike processes).", default=1,
                     minimum=1),
    "pid_step": Int("Pid increment between those processes.", default=1, minimum=1),
    "tid": Int("Thread id of the first; the rest follow (a tid is one thread's: "
               "two groups or rows giving one are an error). -1: the next free ids.",
               default=-1, minimum=-1),
    "state": Str("Thread state. A process whose every thread is a `zombie` is one too "
                 "(p_stat SZOMB, as exit() leaves it); on 11.00 p_stat follows its threads "
                 "otherwise too when they agree (SRUN when all are `running` or `run`, SSTOP "
                 "or SIDL when all are `stopped` or `idle`; else SSLEEP), where 11i keeps "
                 "SINUSE.",
                 default="sleep",
                 choices=tuple(_STATES)),
    "pri": Int("Priority (kt_pri).", default=154),
    "spu": Int("Processor it runs or waits on.", default=0, minimum=0),
    "group": Int("Processor group (kt_spu_group).", default=-1),
    "bound": Bool("Bound to its processor.", default=False),
    "policy": Str("Scheduling policy.", default="hpux", choices=tuple(SCHED_POLICIES)),
    "syscall": Str("System call it is in (a name such as `select`), empty for none.",
                   default="", choices=("", *SYSCALL_NUMBERS)),
    "wchan": Str("What it sleeps on: a kernel symbol (`selwait`, `locklist+0x13e8`; created "
                 "when the kernel has no such global), an address (`0x100c99fa1`), `uarea` "
                 "(its own u-area, `uarea+0x10`), `proc[N]` (11.00 process table slot), `buf` "
                 "(a busy buffer of the device `buf_device`), `sema[N][M]+OFF` (semaphore M of "
                 "System V set N), `msgque[N]+OFF` (in message queue N), `stream:0xADDR`, "
                 "`socket:0xADDR` or `fifo:0xADDR` (a stream head, socket or FIFO vnode built "
                 "at ADDR), `tty:DEV` (an open terminal of device DEV); crashinfo names a `buf`, "
                 "stream, socket, FIFO or terminal channel by what it is only for a sleep "
                 "`caller` that reads one (biowait, ogetblk, lock_read; hpstreams_read_int, "
                 "streams_getmsg, getmsg_subr; fifo_rdwr; ttread), others as "
                 "`caller(0xADDR)`. A sleeper on a beta "
                 "semaphore of `beta_semas` sleeps as the kernel's semaphore sleep leaves it "
                 "(kt_wchan 0, the semaphore in kt_sema).",
                 default="", check=_wchan_problem),
    "wchan_step": Int("For an address `wchan`: each next thread of the group sleeps this many "
                      "bytes further (threads on channels of their own).", default=0,
                      minimum=0),
    "buf_device": Table("Device of the buffer a `wchan = \"buf\"` group sleeps on.", default=None,
                        keys={"major": Int("Major number.", required=True, minimum=0),
                              "minor": Int("Minor number.", required=True, minimum=0)}),
    "caller": Str("Function that called sleep, or `function+0xOFF` for the exact return address "
                  "(declared in kernel.functions or placed by the forge).", default=""),
    "ticks": List("Clock ticks since each last ran: one value for all, two for the first and "
                  "the last (spread evenly), or one per thread.", item=Int("", minimum=0),
                  default=[0]),
    "address": Int("Where the first thread's kthread is (11i's list; the others follow "
                   "it); -1: kernel dynamic data.", default=-1, minimum=-1),
    "deactivated": Str("Deactivated by the memory scheduler (TSDEACT), or `self`: it was "
                       "running and deactivated itself (TSDEACTSELF too).", default="",
                       choices=("", "yes", "self")),
    "calls": List("Its kernel stack when it switched out, call sites innermost first "
                  "(`_swtch+0xc4`, `_sleep+0x1a8`, ..., `syscallinit+0x554`): laid on each "
                  "thread's own kernel stack, the context saved in its PCB. Functions not in "
                  "kernel.functions are placed with a 0x80-byte frame. Not for running threads "
                  "(their stack is their processor's crash event). Without `calls` and "
                  "`contexts` the forge lays a default stack from the group's state, caller, "
                  "syscall and process (docs/scenario-format.md).",
                  item=Str("", check=call_problem)),
    "args": call_args("Argument values a call of `calls` stored in its caller's frame, as "
                      "for events: `\"_sleep+0x1a8\" = { arg0 = 0x56c14ede }`, or a list of "
                      "tables, one per frame at that site."),
    "contexts": List("Instead of `calls`: the stack as contexts, innermost first, as for "
                     "events (a trap from user mode: the outermost context has `user`).",
                     item=CONTEXT),
    "space": Int("Space of the first thread's u-area and kernel stack (its SR5); the others "
                 "follow by `space_step`. -1: a running thread takes its processor's event "
                 "space, others get spaces of their own.", default=-1, minimum=-1,
                 maximum=0xFFFFFFFF),
    "space_step": Int("Space id increment between the threads of the group.", default=0x400,
                      minimum=1),
    "cpu": Int("The scheduler's processor usage figure (kt_cpu; it decays as the thread "
               "waits).", default=0, minimum=0),
    "recent": Int("Clock ticks it ran in the recent interval (kt_cpticks).", default=0,
                  minimum=0),
    "user_ticks": Int("Statclock ticks charged to it in user mode (kt_uticks).", default=0,
                      minimum=0, maximum=0xFFFFFFFF),
    "sys_ticks": Int("Statclock ticks charged to it in the kernel (kt_sticks).", default=0,
                     minimum=0, maximum=0xFFFFFFFF),
    "intr_ticks": Int("Statclock ticks charged to it at interrupt level (kt_iticks).",
                      default=0, minimum=0, maximum=0xFFFFFFFF),
    "start": Int("When it started, in seconds since 1970 UTC (kt_start).", default=0,
                 minimum=0, maximum=0xFFFFFFFF),
})

THREAD_DEFAULTS = Table("The kthread every process without a thread group gets: one thread, "
                        "asleep where an idle process sleeps.", keys={
    "enabled": Bool("Give those processes their thread (false: only the groups' threads).",
                    default=True),
    "calls": List("Its kernel stack, call sites innermost first (as `threads[].calls`); "
                  "empty: the default stack of a group that states none (from the sleep "
                  "primitive through `caller` and `syscall` to the release's syscall entry).",
                  item=Str("", check=call_problem)),
    "caller": Str("Function that called sleep (as `threads[].caller`).",
                  default="select+0x2b8"),
    "wchan": Str("What it sleeps on (as `threads[].wchan`).", default="selwait",
                 check=_wchan_problem),
    "syscall": Str("System call it is in.", default="select", choices=("", *SYSCALL_NUMBERS)),
    "pri": Int("Priority (kt_pri).", default=154),
    "ticks": Int("Clock ticks since it last ran (at most lbolt); -1: not since boot "
                 "(kt_lastrun 0).", default=-1, minimum=-1),
})

RW_LOCK = Table("A sleeping reader/writer lock (struct rw_lock).", keys={
    "address": Int("Where it is (space 0).", required=True, minimum=0),
    "interlock": Int("Address of the spinlock guarding it.", default=0, minimum=0),
    "owner_tid": Int("Thread holding it for writing (l_kthread); -1 for none.", default=-1,
                     minimum=-1),
    "readers": Int("Threads holding it for reading (read_count).", default=0, minimum=0),
    "write_waiters": Int("Threads waiting to write.", default=0, minimum=0),
    "want_write": Bool("A writer holds or wants it.", default=False),
    "want_upgrade": Bool("A reader wants to upgrade to writing.", default=False),
    "waiting": Int("The waiting byte (threads sleep on its address).", default=0, minimum=0,
                   maximum=0xFF),
    "flags": Int("rwl_flags.", default=0, minimum=0, maximum=0xFF),
    "delay": Int("delay.", default=0, minimum=0),
})

BETA_SEMA = Table("A beta semaphore (struct b_sema): its waiters are the threads whose wchan "
                  "names it.", keys={
    "name": Str("Its kernel symbol (`shm_lock`), created in kernel data (where "
                "`kernel.symbols` puts it, if it names it); or give an address.", default=""),
    "address": Int("Where it is (space 0) when it has no name.", default=-1, minimum=-1),
    "owner_tid": Int("Thread holding it; -1 for none.", default=-1, minimum=-1),
})

LOCK = Table("A spinlock (lock_t).", keys={
    "address": Int("Where it is (space 0).", required=True, minimum=0),
    "name": Str("Its name string.", required=True),
    "name_address": Int("Where the name string is; -1: placed by the ctx.", default=-1),
    "owner_cpu": Int("Processor holding it (sl_owner points at its mpinfo); -1 for none.",
                     default=-1, minimum=-1),
    "lock": Int("sl_lock.", default=0, minimum=0, maximum=_U64),
    "flag": Int("sl_flag.", default=0, minimum=0),
    "next_cpu": Int("sl_next_cpu.", default=0, minimum=0),
    "arena_alloc_flag": Int("sl_arena_alloc_flag.", default=0, minimum=0),
    "timed_out": Bool("The lock whose wait timed out: the `Spinlock deadlock` panic's "
                      "(sets spinlock_timeout_lock).", default=False),
})

SWAP_MEMORY = Table("Pseudo-swap: memory usable as swap.", default=None, keys={
    "pages": Int("Pages of memory usable as swap (swapmem_max).", required=True, minimum=0),
    "free_pages": Int("Of those, pages not reserved (swapmem_cnt).", required=True,
                      minimum=0),
})


# -- threads -----------------------------------------------------------------------------------
def _spread(ticks: list[int], count: int, path: str) -> list[int]:
    if len(ticks) == count:
        return list(ticks)
    if len(ticks) == 1:
        return ticks * count
    if len(ticks) == 2:
        first, last = ticks
        return [first + (last - first) * i // max(count - 1, 1) for i in range(count)]
    raise ScenarioError(path, f"{len(ticks)} values for {count} threads: give 1, 2 or {count}")


class _Symbols:
    """Wait channel and sleep caller symbols the scenario names, created where missing."""

    def __init__(self, ctx: ForgeContext) -> None:
        self.ctx = ctx
        self.data: dict[str, int] = {}  # name -> size wanted
        self.text_cursor = max((f.address + f.size for f in ctx.functions.values()),
                               default=ctx.text[0])

    def reserve(self, name: str, offset: int) -> None:
        self.data[name] = max(self.data.get(name, 8), offset + 8)

    def data_address(self, name: str) -> int:
        if name in self.ctx.symbols:
            return self.ctx.symbols[name][0]
        if name in KERNEL_GLOBALS:
            return self.ctx.place_global(name)
        return self.ctx.place_symbol(name, -(-self.data.get(name, 8) // 8) * 8)

    def caller_pc(self, name: str, path: str) -> int:
        """A return address inside function `name` (declared, or placed after the others), or
        `name+0xOFF` exactly."""
        base, plus, offset = name.partition("+")
        if plus:
            try:
                at = int(offset, 0)
            except ValueError:
                raise ScenarioError(path, f"'{name}': the offset is no number") from None
            return self.function(base, at, path).address + at
        fn = self.function(name, 0, path)
        return fn.address + min(0x44, fn.size - 4)

    def function(self, name: str, offset: int, path: str,
                 interrupt: bool = False) -> KernelFunction:
        """Function `name`: declared, or placed after the others, long enough for `offset`
        (an interrupt handler: no RP saved, a frame that holds the save_state it builds)."""
        ctx = self.ctx
        fn = ctx.functions.get(name)
        if fn is None:
            if not re.match(r"^[A-Za-z_$][\w$]*$", name):
                raise ScenarioError(path, f"'{name}' is not a function name")
            size = max(_CALLER_SIZE, -(-(offset + 4) // 0x100) * 0x100)
            address = -(-self.text_cursor // 0x100) * 0x100
            end = ctx.text[0] + ctx.text[1]
            if address + size > end:
                raise ScenarioError(path, f"no room for function '{name}' in kernel text "
                                    "(more pages.text, or declare it in kernel.functions)")
            frame = -(-max(_HANDLER_FRAME, ctx.types.get("save_state").size) // 0x10) * 0x10
            fn = KernelFunction(name, address, size, frame if interrupt else 0x80,
                                not interrupt, interrupt)
            ctx.functions[name] = fn
            self.text_cursor = address + size
        return fn


def build_threads(ctx: ForgeContext, mpinfo_address: int, processes: Processes,
                  semas: frozenset[int] = frozenset()) -> dict[int, int]:
    """The scenario's thread groups as kthreads: the 11.00 table or the 11i list; returns the
    address of each thread by tid. A thread whose wait channel is one of the beta semaphores
    `semas` sleeps as `_mp_b_sema_sleep` leaves it: kt_wchan 0, the semaphore in kt_sema, its
    sleep priority word flagged BSEMA_SLEEP_PRI."""
    proc_addresses, proc_table = processes.addresses, processes.table
    groups = with_default_stacks(ctx, ctx.sc["threads"] + _default_groups(ctx, processes))
    if not groups:
        return {}
    layout = ctx.types.get("struct kthread")
    now = lbolt(ctx)
    symbols = _Symbols(ctx)
    # Symbol sizes first: a symbol must cover every offset any group sleeps at, a function every
    # call site in it.
    _place_stack_functions(symbols, groups)
    for group in groups:
        match = _SYMBOL_WCHAN.match(group["wchan"])
        if match and group["wchan"] != "buf" and not _UAREA_WCHAN.match(group["wchan"]):
            symbols.reserve(match["name"], int(match["off"] or "0", 0))
    ipc = IpcObjects(ctx, (g["wchan"] for g in groups))
    records: list[dict[str, Any]] = []
    spaces = _Spaces(ctx)
    uarea = UAREA_OFFSET_WIDE if ctx.wide else UAREA_OFFSET_NARROW
    placed: list[int] = []  # where the scenario puts each thread, -1 where it does not
    laid: dict[str, bytes] = {}  # a stack's bytes by its contexts, as first laid
    next_tid = max((g["tid"] + g["count"] for g in groups if g["tid"] >= 0), default=1)
    tid_owner: dict[int, str] = {}  # the group (its key path) each tid went to
    nprocessors = len(ctx.sc["processors"])
    proc_size = ctx.types.get("struct proc").size
    for gi, group in enumerate(groups):
        path = group.get("where") or ("thread_defaults" if "procs" in group
                                      else f"threads[{gi}]")
        pids = [group["pid"] + k * group["pid_step"] for k in range(group["processes"])]
        for pid in pids:
            if pid not in proc_addresses and not group["no_process"]:
                raise ScenarioError(f"{path}.pid", f"no process with pid {pid}")
        procs = [0] if group["no_process"] else \
            group.get("procs") or [proc_addresses[pid] for pid in pids]
        if group["spu"] >= nprocessors:
            raise ScenarioError(f"{path}.spu", f"no processor {group['spu']}")
        count = group["count"]
        ticks = _spread(group["ticks"], count, f"{path}.ticks")
        if max(ticks) > now:
            raise ScenarioError(f"{path}.ticks", f"more than lbolt ({now}) ticks")
        caller = symbols.caller_pc(group["caller"], f"{path}.caller") if group["caller"] else 0
        shared_wchan = _shared_wchan(ctx, symbols, ipc, group, proc_table, proc_size, path)
        if group["wchan_step"] and not _ADDRESS.match(group["wchan"]):
            raise ScenarioError(f"{path}.wchan_step", "only an address wchan can step")
        first_tid = group["tid"]
        if first_tid < 0:
            first_tid, next_tid = next_tid, next_tid + count
        for tid in range(first_tid, first_tid + count):
            if tid in tid_owner:  # two kthreads with one tid: p4's Kthread -t would load both
                raise ScenarioError(f"{path}.tid", f"tid {tid} is already a thread of "
                                    f"{tid_owner[tid]}")
            tid_owner[tid] = path
        flag = (TSBOUND if group["bound"] else 0) | _DEACT_FLAGS[group["deactivated"]]
        contexts = _thread_contexts(group, path)
        # Groups with the same stack (a thread table's rows) copy the bytes the first laid.
        stack: bytes | None = laid.get(repr(contexts)) if contexts else None
        for n in range(count):
            space = spaces.next(group, n)
            if stack is None and contexts:
                stack = _lay_thread_stack(ctx, contexts, space, path)
                if stack is not None:
                    laid[repr(contexts)] = stack
            elif stack is not None:  # the group's stack is the same bytes in each space
                ctx.mem.write(uarea, stack, space)
            wchan = shared_wchan + n * group["wchan_step"]
            match = _UAREA_WCHAN.match(group["wchan"])
            if match:
                wchan = uarea + int(match["off"] or "0", 0)
            sema = 0
            if wchan in semas and group["state"] == "sleep":
                sema, wchan = wchan, 0
            records.append({
                "kt_procp": procs[n * len(procs) // count],
                "kt_tid": first_tid + n,
                "kt_stat": THREAD_STATE_CODES[_STATES[group["state"]]], "kt_flag": flag,
                "kt_pri": group["pri"],
                "kt_sleep_pri": (group["pri"] | (BSEMA_SLEEP_PRI if sema else 0)
                                 if group["state"] == "sleep" else 0),
                "kt_sema": sema, "kt_spu": group["spu"], "kt_spu_group": group["group"],
                "kt_schedpolicy": SCHED_POLICIES[group["policy"]],
                "kt_syscall": SYSCALL_NUMBERS.get(group["syscall"], 0),
                "kt_lastrun": now - ticks[n], "kt_wchan": wchan, "kt_sleep_caller": caller,
                "kt_uarea": uarea, "kt_uarea_space": space,
                "kt_cpu": group["cpu"], "kt_cpticks": group["recent"],
                "kt_uticks": group["user_ticks"], "kt_sticks": group["sys_ticks"],
                "kt_iticks": group["intr_ticks"], "kt_start": group["start"],
            })
            placed.append(group["address"] + n * layout.size if group["address"] >= 0 else -1)
    lists = uses_lists(ctx.sc["system"]["release"])
    if lists:
        addresses = [at if at >= 0 else ctx.mem.alloc(layout.size, 64) for at in placed]
        for i, record in enumerate(records):
            record["kt_global_kthread"] = addresses[i + 1] if i + 1 < len(records) else 0
    else:
        if any(at >= 0 for at in placed):
            raise ScenarioError("threads", "`address` places threads of 11i's list; 11.00 "
                                "keeps them in its table")
        # The whole table is kernel memory the dump holds, unused slots (kt_stat 0) too.
        size = max(len(records), ctx.sc["nkthread"])
        table = ctx.sc["kernel"]["kthread_table"]
        if table < 0:
            table = ctx.mem.alloc(layout.size * size, 64)
        ctx.mem.write(table, bytes(layout.size * size))
        addresses = [table + i * layout.size for i in range(len(records))]
    _link_sleep_queues(ctx, records, addresses)
    # Flat records packed with the layout's struct fast path: 60 000 threads build in C.
    fast, names = layout.fast, [f.name for f in layout.fields]
    assert fast is not None
    for record, address in zip(records, addresses, strict=True):
        ctx.mem.write(address, fast.pack(*(record.get(name, 0) for name in names)))
    if lists:
        ctx.set_global("kthread_list", addresses[0])
    else:
        ctx.set_global("kthread", table)
    ctx.set_global("nkthread", len(records) if lists else size)
    by_tid = {record["kt_tid"]: address for record, address in zip(records, addresses,
                                                                      strict=True)}
    # Each processor's current thread is the one the scenario names, or the one running
    # (TSRUNPROC) on it; the thread before it is the same one.
    running = {record["kt_spu"]: address for record, address in zip(records, addresses,
                                                                     strict=True)
               if record["kt_stat"] == TSRUNPROC}
    mpinfo = ctx.types.get("struct mpinfo")
    for cpu, processor in enumerate(ctx.sc["processors"]):
        address = running.get(cpu)
        if processor["thread"] >= 0:
            address = by_tid.get(processor["thread"])
            if address is None:
                raise ScenarioError(f"processors[{cpu}].thread",
                                    f"no thread {processor['thread']}")
        if address is None:
            continue
        for name in ("mpi_curthread", "mpi_prevthread"):
            field = mpinfo.field(name)
            at = mpinfo_address + cpu * mpinfo.size + field.offset
            ctx.mem.write(at, address.to_bytes(field.size, "big"))
    return by_tid


def _default_groups(ctx: ForgeContext, processes: Processes) -> list[dict[str, Any]]:
    """The thread of each process no group gives threads: one group of them, in process
    order, asleep as `thread_defaults` says (its `procs`: the struct proc of each)."""
    defaults = ctx.sc["thread_defaults"]
    covered = {processes.addresses[group["pid"] + k * group["pid_step"]]
               for group in ctx.sc["threads"] for k in range(group["processes"])
               if group["pid"] + k * group["pid_step"] in processes.addresses}
    alone = [(pid, proc) for pid, proc in processes.in_order if proc not in covered]
    if not defaults["enabled"] or not alone:
        return []
    group = THREAD_GROUP.validate({"pid": alone[0][0], "count": len(alone)}, "thread_defaults")
    group.update(procs=[proc for _, proc in alone], calls=defaults["calls"],
                 caller=defaults["caller"], wchan=defaults["wchan"],
                 syscall=defaults["syscall"], pri=defaults["pri"],
                 ticks=[defaults["ticks"] if defaults["ticks"] >= 0 else lbolt(ctx)])
    return [group]


def _link_sleep_queues(ctx: ForgeContext, records: list[dict[str, Any]],
                       addresses: list[int]) -> None:
    """Sleeping threads on the sleep queue their wait channel hashes to, in thread order,
    linked through kt_link; the heads in `sleepq`."""
    heads = [0] * NSLEEPQ
    last: dict[int, dict[str, Any]] = {}
    for record, address in zip(records, addresses, strict=True):
        if record["kt_stat"] != TSSLEEP or not record["kt_wchan"]:
            continue
        index = sleepq_index(record["kt_wchan"])
        if index in last:
            last[index]["kt_link"] = address
        else:
            heads[index] = address
        last[index] = record
    entry = ctx.types.get("struct sleepq")
    table = ctx.place_global("sleepq")
    ctx.mem.write_many(table, entry, [(head,) for head in heads])


def _thread_contexts(group: dict[str, Any], path: str) -> list[dict[str, Any]]:
    """The group's stack as event contexts (empty: no stack stated)."""
    contexts = group["contexts"]
    if group["calls"] or group["args"]:
        if contexts:
            raise ScenarioError(f"{path}.contexts", "give `calls` or `contexts`, not both")
        contexts = [{"calls": group["calls"], "args": group["args"], "trap": -1, "user": None,
                     "registers": {}, "stack_space": -1, "stack_base": -1}]
    if contexts and group["state"] == "running":
        raise ScenarioError(f"{path}.calls", "a running thread's stack is its processor's "
                            "crash event: give the calls there")
    if contexts and contexts[0]["user"] is not None:
        raise ScenarioError(f"{path}.contexts[0]", "a switched-out thread's innermost context "
                            "runs in the kernel")
    return contexts


def _place_stack_functions(symbols: _Symbols, groups: list[dict[str, Any]]) -> None:
    """Every function the groups' stacks call, placed (if undeclared) long enough for the
    furthest call site into it."""
    furthest: dict[str, tuple[int, str]] = {}
    handlers: set[str] = set()  # the outermost call of a context another one follows
    for gi, group in enumerate(groups):
        contexts = group["contexts"] or [{"calls": group["calls"]}]
        for k, context in enumerate(contexts):
            if k + 1 < len(contexts) and context["calls"]:
                handlers.add(context["calls"][-1].partition("+")[0])
            for j, call in enumerate(context["calls"]):
                name, _, offset = call.partition("+")
                off = int(offset, 16) if offset else 0
                path = (f"thread_defaults.calls[{j}]" if "procs" in group
                        else f"threads[{gi}].contexts[{k}].calls[{j}]")
                if off >= furthest.get(name, (-1, ""))[0]:
                    furthest[name] = (off, path)
    for name, (offset, path) in furthest.items():
        symbols.function(name, offset, path, interrupt=name in handlers)


def _lay_thread_stack(ctx: ForgeContext, contexts: list[dict[str, Any]], space: int,
                      path: str) -> bytes | None:
    """The stack on the thread's kernel stack (after its u-area) and its PCB: the SP, pc and
    RP of its innermost call, as the switch saved them. Returns the bytes from the u-area to
    the top of the stack (the same for every thread of the group)."""
    uarea = UAREA_OFFSET_WIDE if ctx.wide else UAREA_OFFSET_NARROW
    user = ctx.types.get("struct user")
    # A trap from user mode whose space the scenario leaves to the forge came from the
    # thread's own space (threads whose stacks are copied from it share it).
    contexts = [dict(c, user=dict(c["user"], pcsq=space)) if c["user"] and c["user"]["pcsq"] < 0
                else c for c in contexts]
    regs = build_stack(ctx, {"contexts": contexts, "stack_base": uarea + user.size,
                             "space": space, "kind": "TOC"}, path)
    ctx.place("struct pcb", uarea, {"pcb_sp": regs["sp"], "pcb_pc": regs["pcoq_head"],
                                    "pcb_rp": regs.get("rp", 0)}, path, space)
    if not uarea < regs["sp"] < uarea + _STACK_COPIED:
        return None  # a context on a stack elsewhere: each thread lays its own
    return ctx.mem.read(uarea, regs["sp"] - uarea, space)


class _Spaces:
    """Space ids of the threads' u-areas: the scenario's, a running thread's processor's event
    space, or fresh ones (not any event's nor any group's)."""

    def __init__(self, ctx: ForgeContext) -> None:
        self.events = {e["cpu"]: e["space"] for e in ctx.sc["events"]}
        self.taken = set(self.events.values())
        for group in ctx.sc["threads"]:
            if group["space"] >= 0:
                self.taken.update(group["space"] + n * group["space_step"]
                                  for n in range(group["count"]))
        self.cursor = _FIRST_SPACE

    def next(self, group: dict[str, Any], n: int) -> int:
        if group["space"] >= 0:
            return group["space"] + n * group["space_step"]
        if group["state"] == "running" and group["spu"] in self.events:
            return self.events[group["spu"]]
        while self.cursor in self.taken:
            self.cursor += _SPACE_STEP
        self.taken.add(self.cursor)
        return self.cursor


def _shared_wchan(ctx: ForgeContext, symbols: _Symbols, ipc: IpcObjects, group: dict[str, Any],
                  proc_table: int, proc_size: int, path: str) -> int:
    """The wait channel every thread of a group sleeps on (u-area channels are per thread)."""
    text = group["wchan"]
    if not text or _UAREA_WCHAN.match(text):
        return 0
    if is_ipc_wchan(text):
        return ipc.address(text, f"{path}.wchan")
    if _ADDRESS.match(text):
        return int(text, 16)
    if text == "buf":
        device = group["buf_device"]
        if device is None:
            raise ScenarioError(f"{path}.buf_device", "a `buf` wait channel needs its device")
        buf = ctx.mem.alloc(ctx.types.get("struct buf").size, 64)
        ctx.place("struct buf", buf, {"b_dev": (device["major"] << 24) | device["minor"],
                                      "b_flags": B_BUSY}, f"{path}.buf_device")
        return buf
    match = _PROC_WCHAN.match(text)
    if match:
        if not proc_table:
            raise ScenarioError(f"{path}.wchan", "this kernel has no process table (11i)")
        if int(match["slot"]) >= ctx.sc["nproc"]:
            raise ScenarioError(f"{path}.wchan", f"slot beyond nproc ({ctx.sc['nproc']})")
        return proc_table + int(match["slot"]) * proc_size
    match = _SYMBOL_WCHAN.match(text)
    assert match is not None
    return symbols.data_address(match["name"]) + int(match["off"] or "0", 0)


def build_scheduler(ctx: ForgeContext, mpinfo_address: int, processes: Processes) -> None:
    """lbolt, the threads, the spinlocks and pseudo-swap (after processes and globals)."""
    if "lbolt" not in ctx.sc["globals"]:
        ctx.set_global("lbolt", lbolt(ctx))
    semas = place_beta_semas(ctx)  # before the threads: their wait channels name them
    threads = build_threads(ctx, mpinfo_address, processes, frozenset(semas))
    build_locks(ctx, mpinfo_address)
    build_rw_locks(ctx, threads)
    build_beta_semas(ctx, semas, threads)
    build_interrupts(ctx)
    build_swap_memory(ctx)


# -- locks and pseudo-swap -----------------------------------------------------------------------
def build_locks(ctx: ForgeContext, mpinfo_address: int) -> None:
    mpinfo = ctx.types.get("struct mpinfo")
    nprocessors = len(ctx.sc["processors"])
    for i, lock in enumerate(ctx.sc["locks"]):
        path = f"locks[{i}]"
        name_address = lock["name_address"]
        raw = lock["name"].encode("latin-1") + b"\0"
        if name_address < 0:
            name_address = ctx.string(lock["name"])
        else:
            ctx.mem.write(name_address, raw)
        owner = 0
        if lock["owner_cpu"] >= 0:
            if lock["owner_cpu"] >= nprocessors:
                raise ScenarioError(f"{path}.owner_cpu", f"no processor {lock['owner_cpu']}")
            owner = mpinfo_address + lock["owner_cpu"] * mpinfo.size
        fields = {"sl_lock": lock["lock"], "sl_owner": owner, "sl_name_ptr": name_address,
                  "sl_flag": lock["flag"], "sl_next_cpu": lock["next_cpu"]}
        if uses_lists(ctx.sc["system"]["release"]):
            fields["sl_arena_alloc_flag"] = lock["arena_alloc_flag"]
            ctx.place("lock_t", lock["address"], fields, path)
        else:  # 11.00's lock_t: the name pointer is a bit-field (layouts/sched.py)
            if name_address >> LOCK_1100_NAME_BITS:
                raise ScenarioError(f"{path}.name_address", f"{name_address:#x} does not fit "
                                    f"11.00's {LOCK_1100_NAME_BITS}-bit name pointer")
            ctx.place("struct lock_1100", lock["address"], fields, path)
        if lock["timed_out"]:
            ctx.set_global("spinlock_timeout_lock", lock["address"], f"{path}.timed_out")


def _owner_kthread(lock: dict[str, Any], threads: dict[int, int], path: str) -> int:
    """The kthread address of a lock's `owner_tid`, 0 for none (-1)."""
    tid = lock["owner_tid"]
    if tid < 0:
        return 0
    if tid not in threads:
        raise ScenarioError(f"{path}.owner_tid", f"no thread {tid}")
    return threads[tid]


def build_rw_locks(ctx: ForgeContext, threads: dict[int, int]) -> None:
    for i, lock in enumerate(ctx.sc["rw_locks"]):
        path = f"rw_locks[{i}]"
        owner = _owner_kthread(lock, threads, path)
        ctx.place("struct rw_lock", lock["address"], {
            "interlock": lock["interlock"], "delay": lock["delay"],
            "write_waiters": lock["write_waiters"], "read_count": lock["readers"],
            "want_write": int(lock["want_write"]), "want_upgrade": int(lock["want_upgrade"]),
            "waiting": lock["waiting"], "rwl_flags": lock["flags"], "l_kthread": owner,
        }, path)


def place_beta_semas(ctx: ForgeContext) -> list[int]:
    """Each beta semaphore's address, its symbol placed with the structure's size."""
    size = ctx.types.get("struct b_sema").size
    out = []
    for i, sema in enumerate(ctx.sc["beta_semas"]):
        path = f"beta_semas[{i}]"
        if sema["name"]:
            if sema["name"] in ctx.symbols:
                raise ScenarioError(f"{path}.name", f"'{sema['name']}' is placed already")
            out.append(ctx.place_symbol(sema["name"], size))
        elif sema["address"] >= 0:
            out.append(sema["address"])
        else:
            raise ScenarioError(path, "give a name or an address")
    return out


def build_beta_semas(ctx: ForgeContext, addresses: list[int], threads: dict[int, int]) -> None:
    for i, (sema, address) in enumerate(zip(ctx.sc["beta_semas"], addresses, strict=True)):
        path = f"beta_semas[{i}]"
        owner = _owner_kthread(sema, threads, path)
        ctx.place("struct b_sema", address, {"b_magic": B_SEMA_MAGIC, "b_count": int(not owner),
                                            "b_owner": owner}, path)


def build_interrupts(ctx: ForgeContext) -> None:
    """The external interrupt table: each listed EIRR bit's handler and SPL."""
    entries = ctx.sc["interrupts"]
    if not entries:
        return
    base = ctx.place_global("eirr_switch")
    size = ctx.types.get("struct eirr_switch").size
    symbols = _Symbols(ctx)
    for i, entry in enumerate(entries):
        path = f"interrupts[{i}]"
        if not ctx.wide and entry["bit"] >= 32:
            raise ScenarioError(f"{path}.bit", "a narrow kernel's EIRR has 32 bits")
        handler = symbols.function(entry["handler"], 0, f"{path}.handler").address
        ctx.place("struct eirr_switch", base + entry["bit"] * size,
                  {"eirr_handler": handler, "eirr_spl": entry["spl"]}, path)


def build_swap_memory(ctx: ForgeContext) -> None:
    memory = ctx.sc["swap"]["memory"]
    if memory is None:
        return
    if memory["free_pages"] > memory["pages"]:
        raise ScenarioError("swap.memory.free_pages", "more than swap.memory.pages")
    ctx.set_global("swapmem_on", 1, "swap.memory")
    ctx.set_global("swapmem_max", memory["pages"], "swap.memory")
    ctx.set_global("swapmem_cnt", memory["free_pages"], "swap.memory")
