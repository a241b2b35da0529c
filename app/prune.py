"""`flask --app wsgi prune`: delete what is no longer needed, on a schedule (README, Deployment).

- finished jobs older than JOB_KEEP_DAYS, with their result files, and files in the jobs folder
  that no job owns (a job of a deleted user, a half-written result) once a day old;
- sessions that ended: logged out, or past SESSION_ABSOLUTE_HOURS, which no cookie can revive;
- failed log-ins older than the throttling window (`security.THROTTLE_WINDOW`), which no longer count;
- temporary-password handouts nobody downloaded, and uploaded imports nobody ran, after an hour;
- on the way, jobs whose process stopped are put back in the queue or failed (`recover`).
"""

from __future__ import annotations

import time
from datetime import timedelta

from flask import current_app
from sqlalchemy import delete, select

from .accounts.service import HANDOUT_MINUTES, forget_old_handouts
from .database import write_transaction
from .extensions import db
from .jobs.runner import jobs_dir, recover
from .models import Job, LoginFailure, LoginSession, utcnow
from .security import THROTTLE_WINDOW

ORPHAN_FILES_KEPT = timedelta(days=1)


def prune() -> dict[str, int]:
    """Delete as above; how many of each were deleted."""
    config = current_app.config
    now = utcnow()
    recover()
    with write_transaction():
        kept_since = now - timedelta(days=config["JOB_KEEP_DAYS"])
        job_ids = db.session.scalars(
            select(Job.id).where(Job.status.in_(("done", "failed")), Job.finished_at < kept_since)
        ).all()
        db.session.execute(delete(Job).where(Job.id.in_(job_ids)))
        ended = LoginSession.ended_at.is_not(None) | (
            LoginSession.created_at < now - timedelta(hours=config["SESSION_ABSOLUTE_HOURS"])
        )
        sessions = db.session.execute(delete(LoginSession).where(ended)).rowcount
        failures = db.session.execute(delete(LoginFailure).where(LoginFailure.at < now - THROTTLE_WINDOW)).rowcount
        handouts = forget_old_handouts()
        db.session.commit()
    return {
        "jobs": len(job_ids),
        "job files": _delete_files(job_ids),
        "sessions": sessions,
        "login failures": failures,
        "password handouts": handouts,
        "uploaded imports": _delete_old_uploads(),
    }


def _delete_old_uploads() -> int:
    """Files checked on the import page and never imported (`accounts.routes.uploads_dir`)."""
    folder = jobs_dir() / "imports"
    cutoff = time.time() - HANDOUT_MINUTES * 60
    old = [path for path in folder.glob("*") if path.stat().st_mtime < cutoff] if folder.is_dir() else []
    for path in old:
        path.unlink(missing_ok=True)
    return len(old)


def _delete_files(deleted_jobs: list[str]) -> int:
    """The result files of `deleted_jobs`, and any file of the jobs folder no job owns once it is old enough."""
    folder = jobs_dir()
    if not folder.is_dir():
        return 0
    owned, deleted = set(db.session.scalars(select(Job.id))), set(deleted_jobs)
    cutoff = time.time() - ORPHAN_FILES_KEPT.total_seconds()
    count = 0
    for path in folder.iterdir():
        job_id = path.name.removesuffix(".part")
        if path.is_file() and (path.name in deleted or (job_id not in owned and path.stat().st_mtime < cutoff)):
            path.unlink(missing_ok=True)
            count += 1
    return count
