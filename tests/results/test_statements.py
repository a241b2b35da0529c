"""No false statement: every "none" or "all" sentence that the result page or the report's
view-model can show is checked against the answers of self-checks built at random.

Each such sentence has a predicate here, computed from the answers (item scores, weights
and the questionnaire's rules), not from the scoring result; a sentence of the result
page's templates or of the view-model's labels that says "no", "none", "every", "all" or
"never" and has no predicate fails `test_every_none_or_all_sentence_is_checked`.
Consistency flags are checked by tests/assessment/test_flags.py (each fires only on its
contradiction); suggestion and questionnaire texts are advice and answers, not claims.
"""

from __future__ import annotations

import re
from datetime import datetime
from pathlib import Path
from types import SimpleNamespace

import pytest
from babel.messages.pofile import read_po
from flask import render_template
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from app.assessment.questionnaire import available_versions, get_questionnaire
from app.assessment.scoring import change_since, score_selfcheck
from app.reports.viewmodel import Subject, build_viewmodel
from tests.assessment.test_scoring import value_strategy

ROOT = Path(__file__).resolve().parents[2]
NONE_OR_ALL = re.compile(r"\b(no|none|nothing|every|all|never)\b", re.IGNORECASE)


# ---------------------------------------------------------------- the facts, from the answers


def item_scores(q, answers, pillar=None) -> dict:
    """Item id → score of every answered, applicable scored item (of one pillar)."""
    out = {}
    for item in q.items.values():
        if item.scored and (pillar is None or item.pillar_id == pillar):
            score = item.score(answers.get(item.id))
            if score is not None:
                out[item.id] = score
    return out


def pillar_score(q, answers, pillar) -> float | None:
    scores = item_scores(q, answers, pillar)
    weight = sum(q.items[i].weight for i in scores)
    return sum(q.items[i].weight * s for i, s in scores.items()) / weight if weight else None


def firing_rules(q, answers, pillar=None) -> set[str]:
    """The suggestion rules whose condition the answers leave unmet."""
    scores = item_scores(q, answers)
    fired = set()
    for rule in q.suggestions:
        rule_pillar = rule.pillar or q.items[rule.item].pillar_id
        if pillar is not None and rule_pillar != pillar:
            continue
        if rule.item is not None:
            if rule.item in scores and scores[rule.item] < min(rule.below, 100):
                fired.add(rule.id)
        else:
            own = pillar_score(q, answers, rule.pillar)
            covered = [scores[i] for i in rule.covers if i in scores]
            if own is not None and own < rule.below and covered and all(s < rule.below for s in covered):
                fired.add(rule.id)
    return fired


def contradictions(q, answers) -> list[str]:
    return [f.id for f in q.flags if all(c.holds(answers.get(c.item)) for c in f.when)]


# Sentence → its truth, given the case and the scope (a pillar id, or None for the whole).
CLAIMS = {
    "No improvement suggestion applies to these answers.": lambda c, p: not firing_rules(c.q, c.answers, p),
    "No improvement suggestion applies to this pillar.": lambda c, p: not firing_rules(c.q, c.answers, p),
    "No further suggestion for this pillar.": lambda c, p: (
        firing_rules(c.q, c.answers, p) <= {s.rule.id for s in c.result.priorities}
    ),
    "Every answered question is at its best level.": lambda c, p: (
        bool(item_scores(c.q, c.answers, p)) and all(s == 100 for s in item_scores(c.q, c.answers, p).values())
    ),
    "This pillar's suggestions are all among the top priorities.": lambda c, p: (
        firing_rules(c.q, c.answers, p) <= {s.rule.id for s in c.result.priorities}
    ),
    "No inconsistencies were found between the answers.": lambda c, p: not contradictions(c.q, c.answers),
    "No earlier self-check to compare with.": lambda c, p: (
        c.previous is None or (p is not None and pillar_score(c.previous_q, c.previous, p) is None)
    ),
    "No item scores 75 or more yet.": lambda c, p: all(s < 75 for s in item_scores(c.q, c.answers, p).values()),
    "No item scores below 50.": lambda c, p: all(s >= 50 for s in item_scores(c.q, c.answers, p).values()),
    "No free-text evidence was given.": lambda c, p: (
        not any(c.answers.get(i.id) for i in c.q.items.values() if not i.scored)
    ),
}
# Sentences about the page or the method, not about the answers; and the answer "No".
NOT_CLAIMS = {
    "No",
    # about the rectification list, shown where it has no action (tests/test_rectification.py)
    "No rectification action has been planned yet.",
    # about the peer group, which app.peers decides (tests/test_peers.py)
    "Fewer than three other branches have submitted: no peer figure is shown.",
    "Compared with the %(count)s branches of your Party committee that submitted in %(year)s. No other branch is "
    "named.",
    "Each answer is scored from 0 to 100: a five-point scale gives 0, 25, 50, 75 or 100; yes gives 100 and no 0; a "
    "count scores by the share of its thresholds reached; a percentage scales linearly between its two bounds.",
    "A pillar's score is the weighted mean of its item scores, and the overall score the weighted mean of the "
    "pillar scores. Unanswered items are left out of the means, never counted as zero; free-text answers are "
    "evidence and are not scored.",
    # about the evidence files, not the answers: shown exactly when the list is empty (tests/test_evidence.py)
    "No file is attached to this self-check.",
    "No file is attached.",
}


# ---------------------------------------------------------------- where the sentences are shown


def result_page(app, case) -> str:
    selfcheck = SimpleNamespace(
        id=1, organisation=SimpleNamespace(name="B1 党支部"), cycle=SimpleNamespace(year=2026), submitted=True,
        review_status=None,
    )  # fmt: skip
    previous = SimpleNamespace(id=2, cycle=SimpleNamespace(year=2025)) if case.previous is not None else None
    with app.test_request_context(headers={"Accept-Language": "en"}):
        return render_template(
            "results/result.html",
            selfcheck=selfcheck,
            result=case.result,
            previous=previous,
            change=change_since(case.result, case.previous_result),
            can_edit=False,
            review_form=None,
            reviews=[],
            evidence={},
            peers={},
        )


def page_sentences(html: str):
    """(pillar id or None, sentence) for every claim the page shows, by its section."""
    for section in html.split("<section")[1:]:
        pillar = re.match(r'[^>]*data-pillar="([^"]*)"', section)
        scope = pillar.group(1) or None if pillar else None
        for sentence in CLAIMS:
            if sentence in section:
                yield scope, sentence


def viewmodel_sentences(app, case):
    """(pillar id or None, sentence) for every claim the report shows, as its document decides."""
    with app.app_context():
        vm = build_viewmodel(
            case.result,
            Subject("B1 党支部", "B1", "G1", "C1", 2026),
            previous=case.previous_result,
            previous_year=2025 if case.previous_result else None,
            today=datetime(2026, 12, 1),
        )
    shown = []
    if not vm.priorities:
        shown.append((None, "no_priorities"))
    if not vm.flags:
        shown.append((None, "no_flags"))
    if not vm.evidence:
        shown.append((None, "no_evidence"))
    for section in vm.pillars:
        if section.previous_score is None:
            shown.append((section.id, "no_previous"))
        for key, findings in (("no_strengths", section.strengths), ("no_gaps", section.gaps)):
            if not findings:
                shown.append((section.id, key))
        if not section.suggestions and not any(s.pillar_id == section.id for s in vm.priorities):
            shown.append((section.id, "no_suggestions"))
    return [(scope, vm.labels[key].en) for scope, key in shown]


# ---------------------------------------------------------------- the cases


class Case(SimpleNamespace):
    pass


@st.composite
def cases(draw):
    version = draw(st.sampled_from(available_versions()))
    q = get_questionnaire(version)
    items = list(q.items.values())
    # leave some out (a draft), or none; the rest at any value, "not applicable" included
    answered = draw(st.sets(st.sampled_from(items), min_size=1)) if draw(st.booleans()) else set(items)
    answers = {i.id: draw(value_strategy(i)) for i in items if i in answered}
    previous_q = get_questionnaire(available_versions()[0])
    previous = None
    if draw(st.booleans()):
        previous = {i.id: draw(value_strategy(i, na=False)) for i in previous_q.items.values()}
    result = score_selfcheck(q, answers)
    previous_result = score_selfcheck(previous_q, previous) if previous is not None else None
    return Case(q=q, answers=answers, result=result, previous=previous, previous_q=previous_q,
                previous_result=previous_result)  # fmt: skip


def best_case(version):
    """Every item at its best: the "all"/"none" sentences that need it are shown."""
    q = get_questionnaire(version)
    from tests.assessment.test_scoring import best

    answers = {i.id: best(i) if i.scored else "" for i in q.items.values()}
    return Case(q=q, answers=answers, result=score_selfcheck(q, answers), previous=None, previous_q=q,
                previous_result=None)  # fmt: skip


def check(case, shown):
    for scope, sentence in shown:
        assert CLAIMS[sentence](case, scope), f"false: {sentence!r} ({scope or 'whole'}) for {case.answers}"


@pytest.fixture(scope="module")
def module_app():
    from app import create_app

    return create_app({"TESTING": True, "SQLALCHEMY_DATABASE_URI": "sqlite://", "SECRET_KEY": "t"})


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(cases())
def test_the_result_page_says_nothing_false(module_app, case):
    check(case, page_sentences(result_page(module_app, case)))


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(cases())
def test_the_reports_view_model_says_nothing_false(module_app, case):
    check(case, viewmodel_sentences(module_app, case))


@pytest.mark.parametrize("version", available_versions())
def test_the_sentences_of_a_perfect_self_check_are_shown_and_true(module_app, version):
    case = best_case(version)
    shown = [*page_sentences(result_page(module_app, case)), *viewmodel_sentences(module_app, case)]
    check(case, shown)
    assert {s for _, s in shown} >= {
        "Every answered question is at its best level.",
        "No improvement suggestion applies to these answers.",
        "No inconsistencies were found between the answers.",
        "No item scores below 50.",
    }


def test_every_none_or_all_sentence_is_checked():
    """The result page's templates and the view-model's labels: each such sentence has a predicate.

    (A sentence is found by its message id in their source: a new one cannot slip past.)"""
    files = ["app/templates/results/result.html", "app/templates/results/_suggestion.html", "app/reports/viewmodel.py"]
    sources = [(ROOT / f).read_text(encoding="utf-8") for f in files]
    with (ROOT / "translations/en/LC_MESSAGES/messages.po").open("rb") as f:
        catalog = read_po(f, locale="en")
    used = [m.id for m in catalog if isinstance(m.id, str) and m.id and any(m.id in s for s in sources)]
    unchecked = [m for m in used if NONE_OR_ALL.search(m) and m not in CLAIMS and m not in NOT_CLAIMS]
    assert not unchecked, "\n".join(unchecked)
