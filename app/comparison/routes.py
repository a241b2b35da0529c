"""The comparison page of leaders, trainers and admins, and its exports (CSV, XLSX, cohort PDF)."""

from __future__ import annotations

from io import BytesIO

from flask import Blueprint, abort, render_template, request, send_file
from flask_babel import get_locale
from flask_login import current_user, login_required
from sqlalchemy import select

from app.assessment.questionnaire import get_questionnaire

from .. import audit
from ..access import can_view_org, subtree_filter, visible_roots
from ..extensions import db
from ..models import Cycle, Organisation
from . import exports, queries, report, service

bp = Blueprint("comparison", __name__, url_prefix="/compare")

FIXED_SORTS = ("code", "name", "overall", "change")


def _selection() -> tuple[queries.Selection, Organisation | None]:
    """The selection of the request's `year` (repeatable) and `org`, within what the user may read."""
    if current_user.role == "branch":
        abort(403)
    org = None
    code = request.args.get("org", "").strip()
    if code:
        org = db.session.scalar(select(Organisation).where(Organisation.code == code))
        if org is None or not can_view_org(current_user, org):
            abort(404)
    years = request.args.getlist("year", type=int)
    return queries.make_selection(visible_roots(current_user), org, years), org


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
    result = service.comparison(selection, picks, _lang())
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


def _download(data: bytes, mimetype: str, name: str):
    audit.record_now("export", current_user, name)
    response = send_file(BytesIO(data), mimetype=mimetype, as_attachment=True, download_name=name)
    response.headers["Cache-Control"] = "private, no-store"
    return response


@bp.get("/export.csv")
@login_required
def export_csv():
    selection, org = _selection()
    return _download(exports.csv_bytes(selection), "text/csv; charset=utf-8",
                     exports.filename(selection, org, "csv"))


@bp.get("/export.xlsx")
@login_required
def export_xlsx():
    selection, org = _selection()
    return _download(exports.xlsx_bytes(selection),
                     "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
                     exports.filename(selection, org, "xlsx"))


@bp.get("/report.pdf")
@login_required
def report_pdf():
    selection, org = _selection()
    picks = [p for p in request.args.getlist("pick") if p][: service.MAX_PICKS]
    return _download(report.cohort_pdf(selection, org, picks), "application/pdf",
                     exports.filename(selection, org, "pdf"))
