"""The rectification list (整改清单) as domain rules: what a result offers to act on, the text each
offer prefills, a deadline to suggest, and when an action is overdue.

Plain Python over a scoring `Result`: the database keeps the actions (`app.models`), the pages and
the API ask here what can be turned into one.
"""

from __future__ import annotations

import calendar
from dataclasses import dataclass
from datetime import date, timedelta

from .scoring import Result
from .suggestions import Suggestion
from .text import Text

PLANNED, IN_PROGRESS, DONE = "planned", "in_progress", "done"
STATUSES = (PLANNED, IN_PROGRESS, DONE)
OVERDUE = "overdue"  # shown, never stored: an unfinished action past its deadline
ORIGINS = ("flag", "priority", "suggestion", "item")
TEXT_MAX = 2000  # characters of a problem, a measure, a note, an account
NAME_MAX = 100  # of who leads it, and their role
EARLIEST, LATEST = date(2000, 1, 1), date(2100, 12, 31)  # the dates an action or a note may carry
LOW_BELOW = 50.0  # an item scoring below this can be turned into an action of its own (the report's gaps)
EMPTY = Text("", "")


def shown_status(status: str, deadline: date, today: date) -> str:
    """The status to show: `OVERDUE` for an unfinished action whose deadline has passed."""
    return OVERDUE if status != DONE and deadline < today else status


def can_plan(result: Result, submitted: bool) -> bool:
    """Actions are planned from a result: a submitted self-check, or a draft once every item is answered."""
    return submitted or result.complete


@dataclass(frozen=True)
class Candidate:
    """Something of a result a branch can turn into an action, with what it prefills."""

    origin: str  # one of ORIGINS
    ref: str  # the flag's id, the suggestion rule's id or the item's id
    item_id: str | None  # the item it concerns; None for a flag or advice on a whole pillar
    problem: Text  # the problem, as the action's form prefills it
    measure: Text  # a measure to start from (a suggestion's text), or empty
    lead: str | None  # who leads it: a key of `Questionnaire.leads`
    timeframe: str | None  # when: a key of `Questionnaire.timeframes`

    @property
    def key(self) -> str:
        """One string naming the candidate in a form or a URL: "priority:S03"."""
        return f"{self.origin}:{self.ref}"


def candidates(result: Result) -> tuple[Candidate, ...]:
    """Everything a result offers to act on, in the order the result shows it: consistency flags,
    the top priorities, the other suggestions, then every low item no suggestion covers."""
    offers = [Candidate("flag", f.id, None, f.text, EMPTY, None, None) for f in result.flags]
    offers += [_from_suggestion(result, "priority", s) for s in result.priorities]
    offers += [_from_suggestion(result, "suggestion", s) for s in result.suggestions if s not in result.priorities]
    advised = {s.item_id for s in result.suggestions}
    for pillar in result.pillars:
        for row in pillar.items:
            if row.score is not None and row.score < LOW_BELOW and row.item.id not in advised:
                problem = _item_problem(row.item, row.value)
                offers.append(Candidate("item", row.item.id, row.item.id, problem, EMPTY, row.item.lead, None))
    return tuple(offers)


def find_candidate(result: Result, key: str) -> Candidate | None:
    """The candidate named `key` ("origin:ref") if the result offers it now."""
    return next((c for c in candidates(result) if c.key == key), None)


def _from_suggestion(result: Result, origin: str, s: Suggestion) -> Candidate:
    q = result.questionnaire
    if s.item_id is not None:
        problem = _item_problem(q.items[s.item_id], s.trigger)
    else:
        pillar = q.pillar(s.pillar_id).name
        problem = Text(
            f"{pillar.zh}得分{s.score:.0f}分，尚有提升空间。",
            f"{pillar.en}: scored {s.score:.0f} of 100, with room to improve.",
        )
    return Candidate(origin, s.rule.id, s.item_id, problem, s.rule.text, s.lead, s.rule.timeframe)


def _item_problem(item, value) -> Text:
    answer = item.answer_text(value)
    return Text(
        f"{item.id}“{item.text.zh}”：自查回答为“{answer.zh}”。",
        f"{item.id} “{item.text.en}”: the self-check answer was “{answer.en}”.",
    )


def suggested_deadline(timeframe: str | None, today: date) -> date:
    """A deadline for a questionnaire time frame: a month for the next session or a month, the
    end of the quarter, the end of the year for the year or next year's study plan; three
    months when the offer names none."""
    if timeframe in ("next_session", "month"):
        return today + timedelta(days=30)
    if timeframe == "quarter":
        month = (today.month - 1) // 3 * 3 + 3
        return date(today.year, month, calendar.monthrange(today.year, month)[1])
    if timeframe in ("year", "plan"):
        return date(today.year, 12, 31)
    return today + timedelta(days=91)


def tally(previous: list[tuple[str, str | None]]) -> tuple[int, int]:
    """Last year's rectification as (done, total): each of last year's actions given as its own
    status and the status of this year's action that continues it (None if none does yet)."""
    done = sum(1 for own, continued in previous if DONE in (own, continued))
    return done, len(previous)
