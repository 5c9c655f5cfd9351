"""WhatHappened: a first look at any dump, the checks a senior engineer makes first.

    run WhatHappened

HP's q4 library had a WhatHappened script (its text is not public); this is q4py's. It prints:

- the machine and the crash: panic string, the main crash event and the top of its stack;
- every fault or trap taken in kernel mode (in any crash event; external interrupts are only
  named): the trap type decoded, where it hit
  (PCSQ.PCOQ and the function), the faulting instruction (IIR, disassembled when q4py has a
  disassembler), the faulting address (ISR.IOR) and the save_state holding it all;
- findings, each with the figures that show it: a resource map (any `struct map *` global)
  depleted or with almost every slot in use; one MALLOC bucket holding most of the kernel's
  MALLOC memory and a large share of physical memory; free memory below minfree; deactivated
  processes; a spinlock deadlock's lock and its holder, and processors that held spinlocks
  when their crash event was taken; threads asleep on beta semaphores, with each one's holder;
- the checks that found nothing, one line each, so a clean result is visible too.

Every figure comes from crashinfo's analyses (q4py/analyses/) through the script API; nothing
is recomputed here but ratios.
"""

from __future__ import annotations

from q4py.addr import format_space_offset
from q4py.errors import Q4Error
from q4py.kernel.maps import ResourceMap
from q4py.kernel.traps import trap_type
from q4py.layouts.vm import PAGE_SIZE, bucket_element_size
from q4py.render.general import format_dump_time, format_uptime
from q4py.render.text import kmem_size, pages_in_mb, percent
from q4py.scripting import Q4Script
from q4py.unwind import Trap

# A bucket is "holding most kernel memory" when it has more than half of all MALLOC pages and
# at least this share of physical memory (small machines have small buckets).
BUCKET_SHARE_OF_MALLOC = 0.5
BUCKET_SHARE_OF_MEMORY = 0.10
# A map with this share of its slots in use cannot record many more freed runs (PrintMap's
# threshold too).
CROWDED_MAP = 0.9
STACK_FRAMES = 4  # frames of the main event shown

def heading(q4: Q4Script, title: str) -> None:
    q4.print(title)
    q4.print("-" * len(title))


def run(q4: Q4Script, args: list[str]) -> None:
    if args:
        q4.error("usage: run WhatHappened (it takes no arguments)")
    q4.print("What happened: a first look at this dump")
    q4.print("========================================")
    q4.print()
    machine(q4)
    the_crash(q4)
    kernel_traps(q4)
    findings, clear = [], []
    for check in (check_maps, check_buckets, check_freemem, check_deactivated,
                  check_spinlocks, check_semaphores):
        found, fine = check(q4)
        findings += found
        clear += fine
    heading(q4, "Findings")
    if not findings:
        q4.print("None of the first checks found anything wrong.")
    for i, lines in enumerate(findings):
        if i:
            q4.print()
        q4.print(f"* {lines[0]}")
        for line in lines[1:]:
            q4.print(f"  {line}")
    q4.print()
    heading(q4, "Checked and clear")
    for line in clear:
        q4.print(f"  {line}")


def machine(q4: Q4Script) -> None:
    info = q4.general()
    width = "64-bit" if info.wide else "32-bit"
    q4.print(f"System   : {info.nodename}, {info.model}, HP-UX {info.release} ({width} kernel), "
             f"{info.cpus} processors")
    q4.print(f"Crashed  : {format_dump_time(info.dump_time, info.minutes_west)}, "
             f"up {format_uptime(info.uptime)}")
    q4.print()


def the_crash(q4: Q4Script) -> None:
    report = q4.crash_events()
    heading(q4, "The crash")
    q4.print(f"Panic string : {report.panic_string or '(none: panicstr is NULL)'}")
    if report.main is None:
        q4.print("Crash events : none recorded")
        q4.print()
        return
    main = report.traces[report.main]
    event = main.event
    count = len(report.traces)
    q4.print(f"Main event   : #{event.index}, {event.kind} on CPU #{event.cpu} "
             f"({count} crash event{'s' if count != 1 else ''}: trace event N shows each)")
    frames = [f for segment in main.segments for f in segment.frames]
    if main.user_mode:
        q4.print("Stack        : the processor was in USER mode: no kernel stack")
    elif frames:
        shown = " <- ".join(f.name or "???" for f in frames[:STACK_FRAMES])
        more = " <- ..." if len(frames) > STACK_FRAMES else ""
        q4.print(f"Stack        : {shown}{more}")
    if main.problem:
        q4.print(f"Unwinding    : stopped: {main.problem}")
    q4.print()


def kernel_traps(q4: Q4Script) -> None:
    report = q4.crash_events()
    taken = [(trace.event.index, segment.trap) for trace in report.traces
             for segment in trace.segments
             if segment.trap is not None and not segment.trap.user_mode]
    # An external interrupt is the processor doing its job, not a fault: named, not decoded.
    traps = [(n, t) for n, t in taken if not _interrupt(t)]
    interrupts = [(n, t) for n, t in taken if _interrupt(t)]
    heading(q4, "Traps in kernel mode")
    if not traps:
        q4.print("No crash event went through a fault or trap taken in kernel mode.")
        q4.print()
    for number, trap in traps:
        describe_trap(q4, number, trap)
        q4.print()
    if interrupts:
        where = ", ".join(f"{t.name or '???'} (event #{n})" for n, t in interrupts)
        q4.print(f"External interrupts taken in kernel mode, not decoded: {where}")
        q4.print()


def _interrupt(trap: Trap) -> bool:
    return trap_type(trap.trap_type).constant == "I_EXT_INTP"


def describe_trap(q4: Q4Script, event: int, trap: Trap) -> None:
    where = trap.name or "???"
    q4.print(f"Event #{event} trapped in {where}")
    q4.print(f"    Type {trap.trap_type}: {trap_type(trap.trap_type).name}")
    pc = trap.pcoq & ~3
    q4.print(f"    PCSQ.PCOQ = {trap.pcsq:#x}.{pc:#x} = {where}")
    try:
        regs = q4.saved_registers(trap.save_state, trap.space)
    except Q4Error as err:
        q4.print(f"    (the save_state cannot be read: {err})")
        return
    iir = regs["cr19"]
    text = q4.disassemble(iir, pc)
    q4.print(f"    IIR       = 0x{iir:08x}" + (f"  {text}" if text else ""))
    q4.print(f"    ISR.IOR   = {regs['cr20']:#x}.{regs['cr21']:#x}")
    q4.print(f"    p struct save_state {format_space_offset(trap.space, trap.save_state)}")


# -- the checks: each returns (findings, clear lines); a finding is its title and figure lines ---
Result = tuple[list[list[str]], list[str]]


def check_maps(q4: Q4Script) -> Result:
    found: list[list[str]] = []
    clear: list[str] = []
    by_address: dict[int, tuple[ResourceMap, list[str]]] = {}
    for name in q4.resource_map_names():
        try:
            rmap = q4.resource_map(name)
        except Q4Error as err:
            found.append([f"Resource map {name} cannot be decoded", str(err)])
            continue
        by_address.setdefault(rmap.address, (rmap, []))[1].append(name)
    for rmap, names in by_address.values():
        label = rmap.label
        others = [n for n in names if n != label]
        also = f" (also {', '.join(others)})" if others else ""
        used = rmap.terminator_index
        if rmap.depleted:
            found.append([
                f"Resource map depleted: {label}{also} has not a single free page",
                f"0 free runs, 0 pages free; the map is sized for {rmap.mapsize} entries "
                f"(run PrintMap {names[-1]}).",
                "Allocations of kernel virtual space from it fail (kalloc: out of kernel "
                "virtual space).",
            ])
        elif used >= CROWDED_MAP * rmap.mapsize:
            found.append([
                f"Resource map nearly full of runs: {label}{also} uses {used} of its "
                f"{rmap.mapsize} entries",
                f"{len(rmap.entries)} free runs, {pages_in_mb(rmap.total_free)}, largest "
                f"{rmap.largest_free} pages: space freed now may be lost (rmap overflow).",
            ])
        else:
            clear.append(f"{label}{also}: {pages_in_mb(rmap.total_free)} free in "
                         f"{len(rmap.entries)} runs, largest {rmap.largest_free} pages")
    if not by_address and not found:
        clear.append("no resource map (struct map *) global in this kernel")
    return found, clear


def bucket_label(index: int, adjective: bool = False) -> str:
    """`512 bytes` (`512-byte` as an adjective), `2 pages`, `more than 8 pages`."""
    size = bucket_element_size(index)
    if size is None:
        largest = bucket_element_size(index - 1) or 0
        return f"more than {largest // PAGE_SIZE} pages" + ("-sized" if adjective else "")
    number, unit = (size, "byte") if size <= PAGE_SIZE else (size // PAGE_SIZE, "page")
    return f"{number}-{unit}" if adjective else f"{number} {unit}s"


def check_buckets(q4: Q4Script) -> Result:
    kmem = q4.kernel_memory()
    if not kmem.malloc:
        return [], ["MALLOC buckets: no page belongs to a bucket"]
    index, pages = max(kmem.buckets.items(), key=lambda item: (item[1], -item[0]))
    of_malloc = pages / kmem.malloc
    of_memory = pages / kmem.physmem if kmem.physmem else 0.0
    holds = (f"bucket[{index}] ({bucket_label(index)}) holds {pages} pages "
             f"({kmem_size(pages)}):")
    shares = (f"{percent(pages, kmem.physmem)}% of physical memory ({kmem.physmem} pages), "
              f"{percent(pages, kmem.malloc)}% of all MALLOC buckets ({kmem.malloc} pages)")
    if of_malloc > BUCKET_SHARE_OF_MALLOC and of_memory >= BUCKET_SHARE_OF_MEMORY:
        return [[
            f"One MALLOC bucket holds most kernel memory: bucket[{index}], "
            f"{bucket_label(index)}",
            holds,
            shares + ".",
            f"A leak of {bucket_label(index, adjective=True)} allocations is likely: find "
            "the kernel code that allocates that size.",
        ]], []
    return [], [f"largest MALLOC bucket: {holds} {shares}"]


def check_freemem(q4: Q4Script) -> Result:
    mem = q4.memory_globals()
    minfree = mem.thresholds.get("minfree")
    if minfree is None:
        return [], [f"freemem {pages_in_mb(mem.freemem)} (this kernel has no minfree)"]
    line = f"freemem {pages_in_mb(mem.freemem)}, minfree {pages_in_mb(minfree)}"
    if mem.desperately_low:
        desfree = mem.thresholds.get("desfree")
        extra = f", desfree {desfree} pages" if desfree is not None else ""
        return [[
            "Free memory is below minfree: the system was desperately short of memory",
            f"{line}{extra}.",
        ]], []
    return [], [f"{line}: free memory above minfree"]


def check_deactivated(q4: Q4Script) -> Result:
    mem = q4.memory_globals()
    if not mem.deactivated:
        return [], ["no deactivated process"]
    lines = [f"Deactivated processes: {mem.deactivated} processes were deactivated (SDEACT)",
             "The memory scheduler deactivates processes when memory is short."]
    figures = []
    if mem.deactload is not None:
        figures.append("deactload " + "  ".join(f"{v:.2f}" for v in mem.deactload))
    for name in ("thrashdeact", "lowmemdeact"):
        value = mem.rates.get(name)
        if value is not None:
            figures.append(f"{name} {value}")
    if figures:
        lines.append(", ".join(figures) + ".")
    return [lines], []


def check_spinlocks(q4: Q4Script) -> Result:
    found: list[list[str]] = []
    lock = q4.deadlocked_lock()
    if lock is not None:
        name = f"'{lock.name}'" if lock.name else "(no name)"
        lines = [f"Spinlock deadlock: the lock {name} at {lock.address:#x} timed out"]
        if lock.holder_cpu is None:
            lines.append("Its owner is not a known processor (sl_owner does not point at an "
                         "mpinfo).")
        else:
            event = f", its last crash event is #{lock.holder.event.index} " \
                f"({lock.holder.event.kind})" if lock.holder is not None else ""
            lines.append(f"Held by processor #{lock.holder_cpu}{event}: trace processor "
                         f"{lock.holder_cpu}")
        found.append(lines)
    report = q4.crash_events()
    holders = [t.event for t in report.traces if t.event.spinlock_depth]
    if holders:
        lines = ["Spinlocks were held when the crash events were taken"]
        for event in holders:
            count = event.spinlock_depth
            lines.append(f"Processor #{event.cpu} held {count} spinlock"
                         f"{'s' if count != 1 else ''} (the spinlock depth of event "
                         f"#{event.index}, {event.kind}): trace processor {event.cpu}")
        found.append(lines)
    if found:
        return found, []
    if not report.traces:
        return [], ["spinlocks: no crash event to tell"]
    return [], ["no processor held a spinlock (spinlock depth 0 in every crash event)"]


def check_semaphores(q4: Q4Script) -> Result:
    """A hang's usual knot: threads asleep on a beta semaphore another thread holds."""
    by_sema: dict[int, list] = {}
    for waiter in q4.sema_waiters():
        by_sema.setdefault(waiter.sema, []).append(waiter)
    if not by_sema:
        return [], ["no thread asleep on a beta semaphore"]
    lines = ["Threads are asleep on beta semaphores"]
    for sema, waiters in sorted(by_sema.items(), key=lambda kv: -len(kv[1])):
        name = q4.symbolize(sema) or f"{sema:#x}"
        owner = waiters[0].owner_tid
        held = f"held by tid {owner}: trace -U tid {owner}" if owner >= 0 else "held by none"
        longest = max(w.ticks for w in waiters)
        lines.append(f"{len(waiters)} on {name} (the longest for {longest} ticks), {held}")
    return [lines], []
