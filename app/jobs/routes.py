"""Starting a job, watching its progress, downloading its result. Only its owner sees a job."""

from __future__ import annotations

import os

from flask import Blueprint, abort, current_app, jsonify, redirect, render_template, request, send_file, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required
from sqlalchemy.exc import SQLAlchemyError

from .. import audit
from ..extensions import db
from ..i18n import current_lang
from ..models import Job
from .runner import enqueue, kinds_of, result_path, wake

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
    if kind == "reports_zip" and not (params.get("year", "").isdecimal() and len(params["year"]) <= 4):
        abort(400)
    params["ui"] = current_lang()  # exports are written in the language of the page that asked
    job = enqueue(kind, params, current_user._get_current_object())
    return redirect(url_for(".show", job_id=job.id))


@bp.before_app_request
def take_up_the_queue():
    """The first request a process serves takes up what a stopped process left in the queue."""
    if current_app.extensions.get("jobs_taken_up") == os.getpid():
        return
    try:
        wake()
    except SQLAlchemyError:  # the database does not answer (yet): /health says so, the next request tries again
        db.session.rollback()
        return
    current_app.extensions["jobs_taken_up"] = os.getpid()


def own_job_or_404(job_id: str) -> Job:
    job = db.session.get(Job, job_id)
    if job is None or job.user_id != current_user.id or job.kind not in kinds_of():
        abort(404)
    return job


def watched_job_or_404(job_id: str) -> Job:
    """The owner's job, after letting this process take up the queue if the job is still waiting
    or its process may have stopped: whoever watches a job keeps it going."""
    job = own_job_or_404(job_id)
    if job.status in ("queued", "running"):
        wake()
        job = own_job_or_404(job_id)
    return job


@bp.route("/<job_id>")
@login_required
def show(job_id: str):
    job = watched_job_or_404(job_id)
    return render_template("jobs/job.html", job=job, message=job_message(job))


@bp.route("/<job_id>.json")
@login_required
def status(job_id: str):
    job = watched_job_or_404(job_id)
    return jsonify(
        status=job.status,
        done=job.done,
        total=job.total,
        percent=job.percent,
        message=job_message(job),
        download=url_for(".download", job_id=job.id) if job.status == "done" else None,
    )


def job_message(job: Job) -> str:
    """What the job's page says besides its progress: why it failed, or that it was started again."""
    if job.status == "failed":
        if job.error == "interrupted":
            return _("This job was interrupted by server restarts and given up. Please start it again.")
        if job.error == "timeout":
            minutes = current_app.config["JOB_TIMEOUT_MINUTES"]
            return _("This job took longer than %(minutes)s minutes and was stopped. Please choose less at a time, "
                     "or tell the administrator.", minutes=minutes)  # fmt: skip
        return _("This job failed. Please try again or tell the administrator.")
    if job.status == "queued" and not job.attempts:
        return _("Waiting to start: your downloads are prepared one at a time.")
    if job.attempts > 1 and job.status != "done":
        return _("The server restarted while this job ran; it has started again.")
    return ""


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
