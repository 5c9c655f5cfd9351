"""Build a crash directory from a validated scenario.

The order follows the machine: kernel image (functions, global placement), then the state the
kernel held (pages, processes, caches, swap, maps, messages), then the crash (events with their
stacks, rpbs and the crash event table), then the page directory, and last the files.
"""

from __future__ import annotations

import calendar
import struct
import sys
import time
from array import array
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from q4py.crashdir import write_crashdir
from q4py.crashdir.index import Timestamp
from q4py.disasm import SP, encode_ldo, encode_std, encode_stw
from q4py.errors import ScenarioError
from q4py.forge import pfdat as forge_pfdat
from q4py.forge import sched as forge_sched
from q4py.forge.memory import ForgeMemory, PdirEntry
from q4py.layouts import (
    KERNEL_GLOBALS,
    NARROW,
    WIDE,
    Layout,
    LayoutError,
    TypeRegistry,
    registry_for,
)
from q4py.layouts.base import CType
from q4py.layouts.buf import B_DONE
from q4py.layouts.crash import EVENT_CODES
from q4py.layouts.proc import PST_UCOMMLEN, SDEACT, SLOAD, SSLEEP
from q4py.layouts.save_state import (
    GR_NAMES,
    REGISTERS,
    SS_INTRAP,
    SS_WIDEREGS,
    TRAP_TYPE_FIELD,
)
from q4py.layouts.system import CPU_TYPE_CODES, MPI_ENABLED, MSG_MAGIC
from q4py.layouts.vm import (
    KALLOC_POOL_CODES,
    P_BAD,
    P_FREE,
    P_SYS,
    PAGE_CLASS_CODES,
    PAGE_SHIFT,
    PAGE_SIZE,
    PDE_AR_SHIFT,
    PDE_PS_MASK,
    PDE_PS_SHIFT,
    PDE_VALID,
    UNLISTED_CLASS,
    bucket_element_size,
)
from q4py.unwind import arg_slot, rp_slot, space_register
from q4py.vmunix.writer import DataObject, Function, SectionSizes, write_vmunix

_REGISTER_ALIASES = {"iir": "cr19", "isr": "cr20", "ior": "cr21", "ipsw": "cr22",
                     "eiem": "cr15", "sar": "cr11"}


@dataclass
class _Func:
    name: str
    address: int
    size: int
    frame: int
    save_rp: bool
    interrupt: bool
    args_stored: bool = False
    millicode: bool = False
    stored_args: tuple[int, ...] = ()


class Forge:
    """One scenario being turned into memory, a kernel image and an INDEX."""

    def __init__(self, scenario: dict[str, Any]) -> None:
        self.sc = scenario
        system = scenario["system"]
        self.wide = system["width"] == "wide"
        self.types: TypeRegistry = registry_for(WIDE if self.wide else NARROW)
        self.mem = ForgeMemory(system["memory_pages"], scenario["kernel"]["heap"])
        self.functions: dict[str, _Func] = {}
        self.symbols: dict[str, tuple[int, int]] = {}  # name -> (address, size)
        self.explicit = dict(scenario["kernel"]["symbols"])
        self.text_words: dict[int, int] = {}  # kernel text the forge writes: address -> word
        kernel = scenario["kernel"]
        pages = scenario["pages"]
        self.text = (kernel["text_address"], pages["text"] * PAGE_SIZE)
        data_address = kernel["data_address"]
        if data_address < 0:
            data_address = self.text[0] + self.text[1]
        self.data = (data_address, pages["data"] * PAGE_SIZE)
        self.bss = (data_address + self.data[1], pages["bss"] * PAGE_SIZE)
        self._data_cursor = data_address

    # -- symbols and globals ---------------------------------------------------------------
    def ctype(self, spelling: str, path: str) -> CType:
        try:
            return self.types.ctype(spelling)
        except LayoutError as err:
            raise ScenarioError(path, str(err)) from None

    def place_global(self, name: str, size: int | None = None) -> int:
        """The address of kernel global `name`, placing it in .data the first time."""
        if name in self.symbols:
            return self.symbols[name][0]
        decl = KERNEL_GLOBALS.get(name)
        if decl is None:
            raise ScenarioError(f"globals.{name}", "not a kernel global q4py knows the type of")
        if size is None:
            size = self.ctype(decl.ctype, f"globals.{name}").size
        if name in self.explicit:
            address = self.explicit[name]
        else:
            self._data_cursor += -self._data_cursor % 8
            address = self._data_cursor
            self._data_cursor += size
        self.symbols[name] = (address, size)
        return address

    def set_global(self, name: str, value: Any, path: str | None = None) -> int:
        path = path or f"globals.{name}"
        decl = KERNEL_GLOBALS.get(name)
        if decl is None:
            raise ScenarioError(path, "not a kernel global q4py knows the type of")
        ctype = self.ctype(decl.ctype, path)
        address = self.place_global(name)
        self.write_value(ctype, address, value, path)
        return address

    def write_value(self, ctype: CType, address: int, value: Any, path: str,
                    space: int = 0) -> None:
        try:
            if ctype.kind == "struct":
                assert ctype.layout is not None
                data = ctype.layout.build(value)
            else:
                from q4py.layouts.base import _complete_value

                data = ctype.subcon.build(_complete_value(ctype, value, path))
        except LayoutError as err:
            raise ScenarioError(path, str(err)) from None
        except Exception as err:  # construct's own errors on a bad value
            raise ScenarioError(path, f"bad value for {ctype.spelling}: {err}") from None
        self.mem.write(address, data, space)

    def place(self, type_name: str, address: int, fields: dict[str, Any], path: str,
              space: int = 0) -> None:
        try:
            layout = self.types.get(type_name)
        except LayoutError as err:
            raise ScenarioError(path, str(err)) from None
        self.write_value(self.types.ctype(layout.name), address, fields, path, space)

    def string(self, text: str) -> int:
        raw = text.encode("latin-1") + b"\0"
        address = self.mem.alloc(len(raw), 4)
        self.mem.write(address, raw)
        return address

    # -- the system ----------------------------------------------------------------------------
    def build_system(self) -> None:
        system = self.sc["system"]
        west = system["timezone_minutes_west"]
        self.dump_epoch = _epoch(system["dump_time"], west)
        boot_epoch = self.boot_epoch = _epoch(system["boot_time"], west)
        if boot_epoch > self.dump_epoch:
            raise ScenarioError("system.boot_time", "is after system.dump_time")
        self.set_global("utsname", {
            "sysname": system["sysname"], "nodename": system["hostname"],
            "release": system["release"], "version": "A", "machine": system["machine"],
        })
        self.set_global("time", {"tv_sec": self.dump_epoch})
        self.set_global("boottime", {"tv_sec": boot_epoch})
        self.set_global("tz", {"tz_minuteswest": west})
        self.set_global("hz", system["hz"])
        if len(system["load_average"]) != 3:
            raise ScenarioError("system.load_average", "needs three numbers")
        self.set_global("avenrun", system["load_average"])
        self.set_global("panicstr", self.string(system["panic"]) if system["panic"] else 0)
        self.set_global("physmem", system["memory_pages"])

    def build_processors(self) -> None:
        processors = self.sc["processors"]
        if not processors:
            raise ScenarioError("processors", "needs at least one processor")
        layout = self.types.get("struct mpinfo")
        array = self.sc["kernel"]["mpinfo"]
        if array < 0:
            array = self.mem.alloc(layout.size * len(processors))
        self.mpinfo_address = array
        for i, cpu in enumerate(processors):
            self.place("struct mpinfo", array + i * layout.size, {
                "mpi_hpa": cpu["hpa"], "mpi_cpuid": i,
                "mpi_flags": MPI_ENABLED if cpu["enabled"] else 0,
                "mpi_cputype": CPU_TYPE_CODES[cpu["type"]],
                **forge_sched.processor_fields(self, cpu, f"processors[{i}]"),
            }, f"processors[{i}]")
        self.set_global("mpproc_info", array)
        forge_sched.build_per_processor_globals(self)
        self.set_global("nmpinfo", len(processors))
        hz = self.sc["system"]["hz"]
        self.set_global("itick_per_tick", processors[0]["mhz"] * 1_000_000 // hz)

    def build_functions(self) -> None:
        for i, fn in enumerate(self.sc["kernel"]["functions"]):
            path = f"kernel.functions[{i}]"
            if fn["frame"] % 8:
                raise ScenarioError(f"{path}.frame", "must be a multiple of 8")
            if fn["name"] in self.functions:
                raise ScenarioError(f"{path}.name", f"'{fn['name']}' is defined twice")
            self.functions[fn["name"]] = _Func(fn["name"], fn["address"], fn["size"],
                                               fn["frame"], fn["save_rp"], fn["interrupt"],
                                               fn["args_stored"] or bool(fn["stored_args"]),
                                               fn["millicode"], tuple(fn["stored_args"]))
        spans = sorted((f.address, f.address + f.size, f.name) for f in self.functions.values())
        for (_, end, name), (start, _, other) in zip(spans, spans[1:], strict=False):
            if start < end:
                raise ScenarioError("kernel.functions", f"'{name}' overlaps '{other}'")

    def call_site(self, text: str, path: str) -> tuple[_Func, int]:
        name, _, offset = text.partition("+")
        fn = self.functions.get(name)
        if fn is None:
            raise ScenarioError(path, f"no function '{name}' in kernel.functions")
        off = int(offset, 16) if offset else 0
        if off >= fn.size:
            raise ScenarioError(path, f"offset {off:#x} is past the end of {name}")
        return fn, fn.address + off

    # -- memory state --------------------------------------------------------------------------
    def build_pages(self) -> None:
        pages = self.sc["pages"]
        total = self.sc["system"]["memory_pages"]
        runs: list[tuple[str, int, int]] = []  # (class, sub, count)
        for name in ("free", "text", "data", "bss", "static"):
            runs.append((name, 0, pages[name]))
        for key, count in sorted(pages["buckets"].items(), key=lambda kv: int(kv[0])):
            index = int(key)
            runs.append(("bucket", index, count))
        for pool, count in pages["kalloc"].items():
            runs.append(("kalloc", KALLOC_POOL_CODES[pool], count))
        for name in ("reserved", "eqalloc", "bufcache", "eqmem", "scmem", "uarea", "disowned",
                     "unlisted"):
            runs.append((name, 0, pages[name]))
        used = sum(count for _, _, count in runs)
        user = pages["user"] if pages["user"] >= 0 else max(total - used, 0)
        if used + user != total:
            raise ScenarioError("pages", f"classes add up to {used + user} pages, "
                                f"not system.memory_pages = {total}")
        runs.append(("user", 0, user))
        layout = self.types.get("struct pfdat")
        if pages["pfdat_chunks"]:
            pfdat = forge_pfdat.build_chunks(self, layout, runs, set(pages["bad"]))
        else:
            fill = _pfdat_fill(layout, runs, set(pages["bad"]), total)
            # A 64 GiB machine's pfdat is 768 MB: generated page by page as the dump is written.
            pfdat = self.mem.alloc_region(layout.size * total, fill)
        self.set_global("pfdat", pfdat)
        self.set_global("freemem", pages["free"])
        self.bufpages = pages["bufcache"]
        buckets = []
        for index in range(21):
            count = pages["buckets"].get(str(index), 0)
            size = bucket_element_size(index) if index >= 5 else None
            if size is None:
                elements = count
            elif size <= PAGE_SIZE:
                elements = count * (PAGE_SIZE // size)
            else:
                if count % (size // PAGE_SIZE):
                    raise ScenarioError(f"pages.buckets.{index}", f"{count} pages is not a "
                                        f"whole number of {size // PAGE_SIZE}-page elements")
                elements = count // (size // PAGE_SIZE)
            buckets.append({"kb_total": elements, "kb_calls": elements})
        self.set_global("bucket", buckets)

    def build_vm(self) -> None:
        for name, value in self.sc["vm"].items():
            self.set_global(name, value, f"vm.{name}")

    def build_bufcache(self) -> None:
        values = dict(self.sc["bufcache"])
        values.setdefault("bufpages", self.bufpages)
        for name, value in values.items():
            self.set_global(name, value, f"bufcache.{name}")

    def build_processes(self) -> None:
        procs = list(self.sc["processes"])
        for group in self.sc["process_groups"]:
            low, high = (group["physical"] + [0, 0])[:2]
            count = group["count"]
            for i in range(count):
                procs.append({
                    "pid": group["first_pid"] + i * group["pid_step"],
                    "command": group["command"], "virtual": group["virtual"],
                    "physical": low + (high - low) * i // max(count - 1, 1),
                    "deactivated": group["deactivated"], "uid": 0, "ppid": group["ppid"],
                })
        nproc = self.sc["nproc"]
        if len(procs) > nproc:
            raise ScenarioError("nproc", f"{len(procs)} processes do not fit in {nproc} slots")
        self.proc_table = 0
        if forge_sched.uses_lists(self.sc["system"]["release"]):
            self.proc_addresses = forge_sched.build_process_list(self, procs)
            return
        proc = self.types.get("struct proc")
        vas = self.types.get("struct vas")
        table = self.mem.alloc(proc.size * nproc, PAGE_SIZE)
        comms = self.mem.alloc(PST_UCOMMLEN * nproc, 8)
        vas_array = self.mem.alloc(vas.size * max(len(procs), 1), 8)
        # The whole table and its name array are kernel memory the dump holds, unused slots too.
        self.mem.write(table, bytes(proc.size * nproc))
        self.mem.write(comms, bytes(PST_UCOMMLEN * nproc))
        self.proc_table = table
        self.proc_addresses = {}
        for i, p in enumerate(procs):
            self.proc_addresses.setdefault(p["pid"], table + i * proc.size)
            va = vas_array + i * vas.size
            self.place("struct vas", va, {"va_refcnt": 1, "va_rss": p["physical"],
                                          "va_prss": p["physical"], "va_vsize": p["virtual"]},
                       f"processes[{i}]")
            flag = SDEACT if p["deactivated"] else SLOAD
            self.place("struct proc", table + i * proc.size, {
                "p_stat": SSLEEP, "p_flag": flag, "p_pid": p["pid"], "p_ppid": p["ppid"],
                "p_uid": p["uid"], "p_vas": va}, f"processes[{i}]")
            self.mem.write(comms + i * PST_UCOMMLEN,
                           p["command"].encode("latin-1")[: PST_UCOMMLEN - 1])
        self.set_global("proc", table)
        self.set_global("nproc", nproc)
        self.set_global("pst_ucomms", comms)

    def build_swap(self) -> None:
        swap = self.sc["swap"]
        devices = swap["devices"]
        entries = []
        total = used = 0
        for i, dev in enumerate(devices):
            pages = dev["kilobytes"] // 4
            if dev["free_pages"] > pages:
                raise ScenarioError(f"swap.devices[{i}].free_pages", "more than the device holds")
            total += pages
            used += pages - dev["free_pages"]
            entries.append({"sw_dev": (dev["major"] << 24) | dev["minor"], "sw_enable": 1,
                            "sw_start": dev["start"], "sw_nblks": dev["kilobytes"],
                            "sw_nblksenabled": dev["kilobytes"], "sw_nfpgs": dev["free_pages"],
                            "sw_priority": dev["priority"]})
        if len(entries) > 10:
            raise ScenarioError("swap.devices", "at most 10 swap devices")
        entries += [{"sw_dev": -1}] * (10 - len(entries))
        self.set_global("swdevt", entries, "swap.devices")
        self.set_global("nswapdev", len(devices))
        self.set_global("fswdevt", [], "swap")
        self.set_global("nswapfs", 0)
        if used + swap["reserved_pages"] > total:
            raise ScenarioError("swap.reserved_pages", "more swap reserved than there is")
        self.set_global("swapspc_max", total)
        self.set_global("swapspc_cnt", total - used - swap["reserved_pages"])

    def build_maps(self) -> None:
        entry = self.types.get("struct mapent")
        for i, rmap in enumerate(self.sc["maps"]):
            path = f"maps[{i}]"
            if len(rmap["free"]) + 2 > rmap["entries"]:
                raise ScenarioError(f"{path}.free", "more free runs than the map has entries")
            address = rmap["address"]
            records = [(address + rmap["entries"] * entry.size, self.string(rmap["name"]))]
            records += [(run["addr"], run["size"]) for run in rmap["free"]]
            records.append((0, 0))
            self.mem.write_many(address, entry, records)
            for name in rmap["symbols"]:
                self.set_global(name, address, f"{path}.symbols")

    def build_msgbuf(self) -> None:
        msgbuf = self.sc["msgbuf"]
        header = self.types.get("struct msgbuf")
        size = msgbuf["size"]
        address = self.place_global("msgbuf", header.size + size)
        text = msgbuf["text"].encode("latin-1")
        ring = bytearray(size)
        for i, byte in enumerate(text):
            ring[i % size] = byte
        self.place("struct msgbuf", address, {"msg_magic": MSG_MAGIC,
                                              "msg_bufx": len(text) % size}, "msgbuf")
        self.mem.write(address + header.size, bytes(ring))

    def build_globals_and_objects(self) -> None:
        for name, value in self.sc["globals"].items():
            self.set_global(name, value)
        for i, obj in enumerate(self.sc["objects"]):
            path = f"objects[{i}]"
            if obj["symbol"]:
                address = self.place_global(obj["symbol"])
            elif obj["address"] >= 0:
                address = obj["address"]
            else:
                raise ScenarioError(path, "needs an address or a symbol")
            self.place(obj["type"], address, obj["fields"] or {}, path)

    def build_buf_lists(self) -> None:
        layout = self.types.get("struct buf")
        size = layout.size
        pointer = "Q" if self.wide else "I"
        forw, back = layout.field("av_forw").offset, layout.field("av_back").offset
        blkno = layout.field("b_blkno")
        for i, blist in enumerate(self.sc["buf_lists"]):
            path = f"buf_lists[{i}]"
            stride = blist["stride"] or size
            if stride < size:
                raise ScenarioError(f"{path}.stride", f"less than sizeof(struct buf) ({size})")
            count, address = blist["count"], blist["address"]
            if address + stride * count > self.sc["system"]["memory_pages"] * PAGE_SIZE:
                raise ScenarioError(path, "the list does not fit in physical memory")
            # One template built from the construct model; each copy differs in three members.
            template = layout.build({"b_flags": B_DONE, "b_bcount": blist["bcount"],
                                     "b_bufsize": blist["bcount"]})
            data = bytearray((template + bytes(stride - size)) * count)
            link, number = struct.Struct(">" + pointer), struct.Struct(">i")
            step = blist["bcount"] // 1024
            for n in range(count):
                at = n * stride
                link.pack_into(data, at + forw, address + at + stride if n + 1 < count else 0)
                link.pack_into(data, at + back, address + at - stride if n else 0)
                number.pack_into(data, at + blkno.offset,
                                 (blist["first_block"] + n * step) & 0x7FFFFFFF)
            self.mem.write(address, bytes(data))

    # -- the crash -------------------------------------------------------------------------------
    def build_events(self) -> None:
        events = self.sc["events"]
        table = self.types.get("crash_event_t")
        table_address = self.place_global("crash_event_table")
        count = self.symbols["crash_event_table"][1] // table.size
        if len(events) > count:
            raise ScenarioError("events", f"at most {count} crash events")
        processors = self.sc["processors"]
        for i, event in enumerate(events):
            path = f"events[{i}]"
            if event["cpu"] >= len(processors):
                raise ScenarioError(f"{path}.cpu", f"no processor {event['cpu']}")
            event, rpb_only = forge_sched.split_rpb_registers(event)
            regs = self.build_stack(event, path)
            self.place("rpb_t", event["rpb"], {"pim": {"wide": _split_registers(regs)},
                                               "rp_hpa": processors[event["cpu"]]["hpa"],
                                               **rpb_only}, path)
            self.place("crash_event_t", table_address + i * table.size, {
                "cet_hpa": processors[event["cpu"]]["hpa"],
                "cet_event": EVENT_CODES[event["kind"]], "cet_savestate": event["rpb"],
                "cet_cpu": event["cpu"], "cet_spinlock_depth": event["spinlock_depth"],
                "cet_flags": forge_sched.event_state(event),
            }, path)

    def build_stack(self, event: dict[str, Any], path: str) -> dict[str, int]:
        """Lay the event's contexts on their stacks; return the registers for its rpb.

        Contexts are laid from the outermost one in. A context runs on top of the context it
        interrupted (its handler's save_state sits where that context's stack ended) unless it
        has a stack of its own (`stack_base`, an interrupt stack): then the save_state sits at
        that stack's base.
        """
        contexts = event["contexts"]
        if not contexts:
            raise ScenarioError(f"{path}.contexts", "needs at least one context")
        wide = self.wide
        ulong = 8 if wide else 4
        # Where the next context in goes by default, and the save_state it must place there.
        top, top_space = event["stack_base"], self._stack_space(event["space"],
                                                                event["stack_base"])
        pending: tuple[dict[str, int], str] | None = None
        for k in range(len(contexts) - 1, -1, -1):
            ctx = contexts[k]
            cpath = f"{path}.contexts[{k}]"
            if k > 0 and ctx["trap"] < 0:
                raise ScenarioError(f"{cpath}.trap", "a context after the first needs its trap")
            if ctx["user"] is not None:
                if k != len(contexts) - 1 or ctx["calls"]:
                    raise ScenarioError(cpath, "a user context is the outermost and has no calls")
                user = ctx["user"]
                regs = {"pcoq_head": user["pcoq"], "pcoq_tail": user["pcoq"] + 4,
                        "pcsq_head": user["pcsq"], "pcsq_tail": user["pcsq"],
                        "sp": user["sp"], "sr4": user["pcsq"]}
                regs.update(self._named_registers(ctx["registers"], cpath))
                if k == 0:
                    return regs
                pending = (regs, cpath)
                continue
            calls = [self.call_site(c, f"{cpath}.calls[{j}]") for j, c in enumerate(ctx["calls"])]
            if not calls:
                raise ScenarioError(f"{cpath}.calls", "a kernel context needs calls")
            base, stack_space = top, top_space
            if ctx["stack_base"] >= 0:
                base = ctx["stack_base"]
                own = ctx["stack_space"] if ctx["stack_space"] >= 0 else event["space"]
                stack_space = self._stack_space(own, base)
            elif ctx["stack_space"] >= 0:
                raise ScenarioError(f"{cpath}.stack_space", "needs stack_base too")
            sps = [0] * len(calls)
            sp = base
            for j in range(len(calls) - 1, -1, -1):
                sp += calls[j][0].frame
                sps[j] = sp
            sr = space_register(_Width(wide), sps[0])
            if sr != space_register(_Width(wide), base):
                raise ScenarioError(cpath, "the stack crosses a space quadrant")
            for j, (fn, _) in enumerate(calls):
                caller_sp = sps[j] - fn.frame
                if fn.interrupt:
                    if j != len(calls) - 1:
                        raise ScenarioError(f"{cpath}.calls[{j}]",
                                            f"{fn.name} is an interrupt handler: it must be the "
                                            "outermost call of its context")
                    continue
                if j + 1 < len(calls):
                    return_pc = calls[j + 1][1]
                else:
                    return_pc = 0  # bottom of this stack
                if fn.save_rp:
                    self.mem.write(rp_slot(caller_sp, wide), return_pc.to_bytes(ulong, "big"),
                                   stack_space)
                elif j != 0:
                    raise ScenarioError(f"{cpath}.calls[{j}]", f"{fn.name} saves no RP, so it "
                                        "can only be the innermost call of a context")
            handled_trap = contexts[k + 1]["trap"] if pending is not None else None
            if pending is not None:
                # The handler at the bottom of this context handled the trap into the next one.
                handler = calls[-1][0]
                if not handler.interrupt:
                    raise ScenarioError(f"{cpath}.calls", f"the outermost call {handler.name} is "
                                        "not an interrupt handler, so no trap can lead further")
                self._write_save_state(base, pending[0], stack_space, contexts[k + 1]["trap"])
                pending = None
            elif calls[-1][0].interrupt:
                raise ScenarioError(f"{cpath}.calls", f"{calls[-1][0].name} handles a trap: "
                                    "add the context it interrupted")
            self._write_args(ctx, cpath, calls, sps, stack_space,
                             base if handled_trap is not None else None, handled_trap)
            regs = {"pcoq_head": calls[0][1], "pcoq_tail": calls[0][1] + 4, "sp": sps[0],
                    f"sr{sr}": stack_space, "rp": calls[1][1] if len(calls) > 1 else 0}
            regs.update(self._named_registers(ctx["registers"], cpath))
            if k > 0:
                if "cr19" in regs:
                    # The interrupted instruction is in text at the pc: it is what IIR holds.
                    self.place_text(calls[0][1], regs["cr19"], f"{cpath}.registers.iir")
                pending = (regs, cpath)
                top, top_space = sps[0], stack_space
            else:
                if event["kind"] == "PANIC":
                    regs["rp"], regs["pcoq_head"], regs["pcoq_tail"] = calls[0][1], 0, 0
                return regs
        raise AssertionError("unreachable")

    def _stack_space(self, space: int, base: int) -> int:
        """A kernel stack in quadrant 0 is in space 0 (SR4 = 0 in the kernel)."""
        return space if space_register(_Width(self.wide), base) != 4 else 0

    def _write_args(self, ctx: dict[str, Any], cpath: str, calls: list[tuple[_Func, int]],
                    sps: list[int], space: int, save_state: int | None,
                    trap: int | None) -> None:
        """Each call's stored arguments, in the home slots of its caller's frame."""
        ulong = 8 if self.wide else 4
        texts = list(ctx["calls"])
        for site, values in ctx["args"].items():
            apath = f"{cpath}.args.{site}"
            if site not in texts:
                raise ScenarioError(apath, "not one of this context's calls")
            j = texts.index(site)
            fn = calls[j][0]
            caller_sp = sps[j] - fn.frame
            for name, value in values.items():
                index = int(name[3:])
                if index not in fn.stored_args:
                    raise ScenarioError(f"{apath}.{name}", f"{fn.name} does not store arg{index}:"
                                        f" add {index} to its stored_args")
                if value == "save_state":
                    if save_state is None:
                        raise ScenarioError(f"{apath}.{name}", "this context handled no trap")
                    value = save_state
                elif value == "trap":
                    if trap is None:
                        raise ScenarioError(f"{apath}.{name}", "this context handled no trap")
                    value = trap
                elif isinstance(value, bool) or not isinstance(value, int):
                    raise ScenarioError(f"{apath}.{name}", "expected an integer, \"save_state\" "
                                        "or \"trap\"")
                self.mem.write(arg_slot(caller_sp, index, self.wide),
                               (value & ((1 << (8 * ulong)) - 1)).to_bytes(ulong, "big"), space)

    def place_text(self, address: int, word: int, path: str) -> None:
        """One instruction word of kernel text; two different words at one address clash."""
        known = self.text_words.get(address)
        if known is not None and known != word:
            raise ScenarioError(path, f"{address:#x} already holds the instruction "
                                f"{known:#010x} (a prologue or another trap)")
        self.text_words[address] = word & 0xFFFFFFFF

    def build_text(self) -> None:
        """Each function's prologue: save RP, store the arguments it keeps, allocate its frame.

        q4py's decoder reads these instructions to know which arguments a function stored
        (the unwind descriptor only says that it stored some). Interrupt handlers are assembly
        with no such prologue.
        """
        wide = self.wide
        store = encode_std if wide else encode_stw
        for i, fn in enumerate(self.sc["kernel"]["functions"]):
            func = self.functions[fn["name"]]
            if func.interrupt:
                continue
            words = []
            if func.save_rp:
                words.append(store(2, rp_slot(0, wide), SP))
            for index in sorted(set(func.stored_args)):
                if not wide and index > 3:
                    raise ScenarioError(f"kernel.functions[{i}].stored_args", "a narrow kernel "
                                        "passes arguments 0..3 in registers; others are on the "
                                        "stack already")
                words.append(store(26 - index, arg_slot(0, index, wide), SP))
            if func.frame:
                words.append(encode_ldo(func.frame, SP, SP))
            if 4 * len(words) > func.size:
                raise ScenarioError(f"kernel.functions[{i}].size", "too small for its prologue")
            for n, word in enumerate(words):
                self.place_text(func.address + 4 * n, word, f"kernel.functions[{i}]")

    def write_text(self) -> None:
        for address, word in sorted(self.text_words.items()):
            self.mem.write(address, word.to_bytes(4, "big"))

    def _named_registers(self, named: dict[str, int], path: str) -> dict[str, int]:
        out = {}
        for name, value in named.items():
            reg = _REGISTER_ALIASES.get(name, name)
            if reg.startswith("gr") and reg[2:].isdigit():
                reg = GR_NAMES.get(int(reg[2:]), reg)
            if reg not in REGISTERS:
                raise ScenarioError(f"{path}.registers.{name}", "not a save_state register")
            out[reg] = value
        return out

    def _write_save_state(self, address: int, regs: dict[str, int], space: int,
                          trap: int) -> None:
        # The trap type goes with the registers (HP's "trap marker"): see TRAP_TYPE_FIELD.
        if self.wide:
            fields = {"ss_flags": SS_INTRAP | SS_WIDEREGS, TRAP_TYPE_FIELD: trap,
                      "ss_wide": {f"ss_{r}": v for r, v in regs.items()}}
        else:
            fields = {"ss_flags": SS_INTRAP, TRAP_TYPE_FIELD: trap,
                      "ss_narrow": {f"ss_{r}": v & 0xFFFFFFFF for r, v in regs.items()}}
        self.place("struct save_state", address, fields, "save_state", space)

    # -- memory without structure, and the page directory ---------------------------------------
    def build_raw_bytes(self) -> None:
        for i, raw in enumerate(self.sc["raw_bytes"]):
            path = f"raw_bytes[{i}]"
            try:
                data = bytes.fromhex(raw["hex"])
            except ValueError as err:
                raise ScenarioError(f"{path}.hex", str(err)) from None
            if raw["counting"]:
                if data:
                    raise ScenarioError(path, "give hex or counting, not both")
                data = bytes((raw["first"] + n) & 0xFF for n in range(raw["counting"]))
            self.mem.write(raw["address"], data, raw["space"])

    def build_page_directory(self) -> None:
        kernel = self.sc["kernel"]
        extra = []
        for i, tr in enumerate(kernel["translations"]):
            size_code = _page_size_code(tr["page_size"], f"kernel.translations[{i}].page_size")
            attr = PDE_VALID | (size_code << PDE_PS_SHIFT) | (tr["access_rights"] << PDE_AR_SHIFT) \
                | tr["protection_key"]
            extra.append(PdirEntry(tr["space"], tr["address"] >> PAGE_SHIFT,
                                   (tr["physical"] >> PAGE_SHIFT) & 0xFFFFFFFF, attr, tr["pde"]))
        nhtbl = kernel["htbl_entries"]
        htbl = self.mem.build_page_directory(self.types.get("hpde2_0_t"), nhtbl,
                                             address=kernel["htbl_address"],
                                             empty_space=kernel["htbl_empty_space"], extra=extra)
        self.set_global("htbl", htbl)
        self.set_global("nhtbl", nhtbl)

    # -- output ------------------------------------------------------------------------------------
    def build(self, outdir: Path) -> None:
        self.build_functions()
        self.build_text()
        self.build_system()
        self.build_processors()
        self.build_pages()
        self.build_vm()
        self.build_bufcache()
        self.build_processes()
        self.build_swap()
        self.build_maps()
        self.build_msgbuf()
        self.build_globals_and_objects()
        self.build_buf_lists()
        forge_sched.build_scheduler(self)
        self.build_events()
        self.write_text()
        self.build_raw_bytes()
        self.build_page_directory()
        self.write_files(outdir)

    def write_files(self, outdir: Path) -> None:
        import io

        system = self.sc["system"]
        functions = [Function(name=f.name, address=f.address, size=f.size, frame_size=f.frame,
                              save_rp=f.save_rp, save_sp=False, interrupt_marker=f.interrupt,
                              args_stored=f.args_stored, millicode=f.millicode,
                              cannot_unwind=False)
                     for f in sorted(self.functions.values(), key=lambda f: f.address)]
        objects = [DataObject(name=n, address=a, size=s, section=self._section_of(a, s))
                   for n, (a, s) in sorted(self.symbols.items(), key=lambda kv: kv[1])]
        vmunix = io.BytesIO()
        try:
            write_vmunix(vmunix, wide=self.wide, sections=SectionSizes(
                self.text[0], self.text[1], self.data[0], self.data[1], self.bss[0],
                self.bss[1]), functions=functions, objects=objects)
        except ValueError as err:
            raise ScenarioError("kernel", str(err)) from None
        dump = self.sc["dump"]
        try:
            self._write_crashdir(outdir, system, dump, vmunix.getvalue())
        except (ValueError, FileExistsError) as err:
            raise ScenarioError("", f"cannot write {outdir}: {err}") from None

    def _write_crashdir(self, outdir: Path, system: dict[str, Any], dump: dict[str, Any],
                        vmunix: bytes) -> None:
        write_crashdir(
            outdir,
            self.mem.sorted_pages(),
            hostname=system["hostname"],
            modelname=system["model"],
            panic=system["panic"],
            dumptime=Timestamp(self.dump_epoch, _ctime(self.dump_epoch, system)),
            savetime=Timestamp(self.dump_epoch + system["save_delay"],
                               _ctime(self.dump_epoch + system["save_delay"], system)),
            release=f"@(#)     $Revision: vmunix:    vw: -proj    selectors: CUPI80_BL2000_1108 "
                    f"-c 'Vw for CUPI80_BL2000_1108 build' -- cupi80_bl2000_1108 "
                    f"'CUPI80_BL2000_1108' FLAVOR=PERF {system['release']} $",
            memsize=system["memory_pages"] * PAGE_SIZE,
            vmunix=vmunix,
            chunk_pages=dump["chunk_pages"],
            compress=dump["compress"],
        )

    def _section_of(self, address: int, size: int) -> str:
        for name, (start, length) in (("data", self.data), ("bss", self.bss)):
            if start <= address and address + size <= start + length:
                return name
        return "abs"


def _pfdat_fill(layout: Layout, runs: list[tuple[str, int, int]], bad: set[int],
                total: int) -> Callable[[int, int], bytes]:
    """The region fill of pfdat[0 .. total-1], one entry per page, classes in `runs` order.

    Entries of a run differ only in `pf_pfn`, so a batch is its runs' template entries
    repeated, then the pfn column laid over them with strided slices: no per-entry Python.
    """
    fast = layout.fast
    assert fast is not None, layout.name
    size = layout.size
    pfn_field = layout.field("pf_pfn")
    offset, width = pfn_field.offset, pfn_field.size
    typecode = {2: "H", 4: "I", 8: "Q"}[width]

    def record(pfn: int, name: str, sub: int, is_bad: bool) -> bytes:
        flags = (P_FREE if name == "free" else P_SYS) | (P_BAD if is_bad else 0)
        return fast.pack(0, 0, pfn, flags, PAGE_CLASS_CODES.get(name, UNLISTED_CLASS), sub,
                         0 if name == "free" else 1)

    spans: list[tuple[int, int, bytes, str, int]] = []  # (first pfn, end, template, class, sub)
    pfn = 0
    for name, sub, count in runs:
        if count:
            spans.append((pfn, pfn + count, record(0, name, sub, False), name, sub))
            pfn += count

    def entries(first: int, end: int) -> bytearray:
        out = bytearray()
        for start, stop, template, _, _ in spans:
            if start < end and first < stop:
                out += template * (min(stop, end) - max(start, first))
        column = array(typecode, range(first, end))
        if sys.byteorder == "little":
            column.byteswap()
        raw = column.tobytes()
        for k in range(width):
            out[offset + k::size] = raw[k::width]
        for start, stop, _, name, sub in spans:
            for pfn in bad:
                if max(start, first) <= pfn < min(stop, end):
                    at = (pfn - first) * size
                    out[at:at + size] = record(pfn, name, sub, True)
        return out

    def fill(first_page: int, count: int) -> bytes:
        low, high = first_page * PAGE_SIZE, (first_page + count) * PAGE_SIZE
        first, end = low // size, min(total, -(-high // size))
        data = entries(first, end) if first < end else bytearray()
        start = low - first * size
        chunk = bytes(data[start:start + high - low])
        return chunk + bytes(high - low - len(chunk))

    return fill


@dataclass(frozen=True)
class _Width:
    """What `space_register` needs of a program: its width."""

    wide: bool


def _page_size_code(size: int, path: str) -> int:
    """pde page size field: 4 KB << 2 * code."""
    for code in range(PDE_PS_MASK + 1):
        if PAGE_SIZE << (2 * code) == size:
            return code
    raise ScenarioError(path, f"{size} is not 4 KB times a power of 4")


def _split_registers(regs: dict[str, int]) -> dict[str, int]:
    out = {}
    for reg, value in regs.items():
        out[f"rp_{reg}_hi"] = (value >> 32) & 0xFFFFFFFF
        out[f"rp_{reg}_lo"] = value & 0xFFFFFFFF
    return out


def _epoch(local: str, minutes_west: int) -> int:
    return calendar.timegm(time.strptime(local, "%Y-%m-%d %H:%M:%S")) + minutes_west * 60


def _ctime(epoch: int, system: dict[str, Any]) -> str:
    local = time.gmtime(epoch - system["timezone_minutes_west"] * 60)
    return time.strftime("%a %b %d %H:%M:%S %Y", local)
