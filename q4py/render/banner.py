"""The start-up banner of the prompt, like crash(8)'s: which dump is open, in one short block.

The format is q4py's own (HP's q4 started on a bare prompt). Every line is read from the dump:
the INDEX savecrash wrote and the kernel's own globals; a part that cannot be read says so on
its line and the others still show.
"""

from __future__ import annotations

from collections.abc import Callable

from q4py import __version__
from q4py.analyses.events import panic_string
from q4py.analyses.general import general_info
from q4py.errors import Q4Error
from q4py.kernel.events import crash_events
from q4py.program import Program
from q4py.render.general import format_dump_time

_UNREADABLE = "(unreadable)"


def _crash(prog: Program) -> str:
    events = crash_events(prog)
    panic = panic_string(prog)
    if panic is not None:
        return f'PANIC "{panic.strip()}"'
    if not events:
        return "no crash event recorded"
    first = events[0]
    more = f" (+{len(events) - 1} more events)" if len(events) > 1 else ""
    return f"{first.kind} on processor {first.cpu}{more}"


def _memory(prog: Program) -> str:
    pages = prog.read_global("physmem")
    size = pages * prog.crashdir.memory.page_size
    return f"{size / (1 << 30):.1f} GiB ({pages} pages)" if size >= 1 << 30 else \
        f"{size >> 20} MiB ({pages} pages)"


def render_banner(prog: Program) -> list[str]:
    """The banner's lines (no colour, no trailing blank line)."""
    index = prog.crashdir.index

    def line(label: str, value: Callable[[], str]) -> str:
        try:
            text = value()
        except (Q4Error, LookupError, ValueError):
            text = _UNREADABLE
        return f"{label:>10}: {text}"

    def release() -> str:
        info = general_info(prog)
        return f"{info.sysname} {info.release} ({64 if prog.wide else 32}-bit kernel)"

    def dump_time() -> str:
        info = general_info(prog)
        return format_dump_time(info.dump_time, info.minutes_west)

    def cpus() -> str:
        info = general_info(prog)
        off = f", {info.disabled_cpus} disabled" if info.disabled_cpus else ""
        return f"{info.cpus} ({info.cpu_type}{off})"

    return [
        f"q4py {__version__}: HP-UX crash dump",
        line("DUMP", lambda: str(prog.path)),
        line("HOST", lambda: (index and index.hostname) or general_info(prog).nodename),
        line("MODEL", lambda: general_info(prog).model),
        line("RELEASE", release),
        line("DUMP TIME", dump_time),
        line("CRASH", lambda: _crash(prog)),
        line("CPUS", cpus),
        line("MEMORY", lambda: _memory(prog)),
    ]
