"""Tab completion for the q4 REPL.

`Q4Completer(session)` completes, from what is left of the cursor:

- the first word: command names and aliases (with their summary as the menu's meta text); an
  alias's arguments complete as its command's (`ex` as `examine`, `let` as `Let`);
- a flag or keyword word of a command (the `FLAGS` and `KEYWORDS` tables below);
- type names after `load`, `p`, `fields`, `whatis` (and tags after `struct`);
- field names of the current pile's type after `print`, `keep`, `forget` (and of the type being
  loaded after `load ... next`);
- kernel symbols after `from`, `max`, `examine`, `symbol`, `p TYPE`; after `examine ... using`,
  the format letters of the examine command's own table (q4py.commands.examine.FORMATS);
- script names after `run`, file paths after `include`, `>` and `>>`.

It reads everything through the session defensively (`getattr` with defaults): a session with
no dump, no piles, or commands that do not exist yet completes what it can and nothing else.
Completion must never raise into the prompt, so a failure to read a list gives no candidates.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path
from typing import Any

from prompt_toolkit.completion import CompleteEvent, Completer, Completion, PathCompleter
from prompt_toolkit.document import Document

__all__ = ["FLAGS", "Q4Completer", "script_names"]

# Words a command takes as its own options, offered when the word being typed is one of the
# command's arguments (for `print`, only while the word starts with `-`, since any other word
# there is a field name).
FLAGS: dict[str, tuple[str, ...]] = {
    "print": ("-x", "-d", "-o", "-t"),
    "p4_sysmap": ("-a",),
    "trace": ("event", "pile", "processor", "-v"),
    "run": ("-l",),
    "name": ("it",),
    "Let": ("-b",),
}

# Clause keywords offered after the command's first argument.
KEYWORDS: dict[str, tuple[str, ...]] = {
    "load": ("from", "max", "next", "skip", "until"),
    "examine": ("for", "using"),
}

PSEUDO_FIELDS = ("addrof", "indexof", "spaceof", "physaddrof")

TYPE_COMMANDS = frozenset({"load", "p", "fields", "whatis"})
FIELD_COMMANDS = frozenset({"print", "keep", "forget"})
SYMBOL_COMMANDS = frozenset({"examine", "symbol", "whatis"})
SYMBOL_CLAUSES = frozenset({"from", "max"})
PATH_COMMANDS = frozenset({"include"})

# A (dotted) name at the end of the text, not the tail of a number like `0x1f`.
_IDENT_TAIL = re.compile(r"(?<![\w$.])[A-Za-z_$][\w$.]*$")


def script_names() -> list[str]:
    """Script names for `run`: the run command's search if it is there, else the bundled ones."""
    try:
        from q4py.commands import run as run_module
    except ImportError:
        run_module = None  # type: ignore[assignment]
    available = getattr(run_module, "available_scripts", None)
    if callable(available):
        try:
            return sorted({getattr(s, "name", str(s)) for s in available()})
        except Exception:  # a broken search path must not break the prompt
            pass
    import q4py

    scripts = Path(q4py.__file__).resolve().parent / "scripts"
    return sorted(p.stem for p in scripts.glob("*.py") if not p.stem.startswith("_"))


class Q4Completer(Completer):
    """Completes q4 command lines for `session` (a `q4py.shell.Session`, or anything like it)."""

    def __init__(
        self,
        session: Any,
        *,
        scripts: Callable[[], Iterable[str]] = script_names,
        sections: Callable[[], Iterable[str]] | None = None,
    ) -> None:
        self.session = session
        self._scripts = scripts
        self._sections = sections if sections is not None else _section_names
        self._paths = PathCompleter(expanduser=True)
        self._symbols: tuple[int, list[str]] | None = None  # (id(program), names), built once

    # -- the entry point -----------------------------------------------------------------------
    def get_completions(
        self, document: Document, complete_event: CompleteEvent
    ) -> Iterator[Completion]:
        try:
            yield from self._complete(document.text_before_cursor, complete_event)
        except Exception:  # completion is a convenience: never take the prompt down
            return

    def _complete(self, text: str, event: CompleteEvent) -> Iterator[Completion]:
        words = text.split()
        partial = "" if not text or text[-1].isspace() else words.pop()
        # Output redirection: `CMD > FI` or `CMD >FI`.
        if partial.startswith(">") and words:
            yield from self._path(partial.lstrip(">"), event)
            return
        if words and words[-1] in (">", ">>"):
            if words[0] in ("keep", "forget"):  # `keep p_pid > p_ppid` compares
                yield from self._fields(self._current_layout(), _tail_name(text, partial))
            yield from self._path(partial, event)
            return
        if not words:
            yield from self._commands(partial)
            return
        cmd, args = self._canonical(words[0]), words[1:]
        yield from self._argument(cmd, args, partial, text, event)

    def _argument(
        self, cmd: str, args: list[str], partial: str, text: str, event: CompleteEvent
    ) -> Iterator[Completion]:
        last = args[-1] if args else None
        ident = _tail_name(text, partial)  # the name inside an expression: `p_st` in `(p_st`
        if cmd in PATH_COMMANDS:
            yield from self._path(partial, event)
            return
        if cmd == "run":
            if not args:
                yield from _matching(partial, [*self._scripts(), *FLAGS["run"]], "script")
            return
        if cmd == "help":
            if not args:
                yield from self._commands(partial)
            return
        if cmd == "crashinfo":
            yield from _matching(partial, self._sections(), "section")
            return
        if cmd in FLAGS and all(a.startswith("-") for a in args):
            yield from _matching(partial, FLAGS[cmd], "flag")
        if partial.startswith("-"):
            return
        if last == "struct" and cmd in TYPE_COMMANDS:
            yield from self._type_names(partial, tags_only=True)
        elif cmd in TYPE_COMMANDS and not args:
            if cmd == "p":
                yield from _matching(partial, ("s",), "string at ADDR")
            yield from self._type_names(partial)
            if cmd == "whatis":  # a type or a symbol
                yield from self._symbol_names(ident)
        elif cmd in FIELD_COMMANDS:
            if cmd == "print":
                yield from _matching(ident, PSEUDO_FIELDS, "pseudo-field")
            yield from self._fields(self._current_layout(), ident)
        elif cmd == "load":
            yield from self._load_clause(args, partial, ident)
        elif cmd == "examine":
            yield from self._examine_clause(args, partial, ident)
        elif cmd == "p" and _type_given(args):
            yield from self._symbol_names(ident)
        elif cmd in SYMBOL_COMMANDS and not args:
            yield from self._symbol_names(ident)
        elif cmd == "p4_sysmap" and "-a" not in args:
            yield from self._symbol_names(ident)
        elif cmd == "recall" and not args:
            yield from _matching(partial, self._pile_names(), "pile")

    def _load_clause(self, args: list[str], partial: str, ident: str) -> Iterator[Completion]:
        """`load TYPE [clauses]`: the next clause keyword, fields after `next`, symbols in the
        expressions of `from`, `max`, `until`."""
        last = args[-1]
        if last == "next":
            yield from self._fields(self._layout_of(args[:-1]), partial)
        elif last in ("from", "max", "until") or ident != partial:
            yield from self._symbol_names(ident)
        elif last != "skip":
            used = set(args) & set(KEYWORDS["load"])
            left = [k for k in KEYWORDS["load"] if k not in used]
            yield from _matching(partial, left, "clause")

    def _examine_clause(self, args: list[str], partial: str, ident: str) -> Iterator[Completion]:
        """`examine ADDR [for N] using FMT`."""
        last = args[-1] if args else None
        if last == "using":
            yield from self._formats(partial)
        elif not args or ident != partial:
            yield from self._symbol_names(ident)
        elif last != "for":
            used = set(args) & set(KEYWORDS["examine"])
            left = [k for k in KEYWORDS["examine"] if k not in used]
            yield from _matching(partial, left, "keyword")

    # -- candidate sources -------------------------------------------------------------------
    def _formats(self, partial: str) -> Iterator[Completion]:
        """`examine ... using`: every letter of the examine command's own table."""
        from q4py.commands.examine import FORMATS

        for letter, fmt in FORMATS.items():
            if letter.startswith(partial):
                size = {0: ", pointer size", None: ""}.get(fmt.size, f", {fmt.size} bytes")
                yield Completion(letter, -len(partial), display_meta=f"{fmt.kind}{size}")

    def _commands(self, partial: str) -> Iterator[Completion]:
        registry = getattr(self.session, "commands", None)
        names = _call_list(getattr(registry, "names", None))
        lookup = getattr(registry, "lookup", None)
        for name in names:
            if name.startswith(partial):
                cmd = lookup(name) if callable(lookup) else None
                meta = getattr(cmd, "summary", "") if cmd is not None else ""
                yield Completion(name, -len(partial), display_meta=meta)

    def _type_names(self, partial: str, *, tags_only: bool = False) -> Iterator[Completion]:
        names = _call_list(getattr(self._types(), "names", None))
        seen: set[str] = set()
        candidates: list[str] = []
        for name in names:
            if name.startswith("struct "):
                tag = name[len("struct ") :]
                # `load m` offers `struct map`; after `struct`, only the tag.
                candidate = tag if tags_only else name
                if tag.startswith(partial) or (not tags_only and name.startswith(partial)):
                    candidates.append(candidate)
            elif not tags_only and name.startswith(partial):
                candidates.append(name)
        for candidate in sorted(candidates):
            if candidate not in seen:
                seen.add(candidate)
                yield Completion(candidate, -len(partial), display_meta="type")

    def _fields(self, layout: Any, partial: str) -> Iterator[Completion]:
        walk = getattr(layout, "walk", None)
        if not callable(walk):
            return
        for fld in walk():
            name = getattr(fld, "name", None)
            if isinstance(name, str) and name.startswith(partial):
                ctype = getattr(fld, "ctype", None)
                yield Completion(name, -len(partial), display_meta=getattr(ctype, "spelling", ""))

    def _symbol_names(self, partial: str) -> Iterator[Completion]:
        if not partial:  # thousands of symbols: wait for a first letter
            return
        for name in self._all_symbols():
            if name.startswith(partial):
                yield Completion(name, -len(partial), display_meta="symbol")

    def _path(self, partial: str, event: CompleteEvent) -> Iterator[Completion]:
        yield from self._paths.get_completions(Document(partial, len(partial)), event)

    # -- the session, read defensively ---------------------------------------------------------
    def _canonical(self, word: str) -> str:
        """The command `word` names: an alias (`ex`, `let`) completes like its command."""
        lookup = getattr(getattr(self.session, "commands", None), "lookup", None)
        cmd = lookup(word) if callable(lookup) else None
        name = getattr(cmd, "name", None)
        return name if isinstance(name, str) else word

    def _program(self) -> Any:
        return getattr(self.session, "program", None)

    def _types(self) -> Any:
        return getattr(self._program(), "types", None)

    def _all_symbols(self) -> list[str]:
        program = self._program()
        if self._symbols is None or self._symbols[0] != id(program):
            kernel = getattr(program, "kernel", None)
            syms = _call_list(getattr(kernel, "symbols", None))
            names = sorted({s if isinstance(s, str) else getattr(s, "name", "") for s in syms})
            self._symbols = (id(program), [n for n in names if n])
        return self._symbols[1]

    def _current_layout(self) -> Any:
        piles = getattr(self.session, "piles", None)
        try:
            current = getattr(piles, "current", None)  # an empty history raises CommandError
        except Exception:
            return None
        return getattr(current, "layout", None)

    def _layout_of(self, args: list[str]) -> Any:
        """The layout named by `load`'s arguments (`proc_t ...` or `struct buf ...`), or None."""
        if not args:
            return None
        name = f"struct {args[1]}" if args[0] == "struct" and len(args) > 1 else args[0]
        get = getattr(self._types(), "get", None)
        if not callable(get):
            return None
        try:
            return get(name)
        except Exception:
            return None

    def _pile_names(self) -> list[str]:
        """Names given with `name it NAME` (PileHistory.list(), or any iterable of piles)."""
        piles = getattr(self.session, "piles", None)
        listed = getattr(piles, "list", None)
        try:
            every = list(listed()) if callable(listed) else list(piles)  # type: ignore[arg-type]
        except Exception:
            return []
        return sorted({n for p in every if isinstance(n := getattr(p, "name", None), str)})


def _matching(partial: str, words: Iterable[str], meta: str) -> Iterator[Completion]:
    for word in words:
        if word.startswith(partial):
            yield Completion(word, -len(partial), display_meta=meta)


def _call_list(fn: Any) -> list[Any]:
    if not callable(fn):
        return []
    try:
        return list(fn())
    except Exception:
        return []


def _tail_name(text: str, partial: str) -> str:
    """The name being typed inside an expression: `p_stat` in `keep (p_st`, `nproc` in `&nproc`."""
    if not partial:
        return ""
    m = _IDENT_TAIL.search(text)
    return m.group(0) if m else ""


def _type_given(args: list[str]) -> bool:
    """`p TYPE ` or `p struct TAG `: the address comes next (not `p s ADDR`)."""
    if not args or args[0] == "s":
        return False
    return len(args) >= (2 if args[0] == "struct" else 1)


def _section_names() -> list[str]:
    try:
        from q4py.render import load_sections
    except ImportError:
        return []
    return [s.name for s in load_sections()]
