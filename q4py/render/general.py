"""General Information: dump time, uptime and the machine's identity."""

from __future__ import annotations

import time

from q4py.analyses.general import GeneralInfo, general_info
from q4py.program import Program
from q4py.render import section
from q4py.render.text import banner

# English names, whatever the host's locale (ctime(3) prints these).
_DAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
_MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")


def format_zone(minutes_west: int) -> str:
    """`UTC-8` for 480 minutes west, `UTC+1` for -60, `UTC` for 0, `UTC-5:30` for 330."""
    if minutes_west == 0:
        return "UTC"
    sign = "-" if minutes_west > 0 else "+"
    hours, minutes = divmod(abs(minutes_west), 60)
    return f"UTC{sign}{hours}" + (f":{minutes:02d}" if minutes else "")


def format_dump_time(epoch: int, minutes_west: int) -> str:
    """ctime(3) of the local time, then the zone: `Mon Jun 28 11:35:46 2004 UTC-8`. A time no
    calendar holds (a garbled 64-bit tv_sec) prints as the raw count of seconds instead."""
    try:
        t = time.gmtime(epoch - minutes_west * 60)
    except (OverflowError, OSError, ValueError):
        return f"{epoch} (seconds since the epoch, not a date) {format_zone(minutes_west)}"
    return (f"{_DAYS[t.tm_wday]} {_MONTHS[t.tm_mon - 1]} {t.tm_mday:2d} "
            f"{t.tm_hour:02d}:{t.tm_min:02d}:{t.tm_sec:02d} {t.tm_year} "
            f"{format_zone(minutes_west)}")


def format_uptime(seconds: int) -> str:
    """`122 days, 14 hours, 56 minutes.`; leading zero units are dropped (`16 minutes.`)."""
    days, rest = divmod(seconds, 86400)
    hours, rest = divmod(rest, 3600)
    minutes = rest // 60
    units = [(days, "day"), (hours, "hour"), (minutes, "minute")]
    while len(units) > 1 and units[0][0] == 0:
        units.pop(0)
    return ", ".join(f"{n} {unit}{'' if n == 1 else 's'}" for n, unit in units) + "."


def render_general(info: GeneralInfo) -> list[str]:
    def field(label: str, value: object) -> str:
        return f"{label:<17}: {value}"

    # A vPars partition says so first (hpux1111-64-hang-vhand-superpages).
    vpars = (["", "Note: System appears to be using Virtual Partitions (vpars) !", ""]
             if info.vpars else [])
    return [
        *vpars,
        f"Dump time {format_dump_time(info.dump_time, info.minutes_west)}",
        f"System has been up {format_uptime(info.uptime)}",
        "",
        field("System Name", info.sysname),
        field("Node Name", info.nodename),
        field("Model", info.model),
        field("HP-UX version", f"{info.release} ({64 if info.wide else 32}-bit Kernel)"),
        field("Number of CPU's", info.cpus),
        field("Disabled CPU's", info.disabled_cpus),
        field("CPU type", f"{info.cpu_type} ({info.cpu_mhz} Mhz)"),
        field("CPU Architecture", info.architecture),
        field("Load average", "".join(f"{x:.2f}  " for x in info.load_average)),
    ]


@section("general", "General Information", 10)
def general_section(prog: Program) -> list[str]:
    return [*banner("General Information"), "", *render_general(general_info(prog)), ""]
