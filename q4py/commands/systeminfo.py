"""`SystemInfo`: p4's one-page summary of the system, in the format of a public report.

    p4> SystemInfo
    System Name      :  HP-UX
    ...
    System was up for 1870431197 ticks ( 216 days 11 hours 38 mins 31 secs )

Then the load averages (`*` marks a disabled processor's mp_avenrun), the thread states and the
processor states. A part the kernel has no data for (no thread list, no vmtotal() count) is
left out.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from q4py.analyses.systeminfo import SystemInfo, system_info
from q4py.commands import command
from q4py.errors import CommandError
from q4py.layouts.system import MPI_CPUSTATE_CODES, SPUSTATES
from q4py.render.general import format_dump_time, format_zone

if TYPE_CHECKING:
    from q4py.shell.session import Session

# States SystemInfo always counts, in its order; others only when some thread has them.
_STATES = ("TSRUN", "TSSLEEP", "TSSTOP", "TSZOMB", "TSIDL")


def _field(label: str, value: object) -> str:
    return f"{label:<17}:  {value}"


def _time(epoch: int, minutes_west: int) -> str:
    local = format_dump_time(epoch, minutes_west).rsplit(" ", 1)[0]
    return f"{local} (TZ={format_zone(minutes_west)})"


def _ticks(ticks: int, hz: int) -> str:
    days, rest = divmod(ticks // hz, 86400)
    hours, rest = divmod(rest, 3600)
    minutes, seconds = divmod(rest, 60)
    return f"{days} days {hours} hours {minutes} mins {seconds} secs"


def _hi_lo(value: int) -> str:
    return f"{value >> 32:x}'{value & 0xFFFFFFFF:x}"


def _triple(values: tuple[float, ...]) -> str:
    return "  ".join(f"{v:.3f}" for v in values)


def _cpu_type(name: str) -> str:
    return name.replace("PCX", "PCX-", 1) if name.startswith("PCX") else name


def render_system_info(info: SystemInfo) -> list[str]:
    g = info.general
    gigabytes = info.physmem * 4096 / (1 << 30)
    lines = [
        _field("System Name", g.sysname), _field("Node Name", g.nodename),
        _field("Model", g.model),
        _field("HP-UX version", f"{g.release} ({64 if g.wide else 32}-bit Kernel)"),
        _field("Number of CPUs", g.cpus), _field("Disabled  CPUs", g.disabled_cpus),
        _field("CPU type", f"{_cpu_type(g.cpu_type)} ({g.cpu_mhz} Mhz)"),
        _field("CPU Architecture", g.architecture),
        _field("Physical Memory", f"{info.physmem} pages ( {gigabytes:.2f} Gb )"),
        "",
        _field("Panic string", f"{info.panic}  , isr.ior = {_hi_lo(info.isr)}.{_hi_lo(info.ior)}"),
        *(_field(label, text) for label, text in (
            ("Boot string", info.boot_string), ("Kernel KRS file", info.krs_kernel),
            ("System KRS file", info.krs_system)) if text is not None),
        _field("System boot time", _time(info.boot_time, g.minutes_west)),
        _field("System down time", _time(g.dump_time, g.minutes_west)),
        f"System was up for {info.lbolt} ticks ( {_ticks(info.lbolt, info.hz)} )",
        "", "Load averages:",
        _field("avenrun", _triple(info.loads.avenrun)),
    ]
    if info.loads.real_run is not None:
        lines.append(_field("real_run", _triple(info.loads.real_run)))
    if info.disk_wait is not None:
        jobs, when = info.disk_wait
        lines.append(_field("disk wait jobs", f"{jobs}  [hint of 'pwrun' from vmtotal() - "
                            f"{info.lbolt - when} ticks ago]"))
    if info.loads.per_processor:
        enabled = {cpu.index: cpu.enabled for cpu in info.processors}
        for cpu, row in enumerate(info.loads.per_processor):
            mark = "" if enabled.get(cpu, True) else "*"
            lines.append(f"{f'mp_avenrun[{cpu:2d}]{mark}':<17}:  {_triple(row)}")
        lines.append("           ( * =>  disabled cpu )")
    if info.deactivated is not None:
        lines.append(_field("deactivated cnt", info.deactivated))
    if info.thread_states is not None:
        lines += ["", "Kthread states:"]
        names = [*_STATES, *sorted(set(info.thread_states) - set(_STATES))]
        for name in names:
            lines.append(f"Number of threads in {name:<7} state = "
                         f"{info.thread_states.get(name, 0)}")
        lines.append(f"Number of threads with TSDEACT flag = {info.deact_threads}")
        lines.append(f"Number of threads with TSDEACTSELF flag = {info.deactself_threads}")
        if info.thread_list_problem:  # q4py's line: the counts stop where the list does
            lines.append(f"(these count the threads before the break: {info.thread_list_problem})")
    lines += ["", "Processor states:",
              "Processor :  Cpu_State          Operational_State  Config_State"]
    for cpu in info.processors:
        state = SPUSTATES.get(MPI_CPUSTATE_CODES.get(cpu.state, -1), cpu.state)
        enabled = "SPU_ENABLED" if cpu.enabled else "SPU_DISABLED"
        lines.append(f"cpu[{cpu.index:3d}]  :  {state:<18} {enabled:<18} PROC_CONFIGED")
    return lines


@command(
    "SystemInfo",
    usage="SystemInfo",
    summary="p4's summary: identity, boot and crash times, load, thread and processor states",
    help="What the machine was, what it was booted from, when it booted and went down, its load\n"
    "averages (a `*` marks a disabled processor), how many threads were in each state and\n"
    "the state of each processor (an 11i thread list that loops or breaks: the counts are of\n"
    "the threads before it, and a line under them says where). Example:\n"
    "  p4> SystemInfo\n"
    "  System Name      :  HP-UX\n"
    "  Node Name        :  localhost\n"
    "  ...\n"
    "  cpu[  5]  :  SPUSTATE_SYSTEM    SPU_ENABLED        PROC_CONFIGED",
)
def systeminfo_command(session: Session, args: list[str]) -> None:
    if args:
        raise CommandError("usage: SystemInfo")
    for line in render_system_info(system_info(session.program)):
        print(line, file=session.out)
