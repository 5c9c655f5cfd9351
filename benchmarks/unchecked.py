"""How much of each fixture transcript's output goes unchecked: `python benchmarks/unchecked.py`.

A transcript's `...` line matches any run of output lines. Where an analyst cut the report that
is right; anywhere else it hides what q4py prints. This script replays every transcript of
`fixtures/transcripts/` (or the ones named) against the dump its header names, forged into the
q4py cache on first use, and prints per transcript the blocks, the `...` lines and the output
lines that only a `...` covered, with the totals; `--show` also prints those lines under each
`...` (by the line number of its command), `--json FILE` writes the figures as records. A
transcript that does not replay is listed as failing (its count is left out of the totals).
"""

from __future__ import annotations

import argparse
import io
import json
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))

from q4py.cachedir import forge_cached  # noqa: E402
from q4py.cli import DEMO_SCENARIO, _demo_crashdir  # noqa: E402
from q4py.program import Program  # noqa: E402
from q4py.shell.session import Session  # noqa: E402
from q4py.shell.transcript import ELLIPSIS, header_dump, parse_transcript, replay  # noqa: E402

TRANSCRIPTS = REPO / "fixtures" / "transcripts"


def crashdir_of(path: Path) -> Path:
    transcript = parse_transcript(path.read_text(encoding="utf-8"), str(path))
    found = header_dump(transcript, path.parent, Path(DEMO_SCENARIO).stem)
    if found is None or found.demo:
        return _demo_crashdir()
    if found.crashdir is not None:
        return found.crashdir.absolute()
    assert found.scenario is not None
    return forge_cached(found.scenario, f"scenarios/{found.scenario.stem}",
                        what=f"scenario {found.scenario.stem}")


def measure(path: Path, show: bool = False) -> dict[str, object]:
    transcript = parse_transcript(path.read_text(encoding="utf-8"), str(path))
    ellipses = sum(line.rstrip() == ELLIPSIS for block in transcript.blocks
                   for line in block.expected)
    program = Program.open(crashdir_of(path))
    result = replay(transcript, Session(program, io.StringIO()), directory=path.parent)
    if show:
        for line_no, lines in result.covered:
            print(f"== {path.name}:{line_no}: a `...` covers {len(lines)} line(s)")
            print("".join(f"   | {line}\n" for line in lines), end="")
    return {"transcript": path.name, "blocks": len(transcript.blocks), "ellipses": ellipses,
            "unchecked": result.unchecked if result.ok else None,
            "failing_blocks": len(result.failures)}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("transcripts", nargs="*", type=Path,
                        help="transcripts to measure (default: fixtures/transcripts/*.q4t)")
    parser.add_argument("--show", action="store_true",
                        help="print the lines each `...` covers")
    parser.add_argument("--json", metavar="FILE", help="also write the figures as JSON")
    args = parser.parse_args(argv)
    paths = args.transcripts or sorted(TRANSCRIPTS.glob("*.q4t"))
    rows = [measure(path.resolve(), args.show) for path in paths]
    width = max(len(str(r["transcript"])) for r in rows)
    print(f"{'transcript':<{width}}  blocks  `...`  unchecked lines")
    for r in rows:
        shown = r["unchecked"] if r["unchecked"] is not None else \
            f"(replay fails: {r['failing_blocks']} block(s))"
        print(f"{r['transcript']:<{width}}  {r['blocks']:>6}  {r['ellipses']:>5}  {shown}")
    total = sum(int(r["unchecked"]) for r in rows if r["unchecked"] is not None)  # type: ignore[call-overload]
    dots = sum(int(r["ellipses"]) for r in rows)  # type: ignore[call-overload]
    print(f"{'total':<{width}}  {'':>6}  {dots:>5}  {total}")
    if args.json:
        Path(args.json).write_text(json.dumps(rows, indent=1) + "\n", encoding="utf-8")
    return 0 if all(r["unchecked"] is not None for r in rows) else 1


if __name__ == "__main__":
    sys.exit(main())
