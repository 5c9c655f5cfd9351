"""The forge's scheduler side: threads, per-processor state, the clock, spinlocks, pseudo-swap.

Scenario keys stay causes: a group of threads says how many there are, what they sleep on and in
which function, and how long ago each last ran; the forge turns that into `struct kthread`s
(the 11.00 table or the 11i list, by release), `kt_lastrun = lbolt - ticks`, wait channel
symbols and u-areas, and the per-processor fields crashinfo's processor, clock and thread
sections read. Nothing here writes a figure the decoder prints after working it out.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any

from q4py.errors import ScenarioError
from q4py.forge.schema import Bool, Float, Int, List, Str, Table
from q4py.kernel.threads import UAREA_SIZE
from q4py.layouts.crash import EVENT_STATE_CODES
from q4py.layouts.sched import (
    SCHED_POLICIES,
    SYSCALL_NUMBERS,
    THREAD_STATE_CODES,
    TSBOUND,
    TSRUNPROC,
)
from q4py.layouts.system import MPI_CPUSTATE_CODES

if TYPE_CHECKING:
    from q4py.forge.build import Forge

_U64 = 0xFFFFFFFFFFFFFFFF
_STATES = {"sleep": "TSSLEEP", "run": "TSRUN", "running": "TSRUNPROC", "zombie": "TSZOMB",
           "stopped": "TSSTOP", "idle": "TSIDL"}
_SYMBOL_WCHAN = re.compile(r"^(?P<name>[A-Za-z_$][\w$]*)(\+(?P<off>0x[0-9a-fA-F]+|\d+))?$")
_ADDRESS = re.compile(r"^0x[0-9a-fA-F]+$")
_UAREA_WCHAN = re.compile(r"^uarea(\+(?P<off>0x[0-9a-fA-F]+|\d+))?$")
_PROC_WCHAN = re.compile(r"^proc\[(?P<slot>\d+)\]$")
_CALLER_SIZE = 0x100  # bytes given to a sleep caller the scenario does not declare


def _wchan_problem(text: str) -> str | None:
    if (not text or text == "buf" or _ADDRESS.match(text) or _SYMBOL_WCHAN.match(text)
            or _UAREA_WCHAN.match(text) or _PROC_WCHAN.match(text)):
        return None
    return (f"'{text}' is not a wait channel: a kernel symbol (`selwait`, `locklist+0x13e8`), "
            "an address (`0x100c99fa1`), `uarea[+OFF]`, `proc[N]` or `buf`")


# -- schema ------------------------------------------------------------------------------------
PROCESSOR_KEYS = {
    "spl": Int("The SPL (EIEM) the processor last set, kept in its mpinfo.", default=0,
               minimum=0, maximum=_U64),
    "timeinval": Int("Interval timer value at which its next clock tick was due.", default=0,
                     minimum=0, maximum=_U64),
    "hardclock_late": Int("Clock ticks it handled late.", default=0, minimum=0),
    "avenrun": List("Its own load averages (three numbers; sets mp_avenrun).", item=Float("")),
    "state": Str("What it was running.", default="SYS", choices=tuple(MPI_CPUSTATE_CODES)),
    "on_ics": Bool("It was on the interrupt control stack.", default=False),
    "idle_ticks": Int("Clock ticks since it last went idle.", default=0, minimum=0),
    "migrate_ticks": Int("Clock ticks since a thread last migrated to it.", default=0,
                         minimum=0),
    "ready": List("Ready threads: free to run anywhere, locked to it, after alpha semaphore "
                  "misses.", item=Int("", minimum=0), default=[0, 0, 0]),
    "iowait": Int("Threads waiting for I/O on it (sets the syswait array); -1 for a kernel "
                  "without one.", default=-1, minimum=-1),
}

THREAD_GROUP = Table("Threads alike, generated: `count` threads of one process.", keys={
    "count": Int("How many.", default=1, minimum=1),
    "pid": Int("Process they belong to (a pid of `processes` or `process_groups`).",
               required=True, minimum=0),
    "tid": Int("Thread id of the first; the rest follow. -1: the next free ids.",
               default=-1, minimum=-1),
    "state": Str("Thread state.", default="sleep", choices=tuple(_STATES)),
    "pri": Int("Priority (kt_pri).", default=154),
    "spu": Int("Processor it runs or waits on.", default=0, minimum=0),
    "group": Int("Processor group (kt_spu_group).", default=-1),
    "bound": Bool("Bound to its processor.", default=False),
    "policy": Str("Scheduling policy.", default="hpux", choices=tuple(SCHED_POLICIES)),
    "syscall": Str("System call it is in (a name such as `select`), empty for none.",
                   default="", choices=("", *SYSCALL_NUMBERS)),
    "wchan": Str("What it sleeps on: a kernel symbol (`selwait`, `locklist+0x13e8`; created "
                 "when the kernel has no such global), an address (`0x100c99fa1`), `uarea` "
                 "(its own u-area, `uarea+0x10`), `proc[N]` (11.00 process table slot) or `buf` "
                 "(a buffer of the device `buf_device`).", default="", check=_wchan_problem),
    "wchan_step": Int("For an address `wchan`: each next thread of the group sleeps this many "
                      "bytes further (threads on channels of their own).", default=0,
                      minimum=0),
    "buf_device": Table("Device of the buffer a `wchan = \"buf\"` group sleeps on.", default=None,
                        keys={"major": Int("Major number.", required=True, minimum=0),
                              "minor": Int("Minor number.", required=True, minimum=0)}),
    "caller": Str("Function that called sleep (declared in kernel.functions or placed by the "
                  "forge).", default=""),
    "ticks": List("Clock ticks since each last ran: one value for all, two for the first and "
                  "the last (spread evenly), or one per thread.", item=Int("", minimum=0),
                  default=[0]),
})

LOCK = Table("A spinlock (lock_t).", keys={
    "address": Int("Where it is (space 0).", required=True, minimum=0),
    "name": Str("Its name string.", required=True),
    "name_address": Int("Where the name string is; -1: placed by the forge.", default=-1),
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


# -- helpers -----------------------------------------------------------------------------------
def uses_lists(release: str) -> bool:
    """11i kernels (B.11.11 on) link processes and threads in lists; 11.00 keeps tables."""
    match = re.search(r"(\d+)\.(\d+)", release)
    return bool(match) and (int(match[1]), int(match[2])) >= (11, 11)


def lbolt(forge: Forge) -> int:
    """Clock ticks since boot: the scenario's `globals.lbolt`, else the uptime in ticks."""
    given = forge.sc["globals"].get("lbolt")
    if given is not None:
        return int(given)
    # An int: it wraps after 248 days at 100 Hz, as HP-UX's did.
    ticks = (forge.dump_epoch - forge.boot_epoch) * forge.sc["system"]["hz"] % (1 << 32)
    return ticks - (1 << 32) if ticks >= 1 << 31 else ticks


def processor_fields(forge: Forge, cpu: dict[str, Any], path: str) -> dict[str, Any]:
    """The mpinfo members a processor's scenario entry sets beyond its identity."""
    ready = (list(cpu["ready"]) + [0, 0, 0])[:3]
    now = lbolt(forge)
    for key in ("idle_ticks", "migrate_ticks"):
        if cpu[key] > now:
            raise ScenarioError(f"{path}.{key}", f"more than lbolt ({now}) ticks")
    return {
        "mpi_spl": cpu["spl"], "mpi_timeinval": cpu["timeinval"],
        "mpi_hardclock_late": cpu["hardclock_late"],
        "mpi_cpustate": MPI_CPUSTATE_CODES[cpu["state"]], "mpi_ics": int(cpu["on_ics"]),
        "mpi_last_idle": now - cpu["idle_ticks"], "mpi_last_migrate": now - cpu["migrate_ticks"],
        "mpi_nready_free": ready[0], "mpi_nready_locked": ready[1], "mpi_nready_alpha": ready[2],
    }


def build_per_processor_globals(forge: Forge) -> None:
    """mp_avenrun and syswait: one entry per processor, when the scenario gives them."""
    processors = forge.sc["processors"]
    if any(cpu["avenrun"] for cpu in processors):
        rows = []
        for i, cpu in enumerate(processors):
            values = list(cpu["avenrun"]) or [0.0, 0.0, 0.0]
            if len(values) != 3:
                raise ScenarioError(f"processors[{i}].avenrun", "needs three numbers")
            rows.append(values)
        _set_per_processor(forge, "mp_avenrun", rows)
    if any(cpu["iowait"] >= 0 for cpu in processors):
        _set_per_processor(forge, "syswait",
                           [{"iowait": max(cpu["iowait"], 0)} for cpu in processors])


def _set_per_processor(forge: Forge, name: str, rows: list[Any]) -> None:
    from q4py.layouts import KERNEL_GLOBALS

    ctype = forge.types.ctype(KERNEL_GLOBALS[name].ctype)
    address = forge.place_global(name, ctype.size * len(rows))
    for i, row in enumerate(rows):
        forge.write_value(ctype, address + i * ctype.size, row, f"processors[{i}]")


def split_rpb_registers(event: dict[str, Any]) -> tuple[dict[str, Any], dict[str, int]]:
    """The event without the registers only the rpb holds (cr16, the interval timer, and
    cr23, EIRR, of its first context), and those as rpb members."""
    contexts = event["contexts"]
    if not contexts:
        return event, {}
    registers = dict(contexts[0]["registers"])
    extra = {}
    for names, member in ((("cr16", "itmr"), "rp_cr16"), (("cr23", "eirr"), "rp_cr23")):
        for name in names:
            if name in registers:
                value = registers.pop(name)
                extra[f"{member}_hi"] = value >> 32
                extra[f"{member}_lo"] = value & 0xFFFFFFFF
    first = dict(contexts[0], registers=registers)
    return dict(event, contexts=[first, *contexts[1:]]), extra


def event_state(event: dict[str, Any]) -> int:
    return EVENT_STATE_CODES[event.get("state", "E")]


# -- processes (11i list) ----------------------------------------------------------------------
def build_process_list(forge: Forge, procs: list[dict[str, Any]]) -> dict[int, int]:
    """11i processes: each proc and its vas in kernel memory, linked from proc_list through
    p_factp, the name in p_comm. Returns pid -> proc address."""
    from q4py.layouts.proc import PST_UCOMMLEN, SDEACT, SLOAD, SSLEEP

    proc = forge.types.get("struct proc")
    vas = forge.types.get("struct vas")
    addresses = [forge.mem.alloc(proc.size, 64) for _ in procs]
    out: dict[int, int] = {}
    for i, (p, address) in enumerate(zip(procs, addresses, strict=True)):
        va = forge.mem.alloc(vas.size, 8)
        forge.place("struct vas", va, {"va_refcnt": 1, "va_rss": p["physical"],
                                       "va_prss": p["physical"], "va_vsize": p["virtual"]},
                    f"processes[{i}]")
        forge.place("struct proc", address, {
            "p_stat": SSLEEP, "p_flag": SDEACT if p["deactivated"] else SLOAD,
            "p_pid": p["pid"], "p_ppid": p.get("ppid", 0), "p_uid": p["uid"], "p_vas": va,
            "p_factp": addresses[i + 1] if i + 1 < len(procs) else 0,
            "p_comm": p["command"].encode("latin-1")[: PST_UCOMMLEN - 1],
        }, f"processes[{i}]")
        out.setdefault(p["pid"], address)
    forge.set_global("proc_list", addresses[0] if addresses else 0)
    forge.set_global("nproc", forge.sc["nproc"])
    return out


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

    def __init__(self, forge: Forge) -> None:
        self.forge = forge
        self.data: dict[str, int] = {}  # name -> size wanted
        self.text_cursor = max((f.address + f.size for f in forge.functions.values()),
                               default=forge.text[0])

    def reserve(self, name: str, offset: int) -> None:
        self.data[name] = max(self.data.get(name, 8), offset + 8)

    def data_address(self, name: str, path: str) -> int:
        from q4py.layouts import KERNEL_GLOBALS

        if name in self.forge.symbols:
            return self.forge.symbols[name][0]
        if name in KERNEL_GLOBALS:
            return self.forge.place_global(name)
        size = -(-self.data.get(name, 8) // 8) * 8
        forge = self.forge
        if name in forge.explicit:
            address = forge.explicit[name]
        else:
            forge._data_cursor += -forge._data_cursor % 8
            address = forge._data_cursor
            forge._data_cursor += size
        forge.symbols[name] = (address, size)
        return address

    def caller_pc(self, name: str, path: str) -> int:
        """A return address inside function `name` (declared, or placed after the others)."""
        from q4py.forge.build import _Func

        forge = self.forge
        fn = forge.functions.get(name)
        if fn is None:
            if not re.match(r"^[A-Za-z_$][\w$]*$", name):
                raise ScenarioError(path, f"'{name}' is not a function name")
            address = -(-self.text_cursor // 0x100) * 0x100
            end = forge.text[0] + forge.text[1]
            if address + _CALLER_SIZE > end:
                raise ScenarioError(path, f"no room for function '{name}' in kernel text "
                                    "(more pages.text, or declare it in kernel.functions)")
            fn = _Func(name, address, _CALLER_SIZE, 0x80, True, False)
            forge.functions[name] = fn
            self.text_cursor = address + _CALLER_SIZE
        return fn.address + min(0x44, fn.size - 4)


def build_threads(forge: Forge, proc_addresses: dict[int, int], proc_table: int) -> None:
    """The scenario's thread groups as kthreads: the 11.00 table or the 11i list."""
    groups = forge.sc["threads"]
    if not groups:
        return
    layout = forge.types.get("struct kthread")
    now = lbolt(forge)
    symbols = _Symbols(forge)
    # Symbol sizes first: a symbol must cover every offset any group sleeps at.
    for group in groups:
        match = _SYMBOL_WCHAN.match(group["wchan"])
        if match and group["wchan"] != "buf" and not _UAREA_WCHAN.match(group["wchan"]):
            symbols.reserve(match["name"], int(match["off"] or "0", 0))
    records: list[dict[str, Any]] = []
    next_tid = max((g["tid"] + g["count"] for g in groups if g["tid"] >= 0), default=1)
    nprocessors = len(forge.sc["processors"])
    proc_size = forge.types.get("struct proc").size
    for gi, group in enumerate(groups):
        path = f"threads[{gi}]"
        if group["pid"] not in proc_addresses:
            raise ScenarioError(f"{path}.pid", f"no process with pid {group['pid']}")
        if group["spu"] >= nprocessors:
            raise ScenarioError(f"{path}.spu", f"no processor {group['spu']}")
        count = group["count"]
        ticks = _spread(group["ticks"], count, f"{path}.ticks")
        if max(ticks) > now:
            raise ScenarioError(f"{path}.ticks", f"more than lbolt ({now}) ticks")
        caller = symbols.caller_pc(group["caller"], f"{path}.caller") if group["caller"] else 0
        shared_wchan = _shared_wchan(forge, symbols, group, proc_table, proc_size, path)
        if group["wchan_step"] and not _ADDRESS.match(group["wchan"]):
            raise ScenarioError(f"{path}.wchan_step", "only an address wchan can step")
        first_tid = group["tid"]
        if first_tid < 0:
            first_tid, next_tid = next_tid, next_tid + count
        flag = TSBOUND if group["bound"] else 0
        for n in range(count):
            uarea = forge.mem.alloc(UAREA_SIZE, 64)
            wchan = shared_wchan + n * group["wchan_step"]
            match = _UAREA_WCHAN.match(group["wchan"])
            if match:
                wchan = uarea + int(match["off"] or "0", 0)
            records.append({
                "kt_procp": proc_addresses[group["pid"]], "kt_tid": first_tid + n,
                "kt_stat": THREAD_STATE_CODES[_STATES[group["state"]]], "kt_flag": flag,
                "kt_pri": group["pri"], "kt_spu": group["spu"], "kt_spu_group": group["group"],
                "kt_schedpolicy": SCHED_POLICIES[group["policy"]],
                "kt_syscall": SYSCALL_NUMBERS.get(group["syscall"], 0),
                "kt_lastrun": now - ticks[n], "kt_wchan": wchan, "kt_sleep_caller": caller,
                "kt_uarea": uarea,
            })
    lists = uses_lists(forge.sc["system"]["release"])
    if lists:
        addresses = [forge.mem.alloc(layout.size, 64) for _ in records]
        for i, (record, address) in enumerate(zip(records, addresses, strict=True)):
            record["kt_global_kthread"] = addresses[i + 1] if i + 1 < len(records) else 0
            forge.place("struct kthread", address, record, "threads")
        forge.set_global("kthread_list", addresses[0])
    else:
        # The whole table is kernel memory the dump holds, unused slots (kt_stat 0) too.
        size = max(len(records), forge.sc["nkthread"])
        table = forge.mem.alloc(layout.size * size, 64)
        forge.mem.write(table, bytes(layout.size * size))
        addresses = [table + i * layout.size for i in range(len(records))]
        for record, address in zip(records, addresses, strict=True):
            forge.place("struct kthread", address, record, "threads")
        forge.set_global("kthread", table)
    forge.set_global("nkthread", len(records) if lists else size)
    # Each processor's current thread is the one running (TSRUNPROC) on it.
    mpinfo = forge.types.get("struct mpinfo")
    base = forge.mpinfo_address
    current = mpinfo.field("mpi_curthread")
    for record, address in zip(records, addresses, strict=True):
        if record["kt_stat"] == TSRUNPROC:
            at = base + record["kt_spu"] * mpinfo.size + current.offset
            forge.mem.write(at, address.to_bytes(current.size, "big"))


def _shared_wchan(forge: Forge, symbols: _Symbols, group: dict[str, Any], proc_table: int,
                  proc_size: int, path: str) -> int:
    """The wait channel every thread of a group sleeps on (u-area channels are per thread)."""
    text = group["wchan"]
    if not text or _UAREA_WCHAN.match(text):
        return 0
    if _ADDRESS.match(text):
        return int(text, 16)
    if text == "buf":
        device = group["buf_device"]
        if device is None:
            raise ScenarioError(f"{path}.buf_device", "a `buf` wait channel needs its device")
        buf = forge.mem.alloc(forge.types.get("struct buf").size, 64)
        forge.place("struct buf", buf, {"b_dev": (device["major"] << 24) | device["minor"]},
                    f"{path}.buf_device")
        return buf
    match = _PROC_WCHAN.match(text)
    if match:
        if not proc_table:
            raise ScenarioError(f"{path}.wchan", "this kernel has no process table (11i)")
        if int(match["slot"]) >= forge.sc["nproc"]:
            raise ScenarioError(f"{path}.wchan", f"slot beyond nproc ({forge.sc['nproc']})")
        return proc_table + int(match["slot"]) * proc_size
    match = _SYMBOL_WCHAN.match(text)
    assert match is not None
    return symbols.data_address(match["name"], path) + int(match["off"] or "0", 0)


def build_scheduler(forge: Forge) -> None:
    """lbolt, the threads, the spinlocks and pseudo-swap (after processes and globals)."""
    if "lbolt" not in forge.sc["globals"]:
        forge.set_global("lbolt", lbolt(forge))
    build_threads(forge, forge.proc_addresses, forge.proc_table)
    build_locks(forge)
    build_swap_memory(forge)


# -- locks and pseudo-swap -----------------------------------------------------------------------
def build_locks(forge: Forge) -> None:
    mpinfo = forge.types.get("struct mpinfo")
    base = forge.mpinfo_address
    nprocessors = len(forge.sc["processors"])
    for i, lock in enumerate(forge.sc["locks"]):
        path = f"locks[{i}]"
        name_address = lock["name_address"]
        raw = lock["name"].encode("latin-1") + b"\0"
        if name_address < 0:
            name_address = forge.string(lock["name"])
        else:
            forge.mem.write(name_address, raw)
        owner = 0
        if lock["owner_cpu"] >= 0:
            if lock["owner_cpu"] >= nprocessors:
                raise ScenarioError(f"{path}.owner_cpu", f"no processor {lock['owner_cpu']}")
            owner = base + lock["owner_cpu"] * mpinfo.size
        forge.place("lock_t", lock["address"], {
            "sl_lock": lock["lock"], "sl_owner": owner, "sl_name_ptr": name_address,
            "sl_flag": lock["flag"], "sl_next_cpu": lock["next_cpu"],
            "sl_arena_alloc_flag": lock["arena_alloc_flag"]}, path)
        if lock["timed_out"]:
            forge.set_global("spinlock_timeout_lock", lock["address"], f"{path}.timed_out")


def build_swap_memory(forge: Forge) -> None:
    memory = forge.sc["swap"]["memory"]
    if memory is None:
        return
    if memory["free_pages"] > memory["pages"]:
        raise ScenarioError("swap.memory.free_pages", "more than swap.memory.pages")
    forge.set_global("swapmem_on", 1, "swap.memory")
    forge.set_global("swapmem_max", memory["pages"], "swap.memory")
    forge.set_global("swapmem_cnt", memory["free_pages"], "swap.memory")
