"""Tests for q4py.vmunix: the ELF and unwind layouts, the writer, and KernelImage.

Files are built with the writer and then read back, by KernelImage and by independent readers
(pyelftools, binutils' readelf), so a mistake shared by our writer and reader still shows.
"""

from __future__ import annotations

import io
import re
import shutil
import subprocess
from dataclasses import replace
from functools import cache
from pathlib import Path

import pytest
from elftools.elf.elffile import ELFFile
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from q4py.errors import DumpError
from q4py.vmunix import KernelImage, SectionSizes, Symbol, UnwindEntry
from q4py.vmunix.elf_layouts import (
    E_IDENT,
    ELF32,
    ELF32_EHDR,
    ELF32_SHDR,
    ELF32_SYM,
    ELF64,
    ELF64_EHDR,
    ELF64_SHDR,
    ELF64_SYM,
    EM_PARISC,
    SHT_PARISC_UNWIND,
    field_names,
    field_offset,
    layouts_for,
    struct_format,
)
from q4py.vmunix.unwind import (
    BIT_FIELDS,
    UNWIND_DESCRIPTOR,
    decode_unwind_table,
    encode_unwind_table,
    entry_from_container,
    entry_from_words,
    entry_to_container,
    entry_to_words,
)
from q4py.vmunix.writer import DataObject, Function, build_vmunix, write_vmunix

# -- a small kernel ---------------------------------------------------------------------------

SECTIONS = SectionSizes(
    text_addr=0x20000,
    text_size=1684 * 4096,
    data_addr=0x800000,
    data_size=300 * 4096,
    bss_addr=0x940000,
    bss_size=100 * 4096 + 8,  # a partial page still counts as a page
)
FUNCTIONS = [
    # Deliberately not in address order: the writer sorts.
    Function("panic", 0x20400, 0x100, frame_size=128, save_rp=True, args_stored=True),
    Function("$$divU", 0x20000, 0x40, millicode=True),
    Function("boot", 0x20100, 0x200, frame_size=0x4000, save_rp=True, save_sp=True),
    Function("ihndlr", 0x20600, 0x80, frame_size=0x340, interrupt_marker=True),
    Function("$locore_start", 0x20700, 0x20, cannot_unwind=True),
]
OBJECTS = [
    DataObject("panicstr", 0x800010, 8, "data"),
    DataObject("mpproc_info", 0x940000, 0x400, "bss"),
    DataObject("end_marker", 0x941000, 0, "bss"),
]


@cache
def vmunix_bytes(wide: bool) -> bytes:
    return build_vmunix(wide=wide, sections=SECTIONS, functions=FUNCTIONS, objects=OBJECTS)


def write(tmp_path: Path, data: bytes) -> Path:
    path = tmp_path / "vmunix"
    path.write_bytes(data)
    return path


def load_error(tmp_path: Path, data: bytes) -> DumpError:
    with pytest.raises(DumpError) as caught:
        KernelImage.load(write(tmp_path, data))
    assert "\n" not in str(caught.value)
    return caught.value


def section_header_at(data: bytes, index: int) -> int:
    """File offset of section header `index` of a file built by the writer."""
    layouts = layouts_for(data[4] == 2)
    header = layouts.ehdr.parse(data)
    return header.e_shoff + index * layouts.shdr.sizeof()


def section_named(data: bytes, name: str) -> tuple[int, object]:
    """(header offset, parsed header) of the section called `name`."""
    elf = ELFFile(io.BytesIO(data))
    index = elf.get_section_index(name)
    at = section_header_at(data, index)
    layouts = layouts_for(data[4] == 2)
    return at, layouts.shdr.parse(data[at:])


def patched(data: bytes, offset: int, new: bytes) -> bytes:
    return data[:offset] + new + data[offset + len(new) :]


# -- construct layouts ------------------------------------------------------------------------

EHDR_VALUES = dict(
    e_ident=dict(ei_class=2, ei_data=2, ei_version=1, ei_osabi=1, ei_abiversion=0),
    e_type=2,
    e_machine=EM_PARISC,
    e_version=1,
    e_entry=0x20000,
    e_phoff=0,
    e_shoff=0x1234,
    e_flags=0x80214,
    e_ehsize=64,
    e_phentsize=0,
    e_phnum=0,
    e_shentsize=64,
    e_shnum=8,
    e_shstrndx=7,
)
SHDR_VALUES = dict(
    sh_name=1,
    sh_type=SHT_PARISC_UNWIND,
    sh_flags=2,
    sh_addr=0x20000,
    sh_offset=0x40,
    sh_size=0x60,
    sh_link=0,
    sh_info=0,
    sh_addralign=4,
    sh_entsize=16,
)
SYM_VALUES = dict(st_name=5, st_value=0x20400, st_size=0x100, st_info=0x12, st_other=0, st_shndx=1)


@pytest.mark.parametrize(
    ("model", "values", "size", "field", "offset", "raw"),
    [
        (
            ELF32_EHDR,
            {**EHDR_VALUES, "e_ident": {**EHDR_VALUES["e_ident"], "ei_class": 1}},
            52,
            "e_machine",
            18,
            b"\x00\x0f",
        ),
        (ELF64_EHDR, EHDR_VALUES, 64, "e_shoff", 40, (0x1234).to_bytes(8, "big")),
        (ELF32_SHDR, SHDR_VALUES, 40, "sh_type", 4, b"\x70\x00\x00\x01"),
        (ELF64_SHDR, SHDR_VALUES, 64, "sh_offset", 24, (0x40).to_bytes(8, "big")),
        (ELF32_SYM, SYM_VALUES, 16, "st_value", 4, b"\x00\x02\x04\x00"),
        (ELF64_SYM, SYM_VALUES, 24, "st_value", 8, (0x20400).to_bytes(8, "big")),
    ],
    ids=["Elf32_Ehdr", "Elf64_Ehdr", "Elf32_Shdr", "Elf64_Shdr", "Elf32_Sym", "Elf64_Sym"],
)
def test_elf_layout_build_parse_size(model, values, size, field, offset, raw) -> None:
    built = model.build(values)
    assert model.sizeof() == len(built) == size
    assert field_offset(model, field) == offset
    assert built[offset : offset + len(raw)] == raw  # big-endian, at the ABI's offset
    parsed = model.parse(built)
    for name, value in values.items():
        if name != "e_ident":
            assert parsed[name] == value
    if "e_ident" in values:
        assert built[:4] == b"\x7fELF"
        assert parsed.e_ident.ei_class == values["e_ident"]["ei_class"]


@pytest.mark.parametrize("model", [ELF32_SYM, ELF64_SYM], ids=["Elf32_Sym", "Elf64_Sym"])
def test_sym_struct_format_matches_construct(model) -> None:
    packer = struct_format(model)
    row = [SYM_VALUES[name] for name in field_names(model)]
    assert packer.size == model.sizeof()
    assert packer.pack(*row) == model.build(SYM_VALUES)


def test_e_ident_layout() -> None:
    built = E_IDENT.build(EHDR_VALUES["e_ident"])
    assert built == b"\x7fELF\x02\x02\x01\x01" + bytes(8)
    assert field_offset(E_IDENT, "ei_data") == 5


def test_unwind_descriptor_build_parse_size() -> None:
    entry = UnwindEntry(
        start=0x20400,
        end=0x204FC,
        frame_size_bytes=128,
        save_rp=True,
        save_sp=False,
        interrupt_marker=True,
        millicode=False,
        cannot_unwind=True,
        args_stored=True,
        entry_gr=3,
        entry_fr=2,
    )
    built = UNWIND_DESCRIPTOR.build(entry_to_container(entry))
    assert UNWIND_DESCRIPTOR.sizeof() == len(built) == 16
    w0, w1, w2, w3 = (int.from_bytes(built[i : i + 4], "big") for i in range(0, 16, 4))
    assert (w0, w1) == (0x20400, 0x204FC)
    # MSB is bit 0: Cannot_unwind=bit 0, Entry_FR=bits 7-10, Entry_GR=bits 11-15,
    # Args_stored=bit 16, Save_RP=bit 28.
    assert w2 == (1 << 31) | (2 << 21) | (3 << 16) | (1 << 15) | (1 << 3)
    # HP_UX_interrupt_marker=bit 1; Total_frame_size in 8-byte units in bits 5-31.
    assert w3 == (1 << 30) | 16
    assert entry_from_container(UNWIND_DESCRIPTOR.parse(built)) == entry
    assert entry_to_words(entry) == (w0, w1, w2, w3)
    assert entry_from_words(w0, w1, w2, w3) == entry


def test_unwind_bit_positions_follow_the_model() -> None:
    by_name = {f.name: f for f in BIT_FIELDS}
    assert (by_name["Cannot_unwind"].word, by_name["Cannot_unwind"].shift) == (2, 31)
    assert (by_name["Region_description"].shift, by_name["Region_description"].mask) == (27, 3)
    assert (by_name["Save_SP"].shift, by_name["Cleanup_defined"].shift) == (4, 0)
    assert (by_name["Large_frame"].word, by_name["Large_frame"].shift) == (3, 29)
    assert by_name["Total_frame_size"].mask == (1 << 27) - 1
    assert len(BIT_FIELDS) == 27  # 64 bits less 3 reserved, in 27 named fields


RESERVED = (1 << (31 - 5)) | (1 << (31 - 26))  # word 2 bits 5 and 26
RESERVED_FRAME = 1 << (31 - 4)


@settings(max_examples=200)
@given(st.tuples(*[st.integers(0, 0xFFFFFFFF)] * 4))
def test_fast_and_construct_unwind_paths_agree(words) -> None:
    raw = b"".join(w.to_bytes(4, "big") for w in words)
    fast = decode_unwind_table(raw)[0]
    assert fast == entry_from_container(UNWIND_DESCRIPTOR.parse(raw))
    # Building drops only the reserved bits, in both paths.
    cleared = (words[0], words[1], words[2] & ~RESERVED, words[3] & ~RESERVED_FRAME)
    assert entry_to_words(fast) == cleared
    assert UNWIND_DESCRIPTOR.build(entry_to_container(fast)) == encode_unwind_table([fast])


def test_entry_to_words_rejects_unencodable_frame() -> None:
    entry = FUNCTIONS[0].unwind_entry()
    with pytest.raises(ValueError, match="multiple of 8"):
        entry_to_words(replace(entry, frame_size_bytes=12))
    with pytest.raises(ValueError, match="does not fit"):
        entry_to_words(replace(entry, entry_gr=32))


# -- writer -> KernelImage round trip ---------------------------------------------------------


@pytest.fixture(params=[False, True], ids=["ELF32", "ELF64"])
def image(request, tmp_path: Path) -> KernelImage:
    return KernelImage.load(write(tmp_path, vmunix_bytes(request.param)))


def test_class_and_pointer_size(image: KernelImage) -> None:
    wide = image.pointer_size == 8
    assert image.wide is wide
    assert vmunix_bytes(wide)[4] == (2 if wide else 1)  # EI_CLASS matches


def test_section_sizes_and_pages(image: KernelImage) -> None:
    assert image.section_sizes == SECTIONS
    sizes = image.section_sizes
    assert (sizes.text_pages, sizes.data_pages, sizes.bss_pages) == (1684, 300, 101)


def test_symbols_round_trip(image: KernelImage) -> None:
    assert image.symbol("panic") == Symbol("panic", 0x20400, 0x100, "func")
    assert image.symbol("mpproc_info") == Symbol("mpproc_info", 0x940000, 0x400, "object")
    assert image.symbol("nosuch") is None
    symbols = image.symbols()
    assert [s.address for s in symbols] == sorted(s.address for s in symbols)
    assert {s.name for s in symbols} == {f.name for f in FUNCTIONS} | {o.name for o in OBJECTS}


@pytest.mark.parametrize(
    ("address", "expected"),
    [
        (0x20400, ("panic", 0)),  # start
        (0x20414, ("panic", 0x14)),  # middle
        (0x204FF, ("panic", 0xFF)),  # last byte
        (0x20500, None),  # one past the end, a gap before ihndlr
        (0x1FFFC, None),  # below every symbol
        (0x800017, ("panicstr", 7)),  # data object
        (0x941000, ("end_marker", 0)),  # zero-size: its own address only
        (0x941001, None),
        (0xFFFFFFFF, None),  # above every symbol
    ],
)
def test_lookup(image: KernelImage, address: int, expected) -> None:
    found = image.lookup(address)
    assert (None if found is None else (found[0].name, found[1])) == expected


def test_symbolize_and_format(image: KernelImage) -> None:
    assert image.symbolize(0x20414) == "panic+0x14"
    assert image.symbolize(0x20400) == "panic"
    assert image.symbolize(0x20500) is None
    assert image.format_symbol(0x20500, missing="???") == "???"
    assert image.format_symbol(0x20104, missing="???") == "boot+0x4"


def test_unwind_round_trip(image: KernelImage) -> None:
    entries = image.unwind_entries
    assert [e.start for e in entries] == sorted(f.address for f in FUNCTIONS)
    assert entries == sorted((f.unwind_entry() for f in FUNCTIONS), key=lambda e: e.start)

    panic = image.unwind_for(0x20400)
    assert panic is not None
    assert (panic.end, panic.frame_size_bytes) == (0x204FC, 128)
    assert (panic.save_rp, panic.args_stored, panic.save_sp, panic.interrupt_marker) == (
        True,
        True,
        False,
        False,
    )
    boot = image.unwind_for(0x202FC)  # the inclusive end
    assert (
        boot is not None
        and boot.start == 0x20100
        and boot.save_sp
        and boot.frame_size_bytes == 0x4000
    )
    ihndlr = image.unwind_for(0x20640)
    assert ihndlr is not None and ihndlr.interrupt_marker and ihndlr.frame_size_bytes == 0x340
    assert image.unwind_for(0x20000).millicode
    assert image.unwind_for(0x20700).cannot_unwind
    assert image.unwind_for(0x20300) is None  # between boot and panic
    assert image.unwind_for(0x1FFFC) is None
    assert image.unwind_for(0x20720) is None  # past the last region


def test_output_is_deterministic_and_order_free() -> None:
    again = build_vmunix(
        wide=True,
        sections=SECTIONS,
        functions=list(reversed(FUNCTIONS)),
        objects=list(reversed(OBJECTS)),
    )
    assert again == vmunix_bytes(True)
    assert vmunix_bytes(True) != vmunix_bytes(False)


def test_write_to_stream_equals_build() -> None:
    stream = io.BytesIO()
    write_vmunix(stream, wide=False, sections=SECTIONS, functions=FUNCTIONS, objects=OBJECTS)
    assert stream.getvalue() == vmunix_bytes(False)


@pytest.mark.parametrize("wide", [False, True], ids=["ELF32", "ELF64"])
def test_pyelftools_reads_the_output(wide: bool) -> None:
    elf = ELFFile(io.BytesIO(vmunix_bytes(wide)))
    assert elf.elfclass == (64 if wide else 32)
    assert not elf.little_endian
    assert elf["e_machine"] == "EM_PARISC"
    names = [s.name for s in elf.iter_sections()]
    assert names == [
        "",
        ".text",
        ".data",
        ".bss",
        ".PARISC.unwind",
        ".symtab",
        ".strtab",
        ".shstrtab",
    ]
    symbols = {s.name: s for s in elf.get_section_by_name(".symtab").iter_symbols()}
    assert symbols["panic"]["st_value"] == 0x20400
    assert symbols["panic"]["st_info"]["type"] == "STT_FUNC"
    assert symbols["mpproc_info"]["st_shndx"] == names.index(".bss")
    assert elf.get_section_by_name(".text")["sh_size"] == 1684 * 4096


@pytest.mark.skipif(shutil.which("readelf") is None, reason="binutils readelf not installed")
@pytest.mark.parametrize("wide", [False, True], ids=["ELF32", "ELF64"])
def test_readelf_reads_the_output(tmp_path: Path, wide: bool) -> None:
    path = write(tmp_path, vmunix_bytes(wide))
    result = subprocess.run(
        ["readelf", "-h", "-S", "-s", "-u", str(path)],
        capture_output=True,
        text=True,
        check=True,
    )
    out = result.stdout
    assert "Warning" not in result.stderr and "Error" not in result.stderr
    assert "HPPA" in out and ("ELF64" if wide else "ELF32") in out
    assert re.search(r"\.PARISC\.unwind\s+PARISC_UNWIND", out)
    assert re.search(r"\.text\s+NOBITS", out)
    assert re.search(r"FUNC\s+GLOBAL\s+DEFAULT\s+1 panic", out)
    assert re.search(r"OBJECT\s+GLOBAL\s+DEFAULT\s+3 mpproc_info", out)
    # binutils decodes our bit layout the same way (its own field names, frame in 8-byte units).
    assert re.search(
        r"<panic>: \[0x0*20400-0x0*204fc\]\s+Args_stored Save_RP Total_frame_size=16", out
    )
    assert re.search(r"<ihndlr>: .*\s+HP_UX_interrupt_marker Total_frame_size=104", out)
    assert re.search(r"<\$\$divU>: .*\s+Millicode", out)
    assert re.search(r"<\$locore_start>: .*\s+Cannot_unwind", out)


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (dict(functions=[*FUNCTIONS, Function("dup", 0x20410, 8)]), "overlap"),
        (dict(functions=[Function("f", 0x20000, 8, frame_size=12)]), "multiple of 8"),
        (dict(functions=[Function("f", 0x10000, 8)]), "outside .text"),
        (dict(functions=[Function("f", 0x20000, 6)]), "multiples of 4"),
        (dict(objects=[*OBJECTS, DataObject("panic", 0x800000, 4, "data")]), "defined twice"),
        (dict(objects=[DataObject("x", 0x800000, 4, "bss")]), "outside .bss"),
    ],
)
def test_writer_rejects_bad_input(change: dict, message: str) -> None:
    arguments = dict(wide=False, sections=SECTIONS, functions=FUNCTIONS, objects=OBJECTS)
    with pytest.raises(ValueError, match=message):
        build_vmunix(**{**arguments, **change})


# -- malformed files --------------------------------------------------------------------------


def test_missing_file(tmp_path: Path) -> None:
    with pytest.raises(DumpError, match="cannot read the kernel image"):
        KernelImage.load(tmp_path / "nosuch")


def test_not_elf(tmp_path: Path) -> None:
    err = load_error(tmp_path, b"#!/bin/sh\n" + bytes(100))
    assert err.problem.startswith("not a kernel file q4py reads: neither ELF") and err.offset == 0
    assert "nor PA-RISC SOM" in err.problem


@pytest.mark.parametrize(
    ("length", "message"),
    [
        (10, "too short for an ELF header"),
        (40, "truncated ELF64 header"),
        (200, "section header table"),
    ],
)
def test_truncated(tmp_path: Path, length: int, message: str) -> None:
    err = load_error(tmp_path, vmunix_bytes(True)[:length])
    assert message in err.problem


def test_wrong_machine(tmp_path: Path) -> None:
    offset = field_offset(ELF32_EHDR, "e_machine")
    err = load_error(tmp_path, patched(vmunix_bytes(False), offset, (62).to_bytes(2, "big")))
    assert "e_machine 62 is not PA-RISC" in err.problem
    assert err.offset == offset


def test_little_endian(tmp_path: Path) -> None:
    offset = field_offset(E_IDENT, "ei_data")
    err = load_error(tmp_path, patched(vmunix_bytes(False), offset, b"\x01"))
    assert "little-endian" in err.problem and err.offset == 5


def test_unknown_class(tmp_path: Path) -> None:
    err = load_error(tmp_path, patched(vmunix_bytes(False), 4, b"\x03"))
    assert "unknown ELF class 3" in err.problem


@pytest.mark.parametrize("wide", [False, True], ids=["ELF32", "ELF64"])
def test_section_offset_past_eof(tmp_path: Path, wide: bool) -> None:
    data = vmunix_bytes(wide)
    at, _header = section_named(data, ".symtab")
    layouts = ELF64 if wide else ELF32
    where = at + field_offset(layouts.shdr, "sh_offset")
    bad = patched(data, where, (len(data) + 0x100).to_bytes(layouts.word_size, "big"))
    err = load_error(tmp_path, bad)
    assert "section 5" in err.problem and "past the end of the file" in err.problem
    assert err.offset == at


def test_unwind_out_of_order(tmp_path: Path) -> None:
    data = vmunix_bytes(False)
    _at, header = section_named(data, ".PARISC.unwind")
    first, second = header.sh_offset, header.sh_offset + 16
    swapped = patched(data, first, data[second : second + 16] + data[first : first + 16])
    err = load_error(tmp_path, swapped)
    assert "unwind entry 1" in err.problem and "sorted" in err.problem
    assert err.offset == second


def test_unwind_overlapping(tmp_path: Path) -> None:
    data = vmunix_bytes(False)
    _at, header = section_named(data, ".PARISC.unwind")
    end_of_first = header.sh_offset + 4  # region_end of entry 0, into entry 1's region
    err = load_error(tmp_path, patched(data, end_of_first, (0x20104).to_bytes(4, "big")))
    assert "unwind entry 1" in err.problem and "non-overlapping" in err.problem


def test_unwind_size_not_multiple_of_16(tmp_path: Path) -> None:
    data = vmunix_bytes(False)
    at, _header = section_named(data, ".PARISC.unwind")
    where = at + field_offset(ELF32_SHDR, "sh_size")
    err = load_error(tmp_path, patched(data, where, (20).to_bytes(4, "big")))
    assert "not a multiple of 16" in err.problem


def test_missing_symtab(tmp_path: Path) -> None:
    data = vmunix_bytes(False)
    at, _header = section_named(data, ".symtab")
    where = at + field_offset(ELF32_SHDR, "sh_type")
    err = load_error(tmp_path, patched(data, where, (1).to_bytes(4, "big")))  # now PROGBITS
    assert "no .symtab" in err.problem


@settings(
    max_examples=150,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
)
@given(
    wide=st.booleans(),
    edits=st.lists(
        st.tuples(st.integers(0, 400), st.binary(min_size=1, max_size=8)), min_size=1, max_size=6
    ),
    cut=st.none() | st.integers(0, 400),
)
def test_mutated_files_raise_only_dump_error(wide: bool, edits, cut) -> None:
    data = vmunix_bytes(wide)
    for position, new in edits:
        data = patched(data, position % len(data), new)[: len(data)]
    if cut is not None:
        data = data[:cut]
    try:
        image = KernelImage.from_bytes(data, "vmunix")
    except DumpError as err:
        assert str(err).startswith("vmunix") and "\n" not in str(err)
    else:
        # Whatever was accepted keeps the loader's promises and answers queries.
        image.symbolize(0x20414)
        entries = image.unwind_entries
        assert all(a.end < b.start for a, b in zip(entries, entries[1:], strict=False))
        assert all(image.unwind_for(e.start) == e for e in entries)
