"""Expressions as engineers write them (q4py.expr): strings and regular expressions on char
arrays, indexing, `->`, `*`, casts, `&`, sizeof, and every address form q4py prints read back;
checked against the library's view of every fixture dump."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

import q4py
from q4py import expr
from q4py.addr import (
    c_hex,
    format_p4_value,
    format_q4_address,
    format_space_offset,
    protect_address_quotes,
)
from q4py.errors import CommandError
from q4py.program import Program
from q4py.shell.pipes import split_pipeline
from tests.conftest import SCENARIOS_DIR
from tests.helpers import Shell
from tests.test_expr import DictEnv, ev

FIXTURES = sorted(p.stem for p in SCENARIOS_DIR.glob("*.toml"))
U64 = st.integers(0, (1 << 64) - 1)
U32 = st.integers(0, (1 << 32) - 1)


# -- every printed address form reads back -------------------------------------------------------
@given(U32, U64, st.booleans())
def test_q4_addresses_read_back(space: int, offset: int, wide: bool) -> None:
    text = format_q4_address(space, offset, wide=wide)
    assert expr.evaluate_text(text, DictEnv()) == expr.Value(offset, space)
    assert expr.evaluate_text(format_space_offset(space, offset), DictEnv()) == \
        expr.Value(offset, space)


@given(U64)
def test_p4_and_c_values_read_back(value: int) -> None:
    assert ev(format_p4_value(value, 8)) == value
    assert ev(format_p4_value(value & 0xFFFFFFFF, 4)) == value & 0xFFFFFFFF
    assert ev(c_hex(value)) == value


def test_the_quote_of_an_address_is_not_a_shell_quote() -> None:
    line = "x 0x0.0x18191a1b'1c1d1e1f + 1"
    assert protect_address_quotes(line) == "x 0x0.0x18191a1b\\'1c1d1e1f + 1"
    # Real quotes stay quotes, and a q4 address inside quotes is left as it is.
    assert protect_address_quotes("keep p_comm == 'java'") == "keep p_comm == 'java'"
    assert protect_address_quotes("x \"0x0.0x18191a1b'1c1d1e1f\"") == \
        "x \"0x0.0x18191a1b'1c1d1e1f\""
    assert split_pipeline("x 0x0.0x18191a1b'1c1d1e1f | cat") == (
        "x 0x0.0x18191a1b'1c1d1e1f", "cat")


# -- strings and regular expressions ---------------------------------------------------------------
def test_strings_compare_and_match() -> None:
    assert ev('"java" == "java"') == 1
    assert ev("'java' != \"jav\"") == 1
    assert ev('"oracle" =~ "^ora"') == 1
    assert ev('"oracle" !~ "cle$"') == 0
    assert ev('"a\\"b" == \'a"b\'') == 1  # a backslash escapes the next character
    assert ev('"p_pid > 5"', DictEnv(fields={"p_pid": 9})) == 1  # a quoted expression


@pytest.mark.parametrize(("text", "message"), [
    ('"a" + 1', "expression: a string at column 1 is not a number: compare a char array "
                "with it (==, !=, =~, !~)"),
    ('1 == "a"', "expression: '==' at column 3 compares a string with a number: the other "
                 "side must be a char array or a string"),
    ('"a" =~ 1', "expression: '=~' at column 5 takes a string on its right (a regular "
                 'expression: p_comm =~ "^ora")'),
    ('"a" =~ "("', "expression: bad regular expression '(' at column 8: missing ), "
                   "unterminated subpattern at position 0"),
    ("p->x", "expression: '->' at column 4 needs a pointer, not a number: cast it, e.g. "
             "((struct proc *)ADDR)->p_pid"),
    ("(struct proc *)8", "expression: type 'struct proc *' at column 1 needs a dump"),
])
def test_bad_typed_expressions_are_one_line(text: str, message: str) -> None:
    with pytest.raises(CommandError) as err:
        ev(text, DictEnv(fields={"p": 16}))
    assert str(err.value) == message


# -- on every fixture dump ----------------------------------------------------------------------
@pytest.fixture(scope="module", params=FIXTURES)
def opened(request: pytest.FixtureRequest,
           forged_dump: Callable[[str], Path]) -> tuple[Program, q4py.dump.Dump]:
    dump = q4py.open(forged_dump(request.param))
    return dump.program, dump


def _x(shell: Shell, text: str) -> int:
    (line,) = shell.run(f"x {text}")
    assert line.startswith(("0x", "0.")), line
    return int(line.rsplit(".", 1)[-1] if line.startswith("0.") else line, 16)


def test_typed_values_agree_with_the_library(opened: tuple[Program, q4py.dump.Dump]) -> None:
    prog, dump = opened
    shell = Shell(prog)
    freemem = dump.symbol("freemem").address
    assert _x(shell, f"*(int *){freemem:#x}") == int(dump["freemem"])
    assert _x(shell, "*(int *)&freemem") == int(dump["freemem"])
    assert _x(shell, "sizeof(struct proc)") == dump.sizeof("struct proc")
    assert _x(shell, "sizeof(proc_t *)") == prog.pointer_size
    assert _x(shell, "utsname.sysname[0]") == ord("H")
    hi, lo = freemem >> 32, freemem & 0xFFFFFFFF
    assert shell.run(f"x 0x0.0x{hi:08x}'{lo:08x}") == [f"0.{freemem:#x}"]
    assert _x(shell, f"0x{hi:08x}_{lo:08x}") == freemem
    for proc in list(dump.processes())[:4]:
        cast = f"((struct proc *){proc.address:#x})"
        assert _x(shell, f"{cast}->p_pid") == proc.pid
        assert _x(shell, f"{cast}->p_vas->va_rss") == proc.rss
        assert _x(shell, f"&{cast}->p_vas") == proc.struct().p_vas.address_


def _load_processes(shell: Shell, prog: Program) -> int:
    """Load the process table (11.00) or list (11i) as a pile; its size."""
    if prog.has_symbol("proc_list"):
        line = shell.run("load struct proc from proc_list next p_factp max nproc")[0]
    else:
        line = shell.run("load struct proc from proc max nproc")[0]
    assert line.startswith("loaded "), line
    return int(line.split()[1])


def test_keep_with_strings_pointers_and_indexes(
        opened: tuple[Program, q4py.dump.Dump]) -> None:
    prog, dump = opened
    procs = list(dump.processes())
    if not procs:  # a scenario that describes no processes: nothing to filter
        assert dump.analyze("user") == []
        return
    shell = Shell(prog)
    _load_processes(shell, prog)
    names = [p.struct().p_comm.value_() for p in procs]
    named = [n for n in names if n]
    if named:  # 11i keeps the name in the proc, 11.00 in pst_ucomms: expressions read both
        name = named[-1]
        wanted = names.count(name)
        assert shell.run(f'keep p_stat != 0 && p_comm == "{name}"')[0].startswith(
            f"kept {wanted} of")
        shell.run("discard")
        prefix = name[:2]
        matching = sum(n.startswith(prefix) for n in names)
        assert shell.run(f"keep p_stat != 0 && p_comm =~ '^{prefix}'")[0].startswith(
            f"kept {matching} of")
        shell.run("discard")
        # `until` keeps its string as typed too: the walk stops before the first such proc.
        table = ("proc_list next p_factp" if prog.has_symbol("proc_list") else "proc")
        walk = shell.run(f'load struct proc from {table} max nproc until p_comm == "{name}"')
        assert any(line.startswith("(stopped by until at") for line in walk), walk
        assert f'"{name}"' not in "\n".join(shell.run("print p_comm"))
        shell.run("discard")
        first = sum(n[:1] == name[0] for n in names)
        assert shell.run(f"keep p_stat != 0 && p_comm[0] == {ord(name[0])}")[0].startswith(
            f"kept {first} of")
        shell.run("discard")
    else:
        assert shell.run('keep p_comm != ""')[0].endswith("; no pile made")
    rss = max(p.rss for p in procs)
    count = sum(p.rss == rss for p in procs)
    assert shell.run(f"keep p_vas != 0 && p_vas->va_rss == {rss}")[0].startswith(
        f"kept {count} of")
    # A NULL pointer followed is one line, and the session goes on.
    shell.run("recall 1")
    if any(p.struct().p_vas.value_() == 0 for p in procs) or not prog.has_symbol("proc_list"):
        errors = shell.run("keep p_vas->va_rss > 0")
        assert len(errors) == 1 and "NULL pointer" in errors[0]
    assert shell.run("keep sizeof(p_comm) == 15 && &p_comm == addrof + "
                     f"{prog.types.get('struct proc').field('p_comm').offset}")[0].startswith(
        "kept ")


def test_not_complement_stays_cs() -> None:
    assert ev("!~0") == 0 and ev("!~x", DictEnv(fields={"x": expr.MASK64})) == 1
    assert ev('"ab" !~ "b$"') == 0
