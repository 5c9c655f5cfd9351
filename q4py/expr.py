"""q4's expression language: a small Pratt parser and an evaluator (no `eval`).

Expressions appear after `load ... from`, `max`, `skip`, `until`, and in `keep` / `forget`.

Literals
  `0x1f` hex, `31` decimal, `037` octal;
  `0x0`4076da18` a 64-bit number split in two 32-bit halves (= hi << 32 | lo): the part after
  the backtick is always hex (an optional `0x` is allowed) of at most 32 bits; `'` is accepted in
  place of the backtick, so q4's own `0x18191a1b'1c1d1e1f` can be pasted back (quoted);
  `0x76db400.0x7fff0d48` a `space.offset` address (`0.0x804920` too): a number, `.`, a number.
Names
  a bare name is, first, a field of the structure being examined (when there is one: inside
  `keep`, `forget`, `until`; dotted paths such as `b_un.b_addr` reach nested members; the
  pseudo-fields `addrof`, `indexof`, `spaceof`, `physaddrof` too), and otherwise a kernel symbol,
  which q4 *dereferences*: its value, read with its declared C type (a pointer-sized word when
  the type is not known). `&sym` is the symbol's own address.
Operators, with C precedence from loosest to tightest
  `||`, `&&`, `|`, `^`, `&`, `== !=`, `< <= > >=`, `<< >>`, `+ -`, `* / %`, unary `- ~ ! &`,
  and parentheses. `&&` and `||` short-circuit and give 0 or 1, like comparisons and `!`.

Arithmetic is 64-bit unsigned with wraparound (`-1` is 0xffffffffffffffff, `>>` is logical,
comparisons are unsigned). A `space.offset` literal keeps its space through `+` and `-` with a
plain number (`0x5.0x1000 + 8` is `0x5.0x1008`); every other operation gives a plain number.
Errors are `CommandError`s naming the 1-based column: `expression: unexpected ')' at column 7`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Protocol

from q4py.errors import CommandError, Q4Error

if TYPE_CHECKING:
    from q4py.program import Program

MASK64 = (1 << 64) - 1
_U32 = 0xFFFFFFFF
MAX_DEPTH = 200  # nesting of the expression tree; deeper is refused, not a RecursionError

_IDENT_START = frozenset("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ_$")
_IDENT_CHARS = _IDENT_START | frozenset("0123456789")
_HEX = frozenset("0123456789abcdefABCDEF")
_DIGITS = frozenset("0123456789")
_OPERATORS = ("<<", ">>", "<=", ">=", "==", "!=", "&&", "||",
              "+", "-", "*", "/", "%", "<", ">", "&", "|", "^", "~", "!", "(", ")")

# Binding power of each binary operator (C precedence).
_BINARY = {
    "||": 1, "&&": 2, "|": 3, "^": 4, "&": 5,
    "==": 6, "!=": 6, "<": 7, "<=": 7, ">": 7, ">=": 7,
    "<<": 8, ">>": 8, "+": 9, "-": 9, "*": 10, "/": 10, "%": 10,
}
_UNARY_POWER = 11


def _error(message: str) -> CommandError:
    return CommandError(f"expression: {message}")


# -- values and the environment ------------------------------------------------------------------
@dataclass(frozen=True)
class Value:
    """The result of an expression: a 64-bit unsigned number, and a space when it is an address
    written `space.offset` (None otherwise)."""

    value: int
    space: int | None = None

    def __bool__(self) -> bool:
        return self.value != 0


class Env(Protocol):
    """What an expression can ask of the world it is evaluated in."""

    def symbol_value(self, name: str) -> int:
        """The value of kernel symbol `name` (q4 dereferences a bare symbol)."""

    def symbol_address(self, name: str) -> int:
        """The address of kernel symbol `name` (`&name`)."""

    def field(self, name: str) -> int | None:
        """The value of field `name` of the structure being examined, or None when there is no
        such field (the name is then looked up as a symbol)."""


# -- the syntax tree -----------------------------------------------------------------------------
@dataclass(frozen=True)
class Node:
    column: int  # 1-based column of the token that starts (or names) this node
    depth: int


@dataclass(frozen=True)
class Number(Node):
    value: int
    space: int | None = None


@dataclass(frozen=True)
class Name(Node):
    name: str


@dataclass(frozen=True)
class AddressOf(Node):
    name: str


@dataclass(frozen=True)
class Unary(Node):
    op: str
    operand: Node


@dataclass(frozen=True)
class Binary(Node):
    op: str
    left: Node
    right: Node


# -- tokens --------------------------------------------------------------------------------------
@dataclass(frozen=True)
class _Token:
    kind: str  # "num", "name", "op", "end"
    text: str
    column: int
    value: int = 0
    space: int | None = None


def _describe(token: _Token) -> str:
    return "end of expression" if token.kind == "end" else f"'{token.text}'"


class _Lexer:
    def __init__(self, text: str) -> None:
        self.text = text
        self.pos = 0

    def tokens(self) -> list[_Token]:
        out: list[_Token] = []
        text = self.text
        while True:
            while self.pos < len(text) and text[self.pos].isspace():
                self.pos += 1
            if self.pos >= len(text):
                out.append(_Token("end", "", len(text) + 1))
                return out
            ch = text[self.pos]
            start = self.pos
            if ch in _DIGITS:
                value = self._number()
                space = None
                if (self.pos + 1 < len(text) and text[self.pos] == "."
                        and text[self.pos + 1] in _DIGITS):
                    self.pos += 1
                    space, value = value, self._number()
                    if space > _U32:
                        raise _error(f"space {space:#x} at column {start + 1} "
                                     "does not fit in 32 bits")
                out.append(_Token("num", text[start:self.pos], start + 1, value, space))
            elif ch in _IDENT_START:
                out.append(_Token("name", self._name(), start + 1))
            else:
                for op in _OPERATORS:
                    if text.startswith(op, self.pos):
                        self.pos += len(op)
                        out.append(_Token("op", op, start + 1))
                        break
                else:
                    raise _error(f"unexpected '{ch}' at column {start + 1}")

    def _digits(self, allowed: frozenset[str]) -> str:
        start = self.pos
        while self.pos < len(self.text) and self.text[self.pos] in allowed:
            self.pos += 1
        return self.text[start:self.pos]

    def _number(self) -> int:
        """One number, with an optional backtick low half; the position ends after it."""
        text = self.text
        start = self.pos
        value = self._plain_number()
        if self.pos < len(text) and text[self.pos] in "`'":
            self.pos += 1
            if text.startswith(("0x", "0X"), self.pos):
                self.pos += 2
            low = self._digits(_HEX)
            if not low or len(low.lstrip("0")) > 8:
                raise _error(f"bad 64-bit number '{text[start:self.pos]}' at column "
                             f"{start + 1}: the low half after '`' is 1 to 8 hex digits")
            if value > _U32:
                raise _error(f"bad 64-bit number '{text[start:self.pos]}' at column "
                             f"{start + 1}: the high half does not fit in 32 bits")
            value = value << 32 | int(low, 16)
            self._no_trailing_letters(start)
        if value > MASK64:
            raise _error(f"number '{text[start:self.pos]}' at column {start + 1} "
                         "does not fit in 64 bits")
        return value

    def _plain_number(self) -> int:
        text = self.text
        start = self.pos
        if text.startswith(("0x", "0X"), start):
            self.pos += 2
            digits = self._digits(_HEX)
            if not digits:
                raise _error(f"bad number '{text[start:self.pos]}' at column {start + 1}: "
                             "hex digits expected after 0x")
            self._no_trailing_letters(start)
            return int(digits, 16)
        digits = self._digits(_DIGITS)
        self._no_trailing_letters(start)
        if len(digits) > 1 and digits[0] == "0":
            if set(digits) - set("01234567"):
                raise _error(f"bad octal number '{digits}' at column {start + 1}")
            return int(digits, 8)
        return int(digits)

    def _no_trailing_letters(self, start: int) -> None:
        end = self.pos
        while end < len(self.text) and self.text[end] in _IDENT_CHARS:
            end += 1
        if end > self.pos:
            raise _error(f"bad number '{self.text[start:end]}' at column {start + 1}")

    def _name(self) -> str:
        text = self.text
        start = self.pos
        self._digits(_IDENT_CHARS)
        # Dotted paths reach nested members: `b_un.b_addr`.
        while (self.pos + 1 < len(text) and text[self.pos] == "."
               and text[self.pos + 1] in _IDENT_START):
            self.pos += 1
            self._digits(_IDENT_CHARS)
        return text[start:self.pos]


# -- the parser ----------------------------------------------------------------------------------
class _Parser:
    def __init__(self, text: str) -> None:
        self.tokens = _Lexer(text).tokens()
        self.index = 0
        self.nesting = 0  # open parentheses and unary operators around the current token

    def peek(self) -> _Token:
        return self.tokens[self.index]

    def take(self) -> _Token:
        token = self.tokens[self.index]
        if token.kind != "end":
            self.index += 1
        return token

    def parse(self) -> Node:
        if self.peek().kind == "end":
            raise _error("empty expression")
        node = self.expression(0)
        token = self.peek()
        if token.kind != "end":
            raise _error(f"unexpected {_describe(token)} at column {token.column}")
        return node

    def expression(self, min_power: int) -> Node:
        left = self.prefix()
        while True:
            token = self.peek()
            power = _BINARY.get(token.text) if token.kind == "op" else None
            if power is None or power <= min_power:
                return left
            self.take()
            right = self.expression(power)  # left-associative: the right side binds tighter
            # A left operand adds no depth: `1+1+...` is a chain, folded in a loop by
            # `evaluate`; only right operands, parentheses and unary operators nest.
            left = _checked(Binary(token.column, max(left.depth, 1 + right.depth),
                                   token.text, left, right))

    def prefix(self) -> Node:
        token = self.take()
        if token.kind == "op" and token.text in ("(", "-", "~", "!", "+"):
            # Bound the recursion before it happens: `((((...` must not hit Python's limit.
            self.nesting += 1
            if self.nesting > MAX_DEPTH:
                raise _error(f"too deeply nested at column {token.column} "
                             f"(at most {MAX_DEPTH} levels)")
            try:
                return self._nested(token)
            finally:
                self.nesting -= 1
        if token.kind == "num":
            return Number(token.column, 1, token.value, token.space)
        if token.kind == "name":
            return Name(token.column, 1, token.text)
        if token.kind == "op" and token.text == "&":
            target = self.take()
            if target.kind != "name":
                raise _error(f"unexpected {_describe(target)} at column {target.column}: "
                             "'&' takes a symbol name")
            return AddressOf(token.column, 1, target.text)
        raise _error(f"unexpected {_describe(token)} at column {token.column}")

    def _nested(self, token: _Token) -> Node:
        if token.text == "(":
            inner = self.expression(0)
            close = self.take()
            if close.kind != "op" or close.text != ")":
                raise _error(f"unexpected {_describe(close)} at column {close.column}: "
                             f"')' expected to close the '(' at column {token.column}")
            return inner
        operand = self.expression(_UNARY_POWER - 1)
        if token.text == "+":
            return operand
        return _checked(Unary(token.column, operand.depth + 1, token.text, operand))


def _checked(node: Node) -> Node:
    if node.depth > MAX_DEPTH:
        raise _error(f"too deeply nested at column {node.column} "
                     f"(at most {MAX_DEPTH} levels)")
    return node


def parse(text: str) -> Node:
    """The syntax tree of `text`; CommandError with the column for anything malformed."""
    return _Parser(text).parse()


# -- evaluation ----------------------------------------------------------------------------------
def evaluate(node: Node, env: Env) -> Value:
    """The value of a parsed expression in `env`."""
    if isinstance(node, Number):
        return Value(node.value, node.space)
    if isinstance(node, Name):
        found = env.field(node.name)
        if found is None:
            found = env.symbol_value(node.name)
        return Value(found & MASK64)
    if isinstance(node, AddressOf):
        return Value(env.symbol_address(node.name) & MASK64)
    if isinstance(node, Unary):
        v = evaluate(node.operand, env).value
        if node.op == "-":
            return Value(-v & MASK64)
        if node.op == "~":
            return Value(v ^ MASK64)
        return Value(int(v == 0))
    if isinstance(node, Binary):
        spine = []  # the left-associative chain, outermost first: folded without recursion
        while isinstance(node, Binary):
            spine.append(node)
            node = node.left
        value = evaluate(node, env)
        for binary in reversed(spine):
            value = _binary(binary, value, env)
        return value
    raise TypeError(f"not an expression node: {node!r}")


def _binary(node: Binary, left: Value, env: Env) -> Value:
    """`node` applied to the value of its left operand."""
    op = node.op
    if op == "&&":
        return Value(int(bool(left) and bool(evaluate(node.right, env))))
    if op == "||":
        return Value(int(bool(left) or bool(evaluate(node.right, env))))
    right = evaluate(node.right, env)
    a, b = left.value, right.value
    if op in ("+", "-"):
        result = (a + b if op == "+" else a - b) & MASK64
        # Address arithmetic: `space.offset + n` stays in its space.
        space = left.space if right.space is None else (right.space if op == "+"
                                                         and left.space is None else None)
        return Value(result, space)
    if op in ("/", "%"):
        if b == 0:
            raise _error(f"division by zero at column {node.column}")
        return Value(a // b if op == "/" else a % b)
    simple = {
        "*": lambda: a * b, "<<": lambda: a << b if b < 64 else 0, ">>": lambda: a >> b,
        "&": lambda: a & b, "|": lambda: a | b, "^": lambda: a ^ b,
        "==": lambda: int(a == b), "!=": lambda: int(a != b), "<": lambda: int(a < b),
        "<=": lambda: int(a <= b), ">": lambda: int(a > b), ">=": lambda: int(a >= b),
    }
    return Value(simple[op]() & MASK64)


def evaluate_text(text: str, env: Env) -> Value:
    """Parse and evaluate `text` in one go."""
    return evaluate(parse(text), env)


# -- environments backed by a dump ---------------------------------------------------------------
class ProgramEnv:
    """Symbols of an opened dump, no structure fields: what `load ... from EXPR` sees."""

    def __init__(self, program: Program) -> None:
        self.program = program

    def field(self, name: str) -> int | None:
        return None

    def symbol_address(self, name: str) -> int:
        if not self.program.has_symbol(name):
            raise CommandError(self._unknown(name))
        return self.program.symbol(name).address

    def symbol_value(self, name: str) -> int:
        prog = self.program
        address = self.symbol_address(name)
        if prog.symbol(name).kind == "func":
            return address  # C's rule: a function's name is its address (text is no pointer)
        try:
            ctype = prog.global_ctype(name)
        except Q4Error:  # a symbol without a declared type: q4 takes it as a pointer
            return prog.read_ulong(address)
        if ctype.kind in ("int", "pointer"):
            return int(prog.read_value(ctype, address)) & MASK64
        if ctype.kind in ("array", "chars"):
            return address  # C's rule: an array is the address of its first element
        raise CommandError(f"'{name}' is a {ctype.spelling}, not a number: "
                           f"use &{name} for its address")

    def _unknown(self, name: str) -> str:
        return f"no symbol '{name}' in the kernel"
