"""The figures of a comparison: each chart with the data table that says the same in words.

Built from the cohort's aggregates as plain data (title, Drawing, table of strings), in
"zh", "en" or "bilingual"; the page shows them as SVG, the cohort PDF as flowables.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from app.assessment.questionnaire import Questionnaire, SuggestionRule, get_questionnaire
from app.assessment.text import Text, fill

from .. import charts
from ..charts import RadarSeries, Style, radar_chart
from .labels import lines, say
from .queries import OVERALL, Cohort, PickedUnit

MAX_BARS = 15
MAX_ITEMS = 10


@dataclass
class Figure:
    ident: str
    title: str
    drawing: object
    headers: list[str]
    rows: list[list[str]]
    note: str = ""
    extra: list[dict] = field(default_factory=list)  # per row of the table: links and passages, for the page
    _svg: str | None = None

    @property
    def svg(self) -> str:
        if self._svg is None:
            self._svg = charts.to_svg(self.drawing, self.title, self.ident)
        return self._svg


def number(value: float | None) -> str:
    return "—" if value is None else f"{value:.1f}"


def percent(value: float) -> str:
    return f"{value:.0f}%"


def questionnaire_of(cohort: Cohort) -> Questionnaire:
    return get_questionnaire(cohort.selection.focus.version)


def measures(q: Questionnaire, t: dict[str, Text]) -> list[tuple[str, Text]]:
    """(id, name) of each pillar, then overall."""
    return [(p.id, p.name) for p in q.pillars] + [(OVERALL, t["overall"])]


def suggestion_for(q: Questionnaire, item_id: str) -> SuggestionRule | None:
    """The sources' first suggestion for the item: the rule with the lowest threshold above level 2."""
    rules = sorted((r for r in q.suggestions if r.item == item_id), key=lambda r: (r.below, r.id))
    pillar_rules = sorted(
        (r for r in q.suggestions if r.pillar == q.items[item_id].pillar_id), key=lambda r: (r.below, r.id)
    )
    return next((r for r in rules if r.below > q.levels[1].min), None) or (rules or pillar_rules or [None])[0]


def cohort_figures(cohort: Cohort, t: dict[str, Text], lang: str, style: Style, width: float) -> list[Figure]:
    """Every figure of the cohort but the radar (which depends on the picked units)."""
    sel = cohort.selection
    if not sel.cycles or not cohort.units(sel.focus):
        return []
    q = questionnaire_of(cohort)
    figs = [distribution(cohort, q, t, lang, style, width), trend(cohort, q, t, lang, style, width)]
    levels = [(lv.id, say(lv.name, lang)) for lv in q.levels]
    for m in cohort.movements:
        if m.total:
            figs.append(movement(m, levels, t, lang, style, width))
    if cohort.completion:
        figs.append(completion(cohort, t, lang, style, width))
    if cohort.items:
        figs.append(weakest(cohort, q, t, lang, style, width))
    return figs


def distribution(cohort: Cohort, q, t, lang, style, width) -> Figure:
    sel = cohort.selection
    ms = measures(q, t)
    boxes = [[cohort.box(c, mid) for c in sel.cycles] for mid, _name in ms]
    drawing = charts.box_plot(
        [lines(name, lang) for _, name in ms],
        [str(c.year) for c in sel.cycles],
        boxes,
        width=width,
        height=width * 0.5,
        style=style,
    )
    rows = []
    for mid, name in ms:
        for c in sel.cycles:
            b = cohort.box(c, mid)
            if b:
                rows.append(
                    [
                        say(name, lang),
                        str(c.year),
                        str(b.n),
                        *map(number, (b.minimum, b.q1, b.median, b.q3, b.maximum, b.mean)),
                    ]
                )
    headers = [
        say(t[k], lang) for k in ("measure", "year", "units", "minimum", "q1", "median", "q3", "maximum", "mean")
    ]
    return Figure(
        "distribution", say(t["distribution"], lang), drawing, headers, rows, note=say(t["distribution_note"], lang)
    )


def trend(cohort: Cohort, q, t, lang, style, width) -> Figure:
    sel = cohort.selection
    ms = measures(q, t)
    series = [(say(name, lang), [cohort.mean(c, mid) for c in sel.cycles]) for mid, name in ms]
    drawing = charts.line_chart(
        [str(c.year) for c in sel.cycles], series, width=width, height=width * 0.45, style=style
    )
    headers = [say(t["year"], lang), say(t["units"], lang), *(say(name, lang) for _, name in ms)]
    rows = [[str(c.year), str(cohort.units(c)), *(number(cohort.mean(c, mid)) for mid, _ in ms)] for c in sel.cycles]
    return Figure("trend", say(t["trend"], lang), drawing, headers, rows)


def movement(m, levels, t, lang, style, width) -> Figure:
    counts = [[m.counts.get((a, b), 0) for b, _ in levels] for a, _ in levels]
    names = [name for _, name in levels]
    before = say(fill(t["level_before"], year=m.before.year), lang)
    after = say(fill(t["level_after"], year=m.after.year), lang)
    drawing = charts.matrix_chart(
        names, names, counts, row_title="", column_title=after, width=width, height=width * 0.4, style=style
    )
    headers = [f"{before} \\ {after}", *names]
    rows = [[name, *map(str, row)] for name, row in zip(names, counts, strict=True)]
    title = say(fill(t["movement"], before=m.before.year, after=m.after.year), lang)
    return Figure(f"movement-{m.after.year}", title, drawing, headers, rows)


def completion(cohort: Cohort, t, lang, style, width) -> Figure:
    shown = cohort.completion[:MAX_BARS]
    drawing = charts.bar_chart(
        [f"{c.name} ({c.code})" for c in shown],
        [c.rate for c in shown],
        width=width,
        style=style,
        bar_colour=charts.colour(1),
    )
    headers = [say(t[k], lang) for k in ("organisation", "branches", "submitted", "drafts", "rate")]
    rows = [
        [f"{c.name} ({c.code})", str(c.branches), str(c.submitted), str(c.drafts), percent(c.rate)]
        for c in cohort.completion
    ]
    note = say(fill(t["completion_note"], count=len(shown)), lang) if len(cohort.completion) > len(shown) else ""
    return Figure(
        "completion",
        say(fill(t["completion"], year=cohort.selection.focus.year), lang),
        drawing,
        headers,
        rows,
        note=note,
    )


def weakest(cohort: Cohort, q: Questionnaire, t, lang, style, width) -> Figure:
    shown = [s for s in cohort.items if s.item_id in q.items][:MAX_ITEMS]
    labels = [f"{s.item_id} {say(q.items[s.item_id].text, lang, ' ')}" for s in shown]
    drawing = charts.bar_chart(labels, [s.share_below for s in shown], width=width, style=style)
    headers = [say(t[k], lang) for k in ("rank", "item", "pillar", "share_below", "mean_score", "suggestion")]
    rows, extra = [], []
    for rank, s in enumerate(shown, 1):
        item = q.items[s.item_id]
        rule = suggestion_for(q, s.item_id)
        rows.append(
            [
                str(rank),
                f"{s.item_id} {say(item.text, lang, ' ')}",
                say(q.pillar(item.pillar_id).name, lang),
                f"{percent(s.share_below)} ({s.below}/{s.units})",
                number(s.mean),
                say(rule.text, lang, " ") if rule else "—",
            ]
        )
        extra.append(
            {
                "rule": rule.id if rule else None,
                "source": say(q.sources[rule.ref.source], lang) if rule else "",
                "quote": say(rule.ref.quote, lang) if rule else "",
            }
        )
    fig = Figure(
        "weakest",
        say(fill(t["weakest"], year=cohort.selection.focus.year), lang),
        drawing,
        headers,
        rows,
        note=say(t["weakest_note"], lang),
    )
    fig.extra = extra
    return fig


def radar(cohort: Cohort, picks: list[PickedUnit], t, lang, style, width) -> Figure | None:
    sel = cohort.selection
    if not sel.cycles or not cohort.units(sel.focus):
        return None
    q = questionnaire_of(cohort)
    average = [cohort.mean(sel.focus, p.id) for p in q.pillars]
    series = [RadarSeries(f"{say(t['cohort_average'], lang)} {sel.focus.year}", average, charts.colour(1), filled=True)]
    series += [
        RadarSeries(f"{u.name} ({u.code})", [u.scores.get(p.id) for p in q.pillars], charts.colour(i), dashed=True)
        for i, u in enumerate(picks, 2)
    ]
    drawing = radar_chart(
        [lines(p.name, lang) for p in q.pillars],
        series,
        width=width,
        height=width * 0.62,
        style=style,
    )
    headers = [say(t["pillar"], lang), say(t["cohort_average"], lang), *(f"{u.name} ({u.code})" for u in picks)]
    rows = [
        [say(p.name, lang), number(average[i]), *(number(u.scores.get(p.id)) for u in picks)]
        for i, p in enumerate(q.pillars)
    ]
    return Figure("radar", say(t["radar"], lang), drawing, headers, rows)
