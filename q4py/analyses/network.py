"""Network Interfaces as data: the LAN interfaces from `lan_ift_list` (struct lan_ift, a
reconstruction), each with its link state and IP addresses. A list that loops or leaves the
dump ends the table with what was read, and a `problem` saying why."""

from __future__ import annotations

from dataclasses import dataclass, field

from q4py.errors import Q4Error
from q4py.layouts.base import c_string
from q4py.layouts.io import IP_DOWN, IP_NOT_CONFIGURED, IP_UP
from q4py.program import Program

MAX_INTERFACES = 4096  # a bound on a garbled list
IP_STATES = {IP_NOT_CONFIGURED: "n/c", IP_DOWN: "DOWN", IP_UP: "UP"}


@dataclass(frozen=True)
class Interface:
    name: str
    ppa: int
    driver: str
    description: str
    mac: int
    link_up: bool
    addresses: list[tuple[str, str]]  # (state, dotted address); empty: not configured


@dataclass
class NetworkReport:
    interfaces: list[Interface] = field(default_factory=list)
    problem: str | None = None


def network_interfaces(prog: Program) -> NetworkReport | None:
    """None when the kernel keeps no interface list."""
    if not prog.has_symbol("lan_ift_list"):
        return None
    report = NetworkReport()
    seen: set[int] = set()
    address = prog.read_global("lan_ift_list")
    while address:
        if address in seen or len(seen) >= MAX_INTERFACES:
            report.problem = f"the interface list loops at {address:#x}"
            break
        seen.add(address)
        try:
            ift = prog.read_struct("struct lan_ift", address)
        except Q4Error as err:
            report.problem = str(err)
            break
        count = min(ift.ift_nip, len(ift.ift_ip))
        addresses = [(IP_STATES.get(ift.ift_ip_state[i], "?"),
                      ".".join(str(ift.ift_ip[i] >> s & 0xFF) for s in (24, 16, 8, 0)))
                     for i in range(count) if ift.ift_ip_state[i] != IP_NOT_CONFIGURED]
        report.interfaces.append(Interface(
            c_string(ift.ift_name), ift.ift_ppa, c_string(ift.ift_driver), c_string(ift.ift_desc),
            int.from_bytes(bytes(ift.ift_mac), "big"), bool(ift.ift_link_up), addresses))
        address = ift.ift_next
    return report
