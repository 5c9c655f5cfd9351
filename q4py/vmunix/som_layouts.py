"""The HP SOM (System Object Model) records of a narrow PA-RISC `vmunix`, defined once (construct).

SOM is the executable format of 32-bit HP-UX, narrow kernels included. The record layouts follow
HP's a.out(4) as GNU binutils carries it (`include/som/aout.h`, `include/som/internal.h`, read and
written by `bfd/som.c`): every field big-endian, bitfields numbered from the most significant bit
(construct's BitStruct reads them in that order). The reader (`q4py.vmunix.som`) and the writer
(`q4py.vmunix.som_writer`) both use these models; bulk records (symbols) go through `struct` with
shifts and masks derived here from the same BitStructs, so a field is written down only once.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass

from construct import (
    BitsInteger,
    BitStruct,
    Flag,
    Int16ub,
    Int32sb,
    Int32ub,
    Struct,
    Transformed,
)

# system_id (PA-RISC level) values, binutils `_PA_RISC*_ID`; BFD accepts 0x20b and 0x210..0x2ff.
CPU_PA_RISC1_0 = 0x020B
CPU_PA_RISC1_1 = 0x0210
CPU_PA_RISC2_0 = 0x0214
CPU_PA_RISC_MAX = 0x02FF

# a_magic: executables only (a kernel is a linked executable).
EXEC_MAGIC = 0x0107
SHARE_MAGIC = 0x0108
DEMAND_MAGIC = 0x010B
EXECUTABLE_MAGICS = {EXEC_MAGIC: "EXEC_MAGIC", SHARE_MAGIC: "SHARE_MAGIC",
                     DEMAND_MAGIC: "DEMAND_MAGIC"}
RELOC_MAGIC = 0x0106
SHL_MAGIC = 0x010E
DL_MAGIC = 0x010D
OTHER_MAGICS = {RELOC_MAGIC: "RELOC_MAGIC (a relocatable object)",
                SHL_MAGIC: "SHL_MAGIC (a shared library)", DL_MAGIC: "DL_MAGIC (a dynamic library)",
                0x0104: "EXECLIBMAGIC (an executable library)", 0x0619: "a relocatable library"}

# version_id: the only two values BFD and Linux accept.
OLD_VERSION_ID = 85082112
NEW_VERSION_ID = 87102412
VERSION_IDS = (OLD_VERSION_ID, NEW_VERSION_ID)

HPUX_AUX_ID = 4  # the exec auxiliary header

# symbol_type values (aout.h ST_*).
ST_NULL, ST_ABSOLUTE, ST_DATA, ST_CODE, ST_PRI_PROG, ST_SEC_PROG, ST_ENTRY = range(7)
ST_STORAGE, ST_STUB, ST_MODULE, ST_SYM_EXT, ST_ARG_EXT, ST_MILLICODE = range(7, 13)
ST_PLABEL, ST_OCT_DIS, ST_MILLI_EXT, ST_TSTORAGE, ST_COMDAT = range(13, 18)
# Types whose symbol_value carries the privilege level in its two low bits (bfd/som.c).
CODE_TYPES = frozenset((ST_CODE, ST_PRI_PROG, ST_SEC_PROG, ST_ENTRY, ST_MILLICODE, ST_STUB))
EXTENSION_TYPES = frozenset((ST_SYM_EXT, ST_ARG_EXT))  # not symbols: records following one
# symbol_scope values.
SS_UNSAT, SS_EXTERNAL, SS_LOCAL, SS_UNIVERSAL = range(4)

# PA-RISC access rights in a subspace's access_control_bits: code (type 2, PL 3/0) and data
# (type 1, PL 3/3), the values GAS gives $CODE$ and $DATA$.
ACCESS_CODE = 0x2C
ACCESS_DATA = 0x1F

HEADER_SIZE = 128

SOM_HEADER = Struct(
    "system_id" / Int16ub,
    "a_magic" / Int16ub,
    "version_id" / Int32ub,
    "file_time_secs" / Int32ub,
    "file_time_nanosecs" / Int32ub,
    "entry_space" / Int32ub,
    "entry_subspace" / Int32ub,
    "entry_offset" / Int32ub,
    "aux_header_location" / Int32ub,
    "aux_header_size" / Int32ub,
    "som_length" / Int32ub,
    "presumed_dp" / Int32ub,
    "space_location" / Int32ub,
    "space_total" / Int32ub,
    "subspace_location" / Int32ub,
    "subspace_total" / Int32ub,
    "loader_fixup_location" / Int32ub,
    "loader_fixup_total" / Int32ub,
    "space_strings_location" / Int32ub,
    "space_strings_size" / Int32ub,
    "init_array_location" / Int32ub,
    "init_array_total" / Int32ub,
    "compiler_location" / Int32ub,
    "compiler_total" / Int32ub,
    "symbol_location" / Int32ub,
    "symbol_total" / Int32ub,
    "fixup_request_location" / Int32ub,
    "fixup_request_total" / Int32ub,
    "symbol_strings_location" / Int32ub,
    "symbol_strings_size" / Int32ub,
    "unloadable_sp_location" / Int32ub,
    "unloadable_sp_size" / Int32ub,
    "checksum" / Int32ub,
)

AUX_ID = Struct(
    "flags" / BitStruct(
        "mandatory" / Flag,
        "copy" / Flag,
        "append" / Flag,
        "ignore" / Flag,
        "reserved" / BitsInteger(12),
        "type" / BitsInteger(16),
    ),
    "length" / Int32ub,  # bytes that follow the 8-byte id
)

EXEC_AUX_HEADER = Struct(
    "aux_id" / AUX_ID,
    "exec_tsize" / Int32ub,
    "exec_tmem" / Int32ub,
    "exec_tfile" / Int32ub,
    "exec_dsize" / Int32ub,
    "exec_dmem" / Int32ub,
    "exec_dfile" / Int32ub,
    "exec_bsize" / Int32ub,
    "exec_entry" / Int32ub,
    "exec_flags" / Int32ub,
    "exec_bfill" / Int32ub,
)

SPACE_RECORD = Struct(
    "name" / Int32ub,  # offset of the first character in the space strings
    "flags" / BitStruct(
        "is_loadable" / Flag,
        "is_defined" / Flag,
        "is_private" / Flag,
        "has_intermediate_code" / Flag,
        "is_tspecific" / Flag,
        "reserved" / BitsInteger(11),
        "sort_key" / BitsInteger(8),
        "reserved2" / BitsInteger(8),
    ),
    "space_number" / Int32sb,
    "subspace_index" / Int32sb,
    "subspace_quantity" / Int32ub,
    "loader_fix_index" / Int32sb,
    "loader_fix_quantity" / Int32ub,
    "init_pointer_index" / Int32sb,
    "init_pointer_quantity" / Int32ub,
)

SUBSPACE_RECORD = Struct(
    "space_index" / Int32sb,
    "flags" / BitStruct(
        "access_control_bits" / BitsInteger(7),
        "memory_resident" / Flag,
        "dup_common" / Flag,
        "is_common" / Flag,
        "is_loadable" / Flag,
        "quadrant" / BitsInteger(2),
        "initially_frozen" / Flag,
        "is_first" / Flag,
        "code_only" / Flag,
        "sort_key" / BitsInteger(8),
        "replicate_init" / Flag,
        "continuation" / Flag,
        "is_tspecific" / Flag,
        "is_comdat" / Flag,
        "reserved" / BitsInteger(4),
    ),
    "file_loc_init_value" / Int32sb,
    "initialization_length" / Int32ub,
    "subspace_start" / Int32ub,
    "subspace_length" / Int32ub,
    "alignment" / BitStruct("reserved2" / BitsInteger(5), "alignment" / BitsInteger(27)),
    "name" / Int32ub,
    "fixup_request_index" / Int32sb,
    "fixup_request_quantity" / Int32ub,
)

SYMBOL_RECORD = Struct(
    "flags" / BitStruct(
        "hidden" / Flag,
        "secondary_def" / Flag,
        "symbol_type" / BitsInteger(6),
        "symbol_scope" / BitsInteger(4),
        "check_level" / BitsInteger(3),
        "must_qualify" / Flag,
        "initially_frozen" / Flag,
        "memory_resident" / Flag,
        "is_common" / Flag,
        "dup_common" / Flag,
        "xleast" / BitsInteger(2),
        "arg_reloc" / BitsInteger(10),
    ),
    "name" / Int32ub,
    "qualifier_name" / Int32ub,
    "info" / BitStruct(
        "has_long_return" / Flag,
        "no_relocation" / Flag,
        "is_comdat" / Flag,
        "reserved" / BitsInteger(5),
        "symbol_info" / BitsInteger(24),
    ),
    "symbol_value" / Int32ub,
)

SYMBOL_SIZE = 20


@dataclass(frozen=True)
class WordField:
    """One bitfield of a record: which 32-bit word (by member name) and where in it."""

    word: str
    shift: int
    mask: int

    def get(self, value: int) -> int:
        return (value >> self.shift) & self.mask

    def put(self, value: int) -> int:
        if not 0 <= value <= self.mask:
            raise ValueError(f"{value:#x} does not fit a {self.mask.bit_length()}-bit field")
        return value << self.shift


def word_fields(model: Struct) -> dict[str, WordField]:
    """The bitfields of `model`'s BitStruct members, as shifts in their 32-bit word (MSB first)."""
    found: dict[str, WordField] = {}
    for member in model.subcons:
        bits = member.subcon
        if not isinstance(bits, Transformed):
            continue
        position, word_bits = 0, 8 * member.sizeof()
        for field in bits.subcon.subcons:
            width = field.sizeof()  # bits, inside a BitStruct
            if field.name is not None:
                found[field.name] = WordField(member.name, word_bits - position - width,
                                              (1 << width) - 1)
            position += width
        assert position == word_bits, f"{member.name} has {position} bits"
    return found


def words_format(model: Struct) -> struct.Struct:
    """`model` as big-endian 32-bit words (every SOM record member is one word)."""
    assert all(member.sizeof() == 4 for member in model.subcons)
    return struct.Struct(">" + "I" * len(model.subcons))


SYMBOL_FIELDS = word_fields(SYMBOL_RECORD)
SYMBOL_WORDS = words_format(SYMBOL_RECORD)
SYMBOL_MEMBERS = tuple(member.name for member in SYMBOL_RECORD.subcons)

assert SOM_HEADER.sizeof() == HEADER_SIZE
assert EXEC_AUX_HEADER.sizeof() == 48 and SPACE_RECORD.sizeof() == 36
assert SUBSPACE_RECORD.sizeof() == 40 and SYMBOL_RECORD.sizeof() == SYMBOL_SIZE == SYMBOL_WORDS.size


def header_checksum(header: bytes) -> int:
    """XOR of the header's 32 big-endian words (0 for a valid header, checksum included)."""
    value = 0
    for (word,) in struct.iter_unpack(">I", header[:HEADER_SIZE]):
        value ^= word
    return value


def is_som(data: bytes) -> bool:
    """Whether `data` starts like a PA-RISC SOM (BFD's system_id rule); a_magic checked later."""
    if len(data) < 4:
        return False
    system_id = int.from_bytes(data[:2], "big")
    return system_id == CPU_PA_RISC1_0 or CPU_PA_RISC1_1 <= system_id <= CPU_PA_RISC_MAX


def string_table(names: list[str]) -> tuple[bytes, list[int]]:
    """A SOM string table and each name's offset (that of its first character).

    Each entry: a u32 length, the bytes, a NUL, NUL padding to a 4-byte boundary.
    """
    table = bytearray()
    offsets = []
    for name in names:
        raw = name.encode("ascii")
        table += len(raw).to_bytes(4, "big")
        offsets.append(len(table))
        table += raw + b"\0"
        table += bytes(-len(table) % 4)
    return bytes(table), offsets
