"""Swap devices (`struct swdevt`, `struct fswdevt`).

Member names are public (net-snmp reads them through nlist on HP-UX); their order and sizes are
q4py's reconstruction. Sizes are in DEV_BSIZE (1 KB) blocks, free space in 4 KB pages.
"""

from __future__ import annotations

from q4py.layouts.base import TypeRegistry

NSWAPDEV = 10
NSWAPFS = 10


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
