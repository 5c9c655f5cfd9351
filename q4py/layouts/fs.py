"""File systems: the mounted file systems (`struct vfs` from `rootvfs`), the file system switch
(`vfssw`) and path name lookups (`struct pathname`).

Reconstructions (docs/layouts.md): `struct pathname` has the members a public p4 dump shows;
`rootvfs`, `vfs_next` and `vfssw` are SVR4 names HP-UX kept; the other vfs members are q4py's.
"""

from __future__ import annotations

from q4py.layouts.base import TypeRegistry

VFS_IGNORE = 0x1000  # vfs_flag: mounted `ignore` (q4py's bit), left out of bdf
FS_NAME_SIZE = 64  # bytes q4py's vfs keeps of the special file and mount point names


def define(reg: TypeRegistry) -> None:
    reg.define(
        "struct pathname",
        [("pn_buf", "char *"), ("pn_path", "char *"), ("pn_pathlen", "int")],
        reconstruction=True,
        aliases=("pathname_t",),
        doc="a path name being looked up: its buffer, the part left, its length",
    )
    reg.define(
        "struct vfssw",
        [("vsw_name", "char *"), ("vsw_ops", "void *")],
        reconstruction=True,
        doc="one file system type of the file system switch `vfssw`",
    )
    reg.define(
        "struct vfs",
        [
            ("vfs_next", "struct vfs *"),
            ("vfs_op", "void *"),
            ("vfs_vnodecovered", "void *"),
            ("vfs_flag", "int"),
            ("vfs_bsize", "int"),
            ("vfs_mtype", "int"),  # index into vfssw
            ("vfs_dev", "unsigned int"),  # dev_t of the file system
            ("vfs_data", "caddr_t"),
            ("vfs_frsize", "unsigned int"),  # statvfs fragment size: the unit of the counts
            ("vfs_blocks", "unsigned int"),  # fragments in the file system
            ("vfs_bfree", "unsigned int"),  # free fragments
            ("vfs_bavail", "unsigned int"),  # free fragments a non-root user may take
            ("vfs_special", f"char[{FS_NAME_SIZE}]"),  # device file, or host:path of NFS
            ("vfs_mntpt", f"char[{FS_NAME_SIZE}]"),  # where it is mounted
        ],
        reconstruction=True,
        aliases=("vfs_t",),
        doc="a mounted file system; `rootvfs` heads the list linked through `vfs_next`",
    )
