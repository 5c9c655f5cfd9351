"""A kernel stack for each thread group that states none (q4py's design).

A switched-out thread's stack is read from the dump like any other (its PCB, its frames); a
scenario states it with `calls` or `contexts`. A group that gives neither still gets one, laid
from what the group does state, so that every thread of every dump unwinds:

- the switch: `_swtch+0xc4`, which saved the context (11.00's 32-bit kernels save their caller's
  context instead: p4's trace of a sleeping thread there begins in `_sleep`);
- what the state says it was doing: a sleeper's sleep primitive (`_sleep`, or
  `_mp_b_sema_sleep` on one of the scenario's `beta_semas`) and its `caller`; a stopped thread's
  `stop` and `issig`; a zombie's `exit`, from the exit system call `rexit`; an idle thread
  (being created) the context `newproc` gave it. A runnable thread was woken and has not run
  since, so it is where it slept; one with nothing to say so (no caller, no system call, not
  swapper's) was preempted instead: `preempt`.
- how it entered the kernel: its `syscall` (that function, then `syscall` and `syscallinit`);
  without one, a kernel daemon's thread from `main`, `$vstart` and `$locore` (pid 0's; or one
  with no user-mode time, `user_ticks = 0`, of a process with no user memory and no parent,
  `virtual = 0` and `ppid = 0`, that sleeps or states its caller); any other thread by a trap
  from user mode, which ends its stack at the USER boundary: a page fault (`vfault`, `trap`,
  `thandler`, trap 15) under a sleeper, an external interrupt (`ihandler`, trap 4) under a
  preempted or stopped thread.

Each function is called from the site the scenario's own stacks (events, thread groups) call it
from, the most common one; else from the release's site in HP's reports (`SITES`), else at
+0x44 (where the forge returns into a function it places).
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable
from typing import Any

from q4py.forge.context import ForgeContext
from q4py.forge.system import uses_lists
from q4py.layouts.sched import KI_CALLS

# Call sites by release: (11i, wide) -> function -> offset. From the reports: 11.00 32-bit
# (nfs-swap, kalloc-sysmap), 11.00 64-bit (soaccept, dpf-atq, dpf-scsi-dequeue), 11.11
# (spinlock-process-lock, lock-contention); a function no report shows gets a plausible offset.
_COMMON = {"_swtch": 0xC4, "_sleep": 0x1A8, "_mp_b_sema_sleep": 0x108, "$vstart": 0x48,
           "$locore": 0x94, "preempt": 0x1C8, "stop": 0x14C, "issig": 0x1E8, "exit": 0x7D8,
           "rexit": 0x2C, "newproc": 0x2CC, "fork": 0x8C}
SITES: dict[tuple[bool, bool], dict[str, int]] = {
    (False, False): {**_COMMON, "_sleep": 0x4A8, "syscall": 0x1C8, "syscallinit": 0x5B0,
                     "main": 0x7B0, "vfault": 0xF4, "trap": 0x31C, "thandler": 0xBDC,
                     "ihandler": 0x8C4},
    (False, True): {**_COMMON, "syscall": 0x28C, "syscallinit": 0x54C, "main": 0x7B0,
                    "vfault": 0xF4, "trap": 0xDB8, "thandler": 0xD20, "ihandler": 0x928},
    (True, True): {**_COMMON, "syscall": 0x2A4, "syscallinit": 0x554, "main": 0x28,
                   "vfault": 0xF4, "trap": 0xDB8, "thandler": 0xD20, "ihandler": 0x90C},
}
SITES[(True, False)] = SITES[(True, True)]
PLACED_RETURN = 0x44  # where a placed function returns from its call (_Symbols.caller_pc)
FAULT_TRAP, INTERRUPT_TRAP = 15, 4
# Where the trap found the user: a text offset at privilege 3, and its stack.
USER_PCOQ, USER_SP = 0x00012F4B, 0x7F7E0A80
_NAME = re.compile(r"^[A-Za-z_$][\w$]*$", re.ASCII)


def with_default_stacks(ctx: ForgeContext,
                        groups: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The groups, each one that states no stack given its default `contexts` (running
    threads' stacks are their processors' events: they get none)."""
    sites = dict(SITES[(uses_lists(ctx.sc["system"]["release"]), ctx.wide)])
    sites.update(_stated_sites(ctx, groups))
    chains = _Chains(ctx, sites)
    return [dict(group, contexts=chains.contexts(group))
            if not group["calls"] and not group["contexts"] and group["state"] != "running"
            else group for group in groups]


def _stated_sites(ctx: ForgeContext, groups: list[dict[str, Any]]) -> dict[str, int]:
    """Each function's most common call site in the stacks the scenario states."""
    seen: Counter[tuple[str, int]] = Counter()
    for calls in _stated_calls(ctx, groups):
        for call in calls:
            name, plus, offset = call.partition("+")
            seen[(name, int(offset, 16) if plus else 0)] += 1
    best: dict[str, int] = {}
    for (name, offset), _ in seen.most_common():
        best.setdefault(name, offset)
    return best


def _stated_calls(ctx: ForgeContext, groups: list[dict[str, Any]]) -> Iterable[list[str]]:
    for event in ctx.sc["events"]:
        for context in event["contexts"]:
            yield context["calls"]
    for group in groups:
        yield group["calls"]
        for context in group["contexts"]:
            yield context["calls"]


class _Chains:
    def __init__(self, ctx: ForgeContext, sites: dict[str, int]) -> None:
        self.ctx = ctx
        self.sites = sites
        self.narrow_1100 = not ctx.wide and not uses_lists(ctx.sc["system"]["release"])
        self.beta_semas = {s["name"] for s in ctx.sc["beta_semas"] if s["name"]} | \
            {f"{s['address']:#x}" for s in ctx.sc["beta_semas"] if s["address"] >= 0}
        # Processes with no user memory and no parent: kernel daemons, when their threads
        # have no user-mode time either.
        self.kernel = {p["pid"] for p in ctx.sc["processes"]
                       if p["virtual"] == 0 and p["ppid"] == 0} | \
            {g["first_pid"] + i * g["pid_step"] for g in ctx.sc["process_groups"]
             if g["virtual"] == 0 and g["ppid"] == 0 for i in range(g["count"])}

    def site(self, name: str) -> str:
        """`name+0xOFF`: the scenario's or the release's site, within the function."""
        fn = self.ctx.functions.get(name)
        offset = self.sites.get(name, PLACED_RETURN)
        if fn is not None and offset >= fn.size:
            offset = min(PLACED_RETURN, fn.size - 4)
        return f"{name}+{offset:#x}"

    def caller(self, text: str) -> str:
        """The caller's call site: where kt_sleep_caller points (_Symbols.caller_pc)."""
        if "+" in text:
            return text
        fn = self.ctx.functions.get(text)
        return f"{text}+{min(PLACED_RETURN, fn.size - 4) if fn else PLACED_RETURN:#x}"

    def contexts(self, group: dict[str, Any]) -> list[dict[str, Any]]:
        state, caller = group["state"], group["caller"]
        syscall = group["syscall"] if _NAME.match(group["syscall"]) and \
            group["syscall"] not in KI_CALLS.values() else ""
        # A runnable thread that says nothing of a sleep was preempted: in user mode, unless
        # it is swapper's.
        daemon = not syscall and (group["pid"] == 0 or (
            group["pid"] in self.kernel and not group["user_ticks"]
            and (state != "run" or bool(caller))))
        switch = [] if self.narrow_1100 else [self.site("_swtch")]
        trap = FAULT_TRAP
        if state == "zombie":
            head, syscall = [*switch, self.site("exit")], "rexit"
        elif state == "stopped":
            head, trap = [*switch, self.site("stop"), self.site("issig")], INTERRUPT_TRAP
        elif state == "idle":
            head, syscall = [self.site("newproc")], syscall or ("" if daemon else "fork")
        elif state == "run" and not (caller or syscall or daemon):
            head, trap = [*switch, self.site("preempt")], INTERRUPT_TRAP
        else:  # asleep, or woken and not yet run: where it slept
            primitive = "_mp_b_sema_sleep" if group["wchan"] in self.beta_semas else "_sleep"
            head = [*switch, self.site(primitive)]
            if caller:
                function = caller.partition("+")[0]
                names = [call.partition("+")[0] for call in head]
                head = [*head[:names.index(function)], self.caller(caller)] \
                    if function in names else [*head, self.caller(caller)]
        calls, user = self._entry(head, syscall, daemon, trap)
        contexts = [_context(self._layable(calls, user), -1, None)]
        if user:
            contexts.append(_context([], trap, {"pcsq": -1, "pcoq": USER_PCOQ, "sp": USER_SP}))
        return contexts

    def _layable(self, calls: list[str], user: bool) -> list[str]:
        """The calls without those a scenario declares so that they cannot sit there: a
        function saving no RP (only the innermost may) or an interrupt handler (only the
        outermost, above a trap)."""
        last = len(calls) - 1
        kept = []
        for j, call in enumerate(calls):
            fn = self.ctx.functions.get(call.partition("+")[0])
            if fn is not None and (fn.interrupt and not (j == last and user)
                                   or not fn.save_rp and not fn.interrupt and j > 0):
                continue
            kept.append(call)
        return kept

    def _entry(self, head: list[str], syscall: str, daemon: bool,
               trap: int) -> tuple[list[str], bool]:
        """The head's calls with the way into the kernel below them, and whether the stack
        ends at the USER boundary (a trap from user mode)."""
        names = {call.partition("+")[0] for call in head}
        if syscall:
            entry = [] if syscall in names else [self.site(syscall)]
            return [*head, *entry, self.site("syscall"), self.site("syscallinit")], False
        if daemon:
            return [*head, self.site("main"), self.site("$vstart"), self.site("$locore")], False
        below = [self.site("vfault"), self.site("trap"), self.site("thandler")] \
            if trap == FAULT_TRAP else [self.site("ihandler")]
        handler = self.ctx.functions.get(below[-1].partition("+")[0])
        # A scenario that declares the handler as an ordinary function gets no trap below it.
        return [*head, *below], handler is None or handler.interrupt


def _context(calls: list[str], trap: int, user: dict[str, int] | None) -> dict[str, Any]:
    return {"calls": calls, "args": {}, "trap": trap, "user": user, "registers": {},
            "stack_space": -1, "stack_base": -1}
