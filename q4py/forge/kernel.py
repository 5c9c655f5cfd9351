"""The kernel image: its functions, the prologue instructions q4py reads from their text, and the
`vmunix` file with the functions' unwind descriptors and the data symbols placed meanwhile.
"""

from __future__ import annotations

import io
from dataclasses import dataclass, field

from q4py.disasm import SP, encode_ldo, encode_std, encode_stw
from q4py.errors import ScenarioError
from q4py.forge.context import ForgeContext
from q4py.unwind import arg_slot, rp_slot
from q4py.vmunix.som_writer import write_som
from q4py.vmunix.writer import DataObject, Function, SectionSizes, write_vmunix


@dataclass
class KernelFunction:
    name: str
    address: int
    size: int
    frame: int
    save_rp: bool
    interrupt: bool
    args_stored: bool = False
    millicode: bool = False
    stored_args: tuple[int, ...] = ()
    # Calls that fill their outgoing argument area before the branch: return offset -> args.
    outgoing_args: dict[int, tuple[int, ...]] = field(default_factory=dict)


def build_functions(ctx: ForgeContext) -> None:
    for i, fn in enumerate(ctx.sc["kernel"]["functions"]):
        path = f"kernel.functions[{i}]"
        if fn["frame"] % 8:
            raise ScenarioError(f"{path}.frame", "must be a multiple of 8")
        if fn["name"] in ctx.functions:
            raise ScenarioError(f"{path}.name", f"'{fn['name']}' is defined twice")
        ctx.functions[fn["name"]] = KernelFunction(
            fn["name"], fn["address"], fn["size"], fn["frame"], fn["save_rp"], fn["interrupt"],
            fn["args_stored"] or bool(fn["stored_args"]), fn["millicode"],
            tuple(fn["stored_args"]),
            {int(site, 16): tuple(sorted(set(args))) for site, args in fn["outgoing_args"].items()})
    spans = sorted((f.address, f.address + f.size, f.name) for f in ctx.functions.values())
    for (_, end, name), (start, _, other) in zip(spans, spans[1:], strict=False):
        if start < end:
            raise ScenarioError("kernel.functions", f"'{name}' overlaps '{other}'")


def build_text(ctx: ForgeContext) -> None:
    """Each function's prologue: save RP, store the arguments it keeps, allocate its frame.

    q4py's decoder reads these instructions to know which arguments a function stored
    (the unwind descriptor only says that it stored some). Interrupt handlers are assembly
    with no such prologue.
    """
    wide = ctx.wide
    store = encode_std if wide else encode_stw
    for i, fn in enumerate(ctx.sc["kernel"]["functions"]):
        func = ctx.functions[fn["name"]]
        if func.interrupt:
            continue
        words = []
        if func.save_rp:
            words.append(store(2, rp_slot(0, wide), SP))
        for index in sorted(set(func.stored_args)):
            if not wide and index > 3:
                raise ScenarioError(f"kernel.functions[{i}].stored_args", "a narrow kernel "
                                    "passes arguments 0..3 in registers; others are on the "
                                    "stack already")
            words.append(store(26 - index, arg_slot(0, index, wide), SP))
        if func.frame:
            words.append(encode_ldo(func.frame, SP, SP))
        if 4 * len(words) > func.size:
            raise ScenarioError(f"kernel.functions[{i}].size", "too small for its prologue")
        for n, word in enumerate(words):
            place_text(ctx, func.address + 4 * n, word, f"kernel.functions[{i}]")
        for site, indices in func.outgoing_args.items():
            _outgoing_stores(ctx, func, site, indices, 4 * len(words),
                             f"kernel.functions[{i}].outgoing_args.{site:#x}")


def _outgoing_stores(ctx: ForgeContext, func: KernelFunction, site: int,
                     indices: tuple[int, ...], prologue: int, path: str) -> None:
    """`std argN,-D(sp)` for each argument the call returning to `site` passes in its outgoing
    argument area, right before the call's branch (at `site` - 8)."""
    wide = ctx.wide
    store = encode_std if wide else encode_stw
    first = site - 8 - 4 * len(indices)
    # At least one other instruction after the prologue: stores right after it would read
    # as more of the prologue.
    if first <= prologue or site > func.size:
        raise ScenarioError(path, f"no room for {len(indices)} stores between the prologue and "
                            "the call's branch")
    for n, index in enumerate(indices):
        if index >= (8 if wide else 4):
            raise ScenarioError(path, f"arg{index} does not travel in a register")
        place_text(ctx, func.address + first + 4 * n,
                   store(26 - index, arg_slot(0, index, wide), SP), path)


def place_text(ctx: ForgeContext, address: int, word: int, path: str) -> None:
    """One instruction word of kernel text; two different words at one address clash."""
    known = ctx.text_words.get(address)
    if known is not None and known != word:
        raise ScenarioError(path, f"{address:#x} already holds the instruction "
                            f"{known:#010x} (a prologue or another trap)")
    ctx.text_words[address] = word & 0xFFFFFFFF


def write_text(ctx: ForgeContext) -> None:
    """The text words into memory, once every builder has placed its own."""
    for address, word in sorted(ctx.text_words.items()):
        ctx.mem.write(address, word.to_bytes(4, "big"))


def call_site(ctx: ForgeContext, text: str, path: str) -> tuple[KernelFunction, int]:
    """`name+0xOFF` (or `name`): the function and the address."""
    name, _, offset = text.partition("+")
    fn = ctx.functions.get(name)
    if fn is None:
        # Threads' stacks place the functions they name; an event's are declared, so that a
        # misspelt name in a panic stack is caught.
        raise ScenarioError(path, f"no function '{name}' in kernel.functions (declare "
                            "every function of an event's stack)")
    off = int(offset, 16) if offset else 0
    if off >= fn.size:
        raise ScenarioError(path, f"offset {off:#x} is past the end of {name}")
    return fn, fn.address + off


def file_format(ctx: ForgeContext) -> str:
    """`kernel.file_format`, by default SOM for a narrow kernel (as HP linked them), ELF wide."""
    chosen = ctx.sc["kernel"].get("file_format") or ("elf" if ctx.wide else "som")
    if chosen == "som" and ctx.wide:
        raise ScenarioError("kernel.file_format", "SOM is 32-bit: a wide kernel is ELF64")
    return chosen


def vmunix_bytes(ctx: ForgeContext) -> bytes:
    """The kernel file (SOM or ELF): extents, unwind descriptors, symbols for functions and
    data."""
    functions = [Function(name=f.name, address=f.address, size=f.size, frame_size=f.frame,
                          save_rp=f.save_rp, save_sp=False, interrupt_marker=f.interrupt,
                          args_stored=f.args_stored, millicode=f.millicode, cannot_unwind=False)
                 for f in sorted(ctx.functions.values(), key=lambda f: f.address)]
    objects = [DataObject(name=n, address=a, size=s, section=_section_of(ctx, a, s))
               for n, (a, s) in sorted(ctx.symbols.items(), key=lambda kv: kv[1])]
    out = io.BytesIO()
    sections = SectionSizes(*ctx.text, *ctx.data, *ctx.bss)
    try:
        if file_format(ctx) == "som":
            write_som(out, sections=sections, functions=functions, objects=objects)
        else:
            write_vmunix(out, wide=ctx.wide, sections=sections, functions=functions,
                         objects=objects)
    except ValueError as err:
        raise ScenarioError("kernel", str(err)) from None
    return out.getvalue()


def _section_of(ctx: ForgeContext, address: int, size: int) -> str:
    for name, (start, length) in (("data", ctx.data), ("bss", ctx.bss)):
        if start <= address and address + size <= start + length:
            return name
    return "abs"
