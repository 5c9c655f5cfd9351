"""SOM kernels: the forge's SOM vmunix checked against the field rules of HP's a.out(4) format
as binutils documents it (include/som/aout.h, bfd/som.c) and the reader's faults.

The spec checks below read the file with `struct` at the offsets the public specification gives
(docs/vmunix-format.md cites them), not with q4py's construct models, so a mistake shared by
q4py's writer and reader still shows.
"""

from __future__ import annotations

import struct
from dataclasses import replace
from functools import cache
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from test_vmunix import FUNCTIONS, OBJECTS, SECTIONS

from q4py.errors import DumpError, ScenarioError
from q4py.vmunix import KernelImage
from q4py.vmunix.som_writer import build_som
from q4py.vmunix.writer import DataObject, build_vmunix

# The test kernel's .bss must follow .data: a SOM exec header has no bss address.
SOM_SECTIONS = replace(SECTIONS, data_size=SECTIONS.bss_addr - SECTIONS.data_addr)


@cache
def som_bytes() -> bytes:
    return build_som(sections=SOM_SECTIONS, functions=FUNCTIONS, objects=OBJECTS)


# -- the specification, read independently ---------------------------------------------------

HEADER_FIELDS = (
    "system_id a_magic version_id file_time_secs file_time_nanosecs entry_space entry_subspace "
    "entry_offset aux_header_location aux_header_size som_length presumed_dp space_location "
    "space_total subspace_location subspace_total loader_fixup_location loader_fixup_total "
    "space_strings_location space_strings_size init_array_location init_array_total "
    "compiler_location compiler_total symbol_location symbol_total fixup_request_location "
    "fixup_request_total symbol_strings_location symbol_strings_size unloadable_sp_location "
    "unloadable_sp_size checksum"
).split()


def header(data: bytes) -> dict[str, int]:
    """The 128-byte file header: two halfwords, then 31 words (a.out(4) `struct header`)."""
    return dict(zip(HEADER_FIELDS, struct.unpack_from(">HH31I", data), strict=True))


def spec_string(data: bytes, table: int, size: int, offset: int) -> str:
    """A name: `offset` points at its first character, a u32 length precedes it, a NUL ends it."""
    assert 4 <= offset < size and offset % 4 == 0
    length = struct.unpack_from(">I", data, table + offset - 4)[0]
    raw = data[table + offset:table + offset + length + 1]
    assert raw[-1:] == b"\0" and b"\0" not in raw[:-1]
    return raw[:-1].decode("ascii")


def spaces_and_subspaces(data: bytes) -> tuple[list[dict], list[dict]]:
    h = header(data)
    spaces = []
    for i in range(h["space_total"]):
        name, flags, number, first, count = struct.unpack_from(
            ">IIiiI", data, h["space_location"] + 36 * i)
        spaces.append(dict(name=spec_string(data, h["space_strings_location"],
                                            h["space_strings_size"], name),
                           loadable=bool(flags >> 31), first=first, count=count))
    subspaces = []
    for i in range(h["subspace_total"]):
        space, flags, file_loc, init_len, start, length, align, name = struct.unpack_from(
            ">iIiIIIII", data, h["subspace_location"] + 40 * i)
        subspaces.append(dict(
            space=space, loadable=bool(flags >> 21 & 1), code_only=bool(flags >> 16 & 1),
            access=flags >> 25, file_loc=file_loc, init_len=init_len, start=start,
            length=length, align=align & ((1 << 27) - 1),
            name=spec_string(data, h["space_strings_location"], h["space_strings_size"], name)))
    return spaces, subspaces


def test_header_fields_follow_the_spec() -> None:
    data = som_bytes()
    h = header(data)
    assert h["system_id"] == 0x210  # PA-RISC 1.1 (BFD accepts 0x20b and 0x210..0x2ff)
    assert h["a_magic"] in (0x107, 0x108, 0x10B)  # an executable
    assert h["version_id"] in (85082112, 87102412)
    assert h["som_length"] == len(data)


def test_header_checksum_is_the_xor_of_its_words() -> None:
    data = som_bytes()
    words = struct.unpack_from(">32I", data)
    residue = 0
    for word in words:
        residue ^= word
    assert residue == 0 and words[31] != 0


def test_every_dictionary_lies_inside_the_file() -> None:
    data = som_bytes()
    h = header(data)
    for location, size in (
        ("aux_header_location", h["aux_header_size"]),
        ("space_location", 36 * h["space_total"]),
        ("subspace_location", 40 * h["subspace_total"]),
        ("space_strings_location", h["space_strings_size"]),
        ("symbol_location", 20 * h["symbol_total"]),
        ("symbol_strings_location", h["symbol_strings_size"]),
        ("unloadable_sp_location", h["unloadable_sp_size"]),
    ):
        assert h[location] % 4 == 0, location
        assert h[location] + size <= h["som_length"], location
    _, subspaces = spaces_and_subspaces(data)
    for sub in subspaces:
        if sub["init_len"]:
            assert sub["file_loc"] + sub["init_len"] <= h["som_length"], sub["name"]
            assert sub["init_len"] <= sub["length"]


def test_the_exec_aux_header_comes_first_and_gives_the_segments() -> None:
    data = som_bytes()
    h = header(data)
    flags, length, tsize, tmem, _tfile, dsize, dmem, _dfile, bsize, entry = struct.unpack_from(
        ">10I", data, h["aux_header_location"])
    assert flags & 0xFFFF == 4 and length == 40  # HPUX_AUX_ID, 40 bytes after the id
    assert (tmem, tsize) == (SOM_SECTIONS.text_addr, SOM_SECTIONS.text_size)
    assert (dmem, dsize, bsize) == (SOM_SECTIONS.data_addr, SOM_SECTIONS.data_size,
                                    SOM_SECTIONS.bss_size)
    assert tmem <= entry < tmem + tsize


def test_spaces_own_consecutive_subspaces() -> None:
    spaces, subspaces = spaces_and_subspaces(som_bytes())
    covered = []
    for index, space in enumerate(spaces):
        members = range(space["first"], space["first"] + space["count"])
        covered += members
        assert all(subspaces[i]["space"] == index for i in members)
    assert sorted(covered) == list(range(len(subspaces)))
    names = {s["name"]: s for s in subspaces}
    assert {"$CODE$", "$DATA$", "$BSS$", "$UNWIND_START$"} <= set(names)
    assert [s["name"] for s in spaces][:2] == ["$TEXT$", "$PRIVATE$"]
    assert names["$CODE$"]["code_only"] and names["$CODE$"]["access"] >> 4 == 2  # code
    assert names["$DATA$"]["access"] >> 4 == 1  # read/write data
    for sub in subspaces:
        assert sub["align"] & (sub["align"] - 1) == 0  # a power of two (BFD refuses others)
        if sub["loadable"]:
            assert spaces[sub["space"]]["loadable"]


def test_symbols_have_defined_types_scopes_and_places() -> None:
    data = som_bytes()
    h = header(data)
    _, subspaces = spaces_and_subspaces(data)
    seen = {}
    for i in range(h["symbol_total"]):
        flags, name, _qualifier, info, value = struct.unpack_from(
            ">5I", data, h["symbol_location"] + 20 * i)
        kind, scope = flags >> 24 & 0x3F, flags >> 20 & 0xF
        assert kind <= 16 and scope <= 3
        text = spec_string(data, h["symbol_strings_location"], h["symbol_strings_size"], name)
        seen[text] = (kind, scope, value)
        if kind in (3, 4, 5, 6, 12):  # code: the two low bits are the privilege level
            assert value & 3 == 3
        if kind == 2:  # ST_DATA: symbol_info is the subspace holding it
            sub = subspaces[info & 0xFFFFFF]
            assert sub["start"] <= value < sub["start"] + max(sub["length"], 1)
    assert seen["panic"] == (6, 3, 0x20400 | 3)  # ST_ENTRY, SS_UNIVERSAL
    assert seen["$$divU"][0] == 12  # ST_MILLICODE
    assert seen["panicstr"] == (2, 3, 0x800010)  # ST_DATA


def test_the_unwind_subspace_holds_sorted_descriptors() -> None:
    data = som_bytes()
    _, subspaces = spaces_and_subspaces(data)
    unwind = next(s for s in subspaces if s["name"] == "$UNWIND_START$")
    assert unwind["init_len"] == 16 * len(FUNCTIONS)
    starts = [struct.unpack_from(">II", data, unwind["file_loc"] + 16 * i)
              for i in range(len(FUNCTIONS))]
    assert starts == sorted(starts)
    assert (0x20400, 0x204FC) in starts  # region_end inclusive: the last instruction


# -- reading ----------------------------------------------------------------------------------


def test_som_and_elf_give_one_kernel_image() -> None:
    som = KernelImage.from_bytes(som_bytes(), "som")
    elf = KernelImage.from_bytes(
        build_vmunix(wide=False, sections=SOM_SECTIONS, functions=FUNCTIONS, objects=OBJECTS),
        "elf")
    assert (som.file_format, elf.file_format) == ("SOM", "ELF32")
    assert not som.wide
    assert som.symbols() == elf.symbols()
    assert som.section_sizes == elf.section_sizes
    assert som.unwind_entries == elf.unwind_entries
    assert som.symbolize(0x20414) == "panic+0x14"


def test_sizes_are_derived_without_q4py_sizes_subspace() -> None:
    """A SOM from HP's linker has no $SYMBOL_SIZES$: functions take their unwind region's size,
    objects reach the next symbol or the end of their section."""
    data = som_bytes().replace(b"$SYMBOL_SIZES$", b"$OTHER_STUFF$\0")
    kernel = KernelImage.from_bytes(data, "hp")
    assert kernel.symbol("panic").size == 0x100
    assert kernel.symbol("boot").size == 0x200
    assert kernel.symbol("panicstr").size == SOM_SECTIONS.data_size - 0x10  # to .data's end
    assert kernel.symbol("mpproc_info").size == 0x1000  # up to end_marker


def patched(data: bytes, offset: int, value: int, *, fix_checksum: bool = True) -> bytes:
    out = bytearray(data)
    out[offset:offset + 4] = value.to_bytes(4, "big")
    if fix_checksum:
        out[0x7C:0x80] = bytes(4)
        residue = 0
        for (word,) in struct.iter_unpack(">I", bytes(out[:128])):
            residue ^= word
        out[0x7C:0x80] = residue.to_bytes(4, "big")
    return bytes(out)


def som_error(data: bytes) -> DumpError:
    with pytest.raises(DumpError) as caught:
        KernelImage.from_bytes(data, "vmunix")
    assert "\n" not in str(caught.value)
    return caught.value


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        (0x2C, 0x7FFFFF00, "the space dictionary (0x6c bytes at 0x7fffff00) lies outside"),
        (0x30, 0x10000, "the space dictionary (0x240000 bytes at 0xb0) lies outside"),
        (0x5C, 0x100000, "the symbol dictionary"),
        (0x70, 0x100000, "the symbol string table"),
        (0x24, 0x100000, "som_length 0x100000 runs past the end of the file"),
    ],
)
def test_dictionaries_outside_the_file(field: int, value: int, message: str) -> None:
    err = som_error(patched(som_bytes(), field, value))
    assert message in err.problem and err.problem.startswith("SOM: ")
    assert err.offset in (field, field - 4)  # the table's location word (its size follows)


def test_a_wrong_checksum() -> None:
    data = som_bytes()
    err = som_error(patched(data, 0x28, 0x1234, fix_checksum=False))
    assert "header checksum" in err.problem and err.offset == 0x7C


def test_a_relocatable_object_is_not_a_kernel() -> None:
    data = bytearray(som_bytes())
    data[2:4] = (0x106).to_bytes(2, "big")
    err = som_error(patched(bytes(data), 0x28, 0))
    assert "RELOC_MAGIC" in err.problem


def test_an_undefined_symbol_type() -> None:
    data = som_bytes()
    h = header(data)
    flags = struct.unpack_from(">I", data, h["symbol_location"])[0]
    bad = patched(data, h["symbol_location"], flags | 0x3F << 24, fix_checksum=False)
    assert "symbol_type 63" in som_error(bad).problem


def test_subspace_contents_outside_the_file() -> None:
    data = som_bytes()
    h = header(data)
    _, subspaces = spaces_and_subspaces(data)
    index = [s["name"] for s in subspaces].index("$UNWIND_START$")
    bad = patched(data, h["subspace_location"] + 40 * index + 8, len(data), fix_checksum=False)
    assert "contents of subspace 1 ($UNWIND_START$)" in som_error(bad).problem


def test_neither_elf_nor_som(tmp_path: Path) -> None:
    err = som_error(b"\x01\x02\x03\x04" + bytes(200))
    assert "neither ELF" in err.problem and "SOM" in err.problem


# -- the forge --------------------------------------------------------------------------------


def test_narrow_kernels_are_som_by_default(forged_dump) -> None:  # type: ignore[no-untyped-def]
    data = (forged_dump("hpux1100-32-kalloc-sysmap") / "vmunix").read_bytes()
    assert header(data)["system_id"] == 0x210
    assert KernelImage.from_bytes(data).file_format == "SOM"
    wide = (forged_dump("hpux1100-64-dpf-atq") / "vmunix").read_bytes()
    assert KernelImage.from_bytes(wide).file_format == "ELF64"


def test_a_wide_som_kernel_is_refused(tmp_path: Path) -> None:
    from test_hostile import TINY

    from q4py.forge import forge_crashdir

    scenario = tmp_path / "wide.toml"
    scenario.write_text(TINY.replace('width = "narrow"', 'width = "wide"')
                        .replace('file_format = "elf"', 'file_format = "som"'))
    with pytest.raises(ScenarioError, match="kernel.file_format.*SOM is 32-bit"):
        forge_crashdir(scenario, tmp_path / "out")
    assert not (tmp_path / "out").exists()


def test_som_needs_bss_after_data() -> None:
    with pytest.raises(ValueError, match="does not follow .data"):
        build_som(sections=SECTIONS, functions=FUNCTIONS,
                  objects=[DataObject("x", 0x800000, 4, "data")])


# -- garbled files ------------------------------------------------------------------------------

@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data())
def test_garbled_som_is_one_dump_error(data: st.DataObject) -> None:
    """Any word of the file replaced (header checksum kept right, so the reader goes on past
    it), or the file cut anywhere: a KernelImage or one DumpError line, never another error."""
    raw = bytearray(som_bytes())
    if data.draw(st.booleans(), "cut"):
        raw = raw[:data.draw(st.integers(0, len(raw) - 1), "length")]
    else:
        for _ in range(data.draw(st.integers(1, 4), "words")):
            at = data.draw(st.integers(0, len(raw) // 4 - 1), "word") * 4
            value = data.draw(st.sampled_from([0, 1, 0xFFFFFFFF, 0x7FFFFFFF, 0x10000, len(raw)])
                              | st.integers(0, 0xFFFFFFFF), "value")
            raw[at:at + 4] = value.to_bytes(4, "big")
        if data.draw(st.booleans(), "fix checksum") and len(raw) >= 128:
            raw = bytearray(patched(bytes(raw), 0x28, int.from_bytes(raw[0x28:0x2C], "big")))
    try:
        KernelImage.from_bytes(bytes(raw), "vmunix")
    except DumpError as err:
        assert "\n" not in str(err)
