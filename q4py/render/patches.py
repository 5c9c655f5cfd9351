"""Kernel Patches: the patch identifiers of the kernel's what-strings, five to a line, each
followed by a tab (hpux1100-32-hang-nfs-swap-p4, hpux1111-64-hang-vhand-superpages). Left out
for a kernel without patches."""

from __future__ import annotations

from q4py.kernel.patches import kernel_patches
from q4py.program import Program
from q4py.render import section
from q4py.render.text import banner

PER_LINE = 5


@section("patches", "Kernel Patches", 95)
def patches_section(prog: Program) -> list[str]:
    patches = kernel_patches(prog)
    if not patches:
        return []
    rows = ["".join(f"{p}\t" for p in patches[i:i + PER_LINE])
            for i in range(0, len(patches), PER_LINE)]
    return [*banner("Kernel Patches"), "", *rows, ""]
