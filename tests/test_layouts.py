"""Layouts: every structure of both ABIs parsed, built and sized together, the public offsets
pinned, C alignment rules, value checking, type name lookup, and parsing of arbitrary bytes."""

from __future__ import annotations

import itertools
import struct
from typing import Any

import construct as cs
import pytest
from conftest import REPO_ROOT
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from q4py.errors import Q4Error
from q4py.layouts import (
    KERNEL_GLOBALS,
    NARROW,
    WIDE,
    Abi,
    Layout,
    LayoutError,
    TypeRegistry,
    registry_for,
)
from q4py.layouts.base import CType

ABIS = (NARROW, WIDE)
ALL_LAYOUTS: list[tuple[Abi, Layout]] = [
    (abi, layout) for abi in ABIS for layout in registry_for(abi).layouts()
]
LAYOUT_IDS = [f"{abi.name}-{layout.name.replace('struct ', '')}" for abi, layout in ALL_LAYOUTS]


# -- sample values ------------------------------------------------------------------------------
class _Samples:
    """Distinct, non-zero values for every member, using the full range of each C type (negative
    values for signed members, the top bit for unsigned ones) so that a wrong size, signedness or
    offset shows up as a mismatch."""

    def __init__(self) -> None:
        self.counter = itertools.count(1)

    def value(self, ctype: CType) -> Any:
        if ctype.kind == "struct":
            assert ctype.layout is not None
            return self.struct(ctype.layout)
        if ctype.kind == "array":
            assert ctype.element is not None
            return [self.value(ctype.element) for _ in range(ctype.count)]
        n = next(self.counter)
        if ctype.kind == "chars":
            return bytes((n * 7 + k) % 256 for k in range(ctype.size))
        if ctype.kind == "float":
            return n * 0.25 - 3.0  # exact in float and double
        raw = bytes((0x80 + n * 13 + k * 29) % 256 for k in range(ctype.size))
        if ctype.kind == "bitfield":  # only its width of the storage unit
            return int.from_bytes(raw, "big") % (1 << ctype.count)
        return int.from_bytes(raw, "big", signed=ctype.signed)

    def struct(self, layout: Layout) -> dict[str, Any]:
        members = layout.fields[:1] if layout.union else layout.fields  # a union: one member
        return {member.name: self.value(member.ctype) for member in members}


def sample_values(layout: Layout) -> dict[str, Any]:
    return _Samples().struct(layout)


def as_built(ctype_or_layout: Any, value: Any) -> Any:
    """A parsed value with only the members building writes: a union's first member."""
    layout = getattr(ctype_or_layout, "layout", ctype_or_layout)
    if isinstance(value, dict) and layout is not None:
        members = layout.fields[:1] if layout.union else layout.fields
        return {m.name: as_built(m.ctype, value[m.name]) for m in members}
    if isinstance(value, list):
        element = getattr(ctype_or_layout, "element", None)
        return [as_built(element, v) for v in value]
    return value


def plain(value: Any) -> Any:
    """A parsed construct value as plain dicts and lists (construct's private `_io` key dropped)."""
    if isinstance(value, dict):
        return {k: plain(v) for k, v in value.items() if k != "_io"}
    if isinstance(value, list):
        return [plain(v) for v in value]
    return value


# -- parse, build and size together -------------------------------------------------------------
@pytest.mark.parametrize(("abi", "layout"), ALL_LAYOUTS, ids=LAYOUT_IDS)
def test_build_parse_size_agree(abi: Abi, layout: Layout) -> None:
    values = sample_values(layout)
    data = layout.build(values)
    assert len(data) == layout.size
    assert layout.struct.sizeof() == layout.size
    assert as_built(layout, plain(layout.parse(data))) == values
    # Building what was parsed gives the same bytes back.
    assert layout.build(plain(layout.parse(data))) == data


@pytest.mark.parametrize(("abi", "layout"), ALL_LAYOUTS, ids=LAYOUT_IDS)
def test_compiled_construct_parses_the_same(abi: Abi, layout: Layout) -> None:
    data = layout.build(sample_values(layout))
    compiled = layout.struct.compile()
    assert plain(compiled.parse(data)) == plain(layout.parse(data))


@pytest.mark.parametrize(("abi", "layout"), ALL_LAYOUTS, ids=LAYOUT_IDS)
def test_fast_path_unpacks_the_same_fields(abi: Abi, layout: Layout) -> None:
    fast = layout.fast
    nested = any(m.ctype.kind in ("struct", "array") for m in layout.fields)
    if fast is None:
        bits = any(m.ctype.kind == "bitfield" for m in layout.fields)
        assert nested or bits, f"{layout.name} is flat but has no fast path"
        return
    assert not nested
    assert fast.size == layout.size
    values = sample_values(layout)
    unpacked = fast.unpack(layout.build(values))
    assert unpacked == tuple(values[m.name] for m in layout.fields)
    assert fast.pack(*unpacked) == layout.build(values)
    for i, member in enumerate(layout.fields):
        assert layout.field_index(member.name) == i


@pytest.mark.parametrize(("abi", "layout"), ALL_LAYOUTS, ids=LAYOUT_IDS)
def test_field_offsets_and_walk(abi: Abi, layout: Layout) -> None:
    """Offsets are increasing (a union's all 0), aligned and inside the structure; `walk`
    flattens them."""
    end, unit = 0, -1
    for member in layout.fields:
        # bit-fields after the first of a storage unit share its offset
        shared = member.ctype.kind == "bitfield" and member.bit_offset > 0
        if layout.union:
            assert member.offset == 0
        else:
            assert member.offset == unit if shared else member.offset >= end
        unit = member.offset
        assert member.offset % member.ctype.align == 0
        assert layout.field(member.name).offset == member.offset
        end = max(end, member.offset + member.size)
    assert end <= layout.size
    assert layout.size % layout.align == 0
    leaves = list(layout.walk())
    assert leaves
    for leaf in leaves:
        assert leaf.ctype.kind != "struct"
        assert layout.field(leaf.name).offset == leaf.offset
        assert 0 <= leaf.offset and leaf.offset + leaf.size <= layout.size


# -- public offsets -----------------------------------------------------------------------------
@pytest.mark.parametrize("abi", ABIS, ids=lambda a: a.name)
def test_save_state_public_offsets(abi: Abi) -> None:
    """GDB's hppa-hpux-tdep.c: flags 0, narrow 4, fpblock 256, wide 640, size 1152 (both widths)."""
    ss = registry_for(abi).get("struct save_state")
    assert ss.size == 1152
    assert ss.reconstruction is False
    assert ss.field("ss_flags").offset == 0
    assert ss.field("ss_narrow").offset == 4
    assert ss.field("ss_fpblock").offset == 0x100
    assert ss.field("ss_xor").offset == 0x200
    assert ss.field("ss_wide").offset == 0x280
    assert ss.field("ss_narrow.ss_gr1").offset == 0x04
    assert ss.field("ss_narrow.ss_rp").offset == 0x08
    assert ss.field("ss_narrow.ss_sp").offset == 0x78
    assert ss.field("ss_narrow.ss_pcoq_head").offset == 0x84
    assert ss.field("ss_narrow.ss_sr4").offset == 0xAC
    assert ss.field("ss_narrow.ss_sr5").offset == 0xC0
    assert ss.field("ss_narrow.ss_mpsfu_ovflo").offset == 0xF8
    assert ss.field("ss_wide.ss_gr1").offset == 0x288
    assert ss.field("ss_wide.ss_rp").offset == 0x290
    assert ss.field("ss_wide.ss_sp").offset == 0x370
    assert ss.field("ss_wide.ss_pcoq_head").offset == 0x388
    assert ss.field("ss_wide.ss_sr5").offset == 0x400
    assert ss.field("ss_wide.ss_cr27").offset == 0x460
    assert ss.field("ss_wide.ss_newcksum").offset == 0x47C


def test_narrow_registers_follow_the_gr_formula() -> None:
    """gr_n (1 <= n <= 31) sits at 0x004 + 4*(n-1) in save_state, whatever its alias."""
    from q4py.layouts.save_state import GR_NAMES

    ss = registry_for(NARROW).get("save_state_t")
    for n, name in GR_NAMES.items():
        assert ss.field(f"ss_narrow.ss_{name}").offset == 4 + 4 * (n - 1), name
        assert ss.field(f"ss_wide.ss_{name}").offset == 0x288 + 8 * (n - 1), name


@pytest.mark.parametrize(("abi", "size"), [(NARROW, 0x20), (WIDE, 0x30)], ids=["narrow", "wide"])
def test_crash_event_size(abi: Abi, size: int) -> None:
    assert registry_for(abi).get("crash_event_t").size == size


@pytest.mark.parametrize("abi", ABIS, ids=lambda a: a.name)
def test_fixed_sizes(abi: Abi) -> None:
    types = registry_for(abi)
    assert types.get("rpb_t").size == 0x370
    assert types.get("hpde2_0_t").size == 32
    assert types.get("struct utsname").size == 6 * 257
    assert types.get("struct timezone").size == 8
    pointer = abi.pointer_size
    assert types.get("struct timeval").size == 2 * pointer
    assert types.get("struct mapent").size == 2 * pointer
    assert types.get("struct kmembuckets").size == 8 * pointer
    assert types.get("struct msgbuf").size == 3 * pointer


def test_proc_is_700_bytes_on_the_narrow_kernel() -> None:
    assert registry_for(NARROW).get("proc_t").size == 700


# -- C alignment --------------------------------------------------------------------------------
def _fresh(abi: Abi) -> TypeRegistry:
    return TypeRegistry(abi)


def test_pointer_after_int_is_padded_on_wide() -> None:
    wide = _fresh(WIDE).define("struct t", [("a", "int"), ("p", "void *")], reconstruction=False)
    assert [(f.name, f.offset) for f in wide.fields] == [("a", 0), ("p", 8)]
    assert wide.size == 16
    assert wide.build({"a": 1, "p": 2}) == bytes.fromhex("00000001" "00000000" "0000000000000002")
    narrow = _fresh(NARROW).define("struct t", [("a", "int"), ("p", "void *")],
                                   reconstruction=False)
    assert [f.offset for f in narrow.fields] == [0, 4]
    assert narrow.size == 8


def test_tail_padding_and_nested_alignment() -> None:
    reg = _fresh(NARROW)
    inner = reg.define("struct inner", [("q", "uint64_t"), ("c", "char")], reconstruction=False)
    assert inner.size == 16 and inner.align == 8  # rounded up to its 8-byte alignment
    outer = reg.define("struct outer", [("c", "char"), ("in", "struct inner"), ("s", "short")],
                       reconstruction=False)
    assert outer.field("in").offset == 8
    assert outer.field("in.c").offset == 16
    assert outer.field("s").offset == 24
    assert outer.size == 32
    assert outer.struct.sizeof() == 32
    shorts = reg.define("struct shorts", [("a", "char"), ("b", "short"), ("c", "char")],
                        reconstruction=False)
    assert [f.offset for f in shorts.fields] == [0, 2, 4] and shorts.size == 6
    chars = reg.define("struct chars", [("a", "char"), ("name", "char[3]")],
                       reconstruction=False)
    assert chars.size == 4 and chars.align == 1


def test_explicit_size_pads_and_refuses_too_small() -> None:
    reg = _fresh(NARROW)
    padded = reg.define("struct padded", [("a", "int")], reconstruction=True, size=64)
    assert padded.size == 64 and padded.struct.sizeof() == 64
    assert padded.fast is not None and padded.fast.size == 64
    with pytest.raises(LayoutError, match="more than"):
        reg.define("struct small", [("a", "uint64_t"), ("b", "uint64_t")], reconstruction=True,
                   size=8)


def test_unknown_c_type_and_double_definition() -> None:
    reg = _fresh(NARROW)
    with pytest.raises(LayoutError, match="unknown C type 'struct nothing'"):
        reg.define("struct t", [("a", "struct nothing")], reconstruction=False)
    reg.define("struct t", [("a", "int")], reconstruction=False, aliases=("t_t",))
    with pytest.raises(LayoutError, match="defined twice"):
        reg.define("struct u", [("a", "int")], reconstruction=False, aliases=("t_t",))


# -- values checked by build --------------------------------------------------------------------
@pytest.fixture(scope="module")
def narrow_types() -> TypeRegistry:
    return registry_for(NARROW)


def test_build_zero_fills_missing_members(narrow_types: TypeRegistry) -> None:
    proc = narrow_types.get("proc_t")
    data = proc.build({"p_pid": 42})
    assert len(data) == 700
    parsed = proc.parse(data)
    assert parsed.p_pid == 42 and parsed.p_stat == 0 and parsed.p_vas == 0


@pytest.mark.parametrize(("type_name", "values", "message"), [
    ("proc_t", {"p_pidd": 1}, "has no field 'p_pidd'"),
    ("struct save_state", {"ss_narrow": {"ss_bogus": 1}}, "has no field 'ss_bogus'"),
    ("proc_t", {"p_pid": 1 << 32}, "does not fit in pid_t"),
    ("proc_t", {"p_pid": -(1 << 31) - 1}, "does not fit in pid_t"),
    ("proc_t", {"p_flag": -1}, "does not fit in unsigned int"),
    ("proc_t", {"p_flag": 1 << 32}, "does not fit in unsigned int"),
    ("proc_t", {"p_vas": 1 << 32}, "does not fit in struct vas"),
    ("struct pfdat", {"pf_kclass": 0x10000}, "does not fit in uint16_t"),
    ("struct utsname", {"sysname": "x" * 258}, "do not fit in char"),
    ("struct crash_event", {"cet_spare": [1, 2, 3]}, "3 values for 2 elements"),
    ("struct save_state", {"ss_narrow": 5}, "expected a table of fields"),
])
def test_build_rejects_bad_values(narrow_types: TypeRegistry, type_name: str,
                                  values: dict[str, Any], message: str) -> None:
    layout = narrow_types.get(type_name)
    with pytest.raises(LayoutError, match=message) as info:
        layout.build(values)
    assert isinstance(info.value, Q4Error)


def test_build_accepts_extremes_and_unsigned_spelling_of_negatives(
        narrow_types: TypeRegistry) -> None:
    proc = narrow_types.get("proc_t")
    parsed = proc.parse(proc.build({"p_pid": 0xFFFFFFFF, "p_flag": 0xFFFFFFFF,
                                    "p_stat": -(1 << 31), "p_vas": 0xFFFFFFFC}))
    assert parsed.p_pid == -1
    assert parsed.p_flag == 0xFFFFFFFF
    assert parsed.p_stat == -(1 << 31)
    assert parsed.p_vas == 0xFFFFFFFC


def test_field_lookup_errors(narrow_types: TypeRegistry) -> None:
    ss = narrow_types.get("save_state")
    with pytest.raises(LayoutError, match="has no field 'ss_narrow.ss_nope'"):
        ss.field("ss_narrow.ss_nope")
    with pytest.raises(LayoutError, match="'ss_flags' is not a structure"):
        ss.field("ss_flags.x")
    with pytest.raises(LayoutError, match="has no field"):
        ss.field_index("nothing")


# -- type names -----------------------------------------------------------------------------------
@pytest.mark.parametrize("abi", ABIS, ids=lambda a: a.name)
def test_get_accepts_struct_tag_and_typedef(abi: Abi) -> None:
    types = registry_for(abi)
    proc = types.get("struct proc")
    assert types.get("proc") is proc
    assert types.get("proc_t") is proc
    assert types.get("  struct   proc ") is proc
    assert types.get("struct save_state") is types.get("save_state_t") is types.get("save_state")
    assert types.get("rpb_t") is types.get("struct rpb") is types.get("rpb")
    assert "proc_t" in types.names() and "struct proc" in types.names()
    with pytest.raises(LayoutError, match="unknown type 'struct nothing'"):
        types.get("struct nothing")


def test_registries_are_built_once_per_abi() -> None:
    assert registry_for(NARROW) is registry_for(NARROW)
    assert registry_for(NARROW) is not registry_for(WIDE)


def test_ctype_spellings(narrow_types: TypeRegistry) -> None:
    wide = registry_for(WIDE)
    assert narrow_types.ctype("long").size == 4 and wide.ctype("long").size == 8
    assert narrow_types.ctype("struct proc *").kind == "pointer"
    assert wide.ctype("struct proc *").size == 8
    chars = narrow_types.ctype("char[15]")
    assert chars.kind == "chars" and chars.size == 15
    array = narrow_types.ctype("struct crash_event[8]")
    assert array.kind == "array" and array.count == 8 and array.size == 8 * 0x20
    assert array.element is not None and array.element.layout is narrow_types.get("crash_event_t")
    assert narrow_types.ctype("double[3]").size == 24


@pytest.mark.parametrize("abi", ABIS, ids=lambda a: a.name)
def test_every_kernel_global_type_resolves(abi: Abi) -> None:
    types = registry_for(abi)
    for name, decl in KERNEL_GLOBALS.items():
        assert decl.name == name
        assert types.ctype(decl.ctype).size > 0


# -- arbitrary bytes -------------------------------------------------------------------------------
@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data())
def test_random_bytes_parse(data: st.DataObject) -> None:
    """Any bytes of a layout's size parse (construct never raises on full-size input); the
    compiled construct agrees, and the fast path unpacks the same top-level members."""
    abi, layout = data.draw(st.sampled_from(ALL_LAYOUTS), label="layout")
    raw = data.draw(st.binary(min_size=layout.size, max_size=layout.size), label="bytes")
    parsed = layout.parse(raw)
    assert set(plain(parsed)) == {m.name for m in layout.fields}
    if layout.fast is not None:
        unpacked = layout.fast.unpack(raw)
        for member, value in zip(layout.fields, unpacked, strict=True):
            got = parsed[member.name]
            if isinstance(value, float) and value != value:  # NaN
                assert got != got
            else:
                assert got == value, member.name


@settings(max_examples=40, deadline=None)
@given(data=st.data())
def test_short_input_is_a_layout_error(data: st.DataObject) -> None:
    abi, layout = data.draw(st.sampled_from(ALL_LAYOUTS), label="layout")
    raw = data.draw(st.binary(max_size=layout.size - 1), label="bytes")
    with pytest.raises(LayoutError, match=f"needs {layout.size} bytes, got {len(raw)}"):
        layout.parse(raw)


def test_parse_takes_a_prefix_of_longer_input(narrow_types: TypeRegistry) -> None:
    timeval = narrow_types.get("struct timeval")
    parsed = timeval.parse(memoryview(struct.pack(">ii", 7, 8) + b"\xff" * 8))
    assert (parsed.tv_sec, parsed.tv_usec) == (7, 8)


def test_construct_models_are_construct_structs() -> None:
    for _, layout in ALL_LAYOUTS:
        # layouts with bit-fields wrap their Struct in the adapter that decodes them
        struct_model = getattr(layout.struct, "subcon", layout.struct)
        if layout.union:  # every member a construct model of its own, from the same bytes
            assert all(isinstance(sub, cs.Construct) for _, sub in layout.struct.members)
            continue
        assert isinstance(struct_model, cs.Struct)


# -- docs/layouts.md ------------------------------------------------------------------------------
def test_layouts_doc_is_the_generated_one() -> None:
    from q4py.layouts.doc import render

    committed = (REPO_ROOT / "docs" / "layouts.md").read_text(encoding="utf-8")
    assert committed == render(), "regenerate: python -m q4py.layouts.doc > docs/layouts.md"


def test_every_structure_has_a_provenance_note() -> None:
    from q4py.layouts.doc import PROVENANCE, structure_names

    names = structure_names()
    assert {layout.name for _, layout in ALL_LAYOUTS} == set(names)
    assert sorted(set(names) - set(PROVENANCE)) == [], "add a note to q4py/layouts/doc.py"
    assert sorted(set(PROVENANCE) - set(names)) == [], "a note for a structure that is gone"
    for _, layout in ALL_LAYOUTS:
        # The note says what the layout's flag says.
        assert PROVENANCE[layout.name].startswith("Reconstruction") == layout.reconstruction, \
            layout.name


def test_layouts_doc_lists_sizes_of_both_widths() -> None:
    from q4py.layouts.doc import render

    text = render()
    for name in ("crash_event", "save_state", "rpb", "hpde2_0"):
        narrow = registry_for(NARROW).get(name).size
        wide = registry_for(WIDE).get(name).size
        assert f"Size {narrow:#x} narrow, {wide:#x} wide." in text
    for name in KERNEL_GLOBALS:
        assert f"| `{name}` |" in text
