"""Arguments per frame: a call site that fills its outgoing argument area before the branch
(`kernel.functions[].outgoing_args`), and a recursive call site whose frames hold different
arguments (`args` as a list of tables, one per frame)."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
from conftest import REPO_ROOT
from helpers import forged_program

from q4py.errors import ScenarioError
from q4py.forge.scenario import tomllib
from q4py.kernel.args import caller_stored_arguments, segment_frame_arguments
from q4py.kernel.events import crash_events
from q4py.unwind import unwind_event


def _tiny() -> dict[str, Any]:
    """The worked example of docs/scenario-format.md (a narrow kernel, panic() from main())."""
    text = (REPO_ROOT / "docs" / "scenario-format.md").read_text(encoding="utf-8")
    match = re.search(r"```toml\n(.*?)```", text, re.S)
    assert match
    return tomllib.loads(match.group(1))


def _recursive(args: dict[str, Any], outgoing: dict[str, list[int]] | None = None
               ) -> dict[str, Any]:
    """panic() called from walk(), which main() called and which called itself twice."""
    sc = _tiny()
    sc["kernel"]["functions"][0]["stored_args"] = [0]
    sc["kernel"]["functions"].append({
        "name": "walk", "address": 0x3000, "size": 0x200, "frame": 0x60, "stored_args": [1],
        "outgoing_args": {"0x40": [0, 2]} if outgoing is None else outgoing})
    sc["events"][0]["contexts"][0] = {
        "calls": ["panic+0x14", "walk+0x80", "walk+0x40", "walk+0x40", "main+0x40"],
        "args": args}
    return sc


def test_a_recursive_site_holds_each_frames_own_arguments(tmp_path: Path) -> None:
    prog = forged_program(_recursive({
        "panic+0x14": {"arg0": 0x99},
        "walk+0x40": [{"arg0": 0x11, "arg1": 0x21, "arg2": 0x31}, {"arg1": 0x22}]}), tmp_path)
    [segment] = unwind_event(prog, crash_events(prog)[0]).segments
    assert [f.name for f in segment.frames] == ["panic+0x14", "walk+0x80", "walk+0x40",
                                                "walk+0x40", "main+0x40"]
    # walk+0x40 stores arg0 and arg2 before its call; walk+0x80 and main+0x40 store none.
    assert [caller_stored_arguments(prog, f.pc) for f in segment.frames[1:]] == [[], [0, 2],
                                                                                [0, 2], []]
    values = [segment_frame_arguments(prog, segment, k).values for k in range(5)]
    assert values[0] == {0: 0x99}
    assert values[1] == {0: 0, 1: 0, 2: 0}  # the scenario gave it none: empty slots
    assert values[2] == {0: 0x11, 1: 0x21, 2: 0x31}  # called by walk: its stores and its own
    assert values[3] == {1: 0x22}  # called by main: only what walk's prologue stored
    assert values[4] == {}


def test_one_table_is_every_frames(tmp_path: Path) -> None:
    prog = forged_program(_recursive({"walk+0x40": {"arg1": 0x7}}), tmp_path)
    [segment] = unwind_event(prog, crash_events(prog)[0]).segments
    assert [segment_frame_arguments(prog, segment, k).values.get(1) for k in (2, 3)] == [7, 7]


@pytest.mark.parametrize(("args", "outgoing", "message"), [
    ({"walk+0x40": [{"arg1": 1}, {"arg1": 2}, {"arg1": 3}]}, None,
     r"3 tables for the 2 frames at walk\+0x40"),
    ({"walk+0x40": [{"arg1": 1}, {"arg0": 2}]}, None,
     r"walk\+0x40\[1\]\.arg0.*walk does not store arg0"),
    ({}, {"0x10": [0, 1, 2]}, r"outgoing_args\.0x10.*no room for 3 stores"),
    # Right after walk's three-word prologue they would read as more of it.
    ({}, {"0x1c": [0, 2]}, r"outgoing_args\.0x1c.*no room for 2 stores"),
])
def test_arguments_a_frame_cannot_hold_are_scenario_errors(
        tmp_path: Path, args: dict[str, Any], outgoing: dict[str, list[int]] | None,
        message: str) -> None:
    with pytest.raises(ScenarioError, match=message):
        forged_program(_recursive(args, outgoing), tmp_path)
