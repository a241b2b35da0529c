"""Queueing and running jobs.

With REDIS_URL set, jobs go to an RQ queue served by `flask --app wsgi worker` processes
(each runs its jobs one after another in a forked child that is replaced by a fresh one
after --max-jobs jobs, so its memory stays bounded). Without it, the same
job functions run in a small thread pool inside the web process, so the embedded
default needs nothing more.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor, wait
from pathlib import Path

from flask import Flask, current_app
from sqlalchemy import update

from ..database import reading_first, write_transaction
from ..extensions import db
from ..models import Job, User, utcnow

QUEUE_NAME = "selfcheck"
_pool = ThreadPoolExecutor(max_workers=2, thread_name_prefix="job")
_running: set[Future] = set()  # the in-process jobs not finished yet

# kind → function(user, params, progress) -> (bytes, filename, mimetype); see app/jobs/kinds.py
KINDS: dict[str, Callable] = {}


def kind(name: str):
    def register(fn):
        KINDS[name] = fn
        return fn

    return register


def result_path(job_id: str) -> Path:
    folder = current_app.config.get("JOBS_DIR") or Path(current_app.instance_path) / "jobs"
    return Path(folder) / job_id


def redis_connection(app: Flask | None = None):
    url = (app or current_app).config.get("REDIS_URL")
    if not url:
        return None
    from redis import Redis

    return Redis.from_url(url)


def enqueue(kind_name: str, params: dict, user: User) -> Job:
    """Record a job and hand it to the queue (or the in-process pool)."""
    if kind_name not in KINDS:
        raise ValueError(f"unknown job kind {kind_name!r}")
    job = Job(id=uuid.uuid4().hex, kind=kind_name, params=json.dumps(params), user_id=user.id, status="queued")
    db.session.add(job)
    db.session.commit()
    connection = redis_connection()
    if connection is not None:
        from rq import Queue

        Queue(QUEUE_NAME, connection=connection).enqueue(
            run_job, job.id, job_id=job.id, job_timeout=3600, result_ttl=0, failure_ttl=86400
        )
    else:
        future = _pool.submit(_run_in_app, current_app._get_current_object(), job.id)
        _running.add(future)
        future.add_done_callback(_running.discard)
    return job


def wait_for_running_jobs(timeout: float | None = None) -> bool:
    """Wait until the in-process jobs started so far have ended; whether they all did.

    The test fixtures call it before they drop the tables a job may still be writing to.
    (At exit, Python itself waits for the pool's threads.)
    """
    _, not_done = wait(list(_running), timeout=timeout)
    return not not_done


def _run_in_app(app: Flask, job_id: str) -> None:
    with app.app_context():
        run_job(job_id)


def run_job(job_id: str) -> None:
    """Run one job: mark it running, call its kind, keep the result file, mark it done or failed.

    The job reads without locking SQLite and takes the write lock only for its own status,
    so a long batch never holds up anybody's saves.
    """
    with reading_first():
        job = db.session.get(Job, job_id)
        if job is None or job.status != "queued":
            return
        set_status(job_id, status="running")

        def progress(done: int, total: int) -> None:
            set_status(job_id, done=done, total=total)

        try:
            data, name, mimetype = KINDS[job.kind](job.user, json.loads(job.params), progress)
            path = result_path(job_id)
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_bytes(data)
            set_status(job_id, status="done", result_name=name, result_type=mimetype, finished_at=utcnow())
        except Exception as exc:  # a job's failure is reported on its page, not raised into the worker
            db.session.rollback()
            current_app.logger.exception("job %s failed", job_id)
            set_status(job_id, status="failed", error=f"{type(exc).__name__}: {exc}"[:2000], finished_at=utcnow())


def set_status(job_id: str, **values) -> None:
    with write_transaction():
        db.session.execute(update(Job).where(Job.id == job_id).values(**values))
        db.session.commit()


def queue_alive(app: Flask) -> bool | None:
    """None without a queue; else whether Redis answers."""
    connection = redis_connection(app)
    if connection is None:
        return None
    try:
        return bool(connection.ping())
    except Exception:
        return False
