"""Kernel global variables and their C types.

q4 learned the types of kernel globals from the debug information compiled into vmunix. q4py's
vmunix carries symbols without types, so the types of the globals q4py reads are declared here,
once, for the decoder (to read them) and the forge (to write them). Names are HP-UX's where they
are public; `reconstruction=False` marks those whose type is documented too.
"""

from __future__ import annotations

from q4py.layouts.base import GlobalDecl
from q4py.layouts.buf import BQUEUES
from q4py.layouts.io import NSWAPDEV, NSWAPFS
from q4py.layouts.sched import NSLEEPQ

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
    GlobalDecl("machine_model", "char[64]", "the model string (9000/800/K360), read when a dump "
               "has no INDEX (COREFILE); q4py's own name, a real kernel's is not public"),
    GlobalDecl("mpproc_info", "struct mpinfo *", "per-processor information array"),
    GlobalDecl("nmpinfo", "int", "entries in mpproc_info"),
    GlobalDecl("vpar_partition", "int", "nonzero when the kernel runs in a virtual partition "
               "under the vPars monitor; q4py's name (the reports show crashinfo's note, not "
               "the variable it tested)"),
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
    GlobalDecl("pfdat_chunks", "struct pfdat_chunk *", "pfdat in pieces: where each piece "
               "is and which pages it describes (kernels that allocated pfdat in pieces)"),
    GlobalDecl("npfdat_chunks", "int", "entries in pfdat_chunks"),
    GlobalDecl("eqmem_pages", "int", "equivalently mapped pages taken before pfdat existed"),
    GlobalDecl("reserved_pool_pages", "int", "reserved pool pages taken before pfdat existed"),
    GlobalDecl("bucket", "struct kmembuckets[21]", "MALLOC buckets"),
    GlobalDecl("kmem_arenas", "struct kmem_arena *", "the kernel memory arenas of an 11i "
               "kernel (pfdat's pf_ksub of an arena page indexes them); q4py's name"),
    GlobalDecl("nkmem_arenas", "int", "entries in kmem_arenas; q4py's name"),
    GlobalDecl("sysmap", "struct map *", "the kernel virtual space resource map"),
    GlobalDecl("sysmap_32bit", "struct map *", "the 32-bit kernel virtual space map"),
    GlobalDecl("sysmap_64bit", "struct map *", "the 64-bit kernel virtual space map"),
    GlobalDecl("htbl", "struct hpde2_0 *", "the hashed page directory"),
    GlobalDecl("nhtbl", "int", "entries in htbl (a power of two)"),
    # processes
    GlobalDecl("proc", "struct proc *", "the process table"),
    GlobalDecl("nproc", "int", "entries in the process table"),
    GlobalDecl("pst_ucomms", "char *", "command names, char[15] per proc entry"),
    GlobalDecl("pst_cmds", "char *", "command lines, char[64] per proc entry (11.00)"),
    # System V IPC
    GlobalDecl("sema", "struct semid_ds *", "the semaphore sets"),
    GlobalDecl("semmni", "int", "entries in sema"),
    GlobalDecl("msgque", "struct msqid_ds *", "the message queues"),
    GlobalDecl("msgmni", "int", "entries in msgque"),
    # buffer cache
    GlobalDecl("bufpages", "int"),
    GlobalDecl("nbuf", "int", "buffer headers"),
    GlobalDecl("bfreelist", f"struct buf[{BQUEUES}]", "heads of the buffer free lists "
               "(BQ_LOCKED, BQ_LRU, BQ_AGE, BQ_EMPTY): rings through av_forw/av_back"),
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
    GlobalDecl("swdevt", f"struct swdevt[{NSWAPDEV}]"),
    GlobalDecl("nswapdev", "int"),
    GlobalDecl("fswdevt", f"struct fswdevt[{NSWAPFS}]"),
    GlobalDecl("nswapfs", "int"),
    GlobalDecl("swapspc_max", "int", "pages of swap that can be reserved"),
    GlobalDecl("swapspc_cnt", "int", "pages of swap not reserved"),
    GlobalDecl("swapmem_on", "int", "pseudo-swap (memory) is enabled"),
    GlobalDecl("swapmem_max", "int", "pages of memory usable as pseudo-swap"),
    GlobalDecl("swapmem_cnt", "int", "pages of pseudo-swap not reserved"),
    GlobalDecl("swapphys_cnt", "int", "pages of the swap devices not allocated"),
    # clock and scheduler
    GlobalDecl("lbolt", "int", "clock ticks since boot"),
    GlobalDecl("hardclock_late", "int", "clock ticks handled late"),
    GlobalDecl("real_run", "double[3]", "load averages of running threads only"),
    GlobalDecl("pwrun", "double[3]", "load averages of threads in short (\"fast\") io waits"),
    GlobalDecl("mp_avenrun", "double[3]", "per-processor load averages: one double[3] per "
               "processor, as many as the symbol's size holds"),
    GlobalDecl("syswait", "struct syswait", "per-processor wait counts: one struct per "
               "processor, as many as the symbol's size holds"),
    GlobalDecl("candidate_idle_spu", "int", "processor the scheduler would idle next"),
    GlobalDecl("migration_cycles", "int", "interval timer cycles between thread migrations"),
    GlobalDecl("kthread", "struct kthread *", "the thread table (11.00)"),
    GlobalDecl("nkthread", "int", "entries in the thread table"),
    GlobalDecl("kthread_list", "struct kthread *", "first thread, linked by kt_global_kthread "
               "(11i)"),
    GlobalDecl("proc_list", "struct proc *", "first process, linked by p_factp (11i)"),
    GlobalDecl("sleepq", f"struct sleepq[{NSLEEPQ}]", "sleep queue heads: a sleeping thread is "
               "on the queue its wait channel hashes to (SLEEPQ_HASH), linked by kt_link"),
    GlobalDecl("memory_sleepers", "int", "threads waiting for memory sleep on its address"),
    # file systems
    GlobalDecl("rootvfs", "struct vfs *", "the root file system, first of the mounted ones"),
    GlobalDecl("vfssw", "struct vfssw *", "the file system switch, one entry per type"),
    GlobalDecl("nvfssw", "int", "entries in vfssw"),
    # machine checks and boot
    GlobalDecl("lpmc_log", "struct lpmc_entry *", "logged low-priority machine checks"),
    GlobalDecl("lpmc_log_count", "int", "entries in lpmc_log"),
    GlobalDecl("boot_string", "char[128]", "the boot command the loader ran"),
    GlobalDecl("krs_kernel_file", "char[128]", "the kernel registry file of the kernel"),
    GlobalDecl("krs_system_file", "char[128]", "the system kernel registry file"),
    GlobalDecl("vmtotal_pwrun", "int", "disk wait jobs vmtotal() last counted"),
    GlobalDecl("vmtotal_lbolt", "int", "lbolt when vmtotal() last ran"),
    # error counters (crashinfo's Global Error Counters), I/O virtual address space
    GlobalDecl("scsi_bioerrors", "int", "SCSI I/O errors"),
    GlobalDecl("scsi_bioerrors_logged", "int", "SCSI I/O errors logged"),
    GlobalDecl("scsi_async_write_bioerrors", "int", "SCSI asynchronous write errors"),
    GlobalDecl("scsi_async_write_bioerrors_logged", "int",
               "SCSI asynchronous write errors logged"),
    GlobalDecl("sd_strategy_bioerrors", "int", "errors sd_strategy() returned"),
    GlobalDecl("sd_strategy_async_write_bioerrors", "int",
               "asynchronous write errors sd_strategy() returned"),
    GlobalDecl("sd_epowerf_bioerrors", "int", "errors after a power failure"),
    GlobalDecl("sd_epowerf_async_write_bioerrors", "int",
               "asynchronous write errors after a power failure"),
    GlobalDecl("kmem_writes", "int", "writes to kernel memory through /dev/kmem"),
    GlobalDecl("iova_total_pages", "int", "pages of I/O virtual address space"),
    GlobalDecl("iova_free_pages", "int", "free pages of I/O virtual address space"),
    GlobalDecl("lan_ift_list", "struct lan_ift *", "the LAN interfaces, linked by ift_next"),
    GlobalDecl("eirr_switch", "struct eirr_switch[64]", "the external interrupt table: handler "
               "and SPL of each EIRR bit (32 used on a narrow kernel)"),
    GlobalDecl("spinlock_timeout_lock", "lock_t *", "the spinlock whose wait timed out, set "
               "before the \"Spinlock deadlock\" panic"),
]

KERNEL_GLOBALS: dict[str, GlobalDecl] = {d.name: d for d in _DECLS}
