"""The scenario file: a crash described as its causes, validated against one schema.

A scenario says what the system was (memory size, processors, kernel functions with their
frame sizes), what state the kernel held (page classes, processes, buffer cache, swap, maps, the
message buffer) and how it crashed (events with their call chains and traps). It never states a
figure the decoder derives: stack pointers, sums, percentages and sizes come out of the dump.
Every key is documented in docs/scenario-format.md.
"""

from __future__ import annotations

import re
import sys
from pathlib import Path
from typing import Any

from q4py.dumps import DUMP_FORMATS
from q4py.errors import ScenarioError
from q4py.forge.fs import MOUNT
from q4py.forge.pages import PFDAT_CHUNK
from q4py.forge.sched import BETA_SEMA, LOCK, RW_LOCK, SWAP_MEMORY, THREAD_DEFAULTS, THREAD_GROUP
from q4py.forge.schema import Any_, Bool, Float, Int, List, MapOf, Str, Table
from q4py.forge.stacks import CONTEXT
from q4py.forge.system import LPMC_ENTRY, PROCESSOR_KEYS
from q4py.forge.thread_tables import THREAD_TABLE
from q4py.layouts.crash import EVENT_CODES, EVENT_STATE_CODES
from q4py.layouts.system import CPU_TYPE_CODES
from q4py.layouts.vm import ARENA_NAME_SIZE, BUCKET_FIRST, BUCKET_LAST, KALLOC_POOLS

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib

_TIME = re.compile(r"^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d$", re.ASCII)


def _time_problem(text: str) -> str | None:
    return None if _TIME.match(text) else f"'{text}' is not a time like '2004-06-28 11:35:46'"


def _bucket_problem(key: str) -> str | None:
    if key.isascii() and key.isdigit() and BUCKET_FIRST <= int(key) <= BUCKET_LAST:
        return None
    return f"bucket index must be {BUCKET_FIRST}..{BUCKET_LAST}"


_U32 = 0xFFFFFFFF
_U64 = 0xFFFFFFFFFFFFFFFF

SYSTEM = Table("What the machine was.", required=True, keys={
    "width": Str("Kernel width: `narrow` (32-bit) or `wide` (64-bit).", required=True,
                 choices=("narrow", "wide")),
    "release": Str("HP-UX release as utsname holds it, e.g. `B.11.00`.", required=True),
    "sysname": Str("utsname sysname.", default="HP-UX"),
    "hostname": Str("Node name (utsname nodename and INDEX hostname).", required=True),
    "machine": Str("utsname machine.", default="9000/800"),
    "model": Str("Model string (INDEX modelname), e.g. `9000/800/K360`.", required=True),
    "memory_pages": Int("Physical memory in 4 KB pages (INDEX memsize, physmem).",
                        required=True, minimum=256),
    "dump_time": Str("Local wall-clock time of the crash.", required=True, check=_time_problem),
    "boot_time": Str("Local wall-clock time of the last boot.", required=True,
                     check=_time_problem),
    "save_delay": Int("Seconds from the crash to savecrash (INDEX savetime).", default=120),
    "timezone_minutes_west": Int("The kernel's tz.tz_minuteswest (480 is UTC-8).", default=0),
    "hz": Int("Clock ticks per second.", default=100, minimum=1),
    "load_average": List("avenrun: three load averages.", item=Float(""), default=[0.0] * 3),
    "panic": Str("The panic message (panicstr and INDEX panic); empty for none.", default=""),
    "vpars": Bool("The kernel runs in a virtual partition under the vPars monitor (sets "
                  "vpar_partition): processors of other partitions show as disabled.",
                  default=False),
})

DUMP = Table("How the dump was saved.", keys={
    "format": Str("Dump format: `crashdir` (savecrash, 11.00 on), `coredir` (savecore of "
                  "10.x: core.N.M chunks) or `corefile` (a directory holding `core` and "
                  "`vmunix`).", default="crashdir", choices=DUMP_FORMATS),
    "chunk_pages": Int("Pages per image file (crashdir) or per core.N.M chunk (coredir).",
                       default=2048, minimum=1),
    "compress": Bool("Write gzip-compressed image files (crashdir).", default=False),
})

PROCESSOR = Table("One processor.", keys={
    "hpa": Int("Hard physical address of the processor.", required=True, minimum=0,
               maximum=_U64),
    "type": Str("Processor type (PCXL2 is PA-RISC 1.1: its crash events' rpb holds the "
                "narrow PIM).", required=True, choices=tuple(CPU_TYPE_CODES)),
    "mhz": Int("Clock in MHz (sets itick_per_tick with hz).", required=True, minimum=1),
    "enabled": Bool("Whether the processor is enabled.", default=True),
    **PROCESSOR_KEYS,
})

def _offset_problem(key: str) -> str | None:
    return None if re.fullmatch(r"0x[0-9a-fA-F]+", key) else \
        f"'{key}' is not an offset like '0x13c'"


FUNCTION = Table("A kernel function in vmunix, with its unwind descriptor.", keys={
    "name": Str("Symbol name.", required=True),
    "address": Int("Start address.", required=True, minimum=0, maximum=_U32),
    "size": Int("Size in bytes.", required=True, minimum=4),
    "frame": Int("Frame size in bytes (a multiple of 8).", default=0, minimum=0),
    "save_rp": Bool("The function saves RP in its caller's frame marker.", default=True),
    "interrupt": Bool("HP-UX interrupt marker: a trap/interrupt handler with a save_state.",
                      default=False),
    "args_stored": Bool("The unwind descriptor's Args_stored flag (set anyway when "
                        "`stored_args` is not empty).", default=False),
    "stored_args": List("Arguments (0..7 wide, 0..3 narrow) the function's prologue stores in "
                        "its caller's frame; the forge writes those stores as the first "
                        "instructions of the function.", item=Int("", minimum=0, maximum=7)),
    "millicode": Bool("A millicode routine.", default=False),
    "outgoing_args": MapOf("Calls this function makes that write arguments in their outgoing "
                           "argument area (the callee's home slots) before the branch, by the "
                           "call's return offset: `{ \"0x13c\" = [0, 2] }`. The forge writes "
                           "one `std argN` per argument right before the branch; the decoder "
                           "shows those arguments of the frames this call made.",
                           value=List("", item=Int("", minimum=0, maximum=7)),
                           key_check=_offset_problem),
})

TRANSLATION = Table("One page of a space mapped through the hashed page directory.", keys={
    "space": Int("Space of the virtual page.", default=0, minimum=0, maximum=_U32),
    "address": Int("Virtual address in the page.", required=True, minimum=0, maximum=_U64),
    "physical": Int("Physical address it maps to (the I/O range is sign-extended: "
                    "0xfffffffff4800000).", required=True, minimum=0, maximum=_U64),
    "access_rights": Int("PA-RISC access rights (0x10 is kernel read/write).", default=0x10,
                         minimum=0, maximum=0x7F),
    "protection_key": Int("Protection id (0 is public).", default=0, minimum=0,
                          maximum=0xFFFF),
    "page_size": Int("Page size in bytes: 4 KB times a power of 4.", default=4096,
                     minimum=4096),
    "pde": Int("Address of its hpde2_0_t; -1 for the chain head when free, else the heap.",
               default=-1, minimum=-1),
})

def _patch_problem(text: str) -> str | None:
    return None if re.fullmatch(r"PH[A-Z]{2}_\d+", text) else \
        f"'{text}' is no patch name (PHKL_12345, PHNE_..., PHCO_...)"


INTERRUPT = Table("One EIRR bit's entry of the external interrupt table.", keys={
    "bit": Int("The EIRR bit, PA-RISC numbering (0 the most significant; below 32 narrow).",
               required=True, minimum=0, maximum=63),
    "handler": Str("The function its interrupt runs (declared in kernel.functions or placed "
                   "by the forge).", required=True),
    "spl": Int("The EIEM it runs at (an SPL level's value).", required=True, minimum=0,
               maximum=0xFFFFFFFFFFFFFFFF),
})


def _ipv4_problem(text: str) -> str | None:
    parts = text.split(".")
    if len(parts) == 4 and all(p.isdigit() and int(p) < 256 for p in parts):
        return None
    return f"'{text}' is no IPv4 address"


LAN_ADDRESS = Table("One IP address of an interface.", keys={
    "address": Str("Dotted IPv4 address.", required=True, check=_ipv4_problem),
    "up": Bool("The address is up (ifconfig up).", default=True),
})

LAN_INTERFACE = Table("A LAN interface (struct lan_ift).", keys={
    "name": Str("Interface name (`lan0`).", required=True),
    "ppa": Int("Physical point of attachment.", required=True, minimum=0),
    "driver": Str("Driver name (`btlan`).", required=True),
    "description": Str("Interface description (`100BT PCI Built-in`).", default=""),
    "mac": Int("Station address (48 bits).", default=0, minimum=0, maximum=0xFFFFFFFFFFFF),
    "link_up": Bool("The link is up.", default=True),
    "ip": List("Its IP addresses (up to 4); none: not configured.", item=LAN_ADDRESS),
})


KERNEL = Table("The kernel image: sections, functions, placement of static and dynamic data.",
               required=True, keys={
    "file_format": Str("The vmunix file format: `som` (HP SOM, 32-bit only) or `elf`; "
                       "default SOM for a narrow kernel, as on real systems, ELF64 for a wide "
                       "one.", choices=("som", "elf")),
    "text_address": Int("Start of kernel text.", default=0, minimum=0),
    "data_address": Int("Start of kernel data (defaults to just after text).", default=-1),
    "heap": Int("First address the forge uses for kernel dynamic data (equivalently mapped).",
                required=True, minimum=0),
    "functions": List("Kernel functions.", item=FUNCTION),
    "symbols": MapOf("Addresses of kernel globals that must sit at a known place "
                     "(name = address); others are placed in .data by the forge.",
                     value=Int("", minimum=0)),
    "htbl_entries": Int("Heads in the hashed page directory (a power of two).",
                        default=4096, minimum=1),
    "mpinfo": Int("Address of the per-processor information array (mpproc_info); -1: "
                  "kernel dynamic data.", default=-1),
    "htbl_address": Int("Where htbl sits (space 0); -1 places it in kernel dynamic data.",
                        default=-1, minimum=-1),
    "htbl_empty_space": Int("pde_space of an unused htbl head (11.00 wrote 1, 11.11 -1).",
                            default=1, minimum=0, maximum=_U32),
    "proc_table": Int("Where 11.00's process table `proc[nproc]` is; -1: kernel dynamic data.",
                      default=-1, minimum=-1),
    "kthread_table": Int("Where 11.00's thread table `kthread[nkthread]` is; -1: kernel dynamic "
                         "data.", default=-1, minimum=-1),
    "translations": List("Page translations the kernel had besides the pages the forge maps "
                         "for stacks (I/O pages, say).", item=TRANSLATION),
    "patches": List("Kernel patches installed (`PHKL_18543`): each puts its what-string "
                    "(`@(#) PATCH_11.00: PHKL_18543`) in kernel data.",
                    item=Str("", check=_patch_problem)),
})

def _arena_problem(name: str) -> str | None:
    if not name or len(name.encode()) >= ARENA_NAME_SIZE or not name.isascii():
        return f"an arena name is 1 to {ARENA_NAME_SIZE - 1} ASCII characters"
    return None


PAGES = Table("Physical page classes: how many pages the kernel used for what (pfdat).",
              required=True, keys={
    "free": Int("Free pages (also sets freemem).", required=True, minimum=0),
    "text": Int("Kernel text pages.", default=0, minimum=0),
    "data": Int("Kernel data pages.", default=0, minimum=0),
    "bss": Int("Kernel bss pages.", default=0, minimum=0),
    "static": Int("Other static kernel pages.", default=0, minimum=0),
    "buckets": MapOf("MALLOC bucket index (5..20) = pages.", value=Int("", minimum=0),
                     key_check=_bucket_problem),
    "arenas": MapOf("Kernel memory arenas of an 11i kernel, which has them instead of MALLOC "
                    "buckets: arena name = pages, in the order the kernel made them "
                    "(sets kmem_arenas).", value=Int("", minimum=0),
                    key_check=_arena_problem),
    "reserved": Int("Reserved pool pages.", default=0, minimum=0),
    "kalloc": MapOf(f"kalloc() pool ({', '.join(KALLOC_POOLS)}) = pages.",
                    value=Int("", minimum=0),
                    key_check=lambda k: None if k in KALLOC_POOLS else
                    f"kalloc pool must be one of {', '.join(KALLOC_POOLS)}"),
    "eqalloc": Int("eqalloc() pages.", default=0, minimum=0),
    "bufcache": Int("Buffer cache pages (also sets bufpages).", default=0, minimum=0),
    "eqmem": Int("Equivalently mapped memory pages.", default=0, minimum=0),
    "scmem": Int("Critical memory pages.", default=0, minimum=0),
    "uarea": Int("Thread u-area pages.", default=0, minimum=0),
    "disowned": Int("Disowned pages.", default=0, minimum=0),
    "unlisted": Int("Pages of a class kmeminfo does not list (counted in Used only).",
                    default=0, minimum=0),
    "user": Int("User pages; by default every page not in another class.", default=-1),
    "bad": List("Page frame numbers marked P_BAD.", item=Int("", minimum=0)),
    "pfdat_chunks": List("pfdat in pieces, by the page each begins with (static, eqmem and "
                         "reserved pages then have no entry).", item=PFDAT_CHUNK),
})

EVENT = Table("A crash event.", keys={
    "kind": Str("Event type.", required=True, choices=tuple(EVENT_CODES)),
    "cpu": Int("Processor index.", required=True, minimum=0),
    "rpb": Int("Address of the event's rpb_t in kernel static data.", required=True,
               minimum=0),
    "space": Int("Space of the kernel stack the event ran on (its SR5).", required=True,
                 minimum=0, maximum=_U32),
    "stack_base": Int("Offset where that kernel stack begins.", required=True, minimum=0),
    "spinlock_depth": Int("Spinlocks held.", default=0, minimum=0),
    "state": Str("The processor's state letter in the event table.", default="E",
                 choices=tuple(EVENT_STATE_CODES)),
    "contexts": List("Stack contexts, innermost first.", item=CONTEXT),
})

PROCESS = Table("A process.", keys={
    "pid": Int("Process id.", required=True, minimum=0),
    "command": Str("Command name (15 bytes at most are kept).", required=True),
    "cmdline": Str("Command line (pst_cmds at 11.00, p_cmds at 11i; 63 bytes at most are "
                   "kept); empty: the command name.", default=""),
    "virtual": Int("Virtual size in pages.", default=0, minimum=0),
    "physical": Int("Resident pages.", default=0, minimum=0),
    "swap": Int("Swap pages held for its private pages (vas va_swprss).", default=0,
                minimum=0),
    "deactivated": Bool("Deactivated by the memory scheduler.", default=False),
    "uid": Int("User id.", default=0, minimum=0),
    "ppid": Int("Parent process id.", default=0, minimum=0),
    "address": Int("Where its struct proc is (11i's list); -1: kernel dynamic data.",
                   default=-1, minimum=-1),
    "slot": Int("Its slot of 11.00's process table, after the previous process's (the slots "
                "between stay unused); -1: the next slot.", default=-1, minimum=-1),
})

PROCESS_GROUP = Table("Many similar processes, generated.", keys={
    "command": Str("Command name.", required=True),
    "cmdline": Str("Command line of each; empty: the command name.", default=""),
    "count": Int("How many.", required=True, minimum=1),
    "first_pid": Int("Pid of the first; the rest follow by `pid_step`.", required=True),
    "pid_step": Int("Pid increment.", default=1, minimum=1),
    "virtual": Int("Virtual size in pages of each.", default=0, minimum=0),
    "physical": List("Resident pages: from the first process's to the last's, spread evenly.",
                     item=Int("", minimum=0), default=[0, 0]),
    "deactivated": Bool("All deactivated.", default=False),
    "ppid": Int("Parent process id of each.", default=0, minimum=0),
})

SWAP_DEVICE = Table("A swap device.", keys={
    "major": Int("Device major number (64 is LVM).", required=True, minimum=0),
    "minor": Int("Device minor number (LVM: volume group << 16 | logical volume).",
                 required=True, minimum=0),
    "kilobytes": Int("Size in 1 KB blocks.", required=True, minimum=0),
    "free_pages": Int("Free 4 KB pages.", required=True, minimum=0),
    "priority": Int("Swap priority.", default=1, minimum=0),
    "start": Int("First block used.", default=0, minimum=0),
})

MAP_ENTRY = Table("A free run in a resource map.", keys={
    "addr": Int("First free page.", required=True, minimum=0),
    "size": Int("Pages in the run.", required=True, minimum=1),
})

RESOURCE_MAP = Table("A resource map (struct map + mapent array).", keys={
    "name": Str("The map's name string.", required=True),
    "address": Int("Address of the map header.", required=True, minimum=0),
    "entries": Int("Configured map size in entries, header included.", required=True,
                   minimum=2),
    "symbols": List("Kernel globals (struct map *) that point at this map.",
                    item=Str(""), required=True),
    "free": List("Free runs, in order.", item=MAP_ENTRY),
})

OBJECT = Table("Any registered structure placed in memory with field values.", keys={
    "type": Str("C type name, e.g. `struct buf`.", required=True),
    "address": Int("Where it goes (space 0).", default=-1),
    "symbol": Str("Or: the kernel global it is (the symbol's address).", default=""),
    "fields": Any_("Field values; nested structures as tables, arrays as lists."),
})

BUF_LIST = Table("Buffer headers (struct buf) linked through av_forw, generated.", keys={
    "address": Int("Address (space 0) of the first buffer.", required=True, minimum=0),
    "count": Int("Buffers in the list; without a queue the last one's av_forw is NULL.",
                 required=True, minimum=1),
    "queue": Str("The free list (bfreelist queue) the buffers are on, after the lists named "
                 "before with the same queue: the list rings through its head; empty: none.",
                 default="", choices=("", "locked", "lru", "age", "empty")),
    "stride": Int("Bytes from one buffer to the next; 0 packs them (sizeof(struct buf)).",
                  default=0, minimum=0),
    "bcount": Int("b_bcount and b_bufsize of every buffer, in bytes.", default=8192,
                  minimum=0),
    "first_block": Int("b_blkno of the first buffer; each next one follows by bcount / 1024.",
                       default=0, minimum=0),
})

RAW_BYTES = Table("Bytes placed as they are: memory that holds no structure (garbage).", keys={
    "address": Int("Where they go.", required=True, minimum=0, maximum=_U64),
    "space": Int("Space of `address` (0 is equivalently mapped).", default=0, minimum=0,
                 maximum=_U32),
    "hex": Str("The bytes in hex (blanks allowed).", default=""),
    "counting": Int("Or: this many bytes counting up from `first` (mod 256).", default=0,
                    minimum=0),
    "first": Int("First byte of a `counting` run.", default=0, minimum=0, maximum=0xFF),
})

SCENARIO = Table("A crash scenario.", keys={
    "system": SYSTEM,
    "dump": DUMP,
    "processors": List("The processors.", item=PROCESSOR, required=True),
    "kernel": KERNEL,
    "pages": PAGES,
    "vm": MapOf("VM globals by kernel name (gpgslim, lotsfree, ...): int or list of floats.",
                value=Any_("")),
    "bufcache": MapOf("Buffer cache globals by kernel name (nbuf, dbc_max_pct, ...).",
                      value=Int("")),
    "processes": List("Processes, in process table order.", item=PROCESS),
    "process_groups": List("Generated processes, after `processes` in the table.",
                           item=PROCESS_GROUP),
    "nproc": Int("Process table size.", default=1024, minimum=1),
    "swap": Table("Swap.", keys={
        "devices": List("Swap devices.", item=SWAP_DEVICE),
        "reserved_pages": Int("Pages reserved but not allocated on a device (at most the "
                              "devices' free pages: swapspc_cnt is what is left of them).",
                              default=0,
                              minimum=0),
        "memory": SWAP_MEMORY,
    }),
    "maps": List("Resource maps.", item=RESOURCE_MAP),
    "msgbuf": Table("The kernel message buffer.", keys={
        "size": Int("Bytes of text the buffer holds.", default=8192, minimum=16),
        "text": Str("What the kernel had logged.", default=""),
    }),
    "events": List("Crash events, in table order.", item=EVENT, required=True),
    "globals": MapOf("Any other declared kernel global = value.", value=Any_("")),
    "objects": List("Any registered structure at an address or symbol.", item=OBJECT),
    "threads": List("Kernel threads, in groups of alike threads (11.00 table or 11i list by "
                    "release).", item=THREAD_GROUP),
    "thread_tables": List("Many kernel threads, one row each (hang reports' thread tables): "
                          "each row a group of one thread, after `threads`.",
                          item=THREAD_TABLE),
    "thread_defaults": THREAD_DEFAULTS,
    "nkthread": Int("Thread table size (11.00); 0: as many as there are threads.", default=0,
                    minimum=0),
    "locks": List("Spinlocks.", item=LOCK),
    "rw_locks": List("Sleeping reader/writer locks.", item=RW_LOCK),
    "beta_semas": List("Beta semaphores.", item=BETA_SEMA),
    "network": List("LAN interfaces, in the order the kernel lists them.", item=LAN_INTERFACE),
    "interrupts": List("The kernel's external interrupt table (eirr_switch): the handler and "
                       "SPL of EIRR bits.", item=INTERRUPT),
    "mounts": List("Mounted file systems, the root first.", item=MOUNT),
    "lpmc": List("The log of low-priority machine checks.", item=LPMC_ENTRY),
    "buf_lists": List("Linked lists of buffer headers, generated (for large scenarios).",
                      item=BUF_LIST),
    "raw_bytes": List("Bytes placed as they are, after every structure.", item=RAW_BYTES),
})


def load_scenario(path: str | Path) -> dict[str, Any]:
    """Read and validate a scenario file; ScenarioError names the file and the key."""
    path = Path(path)
    try:
        raw = tomllib.loads(path.read_text(encoding="utf-8"))
    except OSError as err:
        raise ScenarioError(str(path), f"cannot read: {err.strerror}") from None
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as err:
        raise ScenarioError(str(path), f"not valid TOML: {err}") from None
    try:
        return SCENARIO.validate(raw, "")
    except ScenarioError as err:
        raise ScenarioError(f"{path}: {err.key_path}", err.problem) from None
