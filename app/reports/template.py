"""Report templates: page layout and styles as data files in report_templates/.

A template is validated as it is loaded; anything malformed raises `ReportTemplateError`
naming the file and the key. Each template is loaded once per process.
"""

from __future__ import annotations

import re
import string
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from reportlab.lib import pagesizes
from reportlab.lib.colors import Color, HexColor
from reportlab.lib.units import mm

from app.assessment.questionnaire import available_versions, get_questionnaire
from app.assessment.yamlfile import YamlReader

TEMPLATE_DIR = Path(__file__).resolve().parent.parent.parent / "report_templates"
SECTIONS = ("summary", "rectification", "pillars", "appendix")
PAGE_SIZES = {"A4": pagesizes.A4, "A5": pagesizes.A5, "letter": pagesizes.letter, "legal": pagesizes.legal}
FONT_SIZES = ("title", "subtitle", "h1", "h2", "body", "small", "table")
COLOURS = ("primary", "text", "muted", "rule", "shade", "table_header", "good", "warn")
SERIES = ("this_year", "last_year", "peers")
PLACEHOLDERS = ("branch", "code", "parent", "title", "year", "page")
BILINGUAL_LAYOUTS = ("stacked", "columns")
HEX = re.compile(r"^#[0-9a-fA-F]{6}$")


def level_ids() -> tuple[str, ...]:
    """The maturity levels of every questionnaire version: a template gives each its colour."""
    ids = [lv.id for version in available_versions() for lv in get_questionnaire(version).levels]
    return tuple(dict.fromkeys(ids))


class ReportTemplateError(ValueError):
    """A report template is malformed."""


@dataclass(frozen=True)
class ReportTemplate:
    name: str
    page_size: tuple[float, float]  # points
    margins: dict[str, float]  # points: top, bottom, left, right
    sizes: dict[str, float]
    leading: float
    secondary: float
    bold: float  # stroke width of the synthetic bold of headings, as a fraction of the font size
    colours: dict[str, Color]
    level_colours: dict[str, Color]
    series_colours: dict[str, Color]
    bilingual: str
    sections: tuple[str, ...]
    header: dict[str, str]
    footer: dict[str, str]

    @property
    def frame_width(self) -> float:
        return self.page_size[0] - self.margins["left"] - self.margins["right"]


def available_templates() -> list[str]:
    return sorted(p.stem for p in TEMPLATE_DIR.glob("*.yaml"))


@cache
def load_template(name: str) -> ReportTemplate:
    """The template report_templates/<name>.yaml, parsed once per process."""
    if name not in available_templates():
        raise ReportTemplateError(f"{TEMPLATE_DIR / (name + '.yaml')}: no report template named {name!r}")
    return parse_template(TEMPLATE_DIR / f"{name}.yaml")


def parse_template(path: str | Path) -> ReportTemplate:
    loader = _Loader(path)
    return loader.template(loader.load())


class _Loader(YamlReader):
    error = ReportTemplateError

    def number(self, value, where: str, low: float, high: float) -> float:
        return float(super().number(value, where, low=low, high=high))

    def colour(self, value, where: str) -> Color:
        if not isinstance(value, str) or not HEX.match(value):
            self.fail(where, f"expected a colour as #rrggbb, got {value!r}")
        return HexColor(value)

    def colours(self, value, where: str, keys: tuple[str, ...]) -> dict[str, Color]:
        value = self.mapping(value, where, keys)
        return {key: self.colour(value[key], f"{where}.{key}") for key in keys}

    def slots(self, value, where: str) -> dict[str, str]:
        value = self.mapping(value, where)
        out = {}
        for side in ("left", "right"):
            text = value.get(side, "")
            if not isinstance(text, str):
                self.fail(f"{where}.{side}", "expected a string")
            try:
                fields = [f for _, f, _, _ in string.Formatter().parse(text) if f is not None]
            except ValueError as exc:
                self.fail(f"{where}.{side}", str(exc))
            for field in fields:
                if field not in PLACEHOLDERS:
                    self.fail(f"{where}.{side}", f"unknown piece {{{field}}} (known: {', '.join(PLACEHOLDERS)})")
            out[side] = text
        return out

    def template(self, data) -> ReportTemplate:
        data = self.mapping(data, "top level")
        if data.get("name") != self.path.stem:
            self.fail("name", f"{data.get('name')!r} does not match the file name {self.path.stem!r}")
        page = self.mapping(data.get("page"), "page", ("size", "margins"))
        if page["size"] not in PAGE_SIZES:
            self.fail("page.size", f"unknown page size {page['size']!r} (known: {', '.join(PAGE_SIZES)})")
        size = PAGE_SIZES[page["size"]]
        raw_margins = self.mapping(page["margins"], "page.margins", ("top", "bottom", "left", "right"))
        margins = {k: self.number(raw_margins[k], f"page.margins.{k}", 5, 60) * mm for k in raw_margins}
        if size[0] - margins["left"] - margins["right"] < 80 * mm:
            self.fail("page.margins", "leave less than 80 mm for the text")

        fonts = self.mapping(data.get("fonts"), "fonts", (*FONT_SIZES, "leading", "secondary", "bold"))
        sizes = {k: self.number(fonts[k], f"fonts.{k}", 5, 48) for k in FONT_SIZES}
        colours = self.mapping(data.get("colours"), "colours", (*COLOURS, "levels", "series"))

        sections = data.get("sections")
        if not isinstance(sections, list) or not sections:
            self.fail("sections", "expected a non-empty list")
        for section in sections:
            if section not in SECTIONS:
                self.fail("sections", f"unknown section {section!r} (known: {', '.join(SECTIONS)})")
        if len(set(sections)) != len(sections):
            self.fail("sections", "a section is listed twice")
        if data.get("bilingual") not in BILINGUAL_LAYOUTS:
            self.fail("bilingual", f"expected one of {', '.join(BILINGUAL_LAYOUTS)}")
        return ReportTemplate(
            name=data["name"],
            page_size=size,
            margins=margins,
            sizes=sizes,
            leading=self.number(fonts["leading"], "fonts.leading", 1, 2.5),
            secondary=self.number(fonts["secondary"], "fonts.secondary", 0.6, 1.2),
            bold=self.number(fonts["bold"], "fonts.bold", 0, 0.1),
            colours={k: self.colour(colours[k], f"colours.{k}") for k in COLOURS},
            level_colours=self.colours(colours["levels"], "colours.levels", level_ids()),
            series_colours=self.colours(colours["series"], "colours.series", SERIES),
            bilingual=data["bilingual"],
            sections=tuple(sections),
            header=self.slots(data.get("header", {}), "header"),
            footer=self.slots(data.get("footer", {}), "footer"),
        )
