"""`load TYPE from EXPR [max EXPR] [next FIELD] [skip N] [until EXPR]`: make a pile.

Without `next` the structures are consecutive (an array from EXPR on); with `next FIELD` they
form a linked list through that pointer member. The walk is always bounded: it ends at `max`
structures, at a read that fails, at a NULL `next` pointer, when a list comes back to a
structure it already visited, when `until` holds, or, whatever `max` says, at the most
structures half the memory available can hold (`q4py.piles.pile_limit`).
The new pile is pushed only once the walk is over, so Ctrl-C leaves the history as it was.

The output is q4's, verified on a 64-bit session: `loaded 2 struct bufs as a linked list` with
a trailing blank, an empty line, `(stopped by bad read at 0x0.0x18191a1b'1c1d1e1f)` and another
empty line. A stop reason line is printed whenever the walk ended before the data did; none
when a list ended at its NULL pointer or an array reached its `max`.
"""

from __future__ import annotations

import shlex
import struct
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from q4py import expr
from q4py.addr import format_q4_address
from q4py.commands import command
from q4py.errors import CommandError, Q4Error, ReadError
from q4py.layouts import Layout
from q4py.layouts.base import CType, fast_code
from q4py.layouts.columns import column_reader
from q4py.layouts.vm import PAGE_SIZE
from q4py.piles import (
    MEMORY_SHARE_TEXT,
    ROW_COST,
    ItemEnv,
    PileItem,
    Records,
    amount,
    count_of,
    pile_limit,
    resolve_field,
    same_space,
)

if TYPE_CHECKING:
    from q4py.program import Program
    from q4py.shell.session import Session

USAGE = "load TYPE from EXPR [max EXPR] [next FIELD] [skip EXPR] [until EXPR]"
CLAUSES = ("from", "max", "next", "skip", "until")
LIST_MAX = 1000  # `max` of a list walk when none is given
ARRAY_MAX = 1  # `max` of an array when none is given: one structure
_PROGRESS_EVERY = 1000

HELP = f"""\
TYPE is `struct TAG` or a typedef (`proc_t`, `kthread_t`). The clauses come in any order:
  from EXPR    address of the first structure (required). A bare symbol is its value (q4
               dereferences it: `from proc_list`), `&sym` its address, `0x0`4076da18` a
               64-bit address split at the backtick, `SPACE.OFFSET` an address in a space.
               Paste q4's own addresses such as 0x0.0x18191a1b'1c1d1e1f back in double
               quotes: an unquoted ' starts a quotation.
  max EXPR     at most this many structures (default: {ARRAY_MAX} for an array, {LIST_MAX} for a
               list). It may name a kernel variable: `max nproc`.
  next FIELD   follow this pointer member: a linked list. Without it the structures are
               consecutive in memory: an array.
  skip EXPR    walk past this many structures first.
  until EXPR   stop before the first structure for which EXPR (using its fields as keep
               does, e.g. `until p_pid == 0`, `until p_comm == "vhand"`) is non-zero.
The walk stops at the first of: `max` structures; a read that fails; a NULL `next`; a list
coming back to a structure it saw before; `until`; as many structures as half the memory
available when the load starts can hold (with their addresses and indexes). It prints
`loaded N TYPEs as a linked list ` (or `as an array `), an empty line, and, when the walk
stopped before the data ended, the reason and another empty line:
  (stopped by bad read at 0x0.0x18191a1b'1c1d1e1f)
  (stopped by max count)              a list cut at `max`
  (stopped by loop at ADDRESS)        the list came back to ADDRESS
  (stopped by until at ADDRESS)       `until` held for the structure at ADDRESS
                                      (`until` is tested before the loop check)
  (stopped by the limit of N structures (SIZE: half the memory available))
A list ending at a NULL pointer, or an array of `max` structures, needs no reason.
The structures become a new pile, the current one (`it`); loading nothing makes no pile.
Examples:
  load struct proc from proc max nproc
  load proc_t from proc_list max nproc next p_factp
  load struct buf from 0x0`4076da18 next av_forw max 10
  load struct buf from &bfreelist[2] next av_forw skip 1 until addrof == &bfreelist[2]
  load proc_t from proc max nproc until p_comm == "vhand\""""


@dataclass
class LoadRequest:
    """A parsed `load` line."""

    type_words: str
    clauses: dict[str, str]


def parse_load(args: list[str]) -> LoadRequest:
    """Split the words of a load line into the type and its clauses (any order, each once)."""
    if not args:
        raise CommandError(f"usage: {USAGE}")
    if args[0] in ("struct", "union"):
        if len(args) < 2 or args[1] in CLAUSES:
            raise CommandError(f"load: '{args[0]}' needs a tag, e.g. 'load struct proc from ...'")
        type_words, rest = f"{args[0]} {args[1]}", args[2:]
    else:
        if args[0] in CLAUSES:
            raise CommandError(f"load: a type comes first (usage: {USAGE})")
        type_words, rest = args[0], args[1:]
    clauses: dict[str, list[str]] = {}
    current: list[str] | None = None
    for word in rest:
        if word in CLAUSES:
            if word in clauses:
                raise CommandError(f"load: '{word}' is given twice")
            current = clauses[word] = []
        elif current is None:
            raise CommandError(f"load: unexpected '{word}' after the type: expected one of "
                               f"{', '.join(CLAUSES)}")
        else:
            current.append(word)
    texts = {}
    for name, words in clauses.items():
        if not words:
            what = "a field" if name == "next" else "an expression"
            raise CommandError(f"load: '{name}' needs {what}")
        texts[name] = " ".join(words)
    if "from" not in texts:
        raise CommandError(f"load: where from? (usage: {USAGE})")
    if "next" in texts and len(clauses["next"]) != 1:
        raise CommandError(f"load: 'next' takes one field name, not '{texts['next']}'")
    return LoadRequest(type_words, texts)


def display_name(layout: Layout, spelling: str) -> str:
    """How q4 names the type in messages: a typedef as typed, anything else as `struct TAG`."""
    spelling = " ".join(spelling.split())
    return spelling if spelling in layout.aliases else layout.name


def _evaluate(text: str, env: expr.Env, clause: str) -> expr.Value:
    try:
        return expr.evaluate(expr.parse(text), env)
    except CommandError as err:
        raise CommandError(f"load: {clause}: {err}") from None


@dataclass
class Walk:
    """What a walk found (the structures' bytes and where each was) and why it stopped
    (`reason` None: the data ended)."""

    records: Records
    reason: str | None

    @property
    def items(self) -> tuple[PileItem, ...]:
        return self.records.items()


# A walk reads the dump a window at a time from the structure it is at: each structure is the
# same bytes as its own read (`prog.read(address, size, space)`), but a packed list or an array
# costs one read per window instead of one per structure, and a run of consecutive structures
# is kept as the window itself. Windows grow while the walk runs through them in order, as far
# as _WINDOW_MAX, and shrink back to a page when it jumps about.
_WINDOW_START, _WINDOW_MAX = 1 << 14, 1 << 18
_BLOCK_MAX = 1 << 16  # of an aligned window
_ARRAY_SLICE = 1 << 18  # bytes of an array read at once


class _Windows:
    """The bytes around structures of `size` bytes in `space`, a window at a time."""

    def __init__(self, prog: Program, space: int, size: int) -> None:
        self.read = prog.read
        self.space = space
        self.size = size
        self.length = 0  # of the last window read from a structure on
        self.block = PAGE_SIZE  # of the last aligned window

    def at(self, address: int, sequential: bool, dense: bool) -> tuple[bytes, int] | None:
        """(bytes, the address they start at) holding the structure at `address`; None when
        the structure cannot be read.

        `sequential`: the walk went on from the structure before this one, so the window
        starts at the structure, twice as long as the last (a list in address order).
        Otherwise the window is an aligned block around the structure: twice as large as the
        last when the walk used at least half of the last window (`dense`: a list in some
        other order within a region), else one page (a list scattered about memory).
        """
        size, space, read = self.size, self.space, self.read
        if sequential:
            short = max(1, (PAGE_SIZE - address % PAGE_SIZE) // size) * size
            length = max(short, min(max(2 * self.length, _WINDOW_START), _WINDOW_MAX)
                         // size * size)
            while length > short:
                try:
                    data = read(address, length, space)
                except ReadError:  # a page of the window is missing: a shorter one
                    length = length // 2 // size * size
                else:
                    self.length = length
                    return data, address
        self.length = 0
        block = self.block = min(2 * self.block, _BLOCK_MAX) if dense else PAGE_SIZE
        while True:
            # Never from address 0, where a NULL pointer points.
            base = address - address % block or address
            end = address + size + -(address + size) % block
            try:
                return read(base, end - base, space), base
            except ReadError:
                if block == PAGE_SIZE:
                    break
                block = self.block = PAGE_SIZE
        try:
            return read(address, size, space), address
        except ReadError:
            return None


def _run(window: bytes, base: int, size: int, addresses: list[int], start: int) -> list[bytes]:
    """The bytes of the structures at `addresses[start:]`, all in `window` (which starts at
    address `base`), in one piece: the window itself, or a slice of it, when they follow one
    another."""
    count = len(addresses) - start
    if not count:
        return []
    first = addresses[start]
    offset = first - base
    if count == 1 or (addresses[-1] == first + (count - 1) * size and addresses[start:]
                      == list(range(first, first + count * size, size))):
        return [window[offset:offset + count * size]]  # the window itself when it fits
    return [b"".join([window[a - base:a - base + size] for a in addresses[start:]])]


class _LoopCheck:
    """Where a list walk first came back to a structure it had walked, found without hashing
    every address: Brent's cycle detection over the addresses walked so far.

    The address at each mark (positions 0, 1, 3, 7, 15, ...) is looked for among the ones
    walked after it, up to the next mark: once the walk is in a loop of L structures entered
    at position M, a mark at or past M is found again L positions later, so a loop shows
    before the walk has gone twice past max(M, L). Then `first_repeat` finds the exact place.
    `skipped` are the addresses walked before the first kept one (`skip`).
    """

    def __init__(self, addresses: list[int], skipped: set[int]) -> None:
        self.addresses = addresses
        self.skipped = skipped
        self.mark, self.next_mark = 0, 1
        self.checked = 0

    def check(self) -> int | None:
        """After more addresses were walked: the position of the first one walked before,
        once the walk shows a loop; None while it does not."""
        walked = self.addresses
        count = len(walked)
        if self.skipped and not self.skipped.isdisjoint(walked[self.checked:]):
            return self.first_repeat()
        while True:
            low, high = max(self.checked, self.mark + 1), min(count, self.next_mark + 1)
            if low < high:
                try:
                    walked.index(walked[self.mark], low, high)
                except ValueError:
                    pass
                else:
                    return self.first_repeat()
            if self.next_mark >= count:
                break
            self.mark, self.next_mark = self.next_mark, 2 * self.next_mark + 1
        self.checked = count
        return None

    def first_repeat(self) -> int | None:
        """The position of the first address walked twice (a set over them all: rare)."""
        seen = set(self.skipped)
        for position, address in enumerate(self.addresses):
            if address in seen:
                return position
            seen.add(address)
        return None


def walk(session: Session, layout: Layout, start: int, space: int, *, limit: int, skip: int,
         next_field: str | None, until: expr.Node | None, natural_max: bool) -> Walk:
    """Read structures from `space.start` on, as an array or through `next_field`.

    The bytes of each structure are kept (for the pile); while walking, only the `next`
    member is decoded, and the members `until` names.
    """
    prog = session.program
    progress = getattr(session, "progress", None)
    wide = bool(prog.wide)
    size = layout.size
    bits_mask = (1 << (64 if wide else 32)) - 1
    addresses: list[int] = []  # of a list's structures
    chunks: list[bytes] = []
    # An array's structures go into one buffer, in order from `first`: no list of addresses
    # (a range says them) and no second copy when the walk ends.
    buffer: np.ndarray | None = None
    filled = 0
    first = start

    def done(reason: str | None) -> Walk:
        if buffer is not None:
            records = Records(layout, same_space(space, filled),
                              range(first, first + filled * size, size),
                              range(skip, skip + filled), data=buffer[:filled * size])
        else:
            records = Records(layout, same_space(space, len(addresses)), addresses,
                              range(skip, skip + len(addresses)), data=chunks)
        return Walk(records, reason)

    def bad_read(address: int) -> Walk:
        return done(f"stopped by bad read at {format_q4_address(space, address, wide)}")

    def past_the_end(address: int) -> Walk:
        # Nothing is there to read: name the real address (masked, it would name one that
        # exists) and say why.
        where = format_q4_address(space, address, wide)
        return done(f"stopped by bad read at {where}: beyond the {64 if wide else 32}-bit "
                    "address space")

    def follows(address: int) -> bool:
        """Whether the structure at `address` is right after the last one kept."""
        if buffer is not None:
            return bool(filled)
        return bool(addresses) and address == addresses[-1] + size

    def loop_at(position: int) -> Walk:
        """The walk came back to the structure at addresses[position]: keep what came before."""
        again = addresses[position]
        del addresses[position:]
        chunks[:] = [b"".join(chunks)[:position * size]]
        return done(f"stopped by loop at {format_q4_address(space, again, wide)}")

    address = start
    position = 0  # structures walked, skipped ones included: indexof
    if next_field is None and skip:
        # An array skips by arithmetic, however large `skip` is.
        address += skip * size
        position = skip
        if address > bits_mask:
            return past_the_end(address)
    if limit <= 0:
        return done(None if natural_max else "stopped by max count")
    # The walk ends at the first of `limit` structures kept or `most` structures walked.
    most = pile_limit(size)
    kept_all = skip + limit
    stop_at = min(kept_all, position + most)
    total = None if limit >= most else limit
    report = _PROGRESS_EVERY + skip  # position at which progress is reported next
    what = f"loading {layout.name}"
    windows = _Windows(prog, space, size)
    window, wbase, wlimit = b"", 0, -1  # the structure at `address` is window[off:off+size]
    test = None
    if until is not None:
        def test(record: bytes, address: int, position: int) -> bool:
            item = PileItem.from_record(space, address, position, layout, record)
            return bool(expr.evaluate(until, ItemEnv(prog, layout, item)))

    if next_field is None:
        first = address
        # Room for every structure the walk may keep: memory is only used once written.
        room = min(stop_at - position, (bits_mask - address) // size + 1) * size
        try:
            buffer = np.empty(room, dtype=np.uint8)
        except MemoryError:  # the memory said available was not there after all
            raise CommandError(f"load: cannot set aside {room:#x} bytes for the structures "
                               "(out of memory): give a smaller max") from None
        if test is None:
            # Whole slices of the array at once; the loop below finds where a read fails.
            step = max(1, _ARRAY_SLICE // size)
            while position < stop_at:
                count = min(stop_at - position, step, (bits_mask - address) // size)
                if count <= 0:
                    break
                try:
                    data = prog.read(address, count * size, space)
                except ReadError:
                    break
                buffer[filled * size:(filled + count) * size] = np.frombuffer(data, np.uint8)
                filled += count
                position += count
                address += count * size
                while report <= position:
                    if progress is not None:
                        progress(report - skip, total, what)
                    report += _PROGRESS_EVERY
        while position < stop_at:
            off = address - wbase
            if not 0 <= off <= wlimit:
                found = windows.at(address, follows(address), False)
                if found is None:
                    return bad_read(address)
                window, wbase = found
                wlimit, off = len(window) - size, address - wbase
            record = window[off:off + size]
            if test is not None and test(record, address, position):
                return done(f"stopped by until at {format_q4_address(space, address, wide)}")
            buffer[filled * size:(filled + 1) * size] = np.frombuffer(record, np.uint8)
            filled += 1
            position += 1
            if position == report:
                report += _PROGRESS_EVERY
                if progress is not None:
                    progress(position - skip, total, what)
            address += size
            if address > bits_mask:
                return past_the_end(address)
    else:
        # Only the next pointer is decoded: a projection of that one member.
        pointer = layout.field(next_field)
        forward = struct.Struct(f">{pointer.offset}x{fast_code(pointer.ctype)}").unpack_from
        next_column = column_reader(layout, next_field)
        seen: set[int] = set()
        seen_add = seen.add
        skipped: set[int] = set()  # the structures walked before the first kept one
        # One structure at a time while skipping, or testing `until`, ...
        while position < stop_at and (test is not None or position < skip):
            if not address:
                return done(None)
            off = address - wbase
            if not 0 <= off <= wlimit:
                found = windows.at(address, follows(address), False)
                if found is None:
                    return bad_read(address)
                window, wbase = found
                wlimit, off = len(window) - size, address - wbase
            record = window[off:off + size]
            # `until` goes before the loop check, so `until addrof == &head` ends a ring.
            if test is not None and position >= skip and test(record, address, position):
                return done(f"stopped by until at {format_q4_address(space, address, wide)}")
            if address in seen:
                return done(f"stopped by loop at {format_q4_address(space, address, wide)}")
            seen_add(address)
            if position >= skip:
                addresses.append(address)
                chunks.append(record)
            else:
                skipped.add(address)
            position += 1
            if position == report:
                report += _PROGRESS_EVERY
                if progress is not None:
                    progress(position - skip, total, what)
            address = forward(record)[0]
        # ... then, in the hot loop, runs of structures within a window, checked for a loop
        # once a run is over (see _LoopCheck: the walk may go on a little past the structure
        # it came back to, and is cut there).
        keep_address = addresses.append
        loops = _LoopCheck(addresses, skipped)
        run = len(addresses)  # where the structures read from the current window begin
        while position < stop_at:
            if not address:
                break
            if not 0 <= address - wbase <= wlimit:
                dense = 2 * (len(addresses) - run) * size >= len(window)
                chunks += _run(window, wbase, size, addresses, run)
                run = len(addresses)
                sequential = follows(address)
                found = windows.at(address, sequential, dense)
                if found is None:
                    break
                window, wbase = found
                wlimit = len(window) - size
                if wbase == address and (sequential or not addresses):
                    # A list laid out in address order (as one built from an array): check
                    # a window's next pointers at once, and take its structures in one go.
                    count = min(len(window) // size, stop_at - position)
                    following = list(range(address + size, address + count * size, size))
                    nexts = next_column(window)
                    if nexts[:count - 1].tolist() == following:
                        keep_address(address)
                        addresses += following
                        address = nexts[count - 1]
                        chunks.append(window[:count * size])  # the window itself when whole
                        run = len(addresses)
                        position = skip + run
                        while report <= position:
                            if progress is not None:
                                progress(report - skip, total, what)
                            report += _PROGRESS_EVERY
                        looped = loops.check()
                        if looped is not None:
                            return loop_at(looped)
                        continue
            for _ in range(min(stop_at, report) - position):
                # A window never starts at 0 (the walk stops at NULL), so NULL is never in it.
                off = address - wbase
                if off < 0 or off > wlimit:
                    break
                keep_address(address)
                address = forward(window, off)[0]
            looped = loops.check()
            if looped is not None:
                chunks += _run(window, wbase, size, addresses, run)
                return loop_at(looped)
            position = skip + len(addresses)
            if position == report:
                report += _PROGRESS_EVERY
                if progress is not None:
                    progress(position - skip, total, what)
        chunks += _run(window, wbase, size, addresses, run)
        if position < stop_at:
            if not address:
                return done(None)
            return bad_read(address)
        # Cut by max or the limit: a loop not shown yet is one whose next structure was walked.
        if address in addresses or address in loops.skipped:
            looped = loops.first_repeat()
            if looped is not None:
                return loop_at(looped)
    if position >= kept_all:
        return done(None if natural_max else "stopped by max count")
    return done(f"stopped by the limit of {most} structures ("
                f"{amount(most * (size + ROW_COST))}: {MEMORY_SHARE_TEXT} the memory available)")


def _until_as_typed(text: str) -> str | None:
    """The `until` clause of the arguments as typed, its strings still quoted
    (`until p_comm == "init"`); None when the words cannot be read that way."""
    try:
        words = shlex.split(text, posix=False)
    except ValueError:
        return None
    try:
        return parse_load(words).clauses.get("until")
    except CommandError:
        return None


@command("load", usage=USAGE, summary="load structures from memory into a new pile", help=HELP)
def load_command(session: Session, args: list[str]) -> None:
    request = parse_load(args)
    prog = session.program
    try:
        layout = prog.types.get(request.type_words)
    except Q4Error as err:
        raise CommandError(f"load: {err}") from None
    type_name = display_name(layout, request.type_words)
    clauses = request.clauses
    env = expr.ProgramEnv(prog)
    origin = _evaluate(clauses["from"], env, "from")
    space = origin.space or 0
    next_field = clauses.get("next")
    if next_field is not None:
        ctype = resolve_field_for_load(layout, next_field)
        # A pointer, or an unsigned integer holding one (uintptr_t, caddr_t, ulong_t).
        if not (ctype.kind == "pointer" or (ctype.kind == "int" and not ctype.signed
                                            and ctype.size == prog.pointer_size)):
            raise CommandError(f"load: next: '{next_field}' is a {ctype.spelling}, "
                               "not a pointer")
    if "max" in clauses:
        limit = _evaluate(clauses["max"], env, "max").value
    else:
        limit = LIST_MAX if next_field is not None else ARRAY_MAX
    skip = _evaluate(clauses["skip"], env, "skip").value if "skip" in clauses else 0
    until = None
    if "until" in clauses:
        try:
            until = expr.parse(_until_as_typed(session.args_text) or clauses["until"])
        except CommandError as err:
            raise CommandError(f"load: until: {err}") from None
    try:
        result = walk(session, layout, origin.value, space, limit=limit, skip=skip,
                      next_field=next_field, until=until,
                      natural_max=next_field is None)
    except CommandError as err:
        raise CommandError(f"load: {err}") from None
    kind = "list" if next_field is not None else "array"
    out = session.out
    shape = "a linked list" if kind == "list" else "an array"
    print(f"loaded {count_of(len(result.records), type_name)} as {shape} ", file=out)
    print(file=out)
    if result.reason:
        print(f"({result.reason})", file=out)
        print(file=out)
    if len(result.records):
        session.piles.make(layout, type_name, kind, result.records, " ".join(["load", *args]))


def resolve_field_for_load(layout: Layout, name: str) -> CType:
    try:
        return resolve_field(layout, name)
    except CommandError as err:
        raise CommandError(f"load: next: {err}") from None
