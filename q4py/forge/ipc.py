"""The objects thread groups sleep in by name: System V semaphore sets (`sema[N][M]+OFF`) and
message queues (`msgque[N]+OFF`), stream heads (`stream:0xADDR`), sockets (`socket:0xADDR`) and
FIFO vnodes (`fifo:0xADDR`), terminals (`tty:DEV`: an open `struct tty` of device DEV, in kernel
memory). The scenario states where a thread sleeps; the forge builds what
is there: the tables `sema` and `msgque` as large as the highest entry named, each set with
as many semaphores as the highest named, a stream head with its read queue pointing back at it,
a socket with its protocol control block pointing back at it, a vnode of type VFIFO.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from q4py.errors import ScenarioError
from q4py.forge.context import ForgeContext
from q4py.layouts.ipc import SOCK_STREAM, TS_ISOPEN, VFIFO

SEMA_WCHAN = re.compile(r"^sema\[(?P<set>\d+)\]\[(?P<sem>\d+)\](\+(?P<off>0x[0-9a-fA-F]+|\d+))?$",
                        re.ASCII)
MSGQUE_WCHAN = re.compile(r"^msgque\[(?P<slot>\d+)\](\+(?P<off>0x[0-9a-fA-F]+|\d+))?$",
                          re.ASCII)
OBJECT_WCHAN = re.compile(r"^(?P<kind>stream|socket|fifo):(?P<address>0x[0-9a-fA-F]+)$",
                          re.ASCII)
TTY_WCHAN = re.compile(r"^tty:(?P<dev>0x[0-9a-fA-F]+|\d+)$", re.ASCII)
FORMS = ("`sema[N][M]+OFF`, `msgque[N]+OFF`, `stream:0xADDR`, `socket:0xADDR`, `fifo:0xADDR`, "
         "`tty:DEV`")


def is_ipc_wchan(text: str) -> bool:
    return bool(SEMA_WCHAN.match(text) or MSGQUE_WCHAN.match(text) or OBJECT_WCHAN.match(text)
                or TTY_WCHAN.match(text))


class IpcObjects:
    """Builds the tables for every wait channel the groups name, then gives their addresses."""

    def __init__(self, ctx: ForgeContext, wchans: Iterable[str]) -> None:
        self.ctx = ctx
        self.placed: dict[str, int] = {}  # stream/socket/fifo wait channel -> address
        nsems: dict[int, int] = {}
        queues = 0
        for text in wchans:
            if m := SEMA_WCHAN.match(text):
                nsems[int(m["set"])] = max(nsems.get(int(m["set"]), 0), int(m["sem"]) + 1)
            elif m := MSGQUE_WCHAN.match(text):
                queues = max(queues, int(m["slot"]) + 1)
        self.sem_bases: dict[int, int] = {}
        self.sem_size = ctx.types.get("struct sem").size
        if nsems:
            size = ctx.types.get("struct semid_ds").size
            count = max(nsems) + 1
            table = ctx.mem.alloc(size * count, 8)
            ctx.set_global("sema", table)
            ctx.set_global("semmni", count)
            for set_id, n in sorted(nsems.items()):
                base = ctx.mem.alloc(self.sem_size * n, 8)
                self.sem_bases[set_id] = base
                ctx.place("struct semid_ds", table + set_id * size,
                          {"sem_perm": {"ndx": set_id}, "sem_base": base, "sem_nsems": n},
                          f"sema[{set_id}]")
        self.msg_table = 0
        self.msg_size = ctx.types.get("struct msqid_ds").size
        if queues:
            self.msg_table = ctx.mem.alloc(self.msg_size * queues, 8)
            ctx.set_global("msgque", self.msg_table)
            ctx.set_global("msgmni", queues)

    def address(self, text: str, path: str) -> int:
        """The address of wait channel `text` (one of FORMS)."""
        if m := SEMA_WCHAN.match(text):
            off = int(m["off"] or "0", 0)
            return self.sem_bases[int(m["set"])] + int(m["sem"]) * self.sem_size + off
        if m := MSGQUE_WCHAN.match(text):
            off = int(m["off"] or "0", 0)
            if off >= self.msg_size:
                raise ScenarioError(path, f"offset {off:#x} is past the msqid_ds "
                                    f"({self.msg_size:#x} bytes)")
            return self.msg_table + int(m["slot"]) * self.msg_size + off
        if m := TTY_WCHAN.match(text):
            if text not in self.placed:  # one open terminal per device
                tty = self.ctx.mem.alloc(self.ctx.types.get("struct tty").size, 8)
                self.ctx.place("struct tty", tty, {"t_dev": int(m["dev"], 0),
                                                   "t_state": TS_ISOPEN}, path)
                self.placed[text] = tty
            return self.placed[text]
        m = OBJECT_WCHAN.match(text)
        assert m is not None
        if text not in self.placed:
            self.placed[text] = self._object(m["kind"], int(m["address"], 16), path)
        return self.placed[text]

    def _object(self, kind: str, address: int, path: str) -> int:
        ctx = self.ctx
        if kind == "stream":
            rq = ctx.mem.alloc(ctx.types.get("struct queue").size, 8)
            ctx.place("struct queue", rq, {"q_ptr": address}, path)
            ctx.place("struct sth_s", address, {"sth_rq": rq}, path)
        elif kind == "socket":
            pcb = ctx.mem.alloc(ctx.types.get("struct inpcb").size, 8)
            ctx.place("struct inpcb", pcb, {"inp_socket": address}, path)
            ctx.place("struct socket", address, {"so_type": SOCK_STREAM, "so_pcb": pcb}, path)
        else:
            ctx.place("struct vnode", address, {"v_type": VFIFO, "v_count": 1}, path)
        return address
