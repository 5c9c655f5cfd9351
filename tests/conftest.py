"""Shared test fixtures: paths of the repository, and crash directories forged from scenarios."""

from __future__ import annotations

import os
import sys
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

# The *.q4t transcript collector (q4py/shell/pytest_plugin.py). An installed q4py registers it
# as the pytest11 entry point `q4py`, which pytest imports before this file; registering the
# module again under its own name would be an error, hence the guard.
pytest_plugins = (
    [] if "q4py.shell.pytest_plugin" in sys.modules else ["q4py.shell.pytest_plugin"]
)

REPO_ROOT = Path(__file__).resolve().parent.parent
SCENARIOS_DIR = REPO_ROOT / "fixtures" / "scenarios"
TRANSCRIPTS_DIR = REPO_ROOT / "fixtures" / "transcripts"


@pytest.fixture(scope="session", autouse=True)
def private_config_dir(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """Every test, and every q4 it starts, reads and writes a config directory of its own:
    `set` and `alias` persist their values, and must never touch the user's
    ~/.config/q4py/config.toml (nor take a user's settings into a test's output)."""
    directory = tmp_path_factory.mktemp("config")
    previous = os.environ.get("Q4PY_CONFIG_DIR")
    os.environ["Q4PY_CONFIG_DIR"] = str(directory)
    try:
        yield directory
    finally:
        if previous is None:
            os.environ.pop("Q4PY_CONFIG_DIR", None)
        else:
            os.environ["Q4PY_CONFIG_DIR"] = previous


@pytest.fixture(scope="session")
def forged_dump(tmp_path_factory: pytest.TempPathFactory) -> Callable[[str], Path]:
    """A factory: `forged_dump("NAME")` is the crash directory forged from
    fixtures/scenarios/NAME.toml, built once per test session and shared by every test."""
    made: dict[str, Path] = {}

    def forge(name: str) -> Path:
        if name not in made:
            from q4py.forge import forge_crashdir  # lazy: tests without dumps don't need it

            scenario = SCENARIOS_DIR / f"{name}.toml"
            if not scenario.is_file():
                raise FileNotFoundError(f"no scenario fixture {scenario}")
            outdir = tmp_path_factory.mktemp(f"dump-{name}")
            forge_crashdir(scenario, outdir)
            made[name] = outdir
        return made[name]

    return forge


@pytest.fixture(scope="module")
def scratch_cwd(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """Run in an empty temporary directory: fuzzed command lines may redirect output (`> x`),
    and those files must not land in the repository."""
    previous = Path.cwd()
    scratch = tmp_path_factory.mktemp("cwd")
    os.chdir(scratch)
    try:
        yield scratch
    finally:
        os.chdir(previous)
