"""`q4-forge SCENARIO.toml OUTDIR [--format crashdir|coredir|corefile]`: build a crash dump from a
scenario, in the scenario's dump format (`dump.format`) or the one given."""

from __future__ import annotations

import argparse
import sys

from q4py.errors import Q4Error


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="q4-forge", description=__doc__)
    parser.add_argument("scenario", help="scenario file (TOML), see docs/scenario-format.md")
    parser.add_argument("outdir", help="directory to write (created; must be empty)")
    parser.add_argument("--format", choices=("crashdir", "coredir", "corefile"),
                        help="dump format (default: the scenario's dump.format, else crashdir)")
    args = parser.parse_args(argv)
    from pathlib import Path

    from q4py.forge import forge_crashdir

    out = Path(args.outdir)
    if out.exists() and any(out.iterdir()):
        print(f"q4-forge: {out}: not empty; give a new or empty directory", file=sys.stderr)
        return 2
    try:
        forge_crashdir(args.scenario, out, args.format)
    except Q4Error as err:
        print(f"q4-forge: {err}", file=sys.stderr)
        return 2
    print(f"q4-forge: wrote {out}")
    return 0


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
