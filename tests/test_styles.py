"""crashinfo styles: listing and choosing them (`crashinfo --styles`, `--style`, `set
crashinfo_style`, a transcript's `# crashinfo-style:`), what each changes, and the TOC layout."""

from __future__ import annotations

import copy
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from conftest import SCENARIOS_DIR
from helpers import Shell

from q4py import cli
from q4py.forge.build import Forge
from q4py.forge.scenario import load_scenario
from q4py.program import Program
from q4py.render.processors import spl_legend
from q4py.render.styles import BY_NAME, DEFAULT_STYLE, STYLES
from q4py.render.threads import running_header, waiting_header
from q4py.shell.transcript import TranscriptError, parse_transcript, replay

ATQ = "hpux1100-64-dpf-atq"
SEED = "hpux1100-32-kalloc-sysmap"
NAMES = ", ".join(s.name for s in STYLES)


@pytest.fixture(scope="module")
def seed(forged_dump: Callable[[str], Path]) -> Shell:
    return Shell(Program.open(forged_dump(SEED)))


@pytest.fixture(scope="module")
def toc(tmp_path_factory: pytest.TempPathFactory) -> Shell:
    """The atq dump with its panic turned into a TOC: no panic string, event 0 a TOC on the
    daemon's stack (the trap frames gone), processor 1's idle TOC as before."""
    sc: dict[str, Any] = copy.deepcopy(load_scenario(SCENARIOS_DIR / f"{ATQ}.toml"))
    sc["system"]["panic"] = ""
    sc["events"][0]["kind"] = "TOC"
    sc["events"][0]["contexts"] = sc["events"][0]["contexts"][1:]
    out = tmp_path_factory.mktemp("toc")
    Forge(sc).build(out)
    return Shell(Program.open(out))


def test_styles_are_listed_one_per_line(seed: Shell) -> None:
    assert seed.run("crashinfo --styles") == [s.name for s in STYLES]
    assert DEFAULT_STYLE.name == "3.5"


def test_bad_style_names_are_one_line_listing_the_styles(seed: Shell) -> None:
    assert seed.run("crashinfo --style NOPE") == [
        f"q4: crashinfo: unknown style 'NOPE' (styles: {NAMES})"]
    assert seed.run("set crashinfo_style NOPE") == [
        f"q4: set crashinfo_style: unknown value 'NOPE' (one of: {NAMES})"]
    assert seed.run("crashinfo --style") == [
        "q4: crashinfo: --style needs a NAME (crashinfo --styles lists them)"]


def test_set_changes_the_style_of_the_session(seed: Shell) -> None:
    plain = seed.run("crashinfo --style plain events")
    spaced = seed.run("crashinfo --style spaced events")
    assert plain != spaced
    assert seed.run("set crashinfo_style spaced") == ["crashinfo_style  spaced"]
    try:
        assert seed.run("crashinfo events") == spaced
        assert ["crashinfo_style", "spaced"] in [line.split() for line in seed.run("set")]
    finally:
        seed.run("set crashinfo_style default")
    assert seed.run("crashinfo events") == seed.run("crashinfo --style 3.5 events")


def test_panic_note_and_spacing_follow_the_style(seed: Shell) -> None:
    def head(name: str) -> list[str]:
        return seed.run(f"crashinfo --style {name} events")[3:8]

    note = "Note: Crash event 0 was a PANIC !"
    panic = "Panic string : kalloc: out of kernel virtual space"
    assert head("notes")[:3] == ["", "", note] and head("notes")[3] == panic
    assert head("note-after")[:4] == ["", note, "", panic]
    assert head("plain")[:3] == ["", panic, ""]
    assert head("spaced")[1:3] == [panic, "Getting trap information from trap marker at "
                                   "0x5bd0800.0x7fff04f0"]
    assert "Virtual address information:" not in seed.run("crashinfo --style note-after events")


def test_the_35_title_lists_the_sections_that_print(seed: Shell) -> None:
    lines = seed.run("crashinfo --style 3.5")
    assert lines[:5] == ["\t\t      crashinfo (3.5) output", "", "\t\t\t=====================",
                         "\t\t\t= Table Of Contents =", "\t\t\t====================="]
    contents = lines[7:lines.index("", 7)]
    assert contents[:3] == ["* General Information", "* Crash Events", "* Message Buffer"]
    assert "* Thread Information" in contents  # its processes' threads (sections that print)
    assert "* Kernel Patches" not in contents  # the seed states none: a section that does not
    assert seed.run("crashinfo --style plain")[1] == "\t\t\t= General Information ="
    assert seed.run("crashinfo --style 3.5 general")[1] == "\t\t\t= General Information ="


def test_a_toc_prints_the_main_event_and_every_other_processor(toc: Shell) -> None:
    lines = toc.run("crashinfo --style notes events")
    assert lines[3:8] == ["", "", "Note: Crash event 0 was a TOC !", "",
                          "Stack Trace for crash event 0"]
    assert "Panic string" not in "\n".join(lines)
    assert "with all args" not in "\n".join(lines)
    at = lines.index("Stack Traces for other processors ")
    assert lines[at - 2:at] == ["", ""]
    assert lines[at + 1:at + 5] == ["=" * 33, "", "", "Processor #1"]
    assert lines[at + 5:at + 7] == ["==============  EVENT  ============================",
                                    "= Event #1 is TOC on CPU #1"]
    assert lines[-3:] == ["0x0000000006b00050 0x0016b64c swidle+0x28", "", ""]


def test_user_initiated_toc_notes(toc: Shell) -> None:
    full = toc.run("crashinfo --style 3.5 events")
    assert full[6:13] == ["", "", "Note: This seems to be a user initiated TOC !",
                          "To get a better understanding why the system was brought down,",
                          "please go to: ",
                          '"http://wtec.cup.hp.com/~hpux/crash/FirstPassWeb/PA/contents.htm#TOC"',
                          ""]
    line = toc.run("crashinfo --style toc-line events")
    assert line[3:6] == ["This seems to be a user initiated TOC !", "",
                         "Stack Trace for crash event 0"]
    bare = toc.run("crashinfo --style bare events")
    assert bare[4] == "==============  EVENT  ============================"


def test_transcript_header_selects_the_style(seed: Shell) -> None:
    plain = seed.run("crashinfo --style plain events")
    text = "# crashinfo-style: plain\nq4> crashinfo events\n" + "\n".join(plain) + "\n"
    result = replay(parse_transcript(text), seed.session)
    assert result.ok, [f.diff_text for f in result.failures]
    assert seed.session.settings["crashinfo_style"] == DEFAULT_STYLE.name  # put back
    spaced = text.replace("plain", "spaced", 1)
    assert not replay(parse_transcript(spaced), seed.session).ok


def test_transcript_with_an_unknown_style_exits_2(tmp_path: Path,
                                                  capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(TranscriptError, match=f"unknown crashinfo style 'NOPE' .styles: {NAMES}"):
        parse_transcript("# crashinfo-style: NOPE\nq4> crashinfo\n", "t.q4t")
    path = tmp_path / "t.q4t"
    path.write_text("# crashinfo-style: NOPE\nq4> crashinfo\n")
    assert cli.main(["--replay", str(path)]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "unknown crashinfo style 'NOPE'" in err[0]


def test_every_style_names_the_reports_that_show_it() -> None:
    assert len(BY_NAME) == len(STYLES)
    reports = [r.split()[0] for s in STYLES for r in s.reports]
    assert len(reports) == len(set(reports))  # each report shows one style
    assert len(set(reports)) == 9  # every crashinfo output among the ten reports


# -- per-release tables --------------------------------------------------------------------------
# The SPL legends as hpux1100-64-hang-runqueue (long names) and hpux1100-64-hang-soaccept-p4
# (short names) print them for 11.00, and hpux1111-64-spinlock-process-lock for 11.11.
LEGEND_1100 = """\
0xfffffffeffffffff = SPLPREEMPTOK - Default user mode SPL level.
0xfffffff0ffffffff = SPLNOPREEMPT - Disable kernel preemption (scheduling interrupt off).
0xffffff00ffffffff = SPL2 - Disable software interrupt (software triggers off).
0xef00080000000000 = SPL5 - Disable IO modules.
0xc700000000000000 = SPL6+CLOCK_RESYNC - Disable hardclock+enable clock-resync.
0xc600000000000000 = SPL6 - Disable hardclock.
0x0000000700000000 = SPL7/PSW_I=0 - Disable the world."""
LEGEND_1100_SHORT = """\
0xffffffffffffffff = SPLUSER  Default user mode SPL level.
0xfffffff0ffffffff = SPLSCHED Disable scheduling interrupts.
0xffffff00ffffffff = SPLSOFT  Disable software interrupts (sw triggers off).
0xef00080000000000 = SPLIO    Disable IO modules.
0xc700000000000000 = SPLSYS   Enable clock-resync.
0xc600000000000000 = SPLSYS   Disable system events (eg. hardclock).
0x0000000700000000 = SPL7     Disable the world (eg. PSW_I=0)."""
LEGEND_1111_VALUES = ["0xed00080000000000", "0xc500000000000000", "0xc400000000000000"]


def test_spl_legend_is_the_release_s_in_the_style_s_names(seed: Shell) -> None:
    assert spl_legend((11, 0))[2:] == LEGEND_1100.split("\n")
    assert spl_legend((11, 0), short=True)[2:] == LEGEND_1100_SHORT.split("\n")
    assert [line[:18] for line in spl_legend((11, 11))[5:8]] == LEGEND_1111_VALUES
    lines = seed.run("crashinfo --style plain processors")  # the seed runs 11.00
    assert LEGEND_1100.split("\n")[3] in lines
    short = seed.run("crashinfo --style short-spl processors")
    assert LEGEND_1100_SHORT.split("\n")[5] in short
    assert "evt cpu t type  dpth src cr15_hi  spl      cr23             cr22" in short
    assert any(line.startswith("0   0   E PANIC 0    rpb 00000000          0000") for line in short)


def test_thread_tables_widen_pri_only_for_sched_noage() -> None:
    # hpux1100-64-hang-runqueue / hpux1111-64-hang-vhand-superpages (no SCHED_NOAGE thread)
    # against hpux1111-64-spinlock-process-lock (56 of them).
    assert running_header(3)[2] == ("TID     PID   PPID  RUN        IDLE       PRI SPU STATE S "
                                    "MIGR       FR LO AL COMMAND")
    assert running_header(4)[0] == " " * 20 + "TICKS      TICKS                     I TICKS"
    assert waiting_header(3)[1] == ("------- ----- ----- ---------- --- --- --- --- "
                                    "-------------- -------")
    assert waiting_header(4)[0] == ("TID     PID   PPID  TICKS      PRI  SPU BND GRP "
                                    "SYSCALL        COMMAND")


def test_all_threads_listing_in_the_styles_that_print_it(forged_dump: Callable[[str], Path]
                                                         ) -> None:
    atq = Shell(Program.open(forged_dump(ATQ)))
    listed = atq.run("crashinfo --style 3.5 threads")
    at = listed.index("All Threads - sorted by ticks-since-run")
    assert listed[at + 3] == ("TID     PID   PPID  TICKS      PRI SPU STAT  SYSCALL        "
                              "COMMAND        WCHAN")
    rows = [line.split() for line in listed[at + 5:] if line]
    ticks = [int(row[3]) for row in rows]
    assert ticks == sorted(ticks) and len(rows) > 100
    assert ["selwait"] in [row[9:] for row in rows if row[6] == "SLEEP"]
    plain = atq.run("crashinfo --style plain threads")
    assert "All Threads - sorted by ticks-since-run" not in plain
    # The same tables before it, but for the order of equal counts in Most Common Wait Channels
    # and Sleep Callers (3.5: the order the thread list meets them).
    assert plain[:at] != listed[:at] and sorted(plain[:at]) == sorted(listed[:at])


def test_a_disabled_processor_in_the_35_style(tmp_path: Path) -> None:
    sc: dict[str, Any] = copy.deepcopy(load_scenario(SCENARIOS_DIR / f"{ATQ}.toml"))
    sc["system"]["panic"] = ""
    sc["events"][0]["kind"] = "TOC"
    sc["events"][0]["contexts"] = sc["events"][0]["contexts"][1:]
    sc["events"].pop()  # processor 1 leaves no crash event
    sc["processors"][1]["enabled"] = False
    Forge(sc).build(tmp_path)
    shell = Shell(Program.open(tmp_path))
    assert shell.run("crashinfo --style 3.5 events")[-8:] == [
        "Processor number 1 disabled!", "", "Note: CPU 1 is disabled", "", "", "Processor #1",
        "Can't find the mpinfo[0].prochpa into the crash event table", ""]
    assert shell.run("crashinfo --style notes events")[-4:] == [
        "Processor #1", "Can't find the mpinfo[1].prochpa into the crash event table", "", ""]


def test_the_35_clock_table_counts_ticks(forged_dump: Callable[[str], Path]) -> None:
    # hpux1111-64-hang-vhand-superpages against hpux1111-64-spinlock-process-lock's columns.
    atq = Shell(Program.open(forged_dump(ATQ)))
    lines = atq.run("crashinfo --style 3.5 clock")
    at = lines.index("cpu timeinval          timer              delta (ticks) od  0,4  0,4  I")
    assert lines[at + 2].split()[:4] == ["0", "0x88630cb6438e0", "0x8862d64383a75", "4059"]
    assert "secs:ticks" in "\n".join(atq.run("crashinfo --style notes clock"))
