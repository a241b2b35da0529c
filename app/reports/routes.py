"""Download of a diagnostic report. (A ZIP of a whole cycle is a background job: app/jobs.)"""

from __future__ import annotations

from io import BytesIO

from flask import Blueprint, abort, request, send_file
from flask_login import current_user, login_required

from app.assessment.text import MODES

from .. import audit
from ..access import get_selfcheck_or_404
from . import service
from .blank import blank_questionnaire

bp = Blueprint("reports", __name__, url_prefix="/reports")


@bp.route("/blank.pdf")
@login_required
def blank_pdf():
    """The blank questionnaire of the current cycle, with the user's unit on every page."""
    from ..selfcheck.routes import current_cycle

    lang = request.args.get("lang", "bilingual")
    cycle = current_cycle()
    if lang not in MODES or cycle is None:
        abort(404)
    unit = current_user.organisation.name if current_user.role == "branch" else ""
    pdf = blank_questionnaire(cycle, lang, unit)
    return send_file(
        BytesIO(pdf),
        mimetype="application/pdf",
        as_attachment=True,
        download_name=f"questionnaire_{cycle.year}_{lang}.pdf",
    )  # "no-store", as every page's, from security.add_security_headers


@bp.route("/<int:selfcheck_id>.pdf")
@login_required
def diagnostic_pdf(selfcheck_id: int):
    selfcheck = get_selfcheck_or_404(current_user, selfcheck_id)
    lang = request.args.get("lang", "bilingual")
    if lang not in MODES:
        abort(404)
    pdf = service.report_for(selfcheck, lang, reader=current_user)
    audit.record_now("report_download", current_user, f"{selfcheck.organisation.code} {selfcheck.cycle.year} {lang}")
    response = send_file(
        BytesIO(pdf),
        mimetype="application/pdf",
        as_attachment=True,
        download_name=service.report_filename(selfcheck, lang),
    )
    response.headers["Cache-Control"] = "private, no-store"
    return response
