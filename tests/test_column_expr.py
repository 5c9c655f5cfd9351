"""`keep`/`forget` over whole columns (q4py.column_expr) against the per-structure evaluator
(q4py.expr.evaluate), the reference: the same values for every structure, and a fallback
(NotVectorised) whenever the per-structure evaluation fails for any structure."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from helpers import Shell
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from q4py import expr
from q4py.addr import format_q4_address
from q4py.column_expr import NotVectorised, evaluate_columns
from q4py.commands import keep as keep_module
from q4py.errors import CommandError, Q4Error, ReadError
from q4py.piles import RecordsEnv
from q4py.program import Program

MEMBERS = ["p_pid", "p_ppid", "p_stat", "p_flag", "p_uid", "p_vas", "p_link", "p_factp"]
LEAVES = st.one_of(
    st.sampled_from(MEMBERS + ["addrof", "indexof", "spaceof", "nproc", "&proc", "nosuch",
                               "p_comm", "physaddrof", "&p_pid", "utsname.nodename",
                               "p_vas->va_rss", "sizeof(proc_t)", '"init"']),
    st.integers(0, 300).map(str),
    st.sampled_from(["0x7fffffff", "0xffffffffffffffff", "0x80000000", "64", "65"]),
)
BINARY = ["||", "&&", "|", "^", "&", "==", "!=", "<", "<=", ">", ">=", "<<", ">>", "+", "-",
          "*", "/", "%"]


def _expressions() -> st.SearchStrategy[str]:
    return st.recursive(
        LEAVES,
        lambda inner: st.one_of(
            st.tuples(inner, st.sampled_from(BINARY), inner).map(
                lambda t: f"({t[0]} {t[1]} {t[2]})"),
            st.tuples(st.sampled_from(["-", "~", "!"]), inner).map(lambda t: f"{t[0]}{t[1]}")),
        max_leaves=6)


@pytest.fixture(scope="module")
def prog(forged_dump: Callable[[str], Path]) -> Program:
    return Program.open(forged_dump("hpux1100-32-kalloc-sysmap"))


@pytest.fixture(scope="module")
def shell(prog: Program) -> Shell:
    shell = Shell(prog)
    shell.text("load proc_t from proc max 48")
    return shell


def _members_exist(prog: Program) -> None:
    layout = prog.types.get("proc_t")
    assert all(layout.field(m) for m in MEMBERS)


@settings(max_examples=100, deadline=None,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture])
@given(text=_expressions())
def test_columns_agree_with_one_structure_at_a_time(prog: Program, shell: Shell,
                                                    text: str) -> None:
    _members_exist(prog)
    records = shell.session.piles.current.records
    node = expr.parse(text)
    env = RecordsEnv(prog, records)
    try:
        columns = evaluate_columns(node, env).tolist()
    except NotVectorised:
        columns = None
    reference: list[int] | None = []
    for position in range(len(records)):
        env.position = position
        try:
            reference.append(expr.evaluate(node, env).value)  # type: ignore[union-attr]
        except (CommandError, Q4Error):
            reference = None
            break
    if reference is None:
        assert columns is None, text  # an error: the caller falls back to the reference
    elif columns is not None:
        assert columns == reference, text


@pytest.mark.parametrize("line", [
    "keep p_pid > 5 && p_uid == 0", "forget p_stat == 1 || p_flag & 0x10",
    "keep p_pid != 0 && 1000 / p_pid > 3", "keep indexof < 10", "forget addrof & 0x40",
    "keep p_comm", "keep nosuch", "keep p_pid / 0", "keep p_vas > nproc * 0x1000",
    "keep physaddrof != 0", "keep -p_pid < 5", "keep p_pid == 0 && nosuch",
    'keep p_comm == "init" || p_pid == 1', "keep p_vas && p_vas->va_rss > 2",
    "keep &p_pid > 0x1a02000", "forget (p_flag & 0x1) == 0",
])
def test_keep_says_the_same_with_or_without_columns(prog: Program, line: str,
                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    def per_structure(node: expr.Node, env: RecordsEnv) -> None:
        raise NotVectorised("disabled")

    results = []
    for disabled in (False, True):
        if disabled:
            monkeypatch.setattr(keep_module, "evaluate_columns", per_structure)
        shell = Shell(prog)
        shell.text("load proc_t from proc max nproc")
        said = shell.text(line)
        current = shell.session.piles.current
        results.append((said, current.count, list(current.records.addresses),
                        list(current.records.indexes), current.records.data))
    assert results[0] == results[1]
    assert results[0][0].startswith(("kept", "forgot", "q4: keep", "q4: forget")), results[0][0]


def test_structures_behind_unreadable_memory_are_dropped_with_one_line(prog: Program) -> None:
    shell = Shell(prog)
    shell.text("load proc_t from proc max 64")
    base, step = 0x1a01000, 0x10000  # words some of which the dump holds, some not
    line = f"*({base:#x} + indexof * {step:#x}) + indexof % 2 == 0"
    held, bad = [], []
    for index in range(64):
        try:
            if prog.read_u32(base + index * step) + index % 2 == 0:
                held.append(index)
        except ReadError:
            bad.append(index)
    others = 64 - len(held) - len(bad)
    assert bad and held and others  # each kind, or the test proves nothing
    dropped = f"(dropped {len(bad)} proc_ts by bad read, the first at " \
              f"{format_q4_address(0, base + bad[0] * step)})"
    assert shell.run(f"keep {line}") == [
        f"kept {len(held)} of 64 proc_ts, discarded {others}", dropped]
    assert [item.index for item in shell.piles.current] == held
    shell.text("recall 1")
    assert shell.run(f"forget {line}") == [
        f"forgot {len(held)} of 64 proc_ts, kept {others}", dropped]
    # Any other error still stops the command: nothing is dropped for a NULL pointer.
    assert shell.run("keep p_link->p_pid == 1")[0].startswith("q4: keep: expression:")
