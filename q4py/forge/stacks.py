"""The crash: each event's contexts laid on their stacks, the save_states between them, the
registers in the event's rpb, and the crash event table.

An event's contexts run from the innermost (what the processor was doing when it stopped, the
first) out. A context is a chain of calls whose frames sit on a stack; each call saves its
caller's return address and may store its arguments in its caller's frame. A context after the
first was interrupted by a trap into the one before it: that one's outermost call is the
interrupt handler, and the registers of the interrupted context are in a save_state at the base
of the handler's stack.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from q4py.errors import ScenarioError
from q4py.forge.context import ForgeContext
from q4py.forge.kernel import KernelFunction, call_site, place_text
from q4py.forge.schema import Any_, Int, List, MapOf, Spec, Str, Table
from q4py.layouts.crash import EVENT_CODES, EVENT_STATE_CODES, NARROW_PIM_ARCHITECTURE
from q4py.layouts.save_state import (
    GR_NAMES,
    REGISTERS,
    SS_INTRAP,
    SS_WIDEREGS,
    TRAP_TYPE_FIELD,
)
from q4py.layouts.system import CPU_TYPE_CODES, CPU_TYPES
from q4py.unwind import arg_slot, rp_slot, space_register

_REGISTER_ALIASES = {"iir": "cr19", "isr": "cr20", "ior": "cr21", "ipsw": "cr22",
                     "eiem": "cr15", "sar": "cr11"}
# Registers only the rpb keeps (of the first context): scenario names -> rpb member.
_RPB_ONLY = ((("cr16", "itmr"), "rp_cr16"), (("cr23", "eirr"), "rp_cr23"))

Call = tuple[KernelFunction, int]  # a function and the pc in it
_U32 = 0xFFFFFFFF
_U64 = 0xFFFFFFFFFFFFFFFF
_CALL = re.compile(r"^[A-Za-z_$][\w$]*(\+0x[0-9a-fA-F]+)?$")


def call_problem(text: str) -> str | None:
    return None if _CALL.match(text) else f"'{text}' is not a call site like 'panic+0x14'"


def arg_problem(key: str) -> str | None:
    if re.fullmatch(r"arg[0-7]", key):
        return None
    return f"'{key}' is not an argument name arg0..arg7"


@dataclass
class _FrameArgs(Spec):
    """`{ arg0 = ... }` for every frame at a call site, or a list of such tables, one per frame
    at that site (innermost first): recursion puts one site in several frames."""

    table: MapOf = field(default_factory=lambda: MapOf("", value=Any_(""),
                                                       key_check=arg_problem))

    def validate(self, value: Any, path: str) -> Any:
        if isinstance(value, list):
            return [self.table.validate(v, f"{path}[{i}]") for i, v in enumerate(value)]
        return self.table.validate(value, path)


def call_args(doc: str) -> MapOf:
    """Argument values by call site, as `args` of a context or of a thread group."""
    return MapOf(doc, value=_FrameArgs(""))


CONTEXT = Table("One stack context of an event, innermost first.", keys={
    "calls": List("Call sites, innermost first, e.g. `panic+0x14`.",
                  item=Str("", check=call_problem)),
    "trap": Int("Trap type that interrupted this context (contexts after the first).",
                default=-1, minimum=-1),
    "user": Table("The context was in user mode: where it was.", default=None, keys={
        "pcsq": Int("Space of the user pc; -1: the space of the kernel stack it trapped onto "
                    "(a thread's own space, an event's `space`).", default=-1, minimum=-1,
                    maximum=_U64),
        "pcoq": Int("Offset of the user pc, privilege bits included.", required=True,
                    minimum=0, maximum=_U64),
        "sp": Int("User stack pointer.", default=0, minimum=0, maximum=_U64),
    }),
    "registers": MapOf("Other registers saved in this context's save_state "
                       "(save_state names: `gr25`, `ret0`, `cr19` ... or `iir`, `isr`, `ior`); "
                       "the first context's go to the rpb, which also keeps `cr16` (`itmr`, "
                       "the interval timer) and `cr23` (`eirr`).",
                       value=Int("", minimum=0, maximum=_U64)),
    "stack_space": Int("This context ran on a stack of its own (an interrupt stack): its "
                       "space; -1 continues on the stack of the context it interrupted.",
                       default=-1, minimum=-1, maximum=_U32),
    "stack_base": Int("Where that stack begins: the save_state of the interrupted context "
                      "sits there; -1 as for `stack_space`.", default=-1, minimum=-1),
    "args": call_args("Argument values a call stored in its caller's frame, by call site: "
                      "`\"f+0x1c\" = { arg0 = 0x4076da18 }` for every frame at that site, or a "
                      "list of such tables, one per frame at it (innermost first); "
                      "`\"save_state\"` stands for the address of the save_state this "
                      "context's handler built, `\"trap\"` for its trap type."),
})



def build_events(ctx: ForgeContext) -> None:
    events = ctx.sc["events"]
    table = ctx.types.get("crash_event_t")
    table_address = ctx.place_global("crash_event_table")
    count = ctx.symbols["crash_event_table"][1] // table.size
    if len(events) > count:
        raise ScenarioError("events", f"at most {count} crash events")
    processors = ctx.sc["processors"]
    for i, event in enumerate(events):
        path = f"events[{i}]"
        if event["cpu"] >= len(processors):
            raise ScenarioError(f"{path}.cpu", f"no processor {event['cpu']}")
        event, rpb_only = _split_rpb_registers(event)
        try:
            regs = build_stack(ctx, event, path)
        except ScenarioError as err:
            if err.key_path:
                raise
            # Memory's own complaint names no key: the stack is what went out of it.
            where = ("space 0 is equivalently mapped, so the stack must lie in memory"
                     if event["space"] == 0 else f"the stack of space {event['space']:#x}")
            raise ScenarioError(f"{path}.stack_base", f"{err.problem}: {where}") from None
        ctx.place("rpb_t", event["rpb"], {"pim": _pim(processors[event["cpu"]], regs, path),
                                          "rp_hpa": processors[event["cpu"]]["hpa"],
                                          **rpb_only}, path)
        ctx.place("crash_event_t", table_address + i * table.size, {
            "cet_hpa": processors[event["cpu"]]["hpa"],
            "cet_event": EVENT_CODES[event["kind"]], "cet_savestate": event["rpb"],
            "cet_cpu": event["cpu"], "cet_spinlock_depth": event["spinlock_depth"],
            "cet_flags": EVENT_STATE_CODES[event.get("state", "E")],
        }, path)


def _pim(processor: dict[str, Any], regs: dict[str, int], path: str) -> dict[str, Any]:
    """The rpb's PIM as the processor's firmware saves it: 32-bit registers (`pim.narrow`) on
    a PA-RISC 1.1 processor, 64-bit ones in halves (`pim.wide`) on a PA-RISC 2.0 one."""
    if CPU_TYPES[CPU_TYPE_CODES[processor["type"]]][1] != NARROW_PIM_ARCHITECTURE:
        return {"wide": {k: v for reg, value in regs.items()
                         for k, v in _rpb_pair(f"rp_{reg}", value)}}
    for reg, value in regs.items():
        if value > _U32:
            raise ScenarioError(f"{path}.contexts[0].registers",
                                f"{reg} = {value:#x}: a {processor['type']} processor's "
                                f"registers are 32 bits ({NARROW_PIM_ARCHITECTURE})")
    return {"narrow": {f"rp_{reg}": value for reg, value in regs.items()}}


def _split_rpb_registers(event: dict[str, Any]) -> tuple[dict[str, Any], dict[str, int]]:
    """The event without the registers only the rpb holds, and those as rpb members."""
    contexts = event["contexts"]
    if not contexts:
        return event, {}
    registers = dict(contexts[0]["registers"])
    extra: dict[str, int] = {}
    for names, member in _RPB_ONLY:
        for name in names:
            if name in registers:
                extra.update(_rpb_pair(member, registers.pop(name)))
    first = dict(contexts[0], registers=registers)
    return dict(event, contexts=[first, *contexts[1:]]), extra


def _rpb_pair(member: str, value: int) -> tuple[tuple[str, int], tuple[str, int]]:
    """The rpb keeps each 64-bit register as two 32-bit members."""
    return (f"{member}_hi", (value >> 32) & 0xFFFFFFFF), (f"{member}_lo", value & 0xFFFFFFFF)


def build_stack(ctx: ForgeContext, event: dict[str, Any], path: str) -> dict[str, int]:
    """Lay the event's contexts on their stacks; return the registers for its rpb.

    Contexts are laid from the outermost one in. A context runs on top of the context it
    interrupted (its handler's save_state sits where that context's stack ended) unless it
    has a stack of its own (`stack_base`, an interrupt stack): then the save_state sits at
    that stack's base.
    """
    contexts = event["contexts"]
    if not contexts:
        raise ScenarioError(f"{path}.contexts", "needs at least one context")
    # Where the next context in goes by default, and the registers its save_state must hold.
    top, top_space = event["stack_base"], _stack_space(ctx, event["space"], event["stack_base"])
    pending: dict[str, int] | None = None
    for k in range(len(contexts) - 1, -1, -1):
        context = contexts[k]
        cpath = f"{path}.contexts[{k}]"
        if k > 0 and context["trap"] < 0:
            raise ScenarioError(f"{cpath}.trap", "a context after the first needs its trap")
        if context["user"] is not None:
            if k != len(contexts) - 1 or context["calls"]:
                raise ScenarioError(cpath, "a user context is the outermost and has no calls")
            user = context["user"]
            if user["pcsq"] < 0:  # a thread's own space is put in by sched before this
                user = dict(user, pcsq=event["space"])
            regs = {"pcoq_head": user["pcoq"], "pcoq_tail": user["pcoq"] + 4,
                    "pcsq_head": user["pcsq"], "pcsq_tail": user["pcsq"],
                    "sp": user["sp"], "sr4": user["pcsq"]}
            regs.update(_named_registers(context["registers"], cpath))
            if k == 0:
                return regs
            pending = regs
            continue
        calls = [call_site(ctx, c, f"{cpath}.calls[{j}]")
                 for j, c in enumerate(context["calls"])]
        if not calls:
            raise ScenarioError(f"{cpath}.calls", "a kernel context needs calls")
        base, stack_space = top, top_space
        if context["stack_base"] >= 0:
            base = context["stack_base"]
            own = context["stack_space"] if context["stack_space"] >= 0 else event["space"]
            stack_space = _stack_space(ctx, own, base)
        elif context["stack_space"] >= 0:
            raise ScenarioError(f"{cpath}.stack_space", "needs stack_base too")
        sps = _lay_frames(ctx, cpath, calls, base, stack_space)
        handled_trap = contexts[k + 1]["trap"] if pending is not None else None
        if pending is not None:
            # The handler at the bottom of this context handled the trap into the next one.
            handler = calls[-1][0]
            if not handler.interrupt:
                raise ScenarioError(f"{cpath}.calls", f"the outermost call {handler.name} is "
                                    "not an interrupt handler, so no trap can lead further")
            _write_save_state(ctx, base, pending, stack_space, contexts[k + 1]["trap"])
            pending = None
        elif calls[-1][0].interrupt:
            raise ScenarioError(f"{cpath}.calls", f"{calls[-1][0].name} handles a trap: "
                                "add the context it interrupted")
        _write_args(ctx, context, cpath, calls, sps, stack_space,
                    base if handled_trap is not None else None, handled_trap)
        regs = {"pcoq_head": calls[0][1], "pcoq_tail": calls[0][1] + 4, "sp": sps[0],
                f"sr{_quadrant(ctx, sps[0])}": stack_space,
                "rp": calls[1][1] if len(calls) > 1 else 0}
        regs.update(_named_registers(context["registers"], cpath))
        if k == 0:
            if event["kind"] == "PANIC":
                regs["rp"], regs["pcoq_head"], regs["pcoq_tail"] = calls[0][1], 0, 0
            return regs
        if "cr19" in regs:
            # The interrupted instruction is in text at the pc: it is what IIR holds.
            place_text(ctx, calls[0][1], regs["cr19"], f"{cpath}.registers.iir")
        pending = regs
        top, top_space = sps[0], stack_space
    raise AssertionError("unreachable")


def _lay_frames(ctx: ForgeContext, cpath: str, calls: list[Call], base: int,
                space: int) -> list[int]:
    """Stack the calls' frames up from `base`, each saving its return address; returns each
    call's stack pointer (innermost first)."""
    sps = [0] * len(calls)
    sp = base
    for j in range(len(calls) - 1, -1, -1):
        sp += calls[j][0].frame
        sps[j] = sp
    if _quadrant(ctx, sps[0]) != _quadrant(ctx, base):
        raise ScenarioError(cpath, "the stack crosses a space quadrant")
    ulong = 8 if ctx.wide else 4
    for j, (fn, _) in enumerate(calls):
        if fn.interrupt:
            if j != len(calls) - 1:
                raise ScenarioError(f"{cpath}.calls[{j}]", f"{fn.name} is an interrupt handler: "
                                    "it must be the outermost call of its context")
            continue
        return_pc = calls[j + 1][1] if j + 1 < len(calls) else 0  # 0: bottom of this stack
        if fn.save_rp:
            ctx.mem.write(rp_slot(sps[j] - fn.frame, ctx.wide),
                          return_pc.to_bytes(ulong, "big"), space)
        elif j != 0:
            raise ScenarioError(f"{cpath}.calls[{j}]", f"{fn.name} saves no RP, so it can only "
                                "be the innermost call of a context")
    return sps


def _write_args(ctx: ForgeContext, context: dict[str, Any], cpath: str, calls: list[Call],
                sps: list[int], space: int, save_state: int | None, trap: int | None) -> None:
    """Each call's stored arguments, in the home slots of its caller's frame: a site's table
    for every frame at it, or its list's tables one per frame."""
    texts = list(context["calls"])
    for site, given in context["args"].items():
        apath = f"{cpath}.args.{site}"
        frames = [j for j, text in enumerate(texts) if text == site]
        if not frames:
            raise ScenarioError(apath, "not one of this context's calls")
        if isinstance(given, list) and len(given) != len(frames):
            raise ScenarioError(apath, f"{len(given)} tables for the {len(frames)} frames at "
                                f"{site}: give one table for all, or one for each")
        for k, j in enumerate(frames):
            values = given[k] if isinstance(given, list) else given
            _write_frame_args(ctx, f"{apath}[{k}]" if isinstance(given, list) else apath,
                              calls, j, values, sps, space, save_state, trap)


def _write_frame_args(ctx: ForgeContext, apath: str, calls: list[Call], j: int,
                      values: dict[str, Any], sps: list[int], space: int,
                      save_state: int | None, trap: int | None) -> None:
    """Frame `j`'s argument values in the home slots of its caller's frame: those its
    prologue stores, or its caller's call site stores before the branch."""
    ulong = 8 if ctx.wide else 4
    fn = calls[j][0]
    stored = set(fn.stored_args)
    if j + 1 < len(calls):
        caller, return_pc = calls[j + 1]
        stored.update(caller.outgoing_args.get(return_pc - caller.address, ()))
    caller_sp = sps[j] - fn.frame
    for name, value in values.items():
        index = int(name[3:])
        if index not in stored:
            raise ScenarioError(f"{apath}.{name}", f"{fn.name} does not store arg{index}:"
                                f" add {index} to its stored_args (or its caller's "
                                "outgoing_args)")
        if value in ("save_state", "trap"):
            known = save_state if value == "save_state" else trap
            if known is None:
                raise ScenarioError(f"{apath}.{name}", "this context handled no trap")
            value = known
        elif isinstance(value, bool) or not isinstance(value, int):
            raise ScenarioError(f"{apath}.{name}", "expected an integer, \"save_state\" "
                                "or \"trap\"")
        ctx.mem.write(arg_slot(caller_sp, index, ctx.wide),
                      (value & ((1 << (8 * ulong)) - 1)).to_bytes(ulong, "big"), space)


def _named_registers(named: dict[str, int], path: str) -> dict[str, int]:
    """The scenario's register names (`gr25`, `iir`, ...) as save_state member names."""
    out = {}
    for name, value in named.items():
        reg = _REGISTER_ALIASES.get(name, name)
        if reg.startswith("gr") and reg[2:].isascii() and reg[2:].isdigit():
            reg = GR_NAMES.get(int(reg[2:]), reg)
        if reg not in REGISTERS:
            raise ScenarioError(f"{path}.registers.{name}", "not a save_state register")
        out[reg] = value
    return out


def _write_save_state(ctx: ForgeContext, address: int, regs: dict[str, int], space: int,
                      trap: int) -> None:
    # The trap type goes with the registers (HP's "trap marker"): see TRAP_TYPE_FIELD.
    if ctx.wide:
        fields = {"ss_flags": SS_INTRAP | SS_WIDEREGS, TRAP_TYPE_FIELD: trap,
                  "ss_wide": {f"ss_{r}": v for r, v in regs.items()}}
    else:
        fields = {"ss_flags": SS_INTRAP, TRAP_TYPE_FIELD: trap,
                  "ss_narrow": {f"ss_{r}": v & 0xFFFFFFFF for r, v in regs.items()}}
    ctx.place("struct save_state", address, fields, "save_state", space)


@dataclass(frozen=True)
class _Width:
    """What `space_register` needs of a program: its width."""

    wide: bool


def _quadrant(ctx: ForgeContext, address: int) -> int:
    """The space register (4..7) a short pointer selects."""
    return space_register(_Width(ctx.wide), address)


def _stack_space(ctx: ForgeContext, space: int, base: int) -> int:
    """A kernel stack in quadrant 0 is in space 0 (SR4 = 0 in the kernel)."""
    return space if _quadrant(ctx, base) != 4 else 0
