"""Tests of the pile model (q4py.piles): numbering, `it`, recall, names, discard; records kept
as bytes and decoded column by column (q4py.layouts.columns) as the construct model does."""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from q4py.errors import CommandError, Q4Error
from q4py.layouts import NARROW, WIDE, Layout, registry_for
from q4py.piles import (
    NO_PILE,
    Pile,
    PileHistory,
    PileItem,
    Records,
    check_name,
    count_of,
    field_value,
)

BUF = registry_for(NARROW).get("struct buf")


def items(*addresses: int) -> list[PileItem]:
    return [PileItem(0, a, {"b_flags": i, "b_un": {"b_addr": a + 1}}, i)
            for i, a in enumerate(addresses)]


def make(history: PileHistory, *addresses: int, kind: str = "array",
         command: str = "load") -> Pile:
    return history.make(BUF, "struct buf", kind, items(*addresses), command)


def test_an_empty_history_has_no_current_pile() -> None:
    history = PileHistory()
    assert history.empty and len(history) == 0 and history.list() == []
    with pytest.raises(CommandError) as err:
        _ = history.current
    assert str(err.value) == NO_PILE == "no current pile: load something first"
    with pytest.raises(CommandError, match="no current pile"):
        history.discard()
    with pytest.raises(CommandError, match="no current pile"):
        history.name_current("x")


def test_push_numbers_piles_and_the_newest_is_it() -> None:
    history = PileHistory()
    first = make(history, 0x100, 0x200, command="load a")
    second = make(history, 0x300, kind="list", command="load b")
    assert (first.number, second.number) == (1, 2)
    assert history.current is second
    assert history.get("it") is second
    assert history.get(1) is first and history.get("1") is first
    assert [p.number for p in history.list()] == [1, 2]
    assert second.count == len(second) == 1
    assert [i.address for i in first] == [0x100, 0x200]
    with pytest.raises(CommandError) as err:
        history.get(7)
    assert str(err.value) == "no pile 7 in the history (type 'history' to see them)"


def test_empty_piles_are_never_pushed() -> None:
    history = PileHistory()
    with pytest.raises(Q4Error):
        history.make(BUF, "struct buf", "kept", [], "keep 0")
    assert history.empty


def test_unknown_layout_words_are_refused() -> None:
    with pytest.raises(ValueError):
        Pile(0, None, BUF, "struct buf", "heap", (), "x")


def test_discard_makes_the_previous_pile_current_and_numbers_are_not_reused() -> None:
    history = PileHistory()
    make(history, 0x100)
    make(history, 0x200)
    dropped = history.discard()
    assert dropped.number == 2
    assert history.current.number == 1
    third = make(history, 0x300)
    assert third.number == 3  # never 2 again
    with pytest.raises(CommandError, match="no pile 2"):
        history.get(2)


def test_recall_pushes_a_copy_and_leaves_the_old_pile_alone() -> None:
    history = PileHistory()
    old = make(history, 0x100, 0x200, kind="list", command="load x")
    make(history, 0x300)
    copy = history.recall(1, "recall 1")
    assert copy.number == 3 and history.current is copy
    assert copy.items == old.items and copy.layout_kind == "list"
    assert copy.command == "recall 1" and copy.name is None
    assert history.get(1) is old
    # Discarding the copy goes back to the pile that was current before the recall.
    history.discard()
    assert history.current.number == 2


def test_names_are_unique_and_move() -> None:
    history = PileHistory()
    make(history, 0x100)
    named = history.name_current("procs")
    assert named.name == "procs" and named.label == "pile 1 (procs)"
    assert history.get("procs").number == 1
    make(history, 0x200)
    history.name_current("procs")
    assert history.get("procs").number == 2
    assert history.get(1).name is None
    assert history.recall("procs", "recall procs").items == history.get(2).items
    with pytest.raises(CommandError) as err:
        history.get("nothing")
    assert str(err.value) == "no pile called 'nothing' in the history (type 'history' to see them)"


@pytest.mark.parametrize("name", ["it", "12", "1abc", "a-b", "", "a.b"])
def test_bad_names_are_refused(name: str) -> None:
    with pytest.raises(CommandError, match="cannot name a pile"):
        check_name(name)


def test_count_of_pluralises_like_q4() -> None:
    assert count_of(2, "struct buf") == "2 struct bufs"
    assert count_of(1, "struct buf") == "1 struct buf"
    assert count_of(0, "proc_t") == "0 proc_ts"


def test_field_value_walks_nested_members() -> None:
    value = {"b_flags": 3, "b_un": {"b_addr": 0x4000}}
    assert field_value(value, "b_un.b_addr") == 0x4000
    assert field_value(value, "b_flags") == 3


# -- records: bytes kept, members decoded column by column ----------------------------------------
def _records(layout: Layout, blob: bytes, pieces: int = 1) -> Records:
    count = len(blob) // layout.size
    step = max(1, count // pieces) * layout.size
    chunks = [blob[i:i + step] for i in range(0, len(blob), step)]
    return Records(layout, [0] * count, [0x1000 + i * layout.size for i in range(count)],
                   range(count), data=chunks)


def _same(a: Any, b: Any) -> bool:
    if isinstance(a, float) and isinstance(b, float):
        return a == b or (math.isnan(a) and math.isnan(b))
    if isinstance(a, dict):
        return all(_same(a[k], b[k]) for k in a if not k.startswith("_"))
    if isinstance(a, list):
        return len(a) == len(b) and all(map(_same, a, b))
    return bool(a == b)


LAYOUTS = [layout for abi in (NARROW, WIDE) for layout in registry_for(abi).layouts()]


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(layout=st.sampled_from(LAYOUTS), data=st.data())
def test_every_column_equals_the_construct_model(layout: Layout, data: st.DataObject) -> None:
    count = data.draw(st.integers(1, 5))
    blob = data.draw(st.binary(min_size=count * layout.size, max_size=count * layout.size))
    records = _records(layout, blob, pieces=data.draw(st.integers(1, 3)))
    parsed = [layout.parse(blob[i * layout.size:(i + 1) * layout.size]) for i in range(count)]
    for member in layout.walk():
        column = records.column(member.name)
        want = [field_value(value, member.name) for value in parsed]
        assert _same(list(column), want), member.name
        # one member of one record, as `keep` and `until` decode it
        assert _same(records.items()[0].member(member.name), want[0]), member.name


def test_items_are_decoded_on_first_use_and_equal_eager_ones() -> None:
    blob = bytes(range(256)) * 2
    records = _records(BUF, blob[:2 * BUF.size])
    lazy = records.items()
    assert records.items() is lazy  # made once
    first = lazy[0]
    assert first.record == blob[:BUF.size]
    assert repr(first).endswith("value=<undecoded>)")
    eager = PileItem(0, first.address, BUF.parse(first.record), 0)
    assert first == eager and first.value == eager.value  # decoding on demand
    assert first != PileItem(0, first.address, BUF.parse(first.record), 1)  # another index
    with pytest.raises(AttributeError):
        first.address = 0  # type: ignore[misc]


def test_records_keep_pieces_apart_and_join_them_once() -> None:
    blob = bytes(range(256)) * (3 * BUF.size // 256 + 1)
    blob = blob[:3 * BUF.size]
    records = _records(BUF, blob, pieces=3)
    assert list(records.column("b_flags")) == [
        BUF.parse(blob[i * BUF.size:(i + 1) * BUF.size]).b_flags for i in range(3)]
    assert records.data == blob and records.record(2) == blob[2 * BUF.size:]
    kept = records.take([2, 0])
    assert list(kept.addresses) == [records.addresses[2], records.addresses[0]]
    assert list(kept.indexes) == [2, 0] and kept.data == records.record(2) + records.record(0)
    assert len(records.take([])) == 0 and records.take([]).data == b""
    masked = records.take(np.array([True, False, True]))
    assert list(masked.addresses) == [records.addresses[0], records.addresses[2]]
    with pytest.raises(ValueError):
        Records(BUF, [0], [0], [0], data=b"short")


def test_a_pile_of_decoded_values_works_like_one_of_bytes() -> None:
    history = PileHistory()
    pile = make(history, 0x100, 0x200)
    assert pile.records.data is None
    assert list(pile.records.column("b_flags")) == [0, 1]
    assert list(pile.records.column("b_un.b_addr")) == [0x101, 0x201]
    assert list(pile.records.pseudo_column(None, "addrof")) == [0x100, 0x200]  # type: ignore
    kept = pile.records.take([1])
    assert kept.values == [pile.items[1].value] and list(kept.indexes) == [1]
