"""Network Interfaces: one row per LAN interface, a further row per extra IP address, the
`n/c` legend and the lanshow pointer (hpux1111-64-hang-vhand-superpages,
hpux1100-64-hang-soaccept-p4). Left out when the kernel keeps no interface list."""

from __future__ import annotations

from q4py.analyses.network import Interface, network_interfaces
from q4py.program import Program
from q4py.render import section
from q4py.render.text import banner

HEADER = [
    "Name   PPA   Driver      Interface           Mac       States       IP",
    "              Name      Description        Address    Link IP     Address",
    "-" * 80,
]
FOOTER = ['n/c : means "Not Configured", ifconfig has not been done on this interface', "", "",
          'If you want more information, you can use : "lanshow -f"']
IP_COLUMN = 60  # where the IP state starts


def interface_rows(ift: Interface) -> list[str]:
    first = ift.addresses[0] if ift.addresses else ("n/c", "n/c")
    link = "UP" if ift.link_up else "DOWN"
    rows = [f"{ift.name:<7} {ift.ppa:<4d} {ift.driver:<7} {ift.description:<18} "
            f"0x{ift.mac:012x} {link:<4} {first[0]:<4} {first[1]:<13}"]
    rows += [f"{'':{IP_COLUMN}}{state:<4} {address:<13}" for state, address in ift.addresses[1:]]
    return rows


@section("network", "Network Interfaces", 81.3)
def network_section(prog: Program) -> list[str]:
    report = network_interfaces(prog)
    if report is None:
        return []
    lines = [*banner("Network Interfaces"), "", *HEADER]
    for ift in report.interfaces:
        lines += interface_rows(ift)
    if report.problem:
        lines.append(f"crashinfo: network: {report.problem}")
    return [*lines, "", *FOOTER, ""]
