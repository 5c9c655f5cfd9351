"""Machine-readable output: one JSON document per command (docs/json.md).

Every document is one line (JSON Lines when several commands run) and an object:

    {"q4py": 1, "command": "crashinfo --json memory", "result": {...}}
    {"q4py": 1, "command": "keep p_pid >", "error": "keep: expression: ..."}

`q4py` is the schema version, `command` the line as given; `result` is the command's data
(its analysis as plain data, q4py.plain) or, for a command with no JSON form of its own,
`{"lines": [...]}`; `error` replaces `result` when the command failed. The schema is
q4py/data/json-schema.json; numbers are JSON numbers, never strings.
"""

from __future__ import annotations

import json
from importlib import resources
from typing import Any

from q4py.plain import to_plain

JSON_VERSION = 1
JSON_FLAG = "--json"


def json_document(command: str, result: Any) -> str:
    """The document of a command that succeeded: its result as plain data."""
    return json.dumps({"q4py": JSON_VERSION, "command": command, "result": to_plain(result)})


def json_error(command: str, message: str) -> str:
    return json.dumps({"q4py": JSON_VERSION, "command": command, "error": message})


def json_schema() -> dict[str, Any]:
    """The JSON Schema every document follows (q4py/data/json-schema.json)."""
    text = (resources.files("q4py") / "data" / "json-schema.json").read_text(encoding="utf-8")
    schema: dict[str, Any] = json.loads(text)
    return schema


def take_json_flag(args: list[str]) -> tuple[bool, list[str]]:
    """(whether `--json` is among `args`, the other arguments)."""
    rest = [word for word in args if word != JSON_FLAG]
    return len(rest) != len(args), rest
