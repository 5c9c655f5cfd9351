"""`q4-forge SCENARIO.toml OUTDIR`: build a crash directory from a scenario."""

from __future__ import annotations

import argparse
import sys

from q4py.errors import Q4Error


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="q4-forge", description=__doc__)
    parser.add_argument("scenario", help="scenario file (TOML), see docs/scenario-format.md")
    parser.add_argument("outdir", help="crash directory to write (created; must be empty)")
    args = parser.parse_args(argv)
    from pathlib import Path

    from q4py.forge import forge_crashdir

    out = Path(args.outdir)
    if out.exists() and any(out.iterdir()):
        print(f"q4-forge: {out}: not empty; give a new or empty directory", file=sys.stderr)
        return 2
    try:
        forge_crashdir(args.scenario, out)
    except Q4Error as err:
        print(f"q4-forge: {err}", file=sys.stderr)
        return 2
    print(f"q4-forge: wrote {out}")
    return 0


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
