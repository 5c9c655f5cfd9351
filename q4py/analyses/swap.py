"""Swap Information as `swapinfo -mt` showed it: devices, reservation and the total, in MB.

Per device: AVAIL = sw_nblks KB, FREE = sw_nfpgs pages, USED = AVAIL - FREE. The `reserve`
line is swap reserved but not yet allocated on a device: swapspc_max - swapspc_cnt minus the
pages the devices use. `memory` is pseudo-swap when it is on: AVAIL swapmem_max pages, FREE
swapmem_cnt pages. `total` adds them up; its PCT is the figure that matters.

Beside the table: the swap globals in pages (`swapphys_cnt`, the device pages not allocated,
None on a kernel without it) and the processes holding the most swap (vas `va_swprss`).
"""

from __future__ import annotations

from dataclasses import dataclass

from q4py.kernel.procs import process_table
from q4py.kernel.swap import swap_state
from q4py.program import Program

PAGES_PER_MB = 256


@dataclass(frozen=True)
class SwapDeviceUsage:
    avail_mb: int
    used_mb: int
    free_mb: int
    start: int
    priority: int
    name: str  # `LVM vg00/lv2`
    file: str = ""  # its device file, `/dev/vg00/lvol2`


@dataclass(frozen=True)
class MemorySwapUsage:
    """Pseudo-swap: memory the kernel counts as swap (`swapmem_max`), `swapmem_cnt` unreserved."""

    avail_mb: int
    used_mb: int
    free_mb: int


@dataclass(frozen=True)
class SwapPages:
    """The swap globals, in pages."""

    swapmem_on: bool
    swapmem_max: int
    swapmem_cnt: int
    swapspc_max: int
    swapspc_cnt: int
    swapphys_cnt: int | None  # None: the kernel has no such global


@dataclass(frozen=True)
class ProcessSwap:
    pid: int
    command: str
    virtual: int  # pages
    physical: int  # resident pages
    swap: int  # swap pages held (va_swprss)


@dataclass(frozen=True)
class SwapUsage:
    devices: tuple[SwapDeviceUsage, ...]
    reserve_mb: int  # reserved, not allocated
    fs_reserve_mb: int
    memory: MemorySwapUsage | None = None  # when pseudo-swap is on
    pages: SwapPages | None = None
    top: tuple[ProcessSwap, ...] = ()  # the processes holding the most swap, most first

    @property
    def avail_mb(self) -> int:
        memory = self.memory.avail_mb if self.memory else 0
        return sum(d.avail_mb for d in self.devices) + memory

    @property
    def used_mb(self) -> int:
        memory = self.memory.used_mb if self.memory else 0
        return sum(d.used_mb for d in self.devices) + self.reserve_mb + memory

    @property
    def free_mb(self) -> int:
        return self.avail_mb - self.used_mb


def swap_usage(prog: Program) -> SwapUsage:
    state = swap_state(prog)
    devices = []
    device_used_pages = 0
    for dev in state.devices:
        avail = dev.kilobytes // 1024
        free = _mb(dev.free_pages)
        device_used_pages += dev.kilobytes // 4 - dev.free_pages
        devices.append(SwapDeviceUsage(avail, avail - free, free, dev.start, dev.priority,
                                       dev.name, dev.file))
    reserved = state.swapspc_max - state.swapspc_cnt - device_used_pages
    memory = None
    if state.swapmem_on:
        avail, free = _mb(state.swapmem_max), _mb(state.swapmem_cnt)
        memory = MemorySwapUsage(avail, avail - free, free)
    pages = SwapPages(state.swapmem_on, state.swapmem_max, state.swapmem_cnt,
                      state.swapspc_max, state.swapspc_cnt,
                      prog.global_or("swapphys_cnt", None))
    return SwapUsage(devices=tuple(devices), reserve_mb=_mb(reserved),
                     fs_reserve_mb=_mb(state.fs_reserve_pages), memory=memory, pages=pages,
                     top=top_swap_processes(prog, SWAP_TOP))


SWAP_TOP = 10  # processes listed by swap size


def top_swap_processes(prog: Program, count: int) -> tuple[ProcessSwap, ...]:
    """The `count` processes holding the most swap pages, ties in table order; none when no
    process holds any."""
    table = process_table(prog)
    return tuple(ProcessSwap(table.pid(i), table.command(i), table.vsizes[i], table.rss[i],
                             table.swaps[i])
                 for i in table.largest(count, by="swaps") if table.swaps[i])


def _mb(pages: int) -> int:
    """Whole MB, truncated toward zero as C's integer division does."""
    return int(pages / PAGES_PER_MB)
