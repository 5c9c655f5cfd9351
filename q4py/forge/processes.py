"""Processes: each a `struct proc` with its `struct vas`, in the 11.00 process table or on the
11i list (by release).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from q4py.errors import ScenarioError
from q4py.forge.context import ForgeContext
from q4py.forge.system import uses_lists
from q4py.layouts.proc import (
    PST_CLEN,
    PST_UCOMMLEN,
    SDEACT,
    SIDL,
    SINUSE,
    SLOAD,
    SRUN,
    SSLEEP,
    SSTOP,
    SZOMB,
)
from q4py.layouts.vm import PAGE_SIZE


@dataclass(frozen=True)
class Processes:
    """What the threads need of the processes: where each is, and the 11.00 table."""

    addresses: dict[int, int]  # pid -> its struct proc (the first, should two share a pid)
    table: int  # the 11.00 process table; 0 on 11i
    in_order: tuple[tuple[int, int], ...] = ()  # (pid, struct proc) of each, in table/list order


def build_processes(ctx: ForgeContext) -> Processes:
    procs = list(ctx.sc["processes"])
    for group in ctx.sc["process_groups"]:
        low, high = (group["physical"] + [0, 0])[:2]
        count = group["count"]
        for i in range(count):
            procs.append({
                "pid": group["first_pid"] + i * group["pid_step"],
                "command": group["command"], "cmdline": group["cmdline"],
                "virtual": group["virtual"],
                "physical": low + (high - low) * i // max(count - 1, 1), "swap": 0,
                "deactivated": group["deactivated"], "uid": 0, "ppid": group["ppid"],
                "address": -1,
            })
    states = _thread_states(ctx.sc["threads"])
    procs = [dict(p, thread_states=states.get(p["pid"], set())) for p in procs]
    nproc = ctx.sc["nproc"]
    if len(procs) > nproc:
        raise ScenarioError("nproc", f"{len(procs)} processes do not fit in {nproc} slots")
    if uses_lists(ctx.sc["system"]["release"]):
        return _build_list(ctx, procs)
    return _build_table(ctx, procs)


def _thread_states(groups: list[dict[str, Any]]) -> dict[int, set[str]]:
    """The states the scenario gives each process's threads, by pid."""
    states: dict[int, set[str]] = {}
    for group in groups:
        for k in range(group["processes"]):
            states.setdefault(group["pid"] + k * group["pid_step"], set()).add(group["state"])
    return states


def _p_stat_1100(states: set[str]) -> int:
    """11.00's p_stat follows its threads when they agree: SZOMB once exit() is done with every
    one, SRUN while they run or wait for a processor, SSTOP or SIDL when all are stopped or
    being created; SSLEEP otherwise (HP's rule for threads in several states is not known)."""
    if states == {"zombie"}:
        return SZOMB
    if states and states <= {"running", "run"}:
        return SRUN
    if states == {"stopped"}:
        return SSTOP
    if states == {"idle"}:
        return SIDL
    return SSLEEP


def _build_table(ctx: ForgeContext, procs: list[dict[str, Any]]) -> Processes:
    """11.00: `proc[nproc]`, each slot's vas in an array, the names in `pst_ucomms`."""
    nproc = ctx.sc["nproc"]
    proc = ctx.types.get("struct proc")
    vas = ctx.types.get("struct vas")
    table = ctx.sc["kernel"]["proc_table"]
    if table < 0:
        table = ctx.mem.alloc(proc.size * nproc, PAGE_SIZE)
    comms = ctx.mem.alloc(PST_UCOMMLEN * nproc, 8)
    cmds = ctx.mem.alloc(PST_CLEN * nproc, 8)
    vas_array = ctx.mem.alloc(vas.size * max(len(procs), 1), 8)
    # The whole table and its name array are kernel memory the dump holds, unused slots too.
    ctx.mem.write(table, bytes(proc.size * nproc))
    ctx.mem.write(comms, bytes(PST_UCOMMLEN * nproc))
    ctx.mem.write(cmds, bytes(PST_CLEN * nproc))
    addresses: dict[int, int] = {}
    placed = [i for i, p in enumerate(procs) if p["address"] >= 0]
    if placed:
        raise ScenarioError(f"processes[{placed[0]}].address", "places a proc of 11i's list; "
                            "11.00 keeps them in its table")
    slots = _slots(procs, nproc)
    for i, (p, slot) in enumerate(zip(procs, slots, strict=True)):
        addresses.setdefault(p["pid"], table + slot * proc.size)
        _place(ctx, i, p, table + slot * proc.size, vas_array + i * vas.size)
        ctx.mem.write(comms + slot * PST_UCOMMLEN, _comm(p))
        ctx.mem.write(cmds + slot * PST_CLEN, _cmdline(p))
    ctx.set_global("proc", table)
    ctx.set_global("nproc", nproc)
    ctx.set_global("pst_ucomms", comms)
    ctx.set_global("pst_cmds", cmds)
    return Processes(addresses, table, tuple((p["pid"], table + slot * proc.size)
                                             for p, slot in zip(procs, slots, strict=True)))


def _slots(procs: list[dict[str, Any]], nproc: int) -> list[int]:
    """Each process's slot of the 11.00 table: its `slot`, else the one after the previous."""
    out: list[int] = []
    for i, p in enumerate(procs):
        slot = p.get("slot", -1)
        if slot < 0:
            slot = out[-1] + 1 if out else 0
        elif out and slot <= out[-1]:
            raise ScenarioError(f"processes[{i}].slot", f"slot {slot} is not after the "
                                f"previous process's ({out[-1]}): processes are in table order")
        if slot >= nproc:
            raise ScenarioError(f"processes[{i}].slot", f"slot {slot} is past nproc ({nproc})")
        out.append(slot)
    return out


def _build_list(ctx: ForgeContext, procs: list[dict[str, Any]]) -> Processes:
    """11i: each proc and its vas in kernel memory, linked from proc_list through p_factp, the
    name in p_comm."""
    proc = ctx.types.get("struct proc")
    vas = ctx.types.get("struct vas")
    slotted = [i for i, p in enumerate(procs) if p.get("slot", -1) >= 0]
    if slotted:
        raise ScenarioError(f"processes[{slotted[0]}].slot", "is a slot of 11.00's process "
                            "table; 11i links its processes in a list")
    addresses = [p["address"] if p["address"] >= 0 else ctx.mem.alloc(proc.size, 64)
                 for p in procs]
    by_pid: dict[int, int] = {}
    for i, (p, address) in enumerate(zip(procs, addresses, strict=True)):
        _place(ctx, i, p, address, ctx.mem.alloc(vas.size, 8),
               p_factp=addresses[i + 1] if i + 1 < len(procs) else 0, p_comm=_comm(p),
               p_cmds=_cmdline(p), p_stat=SZOMB if p["thread_states"] == {"zombie"} else SINUSE)
        by_pid.setdefault(p["pid"], address)
    ctx.set_global("proc_list", addresses[0] if addresses else 0)
    ctx.set_global("nproc", ctx.sc["nproc"])
    return Processes(by_pid, 0, tuple((p["pid"], address)
                                      for p, address in zip(procs, addresses, strict=True)))


def _place(ctx: ForgeContext, i: int, p: dict[str, Any], address: int, vas_address: int,
           **more: Any) -> None:
    """Process `i`'s proc at `address` and its vas at `vas_address`."""
    path = f"processes[{i}]"
    ctx.place("struct vas", vas_address, {"va_refcnt": 1, "va_rss": p["physical"],
                                          "va_prss": p["physical"], "va_vsize": p["virtual"],
                                          "va_swprss": p["swap"]},
              path)
    ctx.place("struct proc", address, {
        "p_stat": _p_stat_1100(p["thread_states"]),
        "p_flag": SDEACT if p["deactivated"] else SLOAD, "p_pid": p["pid"],
        "p_ppid": p["ppid"], "p_uid": p["uid"], "p_vas": vas_address, **more}, path)


def _comm(p: dict[str, Any]) -> bytes:
    return p["command"].encode("latin-1")[: PST_UCOMMLEN - 1]


def _cmdline(p: dict[str, Any]) -> bytes:
    return (p["cmdline"] or p["command"]).encode("latin-1")[: PST_CLEN - 1]
