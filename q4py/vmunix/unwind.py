"""The PA-RISC unwind descriptor (`.PARISC.unwind`), defined once as a construct model.

Each function has one 16-byte descriptor of four big-endian 32-bit words: region_start,
region_end (inclusive: the address of the region's last instruction), a word of flags and a word
holding interrupt markers plus the frame size in 8-byte units. Bits are numbered from the most
significant (bit 0), as in the HP runtime architecture and in the bitfield structs of GDB's
`hppa-tdep.h` and binutils' `readelf.c`, whose field names the model keeps.

q4py stores region_start/region_end as absolute addresses (the HP-UX linker writes them relative
to the text segment in shared objects; a kernel is linked at its run address, so both agree).

Two ways through the same layout:
- `UNWIND_DESCRIPTOR` (construct) parses and builds one descriptor: the definition.
- `decode_unwind_table` / `encode_unwind_table` do thousands with `struct` and shift/mask. The
  shifts and masks are computed at import from the BitStruct's field order and widths, so moving
  a field in the model moves it in the fast path too.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass, fields
from typing import Any

from construct import BitsInteger, BitStruct, Flag, Int32ub, Padding, Struct, Transformed

FRAME_UNIT = 8  # Total_frame_size counts 8-byte doublewords
DESCRIPTOR_SIZE = 16

# Word 2. MSB first: construct's BitStruct reads bits in this order.
_FLAGS_WORD = BitStruct(
    "Cannot_unwind" / Flag,  # bit 0
    "Millicode" / Flag,
    "Millicode_save_sr0" / Flag,
    "Region_description" / BitsInteger(2),  # bits 3-4
    Padding(1),  # bit 5 reserved
    "Entry_SR" / Flag,  # bit 6
    "Entry_FR" / BitsInteger(4),  # bits 7-10: callee-saved FP registers
    "Entry_GR" / BitsInteger(5),  # bits 11-15: callee-saved general registers
    "Args_stored" / Flag,  # bit 16
    "Variable_Frame" / Flag,
    "Separate_Package_Body" / Flag,
    "Frame_Extension_Millicode" / Flag,
    "Stack_Overflow_Check" / Flag,
    "Two_Instruction_SP_Increment" / Flag,
    "Ada_Region" / Flag,
    "cxx_info" / Flag,
    "cxx_try_catch" / Flag,
    "sched_entry_seq" / Flag,  # bit 25
    Padding(1),  # bit 26 reserved
    "Save_SP" / Flag,  # bit 27
    "Save_RP" / Flag,
    "Save_MRP_in_frame" / Flag,
    "extn_ptr_defined" / Flag,
    "Cleanup_defined" / Flag,  # bit 31
)

# Word 3.
_FRAME_WORD = BitStruct(
    "MPE_XL_interrupt_marker" / Flag,  # bit 0
    "HP_UX_interrupt_marker" / Flag,  # bit 1: the region is an interruption handler
    "Large_frame" / Flag,
    "Pseudo_SP_Set" / Flag,
    Padding(1),  # bit 4 reserved
    "Total_frame_size" / BitsInteger(27),  # bits 5-31, in FRAME_UNIT bytes
)

UNWIND_DESCRIPTOR = Struct(
    "region_start" / Int32ub,
    "region_end" / Int32ub,
    "flags" / _FLAGS_WORD,
    "frame" / _FRAME_WORD,
)


@dataclass(frozen=True, slots=True)
class UnwindEntry:
    """One decoded descriptor. `end` is inclusive; `frame_size_bytes` is already in bytes."""

    start: int
    end: int
    frame_size_bytes: int
    save_rp: bool
    save_sp: bool
    interrupt_marker: bool  # HP_UX_interrupt_marker
    millicode: bool
    cannot_unwind: bool
    args_stored: bool
    millicode_save_sr0: bool = False
    region_description: int = 0
    entry_sr: bool = False
    entry_fr: int = 0
    entry_gr: int = 0
    variable_frame: bool = False
    separate_package_body: bool = False
    frame_extension_millicode: bool = False
    stack_overflow_check: bool = False
    two_instruction_sp_increment: bool = False
    ada_region: bool = False
    cxx_info: bool = False
    cxx_try_catch: bool = False
    sched_entry_seq: bool = False
    save_mrp_in_frame: bool = False
    extn_ptr_defined: bool = False
    cleanup_defined: bool = False
    mpe_xl_interrupt_marker: bool = False
    large_frame: bool = False
    pseudo_sp_set: bool = False

    def contains(self, pc: int) -> bool:
        return self.start <= pc <= self.end


# Model names that do not simply lower-case into the dataclass's attribute names.
_ATTRIBUTE = {"HP_UX_interrupt_marker": "interrupt_marker", "Total_frame_size": "frame_size_bytes"}


@dataclass(frozen=True)
class BitField:
    """Where one named bitfield of the model sits in its 32-bit word."""

    name: str  # the model's name, e.g. "Save_RP"
    attribute: str  # the UnwindEntry attribute, e.g. "save_rp"
    word: int  # 2 or 3
    shift: int  # right shift that brings the field to bit 0 of an int
    mask: int
    is_flag: bool
    scale: int  # FRAME_UNIT for Total_frame_size, else 1


def _derive_bit_fields(model: Struct) -> tuple[BitField, ...]:
    """Walk the BitStructs of `model` and turn MSB-first positions into shifts."""
    found = []
    for word, sub in enumerate(model.subcons):
        bits = sub.subcon  # Renamed -> the BitStruct (a Transformed around a Struct)
        if not isinstance(bits, Transformed):
            continue  # region_start / region_end are whole words
        position, word_bits = 0, 8 * sub.sizeof()
        for field in bits.subcon.subcons:
            width = field.sizeof()  # inside a BitStruct, sizes are in bits
            if field.name is not None:
                attribute = _ATTRIBUTE.get(field.name, field.name.lower())
                found.append(
                    BitField(
                        name=field.name,
                        attribute=attribute,
                        word=word,
                        shift=word_bits - position - width,
                        mask=(1 << width) - 1,
                        is_flag=field.subcon is Flag,  # construct's Flag is a singleton
                        scale=FRAME_UNIT if field.name == "Total_frame_size" else 1,
                    )
                )
            position += width
        if position != word_bits:
            raise AssertionError(f"unwind word {word} has {position} bits, not {word_bits}")
    return tuple(found)


def _word_format(model: Struct) -> struct.Struct:
    """The members of `model` as big-endian unsigned words, each as wide as in the model."""
    codes = {1: "B", 2: "H", 4: "I", 8: "Q"}
    return struct.Struct(">" + "".join(codes[sub.sizeof()] for sub in model.subcons))


BIT_FIELDS = _derive_bit_fields(UNWIND_DESCRIPTOR)
_WORDS = _word_format(UNWIND_DESCRIPTOR)

# Checked at import so a typo in either definition fails loudly, not as a silent wrong bit.
assert UNWIND_DESCRIPTOR.sizeof() == DESCRIPTOR_SIZE == _WORDS.size
assert {f.attribute for f in BIT_FIELDS} | {"start", "end"} == {f.name for f in fields(UnwindEntry)}


def entry_from_words(w0: int, w1: int, w2: int, w3: int) -> UnwindEntry:
    """Decode one descriptor given as its four words (the fast path)."""
    words = (w0, w1, w2, w3)
    values: dict[str, Any] = {"start": w0, "end": w1}
    for f in BIT_FIELDS:
        raw = (words[f.word] >> f.shift) & f.mask
        values[f.attribute] = bool(raw) if f.is_flag else raw * f.scale
    return UnwindEntry(**values)


def entry_to_words(entry: UnwindEntry) -> tuple[int, int, int, int]:
    """Encode one entry as its four words; reserved bits are zero."""
    words = [entry.start, entry.end, 0, 0]
    for f in BIT_FIELDS:
        value = getattr(entry, f.attribute)
        if f.scale != 1:
            if value % f.scale:
                raise ValueError(f"{f.attribute}={value} is not a multiple of {f.scale}")
            value //= f.scale
        if not 0 <= value <= f.mask:
            raise ValueError(f"{f.attribute}={value} does not fit {f.name}")
        words[f.word] |= int(value) << f.shift
    return words[0], words[1], words[2], words[3]


def unwind_words(data: bytes) -> list[tuple[int, int, int, int]]:
    """The raw words of every descriptor; `len(data)` must be a multiple of 16.

    Decoding an entry costs ~10 us (mostly building the dataclass), so `KernelImage` keeps these
    tuples, checks the ordering on them, and decodes an entry only when it is asked for.
    """
    return list(_WORDS.iter_unpack(data))


def decode_unwind_table(data: bytes) -> list[UnwindEntry]:
    """All descriptors of a `.PARISC.unwind` section; `len(data)` must be a multiple of 16."""
    return [entry_from_words(*words) for words in _WORDS.iter_unpack(data)]


def encode_unwind_table(entries: list[UnwindEntry]) -> bytes:
    """The section bytes for `entries`, in the order given."""
    return b"".join(_WORDS.pack(*entry_to_words(e)) for e in entries)


def entry_from_container(parsed: Any) -> UnwindEntry:
    """Convert a construct parse of `UNWIND_DESCRIPTOR` to an UnwindEntry."""
    values: dict[str, Any] = {"start": parsed.region_start, "end": parsed.region_end}
    for f in BIT_FIELDS:
        raw = parsed[("flags", "frame")[f.word - 2]][f.name]
        values[f.attribute] = bool(raw) if f.is_flag else raw * f.scale
    return UnwindEntry(**values)


def entry_to_container(entry: UnwindEntry) -> dict[str, Any]:
    """The dict `UNWIND_DESCRIPTOR.build` takes for `entry`."""
    words: dict[str, dict[str, Any]] = {"flags": {}, "frame": {}}
    for f in BIT_FIELDS:
        value = getattr(entry, f.attribute)
        words[("flags", "frame")[f.word - 2]][f.name] = value // f.scale
    return {"region_start": entry.start, "region_end": entry.end, **words}
