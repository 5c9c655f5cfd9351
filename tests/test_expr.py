"""Tests of q4's expression language (q4py.expr): literals, precedence, 64-bit arithmetic,
names and errors; and of ProgramEnv on the seed dump."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from q4py import expr
from q4py.errors import CommandError
from q4py.expr import MASK64, Value, evaluate, evaluate_text, parse


class DictEnv:
    """Symbols and fields from dicts; unknown names are CommandErrors like the real envs."""

    def __init__(self, symbols: dict[str, tuple[int, int]] | None = None,
                 fields: dict[str, int] | None = None) -> None:
        self.symbols = symbols or {}  # name -> (address, value)
        self.fields = fields or {}
        self.field_lookups: list[str] = []

    def symbol_value(self, name: str) -> int:
        if name not in self.symbols:
            raise CommandError(f"no symbol '{name}'")
        return self.symbols[name][1]

    def symbol_address(self, name: str) -> int:
        if name not in self.symbols:
            raise CommandError(f"no symbol '{name}'")
        return self.symbols[name][0]

    def field(self, name: str) -> int | None:
        self.field_lookups.append(name)
        return self.fields.get(name)


def ev(text: str, env: DictEnv | None = None) -> int:
    return evaluate_text(text, env or DictEnv()).value


# -- literals -------------------------------------------------------------------------------------
@pytest.mark.parametrize(("text", "value"), [
    ("0x1f", 31), ("0X1F", 31), ("31", 31), ("037", 31), ("0", 0), ("00", 0),
    ("0x0`4076da18", 0x4076DA18),
    ("0x1`00000002", (1 << 32) | 2),
    ("0x18191a1b`1c1d1e1f", 0x18191A1B1C1D1E1F),
    ("0x18191a1b'1c1d1e1f", 0x18191A1B1C1D1E1F),  # q4's own output form, pasted back
    ("0x1`0x2", (1 << 32) | 2),
    ("0xffffffffffffffff", MASK64),
])
def test_number_literals(text: str, value: int) -> None:
    assert ev(text) == value


def test_space_offset_literal_keeps_its_space() -> None:
    env = DictEnv()
    assert evaluate_text("0x76db400.0x7fff0d48", env) == Value(0x7FFF0D48, 0x76DB400)
    assert evaluate_text("0.0x804920", env) == Value(0x804920, 0)
    assert evaluate_text("0x0.0x18191a1b`1c1d1e1f", env) == Value(0x18191A1B1C1D1E1F, 0)
    # Address arithmetic stays in the space; anything else is a plain number.
    assert evaluate_text("0x5.0x1000 + 8", env) == Value(0x1008, 5)
    assert evaluate_text("8 + 0x5.0x1000", env) == Value(0x1008, 5)
    assert evaluate_text("0x5.0x1000 - 0x10", env) == Value(0xFF0, 5)
    assert evaluate_text("0x5.0x1000 * 2", env) == Value(0x2000, None)
    assert evaluate_text("0x5.0x1000 - 0x5.0x800", env).space is None
    assert evaluate_text("42", env).space is None


@pytest.mark.parametrize(("text", "message"), [
    ("08", "expression: bad octal number '08' at column 1"),
    ("0x", "expression: bad number '0x' at column 1: hex digits expected after 0x"),
    ("12abc", "expression: bad number '12abc' at column 1"),
    ("1 + 0x12g", "expression: bad number '0x12g' at column 5"),
    ("0x1`", "expression: bad 64-bit number '0x1`' at column 1: the low half after '`' is "
             "1 to 8 hex digits"),
    ("0x1`123456789", "expression: bad 64-bit number '0x1`123456789' at column 1: the low "
                      "half after '`' is 1 to 8 hex digits"),
    ("0x100000000`0", "expression: bad 64-bit number '0x100000000`0' at column 1: the high "
                      "half does not fit in 32 bits"),
    ("0x10000000000000000", "expression: number '0x10000000000000000' at column 1 does not "
                            "fit in 64 bits"),
    ("0x100000000.0", "expression: space 0x100000000 at column 1 does not fit in 32 bits"),
])
def test_bad_numbers(text: str, message: str) -> None:
    with pytest.raises(CommandError) as err:
        parse(text)
    assert str(err.value) == message


# -- operators ------------------------------------------------------------------------------------
@pytest.mark.parametrize(("text", "value"), [
    ("1 + 2 * 3", 7), ("(1 + 2) * 3", 9), ("10 - 4 - 3", 3), ("100 / 10 / 5", 2),
    ("7 % 4", 3), ("1 << 4 + 1", 32), ("256 >> 2 >> 1", 32),
    # C, not Python: == binds tighter than &, | and ^.
    ("1 & 2 == 2", 1), ("6 | 1 == 1", 7), ("3 ^ 1 != 0", 2),
    ("1 < 2 == 1", 1), ("2 > 1 > 0", 1),
    ("1 || 0 && 0", 1), ("(1 || 0) && 0", 0), ("0 && 1 || 1", 1),
    ("5 && 7", 1), ("!5", 0), ("!0", 1), ("~0", MASK64), ("- 1", MASK64),
    ("-1 == 0xffffffffffffffff", 1), ("0 - 1", MASK64), ("-(-3)", 3), ("+4", 4),
    ("1 << 63 << 1", 0), ("1 << 64", 0), ("1 << 200", 0), ("-1 >> 60", 0xF),
    ("0xffffffffffffffff + 2", 1), ("0x8000000000000000 * 2", 0),
    ("-1 > 0", 1),  # unsigned comparison
    ("3 <= 3", 1), ("3 >= 4", 0), ("2 != 2", 0),
    ("- 2 * 3", (-6) & MASK64), ("~1 & 0xff", 0xFE), ("!1 + 1", 1),
])
def test_c_precedence_and_64_bit_arithmetic(text: str, value: int) -> None:
    assert ev(text) == value


def test_logical_operators_short_circuit() -> None:
    env = DictEnv(fields={"a": 0, "b": 1})
    assert ev("a && missing", env) == 0
    assert ev("b || missing", env) == 1
    with pytest.raises(CommandError, match="no symbol 'missing'"):
        ev("b && missing", env)


def test_division_by_zero_names_its_column() -> None:
    with pytest.raises(CommandError) as err:
        ev("1 + 4 / (2 - 2)")
    assert str(err.value) == "expression: division by zero at column 7"
    with pytest.raises(CommandError, match="division by zero at column 3"):
        ev("5 % 0")


# -- names ----------------------------------------------------------------------------------------
def test_fields_come_before_symbols_and_dotted_names_reach_members() -> None:
    env = DictEnv(symbols={"nproc": (0x1000, 276), "p_stat": (0x2000, 99)},
                  fields={"p_stat": 3, "b_un.b_addr": 0x4000})
    assert ev("p_stat", env) == 3
    assert ev("nproc", env) == 276  # a bare symbol is its value
    assert ev("&nproc", env) == 0x1000  # & is its address
    assert ev("&p_stat", env) == 0x2000  # & always means the symbol
    assert ev("b_un.b_addr + 1", env) == 0x4001
    assert "b_un.b_addr" in env.field_lookups
    assert ev("p_stat != 0 && nproc > 100", env) == 1
    negative = DictEnv(fields={"p_pid": -1})
    assert ev("p_pid == -1", negative) == 1  # signed members wrap like literals


def test_name_tokens() -> None:
    node = parse("$global$ + _x9")
    assert isinstance(node, expr.Binary)
    assert isinstance(node.left, expr.Name) and node.left.name == "$global$"
    assert isinstance(node.right, expr.Name) and node.right.name == "_x9"


# -- errors ---------------------------------------------------------------------------------------
@pytest.mark.parametrize(("text", "message"), [
    ("1 + 2 )", "expression: unexpected ')' at column 7"),
    ("(1 + 2))", "expression: unexpected ')' at column 8"),
    ("", "expression: empty expression"),
    ("   ", "expression: empty expression"),
    ("1 +", "expression: unexpected end of expression at column 4"),
    ("(1 + 2", "expression: unexpected end of expression at column 7: ')' expected to close "
               "the '(' at column 1"),
    ("1 2", "expression: unexpected '2' at column 3"),
    ("a = 1", "expression: unexpected '=' at column 3"),
    ("1 $ 2", "expression: unexpected '$' at column 3"),
    ("&3", "expression: unexpected '3' at column 2: '&' takes a symbol name"),
    ("& -x", "expression: unexpected '-' at column 3: '&' takes a symbol name"),
    ("* 4 *", "expression: unexpected end of expression at column 6"),
    ("p[1", "expression: unexpected end of expression at column 4: ']' expected to close "
            "the '[' at column 2"),
    ("p->3", "expression: unexpected '3' at column 4: a member name expected after '->'"),
    ('"ab', "expression: unterminated string at column 1"),
    ("(struct proc *", "expression: unexpected end of expression at column 15: a type and "
                       "')' expected after the '(' at column 1"),
    ("sizeof 4", "expression: unexpected '4' at column 8: sizeof takes a type or a name in "
                 "parentheses: sizeof(struct proc)"),
    ("1 . 2", "expression: unexpected '.' at column 3"),
    ("x ? 1 : 2", "expression: unexpected '?' at column 3"),
])
def test_parse_errors_name_the_column(text: str, message: str) -> None:
    with pytest.raises(CommandError) as err:
        parse(text)
    assert str(err.value) == message


def test_nesting_is_bounded_without_recursion_errors() -> None:
    assert ev("(" * 150 + "1" + ")" * 150) == 1
    assert ev("-" * 150 + "1") == 1  # an even number of negations
    with pytest.raises(CommandError, match="too deeply nested"):
        parse("(" * 5000 + "1" + ")" * 5000)
    with pytest.raises(CommandError, match="too deeply nested"):
        parse("!" * 5000 + "1")
    with pytest.raises(CommandError, match="too deeply nested"):
        parse("1 + (" * 5000 + "1" + ")" * 5000)


def test_a_flat_chain_is_not_nesting() -> None:
    # Left-associative chains are folded in a loop: any length, no "too deeply nested".
    assert ev(" + ".join(["1"] * 5000)) == 5000
    assert ev(" - ".join(["1"] * 300)) == (1 - 299) & MASK64
    assert ev("1 || " * 300 + "0") == 1
    assert ev("2 * 3 + 4 * 5 - 6 / 2 << 1") == ((6 + 20 - 3) << 1)


# -- property tests -------------------------------------------------------------------------------
_ALPHABET = "0123456789abcdefxX`'.()+-*/%<>=!&|^~ \t_$pqz#?,;:\"[]{}"


@settings(max_examples=400, deadline=None)
@given(st.text(alphabet=_ALPHABET, max_size=40) | st.text(max_size=30))
def test_random_text_only_raises_command_error(text: str) -> None:
    env = DictEnv(symbols={"pq": (16, 32)}, fields={"z": 7})
    try:
        node = parse(text)
    except CommandError:
        return
    try:
        value = evaluate(node, env)
    except CommandError:
        return
    assert 0 <= value.value <= MASK64


_OPS = {
    "+": lambda a, b: (a + b) & MASK64, "-": lambda a, b: (a - b) & MASK64,
    "*": lambda a, b: (a * b) & MASK64, "&": lambda a, b: a & b, "|": lambda a, b: a | b,
    "^": lambda a, b: a ^ b, "==": lambda a, b: int(a == b), "<": lambda a, b: int(a < b),
    ">>": lambda a, b: a >> b, "&&": lambda a, b: int(bool(a) and bool(b)),
}


@st.composite
def _trees(draw: st.DrawFn, depth: int = 0) -> tuple[str, int]:
    """(fully parenthesised text, its value) computed independently of the parser."""
    if depth > 4 or draw(st.booleans()):
        n = draw(st.integers(0, MASK64))
        form = draw(st.sampled_from(["hex", "dec", "oct", "split"]))
        text = {"hex": hex(n), "dec": str(n), "oct": "0" + format(n, "o") if n else "0",
                "split": f"{n >> 32:#x}`{n & 0xFFFFFFFF:08x}"}[form]
        return text, n
    op = draw(st.sampled_from(sorted(_OPS)))
    left_text, left = draw(_trees(depth + 1))
    right_text, right = draw(_trees(depth + 1))
    return f"({left_text} {op} {right_text})", _OPS[op](left, right)


@settings(max_examples=200, deadline=None)
@given(_trees())
def test_parenthesised_trees_evaluate_like_a_reference(tree: tuple[str, int]) -> None:
    text, value = tree
    assert ev(text) == value


# -- ProgramEnv on a real (forged) dump -----------------------------------------------------------
@pytest.fixture(scope="module")
def seed_program(forged_dump: Callable[[str], Path]):  # noqa: ANN201
    from q4py.program import Program

    return Program.open(forged_dump("hpux1100-32-kalloc-sysmap"))


def test_program_env_dereferences_symbols(seed_program) -> None:  # noqa: ANN001
    prog = seed_program
    env = expr.ProgramEnv(prog)
    assert ev("nproc", env) == prog.read_global("nproc")
    assert ev("&nproc", env) == prog.symbol("nproc").address
    assert ev("proc", env) == prog.read_global("proc")  # a pointer: its value
    assert ev("avenrun", env) == prog.symbol("avenrun").address  # an array decays
    assert ev("nproc * 2 + 1", env) == prog.read_global("nproc") * 2 + 1
    with pytest.raises(CommandError) as err:
        ev("utsname", env)
    assert str(err.value) == ("'utsname' is a struct utsname, not a number: "
                              "use &utsname for its address")
    with pytest.raises(CommandError) as err:
        ev("nosuchsym + 1", env)
    assert str(err.value) == "no symbol 'nosuchsym' in the kernel"
