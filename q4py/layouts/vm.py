"""Virtual memory: the resource maps (`struct map`), MALLOC buckets, pfdat, the hashed page
directory and the small structs the VM globals use.

`struct map`/`struct mapent` follow BSD's resource map (public): entry 0 is the map header
{limit, name}; free entries {addr, size} follow until one with size 0. q4py names the members so
that p4_sysmap's columns (`m_addr` shows the limit, `m_size` the name) fall out as HP printed them.
Buckets follow 4.4BSD's `struct kmembuckets`. `pfdat` and `hpde2_0_t` are reconstructions.
"""

from __future__ import annotations

from q4py.layouts.base import TypeRegistry

PAGE_SIZE = 4096
PAGE_SHIFT = 12

# pfdat pf_flags bits (reconstruction).
P_FREE = 0x0001
P_SYS = 0x0002
P_BUF = 0x0004
P_HASH = 0x0008
P_BAD = 0x8000

# pf_kclass: what the page is used for, as the physical memory summary classifies it
# (reconstruction: HP's kmeminfo classified pages from pfdat and other tables).
PAGE_CLASSES: tuple[str, ...] = (
    "free", "text", "data", "bss", "static", "bucket", "reserved", "kalloc", "eqalloc",
    "bufcache", "eqmem", "scmem", "user", "uarea", "disowned", "arena",
)
PAGE_CLASS_CODES = {name: code for code, name in enumerate(PAGE_CLASSES)}
# A class code past PAGE_CLASSES: pages kmeminfo counts in Used but lists on no line.
UNLISTED_CLASS = len(PAGE_CLASSES)
# pf_ksub for class "kalloc": the kalloc() pool the page belongs to.
KALLOC_POOLS: tuple[str, ...] = ("other", "superpage", "bufcache_bufs", "bufcache_hash")
KALLOC_POOL_CODES = {name: code for code, name in enumerate(KALLOC_POOLS)}
# pf_ksub for class "arena": the index of the page's arena in kmem_arenas[nkmem_arenas].
ARENA_NAME_SIZE = 32

# MALLOC bucket indices: 2**i bytes for 5..12, then 2..8 pages, then larger.
BUCKET_FIRST = 5
BUCKET_LAST = 20

# hpde2_0_t pde_attr bits (reconstruction): valid, page size (4 KB << 2 * code), access rights,
# protection key. pde_phys is the page number of a 44-bit physical address: the I/O range at
# its top prints sign-extended (0xffff4800 -> PA 0xfffffffff4800000).
PDE_VALID = 0x80000000
PDE_PS_SHIFT = 24
PDE_PS_MASK = 0xF
PDE_AR_SHIFT = 16
PDE_AR_MASK = 0x7F
PDE_KEY_MASK = 0xFFFF
PHYS_ADDRESS_BITS = 44


def bucket_element_size(index: int) -> int | None:
    """Bytes per element of MALLOC bucket `index`; None for the >8 pages bucket."""
    if index <= 12:
        return 1 << index
    if index < BUCKET_LAST:
        return (index - 11) * PAGE_SIZE
    return None


def define(reg: TypeRegistry) -> None:
    reg.define("struct mapent", [("m_addr", "unsigned long"), ("m_size", "unsigned long")],
               reconstruction=False)
    reg.define("struct map", [("m_limit", "struct mapent *"), ("m_name", "char *")],
               reconstruction=False, doc="header overlaying entry 0 of a resource map")
    reg.define(
        "struct kmembuckets",
        [
            ("kb_next", "caddr_t"), ("kb_last", "caddr_t"), ("kb_calls", "long"),
            ("kb_total", "long"), ("kb_totalfree", "long"), ("kb_elmpercl", "long"),
            ("kb_highwat", "long"), ("kb_couldfree", "long"),
        ],
        reconstruction=True,
        doc="4.4BSD kmembuckets; kb_total counts elements (pages for the >8 pages bucket)",
    )
    reg.define(
        "struct kmem_arena",
        [("ka_name", f"char[{ARENA_NAME_SIZE}]"), ("ka_flags", "unsigned int"),
         ("ka_pad", "unsigned int")],
        reconstruction=True,
        doc="an 11i kernel memory arena (the allocator that replaced the MALLOC buckets); "
            "only its name is read: its pages are counted from pfdat",
    )
    reg.define(
        "struct pfdat",
        [
            ("pf_hchain", "struct pfdat *"),
            ("pf_vnode", "void *"),
            ("pf_pfn", "unsigned int"),
            ("pf_flags", "unsigned int"),
            ("pf_kclass", "uint16_t"),
            ("pf_ksub", "uint16_t"),
            ("pf_use", "int"),
        ],
        reconstruction=True,
        aliases=("pfd_t",),
        size=0x20 if not reg.abi.wide else 0x30,
    )
    reg.define(
        "struct pfdat_chunk",
        [
            ("pc_pfn", "unsigned long"),  # page frame number of its first entry
            ("pc_count", "unsigned long"),  # entries
            ("pc_pfdat", "struct pfdat *"),  # the entries
        ],
        reconstruction=True,
        doc="a piece of pfdat: the kernel allocated its page frame data in pieces",
    )
    reg.define(
        "struct hpde2_0",
        [
            ("pde_next", "uint64_t"),
            ("pde_space", "uint32_t"),
            ("pde_vpage", "uint32_t"),
            ("pde_phys", "uint32_t"),
            ("pde_attr", "uint32_t"),
            ("pde_reserved", "uint64_t"),
        ],
        reconstruction=True,
        aliases=("hpde2_0_t",),
    )
