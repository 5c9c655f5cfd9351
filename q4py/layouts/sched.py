"""Threads, scheduling and locks: `struct kthread`, `struct syswait`, `lock_t`.

All reconstructions. Public facts: HP-UX 11.00 keeps its threads in a table (`kthread`,
`nkthread`) like its processes; 11i links them in a list (`kthread_list` through
`kt_global_kthread`, HP-UX 11i release notes); crashinfo prints a thread's tid, state
(TSSLEEP, TSRUN, TSRUNPROC, TSZOMB), priority, processor, wait channel, sleep caller, system call
and scheduling policy (SCHED_NOAGE). The 11.11 `lock_t` members and their order are those a
public p4 dump of a spinlock shows (`sl_lock`, `sl_owner`, `sl_name_ptr`, `sl_flag`,
`sl_next_cpu`, `sl_arena_alloc_flag`, 0x20 bytes on a wide kernel). The 11.00 lock_t
(`struct lock_1100`, p4 shows its name pointer packed in a bit-field next to `sl_indirect`) is
a reconstruction: `sl_lock`, `sl_owner`, then one pointer-sized word holding `sl_indirect:1`
and `sl_name_ptr` in the remaining 31 or 63 bits (kernel data addresses have their top bit
clear, so the bit-field value is the name's address unshifted), then `sl_flag`, `sl_next_cpu`.
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

# kt_flag bits (reconstruction).
TSBOUND = 0x1  # bound to its processor (mpctl)
TSSYSTEM = 0x2  # a kernel daemon thread

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
    1: "exit", 3: "read", 4: "write", 5: "open", 6: "close", 7: "wait", 54: "ioctl",
    59: "execve", 93: "select", 113: "recvmsg", 114: "sendmsg", 269: "poll",
    302: "ksleep", 303: "kwakeup",
}
SYSCALL_NUMBERS = {name: number for number, name in SYSCALL_NAMES.items()}


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
            ("kt_spu", "int"),
            ("kt_spu_group", "int"),
            ("kt_schedpolicy", "int"),
            ("kt_syscall", "int"),
            ("kt_lastrun", "int"),                      # lbolt when it last ran
            ("kt_wchan", "caddr_t"),                    # what it sleeps on
            ("kt_sleep_caller", "caddr_t"),             # return address into the sleeper
            ("kt_uarea", "caddr_t"),                    # its u-area (uptr)
        ],
        reconstruction=True,
        aliases=("kthread_t",),
        doc="one thread; 11.00 keeps them in the table `kthread`, 11i in `kthread_list`",
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
    name_bits = 8 * reg.abi.pointer_size - 1
    reg.define(
        "struct lock_1100",
        [
            ("sl_lock", "uintptr_t"),
            ("sl_owner", "uintptr_t"),  # mpinfo_t of the processor that holds it
            ("sl_indirect", "unsigned long:1"),
            ("sl_name_ptr", f"unsigned long:{name_bits}"),  # the name's address, unshifted
            ("sl_flag", "uint16_t"),
            ("sl_next_cpu", "uint16_t"),
        ],
        reconstruction=True,
        doc="an 11.00 spinlock (lock_t of 11.00 kernels): the name pointer is a bit-field",
    )
