"""Build a crash directory from a validated scenario.

The order follows the machine: the kernel image (`kernel`), the system and its processors
(`system`), the state the kernel held (`pages`, `memstate`, `processes`, `objects`, `sched`),
then the crash (`stacks`: events with their stacks, rpbs and the crash event table), then the
page directory, and last the files. Each step is a function of the shared `ForgeContext`.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from q4py.crashdir import write_crashdir
from q4py.errors import ScenarioError
from q4py.forge import fs, kernel, memstate, objects, pages, processes, sched, stacks, system
from q4py.forge.context import ForgeContext

__all__ = ["Forge"]


class Forge:
    """One scenario being turned into memory, a kernel image and an INDEX."""

    def __init__(self, scenario: dict[str, Any]) -> None:
        self.ctx = ForgeContext(scenario)

    def build(self, outdir: Path) -> None:
        ctx = self.ctx
        kernel.build_functions(ctx)
        kernel.build_text(ctx)
        system.build_system(ctx)
        mpinfo = system.build_processors(ctx)
        pages.build_pages(ctx)
        memstate.build_vm(ctx)
        memstate.build_bufcache(ctx)
        procs = processes.build_processes(ctx)
        memstate.build_swap(ctx)
        memstate.build_maps(ctx)
        memstate.build_msgbuf(ctx)
        objects.build_globals_and_objects(ctx)
        memstate.build_buf_lists(ctx)
        sched.build_scheduler(ctx, mpinfo, procs)
        stacks.build_events(ctx)
        system.build_processor_spaces(ctx, mpinfo)
        fs.build_mounts(ctx)
        system.build_lpmc_log(ctx)
        kernel.write_text(ctx)  # after the events: they add the trapping instructions
        objects.build_raw_bytes(ctx)
        memstate.build_page_directory(ctx)  # last: every mapping is known by then
        self.write_files(outdir)

    def write_files(self, outdir: Path) -> None:
        sc = self.ctx.sc
        vmunix = kernel.vmunix_bytes(self.ctx)
        try:
            write_crashdir(outdir, self.ctx.mem.sorted_pages(), **system.index_fields(sc["system"]),
                           vmunix=vmunix, chunk_pages=sc["dump"]["chunk_pages"],
                           compress=sc["dump"]["compress"])
        except (ValueError, FileExistsError) as err:
            raise ScenarioError("", f"cannot write {outdir}: {err}") from None
