"""Queueing and running jobs. The queue is the `job` table of the application's own database.

Without REDIS_URL the web processes run the jobs: up to JOB_THREADS threads per process claim
the oldest queued job whose owner has fewer than JOBS_PER_USER jobs running (so one leader's
ten ZIPs wait for each other, not another leader's small export), run it, and claim the next
until nothing is left. A claim is one locked transaction: BEGIN IMMEDIATE on SQLite, a
transaction-level advisory lock on PostgreSQL, so two processes never take the same job nor
pass the per-user limit together. Being rows, jobs outlive the process that accepted them:
the next process to enqueue a job, to answer a job's page or to serve its first request
takes the queue up again.

While a job runs, its process touches `heartbeat_at` every JOB_HEARTBEAT_SECONDS. When that
process dies (kill -9, the out-of-memory killer, gunicorn recycling a worker past its graceful
timeout), the beats stop; three missed beats later the job goes back to the queue, up to
JOB_ATTEMPTS attempts in all, then it fails as "interrupted". A job running longer than
JOB_TIMEOUT_MINUTES fails as "timeout": a job of many steps stops at its next step, and the late
result of a single step is thrown away. The job's page says which.

With REDIS_URL, jobs go to an RQ queue served by `flask --app wsgi worker` processes (each runs
its jobs one after another in a forked child that is replaced after --max-jobs jobs, so its
memory stays bounded); the heartbeat, the attempts and the timeout work the same way, but RQ's
workers take jobs in order: the per-user limit is the database queue's.

Measured against huey's SqliteHuey, the well-kept library with a persistent SQLite backend
(`python -m bench jobs`, huey 3.5.4, 2 cores, 2026-11-28): a queued job starts in a median 6 ms
here, 50 ms with huey's consumer; a small export behind another leader's ten ZIPs takes 1.6× its
time alone. But huey takes a task off its queue when it starts it, so a task whose process is
killed in its middle is lost without a trace (the bench kills one); it has no per-user limit
and no timeout of a running task, and keeps its queue in a second SQLite file even where the
application runs on PostgreSQL. Those are what is asked of the queue, so it is a table.
"""

from __future__ import annotations

import json
import os
import threading
import uuid
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path

from flask import Flask, current_app
from sqlalchemy import exists, func, select, text, update
from sqlalchemy.orm import aliased

from ..database import write_transaction
from ..extensions import db
from ..models import Job, User, utcnow

QUEUE_NAME = "selfcheck"
MISSED_BEATS = 3  # a running job silent for this many heartbeats has lost its process
CLAIM_LOCK = 0x5E1FC4EC  # PostgreSQL advisory lock serialising claims


class JobTimedOut(Exception):
    """Raised at a job's next step once it has run past JOB_TIMEOUT_MINUTES."""


def kinds_of(app: Flask | None = None) -> dict[str, Callable]:
    """The app's job kinds: name → function(user, params, progress) -> (bytes, filename, mimetype).
    `app/jobs/kinds.py` registers the application's own at start-up (`register_kind`)."""
    return (app or current_app).extensions.setdefault("job_kinds", {})


def register_kind(app: Flask, name: str, run: Callable) -> None:
    kinds_of(app)[name] = run


def result_path(job_id: str) -> Path:
    return jobs_dir() / job_id


def jobs_dir(app: Flask | None = None) -> Path:
    app = app or current_app
    return Path(app.config.get("JOBS_DIR") or Path(app.instance_path) / "jobs")


def redis_connection(app: Flask | None = None):
    url = (app or current_app).config.get("REDIS_URL")
    if not url:
        return None
    from redis import Redis

    return Redis.from_url(url)


def enqueue(kind_name: str, params: dict, user: User) -> Job:
    """Record a job and hand it to the queue."""
    if kind_name not in kinds_of():
        raise ValueError(f"unknown job kind {kind_name!r}")
    with write_transaction():
        job = Job(id=uuid.uuid4().hex, kind=kind_name, params=json.dumps(params), user_id=user.id, status="queued")
        db.session.add(job)
        db.session.commit()
    if redis_connection() is not None:
        _to_rq(job.id)
    else:
        wake()
    return job


def _to_rq(job_id: str) -> None:
    from rq import Queue

    timeout = current_app.config["JOB_TIMEOUT_MINUTES"] * 60 + 60
    Queue(QUEUE_NAME, connection=redis_connection()).enqueue(
        run_job, job_id, job_id=f"{job_id}-{uuid.uuid4().hex[:6]}", job_timeout=timeout, result_ttl=0, failure_ttl=86400
    )


# ---------------------------------------------------------------- the threads of a web process


class _Threads:
    """The job threads of one app in one process."""

    def __init__(self, app: Flask):
        self.app, self.pid = app, os.getpid()
        self.lock = threading.Lock()
        self.alive: set[threading.Thread] = set()

    def wake(self) -> None:
        """Start threads up to JOB_THREADS; each claims jobs until none is left, then ends."""
        with self.lock:
            self.alive = {t for t in self.alive if t.is_alive()}
            for _ in range(self.app.config["JOB_THREADS"] - len(self.alive)):
                thread = threading.Thread(target=self._work, name="job")
                self.alive.add(thread)
                thread.start()

    def _work(self) -> None:
        with self.app.app_context():
            try:
                while (job_id := claim()) is not None:
                    run_claimed(job_id)
            except Exception:  # the database went away (tests drop it; a restart): the next wake tries again
                self.app.logger.exception("job thread stopped")
            finally:
                db.session.remove()

    def join(self, timeout: float | None) -> bool:
        for thread in list(self.alive):
            thread.join(timeout)
        return not any(t.is_alive() for t in self.alive)


def _threads(app: Flask) -> _Threads:
    found = app.extensions.get("jobs")
    if found is None or found.pid != os.getpid():  # a forked process starts with no threads of its own
        found = app.extensions["jobs"] = _Threads(app)
    return found


def wake(app: Flask | None = None) -> None:
    """Let this process work the queue, if there is work (without REDIS_URL)."""
    app = app or current_app._get_current_object()
    if redis_connection(app) is None and (recover() or has_queued()):
        _threads(app).wake()


def wait_for_running_jobs(app: Flask, timeout: float | None = None) -> bool:
    """Wait until this process's job threads have ended; whether they all did (the test fixtures
    call it before they drop the tables a job may still be writing to)."""
    return _threads(app).join(timeout)


def has_queued() -> bool:
    return bool(db.session.scalar(select(exists().where(Job.status == "queued"))))


# ---------------------------------------------------------------- claiming, running, recovering


def claim(job_id: str | None = None) -> str | None:
    """Mark a queued job running (`job_id`, or the oldest one whose owner is under the limit); its id."""
    recover()
    now = utcnow()
    with write_transaction():
        if db.session.get_bind().dialect.name == "postgresql":
            db.session.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": CLAIM_LOCK})
        if job_id is None:
            owner = aliased(Job)
            running = (
                select(func.count()).where(owner.user_id == Job.user_id, owner.status == "running").scalar_subquery()
            )
            job_id = db.session.scalar(
                select(Job.id)
                .where(Job.status == "queued", running < current_app.config["JOBS_PER_USER"])
                .order_by(Job.created_at)
                .limit(1)
            )
        claimed = (
            job_id is not None
            and db.session.execute(
                update(Job)
                .where(Job.id == job_id, Job.status == "queued")
                .values(status="running", started_at=now, heartbeat_at=now, attempts=Job.attempts + 1)
            ).rowcount
        )
        db.session.commit()
    return job_id if claimed else None


def recover() -> bool:
    """Jobs whose process stopped go back to the queue (or fail as "interrupted" after their last
    attempt); jobs past their time fail as "timeout". Whether any job went back to the queue."""
    now = utcnow()
    config = current_app.config
    silent = Job.heartbeat_at < now - timedelta(seconds=MISSED_BEATS * config["JOB_HEARTBEAT_SECONDS"])
    overdue = Job.started_at < now - timedelta(minutes=config["JOB_TIMEOUT_MINUTES"])
    if not db.session.scalar(select(exists().where(Job.status == "running", silent | overdue))):
        return False
    with write_transaction():
        running = update(Job).where(Job.status == "running")
        db.session.execute(running.where(overdue).values(status="failed", error="timeout", finished_at=now))
        again = db.session.scalars(
            select(Job.id).where(Job.status == "running", silent, Job.attempts < config["JOB_ATTEMPTS"])
        ).all()
        db.session.execute(update(Job).where(Job.id.in_(again)).values(status="queued", heartbeat_at=None))
        db.session.execute(running.where(silent).values(status="failed", error="interrupted", finished_at=now))
        db.session.commit()
    if again and redis_connection() is not None:
        for job_id in again:
            _to_rq(job_id)
    return bool(again)


def run_job(job_id: str) -> None:
    """RQ's entry: run this job if it is still queued."""
    if claim(job_id) is not None:
        run_claimed(job_id)


def run_claimed(job_id: str) -> None:
    """Run a claimed job: call its kind, keep the result file, mark it done or failed.

    The job reads without locking SQLite and takes the write lock only for its own status, so a
    long batch never holds up anybody's saves. Every status write names the attempt, so a job
    that was given up on (and perhaps started again elsewhere) cannot be overwritten by it.
    """
    app = current_app._get_current_object()
    job = db.session.get(Job, job_id)
    attempt = job.attempts
    deadline = job.started_at + timedelta(minutes=app.config["JOB_TIMEOUT_MINUTES"])
    stop = threading.Event()
    beat = threading.Thread(target=_beat, args=(app, job_id, attempt, stop), name="job-heartbeat", daemon=True)
    beat.start()

    def progress(done: int, total: int) -> None:
        if utcnow() > deadline:
            raise JobTimedOut()
        set_status(job_id, attempt, done=done, total=total)

    try:
        data, name, mimetype = kinds_of(app)[job.kind](job.user, json.loads(job.params), progress)
        if utcnow() > deadline:
            raise JobTimedOut()
        path = result_path(job_id)
        path.parent.mkdir(parents=True, exist_ok=True)
        partial = path.with_suffix(".part")
        partial.write_bytes(data)
        partial.replace(path)
        set_status(job_id, attempt, status="done", result_name=name, result_type=mimetype, finished_at=utcnow())
    except JobTimedOut:
        db.session.rollback()
        set_status(job_id, attempt, status="failed", error="timeout", finished_at=utcnow())
    except Exception as exc:  # a job's failure is reported on its page, not raised into the worker
        db.session.rollback()
        app.logger.exception("job %s failed", job_id)
        set_status(job_id, attempt, status="failed", error=f"{type(exc).__name__}: {exc}"[:2000],
                   finished_at=utcnow())  # fmt: skip
    finally:
        stop.set()


def set_status(job_id: str, attempt: int, **values) -> None:
    """Write the running job's status, unless it is no longer this attempt's to write."""
    with write_transaction():
        db.session.execute(
            update(Job)
            .where(Job.id == job_id, Job.attempts == attempt, Job.status == "running")
            .values(heartbeat_at=utcnow(), **values)
        )
        db.session.commit()


def _beat(app: Flask, job_id: str, attempt: int, stop: threading.Event) -> None:
    """Say every JOB_HEARTBEAT_SECONDS that this job's process is alive, until the job ends."""
    with app.app_context():
        try:
            while not stop.wait(app.config["JOB_HEARTBEAT_SECONDS"]):
                set_status(job_id, attempt)
        finally:
            db.session.remove()


def queue_alive(app: Flask) -> bool | None:
    """None without Redis; else whether Redis answers."""
    connection = redis_connection(app)
    if connection is None:
        return None
    try:
        return bool(connection.ping())
    except Exception:
        return False
