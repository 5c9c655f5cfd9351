"""Kernel global variables and their C types.

q4 learned the types of kernel globals from the debug information compiled into vmunix. q4py's
vmunix carries symbols without types, so the types of the globals q4py reads are declared here,
once, for the decoder (to read them) and the forge (to write them). Names are HP-UX's where they
are public; `reconstruction=False` marks those whose type is documented too.
"""

from __future__ import annotations

from q4py.layouts.base import GlobalDecl

_DECLS = [
    # identity and time
    GlobalDecl("utsname", "struct utsname", reconstruction=False),
    GlobalDecl("time", "struct timeval", "time of the crash"),
    GlobalDecl("boottime", "struct timeval", "time of the last boot"),
    GlobalDecl("tz", "struct timezone", "the kernel's time zone"),
    GlobalDecl("hz", "int", "clock ticks per second"),
    GlobalDecl("itick_per_tick", "int", "interval timer ticks per clock tick"),
    GlobalDecl("avenrun", "double[3]", "load averages (1, 5, 15 minutes)"),
    GlobalDecl("panicstr", "char *", "the panic message", reconstruction=False),
    GlobalDecl("mpproc_info", "struct mpinfo *", "per-processor information array"),
    GlobalDecl("nmpinfo", "int", "entries in mpproc_info"),
    GlobalDecl("crash_event_table", "struct crash_event[8]", "the crash events"),
    GlobalDecl("msgbuf", "struct msgbuf", "the kernel message buffer (text follows)"),
    # VM
    GlobalDecl("physmem", "int", "pages of physical memory"),
    GlobalDecl("freemem", "int", "free pages"),
    GlobalDecl("avefree", "int", "average free pages"),
    GlobalDecl("gpgslim", "int"),
    GlobalDecl("lotsfree", "int"),
    GlobalDecl("desfree", "int"),
    GlobalDecl("minfree", "int"),
    GlobalDecl("deactload", "double[3]", "deactivation load averages"),
    GlobalDecl("maxpendpageouts", "int"),
    GlobalDecl("pageoutrate", "int"),
    GlobalDecl("curr_pgrate", "int"),
    GlobalDecl("min_pgrate", "int"),
    GlobalDecl("max_pgrate", "int"),
    GlobalDecl("lowmemdeact", "int"),
    GlobalDecl("thrashdeact", "int"),
    GlobalDecl("pfdat", "struct pfdat *", "the page frame data array, one entry per page"),
    GlobalDecl("bucket", "struct kmembuckets[21]", "MALLOC buckets"),
    GlobalDecl("sysmap", "struct map *", "the kernel virtual space resource map"),
    GlobalDecl("sysmap_32bit", "struct map *", "the 32-bit kernel virtual space map"),
    GlobalDecl("sysmap_64bit", "struct map *", "the 64-bit kernel virtual space map"),
    GlobalDecl("htbl", "struct hpde2_0 *", "the hashed page directory"),
    GlobalDecl("nhtbl", "int", "entries in htbl (a power of two)"),
    # processes
    GlobalDecl("proc", "struct proc *", "the process table"),
    GlobalDecl("nproc", "int", "entries in the process table"),
    GlobalDecl("pst_ucomms", "char *", "command names, char[15] per proc entry"),
    # buffer cache
    GlobalDecl("bufpages", "int"),
    GlobalDecl("nbuf", "int", "buffer headers"),
    GlobalDecl("dbc_max_pct", "int"),
    GlobalDecl("dbc_min_pct", "int"),
    GlobalDecl("fixed_size_cache", "int"),
    GlobalDecl("dbc_parolemem", "int"),
    GlobalDecl("dbc_stealavg", "int"),
    GlobalDecl("dbc_ceiling", "int"),
    GlobalDecl("dbc_nbuf", "int"),
    GlobalDecl("dbc_bufpages", "int"),
    GlobalDecl("dbc_vhandcredit", "int"),
    GlobalDecl("orignbuf", "int"),
    GlobalDecl("origbufpages", "int"),
    # swap
    GlobalDecl("swdevt", "struct swdevt[10]"),
    GlobalDecl("nswapdev", "int"),
    GlobalDecl("fswdevt", "struct fswdevt[10]"),
    GlobalDecl("nswapfs", "int"),
    GlobalDecl("swapspc_max", "int", "pages of swap that can be reserved"),
    GlobalDecl("swapspc_cnt", "int", "pages of swap not reserved"),
]

KERNEL_GLOBALS: dict[str, GlobalDecl] = {d.name: d for d in _DECLS}
