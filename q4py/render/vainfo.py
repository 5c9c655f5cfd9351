"""Virtual address information: what the hashed page directory says about one address.

    VA 0x0.0xfffffffff4800b59 translates to PA 0xfffffffff4800b59
      Page table entry: hpde2_0_t 0x269ffe0
        Access rights : 0x10 PDE_AR_KRW
        Protection key: 0x0 KERNEL/PUBLIC
        Page size     : 4KB

or, without a translation, the chain that was searched:

    VA 0x86400.0x10104937238 does not have a translation.
      Hashing details:
      Primary:
        pdirhash=0x10965c0=htbl[19246]
                                vtag=0x00086501 0x00004937
                 hpde2_0_t pde_next   pde_space  pde_vpage
                 0x10965c0 0x0000000 0x00000001 0x00004b2e

crashinfo's 11.11 builds print the chain in wider columns (`0x02000000 0x00000000 0xffffffff
0x00000000`): `PDIR_STYLES` holds each release's formats, chosen by the kernel's utsname. The
Crash Events section (under Trap information) and the Processor Information section (for a
processor in real mode) both print these lines; each adds its own heading and blank lines.
"""

from __future__ import annotations

from dataclasses import dataclass

from q4py.errors import Q4Error
from q4py.kernel.pdir import VaLookup, access_rights_name, lookup_va
from q4py.kernel.release import by_release, kernel_release
from q4py.program import Program


@dataclass(frozen=True)
class PdirStyle:
    pdirhash: str  # format of the chain head's address in `pdirhash=...`
    header: str
    row: str  # fields: address, next, space, vpage


PDIR_STYLES: dict[tuple[int, int], PdirStyle] = {
    (11, 0): PdirStyle("{:#x}", "hpde2_0_t pde_next   pde_space  pde_vpage",
                       "{address:#x} 0x{next:07x} 0x{space:08x} 0x{vpage:08x}"),
    (11, 11): PdirStyle("0x{:08x}", "hpde2_0_t  pde_next    pde_space  pde_vpage",
                        "0x{address:08x} 0x{next:08x} 0x{space:08x} 0x{vpage:08x}"),
}
_INDENT = " " * 13
_PAGE_UNITS = ((1 << 30, "GB"), (1 << 20, "MB"), (1 << 10, "KB"))


def page_size_text(size: int) -> str:
    """`4KB`, `16MB`."""
    for unit, name in _PAGE_UNITS:
        if size >= unit and size % unit == 0:
            return f"{size // unit}{name}"
    return f"{size}B"


def va_lines(va: VaLookup, style: PdirStyle) -> list[str]:
    """The lines for one looked-up address, from `VA ...` on, no blank lines around."""
    name = f"VA {va.space:#x}.{va.offset:#x}"
    found = va.found
    if found is not None:
        rights = access_rights_name(found.access_rights)
        key = "KERNEL/PUBLIC" if found.protection_key == 0 else "PRIVATE"
        return [
            f"{name} translates to PA {va.physical:#x}",
            f"  Page table entry: hpde2_0_t {found.address:#x}",
            f"    Access rights : {found.access_rights:#x}" + (f" {rights}" if rights else ""),
            f"    Protection key: {found.protection_key:#x} {key}",
            f"    Page size     : {page_size_text(found.page_size)}",
        ]
    rows = [_INDENT + style.row.format(address=r.address, next=r.next, space=r.space,
                                       vpage=r.vpage) for r in va.chain]
    vtag = f"vtag=0x{va.vtag[0]:08x} 0x{va.vtag[1]:08x}"
    lines = [
        f"{name} does not have a translation.",
        "  Hashing details:",
        "  Primary:",
        f"    pdirhash={style.pdirhash.format(va.head)}=htbl[{va.index}]",
        # The tag's two words line up under the rows' pde_space and pde_vpage columns.
        vtag.rjust(len(rows[0])) if rows else _INDENT + vtag,
        _INDENT + style.header,
        *rows,
    ]
    if va.problem:
        lines.append(f"  ({va.problem})")
    return lines


def va_information(prog: Program, space: int, offset: int) -> list[str]:
    """Look `space.offset` up in this dump's page directory and format it for its release."""
    try:
        va = lookup_va(prog, space, offset)
    except Q4Error as err:
        return [f"VA {space:#x}.{offset:#x}: {err}"]
    if va is None:
        return [f"VA {space:#x}.{offset:#x}: this kernel has no hashed page directory (htbl)"]
    return va_lines(va, by_release(PDIR_STYLES, kernel_release(prog)))
