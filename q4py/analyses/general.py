"""General Information: when the system crashed, how long it had been up, what it was."""

from __future__ import annotations

from dataclasses import dataclass

from q4py.kernel.mpinfo import virtual_partition
from q4py.kernel.tables import table_size
from q4py.layouts.base import c_string
from q4py.layouts.system import CPU_TYPES, MPI_ENABLED
from q4py.program import Program


@dataclass(frozen=True)
class GeneralInfo:
    dump_time: int  # time.tv_sec, seconds since the epoch (UTC)
    minutes_west: int  # tz.tz_minuteswest
    uptime: int  # seconds from boottime to time
    sysname: str
    nodename: str
    model: str
    release: str
    wide: bool
    cpus: int
    disabled_cpus: int
    cpu_type: str
    cpu_mhz: int
    architecture: str
    load_average: tuple[float, ...]
    vpars: bool = False  # the kernel ran in a vPars partition (q4py.kernel.mpinfo)


def dump_model(prog: Program) -> str | None:
    """The model string: the INDEX's `modelname`, else (a COREFILE has no INDEX) the kernel's."""
    index = prog.crashdir.index
    if index is not None and index.modelname:
        return index.modelname
    return c_string(prog.global_or("machine_model", b"")) or None


def general_info(prog: Program) -> GeneralInfo:
    now = prog.read_global("time").tv_sec
    boot = prog.read_global("boottime").tv_sec
    uts = prog.read_global("utsname")
    cpus = prog.read_records("struct mpinfo", prog.read_global("mpproc_info"),
                             table_size(prog, "nmpinfo"))
    layout = prog.types.get("struct mpinfo")
    flags_at, type_at = layout.field_index("mpi_flags"), layout.field_index("mpi_cputype")
    enabled = [c for c in cpus if c[flags_at] & MPI_ENABLED]
    # The type of the first running processor (all processors of a PA system are alike).
    code = (enabled or cpus)[0][type_at] if cpus else 0
    name, arch = CPU_TYPES.get(code, (f"unknown type {code}", "PA-RISC"))
    ticks = prog.read_global("itick_per_tick") * prog.read_global("hz")
    model = dump_model(prog) or c_string(uts.machine)
    return GeneralInfo(
        dump_time=now,
        minutes_west=prog.read_global("tz").tz_minuteswest,
        uptime=max(now - boot, 0),
        sysname=c_string(uts.sysname),
        nodename=c_string(uts.nodename),
        model=model,
        release=c_string(uts.release),
        wide=prog.wide,
        cpus=len(cpus),
        disabled_cpus=len(cpus) - len(enabled),
        cpu_type=name,
        cpu_mhz=round(ticks / 1_000_000),
        architecture=arch,
        load_average=tuple(prog.read_global("avenrun")),
        vpars=virtual_partition(prog),
    )
