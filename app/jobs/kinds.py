"""What a job can do. Each kind checks access itself, since it runs away from the request."""

from __future__ import annotations

from sqlalchemy import select

from ..access import can_view_org
from ..extensions import db
from ..models import Cycle, SelfCheck
from ..reports import service as reports
from ..reports.viewmodel import MODES
from ..results import overview
from .runner import kind

LANGUAGES = ("zh", "en")


class JobRefused(Exception):
    """The job's owner may not have what it asks for."""


def _ui(params) -> str:
    """The language of the page that started the job: its exports' headers and names."""
    return params.get("ui") if params.get("ui") in LANGUAGES else "zh"


def _mode(params) -> str:
    lang = params.get("lang", "bilingual")
    if lang not in MODES:
        raise JobRefused(f"unknown language mode {lang!r}")
    return lang


@kind("report_pdf")
def report_pdf(user, params, progress):
    """One self-check's diagnostic report."""
    selfcheck = db.session.get(SelfCheck, int(params["selfcheck_id"]))
    if selfcheck is None or not can_view_org(user, selfcheck.organisation):
        raise JobRefused("no such self-check")
    lang = _mode(params)
    data = reports.report_for(selfcheck, lang, reader=user)  # one step: "running" then "done" says all there is
    return data, reports.report_filename(selfcheck, lang), "application/pdf"


@kind("reports_zip")
def reports_zip(user, params, progress):
    """Every submitted report of a year that the owner may read, as one ZIP."""
    if user.role == "branch":
        raise JobRefused("branch users download their own report")
    cycle = db.session.scalar(select(Cycle).where(Cycle.year == int(params["year"])))
    if cycle is None:
        raise JobRefused("no such cycle")
    data = reports.bundle_zip(user, cycle, _mode(params), progress=progress, ui=_ui(params))
    return data, reports.bundle_filename(user, cycle), "application/zip"


def _comparison_selection(user, params):
    from ..comparison.routes import selection_for

    if user.role == "branch":
        raise JobRefused("branch users have no comparison")
    try:
        return selection_for(user, params.get("org", ""), [int(y) for y in params.get("year", [])])
    except (LookupError, ValueError):
        raise JobRefused("no such organisation or year") from None


@kind("export_csv")
def export_csv(user, params, progress):
    """The comparison selection, one row per unit and cycle, as CSV."""
    from ..comparison import exports

    selection, org = _comparison_selection(user, params)
    data = exports.csv_bytes(selection, _ui(params))
    return data, exports.filename(selection, org, "csv"), "text/csv; charset=utf-8"


@kind("export_xlsx")
def export_xlsx(user, params, progress):
    """The same as XLSX, with a sheet describing every column in both languages."""
    from ..comparison import exports

    selection, org = _comparison_selection(user, params)
    mimetype = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    return exports.xlsx_bytes(selection), exports.filename(selection, org, "xlsx"), mimetype


@kind("cohort_pdf")
def cohort_pdf(user, params, progress):
    """The bilingual cohort comparison report."""
    from ..comparison import exports, report, service

    selection, org = _comparison_selection(user, params)
    picks = [p for p in params.get("pick", []) if p][: service.MAX_PICKS]
    return report.cohort_pdf(selection, org, picks), exports.filename(selection, org, "pdf"), "application/pdf"


def _overview_list(user, params):
    if user.role == "branch":
        raise JobRefused("branch users have no overview")
    _cycles, cycle = overview.cycle_for(int(params["year"]) if str(params.get("year", "")).isdigit() else None)
    if cycle is None:
        raise JobRefused("no cycle")
    try:
        filters = overview.filters_from(user, params)
    except LookupError:
        raise JobRefused("no such organisation") from None
    return cycle, overview.all_rows(user, cycle, filters)


@kind("overview_csv")
def overview_csv(user, params, progress):
    """The leader's overview under its filters, every page, as CSV."""
    cycle, rows = _overview_list(user, params)
    data = overview.csv_bytes(rows, cycle, _ui(params))
    return data, overview.filename(user, cycle, "csv"), "text/csv; charset=utf-8"


@kind("overview_xlsx")
def overview_xlsx(user, params, progress):
    """The same as XLSX."""
    cycle, rows = _overview_list(user, params)
    mimetype = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    return overview.xlsx_bytes(rows, cycle, _ui(params)), overview.filename(user, cycle, "xlsx"), mimetype
