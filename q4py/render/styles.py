"""crashinfo styles: the small, consistent ways HP's crashinfo versions differ, as named data.

HP's crashinfo was a tool with versions (one report says `crashinfo (3.5) output`), and the
reports in hand come from several of them: they differ in blank lines around the notes, in
whether `Note: Crash event 0 was a PANIC !` is printed at all, in the spacing of the trap
information, in whether a `Virtual address information` block follows it, in how a TOC is
announced. Two reports of the same kernel release already disagree, so the release is not the
key: each variant is an attribute of a named style, and a style is chosen by the user
(`crashinfo --style NAME`, `set crashinfo_style NAME`, a transcript's `# crashinfo-style:`).
What every report agrees on (the words of a TOC's layout against a panic's, say) is not a
style attribute: it follows the situation in the dump. docs/crashinfo.md has the table of
styles, what differs and the reports that show each.
"""

from __future__ import annotations

from dataclasses import dataclass

from q4py.errors import CommandError
from q4py.settings import Setting, declare


@dataclass(frozen=True)
class CrashinfoStyle:
    name: str
    differs: str  # one line: what sets it apart, for `crashinfo --styles` and the docs
    reports: tuple[str, ...]  # the reports whose crashinfo output shows it
    title: bool = False  # `crashinfo (3.5) output` and the Table Of Contents before a full run
    banner_blank: bool = True  # a blank line under the Crash Events banner
    # `Note: Crash event N was a KIND !`: "none" (not printed), "after" (a blank line after
    # it) or "before" (a second blank line before it, none after).
    event_note: str = "none"
    # A user-initiated TOC: "none", "line" (`This seems to be a user initiated TOC !`) or
    # "note" (`Note: ...` after two blank lines, with the FirstPassWeb pointer).
    toc_note: str = "none"
    panic_string_blank: bool = True  # a blank line after `Panic string : ...`
    spaced_trap_information: bool = True  # a blank line after each group of Trap information
    va_gap: int | None = 1  # blank lines after `Virtual address information:`; None: no block
    toc_heading: bool = True  # `Stack Trace for crash event N` above a TOC's main event
    user_mode_cant_unwind: bool = True  # `Can't unwind` under a `= USER mode!` event
    interrupt_box_words: bool = False  # `External interrupt in KERNEL mode` for trap 4 boxes
    blanks_after_processors: int = 2  # after the last `Processor #N` block of a TOC
    # The short SPL names (`SPLSCHED`) and the processor table's EIEM as its high word and
    # that name (`eiem_hi` / `cr15_hi  spl`) instead of 16 digits under `eiem/spl`.
    short_spl: bool = False
    # Thread Information ends with `All Threads - sorted by ticks-since-run` (an empty TSRUN
    # table then prints no header).
    all_threads: bool = False
    # Thread Information ends with every thread's processor usage (`pid tid pri spu kt_cpu
    # recent user sys intr kt_start p_comm`) in place of the TSRUN table.
    usage_table: bool = False
    # The processor section lists `Outstanding external interrupts` (the set EIRR bits).
    pending_interrupts: bool = False
    # A disabled processor's block in a TOC's other processors: `Processor number N disabled!`
    # and its note before `Processor #N`.
    disabled_processor_notes: bool = False
    # Processor Clock Info without the event type column, the delta in ticks only.
    clock_ticks: bool = False
    # Swap Information goes on with `swap related globals` (each global named by what it
    # holds) and the processes holding the most swap, and ends with one blank line.
    swap_details: bool = False
    # Swap Information headed `swapinfo -mt emulation:` without underline, devices by their
    # device file (`/dev/vg00/lvol2`), then the swap globals under their kernel names, one
    # blank line ending it.
    swap_kernel_names: bool = False
    # Blank lines after each Memory Globals note (0: the notes on consecutive lines, one
    # blank line after them).
    memory_note_gap: int = 0
    # Most Common Wait Channels / Sleep Callers order names of equal count as the thread list
    # meets them (else the longest-waiting first).
    ties_met_first: bool = False


STYLES: tuple[CrashinfoStyle, ...] = (
    CrashinfoStyle(
        "3.5", "title and Table Of Contents; notes after two blank lines; the user-initiated "
        "TOC note with its FirstPassWeb pointer; outstanding external interrupts; Memory "
        "Globals notes two blank lines apart; swapinfo with device files and the swap "
        "globals by name; the All Threads table; equal counts of wait channels and sleep "
        "callers in thread list order",
        ("hpux1111-64-hang-vhand-superpages (its crashinfo (3.5) output)",),
        title=True, event_note="before", toc_note="note", spaced_trap_information=False,
        va_gap=2, blanks_after_processors=1, all_threads=True, pending_interrupts=True,
        disabled_processor_notes=True, clock_ticks=True, memory_note_gap=2, swap_kernel_names=True,
        ties_met_first=True),
    CrashinfoStyle(
        "notes", "the crash event note after two blank lines, no blank after it; no "
        "user-initiated TOC note",
        ("hpux1111-64-spinlock-process-lock",),
        event_note="before", spaced_trap_information=False, va_gap=2),
    CrashinfoStyle(
        "short-spl", "as `notes`, with the short SPL names (`SPLSCHED`), the processor "
        "table's EIEM as its high word and that name, and outstanding external interrupts",
        ("hpux1100-64-hang-soaccept-p4",),
        event_note="before", spaced_trap_information=False, va_gap=2, short_spl=True,
        pending_interrupts=True),
    CrashinfoStyle(
        "note-after", "the crash event note with a blank line after it; spaced trap "
        "information; no Virtual address information block",
        ("hpux1100-64-dpf-scsi-dequeue",),
        event_note="after", va_gap=None),
    CrashinfoStyle(
        "plain", "no crash event note; trap information without blank lines; two blank lines "
        "under `Virtual address information:`",
        ("hpux1111-64-unaligned-c8xx", "hpux1100-32-kalloc-sysmap"),
        spaced_trap_information=False, va_gap=2),
    CrashinfoStyle(
        "spaced", "no crash event note; no blank line between the panic string and the trap "
        "marker; spaced trap information; one blank line under `Virtual address information:`",
        ("hpux1100-64-dpf-atq",),
        panic_string_blank=False, va_gap=1),
    CrashinfoStyle(
        "toc-line", "no blank line under the Crash Events banner; the user-initiated TOC as "
        "one line without `Note:`; `External interrupt` in TRAP boxes; the swap globals and "
        "top processes by swap; the All Threads table",
        ("hpux1100-32-hang-nfs-swap-p4",),
        banner_blank=False, toc_note="line", interrupt_box_words=True,
        blanks_after_processors=1, all_threads=True, swap_details=True),
    CrashinfoStyle(
        "bare", "a TOC's main event without notes or heading; no `Can't unwind` under a "
        "USER-mode event; the processor usage table of every thread in place of the TSRUN "
        "table",
        ("hpux1100-64-hang-runqueue",),
        toc_heading=False, user_mode_cant_unwind=False, blanks_after_processors=1,
        usage_table=True),
)

BY_NAME: dict[str, CrashinfoStyle] = {style.name: style for style in STYLES}
DEFAULT_STYLE = STYLES[0]  # the newest: the only one whose version a report names


def style_names() -> str:
    return ", ".join(BY_NAME)


def crashinfo_style(name: str, what: str = "crashinfo") -> CrashinfoStyle:
    """The style called `name`; an unknown name is one line listing the styles."""
    style = BY_NAME.get(name)
    if style is None:
        raise CommandError(f"{what}: unknown style {name!r} (styles: {style_names()})")
    return style


STYLE_SETTING = declare(Setting(
    "crashinfo_style", DEFAULT_STYLE.name,
    "the crashinfo style (`crashinfo --styles` lists them; docs/crashinfo.md)",
    choices=tuple(BY_NAME)))
