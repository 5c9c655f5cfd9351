"""Mounted file systems: the `struct vfs` list from `rootvfs`, with each one's type name from
the file system switch `vfssw` and its statvfs counts.

A kernel without `rootvfs` has no mount list q4py can show. The walk stops at a loop or after
`MAX_MOUNTS` entries; an entry that cannot be read ends it with the ones before it kept.
"""

from __future__ import annotations

from dataclasses import dataclass

from q4py.errors import Q4Error
from q4py.kernel.tables import table_size
from q4py.layouts.base import c_string
from q4py.layouts.fs import VFS_IGNORE
from q4py.program import Program

MAX_MOUNTS = 4096


@dataclass(frozen=True)
class Mount:
    address: int  # of its struct vfs
    dev: int
    special: str  # device file, or host:path
    mount_point: str
    fstype: str
    ignore: bool  # mounted with the `ignore` option
    fragment: int  # bytes per fragment, the unit of the counts
    blocks: int
    free: int
    avail: int


@dataclass(frozen=True)
class MountList:
    mounts: list[Mount]
    error: str | None  # why the walk stopped early


def _type_names(prog: Program) -> list[str]:
    if not prog.has_symbol("vfssw"):
        return []
    names = []
    for entry in prog.read_records("struct vfssw", prog.read_global("vfssw"),
                                   table_size(prog, "nvfssw", 64)):
        try:
            names.append(prog.read_string(entry[0], limit=16) if entry[0] else "")
        except Q4Error:
            names.append("?")
    return names


def has_mounts(prog: Program) -> bool:
    return prog.has_symbol("rootvfs")


def mounts(prog: Program) -> MountList:
    """Every mounted file system in list order."""
    types = _type_names(prog)
    out: list[Mount] = []
    seen: set[int] = set()
    address = prog.read_global("rootvfs")
    while address:
        if address in seen:
            return MountList(out, f"vfs list loops back to {address:#x}")
        if len(out) >= MAX_MOUNTS:
            return MountList(out, f"vfs list longer than {MAX_MOUNTS} entries")
        seen.add(address)
        try:
            vfs = prog.read_struct("struct vfs", address)
        except Q4Error as err:
            return MountList(out, f"vfs at {address:#x}: {err}")
        kind = vfs.vfs_mtype
        out.append(Mount(
            address=address, dev=vfs.vfs_dev, special=c_string(vfs.vfs_special),
            mount_point=c_string(vfs.vfs_mntpt),
            fstype=types[kind] if 0 <= kind < len(types) else f"type{kind}",
            ignore=bool(vfs.vfs_flag & VFS_IGNORE), fragment=vfs.vfs_frsize,
            blocks=vfs.vfs_blocks, free=vfs.vfs_bfree,
            avail=vfs.vfs_bavail))
        address = vfs.vfs_next
    return MountList(out, None)
