"""Interprocess communication the thread tables name wait channels by: System V semaphore sets
and message queues, STREAMS heads, sockets and FIFO vnodes, and terminals.

A thread in semop() sleeps on a semaphore of a set (crashinfo: `sema[28][18]+0x4`), one in
msgrcv() inside a message queue (`msgque[0]+0x5c`); readers of streams, sockets and FIFOs sleep
on the stream head, the socket or the FIFO's vnode (`STREAM 0x6fbe7100`, `SOCKET 0x8006ea00`,
`FIFO 0x9335d240`); a reader of a terminal on the terminal's raw input queue, the first member
of its `struct tty` (`DEVICE 0x00000000`, the terminal's device number). Reconstructions
(docs/layouts.md): the members are SVR4's and 4.3BSD's (4.4BSD's for the tty) public ones in
their order; HP-UX's additions are not known.
"""

from __future__ import annotations

from q4py.layouts.base import TypeRegistry

# enum vtype of HP-UX (reconstruction): VNON VREG VDIR VBLK VCHR VLNK VSOCK VBAD VFIFO.
VFIFO = 8
SOCK_STREAM = 1  # so_type of a stream (TCP) socket
TS_ISOPEN = 0x00020  # t_state: the terminal is open (4.4BSD's value; reconstruction)


def define(reg: TypeRegistry) -> None:
    reg.define(
        "struct ipc_perm",
        [
            ("uid", "uid_t"),
            ("gid", "uid_t"),
            ("cuid", "uid_t"),
            ("cgid", "uid_t"),
            ("mode", "unsigned short"),
            ("seq", "unsigned short"),
            ("key", "int"),
            ("ndx", "unsigned short"),  # the entry's index in its table
            ("wait", "unsigned short"),
        ],
        reconstruction=True,
        doc="owner, creator and access modes of a System V IPC object",
    )
    reg.define(
        "struct sem",
        [
            ("semval", "unsigned short"),
            ("sempid", "short"),
            ("semncnt", "unsigned short"),  # threads waiting for semval to grow sleep here
            ("semzcnt", "unsigned short"),
        ],
        reconstruction=True,
        doc="one System V semaphore of a set",
    )
    reg.define(
        "struct semid_ds",
        [
            ("sem_perm", "struct ipc_perm"),
            ("sem_base", "struct sem *"),  # the set's first semaphore
            ("sem_nsems", "unsigned short"),
            ("sem_otime", "time_t"),
            ("sem_ctime", "time_t"),
        ],
        reconstruction=True,
        doc="a System V semaphore set; `sema` points at `semmni` of them",
    )
    reg.define(
        "struct msqid_ds",
        [
            ("msg_perm", "struct ipc_perm"),
            ("msg_first", "void *"),
            ("msg_last", "void *"),
            ("msg_cbytes", "unsigned short"),
            ("msg_qnum", "unsigned short"),
            ("msg_qbytes", "unsigned short"),
            ("msg_lspid", "pid_t"),
            ("msg_lrpid", "pid_t"),
            ("msg_stime", "time_t"),
            ("msg_rtime", "time_t"),
            ("msg_ctime", "time_t"),
            ("msg_private", "long[2]"),  # kernel-private members q4py does not model
        ],
        reconstruction=True,
        doc="a System V message queue; `msgque` points at `msgmni` of them",
    )
    reg.define(
        "struct queue",
        [
            ("q_qinfo", "void *"),
            ("q_first", "void *"),
            ("q_last", "void *"),
            ("q_next", "struct queue *"),
            ("q_link", "struct queue *"),
            ("q_ptr", "void *"),  # the module's data: a stream head's queues point at it
            ("q_count", "unsigned long"),
            ("q_flag", "unsigned int"),
            ("q_minpsz", "long"),
            ("q_maxpsz", "long"),
            ("q_hiwat", "unsigned long"),
            ("q_lowat", "unsigned long"),
        ],
        reconstruction=True,
        aliases=("queue_t",),
        doc="a STREAMS queue",
    )
    reg.define(
        "struct sth_s",
        [
            ("sth_rq", "struct queue *"),  # its read queue, whose q_ptr is the head
            ("sth_wq", "struct queue *"),
            ("sth_flags", "unsigned int"),
            ("sth_dev", "dev_t"),
        ],
        reconstruction=True,
        doc="a stream head",
    )
    reg.define(
        "struct inpcb",
        [
            ("inp_next", "struct inpcb *"),
            ("inp_prev", "struct inpcb *"),
            ("inp_head", "struct inpcb *"),
            ("inp_faddr", "unsigned int"),
            ("inp_fport", "unsigned short"),
            ("inp_laddr", "unsigned int"),
            ("inp_lport", "unsigned short"),
            ("inp_socket", "struct socket *"),  # back to its socket
        ],
        reconstruction=True,
        doc="an internet protocol control block",
    )
    reg.define(
        "struct socket",
        [
            ("so_type", "short"),
            ("so_options", "short"),
            ("so_linger", "short"),
            ("so_state", "short"),
            ("so_pcb", "caddr_t"),  # its protocol control block
            ("so_proto", "void *"),
        ],
        reconstruction=True,
        doc="a socket",
    )
    reg.define(
        "struct clist",
        [("c_cc", "int"), ("c_cf", "char *"), ("c_cl", "char *")],
        reconstruction=True,
        doc="a character queue",
    )
    reg.define(
        "struct tty",
        [
            ("t_rawq", "struct clist"),  # what ttread() sleeps on: the tty's own address
            ("t_canq", "struct clist"),
            ("t_outq", "struct clist"),
            ("t_dev", "dev_t"),
            ("t_state", "int"),
        ],
        reconstruction=True,
        doc="a terminal",
    )
    reg.define(
        "struct vnode",
        [
            ("v_flag", "unsigned short"),
            ("v_shlockc", "unsigned short"),
            ("v_exlockc", "unsigned short"),
            ("v_tcount", "unsigned short"),
            ("v_count", "int"),
            ("v_vfsmountedhere", "struct vfs *"),
            ("v_op", "void *"),
            ("v_socket", "void *"),
            ("v_vfsp", "struct vfs *"),
            ("v_type", "int"),  # enum vtype: VFIFO for a FIFO
            ("v_rdev", "dev_t"),
            ("v_data", "caddr_t"),
        ],
        reconstruction=True,
        aliases=("vnode_t",),
        doc="a file's vnode (a FIFO's fifonode begins with it)",
    )
