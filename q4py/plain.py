"""Plain data: analyses' results as JSON's types (dicts, lists, numbers, strings, None).

The one conversion `--json` and the library's `Dump.analyze(..., plain=True)` use:
- a dataclass or a named tuple is an object of its fields, in declaration order;
- a mapping is an object; keys that are not strings become strings (`3`, and a tuple such as
  (segment, frame) `0,2`), since JSON keys are strings;
- lists, tuples, arrays (`array.array`, numpy) are lists;
- bytes (a C char array) are the text up to the first NUL, Latin-1 decoded;
- a construct Container (a decoded structure) is an object of its members.
"""

from __future__ import annotations

import dataclasses
import enum
from collections.abc import Mapping
from typing import Any

from q4py.layouts.base import c_string


def to_plain(value: Any) -> Any:
    """`value` as JSON's types (see the module docstring); TypeError for anything else."""
    if isinstance(value, enum.Enum):
        return to_plain(value.value)
    if value is None or isinstance(value, (bool, int, float, str)):
        return value
    if isinstance(value, (bytes, bytearray, memoryview)):
        return c_string(value)
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {f.name: to_plain(getattr(value, f.name)) for f in dataclasses.fields(value)}
    if isinstance(value, tuple) and hasattr(value, "_asdict"):
        return {k: to_plain(v) for k, v in value._asdict().items()}
    if isinstance(value, Mapping):
        return {_key(k): to_plain(v) for k, v in value.items()
                if not (isinstance(k, str) and k[:1] == "_")}
    tolist = getattr(value, "tolist", None)
    if callable(tolist):  # numpy arrays and scalars, array.array
        return to_plain(tolist())
    if isinstance(value, (list, tuple, range, set, frozenset)) or hasattr(value, "__len__") \
            and hasattr(value, "__getitem__"):
        return [to_plain(v) for v in value]
    raise TypeError(f"no plain form for {type(value).__name__}")


def _key(key: Any) -> str:
    if isinstance(key, tuple):
        return ",".join(_key(part) for part in key)
    return key if isinstance(key, str) else str(to_plain(key))
