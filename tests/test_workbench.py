"""The config file, `set` persistence, aliases, the banner and the pager, on the seed dump."""

from __future__ import annotations

import io
from collections.abc import Callable
from pathlib import Path

import pytest
from helpers import Shell

from q4py.cli import main
from q4py.program import Program
from q4py.render.banner import render_banner
from q4py.shell.config import Config
from q4py.shell.terminal import pager_command, screen_rows, show

SEED = "hpux1100-32-kalloc-sysmap"


@pytest.fixture(scope="module")
def prog(forged_dump: Callable[[str], Path]) -> Program:
    return Program.open(forged_dump(SEED))


@pytest.fixture
def config_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("Q4PY_CONFIG_DIR", str(tmp_path / "cfg"))
    return tmp_path / "cfg"


def configured(prog: Program, config_dir: Path) -> Shell:
    shell = Shell(prog)
    config, warning = Config.load()
    assert warning is None
    assert shell.session.use_config(config) == []
    return shell


def test_config_round_trip(tmp_path: Path) -> None:
    path = tmp_path / "c" / "config.toml"
    config = Config(path, {"pager": 'less -R "x"'}, {"a b": "help\\n"})
    config.save()
    again, warning = Config.load(path)
    assert warning is None
    assert (again.settings, again.aliases) == (config.settings, config.aliases)


@pytest.mark.parametrize(("text", "warning"), [
    ("x = [", "not valid TOML"),
    ("settings = 3", "[settings] is not a table"),
    ("[settings]\npager = 3", "settings.pager is not a string"),
    (b"\xff\xfe", "not valid TOML"),
])
def test_a_bad_config_is_one_warning(tmp_path: Path, text: str | bytes, warning: str) -> None:
    path = tmp_path / "config.toml"
    path.write_bytes(text if isinstance(text, bytes) else text.encode())
    config, said = Config.load(path)
    assert said is not None and warning in said and "\n" not in said
    assert config.settings == {}


def test_set_is_saved_and_read_back(prog: Program, config_dir: Path) -> None:
    shell = configured(prog, config_dir)
    assert shell.run("set radix x") == ["radix  x"]
    assert 'radix = "x"' in (config_dir / "config.toml").read_text()
    assert configured(prog, config_dir).session.settings["radix"] == "x"
    shell.run("set radix default")
    assert configured(prog, config_dir).session.settings["radix"] == "auto"


def test_sessions_without_a_config_do_not_write_one(prog: Program, config_dir: Path) -> None:
    Shell(prog).run("set radix o")
    assert not config_dir.exists()


def test_bad_entries_of_the_config_are_reported(prog: Program, config_dir: Path) -> None:
    config = Config(config_dir / "config.toml", {"radix": "q", "nosuch": "1"}, {"help": "x"})
    problems = Shell(prog).session.use_config(config)
    assert len(problems) == 3
    assert any("unknown value 'q'" in p for p in problems)
    assert any("unknown setting 'nosuch'" in p for p in problems)
    assert any("alias 'help' is a command" in p for p in problems)


def test_a_config_that_cannot_be_written(prog: Program, tmp_path: Path,
                                         monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "file").write_text("")
    shell = Shell(prog)
    shell.session.use_config(Config(tmp_path / "file" / "sub" / "config.toml"))
    lines = shell.run("set radix d")
    assert lines[0].startswith("q4: cannot save radix to ") and "holds for this session" in lines[0]
    assert shell.session.settings["radix"] == "d"


def test_radix_setting_is_print_default(prog: Program) -> None:
    shell = Shell(prog)
    shell.run("load proc_t from proc max 2")
    assert shell.run("print p_pid") == ["p_pid", "    0", "    1"]
    shell.run("set radix x")
    assert shell.run("print p_pid") == ["p_pid", "    0", "  0x1"]
    assert shell.run("print -d p_pid") == ["p_pid", "    0", "    1"]  # a flag still wins


def test_aliases(prog: Program, config_dir: Path) -> None:
    shell = configured(prog, config_dir)
    assert shell.run("sym freemem") == shell.run("symbol freemem")
    assert shell.run("bt event 0")[:2] == shell.run("trace event 0")[:2]
    shell.run('alias kp "load proc_t from proc max 3"')
    assert shell.run("kp") == shell.run("load proc_t from proc max 3")
    assert "kp" in (config_dir / "config.toml").read_text()
    assert "kp   load proc_t from proc max 3" in shell.run("alias")
    assert "bt   trace  (built in)" in shell.run("alias")
    assert configured(prog, config_dir).run("alias kp") == ["kp  load proc_t from proc max 3"]
    shell.run("unalias kp")
    assert shell.run("kp")[0].startswith("q4: unknown command 'kp'")
    assert "kp" not in (config_dir / "config.toml").read_text()


def test_help_names_the_aliases_pipes_and_escapes(prog: Program) -> None:
    shell = Shell(prog)
    listing = shell.run("help")
    assert "aliases: bt (trace), log (crashinfo msgbuf), rd (examine), sym (symbol)" in listing
    assert "'| SHELL-COMMANDS' to pipe it; '!COMMAND' runs a shell command" in listing[-1]
    assert shell.run("help bt")[:2] == ["bt is an alias: trace", shell.run("help trace")[0]]
    shell.run('alias kp "load proc_t from proc max 3"')
    assert shell.run("help kp")[:2] == ["kp is an alias: load proc_t from proc max 3",
                                        shell.run("help load")[0]]


@pytest.mark.parametrize(("line", "error"), [
    ('alias help "symbol x"', "'help' is a command"),
    ('alias 9x "help"', "'9x' is not a name"),
    ('alias loop "loop 1"', "cannot stand for itself"),
    ("alias nosuch", "no alias 'nosuch'"),
    ("unalias nosuch", "no alias 'nosuch'"),
])
def test_alias_errors(prog: Program, line: str, error: str) -> None:
    lines = Shell(prog).run(line)
    assert len(lines) == 1 and lines[0].startswith("q4: ") and error in lines[0]


def test_an_alias_is_expanded_once(prog: Program) -> None:
    shell = Shell(prog)
    shell.run('alias a1 "a2"')
    shell.run('alias a2 "a1"')
    assert shell.run("a1") == ["q4: unknown command 'a2' (type 'help' for the list)"]


def test_banner(prog: Program) -> None:
    lines = render_banner(prog)
    assert lines[0].startswith("q4py ")
    labels = [line.split(":", 1)[0].strip() for line in lines[1:]]
    assert labels == ["DUMP", "HOST", "MODEL", "RELEASE", "DUMP TIME", "CRASH", "CPUS", "MEMORY"]
    text = "\n".join(lines)
    assert 'PANIC "kalloc: out of kernel virtual space"' in text
    assert "9000/800/K360" in text and "B.11.00 (32-bit kernel)" in text
    assert f"({prog.read_global('physmem')} pages)" in text


def test_banner_only_on_a_terminal(forged_dump: Callable[[str], Path],
                                   capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["-c", "help exit", str(forged_dump(SEED))]) == 0
    assert "DUMP TIME" not in capsys.readouterr().out


@pytest.mark.parametrize(("value", "env", "command"), [
    ("off", None, None), ("on", None, "less -FRX"), ("on", "more", "more"),
    ("cat -n", "more", "cat -n"),
])
def test_pager_command(monkeypatch: pytest.MonkeyPatch, value: str, env: str | None,
                       command: str | None) -> None:
    if env is None:
        monkeypatch.delenv("PAGER", raising=False)
    else:
        monkeypatch.setenv("PAGER", env)
    assert pager_command(value) == command


def test_a_missing_pager_shows_the_output_and_says_so(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("LINES", "5")
    out = io.StringIO()
    show("1\n2\n3\n4\n5\n6\n", out, "no-such-pager-q4py")
    lines = out.getvalue().splitlines()
    assert lines[:6] == ["1", "2", "3", "4", "5", "6"]
    assert lines[6].startswith("q4: pager 'no-such-pager-q4py' not found")
    out = io.StringIO()
    show("1\n2\n", out, "no-such-pager-q4py")  # fits the screen: no pager asked
    assert out.getvalue() == "1\n2\n"


def test_wide_lines_count_as_several_rows(monkeypatch: pytest.MonkeyPatch) -> None:
    assert screen_rows("ab\n" * 3, 80) == 3
    assert screen_rows("x" * 100 + "\n", 40) == 3
    assert screen_rows("\n", 40) == 1
    monkeypatch.setenv("LINES", "5")
    out = io.StringIO()
    show("y" * 100 + "\n", out, "no-such-pager-q4py", width=30)  # 4 rows: paged
    assert "q4: pager 'no-such-pager-q4py' not found" in out.getvalue()
    out = io.StringIO()
    show("y" * 100 + "\n", out, "no-such-pager-q4py", width=100)  # 1 row: fits
    assert out.getvalue() == "y" * 100 + "\n"


def test_width_setting(prog: Program) -> None:
    shell = Shell(prog)
    assert shell.run("set width 132") == ["width  132"]
    assert shell.session.settings["width"] == 132
    assert shell.run("set width 5")[0].startswith("q4: set width: bad value '5'")
    assert shell.run("set width auto") == ["width  auto"]
