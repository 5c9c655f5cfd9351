"""Piles: the sets of structures q4 works on, and the history that keeps them.

q4's data model (HP's 11th Hour Kernel Tools): every command that produces structures (`load`,
`keep`, `forget`, `recall`) makes a new *pile* and pushes it on the *history*; the newest pile
is the current one, which commands call `it` (`print` prints it, `keep` filters it, `name it
NAME` names it). q4py's rules, where q4's own are not documented:

- Piles are numbered from 1 in the order they are made. A number is never reused, even after
  `discard`, so `recall 4` can never silently mean another pile than the one `history` showed.
- The history is a log: nothing rewrites an old pile. `recall N|NAME` pushes a *copy* of pile N
  (same structures, same layout word, its command is the `recall` line), which becomes `it`.
- `discard` drops the current pile; the one before it becomes `it` again.
- `name it NAME` gives the current pile a name usable wherever a number is. Names are unique: a
  name already given to another pile moves to this one. A name is an identifier (letters,
  digits, `_`), not all digits (those are numbers) and not `it`.
- A command that would make an empty pile makes none: the history is left as it was (the
  command says so), since there is nothing in an empty pile to print or filter.
- A pile's layout word says how its structures were found: `array` (consecutive), `list`
  (linked through a pointer field), `kept` (the survivors of `keep` / `forget`).

Each `PileItem` is one structure: where it is (`space`, `address`), its index (position in the
array or list it was loaded from, kept through filtering: q4's `indexof`) and its decoded value
(a construct Container read through the Program).
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from q4py.errors import CommandError, Q4Error
from q4py.expr import MASK64, ProgramEnv
from q4py.layouts import Layout, LayoutError
from q4py.layouts.base import CType
from q4py.layouts.vm import PAGE_SHIFT, PAGE_SIZE

if TYPE_CHECKING:
    from q4py.program import Program

LAYOUT_KINDS = ("array", "list", "kept")
PSEUDO_FIELDS = ("indexof", "spaceof", "addrof", "physaddrof")
NO_PILE = "no current pile: load something first"
_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")


@dataclass(frozen=True)
class PileItem:
    """One structure of a pile."""

    space: int
    address: int
    value: Any  # construct Container
    index: int = 0


@dataclass(frozen=True)
class Pile:
    """A set of structures of one type, as a command made it."""

    number: int
    name: str | None
    layout: Layout
    type_name: str  # as q4 prints it: `struct buf`, `proc_t`
    layout_kind: str
    items: tuple[PileItem, ...]
    command: str

    def __post_init__(self) -> None:
        if self.layout_kind not in LAYOUT_KINDS:
            raise ValueError(f"unknown pile layout {self.layout_kind!r}")
        object.__setattr__(self, "items", tuple(self.items))

    @property
    def count(self) -> int:
        return len(self.items)

    def __iter__(self) -> Iterator[PileItem]:
        return iter(self.items)

    def __len__(self) -> int:
        return len(self.items)

    @property
    def label(self) -> str:
        """`pile 3` or `pile 3 (procs)`."""
        return f"pile {self.number}" + (f" ({self.name})" if self.name else "")


def count_of(count: int, type_name: str) -> str:
    """`2 struct bufs`, `1 struct buf`, `5 proc_ts`: q4's plural appends an `s`."""
    return f"{count} {type_name}{'' if count == 1 else 's'}"


@dataclass
class PileHistory:
    """Every pile made in a session, oldest first; the last is the current one (`it`)."""

    _piles: list[Pile] = field(default_factory=list)
    _next_number: int = 1

    def push(self, pile: Pile) -> Pile:
        """Add `pile` as the new current pile, numbered in sequence; returns the stored pile."""
        if not pile.items:
            raise Q4Error("an empty pile is never pushed on the history")
        stored = dataclasses.replace(pile, number=self._next_number, name=None)
        if pile.name:
            self._take_name(pile.name)
            stored = dataclasses.replace(stored, name=pile.name)
        self._next_number += 1
        self._piles.append(stored)
        return stored

    def make(self, layout: Layout, type_name: str, layout_kind: str,
             items: list[PileItem] | tuple[PileItem, ...], command: str) -> Pile:
        """Build a pile and push it (the usual way commands add one)."""
        return self.push(Pile(0, None, layout, type_name, layout_kind, tuple(items), command))

    @property
    def current(self) -> Pile:
        """The pile called `it`; CommandError when the history is empty."""
        if not self._piles:
            raise CommandError(NO_PILE)
        return self._piles[-1]

    @property
    def empty(self) -> bool:
        return not self._piles

    def get(self, ref: int | str) -> Pile:
        """A pile by number (an int or a string of digits), by name, or `it`."""
        if isinstance(ref, str) and ref == "it":
            return self.current
        if isinstance(ref, int) or ref.isdigit():
            number = int(ref)
            for pile in self._piles:
                if pile.number == number:
                    return pile
            raise CommandError(f"no pile {number} in the history (type 'history' to see them)")
        for pile in self._piles:
            if pile.name == ref:
                return pile
        raise CommandError(f"no pile called '{ref}' in the history "
                           "(type 'history' to see them)")

    def recall(self, ref: int | str, command: str) -> Pile:
        """Push a copy of pile `ref`, which becomes `it`."""
        old = self.get(ref)
        return self.make(old.layout, old.type_name, old.layout_kind, old.items, command)

    def name_current(self, name: str) -> Pile:
        """Give the current pile a name (taking it from any other pile)."""
        current = self.current
        check_name(name)
        self._take_name(name)
        named = dataclasses.replace(current, name=name)
        self._piles[-1] = named
        return named

    def discard(self) -> Pile:
        """Drop the current pile and return it; the previous one becomes `it`."""
        if not self._piles:
            raise CommandError(NO_PILE)
        return self._piles.pop()

    def list(self) -> list[Pile]:
        """Every pile, oldest first."""
        return list(self._piles)

    def __len__(self) -> int:
        return len(self._piles)

    def _take_name(self, name: str) -> None:
        for i, pile in enumerate(self._piles):
            if pile.name == name:
                self._piles[i] = dataclasses.replace(pile, name=None)


def check_name(name: str) -> None:
    """CommandError unless `name` can name a pile."""
    if not _NAME.match(name) or name == "it":
        raise CommandError(f"'{name}' cannot name a pile: use letters, digits and '_', "
                           "starting with a letter (and not 'it')")


# -- fields of pile items -------------------------------------------------------------------------
def resolve_field(layout: Layout, path: str) -> CType:
    """The C type of member `path` (dotted for nested members); CommandError when absent."""
    try:
        return layout.field(path).ctype
    except LayoutError:
        raise CommandError(f"{layout.name} has no field '{path}'") from None


def field_value(value: Any, path: str) -> Any:
    """Member `path` of a decoded structure (`b_un.b_addr` walks nested Containers)."""
    for part in path.split("."):
        value = value[part]
    return value


def physical_address(program: Program, item: PileItem) -> int | None:
    """Where the structure sits in physical memory, or None when its page has no translation."""
    try:
        translation = program.memory.translate(item.space, item.address)
    except Q4Error:
        return None
    return translation.pfn << PAGE_SHIFT | (item.address & (PAGE_SIZE - 1))


def pseudo_field(program: Program, item: PileItem, name: str) -> int | None:
    """The value of q4's pseudo-field `name` for `item` (None: physaddrof without translation)."""
    if name == "addrof":
        return item.address
    if name == "indexof":
        return item.index
    if name == "spaceof":
        return item.space
    if name == "physaddrof":
        return physical_address(program, item)
    raise KeyError(name)


class ItemEnv(ProgramEnv):
    """The expression environment of one structure: its fields and pseudo-fields, then symbols."""

    def __init__(self, program: Program, layout: Layout, item: PileItem) -> None:
        super().__init__(program)
        self.layout = layout
        self.item = item

    def field(self, name: str) -> int | None:
        if name in PSEUDO_FIELDS:
            value = pseudo_field(self.program, self.item, name)
            if value is None:
                raise CommandError(f"physaddrof: {self.item.address:#x} has no translation")
            return value
        try:
            ctype = self.layout.field(name).ctype
        except LayoutError:
            return None
        if ctype.kind not in ("int", "pointer"):
            raise CommandError(f"'{name}' is a {ctype.spelling}: expressions work on numbers "
                               "(name one of its members)")
        return int(field_value(self.item.value, name)) & MASK64

    def _unknown(self, name: str) -> str:
        return f"'{name}' is neither a field of {self.layout.name} nor a kernel symbol"
