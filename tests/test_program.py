"""Program as the single door: translations, unwind descriptors and the symbol list come
through it, and a bad request is a Q4Error, never a bare Python exception."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from construct import Container

from q4py.errors import Q4Error
from q4py.kernel.msgbuf import message_buffer_text
from q4py.layouts.vm import PAGE_SHIFT, PAGE_SIZE
from q4py.program import Program

SEED = "hpux1100-32-kalloc-sysmap"
STACK_SPACE, STACK_SP = 0x76DB400, 0x7FFF0D48  # event 1's kernel stack in the seed


@pytest.fixture()
def prog(forged_dump: Callable[[str], Path]) -> Program:
    return Program.open(forged_dump(SEED))  # fresh: its page directory is not yet read


def test_translate_reads_the_page_directory_first(prog: Program) -> None:
    found = prog.translate(STACK_SPACE, STACK_SP)  # the first access to a non-zero space
    assert found.space == STACK_SPACE and found.vpage == STACK_SP >> PAGE_SHIFT
    physical = found.pfn << PAGE_SHIFT | (STACK_SP & (PAGE_SIZE - 1))
    assert prog.crashdir.memory.read(physical, 16) == prog.read(STACK_SP, 16, STACK_SPACE)
    assert prog.translate(0, 0x694640).pfn == 0x694640 >> PAGE_SHIFT  # equivalently mapped
    with pytest.raises(Q4Error):
        prog.translate(STACK_SPACE + 1, STACK_SP)


def test_unwind_for_and_symbols(prog: Program) -> None:
    panic = prog.symbol("panic")
    entry = prog.unwind_for(panic.address + 4)
    assert entry is not None and entry.start == panic.address
    assert prog.unwind_for(0) is None
    names = {s.name for s in prog.symbols()}
    assert {"panic", "panicstr", "msgbuf"} <= names


def test_read_records_refuses_a_negative_count(prog: Program) -> None:
    with pytest.raises(Q4Error, match="count must be 0 or more"):
        prog.read_records("struct mapent", 0x1000, -1)
    assert prog.read_records("struct mapent", 0x1000, 0) == []


def test_msgbuf_magic_is_shown_unsigned(prog: Program, monkeypatch: pytest.MonkeyPatch) -> None:
    bad = Container(msg_magic=-2, msg_bufx=0, msg_bufr=0)
    monkeypatch.setattr(prog, "read_struct", lambda *args, **kwargs: bad)
    with pytest.raises(Q4Error, match=r"has magic 0xfffffffe, not 0x63061"):
        message_buffer_text(prog)
