"""Lists in the docs that name code: each names all there is, and nothing that is gone.

docs/architecture.md names every module of the package where it belongs; docs/crashinfo.md's
attribute table has a row per crashinfo style attribute, with the styles that set it otherwise,
a row per style and a heading per section; README.md's crashinfo row names every section.
"""

from __future__ import annotations

import dataclasses
import importlib
import re

from conftest import REPO_ROOT

from q4py.render.styles import STYLES, CrashinfoStyle

PACKAGE = REPO_ROOT / "q4py"
ARCHITECTURE = (REPO_ROOT / "docs" / "architecture.md").read_text(encoding="utf-8")
CRASHINFO = (REPO_ROOT / "docs" / "crashinfo.md").read_text(encoding="utf-8")
# What a style is, not how it prints: not attributes the table lists.
STYLE_IDENTITY = ("name", "differs", "reports")


def _modules() -> set[str]:
    names = set()
    for path in PACKAGE.rglob("*.py"):
        parts = path.relative_to(REPO_ROOT).with_suffix("").parts
        if parts[-1] == "__init__":
            parts = parts[:-1]
        names.add(".".join(parts))
    return names


def _resolves(dotted: str) -> bool:
    """A module, or a name a module defines (`q4py.open`, `q4py.analyses.catalog.ANALYSES`)."""
    parts = dotted.split(".")
    for cut in range(len(parts), 0, -1):
        try:
            obj = importlib.import_module(".".join(parts[:cut]))
        except ModuleNotFoundError:
            continue
        for name in parts[cut:]:
            if not hasattr(obj, name):
                return False
            obj = getattr(obj, name)
        return True
    return False


def test_architecture_names_every_module() -> None:
    named = set(re.findall(r"`(q4py(?:\.\w+)*)", ARCHITECTURE))
    missing = sorted(m for m in _modules() if m not in named)
    assert not missing, f"docs/architecture.md does not name: {missing}"


def test_architecture_names_nothing_that_is_gone() -> None:
    gone = sorted(n for n in set(re.findall(r"`(q4py(?:\.\w+)+)", ARCHITECTURE))
                  if not _resolves(n))
    assert not gone, f"docs/architecture.md names what q4py lacks: {gone}"


def _attribute_rows() -> dict[str, str]:
    """The attribute table's rows: attribute -> its `styles that differ` cell."""
    rows = re.findall(r"^\| `(\w+)` \| `[^`]*` \| .* \| ([^|]*) \|$", CRASHINFO, re.MULTILINE)
    return dict(rows)


def test_crashinfo_doc_lists_every_style_attribute() -> None:
    fields = {f.name: f for f in dataclasses.fields(CrashinfoStyle)
              if f.name not in STYLE_IDENTITY}
    rows = _attribute_rows()
    assert sorted(rows) == sorted(fields), "docs/crashinfo.md's style attribute table"
    for name, field in fields.items():
        documented = set(re.findall(r"`([\w.-]+)`", rows[name]))
        differ = {s.name for s in STYLES if getattr(s, name) != field.default}
        assert documented - {"None"} == differ, name
        assert f"| `{name}` | `{field.default!r}` |".replace("'", '"') in CRASHINFO, name


def test_crashinfo_doc_has_a_row_per_style() -> None:
    table = CRASHINFO.split("| style | what differs | reports that show it |\n", 1)[1]
    table = table.split("\n\n", 1)[0]
    rows = re.findall(r"^\| `([\w.-]+)` \| ", table, re.MULTILINE)
    assert rows == [s.name for s in STYLES]


def test_crashinfo_doc_has_a_heading_per_section() -> None:
    from q4py.render import load_sections

    headings = re.findall(r"^### `(\w+)` — ", CRASHINFO, re.MULTILINE)
    assert sorted(headings) == sorted(s.name for s in load_sections())


def test_readme_lists_every_crashinfo_section_in_report_order() -> None:
    from q4py.render import load_sections

    readme = (REPO_ROOT / "README.md").read_text(encoding="utf-8")
    listed = re.search(r"sections `([\w ]+)`", readme)
    assert listed is not None, "README.md's crashinfo row lists no sections"
    assert listed[1].split() == [s.name for s in load_sections()]
