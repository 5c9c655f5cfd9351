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

A pile keeps its structures as `Records`: their bytes one after the other in one buffer,
beside the columns of where each one is (`spaces`, `addresses`) and its index (its position in
the array or list it was loaded from, kept through filtering: q4's `indexof`). The buffer is
seen as a numpy structured array whose dtype is derived from the layout
(q4py.layouts.dtypes), so a member of every structure is one column decoded in C: `print
addrof av_forw` of 100 000 buffers decodes one member of each and makes no object per buffer,
and `keep`/`forget` evaluate their expression over whole columns (q4py.column_expr).
`Pile.items` gives the structures one by one as `PileItem`s (for scripts and `trace`):
`space`, `address`, `index` and `value`, the structure decoded with its construct model on first
use. Structures a script hands over already decoded (`PileItem(space, address, value, index)`)
are kept as those values.
"""

from __future__ import annotations

import dataclasses
import os
import re
import resource
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from typing import TYPE_CHECKING, Any

import numpy as np

from q4py.errors import CommandError, Q4Error
from q4py.expr import MASK64, ProgramEnv
from q4py.layouts import Layout, LayoutError
from q4py.layouts.base import CType
from q4py.layouts.columns import member_column, member_decoder
from q4py.layouts.dtypes import numeric_column, raw_column, records_view
from q4py.layouts.flat import flat_parser
from q4py.layouts.vm import PAGE_SHIFT, PAGE_SIZE

if TYPE_CHECKING:
    from q4py.program import Program

LAYOUT_KINDS = ("array", "list", "kept")
PSEUDO_FIELDS = ("indexof", "spaceof", "addrof", "physaddrof")
NO_PILE = "no current pile: load something first"
_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")


_UNDECODED: Any = object()  # PileItem._value before a record is decoded


class PileItem:
    """One structure of a pile: where it is, its index and its value, decoded on first use.

    `PileItem(space, address, value, index)` holds a value decoded already (a construct
    Container, or any mapping of members); the items of a loaded pile hold their record's bytes
    and decode them when `value` is first asked for. Immutable, like the pile it comes from.
    """

    __slots__ = ("space", "address", "index", "_value", "_layout", "_record")
    space: int
    address: int
    index: int

    def __init__(self, space: int, address: int, value: Any, index: int = 0) -> None:
        _set = object.__setattr__
        _set(self, "space", space)
        _set(self, "address", address)
        _set(self, "index", index)
        _set(self, "_value", value)
        _set(self, "_layout", None)
        _set(self, "_record", None)

    @classmethod
    def from_record(cls, space: int, address: int, index: int, layout: Layout,
                    record: bytes) -> PileItem:
        """The structure whose bytes are `record`, decoded with `layout` when first used."""
        item = cls(space, address, _UNDECODED, index)
        object.__setattr__(item, "_layout", layout)
        object.__setattr__(item, "_record", record)
        return item

    @property
    def value(self) -> Any:
        """The structure decoded with its construct model (a Container; members as attributes).
        """
        if self._value is _UNDECODED:
            assert self._layout is not None and self._record is not None
            object.__setattr__(self, "_value", flat_parser_for(self._layout)(self._record))
        return self._value

    @property
    def record(self) -> bytes | None:
        """The structure's bytes, when the item was read as bytes (None: given decoded)."""
        return self._record

    def member(self, path: str) -> Any:
        """Member `path` (dotted for nested members), decoding only that member when it can."""
        if self._value is _UNDECODED:
            assert self._layout is not None and self._record is not None
            return member_decoder(self._layout, path)(self._record)
        return field_value(self._value, path)

    def __setattr__(self, name: str, value: Any) -> None:
        raise AttributeError(f"PileItem is immutable: cannot set '{name}'")

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, PileItem):
            return NotImplemented
        if (self.space, self.address, self.index) != (other.space, other.address, other.index):
            return False
        if self._record is not None and other._record is not None \
                and self._layout is other._layout:
            return self._record == other._record
        return bool(self.value == other.value)

    __hash__ = None  # type: ignore[assignment]  # values are mutable Containers

    def __repr__(self) -> str:
        value = "<undecoded>" if self._value is _UNDECODED else repr(self._value)
        return (f"PileItem(space={self.space:#x}, address={self.address:#x}, "
                f"index={self.index}, value={value})")


@lru_cache(maxsize=256)
def flat_parser_for(layout: Layout) -> Callable[[bytes], Any]:
    """The layout's fast construct-equal parser (q4py.layouts.flat), made once per layout."""
    return flat_parser(layout)


class Records:
    """The structures of a pile, column by column.

    The structures' bytes sit one after the other in one buffer (`len(self) * layout.size`
    bytes; given as one buffer or as the pieces a walk read them in, joined once), seen as a
    numpy structured array whose dtype is derived from the layout (q4py.layouts.dtypes): a
    member of every structure is one strided view, decoded in C. A pile made of structures a
    script gave already decoded keeps their `values` instead. `spaces`, `addresses` and
    `indexes` say where each one is and its `indexof`: sequences as given (a `range` for an
    array's addresses and indexes costs no memory), numpy arrays once filtered.

    Filtering (`take`) makes a *subset*: the positions of the chosen structures in the Records
    holding their bytes, 4 or 8 bytes a structure, not a copy of the records; its columns are
    gathered from those Records when asked for.
    """

    __slots__ = ("layout", "_spaces", "_addresses", "_indexes", "_buffer", "values", "_items",
                 "_base", "_rows")

    def __init__(self, layout: Layout, spaces: Sequence[int], addresses: Sequence[int],
                 indexes: Sequence[int], *, data: Any = None,
                 values: Sequence[Any] | None = None) -> None:
        if (data is None) == (values is None):
            raise ValueError("Records hold either the structures' bytes or their values")
        count = len(addresses)
        if len(spaces) != count or len(indexes) != count:
            raise ValueError("Records: spaces, addresses and indexes differ in length")
        buffer: np.ndarray | None = None
        if data is not None:
            if isinstance(data, (list, tuple)):
                data = data[0] if len(data) == 1 else b"".join(data)
            buffer = np.frombuffer(data, dtype=np.uint8)
            if len(buffer) != count * layout.size:
                raise ValueError(f"Records: {len(buffer)} bytes for {count} x {layout.size}")
        if values is not None and len(values) != count:
            raise ValueError("Records: values and addresses differ in length")
        self.layout = layout
        self._spaces: Sequence[int] | None = spaces
        self._addresses: Sequence[int] | None = addresses
        self._indexes: Sequence[int] | None = indexes
        self._buffer = buffer
        self.values = values
        self._items: tuple[PileItem, ...] | None = None
        self._base: Records | None = None
        self._rows: np.ndarray | None = None

    @classmethod
    def subset(cls, base: Records, rows: np.ndarray) -> Records:
        """The structures of `base` (Records of bytes) at positions `rows`, in that order."""
        if base._base is not None:  # a subset of a subset: positions in the first one
            base, rows = base._base, base._rows[rows]  # type: ignore[index]
        made = cls.__new__(cls)
        made.layout = base.layout
        made._spaces = made._addresses = made._indexes = None
        made._buffer, made.values, made._items = None, None, None
        made._base = base
        small = len(base) <= np.iinfo(np.uint32).max
        made._rows = rows.astype(np.uint32 if small else np.intp, copy=False)
        return made

    # -- where each structure is ----------------------------------------------------------
    def _located(self, name: str) -> Sequence[int]:
        """Column `name` (spaces, addresses, indexes); a subset's gathered on first use."""
        column = getattr(self, f"_{name}")
        if column is None:
            column = _pick(getattr(self._base, name), self._rows)  # type: ignore[arg-type]
            setattr(self, f"_{name}", column)
        return column  # type: ignore[no-any-return]

    spaces = property(lambda self: self._located("spaces"), doc="the space of each structure")
    addresses = property(lambda self: self._located("addresses"), doc="where each one is")
    indexes = property(lambda self: self._located("indexes"), doc="each one's indexof")

    @property
    def data(self) -> bytes | None:
        """The structures' bytes (a copy; None: Records of decoded values)."""
        if self._base is not None:
            return self._base._whole()[self._rows].tobytes()  # type: ignore[index]
        return None if self._buffer is None else self._buffer.tobytes()

    @property
    def structured(self) -> np.ndarray | None:
        """The records as a numpy structured array (no copy; None: Records of values or a
        subset)."""
        if self._buffer is None:
            return None
        return records_view(self.layout, self._buffer)

    def _whole(self) -> np.ndarray:
        """Each record as one numpy `void` item (Records of bytes, not a subset)."""
        assert self._buffer is not None
        return self._buffer.view(np.dtype((np.void, self.layout.size)))

    @classmethod
    def from_items(cls, layout: Layout, items: Iterable[PileItem]) -> Records:
        """Records of `items`: their bytes when every one was read as bytes of this layout,
        else their values as they are."""
        items = tuple(items)
        spaces = [item.space for item in items]
        addresses = [item.address for item in items]
        indexes = [item.index for item in items]
        if all(item._layout is layout for item in items):
            made = cls(layout, spaces, addresses, indexes,
                       data=b"".join(item._record for item in items))  # type: ignore[misc]
        else:
            made = cls(layout, spaces, addresses, indexes, values=[item.value for item in items])
        made._items = items
        return made

    def __len__(self) -> int:
        if self._rows is not None:
            return len(self._rows)
        return len(self._addresses)  # type: ignore[arg-type]

    def record(self, position: int) -> bytes:
        """The bytes of structure `position` (Records made of bytes only)."""
        if self._base is not None:
            return self._base.record(int(self._rows[position]))  # type: ignore[index]
        assert self._buffer is not None
        size = self.layout.size
        return self._buffer[position * size:(position + 1) * size].tobytes()

    def item(self, position: int) -> PileItem:
        if self._items is not None:
            return self._items[position]
        if self._base is not None:  # the very structure of the Records it was chosen from
            return self._base.item(int(self._rows[position]))  # type: ignore[index]
        space, address = int(self.spaces[position]), int(self.addresses[position])
        index = int(self.indexes[position])
        if self.values is not None:
            return PileItem(space, address, self.values[position], index)
        return PileItem.from_record(space, address, index, self.layout, self.record(position))

    def items(self) -> tuple[PileItem, ...]:
        """Every structure as a PileItem (made once, on first use)."""
        if self._items is None:
            self._items = tuple(self.item(i) for i in range(len(self)))
        return self._items

    def column(self, path: str, *, as_stored: bool = False) -> Sequence[Any]:
        """Member `path` of every structure, in order: a numpy array for an integer, pointer
        or bit-field member (int64 when signed, unsigned ones in their own width, bit-fields
        in uint64), a list otherwise. `as_stored`: an unsigned integer member as the dump
        stores it (big-endian; a view of the records, no copy), for numpy to read directly."""
        if self._base is not None:
            whole = self._base._own_column(path, as_stored)
            if isinstance(whole, np.ndarray):
                return whole[self._rows]
            return [whole[i] for i in self._rows.tolist()]  # type: ignore[union-attr]
        return self._own_column(path, as_stored)

    def _own_column(self, path: str, as_stored: bool = False) -> Sequence[Any]:
        if self._buffer is not None:
            ctype = self.layout.field(path).ctype
            if as_stored and ctype.kind in ("int", "pointer") and not ctype.signed:
                return raw_column(self.layout, self.structured, path)  # type: ignore[arg-type]
            if ctype.kind in _INTEGERS:
                return numeric_column(self.layout, self.structured, path)  # type: ignore[arg-type]
            return member_column(self.layout, path, self._buffer)
        assert self.values is not None
        return [field_value(value, path) for value in self.values]

    def pseudo_column(self, program: Program, name: str) -> Sequence[int | None]:
        """Pseudo-field `name` of every structure (None: physaddrof without translation)."""
        return pseudo_values(program, name, self.spaces, self.addresses, self.indexes)

    def take(self, positions: Sequence[int] | np.ndarray) -> Records:
        """The structures at `positions` (in that order; or where a boolean mask is true), as
        new Records: a subset of these when they hold bytes."""
        chosen = np.asarray(positions)
        where = (np.flatnonzero(chosen) if chosen.dtype == np.bool_
                 else chosen.astype(np.intp, copy=False))
        if self.values is None:
            return Records.subset(self, where)
        return Records(self.layout, spaces=_pick(self.spaces, where),
                       addresses=_pick(self.addresses, where),
                       indexes=_pick(self.indexes, where),
                       values=[self.values[i] for i in where])


_INTEGERS = ("int", "pointer", "bitfield")


def column_array(values: Sequence[int]) -> np.ndarray:
    """A column of addresses, indexes or spaces as a uint64 numpy array (a range without
    making a list; a broadcast one stays a view)."""
    if isinstance(values, np.ndarray):
        return values
    if isinstance(values, range):
        if not values:
            return np.zeros(0, dtype=np.uint64)
        return np.arange(values.start, values.stop, values.step, dtype=np.uint64)
    return np.array(values, dtype=np.uint64)


def _pick(values: Sequence[int], where: np.ndarray) -> np.ndarray:
    """`values` at the positions `where`, as an array."""
    if isinstance(values, np.ndarray) and values.strides == (0,) and len(values):
        # one value repeated (the space of a walk): still one value
        return np.broadcast_to(values[:1], (len(where),))
    if isinstance(values, range) and values.step > 0:
        # an array's addresses or indexes: computed, not looked up in a column of them all
        return np.uint64(values.start) + where.astype(np.uint64) * np.uint64(values.step)
    return column_array(values)[where]


def same_space(space: int, count: int) -> np.ndarray:
    """The space column of `count` structures all in `space` (one value, no memory per row)."""
    return np.broadcast_to(np.array([space], dtype=np.uint64), (count,))


@dataclass(frozen=True)
class Pile:
    """A set of structures of one type, as a command made it.

    `records` may be given as a sequence of PileItems: they are kept as Records.
    """

    number: int
    name: str | None
    layout: Layout
    type_name: str  # as q4 prints it: `struct buf`, `proc_t`
    layout_kind: str
    records: Records
    command: str

    def __post_init__(self) -> None:
        if self.layout_kind not in LAYOUT_KINDS:
            raise ValueError(f"unknown pile layout {self.layout_kind!r}")
        if not isinstance(self.records, Records):
            object.__setattr__(self, "records", Records.from_items(self.layout, self.records))

    @property
    def items(self) -> tuple[PileItem, ...]:
        """The structures one by one (made on first use; commands work on `records`)."""
        return self.records.items()

    @property
    def count(self) -> int:
        return len(self.records)

    def __iter__(self) -> Iterator[PileItem]:
        return iter(self.items)

    def __len__(self) -> int:
        return len(self.records)

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
        if not len(pile.records):
            raise Q4Error("an empty pile is never pushed on the history")
        stored = dataclasses.replace(pile, number=self._next_number, name=None)
        if pile.name:
            self._take_name(pile.name)
            stored = dataclasses.replace(stored, name=pile.name)
        self._next_number += 1
        self._piles.append(stored)
        return stored

    def make(self, layout: Layout, type_name: str, layout_kind: str,
             items: Records | Sequence[PileItem], command: str) -> Pile:
        """Build a pile and push it (the usual way commands add one): of Records, or of
        PileItems."""
        return self.push(Pile(0, None, layout, type_name, layout_kind, items, command))

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
        if isinstance(ref, int) or (ref.isascii() and ref.isdigit()):
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
        return self.make(old.layout, old.type_name, old.layout_kind, old.records, command)

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


# -- how large a pile may be -------------------------------------------------------------------
ROW_COST = 24  # bytes a structure costs beside its record: its address, index and space
MEMORY_SHARE = 2  # a load may take 1/MEMORY_SHARE of the memory available when it starts
MEMORY_SHARE_TEXT = "half"
_UNKNOWN_MEMORY = 1 << 30  # assumed available where the system does not say


def available_memory() -> int:
    """Bytes of memory the system can give without swapping (Linux's MemAvailable; the free
    pages elsewhere), and no more than the process's address-space limit leaves (`ulimit
    -v`), past which an allocation fails whatever the system has."""
    room = _system_available()
    try:
        limit = resource.getrlimit(resource.RLIMIT_AS)[0]
        if limit != resource.RLIM_INFINITY:
            with open("/proc/self/statm", encoding="ascii") as statm:
                used = int(statm.read().split()[0]) * resource.getpagesize()
            room = min(room, max(0, limit - used))
    except (OSError, ValueError, IndexError):
        pass
    return room


def _system_available() -> int:
    try:
        with open("/proc/meminfo", encoding="ascii") as meminfo:
            for line in meminfo:
                if line.startswith("MemAvailable:"):
                    return int(line.split()[1]) * 1024
    except (OSError, ValueError, IndexError):
        pass
    try:
        return os.sysconf("SC_AVPHYS_PAGES") * os.sysconf("SC_PAGE_SIZE")
    except (ValueError, OSError, AttributeError):
        return _UNKNOWN_MEMORY


def pile_limit(record_size: int) -> int:
    """The most structures of `record_size` bytes a load may walk: as many as a share of the
    memory available now can hold, with their addresses and indexes (at least one)."""
    return max(1, available_memory() // MEMORY_SHARE // (record_size + ROW_COST))


def amount(size: int) -> str:
    """A number of bytes as people say it: `1.5 GiB`, `340 MiB`, `12 KiB`, `100 bytes`."""
    for unit, shift in (("GiB", 30), ("MiB", 20), ("KiB", 10)):
        if size >= 1 << shift:
            value = size / (1 << shift)
            return f"{value:.1f} {unit}" if value < 10 else f"{value:.0f} {unit}"
    return f"{size} bytes"


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


def physical_address_of(program: Program, space: int, address: int) -> int | None:
    """Where `space.address` is in physical memory, or None when its page has no translation."""
    try:
        translation = program.translate(space, address)
    except Q4Error:
        return None
    return translation.pfn << PAGE_SHIFT | (address & (PAGE_SIZE - 1))


def pseudo_values(program: Program, name: str, spaces: Sequence[int], addresses: Sequence[int],
                  indexes: Sequence[int]) -> Sequence[int | None]:
    """q4's pseudo-field `name` of the structures at `spaces`/`addresses`/`indexes` (parallel
    sequences), the one definition for whole piles and single items alike (None: physaddrof
    without translation)."""
    if name == "addrof":
        return addresses
    if name == "indexof":
        return indexes
    if name == "spaceof":
        return spaces
    if name == "physaddrof":
        return [physical_address_of(program, space, address)
                for space, address in zip(spaces, addresses, strict=True)]
    raise KeyError(name)


class ItemEnv(ProgramEnv):
    """The expression environment of one structure: its fields and pseudo-fields, then symbols."""

    def __init__(self, program: Program, layout: Layout, item: PileItem) -> None:
        super().__init__(program)
        self.layout = layout
        self.item = item

    def field(self, name: str) -> int | None:
        if name in PSEUDO_FIELDS:
            item = self.item
            value = pseudo_values(self.program, name, [item.space], [item.address],
                                  [item.index])[0]
            if value is None:
                raise CommandError(f"physaddrof: {self.item.address:#x} has no translation")
            return value
        if not _numeric_member(self.layout, name):
            return None
        return int(self.item.member(name)) & MASK64

    def _unknown(self, name: str) -> str:
        return f"'{name}' is neither a field of {self.layout.name} nor a kernel symbol"


class RecordsEnv(ItemEnv):
    """The expression environment of the structure at `position` of some Records, for
    evaluating one expression over a whole pile (`keep`): a member is decoded for every
    structure at once, the first time the expression names it, and only then."""

    def __init__(self, program: Program, records: Records) -> None:
        ProgramEnv.__init__(self, program)
        self.layout = records.layout
        self.records = records
        self.position = 0
        self._columns: dict[str, Sequence[Any]] = {}

    @property  # type: ignore[override]
    def item(self) -> PileItem:
        return self.records.item(self.position)

    def field(self, name: str) -> int | None:
        if name in PSEUDO_FIELDS or self.records.values is not None:
            return super().field(name)
        column = self._columns.get(name)
        if column is None:
            if not _numeric_member(self.layout, name):
                return None
            column = self._columns[name] = self.records.column(name)
        return int(column[self.position]) & MASK64


def _numeric_member(layout: Layout, name: str) -> bool:
    """True for an integer or pointer member; False for no such member (then a symbol);
    CommandError for a member expressions cannot use."""
    try:
        ctype = layout.field(name).ctype
    except LayoutError:
        return False
    if ctype.kind not in ("int", "pointer"):
        raise CommandError(f"'{name}' is a {ctype.spelling}: expressions work on numbers "
                           "(name one of its members)")
    return True
