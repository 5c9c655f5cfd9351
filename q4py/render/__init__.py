"""Renderers: exact text for each analysis, and the crashinfo section registry.

A crashinfo section is a function `(prog) -> list[str]` registered with `@section`; it calls an
analysis (plain data, in `q4py.analyses`) and formats it. `crashinfo` prints the sections in HP's
order; `load_sections()` imports every module of this package so a new section is a new file.
"""

from __future__ import annotations

import importlib
import pkgutil
from collections.abc import Callable
from dataclasses import dataclass

from q4py.program import Program

SectionFn = Callable[[Program], list[str]]


@dataclass(frozen=True)
class Section:
    name: str
    title: str
    order: int
    fn: SectionFn


SECTIONS: dict[str, Section] = {}


def section(name: str, title: str, order: int) -> Callable[[SectionFn], SectionFn]:
    """Register a crashinfo section; `order` is its place in HP's report."""

    def register(fn: SectionFn) -> SectionFn:
        SECTIONS[name] = Section(name, title, order, fn)
        return fn

    return register


def load_sections() -> list[Section]:
    """Every section, in report order."""
    for module in pkgutil.iter_modules(__path__):
        importlib.import_module(f"{__name__}.{module.name}")
    return sorted(SECTIONS.values(), key=lambda s: s.order)
