"""A bounded hostile-input corpus in the suite (issue 10): every category of tests/fuzzcorpus.py,
seeded, each case judged clean (one line per problem, no Traceback, no hang, bounded memory,
the crash directory unchanged). The long run is `python benchmarks/fuzz.py --cases N`."""

from __future__ import annotations

from pathlib import Path

import pytest
from fuzzcorpus import CATEGORIES, OUTCOMES, generate, make_bases, run_case, tally

SEED = 20261206
CASES = 48  # six of each category: about 15 s on a 2-core machine


@pytest.fixture(scope="module")
def bases(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    return make_bases(tmp_path_factory.mktemp("fuzz-bases"))


def test_the_corpus_is_clean(bases: dict[str, Path], tmp_path: Path,
                             monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("Q4PY_CACHE_DIR", str(tmp_path / "cache"))
    outcomes = [run_case(case, bases, tmp_path / "case") for case in generate(SEED, CASES)]
    table = tally(outcomes)
    assert {c for c in CATEGORIES if table[c]["cases"]} == set(CATEGORIES)
    findings = [f"{o.case.category} #{o.case.number}: {o.outcome}: {o.detail}"
                for o in outcomes if o.outcome != "clean"]
    assert findings == []
    assert sum(table[c]["clean"] for c in CATEGORIES) == CASES


def test_the_judge_sees_a_modified_dump(bases: dict[str, Path], tmp_path: Path,
                                        monkeypatch: pytest.MonkeyPatch) -> None:
    """The harness itself can fail a case: a command that writes into the dump is caught."""
    import fuzzcorpus

    monkeypatch.setenv("Q4PY_CACHE_DIR", str(tmp_path / "cache"))
    real = fuzzcorpus.build

    def writing(case: fuzzcorpus.Case, bases: dict[str, Path], where: Path
                ) -> tuple[Path, list[str]]:
        dump, _ = real(case, bases, where)
        (where / "cwd" / "w.py").write_text(
            f"def run(q4, args):\n    open({str(dump / 'INDEX')!r}, 'a').write('x')\n")
        return dump, ["run ./w.py"]

    monkeypatch.setattr(fuzzcorpus, "build", writing)
    case = fuzzcorpus.Case("commands", 0, 1)
    assert run_case(case, bases, tmp_path / "case").outcome == "file modified"
    assert "file modified" in OUTCOMES


HANG = "hpux1100-32-hang-nfs-swap-p4"  # the smallest hang fixture: 11.00 tables, pst_ucomms


def test_structures_cases_on_a_hang_fixture_are_clean(tmp_path: Path,
                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    """A few of `benchmarks/fuzz.py --scenario hang`'s cases: today's structures corrupted on a
    copy whose images are hard links into the base, which stays as it was."""
    from fuzzcorpus import SCENARIO_CATEGORIES, build

    monkeypatch.setenv("Q4PY_CACHE_DIR", str(tmp_path / "cache"))
    bases = make_bases(tmp_path / "bases", (HANG,))
    base = bases[f"scenario:{HANG}"]
    before = {name: path.read_bytes() for name, path in
              ((p.name, p) for p in base.iterdir())}
    cases = [c for c in generate(SEED, 40, SCENARIO_CATEGORIES)
             if c.category in ("structures", "image", "commands")][:4]
    assert {c.category for c in cases} >= {"structures"}
    structures = next(c for c in cases if c.category == "structures")
    (tmp_path / "built").mkdir()
    dump, _ = build(structures, bases, tmp_path / "built")
    assert any(image.read_bytes() != before[image.name] for image in dump.glob("image.*"))
    outcomes = [run_case(case, bases, tmp_path / "case") for case in cases]
    assert [o.outcome for o in outcomes] == ["clean"] * len(cases), \
        [(o.case, o.detail) for o in outcomes]
    assert {p.name: p.read_bytes() for p in base.iterdir()} == before
