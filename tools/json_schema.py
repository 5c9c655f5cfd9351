"""Write q4py/data/json-schema.json, the JSON Schema of `--json` output (docs/json.md).

    python tools/json_schema.py DUMP [DUMP ...] > q4py/data/json-schema.json

The envelope and the print/trace/listing/lines results are written here by hand; the shape of each
crashinfo section's data (two levels deep) and of a stack trace (four) is inferred from the
given dumps (forge every fixture: `for s in fixtures/scenarios/*.toml; do q4-forge $s
/tmp/fx/$(basename $s .toml); done`): the keys every dump has are required, a value is typed
with every JSON type seen for it, one seen only as null is left free, and the scalar members of
a section may always be null (a global the kernel lacks). Rerun it when an analysis gains a
section or a member; tests/test_json.py checks every fixture against the result.
"""

from __future__ import annotations

import json
import sys
from typing import Any

import q4py
from q4py.analyses.events import event_trace
from q4py.analyses.thread_traces import process_view, thread_view
from q4py.errors import Q4Error
from q4py.kernel.events import crash_events
from q4py.kernel.threads import has_threads, threads
from q4py.plain import to_plain

JSON_TYPES = {bool: "boolean", int: "integer", float: "number", str: "string",
              type(None): "null", list: "array", dict: "object"}
Shape = dict[str, Any]


def merge(a: Shape | None, b: Shape | None) -> Shape | None:
    """The shape of values of shape `a` or `b`."""
    if a is None or b is None:
        return a or b
    out: Shape = {"t": a["t"] | b["t"]}
    if "props" in a or "props" in b:
        pa, pb = a.get("props", {}), b.get("props", {})
        out["props"] = {k: merge(pa.get(k), pb.get(k)) for k in pa.keys() | pb.keys()}
        out["req"] = (a["req"] & b["req"] if "props" in a and "props" in b
                      else a.get("req", b.get("req", set())))
        out["dyn"] = a.get("dyn", False) or b.get("dyn", False)
    if "items" in a or "items" in b:
        out["items"] = merge(a.get("items"), b.get("items"))
    return out


def infer(value: Any, depth: int) -> Shape:
    shape: Shape = {"t": {JSON_TYPES[type(value)]}}
    if depth <= 0:
        return shape
    if isinstance(value, dict):
        if value and all(k.replace(",", "").isdigit() for k in value):  # keys made of numbers
            shape.update(dyn=True, props={}, req=set(), items=None)
            for item in value.values():
                shape["items"] = merge(shape["items"], infer(item, depth - 1))
        else:
            shape.update(props={k: infer(v, depth - 1) for k, v in value.items()},
                         req=set(value))
    elif isinstance(value, list):
        items = None
        for item in value:
            items = merge(items, infer(item, depth - 1))
        if items is not None:
            shape["items"] = items
    return shape


def emit(shape: Shape) -> dict[str, Any]:
    types = sorted(shape["t"])
    if "integer" in types and "number" in types:
        types.remove("integer")
    if types == ["null"]:
        return {}  # seen only as null: any value
    out: dict[str, Any] = {"type": types[0] if len(types) == 1 else types}
    if shape.get("dyn"):
        if shape.get("items"):
            out["additionalProperties"] = emit(shape["items"])
    elif "props" in shape:
        out["properties"] = {k: emit(v) for k, v in sorted(shape["props"].items()) if v}
        out["required"] = sorted(shape["req"])
    if shape.get("items") and not shape.get("dyn"):
        out["items"] = emit(shape["items"])
    return out


def nullable_members(schema: dict[str, Any]) -> dict[str, Any]:
    for prop in schema.get("properties", {}).values():
        kind = prop.get("type")
        kinds = [kind] if isinstance(kind, str) else list(kind or [])
        if kinds and "null" not in kinds and set(kinds) <= {"integer", "number", "string",
                                                             "boolean"}:
            prop["type"] = [*kinds, "null"]
    return schema


def schema_of(paths: list[str]) -> dict[str, Any]:
    sections: dict[str, Shape | None] = {}
    shapes: dict[str, Shape | None] = {"event_trace": None, "thread_view": None,
                                       "process_view": None}
    for path in paths:
        dump = q4py.open(path)
        prog = dump.program
        for name in dump.analyses():
            try:
                data = dump.analyze(name, plain=True)
            except Q4Error:
                continue
            sections[name] = merge(sections.get(name), infer(data, 2))
        for index in range(len(crash_events(prog))):
            shapes["event_trace"] = merge(shapes["event_trace"],
                                          infer(to_plain(event_trace(prog, index)), 4))
        for thread in threads(prog)[:40] if has_threads(prog) else []:
            shapes["thread_view"] = merge(shapes["thread_view"], infer(
                to_plain(thread_view(prog, thread, with_args=True)), 4))
            shapes["process_view"] = merge(shapes["process_view"], infer(
                to_plain(process_view(prog, thread.proc)), 2))
    lock = sections.pop("lock", None)
    defs: dict[str, Any] = {f"section_{k}": nullable_members(emit(v))
                            for k, v in sections.items() if v}
    defs["lock"] = emit(lock) if lock else {}
    defs.update({k: emit(v) for k, v in shapes.items() if v})
    defs["section_error"] = {"type": "object", "properties": {"error": {"type": "string"}},
                             "required": ["error"], "additionalProperties": False}
    defs["crashinfo"] = {
        "type": "object", "required": ["sections"], "additionalProperties": False,
        "properties": {"thread_list_problem": {"type": ["string", "null"]}, "sections": {
            "type": "object", "additionalProperties": False,
            "properties": {k: {"anyOf": [{"$ref": "#/$defs/section_error"},
                                         {"$ref": f"#/$defs/section_{k}"}]}
                           for k in sections}}}}
    defs["print"] = {
        "type": "object", "required": ["pile", "type", "count", "fields", "rows"],
        "additionalProperties": False,
        "properties": {
            "pile": {"type": "integer", "minimum": 1}, "type": {"type": "string"},
            "count": {"type": "integer", "minimum": 1},
            "fields": {"type": "array", "items": {"type": "string"}},
            "problems": {"type": "object", "additionalProperties": {"type": "string"}},
            "rows": {"type": "array", "items": {"type": "object", "additionalProperties": {
                "type": ["integer", "number", "string", "array", "object", "null"]}}}}}
    defs["trace"] = {
        "type": "object", "additionalProperties": False, "minProperties": 1,
        "properties": {
            "event": {"$ref": "#/$defs/event_trace"},
            "processor": {"type": "integer"},
            "trace": {"$ref": "#/$defs/event_trace"},
            "thread": {"anyOf": [{"type": "null"}, {"$ref": "#/$defs/thread_view"}]},
            "process": {"$ref": "#/$defs/process_view"},
            "threads": {"type": "array", "items": {"$ref": "#/$defs/thread_view"}},
            "save_state": {"type": "object"},
            "traces": {"type": "array", "items": {"$ref": "#/$defs/trace"}}}}
    defs["listing"] = {  # stacks, threads, ps: the rows of q4py.analyses.stacks
        "type": "object", "additionalProperties": False, "minProperties": 1, "maxProperties": 2,
        "properties": {"thread_list_problem": {"type": ["string", "null"]},
                       "proc_list_problem": {"type": ["string", "null"]},
                       **{key: {"type": "array", "items": {"type": "object"}}
                          for key in ("stacks", "threads", "processes")}}}
    defs["lines"] = {"type": "object", "required": ["lines"], "additionalProperties": False,
                     "properties": {"lines": {"type": "array", "items": {"type": "string"}}}}
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "title": "q4py --json output, version 1 (docs/json.md; written by tools/json_schema.py)",
        "type": "object",
        "required": ["q4py", "command"],
        "properties": {
            "q4py": {"const": 1}, "command": {"type": "string"},
            "result": {"anyOf": [{"$ref": "#/$defs/crashinfo"}, {"$ref": "#/$defs/print"},
                                 {"$ref": "#/$defs/trace"}, {"$ref": "#/$defs/listing"},
                                 {"$ref": "#/$defs/lines"}]},
            "error": {"type": "string"}},
        "oneOf": [{"required": ["result"]}, {"required": ["error"]}],
        "additionalProperties": False,
        "$defs": defs,
    }


if __name__ == "__main__":
    if len(sys.argv) < 2:
        sys.exit(__doc__)
    print(json.dumps(schema_of(sys.argv[1:]), indent=1))
