"""Starting a job, watching its progress, downloading its result. Only its owner sees a job."""

from __future__ import annotations

from flask import Blueprint, abort, jsonify, redirect, render_template, request, send_file, url_for
from flask_login import current_user, login_required

from .. import audit
from ..extensions import db
from ..models import Job
from ..views import current_lang
from . import kinds  # noqa: F401  (registers the job kinds)
from .runner import KINDS, enqueue, result_path

bp = Blueprint("jobs", __name__, url_prefix="/jobs")
# kind → its parameters; those in LISTS may repeat
STARTABLE = {
    "reports_zip": ("year", "lang"),
    "export_csv": ("org", "year"),
    "export_xlsx": ("org", "year"),
    "cohort_pdf": ("org", "year", "pick"),
    "overview_csv": ("year", "status", "org", "q", "sort"),
    "overview_xlsx": ("year", "status", "org", "q", "sort"),
}
LISTS = {"export_csv": ("year",), "export_xlsx": ("year",), "cohort_pdf": ("year", "pick")}


@bp.route("", methods=["POST"])
@login_required
def start():
    kind = request.form.get("kind")
    if kind not in STARTABLE or current_user.role == "branch":
        abort(403)
    params = {}
    for key in STARTABLE[kind]:
        if key in LISTS.get(kind, ()):
            params[key] = [v for v in request.form.getlist(key) if v][:20]
        elif request.form.get(key):
            params[key] = request.form[key][:40]
    if kind == "reports_zip" and not params.get("year", "").isdigit():
        abort(400)
    params["ui"] = current_lang()  # exports are written in the language of the page that asked
    job = enqueue(kind, params, current_user._get_current_object())
    return redirect(url_for(".show", job_id=job.id))


def own_job_or_404(job_id: str) -> Job:
    job = db.session.get(Job, job_id)
    if job is None or job.user_id != current_user.id or job.kind not in KINDS:
        abort(404)
    return job


@bp.route("/<job_id>")
@login_required
def show(job_id: str):
    return render_template("jobs/job.html", job=own_job_or_404(job_id))


@bp.route("/<job_id>.json")
@login_required
def status(job_id: str):
    job = own_job_or_404(job_id)
    return jsonify(
        status=job.status,
        done=job.done,
        total=job.total,
        percent=job.percent,
        download=url_for(".download", job_id=job.id) if job.status == "done" else None,
    )


@bp.route("/<job_id>/download")
@login_required
def download(job_id: str):
    job = own_job_or_404(job_id)
    path = result_path(job.id)
    if job.status != "done" or not path.exists():
        abort(404)
    audit.record_now("report_download" if job.kind.startswith("report") else "export", current_user, job.result_name)
    response = send_file(path, mimetype=job.result_type, as_attachment=True, download_name=job.result_name)
    response.headers["Cache-Control"] = "private, no-store"
    return response
