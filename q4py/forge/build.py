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
from q4py.dumps import write_coredir, write_corefile
from q4py.errors import ScenarioError
from q4py.forge import fs, kernel, memstate, objects, pages, processes, sched, stacks, system
from q4py.forge.context import ForgeContext
from q4py.forge.scenario import PROCESS
from q4py.forge.thread_tables import expand_thread_tables
from q4py.layouts.vm import PAGE_SIZE

__all__ = ["Forge"]


class Forge:
    """One scenario being turned into memory, a kernel image and an INDEX."""

    def __init__(self, scenario: dict[str, Any]) -> None:
        self.ctx = ForgeContext(expand_thread_tables(scenario, PROCESS))

    def build(self, outdir: Path, dump_format: str | None = None) -> None:
        """Build the machine and write its dump to `outdir` (in `dump_format`, default the
        scenario's); `write_files` can then write it again in other formats."""
        ctx = self.ctx
        kernel.file_format(ctx)  # a SOM kernel asked for a wide machine fails before the build
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
        objects.build_globals(ctx)
        memstate.build_buf_lists(ctx)
        objects.build_objects(ctx)
        sched.build_scheduler(ctx, mpinfo, procs)
        stacks.build_events(ctx)
        system.build_processor_spaces(ctx, mpinfo)
        fs.build_mounts(ctx)
        system.build_lpmc_log(ctx)
        system.build_patches(ctx)
        system.build_network(ctx)
        kernel.write_text(ctx)  # after the events: they add the trapping instructions
        objects.build_raw_bytes(ctx)
        memstate.build_page_directory(ctx)  # every mapping is known by then
        system.build_model_string(ctx)  # after all placement: moves nothing
        system.build_vpars(ctx)  # the same
        self.write_files(outdir, dump_format)

    def write_files(self, outdir: Path, dump_format: str | None = None) -> None:
        """The dump in `dump_format` (default: the scenario's `dump.format`)."""
        sc = self.ctx.sc
        dump = sc["dump"]
        dump_format = dump_format or dump["format"]
        vmunix = kernel.vmunix_bytes(self.ctx)
        fields = system.index_fields(sc["system"])
        pages = self.ctx.mem.sorted_pages()
        try:
            if dump_format == "crashdir":
                write_crashdir(outdir, pages, **fields, vmunix=vmunix,
                               chunk_pages=dump["chunk_pages"], compress=dump["compress"])
            elif dump_format == "coredir":
                write_coredir(outdir, pages, **fields, vmunix=vmunix,
                              chunksize=dump["chunk_pages"] * PAGE_SIZE)
            else:
                write_corefile(outdir, pages, vmunix=vmunix, memsize=fields["memsize"])
        except (ValueError, FileExistsError) as err:
            raise ScenarioError("", f"cannot write {outdir}: {err}") from None
