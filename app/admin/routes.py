from __future__ import annotations

from flask import Blueprint, abort, render_template, request
from flask_login import current_user, login_required
from sqlalchemy import select

from ..audit import ACTIONS
from ..extensions import db
from ..models import AuditEvent

bp = Blueprint("admin", __name__, url_prefix="/admin")
PAGE_SIZE = 100
MAX_PAGE = 2**31 // PAGE_SIZE


@bp.route("/audit")
@login_required
def audit_log():
    if current_user.role != "admin":
        abort(403)
    action = request.args.get("action")
    page = request.args.get("page", 1, type=int)
    page = page if 0 < page <= MAX_PAGE else 1  # an offset past what the database's integers hold
    query = select(AuditEvent).order_by(AuditEvent.at.desc(), AuditEvent.id.desc())
    if action in ACTIONS:
        query = query.where(AuditEvent.action == action)
    events = db.session.scalars(query.limit(PAGE_SIZE + 1).offset((page - 1) * PAGE_SIZE)).all()
    return render_template(
        "admin/audit.html",
        events=events[:PAGE_SIZE],
        more=len(events) > PAGE_SIZE,
        page=page,
        action=action if action in ACTIONS else None,
        actions=ACTIONS,
    )


from . import cycle_routes, org_routes  # noqa: E402, F401  (their routes join this blueprint)
