"""Session settings: named options a user reads and changes with `set`.

A setting is declared once, where the code that obeys it lives (`declare(Setting(...))` at
import), with its default, the values it accepts and one line of help. A `Settings` object holds
one session's values; `set NAME VALUE` goes through `Settings.change`, which checks the value
against the declaration and raises a one-line CommandError listing what is accepted.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, field

from q4py.errors import CommandError


@dataclass(frozen=True)
class Setting:
    """One option: `choices` (a fixed list of words) or `parse` (text -> value, raising
    ValueError with a reason) says what a value may be; neither means any word."""

    name: str
    default: object
    help: str
    choices: tuple[str, ...] = ()
    parse: Callable[[str], object] | None = None
    show: Callable[[object], str] = str

    def accepts(self) -> str:
        """What the values may be, for an error line and for `help set`."""
        if self.choices:
            return ", ".join(self.choices)
        return "see 'help set'" if self.parse else "any word"

    def convert(self, text: str) -> object:
        if self.choices:
            if text not in self.choices:
                raise CommandError(f"set {self.name}: unknown value {text!r} "
                                   f"(one of: {self.accepts()})")
            return text
        if self.parse is not None:
            try:
                return self.parse(text)
            except ValueError as exc:
                raise CommandError(f"set {self.name}: bad value {text!r}: {exc}") from None
        return text


_DECLARED: dict[str, Setting] = {}


def declare(setting: Setting) -> Setting:
    """Declare a setting (once per name; redeclaring the same name replaces it, as a module
    reloaded would)."""
    _DECLARED[setting.name] = setting
    return setting


def declared() -> list[Setting]:
    """Every declared setting, sorted by name."""
    return [_DECLARED[name] for name in sorted(_DECLARED)]


def lookup(name: str) -> Setting:
    setting = _DECLARED.get(name)
    if setting is None:
        names = ", ".join(sorted(_DECLARED)) or "none"
        raise CommandError(f"set: unknown setting {name!r} (settings: {names})")
    return setting


@dataclass
class Settings:
    """One session's values; a setting never changed reads as its declared default."""

    values: dict[str, object] = field(default_factory=dict)

    def __getitem__(self, name: str) -> object:
        if name in self.values:
            return self.values[name]
        return lookup(name).default

    def change(self, name: str, text: str) -> object:
        """Set `name` from the user's `text`; returns the converted value."""
        value = lookup(name).convert(text)
        self.values[name] = value
        return value

    def reset(self, name: str) -> None:
        lookup(name)
        self.values.pop(name, None)

    def items(self) -> Iterator[tuple[Setting, object]]:
        for setting in declared():
            yield setting, self[setting.name]
