"""q4's expression language: a small Pratt parser and an evaluator (no `eval`).

Expressions appear after `load ... from`, `max`, `skip`, `until`, and in `keep` / `forget`.

Literals
  `0x1f` hex, `31` decimal, `037` octal;
  `0x0`4076da18` a 64-bit number split in two 32-bit halves (= hi << 32 | lo): the part after
  the backtick is always hex (an optional `0x` is allowed) of at most 32 bits; `'` is accepted in
  place of the backtick, so q4's own `0x18191a1b'1c1d1e1f` can be pasted back (quoted);
  `0x76db400.0x7fff0d48` a `space.offset` address (`0.0x804920` too): a number, `.`, a number.
  `0x00000000_1a98f7c0` p4's 64-bit form (8 hex digits, `_`, 8 hex digits); so every address
  form q4py prints reads back (q4py/addr.py);
  `"java"` or `'java'` a string (backslash escapes the next character), for comparing with char
  arrays. An expression that is one string and nothing else is read as the expression inside it,
  so `keep "p_pid > 5"` and `x "EXPR"` (p4's habit) mean what they say.
Names
  a bare name is, first, a field of the structure being examined (when there is one: inside
  `keep`, `forget`, `until`; dotted paths such as `b_un.b_addr` reach nested members; the
  pseudo-fields `addrof`, `indexof`, `spaceof`, `physaddrof` too), and otherwise a kernel symbol,
  which q4 *dereferences*: its value, read with its declared C type (a pointer-sized word when
  the type is not known). `&sym` is the symbol's own address.
Operators, with C precedence from loosest to tightest
  `||`, `&&`, `|`, `^`, `&`, `== != =~ !~`, `< <= > >=`, `<< >>`, `+ -`, `* / %`, unary
  `- ~ ! & *`, casts `(TYPE)`, `sizeof(TYPE)`, postfix `[N]`, `->MEMBER`, `.MEMBER`, and
  parentheses. `&&` and `||` short-circuit and give 0 or 1, like comparisons and `!`.
Typed values (C's rules; they need a dump)
  A member or a global keeps its C type: a pointer member follows `->` (`p_vas->va_rss`), an
  array or a pointer takes `[N]` (`m_entries[3]`, `p_comm[0]`), `*P` reads what P points at (a
  plain number: the pointer-sized word at that address, in its space), a cast gives a number a
  type (`((struct proc *)0x421000)->p_pid`), `sizeof(TYPE)` and `sizeof(member)` are sizes,
  `&member` is the member's address when no symbol has that name. A char array compares with a
  string as text up to its first NUL (`p_comm == "java"`, `!=`), and `=~` / `!~` match it with
  a Python regular expression (`p_comm =~ "^ora"`, searched anywhere, anchor with `^`/`$`).
  Elsewhere an array or a structure is its address.

Arithmetic is 64-bit unsigned with wraparound (`-1` is 0xffffffffffffffff, `>>` is logical,
comparisons are unsigned). A `space.offset` literal keeps its space through `+` and `-` with a
plain number (`0x5.0x1000 + 8` is `0x5.0x1008`); every other operation gives a plain number.
Errors are `CommandError`s naming the 1-based column: `expression: unexpected ')' at column 7`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache
from typing import TYPE_CHECKING, Any, Protocol

from q4py.errors import CommandError, Q4Error, ReadError
from q4py.kernel.proclist import PARALLEL_MEMBERS, kept_member_addresses
from q4py.layouts.base import c_string

if TYPE_CHECKING:
    from q4py.program import Program

MASK64 = (1 << 64) - 1
_U32 = 0xFFFFFFFF
MAX_DEPTH = 200  # nesting of the expression tree; deeper is refused, not a RecursionError

_IDENT_START = frozenset("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ_$")
_IDENT_CHARS = _IDENT_START | frozenset("0123456789")
_HEX = frozenset("0123456789abcdefABCDEF")
_DIGITS = frozenset("0123456789")
_OPERATORS = ("<<", ">>", "<=", ">=", "==", "!=", "=~", "!~", "&&", "||", "->",
              "+", "-", "*", "/", "%", "<", ">", "&", "|", "^", "~", "!", "(", ")", "[", "]")
_ESCAPES = {"n": "\n", "t": "\t", "0": "\0"}
# Words that start a type in a cast or sizeof (besides NAME followed by `*` or NAME_t).
_TYPE_WORDS = frozenset({"struct", "union", "unsigned", "signed", "char", "short", "int",
                         "long", "float", "double", "void"})

# Binding power of each binary operator (C precedence).
_BINARY = {
    "||": 1, "&&": 2, "|": 3, "^": 4, "&": 5,
    "==": 6, "!=": 6, "=~": 6, "!~": 6, "<": 7, "<=": 7, ">": 7, ">=": 7,
    "<<": 8, ">>": 8, "+": 9, "-": 9, "*": 10, "/": 10, "%": 10,
}
_UNARY_POWER = 11


def _error(message: str) -> CommandError:
    return CommandError(f"expression: {message}")


class UnreadableMemory(CommandError):
    """The expression reads memory the dump does not hold (`->`, `[N]`, `*` through a bad
    pointer); `address_text` is the address, as q4 prints it. `keep`/`forget` drop such a
    structure rather than fail."""

    def __init__(self, message: str, address_text: str) -> None:
        super().__init__(message)
        self.address_text = address_text


# -- values and the environment ------------------------------------------------------------------
@dataclass(frozen=True)
class Value:
    """The result of an expression: a 64-bit unsigned number, and a space when it is an address
    written `space.offset` (None otherwise).

    A value read from the dump keeps its C type (`ctype`, a q4py.layouts CType: what `->`,
    `[N]` and `*` follow) and where it lies (`address`). An array or a structure is its address
    (C's rule) with its type; a char array also carries its bytes (`text`), as does a string
    literal (`ctype` None)."""

    value: int
    space: int | None = None
    ctype: Any = None
    text: bytes | None = None
    address: int | None = None

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
    target: Node | None = None  # `&a[3]`, `&p->m`: the object's address; None: `&name`


@dataclass(frozen=True)
class String(Node):
    text: bytes


@dataclass(frozen=True)
class Index(Node):
    base: Node
    index: Node


@dataclass(frozen=True)
class Member(Node):
    base: Node
    name: str
    arrow: bool  # `->` (through a pointer) rather than `.`


@dataclass(frozen=True)
class Deref(Node):
    operand: Node


@dataclass(frozen=True)
class Cast(Node):
    type_name: str
    operand: Node


@dataclass(frozen=True)
class SizeOf(Node):
    type_name: str  # a type, or a member or symbol name


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
    kind: str  # "num", "name", "str", "op", "end"
    text: str
    column: int
    value: int = 0
    space: int | None = None
    raw: bytes = b""  # a string's bytes


def _ends_operand(tokens: list[_Token]) -> bool:
    """Does the last token end an operand (so a binary operator may follow)?"""
    if not tokens:
        return False
    last = tokens[-1]
    return last.kind in ("num", "name", "str") or last.text in (")", "]")


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
            elif ch in "\"'":
                out.append(_Token("str", text[start:self._string_end()], start + 1,
                                  raw=self._string_bytes(start)))
            elif (ch == "." and out and out[-1].text in ("]", ")") and self.pos + 1 < len(text)
                  and text[self.pos + 1] in _IDENT_START):
                self.pos += 1  # `a[1].m`, `(x).m`: a member of what comes before
                out.append(_Token("op", ".", start + 1))
            else:
                for op in _OPERATORS:
                    if text.startswith(op, self.pos):
                        if op == "!~" and not _ends_operand(out):
                            op = "!"  # C's `!~x`: not the complement of x, no match there
                        self.pos += len(op)
                        out.append(_Token("op", op, start + 1))
                        break
                else:
                    raise _error(f"unexpected '{ch}' at column {start + 1}")

    def _string_end(self) -> int:
        """Past the closing quote of the string at `pos` (which stays put)."""
        text, quote, at = self.text, self.text[self.pos], self.pos + 1
        while at < len(text) and text[at] != quote:
            at += 2 if text[at] == "\\" else 1
        if at >= len(text):
            raise _error(f"unterminated string at column {self.pos + 1}")
        return at + 1

    def _string_bytes(self, start: int) -> bytes:
        end = self._string_end()
        body, out, i = self.text[start + 1:end - 1], [], 0
        while i < len(body):
            if body[i] == "\\" and i + 1 < len(body):
                out.append(_ESCAPES.get(body[i + 1], body[i + 1]))
                i += 2
            else:
                out.append(body[i])
                i += 1
        self.pos = end
        try:
            return "".join(out).encode("latin-1")
        except UnicodeEncodeError:
            raise _error(f"string at column {start + 1} holds a character that is not "
                         "Latin-1 (char arrays are bytes)") from None

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
            if (self.pos < len(text) and text[self.pos] == "_" and len(digits) <= 8
                    and self.pos + 9 <= len(text)
                    and all(c in _HEX for c in text[self.pos + 1:self.pos + 9])):
                # p4's 64-bit form `0x00000000_1a98f7c0`: the high and low words.
                low = text[self.pos + 1:self.pos + 9]
                self.pos += 9
                self._no_trailing_letters(start)
                return int(digits, 16) << 32 | int(low, 16)
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
        left = self.postfix(self.primary())
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

    def primary(self) -> Node:
        token = self.take()
        if token.kind == "op" and token.text in ("(", "-", "~", "!", "+", "*"):
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
        if token.kind == "str":
            return String(token.column, 1, token.raw)
        if token.kind == "name" and token.text == "sizeof":
            return self._sizeof(token)
        if token.kind == "name":
            return Name(token.column, 1, token.text)
        if token.kind == "op" and token.text == "&":
            if self.peek().kind == "op" and self.peek().text == "(":
                operand = self.expression(_UNARY_POWER - 1)  # `&(p)->m`, `&((T *)a)[2]`
                if isinstance(operand, Name):
                    return AddressOf(token.column, 1, operand.name)
                return _checked(AddressOf(token.column, operand.depth + 1, "", operand))
            target = self.take()
            if target.kind != "name":
                raise _error(f"unexpected {_describe(target)} at column {target.column}: "
                             "'&' takes a symbol name")
            operand = self.postfix(Name(target.column, 1, target.text))
            if isinstance(operand, Name):
                return AddressOf(token.column, 1, target.text)
            return AddressOf(token.column, operand.depth + 1, target.text, operand)
        raise _error(f"unexpected {_describe(token)} at column {token.column}")

    def postfix(self, node: Node) -> Node:
        """`[N]`, `->m`, `.m` after an operand, left to right."""
        while True:
            token = self.peek()
            if token.kind != "op" or token.text not in ("[", "->", "."):
                return node
            self.take()
            if token.text == "[":
                self.nesting += 1
                if self.nesting > MAX_DEPTH:
                    raise _error(f"too deeply nested at column {token.column} "
                                 f"(at most {MAX_DEPTH} levels)")
                try:
                    index = self.expression(0)
                finally:
                    self.nesting -= 1
                close = self.take()
                if close.kind != "op" or close.text != "]":
                    raise _error(f"unexpected {_describe(close)} at column {close.column}: "
                                 f"']' expected to close the '[' at column {token.column}")
                node = _checked(Index(token.column, 1 + max(node.depth, index.depth),
                                      node, index))
                continue
            name = self.take()
            if name.kind != "name":
                raise _error(f"unexpected {_describe(name)} at column {name.column}: "
                             f"a member name expected after '{token.text}'")
            node = _checked(Member(name.column, node.depth + 1, node, name.text,
                                   token.text == "->"))

    def _cast_ahead(self) -> bool:
        """After a `(`: does a type name and `)` follow (a cast), not an expression?"""
        tokens, i = self.tokens, self.index
        first = tokens[i]
        if first.kind != "name":
            return False
        if first.text in _TYPE_WORDS:
            return True
        after = tokens[i + 1]
        if after.kind == "op" and after.text == "*":
            j = i + 1
            while tokens[j].kind == "op" and tokens[j].text == "*":
                j += 1
            return tokens[j].kind == "op" and tokens[j].text == ")"
        # `(pid_t)x`: a typedef name, then an operand right after the `)`.
        if after.kind == "end":
            return False
        operand = tokens[i + 2]
        return (first.text.endswith("_t") and after.kind == "op" and after.text == ")"
                and (operand.kind in ("num", "name", "str")
                     or operand.text in ("(", "-", "~", "!", "*", "&")))

    def type_name(self, opening: _Token) -> str:
        """The words and stars of a type, up to and taking the `)` that closes it."""
        words: list[str] = []
        while True:
            token = self.take()
            if token.kind == "name" or (token.kind == "op" and token.text == "*"):
                words.append(token.text)
                continue
            if token.kind == "op" and token.text == ")" and words:
                base = " ".join(w for w in words if w != "*")
                stars = words.count("*")
                return f"{base} {'*' * stars}" if stars else base
            raise _error(f"unexpected {_describe(token)} at column {token.column}: a type "
                         f"and ')' expected after the '(' at column {opening.column}")

    def _sizeof(self, token: _Token) -> Node:
        opening = self.take()
        if opening.kind != "op" or opening.text != "(":
            raise _error(f"unexpected {_describe(opening)} at column {opening.column}: "
                         "sizeof takes a type or a name in parentheses: sizeof(struct proc)")
        return SizeOf(token.column, 1, self.type_name(opening))

    def _nested(self, token: _Token) -> Node:
        if token.text == "(" and self._cast_ahead():
            type_name = self.type_name(token)
            operand = self.expression(_UNARY_POWER - 1)
            return _checked(Cast(token.column, operand.depth + 1, type_name, operand))
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
        if token.text == "*":
            return _checked(Deref(token.column, operand.depth + 1, operand))
        return _checked(Unary(token.column, operand.depth + 1, token.text, operand))


def _checked(node: Node) -> Node:
    if node.depth > MAX_DEPTH:
        raise _error(f"too deeply nested at column {node.column} "
                     f"(at most {MAX_DEPTH} levels)")
    return node


def parse(text: str) -> Node:
    """The syntax tree of `text`; CommandError with the column for anything malformed.

    `text` that is one string literal and nothing else is the expression inside it (`keep
    "p_pid > 5"`, p4's `x "EXPR"`)."""
    parser = _Parser(text)
    tokens = parser.tokens
    if len(tokens) == 2 and tokens[0].kind == "str":
        return _Parser(tokens[0].raw.decode("latin-1")).parse()
    return parser.parse()


# -- evaluation ----------------------------------------------------------------------------------
def evaluate(node: Node, env: Env) -> Value:
    """The value of a parsed expression in `env`: a number (an array or a char array is its
    address); CommandError when it is a string or a structure."""
    value = _evaluate(node, env)
    _number(value, node)
    return value


def _evaluate(node: Node, env: Env) -> Value:
    if isinstance(node, Number):
        return Value(node.value, node.space)
    if isinstance(node, Name):
        return _name(node, env)
    if isinstance(node, AddressOf):
        if node.target is not None:
            return _address_of(_evaluate(node.target, env), node)
        return _symbol_or_member_address(node, env)
    if isinstance(node, Unary):
        v = _number(_evaluate(node.operand, env), node.operand)
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
        value = _evaluate(node, env)
        for binary in reversed(spine):
            value = _binary(binary, value, env)
        return value
    if isinstance(node, String):
        return Value(0, text=node.text)
    if isinstance(node, Member):
        return _member(_evaluate(node.base, env), node, env)
    if isinstance(node, Index):
        return _index(_evaluate(node.base, env), _number(_evaluate(node.index, env), node.index),
                      node, env)
    if isinstance(node, Deref):
        return _deref(_evaluate(node.operand, env), node, env)
    if isinstance(node, Cast):
        return _cast(_evaluate(node.operand, env), node, env)
    if isinstance(node, SizeOf):
        return Value(_sizeof(node, env))
    raise TypeError(f"not an expression node: {node!r}")


def _binary(node: Binary, left: Value, env: Env) -> Value:
    """`node` applied to the value of its left operand."""
    op = node.op
    if op == "&&":
        return Value(int(bool(_truth(left, node.left)) and bool(_truth(
            _evaluate(node.right, env), node.right))))
    if op == "||":
        return Value(int(bool(_truth(left, node.left)) or bool(_truth(
            _evaluate(node.right, env), node.right))))
    right = _evaluate(node.right, env)
    if op in ("=~", "!~"):
        return Value(int(_matches(left, right, node) == (op == "=~")))
    if op in ("==", "!=") and (_is_text(left) or _is_text(right)):
        return Value(int((_text(left, node) == _text(right, node)) == (op == "==")))
    a, b = _number(left, node.left), _number(right, node.right)
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


# -- strings -------------------------------------------------------------------------------------
def _is_text(value: Value) -> bool:
    return value.text is not None


def _number(value: Value, node: Node) -> int:
    """The number a value is; a string literal and a structure are none."""
    if value.text is not None and value.ctype is None:
        raise _error(f"a string at column {node.column} is not a number: compare a char "
                     "array with it (==, !=, =~, !~)")
    if value.ctype is not None and value.ctype.kind == "struct":
        what = (f"'{node.name}'" if isinstance(node, Name)
                else f"the value at column {node.column}")
        raise CommandError(f"{what} is a {value.ctype.spelling}: expressions work on numbers "
                           "(name one of its members)")
    return value.value


def _truth(value: Value, node: Node) -> Value:
    _number(value, node)
    return value


def _text(value: Value, node: Binary) -> str:
    if value.text is None:
        raise _error(f"'{node.op}' at column {node.column} compares a string with a number: "
                     "the other side must be a char array or a string")
    return c_string(value.text)


@lru_cache(maxsize=64)
def _pattern(source: str, column: int) -> re.Pattern[str]:
    try:
        return re.compile(source)
    except re.error as err:
        raise _error(f"bad regular expression '{source}' at column {column}: {err}") from None


def _matches(left: Value, right: Value, node: Binary) -> bool:
    if right.text is None or right.ctype is not None:
        raise _error(f"'{node.op}' at column {node.column} takes a string on its right "
                     '(a regular expression: p_comm =~ "^ora")')
    return _pattern(_text(right, node), node.right.column).search(_text(left, node)) is not None


# -- typed values --------------------------------------------------------------------------------
def _program(env: Env, node: Node, what: str) -> Program:
    program = getattr(env, "program", None)
    if program is None:
        raise _error(f"{what} at column {node.column} needs a dump")
    return program  # type: ignore[no-any-return]


def _ctype(env: Env, spelling: str, node: Node) -> Any:
    """The C type `spelling` names (a typedef such as proc_t too); CommandError otherwise."""
    types = _program(env, node, f"type '{spelling}'").types
    try:
        return types.ctype(spelling)
    except Q4Error:
        pass
    base, stars = spelling.rstrip(" *"), spelling.count("*")
    try:
        layout = types.get(base)
    except Q4Error:
        raise _error(f"unknown type '{spelling}' at column {node.column}") from None
    return types.ctype(layout.name + (" " + "*" * stars if stars else ""))


def _load(env: Env, ctype: Any, address: int, space: int | None, node: Node) -> Value:
    """The object of type `ctype` at `space.address`, read from the dump: a number, or an
    array or structure as its address (a char array with its bytes too)."""
    prog = _program(env, node, "reading memory")
    if ctype.kind in ("struct", "array"):
        return Value(address, space, ctype, address=address)
    try:
        raw = prog.read(address, ctype.size, space or 0)
    except ReadError as err:
        raise UnreadableMemory(f"expression: {err} (at column {node.column})",
                               err.address_text) from None
    except Q4Error as err:
        raise _error(f"{err} (at column {node.column})") from None
    if ctype.kind == "chars":
        return Value(address, space, ctype, text=raw, address=address)
    if ctype.kind == "float":
        return Value(int(ctype.subcon.parse(raw)) & MASK64, None, ctype, address=address)
    return Value(int.from_bytes(raw, "big", signed=ctype.signed) & MASK64, None, ctype,
                 address=address)


def _pointee(value: Value, node: Node, env: Env, what: str) -> Any:
    ctype = value.ctype
    if ctype is None or ctype.kind != "pointer":
        kind = "a number" if ctype is None else f"a {ctype.spelling}"
        raise _error(f"'{what}' at column {node.column} needs a pointer, not {kind}: cast it, "
                     "e.g. ((struct proc *)ADDR)->p_pid")
    base = ctype.spelling[:-1].rstrip()
    if base == "void":
        raise _error(f"'{what}' at column {node.column} cannot follow a void *: cast it")
    return _ctype(env, base, node)


def _member(base: Value, node: Member, env: Env) -> Value:
    if node.arrow:
        target = _pointee(base, node, env, "->")
        address, space = base.value, base.space
    else:
        target, address, space = base.ctype, base.value, base.space
        if target is not None and target.kind == "pointer":  # lenient, as drgn is
            target = _pointee(base, node, env, ".")
    if target is None or target.kind != "struct" or target.layout is None:
        kind = "a number" if target is None else f"a {target.spelling}"
        raise _error(f"'{node.name}' at column {node.column}: {kind} has no members")
    try:
        member = target.layout.field(node.name)
    except Q4Error:
        raise _error(f"{target.layout.name} has no member '{node.name}' "
                     f"(at column {node.column})") from None
    if node.arrow and address == 0:
        raise _error(f"'->{node.name}' at column {node.column} follows a NULL pointer")
    kept = _kept_at(env, target.layout.name, node.name, address, space)
    if kept is not None:
        return _load(env, member.ctype, kept, None, node)
    value = _load(env, member.ctype, address + member.offset, space, node)
    if member.ctype.kind == "bitfield":
        return Value(member.extract(value.value), ctype=member.ctype)
    return value


def _index(base: Value, index: int, node: Index, env: Env) -> Value:
    ctype = base.ctype
    if ctype is not None and ctype.kind == "chars":
        if base.text is None or not index < len(base.text):
            raise _error(f"index {index} at column {node.column} is past the end of a "
                         f"{ctype.spelling}")
        return Value(base.text[index])
    if ctype is not None and ctype.kind == "array":
        if not index < ctype.count:
            raise _error(f"index {index} at column {node.column} is past the end of a "
                         f"{ctype.spelling}")
        element = ctype.element
        return _load(env, element, base.value + index * element.size, base.space, node)
    element = _pointee(base, node, env, "[")
    return _load(env, element, (base.value + index * element.size) & MASK64, base.space, node)


def _deref(value: Value, node: Deref, env: Env) -> Value:
    if value.ctype is None:
        if value.text is not None:
            _number(value, node.operand)
        # A plain number: the pointer-sized word there (q4's and adb's `*`).
        return _load(env, _ctype(env, "unsigned long", node), value.value, value.space, node)
    return _load(env, _pointee(value, node, env, "*"), value.value, value.space, node)


def _cast(value: Value, node: Cast, env: Env) -> Value:
    ctype = _ctype(env, node.type_name, node)
    number = _number(value, node.operand)
    if ctype.kind == "pointer":
        return Value(number, value.space, ctype)
    if ctype.kind != "int":
        raise _error(f"cannot cast to {ctype.spelling} at column {node.column}: "
                     "cast to a pointer or an integer type")
    bits = 8 * ctype.size
    number &= (1 << bits) - 1
    if ctype.signed and number >> (bits - 1):
        number -= 1 << bits
    return Value(number & MASK64, None, ctype)


def _sizeof(node: SizeOf, env: Env) -> int:
    name = node.type_name
    try:
        return int(_ctype(env, name, node).size)
    except CommandError:
        if " " in name or "*" in name:
            raise
    layout = getattr(env, "layout", None)  # a member of the structure being examined
    if layout is not None:
        try:
            return int(layout.field(name).ctype.size)
        except Q4Error:
            pass
    prog = _program(env, node, "sizeof")
    try:
        return int(prog.global_ctype(name).size)
    except Q4Error:
        raise _error(f"sizeof({name}) at column {node.column}: neither a type, a member nor "
                     "a kernel global q4py knows the type of") from None


def _address_of(value: Value, node: AddressOf) -> Value:
    if value.address is None:
        raise _error(f"'&' at column {node.column} needs an object in memory")
    return Value(value.address, value.space)


def _symbol_or_member_address(node: AddressOf, env: Env) -> Value:
    """`&name`: the symbol's address; a member's when no symbol has the name."""
    layout, item = getattr(env, "layout", None), getattr(env, "item", None)
    if layout is not None and item is not None and layout.has_field(node.name.split(".")[0]):
        program = getattr(env, "program", None)
        if program is None or not program.has_symbol(node.name):
            try:
                member = layout.field(node.name)
            except Q4Error:
                member = None
            if member is not None:
                kept = _kept_at(env, layout.name, node.name, item.address, item.space)
                if kept is not None:
                    return Value(kept)
                return Value((item.address + member.offset) & MASK64, item.space or None)
    return Value(env.symbol_address(node.name) & MASK64)


def _kept_at(env: Env, type_name: str, member: str, address: int, space: int | None) -> int | None:
    """Where the kernel keeps `member` of the structure at `space.address` when not in the
    structure itself (an 11.00 proc's p_comm is pst_ucomms[slot]): the one rule print's
    columns follow too (q4py.kernel.proclist)."""
    program = getattr(env, "program", None)
    if program is None or space or member not in PARALLEL_MEMBERS:
        return None
    kept = kept_member_addresses(program, type_name, member, [address])
    return None if kept is None else kept[0]


def _name(node: Name, env: Env) -> Value:
    """A member of the structure being examined (with its type), else a kernel symbol."""
    name = node.name
    layout = getattr(env, "layout", None)
    member = None
    if layout is not None:
        try:
            member = layout.field(name)
        except Q4Error:
            member = None
    if member is not None and member.ctype.kind in ("chars", "array", "struct"):
        item = env.item  # type: ignore[attr-defined]
        address, space = item.address + member.offset, item.space or None
        if member.ctype.kind == "chars":
            kept = _kept_at(env, layout.name, name, item.address, space)
            if kept is not None:
                return _load(env, member.ctype, kept, None, node)
            return Value(address, space, member.ctype, text=bytes(item.member(name)),
                         address=address)
        return Value(address, space, member.ctype, address=address)
    found = env.field(name)
    if found is not None:
        return Value(found & MASK64, None, member.ctype if member is not None else None)
    if "." in name and not _has_symbol(env, name):
        return _symbol_member(node, env)
    value = env.symbol_value(name) & MASK64
    ctype = _global_ctype(env, name)
    if ctype is not None and ctype.kind != "pointer":  # an array: its address, and its type
        return _load(env, ctype, value, None, node)
    return Value(value, None, ctype)


def _has_symbol(env: Env, name: str) -> bool:
    program = getattr(env, "program", None)
    return program is None or bool(program.has_symbol(name))


def _global_ctype(env: Env, name: str) -> Any:
    """A global's C type when it is a pointer or an array (what `->`, `[N]` and `*` follow),
    else None."""
    program = getattr(env, "program", None)
    if program is None:
        return None
    try:
        ctype = program.global_ctype(name)
    except Q4Error:
        return None
    return ctype if ctype.kind in ("pointer", "array", "chars") else None


def _symbol_member(node: Name, env: Env) -> Value:
    """`utsname.nodename`: a member of a structure global."""
    first, _, path = node.name.partition(".")
    prog = _program(env, node, f"'{node.name}'")
    address = env.symbol_address(first)
    try:
        ctype = prog.global_ctype(first)
    except Q4Error:
        raise _error(f"'{node.name}' at column {node.column}: q4py does not know the type of "
                     f"'{first}'") from None
    value = Value(address, None, ctype, address=address)
    for part in path.split("."):
        value = _member(value, Member(node.column, 1, node, part, False), env)
    return value


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
