"""The forge: crash directories built from scenario files (`q4-forge SCENARIO OUTDIR`)."""

from __future__ import annotations

import shutil
from pathlib import Path

from q4py.errors import ScenarioError
from q4py.forge.build import Forge
from q4py.forge.scenario import load_scenario


def forge_crashdir(scenario_path: str | Path, outdir: str | Path,
                   dump_format: str | None = None) -> None:
    """Write the dump a scenario describes into `outdir` (created if needed), in `dump_format`
    (crashdir, coredir, corefile; default the scenario's `dump.format`).

    A scenario that cannot be built raises ScenarioError naming the scenario's file, and
    leaves no trace: what the build wrote is removed (`outdir` too when it made it)."""
    scenario = load_scenario(scenario_path)
    outdir = Path(outdir)
    existed = outdir.is_dir()
    before = set(outdir.iterdir()) if existed else set()
    outdir.mkdir(parents=True, exist_ok=True)
    try:
        Forge(scenario).build(outdir, dump_format)
    except BaseException as exc:
        if not existed:
            shutil.rmtree(outdir, ignore_errors=True)
        else:
            for path in set(outdir.iterdir()) - before:
                if path.is_dir() and not path.is_symlink():
                    shutil.rmtree(path, ignore_errors=True)
                else:
                    path.unlink(missing_ok=True)
        if isinstance(exc, ScenarioError):
            raise ScenarioError("", f"{scenario_path}: {exc}") from None
        raise
