"""An expression evaluated over whole columns of a pile at once (`keep`, `forget`).

`evaluate_columns(node, env)` gives the value of a parsed expression (q4py.expr) for every
structure of some Records as one numpy array of unsigned integers, with q4's semantics: 64-bit
unsigned arithmetic with wraparound, comparisons and `!` giving 0 or 1, `<<` of 64 or more giving 0,
`&&` and `||` evaluating their right side only for the structures whose left side asks for it
(so a division guarded by `x != 0 &&` never sees the zero). Members come from the pile's
columns (q4py.layouts.dtypes), the pseudo-fields from its address, index and space columns,
symbols are read once.

What cannot be done this way raises `NotVectorised`, and the caller evaluates the expression
one structure at a time (q4py.expr.evaluate), the reference: a node kind this module does not
know (strings, `->`, `[N]`, `*`, casts, sizeof), a member that is not an integer (a char array
compares as text), an array global, `&member`, a pile of decoded values,
and any error at all (a division by zero, an unknown symbol, physaddrof without a
translation), so that which error is reported, and when, is exactly the per-structure one.

Values are kept as narrow as they can be: an unsigned member is its column as the dump stores
it (big-endian, a view of the records: numpy's operators read it so, nothing is copied), a
constant or a symbol is a Python int (broadcast, never a column), a comparison is a column of
bytes. `&`, `|`, `^` and the comparisons work on those
as they are (their results are the same as in 64 bits); everything else widens to 64 bits.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from q4py import expr
from q4py.errors import Q4Error
from q4py.layouts import LayoutError
from q4py.piles import PSEUDO_FIELDS, column_array

if TYPE_CHECKING:
    from q4py.piles import RecordsEnv

_U64 = np.uint64
MASK64 = expr.MASK64
_NARROW_OPS = frozenset(("&", "|", "^", "==", "!=", "<", "<=", ">", ">="))
_COMPARE = {"==": np.equal, "!=": np.not_equal, "<": np.less, "<=": np.less_equal,
            ">": np.greater, ">=": np.greater_equal}
# A value for some structures: one per structure (an unsigned numpy array), or the same for all.
Values = np.ndarray | int


class NotVectorised(Exception):
    """The expression, or this pile, needs evaluating one structure at a time."""


def evaluate_columns(node: expr.Node, env: RecordsEnv) -> np.ndarray:
    """The value of `node` for every structure of `env.records` (unsigned integers)."""
    evaluator = _Columns(env)
    try:
        with np.errstate(over="ignore"):
            result = evaluator.value(node, None)
    except (Q4Error, LayoutError, ZeroDivisionError, OverflowError, RecursionError) as err:
        raise NotVectorised(str(err)) from err
    if isinstance(result, np.ndarray):
        return result
    return np.full(evaluator.count, result, dtype=_U64)


def _wide(values: Values) -> Values:
    """`values` as 64-bit unsigned integers (a scalar stays a Python int)."""
    if isinstance(values, np.ndarray) and values.dtype != _U64:
        return values.astype(_U64)
    return values


def _operands(left: Values, right: Values, narrow: bool) -> tuple[Values, Values]:
    """Both sides of a binary operator in a common type: as they are when `narrow` and a
    constant fits the column's type, else 64 bits (a constant then a numpy uint64)."""
    if narrow:
        if isinstance(left, np.ndarray) and isinstance(right, np.ndarray):
            return left, right  # numpy widens the narrower: the values are exact
        column, constant = (left, right) if isinstance(left, np.ndarray) else (right, left)
        if constant <= np.iinfo(column.dtype).max:  # type: ignore[operator]
            return left, right
    left, right = _wide(left), _wide(right)
    if isinstance(left, int):
        left = _U64(left)
    if isinstance(right, int):
        right = _U64(right)
    return left, right


def _truth(values: Values) -> Values:
    """1 where `values` is non-zero, 0 elsewhere (bytes)."""
    if isinstance(values, np.ndarray):
        return (values != 0).view(np.uint8)
    return int(values != 0)


class _Columns:
    def __init__(self, env: RecordsEnv) -> None:
        records = env.records
        if records.values is not None:
            raise NotVectorised("a pile of decoded values")
        self.env = env
        self.records = records
        self.count = len(records)
        self.columns: dict[str, np.ndarray] = {}
        self.symbols: dict[tuple[str, bool], int] = {}

    # -- leaves ------------------------------------------------------------------------------
    def name(self, name: str, rows: np.ndarray | None) -> Values:
        column = self.columns.get(name)
        if column is None:
            column = self._column(name)
            if column is None:  # not a member: a symbol, the same for every structure
                if "." in name:
                    raise NotVectorised("a member of a global structure")
                if self._typed_global(name):
                    raise NotVectorised("an array global (its text compares)")
                return self.symbol(name, address=False)
            self.columns[name] = column
        return column if rows is None else column[rows]

    def _column(self, name: str) -> np.ndarray | None:
        records = self.records
        if name in PSEUDO_FIELDS:
            if name == "physaddrof":
                raise NotVectorised("physaddrof translates one structure at a time")
            values = {"addrof": records.addresses, "indexof": records.indexes,
                      "spaceof": records.spaces}[name]
            return column_array(values).astype(_U64, copy=False)
        try:
            member = records.layout.field(name)
        except LayoutError:
            return None
        ctype = member.ctype
        if ctype.kind not in ("int", "pointer", "bitfield"):
            raise NotVectorised(f"{name} is a {ctype.spelling}")
        # Unsigned members as stored (big-endian, not copied: numpy's operators read them so).
        column = np.asarray(records.column(name, as_stored=True))
        # A signed member is its value in two's complement of 64 bits, as `int(v) & MASK64`.
        return column.view(_U64) if column.dtype == np.int64 else column

    def _typed_global(self, name: str) -> bool:
        """Whether a global has an array type (q4py.expr gives it its type and text)."""
        try:
            ctype = self.env.program.global_ctype(name)
        except Q4Error:
            return False
        return ctype.kind in ("array", "chars")

    def symbol(self, name: str, *, address: bool) -> int:
        key = (name, address)
        if key not in self.symbols:
            env = self.env
            found = env.symbol_address(name) if address else env.symbol_value(name)
            self.symbols[key] = found & MASK64
        return self.symbols[key]

    # -- nodes -------------------------------------------------------------------------------
    def value(self, node: expr.Node, rows: np.ndarray | None) -> Values:
        """`node` for the structures at `rows` (None: all of them)."""
        kind = type(node)
        if kind is expr.Number:
            return node.value  # type: ignore[attr-defined,no-any-return]
        if kind is expr.Name:
            return self.name(node.name, rows)  # type: ignore[attr-defined]
        if kind is expr.AddressOf:
            target, name = node.target, node.name  # type: ignore[attr-defined]
            if target is not None or self.records.layout.has_field(name.split(".")[0]):
                raise NotVectorised("the address of an object or member")
            return self.symbol(name, address=True)
        if kind is expr.Unary:
            operand = self.value(node.operand, rows)  # type: ignore[attr-defined]
            op = node.op  # type: ignore[attr-defined]
            if op == "!":
                if isinstance(operand, np.ndarray):
                    return (operand == 0).view(np.uint8)
                return int(operand == 0)
            if isinstance(operand, int):
                return (-operand if op == "-" else ~operand) & MASK64
            wide = _wide(operand)
            return _U64(0) - wide if op == "-" else ~wide  # type: ignore[operator]
        if kind is expr.Binary:
            spine = []  # the left-associative chain, folded without recursion (as expr does)
            while type(node) is expr.Binary:
                spine.append(node)
                node = node.left  # type: ignore[attr-defined]
            result = self.value(node, rows)
            for binary in reversed(spine):
                result = self.binary(binary, result, rows)  # type: ignore[arg-type]
            return result
        raise NotVectorised(f"{kind.__name__} nodes")

    def binary(self, node: expr.Binary, left: Values, rows: np.ndarray | None) -> Values:
        op = node.op
        if op in ("&&", "||"):
            return self._logical(node, left, rows)
        right = self.value(node.right, rows)
        if op not in _NARROW_OPS and op not in ("+", "-", "*", "/", "%", "<<", ">>"):
            raise NotVectorised(f"operator {op}")
        if isinstance(left, int) and isinstance(right, int):
            # The same for every structure: q4py.expr's own arithmetic.
            return expr.evaluate(expr.Binary(node.column, 1, op, expr.Number(0, 1, left),
                                             expr.Number(0, 1, right)), self.env).value
        a, b = _operands(left, right, op in _NARROW_OPS)
        if op in _COMPARE:
            return _COMPARE[op](a, b).view(np.uint8)  # type: ignore[no-any-return]
        if op == "&":
            return a & b  # type: ignore[operator,no-any-return]
        if op == "|":
            return a | b  # type: ignore[operator,no-any-return]
        if op == "^":
            return a ^ b  # type: ignore[operator,no-any-return]
        if op == "+":
            return a + b  # type: ignore[operator,no-any-return]
        if op == "-":
            return a - b  # type: ignore[operator,no-any-return]
        if op == "*":
            return a * b  # type: ignore[operator,no-any-return]
        if op in ("/", "%"):
            if not np.all(b):
                raise ZeroDivisionError(f"division by zero at column {node.column}")
            return a // b if op == "/" else a % b  # type: ignore[operator,no-any-return]
        short = b < 64  # type: ignore[operator]
        shifted = a << (b & _U64(63)) if op == "<<" else a >> (b & _U64(63))  # type: ignore
        return np.where(short, shifted, _U64(0))  # type: ignore[no-any-return]

    def _logical(self, node: expr.Binary, left: Values, rows: np.ndarray | None) -> Values:
        """`&&` and `||`: the right side only where C evaluates it (where the left is true for
        &&, false for ||), and there it decides."""
        op = node.op
        if isinstance(left, int):
            if bool(left) == (op == "&&"):
                return _truth(self.value(node.right, rows))
            return int(bool(left))
        truth = _truth(left)
        wanted = truth if op == "&&" else 1 - truth  # type: ignore[operator]
        positions = np.flatnonzero(wanted)
        if not len(positions):
            return truth
        result = truth.copy()  # type: ignore[union-attr]
        where = positions if rows is None else rows[positions]
        result[positions] = _truth(self.value(node.right, where))
        return result
