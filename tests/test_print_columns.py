"""`print`'s columns: numbers formatted a column at once in numpy (q4py.render.numbers) equal
to `format_numbers`, the same table whichever path makes a block, and the column widths: HP's
(header and first row, later rows overflow) by default, every value's widest with
`set print_columns widest`."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest
from helpers import Shell
from hypothesis import given, settings
from hypothesis import strategies as st

from q4py.commands import print_ as print_module
from q4py.commands.print_ import format_numbers
from q4py.program import Program
from q4py.render.numbers import number_cells, overflowing


@st.composite
def _columns(draw: st.DrawFn) -> tuple[list[int], int, bool]:
    size = draw(st.sampled_from([1, 2, 4, 8]))
    signed = draw(st.booleans())
    bits = 8 * size
    low, high = (-(1 << (bits - 1)), (1 << (bits - 1)) - 1) if signed else (0, (1 << bits) - 1)
    edges = st.sampled_from([low, high, 0, 1, -1 if signed else 2, 7, 8, 9, 10, 15, 16])
    values = draw(st.lists(st.one_of(st.integers(low, high), edges), min_size=1, max_size=40))
    return values, size, signed


@settings(max_examples=200, deadline=None)
@given(column=_columns(), radix=st.sampled_from(["x", "o", "d"]), extra=st.integers(0, 3))
def test_number_cells_equal_format_numbers(column: tuple[list[int], int, bool], radix: str,
                                           extra: int) -> None:
    values, size, signed = column
    want = format_numbers(values, radix, size=size, signed=signed)
    width = max(map(len, want)) + extra - 3  # a few rows may overflow
    array = np.array(values, dtype=np.int64 if signed else np.uint64)
    cells, lengths = number_cells(array, radix, width, size=size, signed=signed)
    assert lengths.tolist() == [len(w) for w in want]
    wide = max(width, *map(len, want))
    assert [row.tobytes().decode() for row in cells] == [w.rjust(wide) for w in want]
    shown = overflowing(lengths, max(width, 0), cells.shape[1])
    assert [cells[i][shown[i]].tobytes().decode() for i in range(len(want))] == [
        w.rjust(width) for w in want]


@pytest.fixture(scope="module")
def prog(forged_dump: Callable[[str], Path]) -> Program:
    return Program.open(forged_dump("hpux1100-32-kalloc-sysmap"))


@pytest.mark.parametrize("line", [
    "print -x addrof p_pid p_stat p_flag p_vas", "print -d indexof p_pid p_uid",
    "print -o p_pid p_flag", "print addrof p_vas p_pid p_comm", "print physaddrof p_pid",
    "print -x p_pid",
])
@pytest.mark.parametrize("widths", ["first", "widest"])
def test_the_table_is_the_same_from_numpy_or_line_by_line(
        prog: Program, line: str, widths: str, monkeypatch: pytest.MonkeyPatch) -> None:
    said = []
    for numpy_blocks in (True, False):
        if not numpy_blocks:
            monkeypatch.setattr(print_module, "_block_text", None)  # never called
            monkeypatch.setattr(print_module._Printed, "spec", None)
        monkeypatch.setattr(print_module, "_BLOCK", 100)  # several blocks
        shell = Shell(prog)
        shell.text(f"set print_columns {widths}")
        shell.text("load proc_t from proc max nproc")
        shell.text("keep indexof < 20 || p_pid > 100")
        said.append(shell.run(line))
    assert said[0] == said[1]
    lines = said[0]
    assert len(lines) > 100
    if widths == "widest":  # every row as long as the others: nothing overflows
        assert len({len(x) for x in lines[1:]}) == 1


def test_first_row_widths_are_hps_and_widest_is_an_option(prog: Program) -> None:
    shell = Shell(prog)
    shell.text("load proc_t from proc max nproc")
    shell.text("keep p_stat != 0")
    pids = [format_numbers([item.value.p_pid], "x")[0] for item in shell.piles.current]
    assert len(pids[0]) < 5 < max(map(len, pids))  # a short first pid, longer ones later
    first = shell.run("print -x p_pid indexof")
    # HP's rule: the column is as wide as its name or its first value; longer ones overflow.
    assert first[:2] == ["p_pid indexof", f"{pids[0]:>5} {0:>7}"]
    long = next(i for i, p in enumerate(pids) if len(p) > 5)
    assert first[1 + long].startswith(f"{pids[long]} ")
    assert len(first[1 + long]) > len(first[1])
    assert shell.text("set print_columns widest") == "print_columns  widest\n"
    wide = shell.run("print -x p_pid indexof")
    width = max(map(len, pids))
    assert wide[:2] == [f"{'p_pid':>{width - 1}} indexof", f"{pids[0]:>{width}} {0:>7}"]
    assert all(len(x) == len(wide[1]) for x in wide[1:])
    assert shell.text("set print_columns ragged").startswith("q4: set print_columns: unknown")
