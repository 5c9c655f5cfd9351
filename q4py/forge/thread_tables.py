"""Thread tables: many kernel threads stated one row each, expanded into thread groups.

A hang report lists hundreds of threads, each with its own tid, process, ticks since run,
priority and wait channel. `[[thread_tables]]` states them as a table: `columns` names what each
whitespace-separated value of a row is, `rows` holds one row per thread, and every other key is
a default for the rows that leave a column out (`-`). Each row becomes a thread group of one
thread (`threads[]`), so the forge builds it as it builds every other group; a row whose pid no
process declares creates that process from its `command` and `ppid`.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from typing import Any

from q4py.errors import ScenarioError
from q4py.forge.sched import THREAD_GROUP
from q4py.forge.schema import Int, List, Spec, Str, Table

# Group keys that are no default for a table's rows: a row is one thread of one process, with
# its own tid and kthread (columns `tid` and `address`).
_GROUP_ONLY = ("count", "processes", "pid_step", "tid", "address", "wchan_step", "space",
               "space_step")
# crashinfo's words for thread states, accepted as well as the scenario's.
_STATE_WORDS = {"SLEEP": "sleep", "RUN": "run", "ZOMB": "zombie",
                "STOP": "stopped", "IDL": "idle"}
NO_PROCESS = "none"  # a row's pid for a thread without a process (kt_procp NULL)
_BOOL_WORDS = {"y": True, "yes": True, "true": True, "n": False, "no": False, "false": False}


def _int(text: str) -> int:
    try:
        return int(text, 0)
    except ValueError:
        raise ValueError(f"'{text}' is not a number") from None


def _bool(text: str) -> bool:
    try:
        return _BOOL_WORDS[text.lower()]
    except KeyError:
        raise ValueError(f"'{text}' is not Y or N") from None


def _device(text: str) -> dict[str, int]:
    major, colon, minor = text.partition(":")
    if not colon:
        raise ValueError(f"'{text}' is not MAJOR:MINOR")
    return {"major": _int(major), "minor": _int(minor)}


# How a row's text becomes the group key of the same name.
_PARSERS: dict[str, Callable[[str], Any]] = {
    "pid": _int, "tid": _int, "ppid": _int, "command": str,
    "state": lambda t: _STATE_WORDS.get(t, t), "pri": _int, "spu": _int, "group": _int,
    "bound": _bool, "policy": str, "syscall": str, "wchan": str, "caller": str,
    "ticks": lambda t: [_int(t)], "deactivated": str, "cpu": _int, "recent": _int,
    "user_ticks": _int, "sys_ticks": _int, "intr_ticks": _int, "start": _int,
    "calls": lambda t: t.split(","), "buf_device": _device, "address": _int,
}
COLUMNS = tuple(_PARSERS)

_DEFAULTS = {key: spec for key, spec in THREAD_GROUP.keys.items() if key not in _GROUP_ONLY}
_DEFAULTS["pid"] = dataclasses.replace(_DEFAULTS["pid"], required=False, default=-1,
                                       doc="Process of the rows that give no pid.")

# The spec each column's value is checked against.
_ROW_SPECS: dict[str, Spec] = {
    **{key: THREAD_GROUP.keys[key] for key in COLUMNS if key in THREAD_GROUP.keys},
    "command": Str(""), "ppid": Int("", minimum=0)}

THREAD_TABLE = Table("Many threads, one row each, expanded into one-thread groups.", keys={
    "columns": List("What each value of a row is, in order: a key of `threads[]` (`pid`, "
                    "`tid`, `state`, `pri`, `spu`, `group`, `bound`, `policy`, `syscall`, "
                    "`wchan`, `caller`, `ticks`, `deactivated`, `cpu`, `recent`, `user_ticks`, "
                    "`sys_ticks`, `intr_ticks`, `start`, `calls`, `buf_device`, `address`) or "
                    "`command` / `ppid` of the thread's process.",
                    item=Str("", choices=COLUMNS), required=True),
    "rows": Str("One thread a line, its values separated by blanks, in `columns` order; `-` "
                "takes the table's default; blank lines and lines starting with `#` are "
                "skipped.", required=True),
    "command": Str("Command of a process a row creates (a pid no process declares).",
                   default=""),
    "ppid": Int("Parent pid of a process a row creates.", default=0, minimum=0),
    **_DEFAULTS,
})


def _row_values(columns: list[str], line: str, path: str) -> dict[str, Any]:
    """The values a row gives (`-` gives none), checked as their keys' specs say."""
    values = line.split()
    if len(values) != len(columns):
        raise ScenarioError(path, f"{len(values)} values for {len(columns)} columns")
    out: dict[str, Any] = {}
    for column, text in zip(columns, values, strict=True):
        if text == "-":
            continue
        if column == "pri" and text.endswith("*"):  # crashinfo's mark of SCHED_NOAGE
            text, out["policy"] = text[:-1], "noage"
        if column == "pid" and text == NO_PROCESS:  # a thread without a process
            out["pid"], out["no_process"] = 0, True
            continue
        try:
            value = _PARSERS[column](text)
        except ValueError as err:
            raise ScenarioError(f"{path}.{column}", str(err)) from None
        out[column] = _ROW_SPECS[column].validate(value, f"{path}.{column}")
    return out


def _table_defaults(table: dict[str, Any], path: str) -> dict[str, Any]:
    """A thread group of the table's defaults, every key filled (the rows' values go over
    it)."""
    given = {key: table[key] for key in _DEFAULTS if table[key] is not None}
    given["pid"] = max(table["pid"], 0)  # a row without a pid is refused before it counts
    return THREAD_GROUP.validate(given, path)


def _declared_processes(sc: dict[str, Any]) -> dict[int, dict[str, Any]]:
    found = {p["pid"]: p for p in sc["processes"]}
    for group in sc["process_groups"]:
        for i in range(group["count"]):
            found.setdefault(group["first_pid"] + i * group["pid_step"], group)
    return found


def expand_thread_tables(sc: dict[str, Any], process_spec: Spec) -> dict[str, Any]:
    """The scenario with its thread tables' rows as thread groups (after `threads`) and the
    processes rows create (after `processes`); the scenario itself is left as it was."""
    if not sc.get("thread_tables"):
        return sc
    declared = _declared_processes(sc)
    created: dict[int, dict[str, Any]] = {}
    groups: list[dict[str, Any]] = []
    for ti, table in enumerate(sc["thread_tables"]):
        defaults = _table_defaults(table, f"thread_tables[{ti}]")
        number = 0
        for line in table["rows"].splitlines():
            if not line.strip() or line.lstrip().startswith("#"):
                continue
            path = f"thread_tables[{ti}].rows[{number}]"
            number += 1
            values = _row_values(table["columns"], line, path)
            ppid_given = "ppid" in values
            command = values.pop("command", table["command"])
            ppid = values.pop("ppid", table["ppid"])
            pid = values.get("pid", table["pid"])
            if pid < 0:
                raise ScenarioError(f"{path}.pid", "no pid: give a `pid` column or default")
            known = declared.get(pid) or created.get(pid)
            if values.get("no_process"):
                pass  # kt_procp NULL: no process to find or make
            elif known is None:
                if not command:
                    raise ScenarioError(f"{path}.command", f"no process with pid {pid}: give "
                                        "its command")
                created[pid] = process_spec.validate(
                    {"pid": pid, "command": command, "ppid": ppid}, f"{path}.command")
            elif command and command != known["command"]:
                raise ScenarioError(f"{path}.command", f"pid {pid} is '{known['command']}'")
            elif ppid_given and ppid != known["ppid"]:
                raise ScenarioError(f"{path}.ppid", f"pid {pid}'s parent is {known['ppid']}")
            groups.append({**defaults, **values, "pid": pid, "where": path})
    return {**sc, "threads": [*sc["threads"], *groups],
            "processes": [*sc["processes"], *created.values()]}
