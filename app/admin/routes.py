"""Administration pages: the audit log, filtered by user, action and date, exported as CSV or XLSX."""

from __future__ import annotations

import csv
import io
from datetime import date, datetime, time, timedelta

from flask import Blueprint, Response, abort, render_template, request
from flask_login import current_user, login_required
from sqlalchemy import or_, select
from sqlalchemy.orm import aliased

from ..audit import ACTIONS, record_now
from ..extensions import db
from ..models import AuditEvent, User
from ..spreadsheet import Workbook, inert

bp = Blueprint("admin", __name__, url_prefix="/admin")
PAGE_SIZE = 100
MAX_PAGE = 2**31 // PAGE_SIZE
EXPORT_LIMIT = 100_000  # rows of one export; narrow the filter for more
EXPORT_HEADER = ("when (UTC)", "who", "action", "whom", "what", "address")


def audit_filters() -> tuple[dict, object]:
    """The filters of the request (user: who acted or was acted upon; action; since/until, dates)
    and the query of the events they select, newest first. Unreadable values are ignored."""
    if current_user.role != "admin":
        abort(403)
    filters = {key: request.args.get(key, "").strip()[:80] for key in ("user", "action", "since", "until")}
    query = select(AuditEvent).order_by(AuditEvent.at.desc(), AuditEvent.id.desc())
    if filters["action"] in ACTIONS:
        query = query.where(AuditEvent.action == filters["action"])
    else:
        filters["action"] = ""
    if filters["user"]:
        actor, subject = aliased(User), aliased(User)
        query = (
            query.outerjoin(actor, AuditEvent.user_id == actor.id)
            .outerjoin(subject, AuditEvent.subject_id == subject.id)
            .where(or_(actor.username == filters["user"], subject.username == filters["user"]))
        )
    for key, bound in (("since", AuditEvent.at.__ge__), ("until", AuditEvent.at.__lt__)):
        day = parse_day(filters[key])
        if day is None:
            filters[key] = ""
        else:
            query = query.where(bound(datetime.combine(day + timedelta(days=key == "until"), time())))
    return filters, query


def parse_day(value: str) -> date | None:
    try:
        return date.fromisoformat(value)
    except ValueError:
        return None


@bp.route("/audit")
@login_required
def audit_log():
    filters, query = audit_filters()
    page = request.args.get("page", 1, type=int)
    page = page if 0 < page <= MAX_PAGE else 1  # an offset past what the database's integers hold
    events = db.session.scalars(query.limit(PAGE_SIZE + 1).offset((page - 1) * PAGE_SIZE)).all()
    return render_template(
        "admin/audit.html",
        events=events[:PAGE_SIZE],
        more=len(events) > PAGE_SIZE,
        page=page,
        filters=filters,
        actions=ACTIONS,
    )


def export_rows(query):
    for e in db.session.scalars(query.limit(EXPORT_LIMIT)):
        yield [
            e.at.strftime("%Y-%m-%d %H:%M:%S"),
            e.user.username if e.user else "",
            e.action,
            e.subject.username if e.subject else "",
            e.target,
            e.address,
        ]


@bp.route("/audit.<any(csv, xlsx):extension>")
@login_required
def export_audit_log(extension: str):
    """The filtered audit log as a file (action names as stored, times in UTC)."""
    filters, query = audit_filters()
    described = " ".join(f"{key}={value}" for key, value in filters.items() if value)
    record_now("export", current_user, f"audit log {extension} {described}")
    if extension == "csv":
        out = io.StringIO()
        writer = csv.writer(out, lineterminator="\r\n")
        writer.writerow(EXPORT_HEADER)
        writer.writerows([inert(v) for v in row] for row in export_rows(query))
        body, mimetype = ("\ufeff" + out.getvalue()).encode("utf-8"), "text/csv"
    else:
        book = Workbook()
        book.add_sheet("audit", EXPORT_HEADER, export_rows(query))
        body, mimetype = book.close(), "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    return Response(body, mimetype=mimetype, headers={"Content-Disposition": f"attachment; filename=audit.{extension}"})


from . import cycle_routes, org_routes  # noqa: E402, F401  (their routes join this blueprint)
