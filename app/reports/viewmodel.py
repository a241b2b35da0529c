"""The diagnostic report as plain data: every string final, in both languages.

Built from a scoring `Result` (and last year's, and the peer group's averages) before any
rendering, so its content is unit-tested on its own. Fixed labels come from the message
catalogs through Flask-Babel, evaluated once per language under `force_locale`; texts of
the questionnaire come from its data file. Nothing here knows about ReportLab.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime

from flask_babel import force_locale, format_date, get_translations

from app.answers import answer_text
from app.assessment.questionnaire import Item, Level, Questionnaire, Text
from app.assessment.scoring import ItemResult, Result, change_since
from app.assessment.suggestions import Suggestion

LANGUAGES = ("zh", "en")
MODES = ("zh", "en", "bilingual")
STRENGTH_MIN = 75.0  # an item scoring at least this is a strength
GAP_BELOW = 50.0  # an item scoring below this is a gap
MAX_FINDINGS = 5


@dataclass(frozen=True)
class Subject:
    """Who and when: the branch, its parents and the cycle."""

    branch: str
    code: str
    parent: str
    committee: str
    year: int
    draft: bool = False
    submitted_at: datetime | None = None


@dataclass(frozen=True)
class Peers:
    """Pillar averages of the peer group (submitted branches of the cycle under the same committee)."""

    averages: dict[str, float] = field(default_factory=dict)
    count: int = 0
    # the branch's own percentile rank and quartile among them, per pillar and "overall"
    positions: dict[str, tuple[float, int]] = field(default_factory=dict)


@dataclass(frozen=True)
class LevelView:
    id: str
    name: Text
    description: Text
    range: str


@dataclass(frozen=True)
class ItemRow:
    id: str
    question: Text
    answer: Text
    score: str
    weight: str


@dataclass(frozen=True)
class Finding:
    """A strength or a gap: what the branch does, in the words of the answer it chose."""

    item_id: str
    text: Text
    score: str


@dataclass(frozen=True)
class SuggestionView:
    id: str
    pillar: Text
    text: Text
    source: Text
    passage: str  # verbatim from the source text (Chinese)
    gain: str
    priority: bool


@dataclass(frozen=True)
class PillarSection:
    id: str
    number: int
    name: Text
    description: Text
    score: str
    level: LevelView | None
    previous_score: str | None
    change: str | None
    peer_average: str
    peer_position: str
    weight: str
    items: tuple[ItemRow, ...]
    strengths: tuple[Finding, ...]
    gaps: tuple[Finding, ...]
    suggestions: tuple[SuggestionView, ...]


@dataclass(frozen=True)
class RadarSeries:
    key: str  # this_year, last_year or peers: the template colours it
    label: Text
    values: tuple[float | None, ...]


@dataclass(frozen=True)
class Radar:
    axes: tuple[Text, ...]
    series: tuple[RadarSeries, ...]


@dataclass(frozen=True)
class Evidence:
    item_id: str
    pillar: Text
    question: Text
    answer: str | None


@dataclass(frozen=True)
class ReportViewModel:
    labels: dict[str, Text]
    questionnaire_title: Text
    subject: Subject
    report_date: Text
    submitted_on: Text | None
    score: str
    level: LevelView | None
    previous_year: int | None
    previous_score: str | None
    change: str | None
    peer_count: int
    peer_position: str
    radar: Radar
    priorities: tuple[SuggestionView, ...]
    flags: tuple[Text, ...]
    pillars: tuple[PillarSection, ...]
    levels: tuple[LevelView, ...]
    evidence: tuple[Evidence, ...]

    def label(self, key: str) -> Text:
        return self.labels[key]

    @property
    def title(self) -> Text:
        """The document title, as the PDF metadata and the browser tab show it."""
        name = f"{self.subject.branch} {self.subject.year}"
        return Text(f"{self.labels['report_title'].zh} · {name}", f"{self.labels['report_title'].en} · {name}")


# ---------------------------------------------------------------- formatting


def format_score(value: float | None) -> str:
    return "—" if value is None else f"{value:.1f}"


def format_change(value: float | None) -> str | None:
    if value is None:
        return None
    return f"{value:+.1f}" if round(value, 1) != 0 else "±0.0"


def in_both_languages(collect: Callable[[Callable[..., str]], dict[str, str]]) -> dict[str, Text]:
    """Run `collect(gettext)` under each language's locale; its strings as bilingual Texts.

    `gettext` works as Flask-Babel's but on a catalog looked up once per language, not once
    per string (a report has some sixty labels, in two languages).
    """
    results = {}
    for lang in LANGUAGES:
        with force_locale(lang):
            catalog = get_translations()

            def gettext(text: str, catalog=catalog, **variables) -> str:
                translated = catalog.ugettext(text)
                return translated % variables if variables else translated

            results[lang] = collect(gettext)
    return {key: Text(results["zh"][key], results["en"][key]) for key in results["zh"]}


def report_labels(subject: Subject, peer_count: int, previous_year: int | None) -> dict[str, Text]:
    """Every fixed label of the report, from the message catalogs."""

    def collect(_) -> dict[str, str]:
        return {
            "report_title": _("Diagnostic report"),
            "report_subtitle": _("Annual self-check of %(year)s", year=subject.year),
            "branch": _("Party branch"),
            "parent": _("Parent organisation"),
            "committee": _("Party committee"),
            "year": _("Year"),
            "report_date": _("Date of report"),
            "submitted_on": _("Submitted on"),
            "not_submitted": _("Not submitted"),
            "draft": _("Draft: the self-check is not submitted and its scores are provisional."),
            "draft_mark": _("DRAFT · PROVISIONAL"),
            "overall": _("Overall score"),
            "level": _("Level"),
            "level_meaning": _("What this level means"),
            "summary": _("Summary"),
            "pillar_scores": _("Scores per pillar"),
            "pillar": _("Pillar"),
            "score": _("Score"),
            "weight": _("Weight"),
            "share": _("Share"),
            "change": _("Change since last year"),
            "last_year_score": _("Last year (%(year)s)", year=previous_year or subject.year - 1),
            "no_previous": _("No earlier self-check to compare with."),
            "this_year": _("This year (%(year)s)", year=subject.year),
            "last_year": _("Last year (%(year)s)", year=previous_year or subject.year - 1),
            "peers": _("Peer average"),
            "peer_position": _("Percentile among peers (quartile)"),
            "peer_note": _(
                "Peer average: the mean of the %(count)s branches under %(committee)s that submitted this year.",
                count=peer_count,
                committee=subject.committee,
            ),
            "radar": _("The four pillars at a glance"),
            "priorities": _("Top priorities"),
            "no_priorities": _("No improvement suggestion applies to these answers."),
            "flags": _("Consistency flags"),
            "flags_intro": _(
                "Some answers contradict each other or a rating. Check them before relying on the scores."
            ),
            "no_flags": _("No inconsistencies were found between the answers."),
            "items": _("Answers and item scores"),
            "question": _("Question"),
            "answer": _("Answer"),
            "strengths": _("Strengths"),
            "no_strengths": _("No item scores 75 or more yet."),
            "gaps": _("Gaps"),
            "no_gaps": _("No item scores below 50."),
            "suggestions": _("Improvement suggestions"),
            "priority": _("Priority"),
            "source": _("From the source"),
            "gain": _("Expected gain"),
            "not_answered": _("Not answered"),
            "yes": _("Yes"),
            "no": _("No"),
            "appendix": _("Appendix: how the scores were computed"),
            "method_items": _(
                "Each answer is scored from 0 to 100: a five-point scale gives 0, 25, 50, 75 or 100; "
                "yes gives 100 and no 0; a count scores by the share of its thresholds reached; "
                "a percentage scales linearly between its two bounds."
            ),
            "method_means": _(
                "A pillar's score is the weighted mean of its item scores, and the overall score the weighted "
                "mean of the pillar scores. Unanswered items are left out of the means, never counted as zero; "
                "free-text answers are evidence and are not scored."
            ),
            "method_gain": _(
                "The expected gain of a suggestion is its item's share of the overall score times the distance "
                "to the next maturity level: roughly how many overall points acting on it is worth."
            ),
            "weights": _("Weights"),
            "item_weights": _("Item weights"),
            "levels": _("Maturity levels"),
            "range": _("Score range"),
            "description": _("Description"),
            "evidence": _("Evidence given"),
            "no_evidence": _("No free-text evidence was given."),
            "page_of": _("Page %(page)s of %(pages)s"),
        }

    return in_both_languages(collect)


def _dates(subject: Subject, today: date | datetime) -> tuple[Text, Text | None]:
    def collect(_) -> dict[str, str]:
        out = {"today": format_date(today, "long")}
        if subject.submitted_at is not None:
            out["submitted"] = format_date(subject.submitted_at, "long")
        return out

    dates = in_both_languages(collect)
    return dates["today"], dates.get("submitted")


# ---------------------------------------------------------------- building


def level_views(questionnaire: Questionnaire) -> dict[str, LevelView]:
    levels = questionnaire.levels
    views = {}
    for i, level in enumerate(levels):
        upper = levels[i + 1].min if i + 1 < len(levels) else 100
        views[level.id] = LevelView(level.id, level.name, level.description, f"{level.min:g}–{upper:g}")
    return views


def _level(levels: dict[str, LevelView], level: Level | None) -> LevelView | None:
    return levels[level.id] if level is not None else None


def answer_texts(item: Item, value) -> Text:
    """The answer as the table shows it, in both languages (see `app.answers`)."""
    return Text(answer_text(item, value, "zh"), answer_text(item, value, "en"))


def finding(row: ItemResult) -> Finding:
    """A scale answer in the words of the level chosen; any other as question and answer."""
    item = row.item
    if item.type == "scale":
        text = item.levels[row.value - 1]
    else:
        answer = answer_texts(item, row.value)
        text = Text(f"{item.text.zh} {answer.zh}", f"{item.text.en} {answer.en}")
    return Finding(item.id, text, format_score(row.score))


def suggestion_view(suggestion: Suggestion, questionnaire: Questionnaire, priority: bool) -> SuggestionView:
    rule = suggestion.rule
    return SuggestionView(
        id=rule.id,
        pillar=questionnaire.pillar(suggestion.pillar_id).name,
        text=rule.text,
        source=questionnaire.sources[rule.ref.source],
        passage=rule.ref.passage,
        gain=f"+{suggestion.gain:.1f}",
        priority=priority,
    )


def format_position(position: tuple[float, int] | None) -> str:
    """ "62 (Q3)": the percentile rank among peers and the quartile (Q4 the top quarter)."""
    return "—" if position is None else f"{position[0]:.0f} (Q{position[1]})"


def build_viewmodel(
    result: Result,
    subject: Subject,
    *,
    previous: Result | None = None,
    previous_year: int | None = None,
    peers: Peers | None = None,
    today: date | datetime | None = None,
) -> ReportViewModel:
    """The report of one self-check. `previous` is last year's result, `peers` the peer group's averages.

    `today` is the report's date (default: now, in the app's time zone).
    """
    questionnaire = result.questionnaire
    peers = peers or Peers()
    labels = report_labels(subject, peers.count, previous_year)
    levels = level_views(questionnaire)
    change = change_since(result, previous)
    before = previous.scores() if previous else {}
    report_date, submitted_on = _dates(subject, today or datetime.now(UTC).replace(tzinfo=None))
    priority_ids = {s.rule.id for s in result.priorities}
    total_weight = sum(p.weight for p in questionnaire.pillars)

    pillars = []
    for number, pr in enumerate(result.pillars, 1):
        answered = [r for r in pr.items if r.score is not None]  # not "not applicable"
        strengths = sorted((r for r in answered if r.score >= STRENGTH_MIN), key=lambda r: (-r.score, r.item.id))
        gaps = sorted((r for r in answered if r.score < GAP_BELOW), key=lambda r: (r.score, r.item.id))
        pid = pr.pillar.id
        pillars.append(
            PillarSection(
                id=pid,
                number=number,
                name=pr.pillar.name,
                description=pr.pillar.description,
                score=format_score(pr.score),
                level=_level(levels, pr.level),
                previous_score=format_score(before[pid]) if before.get(pid) is not None else None,
                change=format_change(change.get(pid)),
                peer_average=format_score(peers.averages.get(pid)),
                peer_position=format_position(peers.positions.get(pid)),
                weight=f"{pr.pillar.weight:g} ({pr.pillar.weight / total_weight:.0%})",
                items=tuple(
                    ItemRow(
                        r.item.id,
                        r.item.text,
                        answer_texts(r.item, r.value),
                        format_score(r.score),
                        f"{r.item.weight:g}",
                    )
                    for r in pr.items
                    if r.item.scored
                ),
                strengths=tuple(finding(r) for r in strengths[:MAX_FINDINGS]),
                gaps=tuple(finding(r) for r in gaps[:MAX_FINDINGS]),
                suggestions=tuple(
                    suggestion_view(s, questionnaire, s.rule.id in priority_ids)
                    for s in result.suggestions
                    if s.pillar_id == pid
                ),
            )
        )

    series = [RadarSeries("this_year", labels["this_year"], tuple(p.score for p in result.pillars))]
    if previous is not None:
        series.append(
            RadarSeries("last_year", labels["last_year"], tuple(before.get(p.pillar.id) for p in result.pillars))
        )
    if peers.averages:
        series.append(
            RadarSeries("peers", labels["peers"], tuple(peers.averages.get(p.pillar.id) for p in result.pillars))
        )

    return ReportViewModel(
        labels=labels,
        questionnaire_title=questionnaire.title,
        subject=subject,
        report_date=report_date,
        submitted_on=submitted_on,
        score=format_score(result.score),
        level=_level(levels, result.level),
        previous_year=previous_year if previous is not None else None,
        previous_score=format_score(before.get("overall")) if before.get("overall") is not None else None,
        change=format_change(change.get("overall")),
        peer_count=peers.count,
        peer_position=format_position(peers.positions.get("overall")),
        radar=Radar(tuple(p.pillar.name for p in result.pillars), tuple(series)),
        priorities=tuple(suggestion_view(s, questionnaire, True) for s in result.priorities),
        flags=tuple(flag.text for flag in result.flags),
        pillars=tuple(pillars),
        levels=tuple(levels.values()),
        evidence=tuple(
            Evidence(r.item.id, pr.pillar.name, r.item.text, r.value if r.answered else None)
            for pr in result.pillars
            for r in pr.items
            if not r.item.scored
        ),
    )
