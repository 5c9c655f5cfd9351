"""What an address is: the kernel objects that hold it (crash's `kmem ADDR`, drgn's
`identify_address`).

Every place q4py knows a table or list of structures is asked in turn; an address may be
several things at once (a process-table slot is also inside the `proc` table's page, which is
a page frame with a pfdat entry). In order:
- a kernel symbol (space 0): `panic+0x14`, `crash_event_table[1]+0x8`;
- a process (11.00 table slot or 11i list entry) and the member the address falls in;
- a kernel thread (table or list) and its member;
- a buffer header on a buffer free list (`bfreelist`, walked both ways, cycle-safe) and its
  member;
- a thread's u-area and kernel stack (`kt_uarea` for UAREA_SIZE bytes, in its space);
- the wait channel a sleeping thread waits on;
- an entry of a resource map (`sysmap`, `sysmap_32bit`, ...);
- an entry of pfdat, and the page frame it describes;
- the physical page the address lies in (through the page directory outside space 0): its
  pfdat class, free or not, and whether the dump holds it.
A table the dump cannot read is left out (its own commands report why).
"""

from __future__ import annotations

from dataclasses import dataclass

from q4py.errors import Q4Error
from q4py.kernel.bufs import free_list_bufs
from q4py.kernel.maps import map_global_names
from q4py.kernel.pfdat import pfdat_entry
from q4py.kernel.procs import processes
from q4py.kernel.threads import UAREA_SIZE, has_threads, thread_addresses, threads
from q4py.layouts import KERNEL_GLOBALS
from q4py.layouts.base import Layout
from q4py.layouts.vm import KALLOC_POOLS, P_BAD, P_FREE, PAGE_CLASSES, PAGE_SHIFT
from q4py.program import Program


@dataclass(frozen=True)
class Identity:
    """One thing an address is part of."""

    kind: str  # symbol, proc, kthread, buf, stack, wchan, map, pfdat, page
    what: str  # one line, in words
    base: int  # where the object starts
    offset: int  # the address less base


def _member(layout: Layout, offset: int) -> str:
    """`, member p_pid` for the innermost member at `offset` of a `layout` structure."""
    best = None
    for field in layout.walk():
        if field.offset <= offset < field.offset + max(field.size, 1):
            best = field.name
    return f", member {best}" if best else ""


def _symbol(prog: Program, offset: int) -> list[Identity]:
    for sym in prog.symbols():
        if not sym.contains(offset):
            continue
        off = offset - sym.address
        if sym.kind == "func":
            return [Identity("symbol", f"{sym.name}+{off:#x} (kernel function)", sym.address,
                             off)]
        decl = KERNEL_GLOBALS.get(sym.name)
        if decl is None:
            return [Identity("symbol", f"{sym.name}+{off:#x} (kernel global)", sym.address,
                             off)]
        ctype = prog.types.ctype(decl.ctype)
        if ctype.kind == "array" and ctype.element is not None and ctype.element.size:
            index, inner = divmod(off, ctype.element.size)
            member = _member(ctype.layout, inner) if ctype.layout is not None else ""
            return [Identity("symbol", f"{sym.name}[{index}]+{inner:#x} (kernel global "
                                       f"{decl.ctype}{member})", sym.address, off)]
        member = _member(ctype.layout, off) if ctype.layout is not None else ""
        return [Identity("symbol", f"{sym.name}+{off:#x} (kernel global {decl.ctype}{member})",
                         sym.address, off)]
    return []


def _processes(prog: Program, offset: int) -> list[Identity]:
    layout = prog.types.get("struct proc")
    out = []
    for proc in processes(prog):
        if proc.address <= offset < proc.address + layout.size:
            where = (f"proc[{proc.slot}]" if not prog.has_symbol("proc_list")
                     else f"proc_list entry {proc.slot}")
            off = offset - proc.address
            out.append(Identity("proc", f"{where}+{off:#x}: struct proc of pid {proc.pid} "
                                        f"\"{proc.command}\"{_member(layout, off)}",
                                proc.address, off))
    return out


def _threads(prog: Program, space: int, offset: int) -> list[Identity]:
    if not has_threads(prog):
        return []
    layout = prog.types.get("struct kthread")
    out = []
    if space == 0:
        for address in thread_addresses(prog):
            if address <= offset < address + layout.size:
                tid = prog.read_struct(layout, address).kt_tid
                off = offset - address
                out.append(Identity("kthread", f"kthread {address:#x}+{off:#x}: the struct "
                                               f"kthread of tid {tid}{_member(layout, off)}",
                                    address, off))
    for thread in threads(prog):
        who = f"tid {thread.tid} (pid {thread.pid} \"{thread.command}\")"
        if (thread.uarea and thread.uarea_space == space
                and thread.uarea <= offset < thread.uarea + UAREA_SIZE):
            off = offset - thread.uarea
            out.append(Identity("stack", f"the u-area and kernel stack of {who}, "
                                         f"*uptr+{off:#x}", thread.uarea, off))
        if space == 0 and thread.wchan and thread.wchan == offset:
            caller = prog.symbolize(thread.sleep_caller) or f"{thread.sleep_caller:#x}"
            out.append(Identity("wchan", f"the wait channel of {who}, asleep in {caller}",
                                offset, 0))
    return out


def _bufs(prog: Program, offset: int) -> list[Identity]:
    layout = prog.types.get("struct buf")
    out = []
    for buf in free_list_bufs(prog):
        if buf.address <= offset < buf.address + layout.size:
            off = offset - buf.address
            side = "before" if buf.backwards else "after"
            link = "av_forw" if buf.backwards else "av_back"
            broken = "" if buf.linked_back else f"; its {link} does not point back"
            out.append(Identity("buf", f"buf at {buf.address:#x} (+{off:#x}), on "
                                       f"{buf.list_name}, {_ordinal(buf.position)} {side} the "
                                       f"head{_member(layout, off)}{broken}",
                                buf.address, off))
    return out


def _ordinal(n: int) -> str:
    suffix = "th" if 10 <= n % 100 < 20 else {1: "st", 2: "nd", 3: "rd"}.get(n % 10, "th")
    return f"{n}{suffix}"


def _maps(prog: Program, offset: int) -> list[Identity]:
    entry = prog.types.get("struct mapent")
    out = []
    seen: set[int] = set()
    for name in map_global_names(prog):
        address = prog.read_global(name)
        if not address or address in seen:
            continue
        seen.add(address)
        limit = prog.read_struct("struct map", address).m_limit
        if address <= offset < limit:
            index, off = divmod(offset - address, entry.size)
            what = "the header (entry 0)" if index == 0 else f"entry {index}"
            out.append(Identity("map", f"{what} of the resource map {name}, +{off:#x}",
                                address + index * entry.size, off))
    return out


def _pfdat(prog: Program, offset: int) -> list[Identity]:
    from q4py.kernel.pfdat import pfdat_segments

    layout = prog.types.get("struct pfdat")
    for start, count in pfdat_segments(prog):
        if start <= offset < start + count * layout.size:
            index, off = divmod(offset - start, layout.size)
            base = start + index * layout.size
            pfn = prog.read_struct(layout, base).pf_pfn
            return [Identity("pfdat", f"the pfdat entry of page frame {pfn:#x}, "
                                      f"+{off:#x}{_member(layout, off)}", base, off)]
    return []


def page_description(prog: Program, pfn: int) -> str:
    """`free`, `kernel class KALLOC`, ... from the page's pfdat entry, and whether the dump
    holds it."""
    dumped = "in the dump" if prog.has_page(pfn) else "not in the dump"
    entry = pfdat_entry(prog, pfn)
    if entry is None:
        return f"no pfdat entry, {dumped}"
    record = prog.read_struct("struct pfdat", entry)
    if record.pf_flags & P_BAD:
        use = "a bad page (P_BAD)"
    elif record.pf_flags & P_FREE:
        use = "a free page"
    elif PAGE_CLASSES[record.pf_kclass:record.pf_kclass + 1] == ("kalloc",) \
            and record.pf_ksub < len(KALLOC_POOLS):
        use = f"a page of class kalloc, pool {KALLOC_POOLS[record.pf_ksub]}"
    elif record.pf_kclass < len(PAGE_CLASSES):
        use = f"a page of class {PAGE_CLASSES[record.pf_kclass]}"
    else:
        use = f"a page of class {record.pf_kclass}"
    return f"{use} (pfdat entry {entry:#x}), {dumped}"


def _page(prog: Program, space: int, offset: int) -> list[Identity]:
    try:
        pfn = prog.translate(space, offset).pfn
    except Q4Error:
        return [Identity("page", "no translation: no page holds it", offset, 0)]
    pa = pfn << PAGE_SHIFT | (offset & ((1 << PAGE_SHIFT) - 1))
    physmem = prog.global_or("physmem", None)
    if isinstance(physmem, int) and pfn >= physmem:
        return [Identity("page", f"physical address {pa:#x}, beyond physical memory",
                         pfn << PAGE_SHIFT, pa - (pfn << PAGE_SHIFT))]
    return [Identity("page", f"physical page {pfn:#x} (PA {pa:#x}): "
                             f"{page_description(prog, pfn)}", pfn << PAGE_SHIFT,
                     pa - (pfn << PAGE_SHIFT))]


def identify_address(prog: Program, space: int, offset: int) -> list[Identity]:
    """Everything q4py knows `space.offset` to be part of, most specific first."""
    found: list[Identity] = []
    finders = [lambda: _threads(prog, space, offset)]
    if space == 0:
        finders = [lambda: _symbol(prog, offset), lambda: _processes(prog, offset),
                   *finders, lambda: _bufs(prog, offset), lambda: _maps(prog, offset),
                   lambda: _pfdat(prog, offset)]
    for find in finders:
        try:
            found += find()
        except Q4Error:
            continue  # a table this dump cannot read: its own commands say why
    return found + _page(prog, space, offset)
