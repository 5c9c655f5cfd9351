"""Swap devices (`swdevt[nswapdev]`), file-system swap (`fswdevt[nswapfs]`) and reservation.

`sw_dev` is a dev_t: major << 24 | minor; an entry with sw_dev == -1 is empty. Sizes are in
1 KB blocks (sw_nblks), free space in 4 KB pages (sw_nfpgs). swapspc_max is the swap that can be
reserved and swapspc_cnt what is still unreserved, both in pages.
"""

from __future__ import annotations

from dataclasses import dataclass

from q4py.program import Program

LVM_MAJOR = 64


@dataclass(frozen=True)
class SwapDevice:
    index: int
    major: int
    minor: int
    enabled: bool
    start: int
    kilobytes: int
    free_pages: int
    priority: int

    @property
    def name(self) -> str:
        return device_name(self.major, self.minor)

    @property
    def file(self) -> str:
        return device_file(self.major, self.minor)


@dataclass(frozen=True)
class SwapState:
    devices: tuple[SwapDevice, ...]
    fs_reserve_pages: int  # sum of fswdevt[].fsw_reserve
    swapspc_max: int
    swapspc_cnt: int
    swapmem_on: bool = False  # pseudo-swap: memory counted as swap
    swapmem_max: int = 0  # pages
    swapmem_cnt: int = 0  # pages not reserved


def device_name(major: int, minor: int) -> str:
    """`LVM vg00/lv2` for an LVM logical volume, else the disk's `/dev/dsk/cXtYdZ` name.

    LVM minors are vg << 16 | lv. Other block disks use HP-UX's minor layout 0xIITL00
    (card instance, target, LUN); for unusual majors the name shows the raw numbers.
    """
    if major == LVM_MAJOR:
        return f"LVM vg{(minor >> 16) & 0xFF:02d}/lv{minor & 0xFFFF}"
    return f"/dev/dsk/c{(minor >> 16) & 0xFF}t{(minor >> 12) & 0xF}d{(minor >> 8) & 0xF}"


def device_file(major: int, minor: int) -> str:
    """`/dev/vg00/lvol2` for an LVM logical volume (the name crashinfo 3.5 printed), else the
    disk's `/dev/dsk/cXtYdZ` name as device_name gives it."""
    if major == LVM_MAJOR:
        return f"/dev/vg{(minor >> 16) & 0xFF:02d}/lvol{minor & 0xFFFF}"
    return device_name(major, minor)


def swap_state(prog: Program) -> SwapState:
    devices = []
    for i, dev in enumerate(prog.read_global("swdevt")[: prog.read_global("nswapdev")]):
        if dev.sw_dev == -1:
            continue
        number = dev.sw_dev & 0xFFFFFFFF
        devices.append(SwapDevice(
            index=i, major=number >> 24, minor=number & 0xFFFFFF, enabled=bool(dev.sw_enable),
            start=dev.sw_start, kilobytes=dev.sw_nblks, free_pages=dev.sw_nfpgs,
            priority=dev.sw_priority))
    nswapfs = prog.global_or("nswapfs", 0)
    fs = prog.read_global("fswdevt")[:nswapfs] if nswapfs else []
    return SwapState(
        devices=tuple(devices),
        fs_reserve_pages=sum(f.fsw_reserve for f in fs),
        swapspc_max=prog.read_global("swapspc_max"),
        swapspc_cnt=prog.read_global("swapspc_cnt"),
        swapmem_on=bool(prog.global_or("swapmem_on", 0)),
        swapmem_max=prog.global_or("swapmem_max", 0),
        swapmem_cnt=prog.global_or("swapmem_cnt", 0),
    )
