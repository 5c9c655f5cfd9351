"""The buffer free lists: the forge's `bfreelist` heads and the pages its buffer headers lie in,
and `whatis ADDR` naming a buffer found on a list (cycle-safe, bounded, both ways)."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from helpers import Shell, forged_program, poke, small_seed_raw

from q4py.errors import ScenarioError
from q4py.forge.build import Forge
from q4py.forge.scenario import SCENARIO
from q4py.kernel import bufs
from q4py.kernel.identify import page_description
from q4py.kernel.pfdat import pfdat_segments
from q4py.layouts.vm import PAGE_CLASS_CODES
from q4py.program import Program

RING = 0x1800000  # three buffers on the LRU queue, 0x100 apart
LOOP = 0x1810000  # two on the AGE queue; the second's av_forw leads back to the first
BROKEN = 0x1820000  # three on the LOCKED queue; the second's av_forw is NULL


def test_whatis_names_the_buffer_the_panic_was_handed(forged_dump: Callable[[str], Path]) -> None:
    """dpf-scsi-dequeue: the header left on the AGE free list with a garbage av_forw."""
    prog = Program.open(forged_dump("hpux1100-64-dpf-scsi-dequeue"))
    shell = Shell(prog)
    lines = shell.run("whatis 0x4076da30")
    assert lines[:2] == [
        "0x4076da30:",
        "  buf at 0x4076da18 (+0x18), on bfreelist[2] (BQ_AGE), 1st after the head, member "
        "av_forw; its av_back does not point back"]
    assert lines[2].startswith("  physical page 0x4076d (PA 0x4076da30): a page of class "
                               "kalloc, pool bufcache_bufs (pfdat entry ")
    # The garbage its av_forw leads to is the list's second "buffer"; the walk stops at the
    # unreadable link after it, and the garbage av_back (0x4076eefd, not pointer-aligned) is no
    # buffer.
    found = [(b.address, b.position, b.backwards) for b in bufs.free_list_bufs(prog)]
    assert found == [(0x4076da18, 1, False), (0x4076ee00, 2, False)]
    assert shell.run("whatis 0x4076ee00")[1].startswith(
        "  buf at 0x4076ee00 (+0x0), on bfreelist[2] (BQ_AGE), 2nd after the head")
    assert "free page" in shell.run("whatis 0x4076ee00")[2]  # garbage in a free page


def _small_raw() -> dict[str, Any]:
    """The small seed, with a free-list ring and a free list whose second buffer
    loops back to the first (the head's av_back still reaches it)."""
    raw = small_seed_raw()
    raw["buf_lists"] = [{"address": RING, "count": 3, "stride": 0x100, "queue": "lru"},
                        {"address": LOOP, "count": 2, "queue": "age"},
                        {"address": BROKEN, "count": 3, "queue": "locked"}]
    # Written over the AGE list's second buffer: av_forw back to the first, av_back kept; over
    # the LOCKED list's second: av_forw NULL.
    raw["objects"] = [{"type": "struct buf", "address": LOOP + 0x80,
                       "fields": {"av_forw": LOOP, "av_back": LOOP, "b_flags": 9}},
                      {"type": "struct buf", "address": BROKEN + 0x80,
                       "fields": {"av_forw": 0, "av_back": BROKEN}}]
    return raw


@pytest.fixture(scope="module")
def listed(tmp_path_factory: pytest.TempPathFactory) -> Program:
    return forged_program(_small_raw(), tmp_path_factory.mktemp("free-lists"))


def test_a_ring_and_a_loop(listed: Program) -> None:
    heads = listed.symbol("bfreelist").address
    found = [(b.address, b.queue, b.position, b.backwards, b.linked_back)
             for b in bufs.free_list_bufs(listed)]
    # The LOCKED list breaks after its second buffer: its third is found from the head's
    # av_back. A whole ring (LRU) is walked one way only.
    assert found == [(BROKEN, 0, 1, False, True), (BROKEN + 0x80, 0, 2, False, True),
                     (BROKEN + 0x100, 0, 1, True, True),
                     (RING, 1, 1, False, True), (RING + 0x100, 1, 2, False, True),
                     (RING + 0x200, 1, 3, False, True),
                     (LOOP, 2, 1, False, True), (LOOP + 0x80, 2, 2, False, True)]
    assert Shell(listed).run(f"whatis {BROKEN + 0x108:#x}")[1] == (
        f"  buf at {BROKEN + 0x100:#x} (+0x8), on bfreelist[0] (BQ_LOCKED), 1st before the "
        "head, member b_back")
    head = listed.read_struct("struct buf", heads + 0x80)
    assert (head.av_forw, head.av_back) == (RING, RING + 0x200)
    shell = Shell(listed)
    assert shell.run(f"whatis {RING + 0x204:#x}")[1] == (
        f"  buf at {RING + 0x200:#x} (+0x4), on bfreelist[1] (BQ_LRU), 3rd after the head, "
        "member b_forw")
    # A list the usual q4 walk goes round once.
    assert shell.run("load struct buf from &bfreelist[1] next av_forw skip 1 until "
                     "addrof == &bfreelist[1]")[0] == "loaded 3 struct bufs as a linked list "


def test_the_walk_is_bounded(listed: Program, monkeypatch: pytest.MonkeyPatch) -> None:
    """All the walks together follow at most nbuf buffers (MAX_WALK when less)."""
    # LOCKED takes six steps: two forwards to the NULL, then back from the head past the two
    # found already; one is left for LRU.
    monkeypatch.setattr(bufs, "MAX_WALK", 6)
    found = [b.address for b in bufs.free_list_bufs(listed)]
    assert found == [BROKEN, BROKEN + 0x80, BROKEN + 0x100, RING]
    assert not any("buf at" in line for line in Shell(listed).run(f"whatis {RING + 0x200:#x}"))


def test_header_pages_are_kalloc_pages_and_counts_stay(listed: Program) -> None:
    """The pages the headers lie in are pool pages, the kernel's text, data and bss pages are
    of those classes; every class keeps its count (the pool is the three pages the headers
    occupy, taken from `user`)."""
    for address in (RING, LOOP, BROKEN):
        assert page_description(listed, address >> 12).startswith(
            "a page of class kalloc, pool bufcache_bufs")
    start, count = pfdat_segments(listed)[0]
    names = [f.name for f in listed.types.get("struct pfdat").fields]
    kclass, ksub, flags = (names.index(n) for n in ("pf_kclass", "pf_ksub", "pf_flags"))
    records = listed.read_records("struct pfdat", start, count)
    classes = Counter((r[kclass], r[ksub]) for r in records)
    assert classes[(7, 2)] == 3  # kalloc, bufcache_bufs: pages 0x1800, 0x1810 and 0x1820
    assert sum(1 for r in records if r[flags] & 1) == 2000  # free pages as stated
    for name, count in (("text", 1684), ("data", 136), ("bss", 603)):
        assert classes[(PAGE_CLASS_CODES[name], 0)] == count
    # ... and the kernel's own sections are where the kernel file puts them.
    text = listed.symbol("panic").address >> 12
    assert records[text][kclass] == PAGE_CLASS_CODES["text"]


def test_a_pool_too_small_for_the_headers_is_one_error(tmp_path: Path) -> None:
    raw = _small_raw()
    raw["pages"]["kalloc"] = {"bufcache_bufs": 1}
    with pytest.raises(ScenarioError) as info:
        Forge(SCENARIO.validate(raw, "")).build(tmp_path / "out")
    assert str(info.value) == ("pages.kalloc.bufcache_bufs: the buffer headers placed occupy "
                               "3 pages, more than the pool's 1")


def test_a_head_into_nothing_is_walked_round_the_other_way(
        tmp_path_factory: pytest.TempPathFactory) -> None:
    """A garbled head (av_forw into memory the dump does not hold): the list is still found
    through av_back, and the heads' own bad links are no error."""
    out = tmp_path_factory.mktemp("free-lists-garbled") / "dump"
    prog = forged_program(_small_raw(), out)
    heads = prog.symbol("bfreelist").address
    forw = prog.types.get("struct buf").field("av_forw").offset
    poke(out, heads + 0x80 + forw, (0x7FF0000).to_bytes(4, "big"))  # LRU's, narrow pointers
    poke(out, heads + forw, (0x1233).to_bytes(4, "big"))  # LOCKED's: not pointer-aligned
    prog = Program.open(out)
    found = {(b.address, b.backwards) for b in bufs.free_list_bufs(prog) if b.queue == 1}
    assert found == {(RING + 0x200, True), (RING + 0x100, True), (RING, True)}
    assert "3rd before the head" in Shell(prog).run(f"whatis {RING:#x}")[1]
    locked = [b.address for b in bufs.free_list_bufs(prog) if b.queue == 0]
    assert locked == [BROKEN + 0x100, BROKEN + 0x80, BROKEN]  # all three, through av_back
