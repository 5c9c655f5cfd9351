"""`Mount` and `Bdf`: p4's views of the mounted file systems (struct vfs from `rootvfs`).

    p4> Mount
    Dev_t      Devicefile                 Mount point              Type struct vfs
    0x40000003 /dev/root                  /                        vxfs 0x25a1000
    p4> Bdf
    Filesystem           kbytes     used    avail %used Mounted on
    /dev/root            614400   432158   170900   72% /

Both formats are those of a public report. Bdf works as bdf(1M) does from the statvfs counts:
kbytes is the size, used the size less the free space, avail what a non-root user may still
take, %used used over used + avail, rounded; file systems mounted `ignore` (the automounter's)
are left out; a file system name longer than its column goes on
a line of its own with the figures below it.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from q4py.commands import command
from q4py.errors import CommandError
from q4py.kernel.mounts import Mount, MountList, has_mounts, mounts

if TYPE_CHECKING:
    from q4py.shell.session import Session

_NAME_WIDTH = 18  # Bdf's file system column


def _mount_list(session: Session, name: str, args: list[str]) -> MountList:
    if args:
        raise CommandError(f"usage: {name}")
    if not has_mounts(session.program):
        raise CommandError(f"{name}: this kernel has no mount list (no rootvfs)")
    return mounts(session.program)


def _finish(found: MountList) -> None:
    # The rows read so far are printed; then one line says why the list ended early.
    if found.error:
        raise CommandError(found.error)


@command(
    "Mount",
    usage="Mount",
    summary="the mounted file systems: device, special file, mount point, type, struct vfs",
    help="One line per mounted file system, in the kernel's list order (rootvfs first):\n"
    "its dev_t, device file (host:path for NFS), mount point, type and the address of its\n"
    "struct vfs (p struct vfs ADDR for the rest). Example:\n"
    "  p4> Mount\n"
    "  Dev_t      Devicefile                 Mount point              Type struct vfs\n"
    "  0x40000003 /dev/root                  /                        vxfs 0x25a1000",
)
def mount_command(session: Session, args: list[str]) -> None:
    found = _mount_list(session, "Mount", args)
    print(f"{'Dev_t':<10} {'Devicefile':<26} {'Mount point':<24} Type struct vfs",
          file=session.out)
    for m in found.mounts:
        print(f"{m.dev:#010x} {m.special:<26} {m.mount_point:<24} {m.fstype:>4} "
              f"{m.address:#x}", file=session.out)
    _finish(found)


def bdf_figures(mount: Mount) -> tuple[int, int, int, int]:
    """(kbytes, used, avail, %used) as bdf prints them."""
    def kb(count: int) -> int:
        return count * mount.fragment // 1024

    size, used, avail = kb(mount.blocks), kb(mount.blocks - mount.free), kb(mount.avail)
    room = used + avail
    percent = (used * 100 + room // 2) // room if room else 0
    return size, used, avail, percent


@command(
    "Bdf",
    usage="Bdf",
    summary="bdf(1M) of the dump: size, used and free KB of each mounted file system",
    help="kbytes is the size, used the size less the free space, avail what non-root users may\n"
    "still take, %used used / (used + avail). Read from each file system's statvfs counts.\n"
    "Example:\n"
    "  p4> Bdf\n"
    "  Filesystem           kbytes     used    avail %used Mounted on\n"
    "  /dev/root            614400   432158   170900   72% /",
)
def bdf_command(session: Session, args: list[str]) -> None:
    found = _mount_list(session, "Bdf", args)
    print(f"{'Filesystem':<{_NAME_WIDTH}} {'kbytes':>8} {'used':>8} {'avail':>8} %used "
          "Mounted on", file=session.out)
    for m in found.mounts:
        if m.ignore:  # the automounter's own mount points, as bdf(1M) leaves them out
            continue
        size, used, avail, percent = bdf_figures(m)
        name = m.special
        if len(name) > _NAME_WIDTH:
            print(name, file=session.out)
            name = ""
        print(f"{name:<{_NAME_WIDTH}} {size:>8} {used:>8} {avail:>8} {percent:>4}% "
              f"{m.mount_point}", file=session.out)
    _finish(found)
