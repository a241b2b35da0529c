"""What a job can do. Each kind checks access itself, since it runs away from the request."""

from __future__ import annotations

from sqlalchemy import select

from ..access import can_view_org
from ..extensions import db
from ..models import Cycle, SelfCheck
from ..reports import service as reports
from ..reports.viewmodel import MODES
from .runner import kind


class JobRefused(Exception):
    """The job's owner may not have what it asks for."""


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
    progress(0, 1)
    data = reports.report_for(selfcheck, lang)
    progress(1, 1)
    return data, reports.report_filename(selfcheck, lang), "application/pdf"


@kind("reports_zip")
def reports_zip(user, params, progress):
    """Every submitted report of a year that the owner may read, as one ZIP."""
    if user.role == "branch":
        raise JobRefused("branch users download their own report")
    cycle = db.session.scalar(select(Cycle).where(Cycle.year == int(params["year"])))
    if cycle is None:
        raise JobRefused("no such cycle")
    data = reports.bundle_zip(user, cycle, _mode(params), progress=progress)
    return data, reports.bundle_filename(user, cycle), "application/zip"
