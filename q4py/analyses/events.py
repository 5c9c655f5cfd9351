"""The Crash Events section as data: the panic string and every event's unwound stack."""

from __future__ import annotations

from dataclasses import dataclass

from q4py.errors import Q4Error
from q4py.kernel.events import crash_events
from q4py.program import Program
from q4py.unwind import EventTrace, unwind_event


@dataclass
class CrashEventsReport:
    panic_string: str | None
    traces: list[EventTrace]
    main: int | None  # index into traces of the event crashinfo shows first


def panic_string(prog: Program) -> str | None:
    """The kernel's `panicstr`, or None when it is NULL (no panic) or absent."""
    pointer = prog.global_or("panicstr", 0)
    return prog.read_string(pointer) if pointer else None


def analyze_events(prog: Program) -> CrashEventsReport:
    traces = [unwind_event(prog, event) for event in crash_events(prog)]
    main = 0 if traces else None
    return CrashEventsReport(panic_string(prog), traces, main)


def event_trace(prog: Program, number: int) -> EventTrace:
    events = crash_events(prog)
    if not 0 <= number < len(events):
        raise Q4Error(f"no crash event {number}: this dump has events 0 to {len(events) - 1}")
    return unwind_event(prog, events[number])
