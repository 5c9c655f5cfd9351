"""The forge: crash directories built from scenario files (`q4-forge SCENARIO OUTDIR`)."""

from __future__ import annotations

from pathlib import Path

from q4py.forge.build import Forge
from q4py.forge.scenario import load_scenario


def forge_crashdir(scenario_path: str | Path, outdir: str | Path) -> None:
    """Write the crash directory a scenario describes into `outdir` (created if needed)."""
    scenario = load_scenario(scenario_path)
    outdir = Path(outdir)
    outdir.mkdir(parents=True, exist_ok=True)
    Forge(scenario).build(outdir)
