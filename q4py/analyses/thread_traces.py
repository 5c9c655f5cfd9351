"""A thread's stack as p4's `trace` family shows it, as data: the thread and its process (p4's
names for them, states, command line), its unwound kernel stack, and per frame the frame size
and the arguments its prologue stored.

A running thread's stack is its processor's crash event; a switched-out one's starts from its
PCB (q4py.unwind.unwind_thread). Nothing here raises for a garbled thread: an unreadable
process or stack is kept as a problem, so a listing of thousands of threads goes on.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from q4py.errors import Q4Error
from q4py.kernel.args import FrameArgs, segment_frame_arguments
from q4py.kernel.mpinfo import processors
from q4py.kernel.proclist import command_line, proc_identity, proc_label
from q4py.kernel.threads import Thread, thread_at
from q4py.layouts.proc import P_STATES
from q4py.layouts.sched import THREAD_STATES
from q4py.program import Program
from q4py.unwind import Segment, ThreadTrace, unwind_thread

FrameKey = tuple[int, int]  # (segment, frame) of a trace


@dataclass(frozen=True)
class ProcessView:
    address: int
    label: str  # `proc[99]` (11.00 table slot) or `proc_list{131}` (11i list position)
    pid: int
    command: str  # the short name
    cmdline: str
    state: str  # p_stat's name, `SINUSE`
    problem: str | None = None  # why the proc could not be read
    cmdline_problem: str | None = None  # why its command line could not (cmdline is "?")

    @property
    def in_table(self) -> bool:
        """An 11.00 process table entry (p4 prints the slot with the pid)."""
        return self.label.startswith("proc[")


@dataclass
class ThreadView:
    thread: Thread
    process: ProcessView
    trace: ThreadTrace
    sizes: dict[FrameKey, int] = field(default_factory=dict)  # frame size of each frame
    args: dict[FrameKey, FrameArgs] = field(default_factory=dict)

    @property
    def state(self) -> str:
        return THREAD_STATES.get(self.thread.stat, str(self.thread.stat))


def process_view(prog: Program, address: int) -> ProcessView:
    try:
        proc = prog.read_struct("struct proc", address)
        ident = proc_identity(prog, address)
    except Q4Error as err:
        return ProcessView(address, "proc?", -1, "", "", "?", f"cannot read its proc: {err}")
    try:  # 11.00 keeps it apart from the proc (pst_cmds): a garbled array costs only it
        cmdline, problem = command_line(prog, address), None
    except Q4Error as err:
        cmdline, problem = "?", f"cannot read its command line: {err}"
    return ProcessView(address, proc_label(prog, address), proc.p_pid, ident.command, cmdline,
                       P_STATES.get(proc.p_stat, str(proc.p_stat)), cmdline_problem=problem)


def thread_view(prog: Program, thread: Thread, *, with_args: bool = False) -> ThreadView:
    """The thread, its process and its stack (frame sizes; stored arguments on request)."""
    view = ThreadView(thread, process_view(prog, thread.proc), unwind_thread(prog, thread))
    view.sizes = frame_sizes(prog, view.trace.segments)
    if with_args:
        view.args = {(s, f): segment_frame_arguments(prog, segment, f)
                     for s, segment in enumerate(view.trace.segments)
                     for f in range(len(segment.frames))}
    return view


def frame_sizes(prog: Program, segments: list[Segment]) -> dict[FrameKey, int]:
    """Each frame's size, from its function's unwind descriptor (0 without one)."""
    sizes = {}
    for s, segment in enumerate(segments):
        for f, frame in enumerate(segment.frames):
            entry = prog.unwind_for(frame.pc)
            sizes[(s, f)] = entry.frame_size_bytes if entry is not None else 0
    return sizes


def processor_thread(prog: Program, cpu: int) -> Thread | None:
    """The thread processor `cpu` was running (its mpinfo's current thread), if any."""
    for processor in processors(prog):
        if processor.index == cpu and processor.current_thread:
            try:
                return thread_at(prog, processor.current_thread)
            except Q4Error:
                return None
    return None
