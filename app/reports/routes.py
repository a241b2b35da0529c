"""Downloads of diagnostic reports: one self-check's PDF, or a ZIP of a whole cycle."""

from __future__ import annotations

from io import BytesIO

from flask import Blueprint, abort, request, send_file
from flask_login import current_user, login_required
from sqlalchemy import select

from ..access import get_selfcheck_or_404
from ..extensions import db
from ..models import Cycle
from . import service
from .viewmodel import MODES

bp = Blueprint("reports", __name__, url_prefix="/reports")


@bp.route("/<int:selfcheck_id>.pdf")
@login_required
def diagnostic_pdf(selfcheck_id: int):
    selfcheck = get_selfcheck_or_404(current_user, selfcheck_id)
    lang = request.args.get("lang", "bilingual")
    if lang not in MODES:
        abort(404)
    pdf = service.report_for(selfcheck, lang)
    response = send_file(
        BytesIO(pdf),
        mimetype="application/pdf",
        as_attachment=True,
        download_name=service.report_filename(selfcheck, lang),
    )
    response.headers["Cache-Control"] = "private, no-store"
    return response


@bp.route("/bundle.zip")
@login_required
def bundle():
    """Leaders, trainers and admins: every submitted report of the year they may see."""
    if current_user.role == "branch":
        abort(403)
    year = request.args.get("year", type=int)
    cycle = db.session.scalar(select(Cycle).where(Cycle.year == year)) if year else None
    if cycle is None:
        abort(404)
    lang = request.args.get("lang", "bilingual")
    if lang not in MODES:
        abort(404)
    data = service.bundle_zip(current_user, cycle, lang)
    response = send_file(
        BytesIO(data),
        mimetype="application/zip",
        as_attachment=True,
        download_name=service.bundle_filename(current_user, cycle),
    )
    response.headers["Cache-Control"] = "private, no-store"
    return response
