"""Session settings and the `set` command."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from q4py import settings
from q4py.errors import CommandError
from q4py.program import Program
from q4py.settings import Setting, Settings
from tests.helpers import Shell


@pytest.fixture
def declared_colour():
    setting = settings.declare(Setting("test_colour", "red", "a colour for the tests",
                                       choices=("red", "blue")))
    yield setting
    settings._DECLARED.pop("test_colour", None)


@pytest.fixture
def declared_width():
    def parse(text: str) -> int:
        value = int(text)
        if value < 20:
            raise ValueError("at least 20")
        return value

    settings.declare(Setting("test_width", 80, "a width for the tests", parse=parse))
    yield
    settings._DECLARED.pop("test_width", None)


def test_default_until_changed(declared_colour):
    values = Settings()
    assert values["test_colour"] == "red"
    assert values.change("test_colour", "blue") == "blue"
    assert values["test_colour"] == "blue"
    values.reset("test_colour")
    assert values["test_colour"] == "red"


def test_bad_choice_lists_the_values(declared_colour):
    with pytest.raises(CommandError, match=r"unknown value 'green' \(one of: red, blue\)"):
        Settings().change("test_colour", "green")


def test_parse_error_says_why(declared_width):
    with pytest.raises(CommandError, match="bad value '5': at least 20"):
        Settings().change("test_width", "5")
    assert Settings().change("test_width", "132") == 132


def test_unknown_setting_names_the_settings(declared_colour):
    with pytest.raises(CommandError, match="unknown setting 'nope'.*test_colour"):
        Settings()["nope"]


def test_set_command(declared_colour, forged_dump: Callable[[str], Path]):
    shell = Shell(Program.open(forged_dump("hpux1100-32-kalloc-sysmap")))
    assert ["test_colour", "red"] in [line.split() for line in shell.run("set")]
    assert shell.run("set test_colour blue") == ["test_colour  blue"]
    lines = shell.run("set test_colour")
    assert lines[0] == "test_colour  blue"
    assert "values: red, blue" in lines[1]
    assert shell.run("set test_colour default") == ["test_colour  red"]
    assert shell.run("set test_colour green")[0].startswith("q4: set test_colour: unknown value")
    assert shell.run("set a b c")[0].startswith("q4: usage: set")
