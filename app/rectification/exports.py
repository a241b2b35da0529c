"""The rectification list as files: an XLSX sheet in the user's language, and a printable PDF list
in the diagnostic report's style (`app.reports.document.render_rectification_pdf`)."""

from __future__ import annotations

from datetime import date

from flask import current_app
from flask_babel import gettext as _

from app.assessment import rectification as rules

from ..models import RectificationAction, SelfCheck, User
from ..reports.document import render_rectification_pdf
from ..reports.service import viewmodel_for
from ..spreadsheet import Workbook
from . import service

XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def status_label(action: RectificationAction, today: date) -> str:
    """The shown status (overdue computed from the deadline) in the user's language."""
    return status_labels()[rules.shown_status(action.status, action.deadline, today)]


def status_labels() -> dict[str, str]:
    return {
        rules.PLANNED: _("Planned"),
        rules.IN_PROGRESS: _("In progress"),
        rules.DONE: _("Done"),
        rules.OVERDUE: _("Overdue"),
    }


def origin_labels() -> dict[str | None, str]:
    return {
        "flag": _("Consistency flag"),
        "priority": _("Top priority"),
        "suggestion": _("Improvement suggestion"),
        "item": _("Low-scoring question"),
        None: _("Added by the branch"),
    }


def xlsx_bytes(selfcheck: SelfCheck) -> bytes:
    """One sheet, one row per action, in the user's language; progress notes joined in one cell."""
    today = service.today()
    origins = origin_labels()
    header = [
        _("No."),
        _("Raised by"),
        _("Question"),
        _("Problem"),
        _("Rectification measure"),
        _("Led by"),
        _("Role"),
        _("Deadline"),
        _("Status"),
        _("Progress notes"),
        _("What was done"),
        _("Closed on"),
    ]
    rows = [
        [
            number,
            origins.get(a.origin, ""),
            a.item_id or "",
            a.problem,
            a.measure,
            a.owner_name,
            a.owner_role,
            a.deadline.isoformat(),
            status_label(a, today),
            "\n".join(f"{n.noted_on.isoformat()} {n.text}" for n in a.notes),
            a.account or "",
            a.closed_at.date().isoformat() if a.closed_at else "",
        ]
        for number, a in enumerate(service.actions_of(selfcheck), 1)
    ]
    book = Workbook()
    book.add_sheet(_("Rectification list"), header, rows)
    return book.close()


def pdf_bytes(selfcheck: SelfCheck, lang: str, reader: User) -> bytes:
    template = current_app.config.get("REPORT_TEMPLATE", "default")
    return render_rectification_pdf(viewmodel_for(selfcheck, reader), template, lang)


def filename(selfcheck: SelfCheck, extension: str, lang: str | None = None) -> str:
    suffix = f"_{lang}" if lang else ""
    return f"rectification-list_{selfcheck.organisation.code}_{selfcheck.cycle.year}{suffix}.{extension}"
