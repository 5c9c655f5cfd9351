"""Bit-fields in layouts and the 11.00 lock_t (`struct lock_1100`): decoding and encoding with
shifts, p4's printing of a bit-field line, and a forged 11.00 spinlock dump whose lock name
still resolves through the bit-field name pointer.
"""

from __future__ import annotations

import struct
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from q4py.analyses.lock import deadlocked_lock, lock_layout
from q4py.forge.build import Forge
from q4py.forge.scenario import load_scenario
from q4py.layouts import NARROW, WIDE, LayoutError, TypeRegistry, registry_for
from q4py.layouts.flat import flat_parser
from q4py.program import Program
from q4py.render import SECTIONS, load_sections
from q4py.render.structs import declaration, struct_lines
from q4py.render.styles import DEFAULT_STYLE

SCENARIOS = Path(__file__).resolve().parent.parent / "fixtures" / "scenarios"


def _packed() -> TypeRegistry:
    reg = TypeRegistry(NARROW)
    reg.define("struct packed", [("a", "uint16_t"), ("hi", "unsigned int:3"),
                                 ("mid", "unsigned int:20"), ("lo", "unsigned int:9"),
                                 ("next", "unsigned int:4"), ("b", "uint8_t")],
               reconstruction=True)
    return reg


def test_bitfields_share_units_msb_first() -> None:
    layout = _packed().get("struct packed")
    # hi, mid, lo fill one 32-bit unit at 4; next does not fit and opens the unit at 8.
    assert [(f.name, f.offset, f.bit_offset) for f in layout.fields] == [
        ("a", 0, 0), ("hi", 4, 0), ("mid", 4, 3), ("lo", 4, 23), ("next", 8, 0), ("b", 12, 0)]
    assert layout.size == 16 and layout.fast is None
    data = layout.build({"a": 1, "hi": 0b101, "mid": 0xABCDE, "lo": 0x1FF, "next": 0xF})
    assert data[4:8] == struct.pack(">I", (0b101 << 29) | (0xABCDE << 9) | 0x1FF)
    assert data[8:12] == b"\xf0\0\0\0"


@given(st.integers(0, 7), st.integers(0, (1 << 20) - 1), st.integers(0, 511),
       st.integers(0, 15), st.integers(0, 255))
def test_bitfield_round_trip(hi: int, mid: int, lo: int, nxt: int, b: int) -> None:
    layout = _packed().get("struct packed")
    values = {"a": 7, "hi": hi, "mid": mid, "lo": lo, "next": nxt, "b": b}
    data = layout.build(values)
    assert dict(layout.parse(data)) == values
    assert flat_parser(layout)(data) == layout.parse(data)  # falls back to the construct model


def test_bitfield_errors() -> None:
    layout = _packed().get("struct packed")
    with pytest.raises(LayoutError, match="does not fit"):
        layout.build({"hi": 8})
    with pytest.raises(LayoutError, match="bad bit-field"):
        TypeRegistry(NARROW).ctype("int:3")
    with pytest.raises(LayoutError, match="bad bit-field"):
        TypeRegistry(NARROW).ctype("unsigned int:33")


@pytest.mark.parametrize("abi", [NARROW, WIDE])
def test_lock_1100_both_widths(abi) -> None:
    # The members and offsets of a public p4 Lock_t of an 11.00 kernel, in both widths.
    layout = registry_for(abi).get("struct lock_1100")
    assert layout.size == 0x20
    name = layout.field("sl_name_ptr")
    assert (name.offset, name.bit_offset, name.ctype.count) == (0x10, 1, 23)
    assert layout.field("sl_pad").offset == 0x14
    data = layout.build({"sl_owner": 0x131D3C8, "sl_indirect": 1, "sl_name_ptr": 0x1A184C,
                         "sl_flag": 1})
    word = int.from_bytes(data[0x10:0x14], "big")
    assert word == (1 << 31) | (0x1A184C << 8)
    parsed = layout.parse(data)
    assert (parsed.sl_indirect, parsed.sl_name_ptr, parsed.sl_flag) == (1, 0x1A184C, 1)
    with pytest.raises(LayoutError, match="does not fit"):
        layout.build({"sl_name_ptr": 0x944C70})  # beyond 23 bits
    assert [f.name for f in layout.walk()] == [f.name for f in layout.fields]


class _Bytes:
    pointer_size = 8

    def __init__(self, base: int, data: bytes) -> None:
        self.base, self.data = base, data

    def read(self, address: int, size: int, space: int = 0) -> bytes:
        return self.data[address - self.base:address - self.base + size]


def test_p4_prints_bitfield_lines() -> None:
    # p4 printed a bit-field's value in plain hex, not padded to its unit.
    layout = registry_for(WIDE).get("struct lock_1100")
    data = layout.build({"sl_indirect": 1, "sl_name_ptr": 0x1A184C, "sl_flag": 1})
    lines = struct_lines(_Bytes(0x6BD5BC0, data), layout, 0x6BD5BC0, type_name="lock_t")
    assert lines[5] == "0x06bd5bd0   " + "u_int   sl_indirect:0:1;".ljust(38) + "0x1"
    assert lines[6] == "0x06bd5bd0   " + "u_int   sl_name_ptr:1:23;".ljust(38) + "0x1a184c"
    assert lines[-1] == "0x06bd5be0 };"
    assert declaration(layout.field("sl_indirect").ctype, "x", 5) == "u_int   x:5:1;"


def test_forged_1100_spinlock_names_its_lock(tmp_path: Path) -> None:
    text = (SCENARIOS / "hpux1111-64-spinlock-process-lock.toml").read_text()
    assert 'release = "B.11.11"' in text
    scenario = tmp_path / "spinlock-1100.toml"
    # 11.00's name pointer has 23 bits: the name goes lower.
    scenario.write_text(text.replace('release = "B.11.11"', 'release = "B.11.00"', 1)
                        .replace("name_address = 0x944c70", "name_address = 0x1a184c", 1))
    out = tmp_path / "dump"
    out.mkdir()
    Forge(load_scenario(scenario)).build(out)
    load_sections()
    prog = Program.open(out)
    assert lock_layout(prog).name == "struct lock_1100"
    lock = deadlocked_lock(prog)
    assert lock is not None and lock.name == "process lock"
    lines = SECTIONS["events"].render(prog, DEFAULT_STYLE)
    assert "lock name : process lock" in lines
    assert any("sl_name_ptr:1:23;" in line for line in lines)
