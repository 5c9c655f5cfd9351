"""Helpers the test modules share: a session that returns what one command printed, a way
to corrupt one word of a private copy of a dump, the seed scenario shrunk to forge fast, and a
scenario forged and opened."""

from __future__ import annotations

import io
import sys
from pathlib import Path
from typing import Any

from conftest import SCENARIOS_DIR

from q4py.crashdir import CrashDir
from q4py.forge.build import Forge
from q4py.forge.scenario import SCENARIO
from q4py.program import Program
from q4py.shell import Session

if sys.version_info >= (3, 11):
    import tomllib
else:
    import tomli as tomllib

SEED_SCENARIO = SCENARIOS_DIR / "hpux1100-32-kalloc-sysmap.toml"


class Shell:
    """One session; `run` returns the lines one command printed, `text` the raw output."""

    def __init__(self, prog: object) -> None:
        self.out = io.StringIO()
        self.session = Session(prog, self.out)

    def text(self, line: str) -> str:
        self.out.seek(0)
        self.out.truncate()
        self.session.execute(line)
        return self.out.getvalue()

    def run(self, line: str) -> list[str]:
        return self.text(line).split("\n")[:-1]

    @property
    def piles(self) -> object:
        return self.session.piles


def poke(dump: Path, pa: int, data: bytes) -> None:
    """Overwrite physical memory at `pa` in the (plain) image file of a COPY of a dump."""
    with CrashDir.open(dump) as crash:
        page = crash.index.pagesize
        for image in crash.images.values():
            index = image.index_of(pa // page)
            if index is not None:
                offset = image.data_offset + index * page + pa % page
                path = image.path
                break
        else:
            raise AssertionError(f"{pa:#x} is not in the dump")
    assert pa % page + len(data) <= page, "one page at a time"
    with open(path, "r+b") as f:
        f.seek(offset)
        f.write(data)


def small_seed_raw() -> dict[str, Any]:
    """The seed scenario as TOML gives it (not validated), shrunk to 32 MB and its first
    processes: same kernel, stacks and events, but it forges in milliseconds. A fresh copy."""
    raw = tomllib.loads(SEED_SCENARIO.read_text(encoding="utf-8"))
    raw["system"]["memory_pages"] = 8192
    raw["pages"] = {"free": 2000, "text": 1684, "data": 136, "bss": 603}
    del raw["process_groups"]
    raw["nproc"] = 64
    return raw


def forged_program(raw: dict[str, Any], outdir: Path) -> Program:
    """A scenario as TOML gives it, validated as load_scenario does, built into `outdir` and
    opened."""
    Forge(SCENARIO.validate(raw, "")).build(outdir)
    return Program.open(outdir)
