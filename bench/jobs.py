"""The job queue on the database, and huey's SqliteHuey measured the same way.

`python -m bench jobs`, on a temporary SQLite database with the demo data and 100 more submitted
branches, jobs run by the web process's own threads (no Redis):

- start: 50 small exports (CSV of one general branch) started one after another, each waited
  for; the median and worst time from the request to the job running, and to its result;
- fairness: the same export alone, then while another leader's ten ZIPs of every report are
  queued; the time from its request to its result (the outside probe saw 0.3 s become 3–4 s);
- then huey 3.5.4's SqliteHuey with its consumer (two threads, its default polling): the median
  time from enqueueing a trivial task to its start, and whether a task survives `kill -9` of
  the consumer in its middle (huey removes a task from its queue when it starts it).

Targets: a queued job starts within 100 ms when its owner has nothing running; the export
behind ten ZIPs of someone else takes at most twice as long as alone. This is a benchmark, not
a test: it reports, it does not fail.
"""

from __future__ import annotations

import os
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from bench.server import ROOT

# the consumer, started with this environment, imports this module to find the same queue and its tasks
HUEY_DB = os.environ.setdefault("BENCH_HUEY_DB", str(Path(tempfile.gettempdir()) / f"bench-huey-{os.getpid()}.db"))
try:
    from huey import SqliteHuey

    HUEY = SqliteHuey(filename=HUEY_DB)

    @HUEY.task()
    def mark(path: str) -> None:
        Path(path).write_text(str(time.time()))

    @HUEY.task()
    def slow(path: str, seconds: float) -> None:
        time.sleep(seconds)
        Path(path).write_text("finished")

except ImportError:  # huey is a development dependency
    HUEY = None


def main() -> None:
    tmp = Path(tempfile.mkdtemp(prefix="bench-jobs-"))
    try:
        this_queue(tmp)
        if HUEY is not None:
            huey_queue(tmp)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
        for suffix in ("", "-wal", "-shm"):
            Path(HUEY_DB + suffix).unlink(missing_ok=True)


def this_queue(tmp: Path) -> None:
    from app import create_app
    from app.demo import seed
    from app.extensions import db
    from app.models import Job, SelfCheck
    from app.selfcheck import service
    from tests.test_backup import bulk_drafts

    app = create_app({"SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp / 'jobs.db'}", "SECRET_KEY": "bench",
                      "WTF_CSRF_ENABLED": False, "JOBS_DIR": str(tmp / "results"), "REDIS_URL": None})  # fmt: skip
    with app.app_context():
        db.create_all()
        seed()
    bulk_drafts(app, "CG", date_year(), 100)
    with app.app_context():
        drafts = db.select(SelfCheck).where(SelfCheck.status == "draft", SelfCheck.organisation_id >= 100_000)
        for selfcheck in db.session.scalars(drafts).all():
            service.submit(selfcheck, None)

    def client(username):
        c = app.test_client()
        c.post("/login", data={"username": username, "password": "demo1234"})
        return c

    def start(c, **form) -> str:
        return c.post("/jobs", data=form).location.rsplit("/", 1)[1]

    def finished(job_id: str) -> Job:
        while True:
            with app.app_context():
                job = db.session.get(Job, job_id)
                if job.status in ("done", "failed"):
                    return job
            time.sleep(0.005)

    small = {"kind": "export_csv", "org": "CG-SQ", "year": str(date_year())}
    leader_sq, leader = client("leader-sq"), client("leader")
    starts, totals = [], []
    for _ in range(50):
        began = time.monotonic()
        job = finished(start(leader_sq, **small))
        totals.append(time.monotonic() - began)
        starts.append((job.started_at - job.created_at).total_seconds())
    print(f"start: median {statistics.median(starts) * 1000:.0f} ms, worst {max(starts) * 1000:.0f} ms from the "
          f"request to running; result in median {statistics.median(totals) * 1000:.0f} ms")  # fmt: skip
    began = time.monotonic()
    finished(start(leader_sq, **small))
    alone = time.monotonic() - began
    zips = [start(leader, kind="reports_zip", year=str(date_year()), lang="bilingual") for _ in range(10)]
    began = time.monotonic()
    finished(start(leader_sq, **small))
    behind = time.monotonic() - began
    for job_id in zips:
        finished(job_id)
    print(f"fairness: a small export alone {alone * 1000:.0f} ms; with another leader's ten ZIPs queued "
          f"{behind * 1000:.0f} ms ({behind / alone:.1f}×; target ≤ 2×)")  # fmt: skip


def date_year() -> int:
    from datetime import date

    return date.today().year


def huey_queue(tmp: Path) -> None:
    env = dict(os.environ)

    def consumer() -> subprocess.Popen:
        return subprocess.Popen([sys.executable, "-m", "huey.bin.huey_consumer", "bench.jobs.HUEY", "-w", "2",
                                 "-k", "thread"], cwd=ROOT, env=env, stdout=subprocess.DEVNULL,
                                stderr=subprocess.DEVNULL, start_new_session=True)  # fmt: skip

    proc = consumer()
    time.sleep(1)
    latencies = []
    for n in range(50):
        marker = tmp / f"mark{n}"
        queued = time.time()
        mark(str(marker))
        while not marker.exists() or not marker.read_text():
            time.sleep(0.002)
        latencies.append(float(marker.read_text()) - queued)
    marker = tmp / "slow"
    slow(str(marker), 3)
    time.sleep(1)
    os.killpg(proc.pid, signal.SIGKILL)
    proc.wait()
    proc = consumer()
    time.sleep(8)
    survived = marker.exists()
    os.killpg(proc.pid, signal.SIGTERM)
    proc.wait()
    print(f"huey SqliteHuey: start median {statistics.median(latencies) * 1000:.0f} ms, worst "
          f"{max(latencies) * 1000:.0f} ms; a task killed in its middle was "
          f"{'run again' if survived else 'lost (no trace in its queue)'}")  # fmt: skip
