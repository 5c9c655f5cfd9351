"""An expression evaluated over whole columns of a pile at once (`keep`, `forget`).

`evaluate_columns(node, env)` gives the value of a parsed expression (q4py.expr) for every
structure of some Records as one numpy uint64 array, with q4's semantics: 64-bit unsigned
arithmetic with wraparound, comparisons and `!` giving 0 or 1, `<<` of 64 or more giving 0,
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


class NotVectorised(Exception):
    """The expression, or this pile, needs evaluating one structure at a time."""


def evaluate_columns(node: expr.Node, env: RecordsEnv) -> np.ndarray:
    """The value of `node` for every structure of `env.records` (a uint64 array)."""
    evaluator = _Columns(env)
    try:
        with np.errstate(over="ignore"):
            return evaluator.value(node, None)
    except (Q4Error, LayoutError, ZeroDivisionError, OverflowError, RecursionError) as err:
        raise NotVectorised(str(err)) from err


class _Columns:
    def __init__(self, env: RecordsEnv) -> None:
        records = env.records
        if records.structured is None:
            raise NotVectorised("a pile of decoded values")
        self.env = env
        self.records = records
        self.count = len(records)
        self.columns: dict[str, np.ndarray] = {}
        self.symbols: dict[tuple[str, bool], int] = {}

    # -- leaves ------------------------------------------------------------------------------
    def name(self, name: str, rows: np.ndarray | None) -> np.ndarray:
        column = self.columns.get(name)
        if column is None:
            column = self._column(name)
            if column is None:  # not a member: a symbol, the same for every structure
                if "." in name:
                    raise NotVectorised("a member of a global structure")
                if self._typed_global(name):
                    raise NotVectorised("an array global (its text compares)")
                return self._scalar(self.symbol(name, address=False), rows)
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
            ctype = self.records.layout.field(name).ctype
        except LayoutError:
            return None
        if ctype.kind not in ("int", "pointer", "bitfield"):
            raise NotVectorised(f"{name} is a {ctype.spelling}")
        # A signed member is its value in two's complement of 64 bits, as `int(v) & MASK64`.
        return np.asarray(records.column(name)).view(_U64)

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
            self.symbols[key] = found & expr.MASK64
        return self.symbols[key]

    def _scalar(self, value: int, rows: np.ndarray | None) -> np.ndarray:
        return np.full(self.count if rows is None else len(rows), value, dtype=_U64)

    # -- nodes -------------------------------------------------------------------------------
    def value(self, node: expr.Node, rows: np.ndarray | None) -> np.ndarray:
        """`node` for the structures at `rows` (None: all of them)."""
        kind = type(node)
        if kind is expr.Number:
            return self._scalar(node.value, rows)  # type: ignore[attr-defined]
        if kind is expr.Name:
            return self.name(node.name, rows)  # type: ignore[attr-defined]
        if kind is expr.AddressOf:
            target, name = node.target, node.name  # type: ignore[attr-defined]
            if target is not None or self.records.layout.has_field(name.split(".")[0]):
                raise NotVectorised("the address of an object or member")
            return self._scalar(self.symbol(name, address=True), rows)
        if kind is expr.Unary:
            operand = self.value(node.operand, rows)  # type: ignore[attr-defined]
            op = node.op  # type: ignore[attr-defined]
            if op == "-":
                return _U64(0) - operand
            if op == "~":
                return ~operand
            if op == "!":
                return (operand == 0).astype(_U64)
            raise NotVectorised(f"unary {op}")
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

    def binary(self, node: expr.Binary, left: np.ndarray, rows: np.ndarray | None
               ) -> np.ndarray:
        op = node.op
        if op in ("&&", "||"):
            # The right side only where C evaluates it: where the left is true for &&, false
            # for ||.
            wanted = left != 0 if op == "&&" else left == 0
            result = (left != 0).astype(_U64)
            positions = np.flatnonzero(wanted)
            if len(positions):
                where = positions if rows is None else rows[positions]
                # && where the left is true, || where it is false: the right decides.
                result[positions] = self.value(node.right, where) != 0
            return result
        right = self.value(node.right, rows)
        if op == "+":
            return left + right
        if op == "-":
            return left - right
        if op == "*":
            return left * right
        if op in ("/", "%"):
            if not right.all():
                raise ZeroDivisionError(f"division by zero at column {node.column}")
            return left // right if op == "/" else left % right
        if op == "<<":
            return np.where(right < 64, left << (right & _U64(63)), _U64(0))
        if op == ">>":
            return np.where(right < 64, left >> (right & _U64(63)), _U64(0))
        if op == "&":
            return left & right
        if op == "|":
            return left | right
        if op == "^":
            return left ^ right
        compare = {"==": np.equal, "!=": np.not_equal, "<": np.less, "<=": np.less_equal,
                   ">": np.greater, ">=": np.greater_equal}.get(op)
        if compare is None:
            raise NotVectorised(f"operator {op}")
        return compare(left, right).astype(_U64)
