"""The comparison page of leaders, trainers and admins, and its exports (CSV, XLSX, cohort PDF)."""

from __future__ import annotations

from flask import Blueprint, abort, render_template, request
from flask_babel import get_locale
from flask_login import current_user, login_required
from sqlalchemy import select

from app.assessment.questionnaire import get_questionnaire

from ..access import subtree_filter
from ..extensions import db
from ..models import Cycle, Organisation
from . import queries, service

bp = Blueprint("comparison", __name__, url_prefix="/compare")

FIXED_SORTS = ("code", "name", "overall", "change")


def _selection() -> tuple[queries.Selection, Organisation | None]:
    """The selection of the request's `year` (repeatable) and `org`."""
    if current_user.role == "branch":
        abort(403)
    try:
        return service.selection_for(
            current_user, request.args.get("org", "").strip(), request.args.getlist("year", type=int)
        )
    except LookupError:
        abort(404)


def _lang() -> str:
    return str(get_locale() or "zh")[:2]


def _query_args(selection: queries.Selection, org: Organisation | None, **extra) -> dict:
    args = {"year": [c.year for c in selection.cycles]}
    if org:
        args["org"] = org.code
    args.update({k: v for k, v in extra.items() if v})
    return args


@bp.get("")
@login_required
def compare():
    selection, org = _selection()
    picks = [p for p in request.args.getlist("pick") if p][: service.MAX_PICKS]
    result = service.comparison(selection, picks, _lang(), phone=True)
    sort = request.args.get("sort", "code")
    descending = sort.startswith("-")
    sort = sort.lstrip("-")
    questionnaire = get_questionnaire(selection.focus.version) if selection.cycles else None
    pillars = list(questionnaire.pillars) if questionnaire else []
    if sort not in FIXED_SORTS and sort not in {p.id for p in pillars}:
        sort, descending = "code", False
    page = None
    if selection.cycles:
        page = queries.unit_page(selection, sort, descending, request.args.get("page", 1, type=int))
    organisations = db.session.execute(
        select(Organisation.code, Organisation.name)
        .where(Organisation.kind != "branch", subtree_filter(current_user))
        .order_by(Organisation.path)
    ).all()
    return render_template(
        "comparison/compare.html",
        selection=selection,
        org=org,
        cycles=db.session.scalars(select(Cycle).order_by(Cycle.year.desc())).all(),
        organisations=organisations,
        result=result,
        pillars=pillars,
        levels={lv.id: lv for lv in questionnaire.levels} if questionnaire else {},
        page=page,
        sort=sort,
        descending=descending,
        picks=picks,
        base_args=_query_args(selection, org),
    )
