"""Batch reports through the job queue: 1,000 bilingual reports with 1 and with 2 workers.

Needs Redis on 127.0.0.1:6379 (a database of its own is emptied). Prints reports per second
and the peak memory of each worker (proportional set size of the worker and its working child).
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
REDIS_URL = os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/13")
REPORTS = int(os.environ.get("BENCH_QUEUE_REPORTS", "1000"))


def report_pdf(user, params, progress):
    """The bench's job kind: one self-check's bilingual diagnostic report (the application's
    jobs make reports in batches, `reports_zip`; one job per report measures the queue itself)."""
    from app.extensions import db
    from app.models import SelfCheck
    from app.reports import service as reports

    selfcheck = db.session.get(SelfCheck, int(params["selfcheck_id"]))
    data = reports.report_for(selfcheck, "bilingual")
    return data, reports.report_filename(selfcheck, "bilingual"), "application/pdf"


def bench_app():
    """The application with the bench's job kind: `flask --app "bench.queue:bench_app()" worker`."""
    from app import create_app
    from app.jobs.runner import register_kind

    app = create_app()
    register_kind(app, "report_pdf", report_pdf)
    return app


def pss_kb(pid: int) -> int:
    """Proportional set size: shared pages counted once between the worker and its child."""
    try:
        for line in Path(f"/proc/{pid}/smaps_rollup").read_text().splitlines():
            if line.startswith("Pss:"):
                return int(line.split()[1])
    except OSError:
        pass
    return 0


def children(pid: int) -> list[int]:
    try:
        return [int(p) for p in Path(f"/proc/{pid}/task/{pid}/children").read_text().split()]
    except OSError:
        return []


def run(workers: int, env: dict, app) -> tuple[float, list[int]]:
    from redis import Redis
    from sqlalchemy import func, select

    from app.database import write_transaction
    from app.extensions import db
    from app.jobs.runner import enqueue
    from app.models import Job, SelfCheck, User

    Redis.from_url(REDIS_URL).flushdb()
    with app.app_context():
        with write_transaction():
            db.session.execute(Job.__table__.delete())
            db.session.commit()
        admin = db.session.scalar(select(User).where(User.username == "admin"))
        ids = db.session.scalars(select(SelfCheck.id).where(SelfCheck.status == "submitted")).all()
        for n in range(REPORTS):
            enqueue("report_pdf", {"selfcheck_id": ids[n % len(ids)]}, admin)
    started = time.perf_counter()
    procs = [
        subprocess.Popen(
            [sys.executable, "-m", "flask", "--app", "bench.queue:bench_app()", "worker", "--burst"],
            cwd=ROOT,
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
        )
        for _ in range(workers)
    ]
    peaks = [0] * workers
    while any(p.poll() is None for p in procs):
        for i, p in enumerate(procs):
            if p.poll() is None:
                total = pss_kb(p.pid) + sum(pss_kb(c) for c in children(p.pid))
                peaks[i] = max(peaks[i], total)
        time.sleep(0.02)
    elapsed = time.perf_counter() - started
    for p in procs:
        if p.returncode:
            raise SystemExit(f"worker failed: {p.stderr.read().decode()[-2000:]}")
    with app.app_context():
        done = db.session.scalar(select(func.count()).select_from(Job).where(Job.status == "done"))
    if done != REPORTS:
        raise SystemExit(f"only {done} of {REPORTS} jobs done")
    return REPORTS / elapsed, peaks


def main() -> None:
    try:
        from redis import Redis

        Redis.from_url(REDIS_URL).ping()
    except Exception as exc:  # noqa: BLE001
        print(f"queue benchmark skipped: no Redis at {REDIS_URL} ({exc})")
        return
    with tempfile.TemporaryDirectory() as tmp:
        env = {
            **os.environ,
            "DATABASE_URL": f"sqlite:///{tmp}/queue.db",
            "SECRET_KEY": "bench",
            "REDIS_URL": REDIS_URL,
            "JOBS_DIR": f"{tmp}/jobs",
        }
        os.environ.update({k: env[k] for k in ("DATABASE_URL", "SECRET_KEY", "REDIS_URL", "JOBS_DIR")})
        for command in (["init-db"], ["seed-demo"]):
            subprocess.run(
                [sys.executable, "-m", "flask", "--app", "wsgi", *command],
                cwd=ROOT,
                env=env,
                check=True,
                capture_output=True,
            )
        app = bench_app()
        print(f"{REPORTS} bilingual reports through the queue (RQ on Redis, one job per report)")
        print(f"{'workers':>8} {'reports/s':>10} {'peak memory per worker (MB, PSS)':>26}")
        for workers in (1, 2):
            rate, peaks = run(workers, env, app)
            print(f"{workers:>8} {rate:>10.1f} {', '.join(f'{p / 1024:.0f}' for p in peaks):>26}")
        print("targets: >= 20 reports/s with 2 workers, <= 200 MB per worker")


if __name__ == "__main__":
    main()
