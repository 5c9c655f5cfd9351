"""What the scenario places directly: kernel globals by value, structures by type, raw bytes."""

from __future__ import annotations

from q4py.errors import ScenarioError
from q4py.forge.context import ForgeContext


def build_globals(ctx: ForgeContext) -> None:
    for name, value in ctx.sc["globals"].items():
        ctx.set_global(name, value)


def build_objects(ctx: ForgeContext) -> None:
    """After the generated buffer lists: an object placed over one of their buffers replaces
    it (a corrupted header on a free list)."""
    for i, obj in enumerate(ctx.sc["objects"]):
        path = f"objects[{i}]"
        if obj["symbol"]:
            address = ctx.place_global(obj["symbol"])
        elif obj["address"] >= 0:
            address = obj["address"]
        else:
            raise ScenarioError(path, "needs an address or a symbol")
        ctx.place(obj["type"], address, obj["fields"] or {}, path)


def build_raw_bytes(ctx: ForgeContext) -> None:
    """Bytes with no structure the forge knows: hex, or a counting pattern."""
    for i, raw in enumerate(ctx.sc["raw_bytes"]):
        path = f"raw_bytes[{i}]"
        try:
            data = bytes.fromhex(raw["hex"])
        except ValueError as err:
            raise ScenarioError(f"{path}.hex", str(err)) from None
        if raw["counting"]:
            if data:
                raise ScenarioError(path, "give hex or counting, not both")
            data = bytes((raw["first"] + n) & 0xFF for n in range(raw["counting"]))
        ctx.mem.write(raw["address"], data, raw["space"])
