"""Buffer Cache Globals: the dynamic buffer cache's limits and size.

Plain numbers are followed by one blank (`dbc_nbuf         = 8192 `), page counts by their MB
(`dbc_ceiling      = 163840 pages (640.00 MB)`), as crashinfo printed them.
"""

from __future__ import annotations

from q4py.analyses.bufcache import BufferCache, buffer_cache
from q4py.program import Program
from q4py.render import section
from q4py.render.text import banner, pages_in_mb

_PAGE_COUNTS = frozenset(("dbc_ceiling", "dbc_bufpages", "origbufpages"))


def render_bufcache(bc: BufferCache) -> list[str]:
    lines = []
    if bc.dbc_max_pct is not None:
        lines.append(f"{'dbc_max_pct':<22}= {bc.dbc_max_pct} %")
    if bc.dbc_min_pct is not None:
        lines.append(f"{'dbc_min_pct':<22}= {bc.dbc_min_pct} %")
    lines += [f"{'dbc current pct':<22}= {bc.current_pct:.1f} %",
              f"{'bufpages':<22}= {pages_in_mb(bc.bufpages)}"]
    if bc.nbuf is not None:
        lines.append(f"{'Number of buf headers':<22}= {bc.nbuf}")
    lines.append("")
    for name, value in bc.tunables.items():
        if value is None:
            continue
        text = pages_in_mb(value) if name in _PAGE_COUNTS else f"{value} "
        lines.append(f"{name:<17}= {text}")
    return lines


@section("bufcache", "Buffer Cache Globals", 70)
def bufcache_section(prog: Program) -> list[str]:
    return [*banner("Buffer Cache Globals"), "", *render_bufcache(buffer_cache(prog)), ""]
