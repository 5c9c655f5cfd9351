"""The mounted file systems: `rootvfs` and its `struct vfs` list, the `vfssw` switch.

A scenario's mount says what is mounted where, its type and device, and how full it is (sizes
in KB: total, free, free to non-root users); the kernel's statvfs counts are written in
fragments. What `Bdf` prints as used and %used is derived by the decoder.
"""

from __future__ import annotations

from q4py.errors import ScenarioError
from q4py.forge.context import ForgeContext
from q4py.forge.schema import Bool, Int, Str, Table
from q4py.layouts.fs import FS_NAME_SIZE, VFS_IGNORE

_U32 = 0xFFFFFFFF

MOUNT = Table("A mounted file system, in mount order (the first is the root).", keys={
    "special": Str("The device file, or `host:/path` of an NFS mount.", required=True),
    "on": Str("Mount point.", required=True),
    "type": Str("File system type as vfssw names it (`vxfs`, `hfs`, `nfs`, `nfs3`).",
                required=True),
    "dev": Int("Its dev_t (0x40000003: LVM major 64, vg 0, lvol 3; NFS mounts 0xff0000NN).",
               required=True, minimum=0, maximum=_U32),
    "address": Int("Address of its struct vfs; -1: kernel dynamic data.", default=-1),
    "kbytes": Int("Size in KB.", default=0, minimum=0),
    "free": Int("Free KB.", default=0, minimum=0),
    "avail": Int("Free KB a non-root user may take (free less the reserve).", default=-1,
                 minimum=-1),
    "fragment": Int("Fragment size in bytes, the unit of the kernel's counts.", default=1024,
                    minimum=512),
    "bsize": Int("Block size.", default=8192, minimum=512),
    "ignore": Bool("Mounted with the `ignore` option (the automounter's own mount points): "
                   "bdf leaves it out.", default=False),
})


def build_mounts(ctx: ForgeContext) -> None:
    mounts = ctx.sc["mounts"]
    if not mounts:
        return
    layout = ctx.types.get("struct vfs")
    types: list[str] = []
    addresses = []
    for mount in mounts:
        address = mount["address"]
        if address < 0:
            address = ctx.mem.alloc(layout.size, 64)
        addresses.append(address)
        if mount["type"] not in types:
            types.append(mount["type"])
    for i, (mount, address) in enumerate(zip(mounts, addresses, strict=True)):
        path = f"mounts[{i}]"
        for key in ("special", "on"):
            if len(mount[key].encode("latin-1")) >= FS_NAME_SIZE:
                raise ScenarioError(f"{path}.{key}", f"longer than {FS_NAME_SIZE - 1} bytes")
        unit = mount["fragment"]
        counts = {}
        avail = mount["free"] if mount["avail"] < 0 else mount["avail"]
        if mount["free"] > mount["kbytes"] or avail > mount["free"]:
            raise ScenarioError(path, "needs avail <= free <= kbytes")
        for key, kb in (("vfs_blocks", mount["kbytes"]), ("vfs_bfree", mount["free"]),
                        ("vfs_bavail", avail)):
            if kb * 1024 % unit:
                raise ScenarioError(f"{path}.fragment", f"{kb} KB is not whole fragments")
            counts[key] = kb * 1024 // unit
        ctx.place("struct vfs", address, {
            "vfs_next": addresses[i + 1] if i + 1 < len(addresses) else 0,
            "vfs_flag": VFS_IGNORE if mount["ignore"] else 0, "vfs_bsize": mount["bsize"],
            "vfs_mtype": types.index(mount["type"]),
            "vfs_dev": mount["dev"], "vfs_frsize": unit, **counts,
            "vfs_special": mount["special"], "vfs_mntpt": mount["on"],
        }, path)
    switch = ctx.types.get("struct vfssw")
    table = ctx.mem.alloc(switch.size * len(types), 64)
    for i, name in enumerate(types):
        ctx.place("struct vfssw", table + i * switch.size, {"vsw_name": ctx.string(name)},
                  "mounts")
    ctx.set_global("vfssw", table, "mounts")
    ctx.set_global("nvfssw", len(types), "mounts")
    ctx.set_global("rootvfs", addresses[0], "mounts")
