"""Renderers: exact text for each analysis, and the crashinfo section registry.

A crashinfo section is a function `(prog) -> list[str]` registered with `@section`; it calls an
analysis (plain data, in `q4py.analyses`) and formats it. A section whose text differs between
crashinfo versions is registered with `styled=True` and takes the style too,
`(prog, style) -> list[str]` (`q4py.render.styles`). `crashinfo` prints the sections in HP's
order; `load_sections()` imports every module of this package so a new section is a new file.
"""

from __future__ import annotations

import importlib
import pkgutil
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from q4py.program import Program

if TYPE_CHECKING:
    from q4py.render.styles import CrashinfoStyle

SectionFn = Callable[..., list[str]]  # (prog) or, styled, (prog, style)


@dataclass(frozen=True)
class Section:
    name: str
    title: str
    order: float  # its place in HP's report
    fn: SectionFn
    styled: bool = False

    def render(self, prog: Program, style: CrashinfoStyle) -> list[str]:
        return self.fn(prog, style) if self.styled else self.fn(prog)


SECTIONS: dict[str, Section] = {}


def section(name: str, title: str, order: float,
            styled: bool = False) -> Callable[[SectionFn], SectionFn]:
    """Register a crashinfo section; `order` is its place in HP's report; `styled` when its
    text depends on the crashinfo style (the function then takes it as a second argument)."""

    def register(fn: SectionFn) -> SectionFn:
        SECTIONS[name] = Section(name, title, order, fn, styled)
        return fn

    return register



def load_sections() -> list[Section]:
    """Every section, in report order."""
    for module in pkgutil.iter_modules(__path__):
        importlib.import_module(f"{__name__}.{module.name}")
    return sorted(SECTIONS.values(), key=lambda s: s.order)
