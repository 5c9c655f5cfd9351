"""Swap devices (`struct swdevt`, `struct fswdevt`) and network interfaces (`struct lan_ift`).

Swap: member names are public (net-snmp reads them through nlist on HP-UX); their order and
sizes are q4py's reconstruction. Sizes are in DEV_BSIZE (1 KB) blocks, free space in 4 KB pages.
Network interfaces: all q4py's (crashinfo's Network Interfaces table shows what the kernel keeps
per interface: name, PPA, driver, description, station address, link and IP states, addresses).
"""

from __future__ import annotations

from q4py.layouts.base import TypeRegistry

NSWAPDEV = 10
NSWAPFS = 10
LAN_IPS = 4  # IP addresses an interface's record holds
IP_NOT_CONFIGURED, IP_DOWN, IP_UP = 0, 1, 2


def define(reg: TypeRegistry) -> None:
    reg.define(
        "struct swdevt",
        [
            ("sw_dev", "dev_t"),
            ("sw_enable", "int"),
            ("sw_start", "int"),
            ("sw_nblks", "int"),
            ("sw_nblksenabled", "int"),
            ("sw_nfpgs", "int"),
            ("sw_priority", "int"),
            ("sw_head", "int"),
        ],
        reconstruction=True,
        aliases=("swdev_t",),
    )
    reg.define(
        "struct fswdevt",
        [
            ("fsw_enable", "int"),
            ("fsw_nfpgs", "int"),
            ("fsw_allocated", "int"),
            ("fsw_min", "int"),
            ("fsw_limit", "int"),
            ("fsw_reserve", "int"),
            ("fsw_priority", "int"),
            ("fsw_vnode", "void *"),
            ("fsw_mntpoint", "char[32]"),
        ],
        reconstruction=True,
        aliases=("fswdev_t",),
    )
    reg.define(
        "struct lan_ift",
        [
            ("ift_next", "struct lan_ift *"),
            ("ift_name", "char[8]"),  # lan0
            ("ift_ppa", "int"),
            ("ift_link_up", "int"),
            ("ift_driver", "char[8]"),  # btlan
            ("ift_desc", "char[24]"),  # 100BT PCI Built-in
            ("ift_mac", "unsigned char[6]"),  # the station address
            ("ift_nip", "unsigned short"),  # addresses in ift_ip
            ("ift_ip", f"unsigned int[{LAN_IPS}]"),
            ("ift_ip_state", f"unsigned char[{LAN_IPS}]"),  # IP_NOT_CONFIGURED, IP_DOWN, IP_UP
        ],
        reconstruction=True,
        doc="a LAN interface as crashinfo's Network Interfaces table shows it",
    )

