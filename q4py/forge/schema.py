"""A small declarative schema for scenario files: types, defaults, documentation, key paths.

Each key of a scenario is declared once here with its type and a sentence of documentation;
validation rejects unknown keys and bad values with the key's path (`events[1].contexts[0].trap`),
and docs/scenario-format.md is checked against the same declarations by the tests.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

from q4py.errors import ScenarioError

_MISSING = object()


@dataclass
class Spec:
    doc: str
    required: bool = False
    default: Any = _MISSING

    def validate(self, value: Any, path: str) -> Any:
        raise NotImplementedError

    def fill(self) -> Any:
        return None if self.default is _MISSING else self.default


@dataclass
class Int(Spec):
    minimum: int | None = None
    maximum: int | None = None

    def validate(self, value: Any, path: str) -> Any:
        if isinstance(value, bool) or not isinstance(value, int):
            raise ScenarioError(path, f"expected an integer, got {type(value).__name__}")
        if self.minimum is not None and value < self.minimum:
            raise ScenarioError(path, f"{value} is below the minimum {self.minimum}")
        if self.maximum is not None and value > self.maximum:
            raise ScenarioError(path, f"{value:#x} is above the maximum {self.maximum:#x}")
        return value


@dataclass
class Float(Spec):
    def validate(self, value: Any, path: str) -> Any:
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise ScenarioError(path, f"expected a number, got {type(value).__name__}")
        return float(value)


@dataclass
class Bool(Spec):
    def validate(self, value: Any, path: str) -> Any:
        if not isinstance(value, bool):
            raise ScenarioError(path, f"expected true or false, got {type(value).__name__}")
        return value


@dataclass
class Str(Spec):
    choices: tuple[str, ...] = ()
    check: Callable[[str], str | None] | None = None  # returns a problem, or None

    def validate(self, value: Any, path: str) -> Any:
        if not isinstance(value, str):
            raise ScenarioError(path, f"expected a string, got {type(value).__name__}")
        if self.choices and value not in self.choices:
            raise ScenarioError(path, f"'{value}' is not one of {', '.join(self.choices)}")
        if self.check is not None:
            problem = self.check(value)
            if problem:
                raise ScenarioError(path, problem)
        return value


@dataclass
class Any_(Spec):
    """Any TOML value; checked later by the code that uses it (structure field values)."""

    def validate(self, value: Any, path: str) -> Any:
        return value


@dataclass
class List(Spec):
    item: Spec = field(default_factory=lambda: Any_(""))

    def validate(self, value: Any, path: str) -> Any:
        if not isinstance(value, list):
            raise ScenarioError(path, f"expected a list, got {type(value).__name__}")
        return [self.item.validate(v, f"{path}[{i}]") for i, v in enumerate(value)]

    def fill(self) -> Any:
        return [] if self.default is _MISSING else self.default


@dataclass
class Table(Spec):
    keys: dict[str, Spec] = field(default_factory=dict)

    def validate(self, value: Any, path: str) -> Any:
        if not isinstance(value, dict):
            raise ScenarioError(path, f"expected a table, got {type(value).__name__}")
        out: dict[str, Any] = {}
        for key in value:
            if key not in self.keys:
                near = _closest(key, self.keys)
                hint = f" (did you mean '{near}'?)" if near else ""
                raise ScenarioError(_join(path, key), f"unknown key{hint}")
        for key, spec in self.keys.items():
            where = _join(path, key)
            if key in value:
                out[key] = spec.validate(value[key], where)
            elif spec.required:
                raise ScenarioError(where, "is required")
            else:
                out[key] = spec.fill()
        return out

    def fill(self) -> Any:
        if self.default is not _MISSING:
            return self.default
        return self.validate({}, "")


@dataclass
class MapOf(Spec):
    """A table whose keys are free names (global names, bucket indices), values of one spec."""

    value: Spec = field(default_factory=lambda: Any_(""))
    key_check: Callable[[str], str | None] | None = None

    def validate(self, value: Any, path: str) -> Any:
        if not isinstance(value, dict):
            raise ScenarioError(path, f"expected a table, got {type(value).__name__}")
        out = {}
        for key, item in value.items():
            if self.key_check is not None:
                problem = self.key_check(key)
                if problem:
                    raise ScenarioError(_join(path, key), problem)
            out[key] = self.value.validate(item, _join(path, key))
        return out

    def fill(self) -> Any:
        return {} if self.default is _MISSING else self.default


def _join(path: str, key: str) -> str:
    return f"{path}.{key}" if path else key


def _closest(key: str, options: dict[str, Spec]) -> str | None:
    import difflib

    found = difflib.get_close_matches(key, list(options), n=1)
    return found[0] if found else None


def walk_keys(spec: Spec, path: str = "") -> Iterator[tuple[str, Spec]]:
    """Every documented key path, e.g. `events[].contexts[].trap`, for docs and their test."""
    if isinstance(spec, Table):
        for key, sub in spec.keys.items():
            where = _join(path, key)
            yield where, sub
            yield from walk_keys(sub, where)
    elif isinstance(spec, List):
        yield from walk_keys(spec.item, f"{path}[]")
    elif isinstance(spec, MapOf):
        yield from walk_keys(spec.value, f"{path}.NAME")
