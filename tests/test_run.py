"""`run SCRIPT`: the search path, the script API (the session's piles, `execute`, the
formatters, progress, the documented example), refusal of scripts inside a crash directory, and
errors (unknown names, script bugs)."""

from __future__ import annotations

import io
import re
import shutil
import textwrap
from collections.abc import Callable
from pathlib import Path

import pytest
from conftest import SCENARIOS_DIR

from q4py.commands.run import available_scripts, script_dirs
from q4py.forge.build import Forge
from q4py.forge.scenario import load_scenario
from q4py.kernel.maps import PROGRESS_FROM, resource_map
from q4py.program import Program
from q4py.render.text import pages_in_mb
from q4py.shell import Session

SEED = "hpux1100-32-kalloc-sysmap"

HELLO = '''
def run(q4, args):
    q4.print("hello", *args)
    q4.out("physmem=%d\\n" % q4.read_global("physmem"))
    q4.print(hex(q4.symbol("sysmap").address))
    q4.print(q4.resource_map("sysmap").mapsize)
'''

MARKER_SCRIPT = '''
from pathlib import Path
Path({marker!r}).write_text("ran")
def run(q4, args):
    q4.print("should never print")
'''


@pytest.fixture(autouse=True)
def isolated_library(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """No user library leaks into the tests: $Q4PY_SCRIPT_DIR is an empty directory."""
    user = tmp_path / "user-scripts"
    user.mkdir()
    monkeypatch.setenv("Q4PY_SCRIPT_DIR", str(user))
    monkeypatch.delenv("Q4_SCRIPT_PATH", raising=False)
    return user


@pytest.fixture(scope="module")
def dump(forged_dump: Callable[[str], Path], tmp_path_factory: pytest.TempPathFactory) -> Path:
    # A private copy: the tests write scripts into the crash directory.
    copy = tmp_path_factory.mktemp("run") / "crash"
    shutil.copytree(forged_dump(SEED), copy)
    return copy


@pytest.fixture(scope="module")
def prog(dump: Path) -> Program:
    return Program.open(dump)


def run(prog: Program, line: str) -> list[str]:
    out = io.StringIO()
    Session(prog, out).execute(line)
    return out.getvalue().split("\n")[:-1]


def test_script_from_q4_script_path(prog: Program, tmp_path: Path,
                                    monkeypatch: pytest.MonkeyPatch) -> None:
    first, second = tmp_path / "a", tmp_path / "b"
    first.mkdir()
    second.mkdir()
    (second / "Hello.py").write_text(HELLO)
    monkeypatch.setenv("Q4_SCRIPT_PATH", f"{first}:{second}")
    assert run(prog, "run Hello x y") == [
        "hello x y",
        f"physmem={prog.read_global('physmem')}",
        hex(prog.symbol("sysmap").address),
        "23328",
    ]
    # the first directory of the path wins
    (first / "Hello.py").write_text("def run(q4, args):\n    q4.print('first')\n")
    assert run(prog, "run Hello") == ["first"]


def test_search_order(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                      isolated_library: Path) -> None:
    monkeypatch.setenv("Q4_SCRIPT_PATH", f"{tmp_path / 'p1'}::{tmp_path / 'p2'}")
    dirs = script_dirs()
    assert dirs[0].name == "scripts" and (dirs[0] / "PrintMap.py").is_file()
    assert dirs[1:] == [tmp_path / "p1", tmp_path / "p2", isolated_library]
    monkeypatch.delenv("Q4PY_SCRIPT_DIR")
    assert script_dirs()[-1] == Path.home() / ".q4py" / "scripts"


def test_bundled_script_shadows_library(prog: Program, isolated_library: Path) -> None:
    (isolated_library / "PrintMap.py").write_text(
        "def run(q4, args):\n    q4.print('user copy')\n")
    (isolated_library / "Mine.py").write_text("def run(q4, args):\n    q4.print('mine')\n")
    first = run(prog, "run PrintMap sysmap")[0]
    assert first == "Loading the map entries, this may take a while..."
    assert run(prog, "run Mine") == ["mine"]
    names = [s.name for s in available_scripts()]
    assert names.count("PrintMap") == 1 and "Mine" in names
    listing = run(prog, "run -l")
    assert any(line.startswith("Mine ") and line.endswith("Mine.py") for line in listing)


def test_script_inside_crash_dir_refused(prog: Program, dump: Path, tmp_path: Path,
                                         monkeypatch: pytest.MonkeyPatch) -> None:
    marker = tmp_path / "marker"
    inside = dump / "scripts"
    inside.mkdir(exist_ok=True)
    (inside / "Evil.py").write_text(MARKER_SCRIPT.format(marker=str(marker)))
    [line] = run(prog, f"run {inside / 'Evil.py'}")
    assert line.startswith("q4: run: refusing to load ") and "inside the crash directory" in line
    monkeypatch.setenv("Q4_SCRIPT_PATH", str(inside))
    [line] = run(prog, "run Evil")
    assert "refusing to load" in line
    # through a symlink from outside, it still resolves inside the dump
    (tmp_path / "Sneaky.py").symlink_to(inside / "Evil.py")
    [line] = run(prog, f"run {tmp_path / 'Sneaky.py'}")
    assert "refusing to load" in line
    assert not marker.exists()


def test_unknown_script_names_close_ones(prog: Program) -> None:
    assert run(prog, "run PrintMop sysmap") == [
        "q4: run: unknown script 'PrintMop' (did you mean PrintMap?)"]
    assert run(prog, "run Zzzzzzzz") == [
        "q4: run: unknown script 'Zzzzzzzz' (run -l lists the scripts)"]
    assert run(prog, "run") == ["q4: usage: run SCRIPT [ARGS...] | run -l"]


def test_script_errors(prog: Program, isolated_library: Path) -> None:
    (isolated_library / "Buggy.py").write_text(
        "def run(q4, args):\n    q4.print('before')\n    return 1 / 0\n")
    assert run(prog, "run Buggy") == [
        "before", "q4: run: Buggy failed: ZeroDivisionError: division by zero (Buggy.py line 3)"]
    (isolated_library / "Refuses.py").write_text(
        "def run(q4, args):\n    q4.error('needs an argument')\n")
    assert run(prog, "run Refuses") == ["q4: Refuses: needs an argument"]
    (isolated_library / "NoEntry.py").write_text("x = 1\n")
    [line] = run(prog, "run NoEntry")
    assert line.startswith("q4: run: ") and "defines no run(q4, args)" in line
    (isolated_library / "ReadsBad.py").write_text(
        "def run(q4, args):\n    q4.read_global('no_such_global')\n")
    [line] = run(prog, "run ReadsBad")
    assert "no_such_global" in line and "internal error" not in line


# -- the script API: session, piles, execute, formatters, progress ---------------------------
def script(library: Path, name: str, body: str) -> None:
    (library / f"{name}.py").write_text(textwrap.dedent(body))


def session_on(prog: Program) -> tuple[Session, io.StringIO]:
    out = io.StringIO()
    return Session(prog, out), out


def lines_of(out: io.StringIO) -> list[str]:
    text = out.getvalue()
    out.seek(0)
    out.truncate()
    return text.split("\n")[:-1]


def test_run_gives_the_script_the_session(prog: Program, isolated_library: Path) -> None:
    script(isolated_library, "Who", """
        def run(q4, args):
            q4.print(q4.name, "|", q4.command, "|", q4.piles is q4.session.piles)
            q4.print(q4.prog is q4.session.program, q4.stream is q4.session.out)
    """)
    session, out = session_on(prog)
    session.execute("run Who a b")
    assert lines_of(out) == ["Who | run Who a b | True", "True True"]


def test_piles_current_list_and_make_pile(prog: Program, isolated_library: Path) -> None:
    script(isolated_library, "Piles", """
        def run(q4, args):
            it = q4.piles.current
            q4.print(it.number, it.type_name, len(it), [p.number for p in q4.piles.list()])
            # every other buffer of the list, by address: a new pile, `it` from now on
            addresses = [item.address for item in it][::2]
            pile = q4.make_pile("struct buf", addresses, name="odd")
            q4.print(pile.label, pile.layout_kind, [i.index for i in pile], pile.command)
            # items of another pile are kept as they are (their index too)
            kept = q4.make_pile("buf_t", list(it)[1:], layout="list")
            q4.print(kept.type_name, kept.layout_kind, [i.index for i in kept])
            q4.print(q4.make_pile("struct buf", []))
    """)
    session, out = session_on(prog)
    session.execute("load struct buf from 0xa4da18 next av_forw max 10")
    listed = session.piles.current
    lines_of(out)
    assert session.execute("run Piles")
    assert lines_of(out) == [
        "1 struct buf 3 [1]",
        "pile 2 (odd) kept [0, 1] run Piles",
        "buf_t list [1, 2]",
        "None",  # an empty pile is never pushed
    ]
    assert len(session.piles) == 3 and session.piles.get("odd").number == 2
    odd = session.piles.get("odd")
    assert [i.address for i in odd] == [listed.items[0].address, listed.items[2].address]
    assert odd.items[1].value == listed.items[2].value  # read afresh, the same structure
    assert session.piles.current.items == listed.items[1:]
    # the commands work on a script's pile like on any other
    session.execute("recall odd")
    session.execute("print -x addrof")
    assert lines_of(out)[-2:] == [f"{item.address:#x}" for item in odd]
    assert session.piles.list()[-1].command == "recall odd"


def test_make_pile_refuses_bad_input(prog: Program, isolated_library: Path) -> None:
    script(isolated_library, "BadPile", """
        def run(q4, args):
            if args[0] == "layout":
                q4.make_pile("struct buf", [0xa4da18], layout="heap")
            elif args[0] == "name":
                q4.make_pile("struct buf", [0xa4da18], name="it")
            elif args[0] == "type":
                q4.make_pile("struct nosuch", [0xa4da18])
            else:
                q4.make_pile("struct buf", [0xa4da18, 0xfffff000])
    """)
    session, out = session_on(prog)
    for what, text in [("layout", "layout must be one of array, list, kept"),
                        ("name", "cannot name a pile"), ("type", "nosuch"),
                        ("read", "0xfffff000")]:
        assert not session.execute(f"run BadPile {what}")
        [line] = lines_of(out)
        assert line.startswith("q4: ") and text in line and "internal error" not in line, line
    assert session.piles.empty  # nothing pushed, not even the readable first structure


def test_execute_runs_commands_into_the_script_output(
        prog: Program, isolated_library: Path, tmp_path: Path) -> None:
    script(isolated_library, "Exec", """
        def run(q4, args):
            q4.print("ok" if q4.execute("load struct buf from 0xa4da18 next av_forw") else "no")
            q4.print("ok" if q4.execute("print -x nosuchfield") else "failed")
            q4.execute("history")
    """)
    session, out = session_on(prog)
    assert session.execute("run Exec")
    assert lines_of(out) == [
        "loaded 3 struct bufs as a linked list ", "", "ok",
        "q4: print: struct buf has no field 'nosuchfield'", "failed",
        "HIST NAME       LAYOUT  COUNT TYPE            COMMENTS",
        "   1 -          list        3 struct buf      load struct buf from 0xa4da18 next "
        "av_forw",
    ]
    # `run ... > FILE`: what the commands print goes to the file with the script's own lines
    target = tmp_path / "exec.txt"
    assert session.execute(f"run Exec > {target}")
    assert lines_of(out) == []
    assert target.read_text().split("\n")[:3] == ["loaded 3 struct bufs as a linked list ", "",
                                                   "ok"]


def test_execute_bounds_a_script_that_runs_itself(prog: Program, isolated_library: Path) -> None:
    script(isolated_library, "Again", """
        def run(q4, args):
            q4.print("depth", q4.session.include_depth)
            q4.execute("run Again")
    """)
    session, out = session_on(prog)
    # The innermost execute fails with one line; each script above sees False and goes on.
    assert session.execute("run Again")
    lines = lines_of(out)
    assert lines[:-1] == [f"depth {n}" for n in range(9)]
    assert lines[-1].startswith("q4: Again: commands run from scripts and files nest more "
                                "than 8 deep")
    assert session.include_depth == 0


def test_formatters_are_the_commands_own(prog: Program, isolated_library: Path) -> None:
    import q4py.addr
    import q4py.render.text
    from q4py.scripting import Q4Script

    fmt = Q4Script.fmt
    assert fmt.q4_address is q4py.addr.format_q4_address
    assert fmt.space_offset is q4py.addr.format_space_offset
    assert fmt.c_hex is q4py.addr.c_hex
    assert fmt.p4_value is q4py.addr.format_p4_value
    assert fmt.pages_in_mb is q4py.render.text.pages_in_mb
    assert fmt.kmem_size is q4py.render.text.kmem_size
    assert fmt.percent is q4py.render.text.percent
    script(isolated_library, "Fmt", """
        def run(q4, args):
            f = q4.fmt
            q4.print(f.q4_address(0, 0x18191a1b1c1d1e1f, True), f.space_offset(0, 0x804920))
            q4.print(f.c_hex(0), f.c_hex(42), f.p4_value(1, 2), f.p4_value(0x1a98f7c0, 8))
            q4.print(f.pages_in_mb(4438), "|", f.kmem_size(136), f.percent(65, 100))
    """)
    assert run(prog, "run Fmt") == [
        "0x0.0x18191a1b'1c1d1e1f 0.0x804920",
        "0 0x2a 0x0001 0x00000000_1a98f7c0",
        "4438 pages (17.34 MB) | 544.0k 65",
    ]


def test_progress_passes_through_the_session(prog: Program, isolated_library: Path) -> None:
    script(isolated_library, "Slow", """
        def run(q4, args):
            for n in range(3):
                q4.progress(n + 1, 3, "counting")
            q4.progress(7, None, "open-ended")
            q4.print("done")
    """)
    session, out = session_on(prog)
    heard: list[tuple[int, int | None, str]] = []
    session.progress = lambda done, total, what: heard.append((done, total, what))
    assert session.execute("run Slow")
    assert heard == [(1, 3, "counting"), (2, 3, "counting"), (3, 3, "counting"),
                     (7, None, "open-ended")]
    assert lines_of(out) == ["done"]  # progress never reaches the output
    assert run(prog, "run Slow") == ["done"]  # a plain session: the silent default


def test_printmap_reports_progress_over_a_large_map(tmp_path: Path) -> None:
    # The seed with a fragmented sysmap_32bit: 6000 free runs, twelve pages of slots.
    sc = load_scenario(SCENARIOS_DIR / f"{SEED}.toml")
    sizes = [1 + i % 5 for i in range(6000)]
    sc["maps"][0]["free"] = [{"addr": 0x2000000 + 0x10000 * i, "size": size}
                             for i, size in enumerate(sizes)]
    Forge(sc).build(tmp_path / "crash")
    prog = Program.open(tmp_path / "crash")
    session, out = session_on(prog)
    heard: list[tuple[int, int | None, str]] = []
    session.progress = lambda done, total, what: heard.append((done, total, what))
    assert session.execute("run PrintMap sysmap")
    printed = lines_of(out)
    assert printed[1] == (f"The sysmap_32bit has {len(sizes)} free runs, "
                          f"{pages_in_mb(sum(sizes))} in total.")
    assert heard, "no progress over a map of 6000 runs"
    done = [d for d, _, _ in heard]
    assert done == sorted(done) and done[0] > PROGRESS_FROM and done[-1] <= len(sizes) + 1
    # the configured slots after the header, and the map's own name
    assert {(total, what) for _, total, what in heard} == {
        (23327, "loading sysmap_32bit entries")}
    # The same run in a batch session (the silent default) prints the very same lines.
    assert run(prog, "run PrintMap sysmap") == printed


def test_a_small_map_reports_no_progress(prog: Program) -> None:
    heard: list[object] = []
    rmap = resource_map(prog, "sysmap_32bit", progress=lambda *a: heard.append(a))
    assert rmap.depleted and heard == []


# -- the documented example ------------------------------------------------------------------
DOC = Path(__file__).resolve().parent.parent / "docs" / "scripting.md"


def test_the_documented_pile_example_runs(prog: Program, isolated_library: Path) -> None:
    text = DOC.read_text(encoding="utf-8")
    code = re.search(r'```python\n("""BigProcs.*?)```', text, re.S)
    assert code is not None, "docs/scripting.md lost its BigProcs example"
    (isolated_library / "BigProcs.py").write_text(code.group(1))
    session, out = session_on(prog)
    assert session.execute("run BigProcs 3")
    lines = lines_of(out)
    # the first lines as the docs show them
    shown = text.split("q4> run BigProcs 3\n", 1)[1].split("\n...\n", 1)[0].split("\n")
    assert [line.rstrip() for line in lines[:len(shown)]] == shown
    pile = session.piles.get("bigprocs")
    assert (pile.number, pile.layout_kind, pile.command, len(pile)) == (2, "kept",
                                                                        "run BigProcs 3", 3)
    rss = [prog.read_struct("struct vas", item.value.p_vas).va_rss for item in pile]
    assert rss == sorted(rss, reverse=True)
    every = [prog.read_struct("struct vas", item.value.p_vas).va_rss
             for item in session.piles.get(1) if item.value.p_vas]
    assert rss == sorted(every, reverse=True)[:3]
    # the pile keeps the process table slots, and print shows them
    table = prog.read_global("proc")
    assert [item.index for item in pile] == [(item.address - table) // pile.layout.size
                                             for item in pile]
    assert lines[len(shown)].split() == ["indexof", "p_pid", "p_vas"]
    session.execute("history")
    history = lines_of(out)
    shown = text.split("q4> history\n", 1)[1].split("```", 1)[0].rstrip("\n").split("\n")
    assert history == shown
