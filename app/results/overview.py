"""The overview of the branches under a leader, trainer or admin: their state in one cycle,
its review and the progress of its rectification list, filtered by status, review state,
rectification and sub-organisation, searched by code or name, sorted and paged, all in SQL;
and the same list as CSV or XLSX (a background job).

Measured with `python -m bench overview` on 10,000 branches: a page is three statements
(the counts per status, one page of rows, the answered counts of its drafts).
"""

from __future__ import annotations

import csv
import io
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime

from flask_babel import force_locale, format_datetime
from flask_babel import gettext as _
from sqlalchemy import and_, bindparam, case, func, literal, or_, select
from sqlalchemy.orm import aliased

from app.assessment.questionnaire import get_questionnaire

from ..access import can_view_org, subtree_filter
from ..extensions import db
from ..models import (
    ACTION_DONE,
    APPROVED,
    DRAFT,
    PENDING,
    RETURNED,
    SUBMITTED,
    Answer,
    Cycle,
    Organisation,
    RectificationAction,
    SelfCheck,
    User,
)
from ..spreadsheet import Workbook, inert

NOT_STARTED = "not_started"
STATUSES = (NOT_STARTED, DRAFT, SUBMITTED)
REVIEW_STATES = (PENDING, APPROVED, RETURNED)
# the rectification filter: some action is overdue; every action is done; no action is planned
OVERDUE, ALL_DONE, NO_ACTIONS = "overdue", "all_done", "no_actions"
RECTIFICATION = (OVERDUE, ALL_DONE, NO_ACTIONS)
SORTS = ("code", "status", "-score", "score")  # "-": highest first
PER_PAGE = 50
MAX_QUERY = 50


@dataclass(frozen=True)
class Filters:
    status: str | None = None
    review: str | None = None  # one of REVIEW_STATES
    rectification: str | None = None  # one of RECTIFICATION
    org: Organisation | None = None  # only the subtree of this organisation
    query: str = ""  # part of a code or a name
    sort: str = "code"
    page: int = 1

    def args(self, **changes) -> dict:
        """The URL arguments of these filters (with `changes`), for links and forms."""
        values = {"status": self.status, "review": self.review, "rectification": self.rectification}
        values |= {"org": self.org.code if self.org else None, "q": self.query}
        values |= {"sort": self.sort if self.sort != "code" else None, "page": self.page if self.page > 1 else None}
        values |= changes
        return {k: v for k, v in values.items() if v}


@dataclass(frozen=True)
class Row:
    code: str
    name: str
    parent: str
    selfcheck_id: int | None
    status: str
    score: float | None
    level: str | None
    submitted_at: datetime | None
    review: str | None  # pending, approved, returned; None for a draft never returned
    actions: int  # rectification actions planned
    done: int
    overdue: int  # not done and past their deadline
    answered: int | None  # drafts only


@dataclass(frozen=True)
class Page:
    rows: list[Row]
    counts: dict[str, int]  # status → branches, under the filters other than the status
    total: int  # rows under every filter
    page: int
    pages: int


def cycle_for(year: int | None) -> tuple[list[Cycle], Cycle | None]:
    """Every cycle, newest first, and the one to show: `year`'s, else the open one, else the latest."""
    cycles = db.session.scalars(select(Cycle).order_by(Cycle.year.desc())).all()
    chosen = next((c for c in cycles if c.year == year), None)
    return cycles, chosen or next((c for c in cycles if c.is_open()), cycles[0] if cycles else None)


def filters_from(user: User, args: Mapping) -> Filters:
    """The filters of request arguments (or a job's parameters); anything unknown is ignored.

    Raises LookupError for a sub-organisation `user` may not see.
    """
    org = None
    code = (args.get("org") or "").strip()
    if code:
        org = db.session.scalar(select(Organisation).where(Organisation.code == code[:20]))
        if org is None or not can_view_org(user, org):
            raise LookupError(code)
    status, review, rectification = args.get("status"), args.get("review"), args.get("rectification")
    sort = args.get("sort")
    try:
        page = int(args.get("page") or 1)
    except ValueError:
        page = 1
    return Filters(
        status=status if status in STATUSES else None,
        review=review if review in REVIEW_STATES else None,
        rectification=rectification if rectification in RECTIFICATION else None,
        org=org,
        query=(args.get("q") or "").strip()[:MAX_QUERY],
        sort=sort if sort in SORTS else "code",
        page=max(1, min(page, 10**6)),
    )


def sub_organisations(user: User) -> list[tuple[str, str]]:
    """(code, name) of the organisations above branch level that `user` may see, in tree order."""
    return db.session.execute(
        select(Organisation.code, Organisation.name)
        .where(Organisation.kind != "branch", subtree_filter(user))
        .order_by(Organisation.path)
    ).all()


def _like(text: str) -> str:
    return "%" + text.replace("/", "//").replace("%", "/%").replace("_", "/_") + "%"


status_column = case((SelfCheck.id.is_(None), literal(NOT_STARTED)), else_=SelfCheck.status)
status_order = case((SelfCheck.id.is_(None), 0), (SelfCheck.status == DRAFT, 1), else_=2)
review_column = case(
    (SelfCheck.status == SUBMITTED, func.coalesce(SelfCheck.review_state, PENDING)), else_=SelfCheck.review_state
)

# each self-check's rectification actions counted: planned, done, overdue (not done, deadline passed)
_not_done = RectificationAction.status != ACTION_DONE
progress = (
    select(
        RectificationAction.selfcheck_id,
        func.count().label("total"),
        func.sum(case((RectificationAction.status == ACTION_DONE, 1), else_=0)).label("done"),
        func.sum(case((and_(_not_done, RectificationAction.deadline < bindparam("today")), 1), else_=0)).label(
            "overdue"
        ),
    )
    .group_by(RectificationAction.selfcheck_id)
    .subquery("progress")
)
actions_column = func.coalesce(progress.c.total, 0)
done_column = func.coalesce(progress.c.done, 0)
overdue_column = func.coalesce(progress.c.overdue, 0)


def _statement(user: User, cycle: Cycle, filters: Filters, columns):
    """SELECT `columns` FROM the branches `user` may see, each with its self-check of `cycle`
    (if any), under every filter but the status."""
    statement = (
        select(*columns)
        .select_from(Organisation)
        .outerjoin(SelfCheck, and_(SelfCheck.organisation_id == Organisation.id, SelfCheck.cycle_id == cycle.id))
        .outerjoin(progress, progress.c.selfcheck_id == SelfCheck.id)
        .where(Organisation.kind == "branch", subtree_filter(user), Organisation.member_of(cycle))
    )
    if filters.review:
        statement = statement.where(review_column == filters.review)
    if filters.rectification == OVERDUE:
        statement = statement.where(overdue_column > 0)
    elif filters.rectification == ALL_DONE:
        statement = statement.where(actions_column > 0, done_column == actions_column)
    elif filters.rectification == NO_ACTIONS:
        statement = statement.where(SelfCheck.id.is_not(None), actions_column == 0)
    if filters.org is not None:
        statement = statement.where(Organisation.in_subtree(filters.org.path))
    if filters.query:
        pattern = _like(filters.query)
        statement = statement.where(
            or_(Organisation.code.ilike(pattern, escape="/"), Organisation.name.ilike(pattern, escape="/"))
        )
    return statement


def _rows(user: User, cycle: Cycle, filters: Filters):
    parent = aliased(Organisation)
    statement = _statement(
        user,
        cycle,
        filters,
        (
            Organisation.code,
            Organisation.name,
            parent.name,
            SelfCheck.id,
            status_column,
            SelfCheck.score,
            SelfCheck.level,
            SelfCheck.submitted_at,
            review_column,
            actions_column,
            done_column,
            overdue_column,
        ),
    ).outerjoin(parent, parent.id == Organisation.parent_id)
    if filters.status:
        statement = statement.where(status_column == filters.status)
    key = {
        "code": (),
        "status": (status_order,),
        "-score": (SelfCheck.score.desc().nulls_last(),),
        "score": (SelfCheck.score.asc().nulls_last(),),
    }[filters.sort]
    return statement.order_by(*key, Organisation.code)


def _answered(selfcheck_ids: list[int]) -> dict[int, int]:
    if not selfcheck_ids:
        return {}
    return dict(
        db.session.execute(
            select(Answer.selfcheck_id, func.count())
            .where(Answer.selfcheck_id.in_(selfcheck_ids), Answer.value != "null")
            .group_by(Answer.selfcheck_id)
        ).all()
    )


def _with_answered(rows) -> list[Row]:
    answered = _answered([r[3] for r in rows if r[4] == DRAFT])
    return [Row(*r[:2], r[2] or "", *r[3:], answered.get(r[3], 0) if r[4] == DRAFT else None) for r in rows]


def overview_page(user: User, cycle: Cycle, filters: Filters, per_page: int = PER_PAGE) -> Page:
    """One page of the branches under the filters, with the counts per status."""
    counting = _statement(user, cycle, filters, (status_column, func.count())).group_by(status_column)
    counted = dict(db.session.execute(counting, {"today": date.today()}).all())
    counts = {status: counted.get(status, 0) for status in STATUSES}
    total = counts[filters.status] if filters.status else sum(counts.values())
    pages = max(1, -(-total // per_page))
    page = min(filters.page, pages)
    rows = db.session.execute(
        _rows(user, cycle, filters).limit(per_page).offset((page - 1) * per_page), {"today": date.today()}
    ).all()
    return Page(_with_answered(rows), counts, total, page, pages)


def all_rows(user: User, cycle: Cycle, filters: Filters) -> list[Row]:
    """Every branch under the filters, in their order (the export)."""
    return _with_answered(db.session.execute(_rows(user, cycle, filters), {"today": date.today()}).all())


# ---------------------------------------------------------------- the list as CSV or XLSX

COLUMNS = ("code", "name", "parent", "status", "answered", "questions", "score", "level", "submitted_at")


def _labels() -> list[str]:
    return [
        _("Code"),
        _("Branch"),
        _("Parent organisation"),
        _("Status"),
        _("Questions answered"),
        _("Questions"),
        _("Score"),
        _("Level"),
        _("Submitted on"),
    ]


def _table(rows: list[Row], cycle: Cycle, lang: str) -> tuple[list[str], list[list]]:
    """The header (in `lang`) and the rows of the export, values as a spreadsheet wants them."""
    questionnaire = get_questionnaire(cycle.questionnaire_version)
    questions = len(questionnaire.items)
    levels = {lv.id: lv.name(lang) for lv in questionnaire.levels}
    with force_locale(lang):
        header = _labels()
        status_names = {NOT_STARTED: _("Not started"), DRAFT: _("Draft"), SUBMITTED: _("Submitted")}
        body = [
            [
                r.code,
                r.name,
                r.parent,
                status_names[r.status],
                questions if r.status == SUBMITTED else r.answered,
                questions if r.status != NOT_STARTED else None,
                round(r.score, 1) if r.score is not None else None,
                levels.get(r.level, r.level),
                format_datetime(r.submitted_at, "yyyy-MM-dd HH:mm") if r.submitted_at else None,
            ]
            for r in rows
        ]
    return header, body


def csv_bytes(rows: list[Row], cycle: Cycle, lang: str) -> bytes:
    """UTF-8 CSV with a byte-order mark: a header in `lang`, then the column ids, then the rows
    (a name that would start a formula made inert)."""
    header, body = _table(rows, cycle, lang)
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(header)
    writer.writerow(COLUMNS)
    writer.writerows([inert(v) for v in row] for row in body)
    return ("\ufeff" + out.getvalue()).encode("utf-8")


def xlsx_bytes(rows: list[Row], cycle: Cycle, lang: str) -> bytes:
    header, body = _table(rows, cycle, lang)
    book = Workbook()
    with force_locale(lang):
        book.add_sheet(_("Branches"), header, [list(COLUMNS), *body])
    return book.close()


def filename(user: User, cycle: Cycle, extension: str) -> str:
    return f"branches_{user.organisation.code}_{cycle.year}.{extension}"
