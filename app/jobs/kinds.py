"""What a job can do. Each kind checks access itself, since it runs away from the request.

`init_app` registers them on the app (`KINDS`); a kind is a function (user, params, progress) →
(bytes, filename, mimetype), `progress(done, total)` raising once the job is past its time.
"""

from __future__ import annotations

from sqlalchemy import select

from app.assessment.text import LANGUAGES, MODES

from ..extensions import db
from ..models import Cycle
from ..reminders.mail import reminder_mail
from ..reports import service as reports
from ..results import overview
from .runner import register_kind


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
    from ..comparison.service import selection_for

    if user.role == "branch":
        raise JobRefused("branch users have no comparison")
    try:
        return selection_for(user, params.get("org", ""), [int(y) for y in params.get("year", [])])
    except (LookupError, ValueError):
        raise JobRefused("no such organisation or year") from None


def export_csv(user, params, progress):
    """The comparison selection, one row per unit and cycle, as CSV."""
    from ..comparison import exports

    selection, org = _comparison_selection(user, params)
    data = exports.csv_bytes(selection, _ui(params))
    return data, exports.filename(selection, org, "csv"), "text/csv; charset=utf-8"


def export_xlsx(user, params, progress):
    """The same as XLSX, with a sheet describing every column in both languages."""
    from ..comparison import exports

    selection, org = _comparison_selection(user, params)
    mimetype = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    return exports.xlsx_bytes(selection), exports.filename(selection, org, "xlsx"), mimetype


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


def overview_csv(user, params, progress):
    """The leader's overview under its filters, every page, as CSV."""
    cycle, rows = _overview_list(user, params)
    data = overview.csv_bytes(rows, cycle, _ui(params))
    return data, overview.filename(user, cycle, "csv"), "text/csv; charset=utf-8"


def overview_xlsx(user, params, progress):
    """The same as XLSX."""
    cycle, rows = _overview_list(user, params)
    mimetype = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    return overview.xlsx_bytes(rows, cycle, _ui(params)), overview.filename(user, cycle, "xlsx"), mimetype


KINDS = {
    "reports_zip": reports_zip,
    "export_csv": export_csv,
    "export_xlsx": export_xlsx,
    "cohort_pdf": cohort_pdf,
    "overview_csv": overview_csv,
    "overview_xlsx": overview_xlsx,
    "reminder_mail": reminder_mail,
}


def init_app(app) -> None:
    for name, run in KINDS.items():
        register_kind(app, name, run)
