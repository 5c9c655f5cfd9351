"""`python -m q4py.layouts.doc > docs/layouts.md`: the reference of every kernel structure and
kernel global q4py knows, generated from the layouts themselves.

Sizes, offsets, C types and the reconstruction marks come from `registry_for(NARROW/WIDE)` and
`KERNEL_GLOBALS`; only the provenance notes below are written by hand. A test checks that the
committed docs/layouts.md is what this module prints, and that every structure has a note.
"""

from __future__ import annotations

import sys

from q4py.layouts import KERNEL_GLOBALS, NARROW, WIDE, Layout, LayoutError, registry_for

# Where the public facts about each structure come from, and what is q4py's own.
PROVENANCE: dict[str, str] = {
    "struct save_state": (
        "Public. The offsets of `ss_flags` (0), `ss_narrow` (4), `ss_fpblock` (0x100), `ss_wide` "
        "(0x280) and the size 1152 are constants in GDB's HP-UX support (hppa-hpux-tdep.c); the "
        "member names are those of HP-UX's `<machine/save_state.h>` as public headers and "
        "third-party readers of HP-UX core files use them. Same layout in both kernel widths."),
    "struct __ss_narrow": (
        "Public (see save_state): 31 general registers, SAR, the two instruction address "
        "queues, interruption registers, space registers (sr4 first) and control registers, "
        "32 bits each; `ss_gr<n>` sits at 4 + 4(n−1) in save_state."),
    "struct __reg64": (
        "Public (see save_state): the same 60 registers in the same order, 64 bits each, after "
        "a reserved word; GDB reads wide register n at ss_wide + 8n."),
    "struct pim_wide": (
        "Reconstruction. Public crashinfo output names `pim.wide.rp_pcoq_head_hi`, "
        "`rp_rp_hi` and `rp_gr31_hi`: register halves with an `rp_` prefix. q4py assumes the "
        "save_state register order, which puts SP 28 slots after RP as reports suggest."),
    "struct pim_narrow": (
        "Reconstruction. Public crashinfo output of a PA-RISC 1.1 processor (PCXL2) names "
        "`pim.narrow.rp_pcoq_head`: whole 32-bit registers with the `rp_` prefix and no halves. "
        "q4py gives them the wide set's order, a reserved word first."),
    "union pim": (
        "Reconstruction: the union of the PA-RISC 2.0 (`wide`) and PA-RISC 1.1 (`narrow`) "
        "register sets, as the processor's firmware saves them (PDC's PIM has a 2.0 and a 1.1 "
        "layout: Linux's pdc.h has both, and its TOC handler reads the 1.1 one on processors "
        "before PCXU). Which one "
        "holds the registers follows the processor's architecture (its mpinfo's cpu type)."),
    "struct rpb": (
        "Reconstruction. HP documents that each crash event has an rpb in kernel static data "
        "holding the processor state (HP-UX Handbook, crash dumps chapter); its size 0x370 is "
        "the distance between consecutive rpbs printed by 11.11 reports. The members after "
        "`pim` follow the PDC PIM layout that Linux documents (pdc.h)."),
    "struct crash_event": (
        "Reconstruction. The type `crash_event_t` and the table `crash_event_table` appear in "
        "public crashinfo reports, whose addresses of consecutive events give 0x20 bytes "
        "(narrow) and 0x30 (wide) per entry. Member names and order are q4py's labels."),
    "struct mapent": (
        "Public: BSD's resource map entry (4.3BSD-Reno subr_rmap.c). q4py names the members "
        "so that p4_sysmap's columns come out as HP printed them."),
    "struct map": (
        "Public: BSD's resource map header, which overlays entry 0 ({limit, name}); the name "
        "string and the configured size show in public p4_sysmap output."),
    "struct kmembuckets": (
        "Reconstruction after 4.4BSD's `<sys/malloc.h>`. The bucket indices (5..12 power-of-"
        "two sizes, 13..19 two to eight pages, 20 larger) are those of public crashinfo "
        "reports; HP-UX 11's own structure is not public."),
    "struct kmem_arena": (
        "Reconstruction. A public 11.11 crashinfo report lists kernel memory by arena name "
        "(`M_TEMP`, `VFD_BT_NODE`, cut to 15 characters) where 11.00 lists MALLOC buckets; "
        "the structure, its table `kmem_arenas[nkmem_arenas]` and the page's arena in "
        "pfdat's `pf_ksub` are q4py's."),
    "struct pfdat": (
        "Reconstruction. `pfdat` (one entry per physical page) is a public name; the members "
        "hold what q4py's page classification reads, and the size is q4py's."),
    "struct pfdat_chunk": (
        "Reconstruction. A public 11.00 report's pfdat scan names P_BAD pages whose pfd_t "
        "addresses are not one array's (their spacing is no multiple of any entry size that "
        "fits) and scans fewer entries than physmem: q4py models pfdat in pieces, each with "
        "its first page, entry count and address."),
    "struct hpde2_0": (
        "Reconstruction. A public crashinfo pdir trace shows the type `hpde2_0_t`, the members "
        "`pde_next`, `pde_space`, `pde_vpage` and, from `htbl` index arithmetic, 32 bytes per "
        "entry. `pde_phys`, `pde_attr` and the attribute bits are q4py's."),
    "struct utsname": (
        "Public: POSIX `uname()` with HP-UX's 257-byte fields and its extra `__idnumber` "
        "(`<sys/utsname.h>`)."),
    "struct timeval": "Public: `<sys/time.h>`; two longs.",
    "struct timezone": "Public: `<sys/time.h>` (BSD).",
    "struct msgbuf": (
        "Public after 4.3BSD's `<sys/msgbuf.h>` (magic 0x063061, write and read indices); the "
        "text follows the header and its length is the `msgbuf` symbol's size."),
    "struct mpinfo": (
        "Reconstruction. `mpproc_info` is a public name; the members (HPA, cpu number, flags, "
        "processor type, and what crashinfo's processor, clock and thread sections read: the "
        "SPL last set, the interval timer of the next tick, late ticks, idle and migration "
        "times, run queue counts) and the size are q4py's."),
    "struct vas": (
        "Reconstruction. The virtual address space of a process as HP-UX 11i Internals "
        "describes it; members and offsets are q4py's."),
    "struct proc": (
        "Reconstruction. At 11.00 the process table is a static array of 700-byte entries "
        "(Cooper and Moore, HP-UX 11i Internals); member names follow the usual UNIX proc "
        "(`p_pid`, `p_stat`, `p_flag`), their offsets are q4py's. Command names and command "
        "lines are in the parallel arrays `pst_ucomms` and `pst_cmds` at 11.00 (HP-UX 11i "
        "release notes; `print` reads `p_comm` and `p_cmds` from there, the proc's own bytes "
        "being empty), in `p_comm` and `p_cmds` (q4py's name) at 11i, whose processes are "
        "linked from `proc_list` through `p_factp` (HP-UX 11i release notes)."),
    "struct kthread": (
        "Reconstruction. The thread table `kthread`/`nkthread` (11.00) and the list "
        "`kthread_list` linked through `kt_global_kthread` (11i) are public names (HP-UX 11i "
        "release notes, q4 `load kthread_t from kthread_list ... next kt_global_kthread`); "
        "`kt_tid`, `kt_stat`, `kt_pri`, `kt_spu`, `kt_wchan`, `kt_procp`, `kt_schedpolicy` "
        "follow HP's names as p4 listings show them. Offsets, the sleep caller, u-area and "
        "system call members and the state values are q4py's. That a thread's u-area and "
        "kernel stack live in a space of its own (`kt_uarea_space`, its SR5 in the kernel) "
        "follows public p4 traces (`Using PCB: p user_t 0x51e8.0x7fff0000`, `SR5=0x51e8`). "
        "`kt_cpu` and `kt_start` are the names crashinfo's run queue table heads its columns "
        "with (hpux1100-64-hang-runqueue); `kt_cpticks`, `kt_uticks`, `kt_sticks` and "
        "`kt_iticks` are q4py's names for the table's `recent`, `user`, `sys` and `intr`. "
        "A beta semaphore's waiter: p4's pview of one (hpux1111-64-hang-lock-contention-p4, "
        "tid 312772) prints kt_wchan 0 while crashinfo counts it on `shm_lock`, so q4py keeps "
        "the semaphore in a member of its own, `kt_sema` (q4py's name). crashinfo's Beta "
        "Semaphore table prints such a waiter's PRI as 646, 639 or 571 where the same dumps "
        "show kt_pri 134, 127 and 59: each is 0x200 over kt_pri. q4py reads the column as the "
        "priority word the sleep recorded, `kt_sleep_pri` (q4py's name): kt_pri, with bit "
        "0x200 (BSEMA_SLEEP_PRI, name unknown) for a beta semaphore sleep."),
    "struct pcb": (
        "Reconstruction. p4 traces a sleeping thread from its PCB (`Using PCB: p user_t "
        "SPACE.0x7fff0000`): the context the switch saved (SP, the pc it resumes at, RP, the "
        "callee-saved registers gr3..gr18 of the PA-RISC calling convention). Members and "
        "offsets are q4py's."),
    "struct user": (
        "Reconstruction. The u-area `user_t` sits at 0x7fff0000 (32-bit) or "
        "0x400003ffffff0000 (64-bit) in the thread's space (public p4 traces), its PCB first "
        "(q4py's reading of `Using PCB: p user_t ...`). The kernel stack starts after it: the "
        "64-bit size 0x7a0 follows a public 11.00 report (syscallinit's 0x4d0-byte frame at "
        "SP 0x400003ffffff0c70); the 32-bit size and the other members are q4py's."),
    "struct sleepq": (
        "Reconstruction. HP-UX hashes sleeping threads on wait channels into sleep queues; "
        "q4py's `sleepq[256]` heads (the hash `(wchan >> 3) % 256`), threads linked through "
        "`kt_link`, are its own model."),
    "struct syswait": (
        "Reconstruction. crashinfo's `Syswait Array` shows an `iowait` count per processor; "
        "the other members (SysV's `struct syswait`) and the per-processor array are q4py's."),
    "struct lock": (
        "Reconstruction of the 11i spinlock. A public p4 dump of a `lock_t` on a 64-bit 11.11 "
        "kernel shows every member, its C type and offset (`sl_lock`, `sl_owner`, "
        "`sl_name_ptr`, `sl_flag`, `sl_next_cpu`, `sl_arena_alloc_flag`; 0x20 bytes); that "
        "`sl_owner` points at the holding processor's mpinfo is q4py's reading. The 11.00 "
        "lock_t is `struct lock_1100`."),
    "struct lock_1100": (
        "Reconstruction of the 11.00 spinlock from a public p4 `Lock_t` of a 64-bit 11.00 "
        "kernel, which shows every member with its type and offset: `u_int sl_lock`, "
        "`sl_owner`, `sl_flag`, `sl_next_cpu`, then one u_int holding `sl_indirect:0:1` and "
        "`sl_name_ptr:1:23` (printed as the name's address, so the value is unshifted; the "
        "low 8 bits are unnamed), then `u_int sl_pad[3]`; 0x20 bytes. That `sl_owner` points "
        "at the holder's mpinfo is q4py's reading; the narrow layout is assumed the same."),
    "struct rw_lock": (
        "Reconstruction from a public p4 `p struct rw_lock` of a 64-bit 11.11 kernel, which "
        "shows every member with its type and offset (`interlock`, `delay`, `write_waiters`, "
        "`read_count`, `want_write`, `want_upgrade`, `waiting`, `rwl_flags`, `l_kthread`; "
        "0x20 bytes). That `l_kthread` is the writer holding it is the report's reading; the "
        "narrow layout follows the C rules."),
    "struct b_sema": (
        "Reconstruction, all q4py's. The reports show beta semaphores only through crashinfo's "
        "table of their waiters (the semaphore's address, the owner's thread id or -1) and p4 "
        "stacks (`_mp_b_sema_sleep` called with its address); `b_magic` (B_SEMA_MAGIC) is how "
        "q4py tells a wait channel that is a beta semaphore, `b_owner` the holder's kthread."),
    "struct ipc_perm": (
        "Reconstruction: SVR4's public members in their order (`uid`, `gid`, `cuid`, `cgid`, "
        "`mode`, `seq`, `key`) and HP-UX's `ndx` and `wait`; sizes from the C rules."),
    "struct sem": (
        "Reconstruction: the System V semaphore of SVR3's public header (`semval`, `sempid`, "
        "`semncnt`, `semzcnt`; 8 bytes). The reports agree: crashinfo names semop() sleepers "
        "`sema[N][M]+0x4` and `__sem+OFF` with OFF 4 past a multiple of 8 "
        "(hpux1111-64-hang-vhand-superpages, hpux1100-32-hang-nfs-swap-p4): `semncnt`, where "
        "a thread waits for the value to grow."),
    "struct semid_ds": (
        "Reconstruction: SVR4's public members in their order; `sema` points at `semmni` of "
        "them (crashinfo's `sema[N][M]` names semaphore M of set N)."),
    "struct msqid_ds": (
        "Reconstruction: SVR4's public members in their order, then kernel-private words "
        "whose meaning is not known (`msg_private`). crashinfo names a msgrcv() sleeper "
        "`msgque[0]+0x5c` on a wide kernel (hpux1111-64-hang-vhand-superpages) and "
        "`msgque[0]+0x38` on a narrow one (hpux1100-32-hang-nfs-swap-p4): an address inside "
        "entry N of `msgque` (`msgmni` entries); which member sits there is not known."),
    "struct queue": (
        "Reconstruction: SVR4 STREAMS' public `queue_t` members in their order. A stream "
        "head's read queue has the head in `q_ptr`: that back pointer is how q4py tells a "
        "stream head (crashinfo's `STREAM 0xADDR` wait channels)."),
    "struct sth_s": (
        "Reconstruction, q4py's: HP-UX's stream head is `struct sth_s` (its name in p4 "
        "sessions); members are q4py's, its read queue first."),
    "struct socket": (
        "Reconstruction: 4.3BSD's public first members (`so_type`, `so_options`, `so_linger`, "
        "`so_state`, `so_pcb`, `so_proto`). A socket's protocol control block points back at "
        "it (`inp_socket`): how q4py tells a socket (crashinfo's `SOCKET 0xADDR`)."),
    "struct inpcb": (
        "Reconstruction: 4.3BSD's public members up to `inp_socket`."),
    "struct vnode": (
        "Reconstruction: the first members of HP-UX's vnode as its public header orders them; "
        "`v_type` is HP-UX's enum vtype (VFIFO = 8: VNON, VREG, VDIR, VBLK, VCHR, VLNK, VSOCK, "
        "VBAD, VFIFO). A FIFO's fifonode begins with its vnode: crashinfo's `FIFO 0xADDR`."),
    "struct clist": (
        "Reconstruction after 4.4BSD's `<sys/tty.h>` (count, first and last character): a "
        "terminal's character queue."),
    "struct tty": (
        "Reconstruction after 4.4BSD's `<sys/tty.h>`: the raw, canonical and output queues "
        "first (a reader sleeps on the raw queue, the tty's own address), the device number "
        "and state (TS_ISOPEN 0x20, 4.4BSD's). crashinfo names a terminal reader's wait "
        "channel `DEVICE 0x00000000` (hpux1100-32-hang-nfs-swap-p4, a getty on the console): "
        "q4py reads that number from `t_dev`."),
    "struct eirr_switch": (
        "Reconstruction, all q4py's: crashinfo's table of outstanding external interrupts "
        "(hpux1111-64-hang-vhand-superpages, hpux1100-64-hang-soaccept-p4) names, per EIRR "
        "bit, a handler (`clock_int`, `take_a_trap`) and the SPL it runs at, which the kernel "
        "must keep per bit; q4py keeps them in `eirr_switch[64]`, indexed by the bit number "
        "(bit 0 the most significant)."),
    "struct lan_ift": (
        "Reconstruction, all q4py's: one record per LAN interface with what crashinfo's "
        "Network Interfaces table prints (hpux1111-64-hang-vhand-superpages, "
        "hpux1100-64-hang-soaccept-p4): name, PPA, driver, description, station address, link "
        "state, and up to four IP addresses with their states; listed from `lan_ift_list`."),
    "struct pathname": (
        "Reconstruction from a public p4 `p struct pathname` of a 32-bit 11.00 kernel "
        "(`pn_buf`, `pn_path`, `pn_pathlen`; 0xc bytes)."),
    "struct vfs": (
        "Reconstruction. `rootvfs` and the list through `vfs_next` are the SVR4/HP-UX names "
        "and p4's `Mount` prints a `struct vfs` address per mounted file system; the other "
        "members (device, type index into `vfssw`, the special file and mount point names the "
        "kernel kept, and the statvfs block counts `Bdf` reads) are q4py's."),
    "struct vfssw": (
        "Reconstruction: the file system switch, one entry per file system type, `vsw_name` "
        "(`vxfs`, `hfs`, `nfs`) the name `Mount` prints (SVR4 name; layout q4py's)."),
    "struct lpmc_entry": (
        "Reconstruction (q4py's own): HP's p4 had an `Lpmc` command printing the logged "
        "low-priority machine checks, whose kernel structure is not public. An entry holds "
        "the processor, the lbolt it was logged at, the check type, and the PIM words (check "
        "summary, CPU and cache status) firmware reported."),
    "struct swdevt": (
        "Reconstruction. Member names are public (net-snmp reads HP-UX's swap table through "
        "nlist); their order and sizes are q4py's."),
    "struct fswdevt": (
        "Reconstruction. Member names are public (net-snmp's HP-UX memory module); their order "
        "and sizes are q4py's."),
    "union buf_un": (
        "Reconstruction: the union holding a buffer's data address; only `b_addr` is "
        "modelled."),
    "struct buf": (
        "Reconstruction. The member names are HP-UX 11.00's. One public 64-bit q4 session "
        "printed a buffer filled with counting bytes, which pins `b_flags` at 0, `av_forw` at "
        "0x18, `av_back` at 0x20 and `b_dev` at 0x4c on a wide kernel; the other offsets and "
        "the size are q4py's."),
}

_INLINE_OVER = 24  # members beyond which a structure's members are listed inline, not tabled

_HEAD = """\
# Kernel structure layouts

Generated by `python -m q4py.layouts.doc > docs/layouts.md` from `q4py/layouts/`; do not edit
by hand (a test compares this file with the generator's output).

Every structure is defined once, as a list of members with C types, in `q4py/layouts/` and
resolved for each kernel width: `narrow` (32-bit kernels: `long` and pointers are 4 bytes) and
`wide` (64-bit: 8 bytes). Members are placed by C's rules: each at a multiple of its alignment
(its size for scalars), the whole rounded up to its largest alignment, or padded to a known
size where the structure is bigger than the members q4py knows. The decoder parses with these
layouts and the forge builds with them.

**Reconstruction** marks a structure whose member offsets are q4py's own, because HP's header is
not public: what is public about it (a name, a size, members seen in HP's output) is said in its
note, and it is q4py's forge that writes dumps in exactly this layout. A real HP-UX dump would
need these layouts checked against it.
"""


def _both(name: str) -> tuple[Layout | None, Layout | None]:
    """The structure in the narrow and the wide registry (None where it is not defined)."""
    found: list[Layout | None] = []
    for abi in (NARROW, WIDE):
        try:
            found.append(registry_for(abi).get(name))
        except LayoutError:
            found.append(None)
    return found[0], found[1]


def structure_names() -> list[str]:
    """Every structure of either width: narrow's order, then any defined for wide only."""
    names = [layout.name for layout in registry_for(NARROW).layouts()]
    return names + [layout.name for layout in registry_for(WIDE).layouts()
                    if layout.name not in names]


def _size(layout: Layout | None) -> str:
    return "—" if layout is None else f"{layout.size:#x} ({layout.size})"


def render() -> str:
    """The whole of docs/layouts.md."""
    out = [_HEAD, "## Structures", "",
           "| structure | also known as | narrow | wide | reconstruction |",
           "|---|---|---|---|---|"]
    for name in structure_names():
        narrow, wide = _both(name)
        either = narrow or wide
        assert either is not None
        aliases = ", ".join(f"`{a}`" for a in either.aliases) or "—"
        out.append(f"| [`{name}`](#{_anchor(name)}) | {aliases} | {_size(narrow)} | "
                   f"{_size(wide)} | {'yes' if either.reconstruction else 'no'} |")
    out.append("")
    for name in structure_names():
        out += _structure(name)
    out += _globals()
    return "\n".join(out).rstrip() + "\n"


def _anchor(name: str) -> str:
    return name.replace(" ", "-").lower()  # GitHub's heading anchors


def _structure(name: str) -> list[str]:
    narrow, wide = _both(name)
    either = narrow or wide
    assert either is not None
    size = f"Size {_size(narrow).split()[0]} narrow, {_size(wide).split()[0]} wide."
    lines = [f"### {name}", "", size, ""]
    lines += [PROVENANCE.get(name, "(no note: add one to q4py/layouts/doc.py)"), ""]
    if either.doc:
        lines += [f"Note: {either.doc.rstrip('.')}.", ""]
    names = list(dict.fromkeys([m.name for m in (narrow.fields if narrow else ())]
                               + [m.name for m in (wide.fields if wide else ())]))

    def member(layout: Layout | None, name: str) -> tuple[str, str]:
        if layout is None or not layout.has_field(name):
            return "—", "—"
        field = layout.field(name)
        return f"{field.offset:#x}", field.ctype.spelling

    if len(names) > _INLINE_OVER:
        first, last = names[0], names[-1]
        lines.append(f"{len(names)} members, `{first}` … `{last}`; offsets narrow / wide:")
        lines.append("")
        lines.append(", ".join(f"`{n}` {member(narrow, n)[0]}/{member(wide, n)[0]}"
                               for n in names) + ".")
        types = sorted({member(narrow, n)[1] for n in names} - {"—"})
        lines += ["", f"C types: {', '.join(f'`{t}`' for t in types)}.", ""]
        return lines
    lines += ["| member | C type | narrow offset | wide offset |", "|---|---|---|---|"]
    for name in names:
        n_off, n_type = member(narrow, name)
        w_off, w_type = member(wide, name)
        lines.append(f"| `{name}` | `{n_type if n_type != '—' else w_type}` | {n_off} | "
                     f"{w_off} |")
    lines.append("")
    return lines


def _globals() -> list[str]:
    narrow, wide = registry_for(NARROW), registry_for(WIDE)
    lines = [
        "## Kernel globals", "",
        "q4 learned the types of kernel variables from the debug information in vmunix; q4py's "
        "vmunix has symbols without types, so the type of every global q4py reads is declared "
        "in `q4py/layouts/globals.py` (the forge writes them with the same declarations). "
        "*public type* is yes where the variable's type is documented, not only its name.", "",
        "| global | C type | narrow size | wide size | public type | meaning |",
        "|---|---|---|---|---|---|",
    ]
    for name, decl in KERNEL_GLOBALS.items():
        lines.append(f"| `{name}` | `{decl.ctype}` | {narrow.ctype(decl.ctype).size} | "
                     f"{wide.ctype(decl.ctype).size} | {'no' if decl.reconstruction else 'yes'} "
                     f"| {decl.doc or '—'} |")
    lines.append("")
    return lines


def main() -> int:
    sys.stdout.write(render())
    return 0


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
