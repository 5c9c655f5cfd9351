"""The forge's pfdat in pieces: `pages.pfdat_chunks`.

Some kernels allocated their page frame data in pieces, after their own early allocations:
static kernel memory, equivalently mapped memory and the reserved pools have no pfdat entry
(the kernel counts the latter two in `eqmem_pages` and `reserved_pool_pages`). Each piece
describes consecutive pages that have entries, from its first page up to the next piece; a
piece is placed where the scenario says (where the kernel put it), else in kernel dynamic data.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from q4py.errors import ScenarioError
from q4py.forge.schema import Int, Table
from q4py.layouts.base import Layout
from q4py.layouts.vm import P_BAD, P_FREE, P_SYS, PAGE_CLASS_CODES, UNLISTED_CLASS

if TYPE_CHECKING:
    from q4py.forge.build import Forge

UNMANAGED = ("static", "eqmem", "reserved")  # classes without pfdat entries in pieces

PFDAT_CHUNK = Table("A piece of pfdat.", keys={
    "pfn": Int("First page it describes (a page that has an entry).", required=True,
               minimum=0),
    "address": Int("Where the piece is (space 0); -1: kernel dynamic data.", default=-1),
})


def build_chunks(forge: Forge, layout: Layout, runs: list[tuple[str, int, int]],
                 bad: set[int]) -> int:
    """Write pfdat in the scenario's pieces and the chunk table; return the first piece."""
    chunks = sorted(forge.sc["pages"]["pfdat_chunks"], key=lambda c: c["pfn"])
    fast = layout.fast
    assert fast is not None, layout.name
    names = [f.name for f in layout.fields]
    entries: list[tuple[int, str, int]] = []  # (pfn, class, sub) of pages with an entry
    pfn = 0
    for name, sub, count in runs:
        if name not in UNMANAGED:
            entries += [(p, name, sub) for p in range(pfn, pfn + count)]
        pfn += count
    index = {p: i for i, (p, _, _) in enumerate(entries)}
    starts: list[tuple[int, int]] = []  # (entry index, address or -1)
    for i, chunk in enumerate(chunks):
        if chunk["pfn"] not in index:
            raise ScenarioError(f"pages.pfdat_chunks[{i}].pfn", f"page {chunk['pfn']:#x} has no "
                                "pfdat entry (static, eqmem and reserved pages have none)")
        starts.append((index[chunk["pfn"]], chunk["address"]))
    if not starts or starts[0][0] != 0:
        starts.insert(0, (0, -1))
    records = []
    spans: list[tuple[int, int]] = []
    for k, (first, address) in enumerate(starts):
        end = starts[k + 1][0] if k + 1 < len(starts) else len(entries)
        size = (end - first) * layout.size
        if address < 0:
            address = forge.mem.alloc(size, 64)
        for lo, hi in spans:
            if address < hi and lo < address + size:
                raise ScenarioError("pages.pfdat_chunks", f"the piece at {address:#x} overlaps "
                                    f"the one at {lo:#x}")
        spans.append((address, address + size))
        data = bytearray()
        for p, name, sub in entries[first:end]:
            values = {"pf_pfn": p, "pf_flags": (P_FREE if name == "free" else P_SYS)
                      | (P_BAD if p in bad else 0),
                      "pf_kclass": PAGE_CLASS_CODES.get(name, UNLISTED_CLASS), "pf_ksub": sub,
                      "pf_use": 0 if name == "free" else 1}
            data += fast.pack(*(values.get(n, 0) for n in names))
        forge.mem.write(address, bytes(data))
        records.append({"pc_pfn": entries[first][0], "pc_count": end - first,
                        "pc_pfdat": address})
    chunk = forge.types.get("struct pfdat_chunk")
    table = forge.mem.alloc(chunk.size * len(records), 8)
    for i, record in enumerate(records):
        forge.place("struct pfdat_chunk", table + i * chunk.size, record, "pages.pfdat_chunks")
    forge.set_global("pfdat_chunks", table, "pages.pfdat_chunks")
    forge.set_global("npfdat_chunks", len(records), "pages.pfdat_chunks")
    counts = {name: count for name, _, count in runs if name in ("eqmem", "reserved")}
    forge.set_global("eqmem_pages", counts.get("eqmem", 0), "pages.eqmem")
    forge.set_global("reserved_pool_pages", counts.get("reserved", 0), "pages.reserved")
    return records[0]["pc_pfdat"] if records else 0

