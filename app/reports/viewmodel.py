"""The diagnostic report as plain data: every string final, in both languages.

Built from a scoring `Result` (and last year's, and the peer figures the peer rule allows)
before any rendering, so its content is unit-tested on its own. Fixed labels come from the
message catalogs through Flask-Babel, evaluated once per language under `force_locale`;
texts of the questionnaire come from its data file, answers from their items. Nothing
here knows about ReportLab.

Every sentence is one `Text` (Chinese, English), so the bilingual report can set each block
in Chinese and then in English, and a reader of either language reads it alone.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, date, datetime

from flask_babel import format_date

from app.assessment import rectification as rules
from app.assessment.questionnaire import Level, Questionnaire, Text
from app.assessment.scoring import ItemResult, Result, change_since
from app.assessment.suggestions import Suggestion
from app.assessment.text import fill

from ..i18n import in_both_languages

STRENGTH_MIN = 75.0  # an item scoring at least this is a strength
GAP_BELOW = 50.0  # an item scoring below this is a gap
MAX_FINDINGS = 5
NBSP = "\u00a0"  # glues an item id to its figure: "L09 ×1" never breaks


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
    cycle_closes: date | None = None


@dataclass(frozen=True)
class Peers:
    """The peer figures the peer rule allows (`app.peers`): the other branches'
    mean per measure (pillar ids and "overall"), how many they are, and the branch's
    percentile rank and quartile among them. Empty when no figure may be shown."""

    averages: dict[str, float] = field(default_factory=dict)
    count: int = 0
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
    pillar_id: str
    pillar: Text
    text: Text
    meta: Text  # who leads it, by when, what it is worth, and the answer that triggered it
    source: Text  # the source's title and the corrected quotation, in each language


@dataclass(frozen=True)
class PillarSection:
    id: str
    number: int
    name: Text
    description: Text
    score: str
    level: LevelView | None
    level_text: Text | None  # what the level means for this pillar
    previous_score: str | None
    change: str | None
    peer_average: str
    peer_position: Text
    weight: str
    items: tuple[ItemRow, ...]
    strengths: tuple[Finding, ...]
    gaps: tuple[Finding, ...]
    suggestions: tuple[SuggestionView, ...]  # at most three beyond the priorities
    further: tuple[SuggestionView, ...]  # the rest: in the appendix


@dataclass(frozen=True)
class ChartSeriesView:
    key: str  # this_year, last_year or peers: the template colours it
    label: Text
    values: tuple[float | None, ...]  # None: not answered, never drawn as 0


@dataclass(frozen=True)
class Chart:
    categories: tuple[Text, ...]
    series: tuple[ChartSeriesView, ...]


@dataclass(frozen=True)
class Evidence:
    item_id: str
    pillar: Text
    question: Text
    answer: str | None


@dataclass(frozen=True)
class ActionView:
    """One action of the rectification list: the branch's own words, and fixed labels in both languages."""

    problem: str
    measure: str
    owner: str  # name, and role when given
    deadline: Text
    status: Text
    overdue: bool
    account: str | None  # what was done, once closed
    notes: tuple[tuple[Text, str], ...]  # (date, text) of each progress note, oldest first


@dataclass(frozen=True)
class EvidenceFile:
    """A file attached as evidence, as the appendix lists it: never its content."""

    attached_to: str  # the item id, or the rectification action's problem
    name: str
    size: str  # "840 KB", "2.4 MB"
    uploaded_on: str  # YYYY-MM-DD


def format_size(size: int) -> str:
    return f"{max(1, round(size / 1024))} KB" if size < 1024 * 1024 else f"{size / 1024 / 1024:.1f} MB"


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
    peer_average: str
    peer_position: Text
    peer_note: Text  # which peers, or why there is no peer figure
    chart: Chart
    priorities: tuple[SuggestionView, ...]
    flags: tuple[Text, ...]
    pillars: tuple[PillarSection, ...]
    levels: tuple[LevelView, ...]
    evidence: tuple[Evidence, ...]
    actions: tuple[ActionView, ...] | None = None  # None: not for this reader (the section is left out)
    last_year_actions: Text | None = None  # "last year's rectification: N of M done"
    files: tuple[EvidenceFile, ...] = ()  # set by `reports.service` from the evidence store's list

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


def report_labels(subject: Subject, previous_year: int | None) -> dict[str, Text]:
    """Every fixed label of the report, from the message catalogs. Labels with %(…)s are
    filled by `fill` with bilingual values."""
    last_year = previous_year or subject.year - 1

    def collect(_) -> dict[str, str]:
        return {
            "app_name": _("Branch self-check"),
            "report_title": _("Diagnostic report"),
            "report_subtitle": _("Annual self-check of %(year)s", year=subject.year),
            "separator": _("; "),
            "branch": _("Party branch"),
            "parent": _("Parent organisation"),
            "committee": _("Party committee"),
            "report_date": _("Date of report"),
            "submitted_on": _("Submitted on"),
            "not_submitted": _("Not submitted"),
            "draft": _("Draft: the self-check is not submitted and its scores are provisional."),
            "draft_mark": _("Draft"),
            "overall": _("Overall score"),
            "level": _("Level"),
            "summary": _("Summary"),
            "pillar": _("Pillar"),
            "score": _("Score"),
            "weight": _("Weight"),
            "change": _("Change since last year"),
            "no_previous": _("No earlier self-check to compare with."),
            "this_year": _("This year (%(year)s)", year=subject.year),
            "last_year": _("Last year (%(year)s)", year=last_year),
            "peers": _("Peer average"),
            "peer_position": _("Percentile among peers"),
            "position_value": _("%(percentile)s (quartile %(quartile)s of 4)"),
            "peer_note": _(
                "Peers: the %(count)s other branches under %(committee)s that submitted this year; "
                "this branch is not among them."
            ),
            "peers_after_close": _("Peer figures appear once the self-check cycle has closed (%(date)s)."),
            "peers_too_few": _("Fewer than three other branches have submitted: no peer figure is shown."),
            "chart": _("The four pillars: this year, last year and the peers"),
            "not_answered": _("Not answered"),
            "priorities": _("Actions to take first"),
            "no_priorities": _("No improvement suggestion applies to these answers."),
            "lead_time_gain": _("Led by: %(lead)s; time frame: %(timeframe)s; expected gain: +%(gain)s points"),
            "trigger": _('Trigger: %(item)s answered "%(answer)s"'),
            "quote": _('Source: %(title)s: "%(quote)s"'),
            "flags": _("Consistency flags"),
            "flags_intro": _(
                "Some answers contradict each other or a rating. Check them before relying on the scores."
            ),
            "no_flags": _("No inconsistencies were found between the answers."),
            "level_meaning": _("What this level means for this pillar"),
            "items": _("Answers and item scores"),
            "question": _("Question"),
            "answer": _("Answer"),
            "strengths": _("Strengths"),
            "no_strengths": _("No item scores 75 or more yet."),
            "gaps": _("Gaps"),
            "no_gaps": _("No item scores below 50."),
            "suggestions": _("Improvement suggestions"),
            "no_suggestions": _("No further suggestion for this pillar."),
            "more_in_appendix": _("%(count)s more suggestions for this pillar are listed in the appendix."),
            "appendix": _("Appendix"),
            "further_suggestions": _("More improvement suggestions"),
            "method": _("How the scores were computed"),
            "method_items": _(
                "Each answer is scored from 0 to 100: a five-point scale gives 0, 25, 50, 75 or 100; "
                "yes gives 100 and no 0; a count scores by the share of its thresholds reached; "
                "a percentage scales linearly between its two bounds."
            ),
            "method_means": _(
                "A pillar's score is the weighted mean of its item scores, and the overall score the weighted "
                "mean of the pillar scores. Unanswered items and items answered 'not applicable' are left "
                "out of the means, never counted as zero; free-text answers are evidence and are not scored."
            ),
            "method_gain": _(
                "The expected gain of a suggestion is its item's share of the overall score times the points "
                "one realistic step up is worth (one scale point, 'yes', the next count threshold, the next "
                "quarter of a percentage's range): about how many overall points acting on it is worth."
            ),
            "weights": _("Weights"),
            "item_weights": _("Item weights"),
            "levels": _("Maturity levels"),
            "range": _("Score range"),
            "description": _("Description"),
            "evidence": _("Evidence given"),
            "no_evidence": _("No free-text evidence was given."),
            "evidence_files": _("Evidence files"),
            "attached_to": _("Attached to"),
            "file_name": _("File"),
            "file_size": _("Size"),
            "uploaded_on": _("Uploaded on"),
            "no_evidence_files": _("No file is attached to this self-check."),
            "page_of": _("Page %(page)s of %(pages)s"),
            "rectification": _("Rectification list"),
            "no_actions": _("No rectification action has been planned yet."),
            "problem": _("Problem"),
            "measure": _("Rectification measure"),
            "owner": _("Led by"),
            "deadline": _("Deadline"),
            "status": _("Status"),
            "planned": _("Planned"),
            "in_progress": _("In progress"),
            "done": _("Done"),
            "overdue": _("Overdue"),
            "account": _("What was done"),
            "progress_notes": _("Progress notes"),
            "last_year_actions": _("Last year's rectification: %(done)s of %(total)s done"),
        }

    return in_both_languages(collect)


def _dates(subject: Subject, today: date | datetime) -> dict[str, Text]:
    def collect(_) -> dict[str, str]:
        out = {"today": format_date(today, "long")}
        if subject.submitted_at is not None:
            out["submitted"] = format_date(subject.submitted_at, "long")
        if subject.cycle_closes is not None:
            out["closes"] = format_date(subject.cycle_closes, "long")
        return out

    return in_both_languages(collect)


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


def finding(row: ItemResult) -> Finding:
    """An answer in the words of the option chosen (a scale's level), else as question and answer."""
    item = row.item
    text = item.answer_detail(row.value)
    if text is None:
        answer = item.answer_text(row.value)
        text = Text(f"{item.text.zh}　{answer.zh}", f"{item.text.en} {answer.en}")
    return Finding(item.id, text, format_score(row.score))


def suggestion_view(s: Suggestion, questionnaire: Questionnaire, labels: dict[str, Text]) -> SuggestionView:
    rule = s.rule
    meta = fill(labels["lead_time_gain"], lead=questionnaire.leads[s.lead], timeframe=s.timeframe, gain=f"{s.gain:.1f}")
    if s.item_id is not None:
        item = questionnaire.items[s.item_id]
        trigger = fill(labels["trigger"], item=item.id, answer=item.answer_text(s.trigger))
        meta = fill(Text("%(a)s%(sep)s%(b)s", "%(a)s%(sep)s%(b)s"), a=meta, sep=labels["separator"], b=trigger)
    return SuggestionView(
        id=rule.id,
        pillar_id=s.pillar_id,
        pillar=questionnaire.pillar(s.pillar_id).name,
        text=rule.text,
        meta=meta,
        source=fill(labels["quote"], title=questionnaire.sources[rule.ref.source], quote=rule.ref.quote),
    )


def format_position(position: tuple[float, int] | None, labels: dict[str, Text]) -> Text:
    """ "62 (quartile 3 of 4)": the percentile rank among the peers and the quartile (4 the top quarter)."""
    if position is None:
        return Text("—", "—")
    return fill(labels["position_value"], percentile=f"{position[0]:.0f}", quartile=str(position[1]))


def _peer_note(subject: Subject, peers: Peers, labels: dict[str, Text], dates: dict[str, Text], today) -> Text:
    """Which peers the figures stand for, or why there are none."""
    if peers.count:
        return fill(labels["peer_note"], count=str(peers.count), committee=subject.committee)
    today = today.date() if isinstance(today, datetime) else today
    if subject.cycle_closes is not None and subject.cycle_closes >= today:
        return fill(labels["peers_after_close"], date=dates["closes"])
    return labels["peers_too_few"]


def long_date(day: date) -> Text:
    return Text(f"{day.year}年{day.month}月{day.day}日", day.isoformat())


def action_views(actions, labels: dict[str, Text], today: date) -> tuple[ActionView, ...]:
    """The rectification list's rows. `actions` are objects with the fields of a
    `RectificationAction` (and its `notes`), oldest first."""
    views = []
    for a in actions:
        shown = rules.shown_status(a.status, a.deadline, today)
        views.append(
            ActionView(
                problem=a.problem,
                measure=a.measure,
                owner=f"{a.owner_name}（{a.owner_role}）" if a.owner_role else a.owner_name,
                deadline=long_date(a.deadline),
                status=labels[shown],
                overdue=shown == rules.OVERDUE,
                account=a.account if a.status == rules.DONE else None,
                notes=tuple((long_date(n.noted_on), n.text) for n in a.notes),
            )
        )
    return tuple(views)


def build_viewmodel(
    result: Result,
    subject: Subject,
    *,
    previous: Result | None = None,
    previous_year: int | None = None,
    peers: Peers | None = None,
    today: date | datetime | None = None,
    actions=None,
    last_year_actions: tuple[int, int] | None = None,
) -> ReportViewModel:
    """The report of one self-check. `previous` is last year's result, `peers` the peer figures.

    `actions` is the rectification list (objects with the fields of a `RectificationAction`), None
    when the reader may not see it; `last_year_actions` is (done, total) of last year's actions.
    `today` is the report's date (default: now, in the app's time zone).
    """
    questionnaire = result.questionnaire
    peers = peers or Peers()
    labels = report_labels(subject, previous_year)
    levels = level_views(questionnaire)
    change = change_since(result, previous)
    before = previous.scores() if previous else {}
    today = today or datetime.now(UTC).replace(tzinfo=None)
    dates = _dates(subject, today)
    total_weight = sum(p.weight for p in questionnaire.pillars)

    def view(s: Suggestion) -> SuggestionView:
        return suggestion_view(s, questionnaire, labels)

    pillars = []
    for number, pr in enumerate(result.pillars, 1):
        answered = [r for r in pr.items if r.item.scored and r.score is not None]
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
                level_text=pr.level_text,
                previous_score=format_score(before[pid]) if before.get(pid) is not None else None,
                change=format_change(change.get(pid)),
                peer_average=format_score(peers.averages.get(pid)),
                peer_position=format_position(peers.positions.get(pid), labels),
                weight=f"{pr.pillar.weight:g} ({pr.pillar.weight / total_weight:.0%})",
                items=tuple(
                    ItemRow(
                        r.item.id,
                        r.item.text,
                        r.item.answer_text(r.value),
                        format_score(r.score),
                        f"{r.item.weight:g}",
                    )
                    for r in pr.items
                    if r.item.scored
                ),
                strengths=tuple(finding(r) for r in strengths[:MAX_FINDINGS]),
                gaps=tuple(finding(r) for r in gaps[:MAX_FINDINGS]),
                suggestions=tuple(view(s) for s in result.other_suggestions(pid)),
                further=tuple(view(s) for s in result.further_suggestions(pid)),
            )
        )

    series = [ChartSeriesView("this_year", labels["this_year"], tuple(p.score for p in result.pillars))]
    if previous is not None:
        series.append(
            ChartSeriesView("last_year", labels["last_year"], tuple(before.get(p.pillar.id) for p in result.pillars))
        )
    if peers.averages:
        series.append(
            ChartSeriesView("peers", labels["peers"], tuple(peers.averages.get(p.pillar.id) for p in result.pillars))
        )

    return ReportViewModel(
        labels=labels,
        questionnaire_title=questionnaire.title,
        subject=subject,
        report_date=dates["today"],
        submitted_on=dates.get("submitted"),
        score=format_score(result.score),
        level=_level(levels, result.level),
        previous_year=previous_year if previous is not None else None,
        previous_score=format_score(before.get("overall")) if before.get("overall") is not None else None,
        change=format_change(change.get("overall")),
        peer_count=peers.count,
        peer_average=format_score(peers.averages.get("overall")),
        peer_position=format_position(peers.positions.get("overall"), labels),
        peer_note=_peer_note(subject, peers, labels, dates, today),
        chart=Chart(tuple(p.pillar.name for p in result.pillars), tuple(series)),
        priorities=tuple(view(s) for s in result.priorities),
        flags=tuple(flag.text for flag in result.flags),
        pillars=tuple(pillars),
        levels=tuple(levels.values()),
        evidence=tuple(
            Evidence(r.item.id, pr.pillar.name, r.item.text, r.value if r.answered else None)
            for pr in result.pillars
            for r in pr.items
            if not r.item.scored
        ),
        actions=None if actions is None else action_views(actions, labels, _day(today)),
        last_year_actions=fill(
            labels["last_year_actions"], done=str(last_year_actions[0]), total=str(last_year_actions[1])
        )
        if last_year_actions
        else None,
    )


def _day(today: date | datetime) -> date:
    return today.date() if isinstance(today, datetime) else today
