"""Tests of the pile model (q4py.piles): numbering, `it`, recall, names, discard."""

from __future__ import annotations

import pytest

from q4py.errors import CommandError, Q4Error
from q4py.layouts import NARROW, registry_for
from q4py.piles import (
    NO_PILE,
    Pile,
    PileHistory,
    PileItem,
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
