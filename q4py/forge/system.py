"""The system: its name and release, its clocks, its processors (with the scheduler state each
keeps in its mpinfo), and what the INDEX says of it."""

from __future__ import annotations

import calendar
import re
import time
from typing import Any

from q4py.crashdir.index import Timestamp
from q4py.errors import ScenarioError
from q4py.forge.context import ForgeContext
from q4py.forge.schema import Bool, Float, Int, List, Str, Table
from q4py.layouts import KERNEL_GLOBALS
from q4py.layouts.io import IP_DOWN, IP_NOT_CONFIGURED, IP_UP, LAN_IPS
from q4py.layouts.system import CPU_TYPE_CODES, LPMC_TYPE_CODES, MPI_CPUSTATE_CODES, MPI_ENABLED
from q4py.layouts.vm import PAGE_SIZE

_U64 = 0xFFFFFFFFFFFFFFFF

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
    "thread": Int("Tid of the thread it runs (mpi_curthread and mpi_prevthread); -1: its "
                  "TSRUNPROC thread, if any.", default=-1, minimum=-1),
    "ics_base": Int("Where its interrupt control stack begins (0: not said).", default=0,
                    minimum=0),
    "ics_size": Int("Bytes of its interrupt control stack.", default=0x8000, minimum=0),
    "ics_used": Int("Bytes of it in use at the crash (the ICS pointer is base + used).",
                    default=0, minimum=0),
    "idle_stack": Int("Where the stack idle() runs on is (0: not said).", default=0,
                      minimum=0),
    "tshare_ticks": Int("Clock ticks since it last ran a timeshare thread.", default=0,
                        minimum=0),
    "preempt_ticks": Int("Clock ticks since its last entry into the kernel.", default=0,
                         minimum=0),
}

LPMC_ENTRY = Table("A logged low-priority machine check.", keys={
    "cpu": Int("Processor that took it.", required=True, minimum=0),
    "ticks": Int("Clock ticks before the crash it was logged.", default=0, minimum=0),
    "type": Str("What failed.", default="cache", choices=tuple(LPMC_TYPE_CODES)),
    "count": Int("Times the same check repeated.", default=1, minimum=1),
    "check_summary": Int("PIM check summary word.", default=0, minimum=0, maximum=_U64),
    "cpu_status": Int("PIM CPU diagnose status.", default=0, minimum=0, maximum=_U64),
    "cache_status": Int("PIM cache check word.", default=0, minimum=0, maximum=_U64),
})


def uses_lists(release: str) -> bool:
    """11i kernels (B.11.11 on) link processes and threads in lists; 11.00 keeps tables."""
    match = re.search(r"(\d+)\.(\d+)", release, re.ASCII)
    return bool(match) and (int(match[1]), int(match[2])) >= (11, 11)


def epochs(system: dict[str, Any]) -> tuple[int, int]:
    """(boot, dump) as seconds since the epoch, from the scenario's local times."""
    west = system["timezone_minutes_west"]
    dump = _epoch(system["dump_time"], west)
    return _epoch(system["boot_time"], west), dump


def build_system(ctx: ForgeContext) -> None:
    system = ctx.sc["system"]
    boot, dump = epochs(system)
    if boot > dump:
        raise ScenarioError("system.boot_time", "is after system.dump_time")
    ctx.set_global("utsname", {
        "sysname": system["sysname"], "nodename": system["hostname"],
        "release": system["release"], "version": "A", "machine": system["machine"],
    })
    ctx.set_global("time", {"tv_sec": dump})
    ctx.set_global("boottime", {"tv_sec": boot})
    ctx.set_global("tz", {"tz_minuteswest": system["timezone_minutes_west"]})
    ctx.set_global("hz", system["hz"])
    if len(system["load_average"]) != 3:
        raise ScenarioError("system.load_average", "needs three numbers")
    ctx.set_global("avenrun", system["load_average"])
    ctx.set_global("panicstr", ctx.string(system["panic"]) if system["panic"] else 0)
    ctx.set_global("physmem", system["memory_pages"])


def build_vpars(ctx: ForgeContext) -> None:
    """A kernel booted in a virtual partition says so (only such a kernel has the global)."""
    if ctx.sc["system"]["vpars"]:
        ctx.set_global("vpar_partition", 1, "system.vpars")


def build_model_string(ctx: ForgeContext) -> None:
    """The model string in kernel memory, for dumps without an INDEX. Placed after everything
    else, so adding it moved no other symbol or heap object."""
    ctx.set_global("machine_model", ctx.sc["system"]["model"])


def lbolt(ctx: ForgeContext) -> int:
    """Clock ticks since boot: the scenario's `globals.lbolt`, else the uptime in ticks."""
    given = ctx.sc["globals"].get("lbolt")
    if given is not None:
        return int(given)
    boot, dump = epochs(ctx.sc["system"])
    # An int: it wraps after 248 days at 100 Hz, as HP-UX's did.
    ticks = (dump - boot) * ctx.sc["system"]["hz"] % (1 << 32)
    return ticks - (1 << 32) if ticks >= 1 << 31 else ticks


def build_processors(ctx: ForgeContext) -> int:
    """The mpinfo array and the globals that count and time the processors; returns the
    array's address."""
    processors = ctx.sc["processors"]
    if not processors:
        raise ScenarioError("processors", "needs at least one processor")
    layout = ctx.types.get("struct mpinfo")
    array = ctx.sc["kernel"]["mpinfo"]
    if array < 0:
        array = ctx.mem.alloc(layout.size * len(processors))
    for i, cpu in enumerate(processors):
        ctx.place("struct mpinfo", array + i * layout.size, {
            "mpi_hpa": cpu["hpa"], "mpi_cpuid": i,
            "mpi_flags": MPI_ENABLED if cpu["enabled"] else 0,
            "mpi_cputype": CPU_TYPE_CODES[cpu["type"]],
            **_processor_fields(ctx, cpu, f"processors[{i}]"),
        }, f"processors[{i}]")
    ctx.set_global("mpproc_info", array)
    _build_per_processor_globals(ctx)
    ctx.set_global("nmpinfo", len(processors))
    hz = ctx.sc["system"]["hz"]
    ctx.set_global("itick_per_tick", processors[0]["mhz"] * 1_000_000 // hz)
    return array


def _processor_fields(ctx: ForgeContext, cpu: dict[str, Any], path: str) -> dict[str, Any]:
    """The mpinfo members a processor's scenario entry sets beyond its identity."""
    ready = (list(cpu["ready"]) + [0, 0, 0])[:3]
    now = lbolt(ctx)
    ics, idle = cpu["ics_base"], cpu["idle_stack"]
    if cpu["ics_used"] > cpu["ics_size"]:
        raise ScenarioError(f"{path}.ics_used", "more than ics_size")
    for key in ("idle_ticks", "migrate_ticks", "tshare_ticks", "preempt_ticks"):
        if cpu[key] > now:
            raise ScenarioError(f"{path}.{key}", f"more than lbolt ({now}) ticks")
    return {
        "mpi_spl": cpu["spl"], "mpi_timeinval": cpu["timeinval"],
        "mpi_hardclock_late": cpu["hardclock_late"],
        "mpi_cpustate": MPI_CPUSTATE_CODES[cpu["state"]], "mpi_ics": int(cpu["on_ics"]),
        "mpi_last_idle": now - cpu["idle_ticks"], "mpi_last_migrate": now - cpu["migrate_ticks"],
        "mpi_nready_free": ready[0], "mpi_nready_locked": ready[1], "mpi_nready_alpha": ready[2],
        "mpi_last_tshare": now - cpu["tshare_ticks"],
        "mpi_preempt_start": now - cpu["preempt_ticks"],
        "mpi_ics_base": ics, "mpi_ics_top": ics + cpu["ics_size"] if ics else 0,
        "mpi_ics_ptr": ics + cpu["ics_used"] if ics else 0, "mpi_idlestack": idle,
    }


def build_processor_spaces(ctx: ForgeContext, mpinfo_address: int) -> None:
    """Each processor's mpi_uareasid: the space of the kernel stack its last event ran on."""
    layout = ctx.types.get("struct mpinfo")
    field = layout.field("mpi_uareasid")
    for event in ctx.sc["events"]:
        at = mpinfo_address + event["cpu"] * layout.size + field.offset
        ctx.mem.write(at, event["space"].to_bytes(field.size, "big"))


def build_lpmc_log(ctx: ForgeContext) -> None:
    entries = ctx.sc["lpmc"]
    if not entries:
        return
    layout = ctx.types.get("struct lpmc_entry")
    log = ctx.mem.alloc(layout.size * len(entries), 64)
    now = lbolt(ctx)
    for i, entry in enumerate(entries):
        path = f"lpmc[{i}]"
        if entry["cpu"] >= len(ctx.sc["processors"]):
            raise ScenarioError(f"{path}.cpu", f"no processor {entry['cpu']}")
        if entry["ticks"] > now:
            raise ScenarioError(f"{path}.ticks", f"more than lbolt ({now}) ticks")
        ctx.place("struct lpmc_entry", log + i * layout.size, {
            "lpmc_cpu": entry["cpu"], "lpmc_lbolt": now - entry["ticks"],
            "lpmc_type": LPMC_TYPE_CODES[entry["type"]], "lpmc_count": entry["count"],
            "lpmc_check_summary": entry["check_summary"], "lpmc_cpu_status": entry["cpu_status"],
            "lpmc_cache_status": entry["cache_status"],
        }, path)
    ctx.set_global("lpmc_log", log, "lpmc")
    ctx.set_global("lpmc_log_count", len(entries), "lpmc")


def _build_per_processor_globals(ctx: ForgeContext) -> None:
    """mp_avenrun and syswait: one entry per processor, when the scenario gives them."""
    processors = ctx.sc["processors"]
    if any(cpu["avenrun"] for cpu in processors):
        rows = []
        for i, cpu in enumerate(processors):
            values = list(cpu["avenrun"]) or [0.0, 0.0, 0.0]
            if len(values) != 3:
                raise ScenarioError(f"processors[{i}].avenrun", "needs three numbers")
            rows.append(values)
        _set_per_processor(ctx, "mp_avenrun", rows)
    if any(cpu["iowait"] >= 0 for cpu in processors):
        _set_per_processor(ctx, "syswait",
                           [{"iowait": max(cpu["iowait"], 0)} for cpu in processors])


def _set_per_processor(ctx: ForgeContext, name: str, rows: list[Any]) -> None:
    ctype = ctx.types.ctype(KERNEL_GLOBALS[name].ctype)
    address = ctx.place_global(name, ctype.size * len(rows))
    for i, row in enumerate(rows):
        ctx.write_value(ctype, address + i * ctype.size, row, f"processors[{i}]")


def index_fields(system: dict[str, Any]) -> dict[str, Any]:
    """The INDEX lines describing the system (`write_crashdir` keywords)."""
    dump = epochs(system)[1]
    saved = dump + system["save_delay"]
    return {
        "hostname": system["hostname"],
        "modelname": system["model"],
        "panic": system["panic"],
        "dumptime": Timestamp(dump, _ctime(dump, system)),
        "savetime": Timestamp(saved, _ctime(saved, system)),
        # The kernel's what(1) string, as savecrash copies it; the build selectors are unknown.
        "release": f"@(#)     $Revision: vmunix:    {system['release']} $",
        "memsize": system["memory_pages"] * PAGE_SIZE,
    }


def _epoch(local: str, minutes_west: int) -> int:
    return calendar.timegm(time.strptime(local, "%Y-%m-%d %H:%M:%S")) + minutes_west * 60


def _ctime(epoch: int, system: dict[str, Any]) -> str:
    local = time.gmtime(epoch - system["timezone_minutes_west"] * 60)
    return time.strftime("%a %b %d %H:%M:%S %Y", local)


def build_patches(ctx: ForgeContext) -> None:
    """One what-string per kernel patch in kernel data, as a patched object carries it."""
    release = ctx.sc["system"]["release"].split(".", 1)[-1]
    for patch in ctx.sc["kernel"]["patches"]:
        raw = f"@(#) PATCH_{release}: {patch}".encode() + b"\0"
        address = ctx.place_symbol(f"what_{patch}", len(raw))
        ctx.mem.write(address, raw)


def build_network(ctx: ForgeContext) -> None:
    """The LAN interface records, linked from lan_ift_list in the scenario's order."""
    interfaces = ctx.sc["network"]
    if not interfaces:
        return
    layout = ctx.types.get("struct lan_ift")
    addresses = [ctx.mem.alloc(layout.size, 8) for _ in interfaces]
    for i, (ift, address) in enumerate(zip(interfaces, addresses, strict=True)):
        path = f"network[{i}]"
        if len(ift["ip"]) > LAN_IPS:
            raise ScenarioError(f"{path}.ip", f"at most {LAN_IPS} addresses")
        ips = [int.from_bytes(bytes(int(p) for p in ip["address"].split(".")), "big")
               for ip in ift["ip"]]
        states = [IP_UP if ip["up"] else IP_DOWN for ip in ift["ip"]]
        ctx.place("struct lan_ift", address, {
            "ift_next": addresses[i + 1] if i + 1 < len(addresses) else 0,
            "ift_name": ift["name"].encode(), "ift_ppa": ift["ppa"],
            "ift_link_up": int(ift["link_up"]), "ift_driver": ift["driver"].encode(),
            "ift_desc": ift["description"].encode(), "ift_mac": list(ift["mac"].to_bytes(6, "big")),
            "ift_nip": len(ips), "ift_ip": ips + [0] * (LAN_IPS - len(ips)),
            "ift_ip_state": states + [IP_NOT_CONFIGURED] * (LAN_IPS - len(states)),
        }, path)
    ctx.set_global("lan_ift_list", addresses[0], "network")
