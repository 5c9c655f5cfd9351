"""Threads, scheduling and locks: `struct kthread`, `struct syswait`, `lock_t`.

All reconstructions. Public facts: p4 traces a sleeping thread from "PCB" in its u-area
(`Using PCB: p user_t 0x51e8.0x7fff0000`, `SR5=0x51e8`): the u-area and the kernel stack
sit in a space of the thread's own. Public facts besides: HP-UX 11.00 keeps its threads in a
table (`kthread`, `nkthread`) like its processes; 11i links them in a list (`kthread_list` through
`kt_global_kthread`, HP-UX 11i release notes); crashinfo prints a thread's tid, state
(TSSLEEP, TSRUN, TSRUNPROC, TSZOMB), priority, processor, wait channel, sleep caller, system call
and scheduling policy (SCHED_NOAGE). The 11.11 `lock_t` members and their order are those a
public p4 dump of a spinlock shows (`sl_lock`, `sl_owner`, `sl_name_ptr`, `sl_flag`,
`sl_next_cpu`, `sl_arena_alloc_flag`, 0x20 bytes on a wide kernel). The 11.00 lock_t
(`struct lock_1100`) has the members, types and offsets a public p4 `Lock_t` of a 64-bit 11.00
kernel shows: four u_ints (`sl_lock`, `sl_owner`, `sl_flag`, `sl_next_cpu`), then one u_int
holding `sl_indirect:1` and `sl_name_ptr:23` (the name's address unshifted), then
`u_int sl_pad[3]`; 0x20 bytes. `struct rw_lock` (sleeping reader/writer lock) has the members
a public p4 `p struct rw_lock` of a 64-bit 11.11 kernel shows, and their offsets.
"""

from __future__ import annotations

from q4py.layouts.base import TypeRegistry

# kt_stat (reconstruction of the values; the names are HP's).
TSUNUSED = 0
TSSLEEP = 1
TSRUN = 2
TSIDL = 3
TSZOMB = 4
TSSTOP = 5
TSRUNPROC = 6
THREAD_STATES = {TSSLEEP: "TSSLEEP", TSRUN: "TSRUN", TSIDL: "TSIDL", TSZOMB: "TSZOMB",
                 TSSTOP: "TSSTOP", TSRUNPROC: "TSRUNPROC"}
THREAD_STATE_CODES = {name: code for code, name in THREAD_STATES.items()}

# The u-area (`struct user`, its PCB first) and the kernel stack above it sit at one offset in
# every thread's own space (its SR5 while it runs in the kernel): public reports print
# `p user_t 0x51e8.0x7fff0000` (32-bit) and `p user_t 0x8619c00.0x400003ffffff0000` (64-bit).
UAREA_OFFSET_NARROW = 0x7FFF0000
UAREA_OFFSET_WIDE = 0x400003FFFFFF0000
# sizeof(struct user): the kernel stack begins right after it. 64-bit: a public 11.00 report's
# outermost frame (syscallinit, 0x4d0 bytes, SP 0x400003ffffff0c70) starts at +0x7a0. 32-bit:
# q4py's choice (reconstruction).
USER_SIZE_WIDE = 0x7A0
USER_SIZE_NARROW = 0x4A0
PCB_CALLEE_SAVED = 16  # gr3..gr18, saved by the switch
# sizeof(struct kthread), q4py's: room beyond the members modelled, so that the 11.00 table's
# entries keep their addresses as members are added (reconstruction).
KTHREAD_SIZE_NARROW = 0x80
KTHREAD_SIZE_WIDE = 0xC0

# Sleep queues: NSLEEPQ heads; a wait channel's queue is SLEEPQ_HASH (reconstruction).
NSLEEPQ = 256
B_SEMA_MAGIC = 0x6273656D  # "bsem": q4py's mark of a beta semaphore (reconstruction)
# A beta semaphore's waiter sleeps with kt_wchan 0 (p4's pview of one prints kt_wchan 0) and the
# semaphore in kt_sema. Its sleep priority word (kt_sleep_pri) is kt_pri with this bit over it:
# crashinfo's Beta Semaphore table prints that word, 646 = 0x200 | 134, 639 = 0x200 | 127,
# 571 = 0x200 | 59 for waiters whose kt_pri the same dumps show as 134, 127 and 59. The bit's
# name is not known (reconstruction).
BSEMA_SLEEP_PRI = 0x200


def sleepq_index(wchan: int) -> int:
    """Which sleep queue a wait channel hashes to."""
    return (wchan >> 3) % NSLEEPQ


# kt_flag bits (reconstruction).
TSBOUND = 0x1  # bound to its processor (mpctl)
TSSYSTEM = 0x2  # a kernel daemon thread
TSDEACT = 0x4  # deactivated by the memory scheduler
TSDEACTSELF = 0x8  # deactivated itself (it was running when its process was chosen)

# kt_schedpolicy: HP-UX <sched.h> policy numbers.
SCHED_FIFO = 0
SCHED_RR = 1
SCHED_HPUX = 2
SCHED_RTPRIO = 6
SCHED_NOAGE = 8
SCHED_POLICIES = {"fifo": SCHED_FIFO, "rr": SCHED_RR, "hpux": SCHED_HPUX,
                  "rtprio": SCHED_RTPRIO, "noage": SCHED_NOAGE}

# System call numbers crashinfo names in its thread tables (HP-UX <sys/scall_define.h>
# numbering as far as it is known; others print as `syscall N`).
SYSCALL_NAMES: dict[int, str] = {
    1: "exit", 2: "fork", 3: "read", 4: "write", 5: "open", 6: "close", 7: "wait", 54: "ioctl",
    59: "execve", 93: "select", 113: "recvmsg", 114: "sendmsg", 269: "poll",
    302: "ksleep", 303: "kwakeup",
    # q4py's numbers: the reports name these calls, not their numbers.
    18: "stat", 35: "accept", 209: "shmat", 210: "shmget", 239: "pstat",
    29: "pause", 158: "nfssvc", 163: "async_daemon", 187: "sigsuspend", 200: "waitpid",
    252: "semop", 253: "msgrcv", 338: "sigtimedwait", 339: "tsync",
    # crashinfo's name for the POSIX scheduling calls (sched_yield, sched_setparam ...), as
    # hpux1100-64-hang-soaccept-p4's run queue shows it for lpmc_em; q4py's number.
    336: "sched*",
    # q4py's number: the call of the threads that sleep in _lwp_cond_wait_sys() (soaccept's
    # JVM threads; no report shows its name).
    424: "lwp_cond_wait",
    # q4py's numbers too, for the calls hpux1111-64-hang-vhand-superpages names; SEOS_* are a
    # security product's (eTrust's) calls, two of them in place of fork and execve.
    401: "recv", 403: "shmdt", 405: "nanosleep", 408: "waitid", 411: "sigwait", 413: "lwp_wait",
    414: "lwp_detached_exit", 415: "getmsg", 416: "getsockname", 419: "ki_call",
    420: "SEOS_syscall", 421: "SEOS_fork", 422: "SEOS_execve",
}
# Kernel daemons run outside any system call; KI, the kernel instrumentation, gave each a
# pseudo call number of its own, which p4's thread views print and crashinfo shows as `n/a`
# (numbers q4py's).
KI_CALLS: dict[int, str] = {1001: "KI_vHAND", 1002: "KI_SWAPPER", 1003: "KI_STATDAEMON",
                            1004: "KI_TRAP"}
# A thread that entered the kernel by a trap (a page fault) rather than a system call: crashinfo
# prints `trap*` (hpux1111-64-hang-vhand-superpages: threads waiting for memory in a fault).
KI_TRAP = 1004
TRAP_CALL_NAME = "trap*"
SYSCALL_NUMBERS = {name: number for number, name in {**SYSCALL_NAMES, **KI_CALLS}.items()}
LOCK_1100_NAME_BITS = 23  # width of the 11.00 lock_t's name pointer bit-field


def define(reg: TypeRegistry) -> None:
    reg.define(
        "struct kthread",
        [
            ("kt_link", "struct kthread *"),            # run queue or sleep queue link
            ("kt_global_kthread", "struct kthread *"),  # next in kthread_list (11i)
            ("kt_procp", "struct proc *"),
            ("kt_tid", "int"),
            ("kt_stat", "int"),
            ("kt_flag", "unsigned int"),
            ("kt_pri", "int"),
            ("kt_sleep_pri", "int"),                    # priority word of its last sleep
            ("kt_spu", "int"),
            ("kt_spu_group", "int"),
            ("kt_schedpolicy", "int"),
            ("kt_syscall", "int"),
            ("kt_lastrun", "int"),                      # lbolt when it last ran
            ("kt_wchan", "caddr_t"),                    # what it sleeps on
            ("kt_sema", "struct b_sema *"),             # the beta semaphore it waits for
            ("kt_sleep_caller", "caddr_t"),             # return address into the sleeper
            ("kt_uarea", "caddr_t"),                    # its u-area (uptr), in its space
            ("kt_uarea_space", "space_t"),              # space of its u-area and kernel stack
            # Processor time, as crashinfo's run queue table prints it (`kt_cpu`, `recent`,
            # `user`, `sys`, `intr`, `kt_start`): the scheduler's usage figure, the ticks it ran
            # in the recent interval, the statclock ticks charged to it in user mode, in the
            # system and at interrupt level, and when it started (seconds since 1970).
            ("kt_cpu", "int"),
            ("kt_cpticks", "int"),
            ("kt_uticks", "unsigned int"),
            ("kt_sticks", "unsigned int"),
            ("kt_iticks", "unsigned int"),
            ("kt_start", "time_t"),
        ],
        reconstruction=True,
        aliases=("kthread_t",),
        size=KTHREAD_SIZE_WIDE if reg.abi.wide else KTHREAD_SIZE_NARROW,
        doc="one thread; 11.00 keeps them in the table `kthread`, 11i in `kthread_list`",
    )
    wide = reg.abi.wide
    reg.define(
        "struct pcb",
        [
            ("pcb_flags", "unsigned long"),
            ("pcb_sp", "unsigned long"),   # its SP when it switched out
            ("pcb_pc", "unsigned long"),   # where it resumes (in the switch routine)
            ("pcb_rp", "unsigned long"),   # RP at the switch (0: the routine saved it)
            ("pcb_gr", f"unsigned long[{PCB_CALLEE_SAVED}]"),  # callee-saved gr3..gr18
        ],
        reconstruction=True,
        doc="the context a thread saved when it switched out (its process control block)",
    )
    reg.define(
        "struct user",
        [
            ("u_pcb", "struct pcb"),
            ("u_procp", "struct proc *"),
            ("u_kthreadp", "struct kthread *"),
        ],
        reconstruction=True,
        aliases=("user_t",),
        size=USER_SIZE_WIDE if wide else USER_SIZE_NARROW,
        doc="a thread's u-area, at kt_uarea in space kt_uarea_space; its kernel stack follows",
    )
    reg.define(
        "struct sleepq",
        [("sq_first", "struct kthread *")],
        reconstruction=True,
        doc="a sleep queue head: its threads are linked through kt_link",
    )
    reg.define(
        "struct syswait",
        [("iowait", "int"), ("physio", "int"), ("swap", "int")],
        reconstruction=True,
        doc="per-processor counts of threads waiting; the global `syswait` has one per cpu",
    )
    reg.define(
        "struct lock",
        [
            ("sl_lock", "uintptr_t"),
            ("sl_owner", "uintptr_t"),  # mpinfo_t of the processor that holds it
            ("sl_name_ptr", "char *"),
            ("sl_flag", "uint16_t"),
            ("sl_next_cpu", "uint16_t"),
            ("sl_arena_alloc_flag", "uint32_t"),
        ],
        reconstruction=True,
        aliases=("lock_t",),
        doc="an 11i spinlock",
    )
    reg.define(
        "struct lock_1100",
        [
            ("sl_lock", "u_int"),
            ("sl_owner", "u_int"),  # mpinfo_t of the processor that holds it
            ("sl_flag", "u_int"),
            ("sl_next_cpu", "u_int"),
            ("sl_indirect", "u_int:1"),
            ("sl_name_ptr", f"u_int:{LOCK_1100_NAME_BITS}"),  # the name's address, unshifted
            ("sl_pad", "u_int[3]"),
        ],
        reconstruction=True,
        doc="an 11.00 spinlock (lock_t of 11.00 kernels): the name pointer is a bit-field",
    )
    reg.define(
        "struct rw_lock",
        [
            ("interlock", "lock_t *"),
            ("delay", "unsigned int"),
            ("write_waiters", "unsigned int"),
            ("read_count", "int"),
            ("want_write", "char"),
            ("want_upgrade", "char"),
            ("waiting", "char"),
            ("rwl_flags", "char"),
            ("l_kthread", "struct kthread *"),  # the thread holding it for writing
        ],
        reconstruction=True,
        aliases=("rw_lock_t",),
        doc="a sleeping reader/writer lock (lock_read, lock_write)",
    )
    reg.define(
        "struct b_sema",
        [
            ("b_magic", "unsigned int"),  # B_SEMA_MAGIC: what tells a beta semaphore apart
            ("b_count", "int"),  # 1 free, 0 held
            ("b_owner", "struct kthread *"),  # the thread holding it; NULL for none
        ],
        reconstruction=True,
        aliases=("b_sema_t",),
        doc="a beta semaphore (b_psema, b_vsema): its waiters sleep on its address",
    )
    reg.define(
        "struct eirr_switch",
        [
            ("eirr_handler", "unsigned long"),  # the function an EIRR bit's interrupt runs
            ("eirr_spl", "unsigned long"),  # the EIEM (SPL) it runs at
        ],
        reconstruction=True,
        doc="one external interrupt (EIRR bit) of the kernel's interrupt table",
    )

