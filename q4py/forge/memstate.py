"""Memory management state: VM tunables, the buffer cache, swap, resource maps, the message
buffer, and the hashed page directory that maps it all (built last).
"""

from __future__ import annotations

import struct
from collections.abc import Callable

from q4py.errors import ScenarioError
from q4py.forge.context import ForgeContext
from q4py.forge.memory import PdirEntry
from q4py.layouts.base import Field, fast_code
from q4py.layouts.buf import B_DONE, BQUEUE_NAMES
from q4py.layouts.io import NSWAPDEV
from q4py.layouts.system import MSG_MAGIC
from q4py.layouts.vm import (
    PAGE_SHIFT,
    PAGE_SIZE,
    PDE_AR_SHIFT,
    PDE_PS_MASK,
    PDE_PS_SHIFT,
    PDE_VALID,
)

# buf_lists[].queue: the bfreelist queue, in BQUEUE_NAMES order
QUEUE_KEYS = tuple(name.removeprefix("BQ_").lower() for name in BQUEUE_NAMES)


def build_vm(ctx: ForgeContext) -> None:
    for name, value in ctx.sc["vm"].items():
        ctx.set_global(name, value, f"vm.{name}")


def build_bufcache(ctx: ForgeContext) -> None:
    values = dict(ctx.sc["bufcache"])
    values.setdefault("bufpages", ctx.sc["pages"]["bufcache"])
    for name, value in values.items():
        ctx.set_global(name, value, f"bufcache.{name}")


def build_buf_lists(ctx: ForgeContext) -> None:
    """Runs of `struct buf` linked through av_forw/av_back, and the free-list heads
    `bfreelist[]`: a list given a queue rings through its head after the lists before it on
    that queue; a list without one ends in NULL both ways. Every dump has the heads (an empty
    queue's head points at itself)."""
    layout = ctx.types.get("struct buf")
    size = layout.size
    forw, back, blkno = (layout.field(name) for name in ("av_forw", "av_back", "b_blkno"))
    pack_forw, pack_back, pack_blkno = _packer(forw), _packer(back), _packer(blkno)
    heads = ctx.place_global("bfreelist")
    queues: list[list[int]] = [[] for _ in BQUEUE_NAMES]  # each queue's buffers, in order
    for i, blist in enumerate(ctx.sc["buf_lists"]):
        path = f"buf_lists[{i}]"
        stride = blist["stride"] or size
        if stride < size:
            raise ScenarioError(f"{path}.stride", f"less than sizeof(struct buf) ({size})")
        count, address = blist["count"], blist["address"]
        if address + stride * count > ctx.sc["system"]["memory_pages"] * PAGE_SIZE:
            raise ScenarioError(path, "the list does not fit in physical memory")
        # One template built from the construct model; each copy differs in three members.
        template = layout.build({"b_flags": B_DONE, "b_bcount": blist["bcount"],
                                 "b_bufsize": blist["bcount"]})
        data = bytearray((template + bytes(stride - size)) * count)
        step = blist["bcount"] // 1024
        for n in range(count):
            at = n * stride
            pack_forw(data, at + forw.offset, address + at + stride if n + 1 < count else 0)
            pack_back(data, at + back.offset, address + at - stride if n else 0)
            pack_blkno(data, at + blkno.offset, (blist["first_block"] + n * step) & 0x7FFFFFFF)
        ctx.mem.write(address, bytes(data))
        if blist["queue"]:
            queues[QUEUE_KEYS.index(blist["queue"])] += [address, address + (count - 1) * stride]
    for q, ends in enumerate(queues):
        # The ring: head -> first ... last -> next list's first ... -> head.
        head = heads + q * size
        ring = [head, *ends, head]
        for k in range(0, len(ring) - 1, 2):
            before, after = ring[k], ring[k + 1]
            ctx.mem.write(before + forw.offset, _pointer(forw, after))
            ctx.mem.write(after + back.offset, _pointer(back, before))


def _pointer(field: Field, value: int) -> bytes:
    data = bytearray(field.size)
    _packer(field)(data, 0, value)
    return bytes(data)


def _packer(field: Field) -> Callable[[bytearray, int, int], None]:
    """`pack_into` for one scalar member, its format taken from its C type in the layout."""
    code = fast_code(field.ctype)
    if code is None:
        raise AssertionError(f"{field.name} is not a scalar")
    return struct.Struct(f">{code}").pack_into


def build_swap(ctx: ForgeContext) -> None:
    swap = ctx.sc["swap"]
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
    if len(entries) > NSWAPDEV:
        raise ScenarioError("swap.devices", f"at most {NSWAPDEV} swap devices")
    entries += [{"sw_dev": -1}] * (NSWAPDEV - len(entries))
    ctx.set_global("swdevt", entries, "swap.devices")
    ctx.set_global("nswapdev", len(devices))
    ctx.set_global("fswdevt", [], "swap")
    ctx.set_global("nswapfs", 0)
    if used + swap["reserved_pages"] > total:
        raise ScenarioError("swap.reserved_pages",
                            f"{swap['reserved_pages']} pages reserved, more than the devices' "
                            f"{total - used} free pages (reserved swap is free on a device)")
    ctx.set_global("swapspc_max", total)
    ctx.set_global("swapspc_cnt", total - used - swap["reserved_pages"])
    ctx.set_global("swapphys_cnt", total - used)


def build_maps(ctx: ForgeContext) -> None:
    """Resource maps: a header entry (end, name), the free runs, a terminating zero entry."""
    entry = ctx.types.get("struct mapent")
    for i, rmap in enumerate(ctx.sc["maps"]):
        path = f"maps[{i}]"
        if len(rmap["free"]) + 2 > rmap["entries"]:
            raise ScenarioError(f"{path}.free", "more free runs than the map has entries")
        address = rmap["address"]
        records = [(address + rmap["entries"] * entry.size, ctx.string(rmap["name"]))]
        records += [(run["addr"], run["size"]) for run in rmap["free"]]
        records.append((0, 0))
        ctx.mem.write_many(address, entry, records)
        for name in rmap["symbols"]:
            ctx.set_global(name, address, f"{path}.symbols")


def build_msgbuf(ctx: ForgeContext) -> None:
    """The kernel message ring: the text written from its start, wrapping if longer."""
    msgbuf = ctx.sc["msgbuf"]
    header = ctx.types.get("struct msgbuf")
    size = msgbuf["size"]
    address = ctx.place_global("msgbuf", header.size + size)
    text = msgbuf["text"].encode("latin-1")
    ring = bytearray(size)
    for i, byte in enumerate(text):
        ring[i % size] = byte
    ctx.place("struct msgbuf", address, {"msg_magic": MSG_MAGIC,
                                         "msg_bufx": len(text) % size}, "msgbuf")
    ctx.mem.write(address + header.size, bytes(ring))


def build_page_directory(ctx: ForgeContext) -> None:
    """htbl with every page mapped outside space 0, plus the scenario's own translations."""
    kernel = ctx.sc["kernel"]
    extra = []
    for i, tr in enumerate(kernel["translations"]):
        size_code = _page_size_code(tr["page_size"], f"kernel.translations[{i}].page_size")
        attr = PDE_VALID | (size_code << PDE_PS_SHIFT) | (tr["access_rights"] << PDE_AR_SHIFT) \
            | tr["protection_key"]
        extra.append(PdirEntry(tr["space"], tr["address"] >> PAGE_SHIFT,
                               (tr["physical"] >> PAGE_SHIFT) & 0xFFFFFFFF, attr, tr["pde"]))
    nhtbl = kernel["htbl_entries"]
    htbl = ctx.mem.build_page_directory(ctx.types.get("hpde2_0_t"), nhtbl,
                                        address=kernel["htbl_address"],
                                        empty_space=kernel["htbl_empty_space"], extra=extra)
    ctx.set_global("htbl", htbl)
    ctx.set_global("nhtbl", nhtbl)


def _page_size_code(size: int, path: str) -> int:
    """pde page size field: 4 KB << 2 * code."""
    for code in range(PDE_PS_MASK + 1):
        if PAGE_SIZE << (2 * code) == size:
            return code
    raise ScenarioError(path, f"{size} is not 4 KB times a power of 4")
