"""Background jobs: in-process without Redis; on the real Redis with a real worker process when it answers;
progress, download, access; and the health endpoint."""

import io
import json
import os
import socket
import subprocess
import sys
import time
import uuid
import zipfile
from datetime import timedelta
from pathlib import Path

import pytest
import requests
from sqlalchemy import func

from app.extensions import db
from app.models import Job, LoginFailure, LoginSession, SelfCheck, User, utcnow
from bench.server import free_port, start_gunicorn, wait_until_answering
from tests.conftest import PASSWORD, THIS_YEAR, login, submitted_selfcheck
from tests.test_durability import CSRF_META, kill_group

ROOT = Path(__file__).resolve().parent.parent
# a database of its own, emptied by the test (TEST_REDIS_URL lets two checkouts test at once)
REDIS_URL = os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379/14")


def redis_answers() -> bool:
    try:
        with socket.create_connection(("127.0.0.1", 6379), timeout=0.5):
            return True
    except OSError:
        return False


def wait_for(app, job_id, timeout=60):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with app.app_context():
            job = db.session.get(Job, job_id)
            if job.status in ("done", "failed"):
                return job
        time.sleep(0.1)
    raise AssertionError(f"job {job_id} did not finish in {timeout} s")


@pytest.fixture
def reports(app, world):
    return [submitted_selfcheck(app, code, THIS_YEAR, level) for code, level in (("B1", 2), ("B2", 4), ("X1", 3))]


def start_zip(client):
    response = client.post("/jobs", data={"kind": "reports_zip", "year": THIS_YEAR, "lang": "zh"})
    assert response.status_code == 302
    return response.location.rsplit("/", 1)[1]


def check_zip(client, job_id, expected):
    status = client.get(f"/jobs/{job_id}.json").json
    assert status["status"] == "done"
    assert status["percent"] == 100
    download = client.get(status["download"])
    assert download.status_code == 200
    data = download.data
    download.close()
    archive = zipfile.ZipFile(io.BytesIO(data))
    assert sorted(n.split("_")[0] for n in archive.namelist()) == expected
    for name in archive.namelist():  # code, name, year, what and which language, in the page's language
        code = name.split("_")[0]
        assert name == f"{code}_{code}-党组织_{THIS_YEAR}_诊断报告_中文.pdf"
    assert all(archive.read(n).startswith(b"%PDF") for n in archive.namelist())


def test_a_zip_of_reports_runs_in_process_without_redis(app, client, reports):
    assert not app.config.get("REDIS_URL")
    login(client, "gleader")
    job_id = start_zip(client)
    page = client.get(f"/jobs/{job_id}").get_data(as_text=True)
    assert f"/jobs/{job_id}.json" in page
    job = wait_for(app, job_id)
    assert (job.status, job.done, job.total) == ("done", 2, 2)
    check_zip(client, job_id, ["B1", "B2"])  # X1 lies outside G1


def test_jobs_belong_to_their_owner(app, client, reports):
    login(client, "leader")
    job_id = start_zip(client)
    wait_for(app, job_id)
    client.post("/logout")
    login(client, "gleader")
    for url in (f"/jobs/{job_id}", f"/jobs/{job_id}.json", f"/jobs/{job_id}/download"):
        assert client.get(url).status_code == 404
    client.post("/logout")
    login(client, "b1")
    assert client.post("/jobs", data={"kind": "reports_zip", "year": THIS_YEAR}).status_code == 403


def test_a_failing_job_says_so(app, client, reports):
    login(client, "leader")
    response = client.post("/jobs", data={"kind": "reports_zip", "year": 1999})
    job_id = response.location.rsplit("/", 1)[1]
    assert wait_for(app, job_id).status == "failed"
    assert client.get(f"/jobs/{job_id}.json").json["download"] is None
    assert client.get(f"/jobs/{job_id}/download").status_code == 404


@pytest.mark.skipif(not redis_answers(), reason="no Redis on 127.0.0.1:6379")
def test_the_queue_path_with_a_real_worker(app, client, reports):
    from redis import Redis

    Redis.from_url(REDIS_URL).flushdb()
    app.config["REDIS_URL"] = REDIS_URL
    login(client, "leader")
    job_id = start_zip(client)
    with app.app_context():
        assert db.session.get(Job, job_id).status == "queued"  # waiting for a worker
    env = {
        **os.environ,
        "DATABASE_URL": app.config["SQLALCHEMY_DATABASE_URI"],
        "REDIS_URL": REDIS_URL,
        "SECRET_KEY": "test-secret",
        "JOBS_DIR": app.config["JOBS_DIR"],
    }
    worker = subprocess.run(
        [sys.executable, "-m", "flask", "--app", "wsgi", "worker", "--burst"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert worker.returncode == 0, worker.stderr
    job = wait_for(app, job_id, timeout=10)
    assert job.status == "done", job.error
    check_zip(client, job_id, ["B1", "B2"])  # the leader of C1: X1 belongs to C2
    health = client.get("/health")
    assert health.json == {"status": "ok", "database": "ok", "queue": "ok"}


def test_health(app, client):
    assert client.get("/health").json == {"status": "ok", "database": "ok"}
    app.config["REDIS_URL"] = "redis://127.0.0.1:1/0"  # nothing listens there
    response = client.get("/health")
    assert response.status_code == 503
    assert response.json["queue"] == "unavailable"


def test_health_says_when_the_database_does_not_answer(tmp_path):
    from app import create_app

    app = create_app(
        {"TESTING": True, "SECRET_KEY": "x", "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path}/no/such.db"}
    )
    response = app.test_client().get("/health")  # the first request: the job queue is looked at too
    assert (response.status_code, response.json) == (503, {"status": "unavailable", "database": "unavailable"})


def test_the_worker_needs_a_queue(runner):
    result = runner.invoke(args=["worker", "--burst"])
    assert result.exit_code != 0
    assert "REDIS_URL" in result.output


# ---------------------------------------------------------------- the queue on the database


def job_row(app, job_id) -> Job:
    with app.app_context():
        job = db.session.get(Job, job_id)
        db.session.expunge(job)
        return job


def many_reports(app, count: int) -> None:
    """`count` more submitted self-checks of this year under C1 (a ZIP that takes a few seconds)."""
    from app.selfcheck import service
    from tests.test_backup import bulk_drafts

    bulk_drafts(app, "C1", THIS_YEAR, count)
    with app.app_context():
        for selfcheck in db.session.scalars(db.select(SelfCheck).where(SelfCheck.status == "draft")).all():
            service.submit(selfcheck, None)


def browser_login(base: str, username: str) -> requests.Session:
    session = requests.Session()
    session.trust_env = False
    token = CSRF_META.search(session.get(base + "/login", timeout=10).text).group(1)
    home = session.post(base + "/login", data={"username": username, "password": PASSWORD, "csrf_token": token})
    assert home.status_code == 200, home.status_code
    session.csrf = CSRF_META.search(home.text).group(1)
    return session


def test_a_job_outlives_the_web_process_that_was_running_it(app, world, tmp_path):
    """kill -9 gunicorn in the middle of a ZIP of reports: once a new server runs, the job is taken
    up again (its heartbeat stopped), finished, and its page said that it started again."""
    if not app.config["SQLALCHEMY_DATABASE_URI"].startswith("sqlite"):
        pytest.skip("one real server process on a SQLite file is enough")
    many_reports(app, 40)
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    env = {**os.environ, "DATABASE_URL": app.config["SQLALCHEMY_DATABASE_URI"], "SECRET_KEY": "test-secret",
           "JOBS_DIR": app.config["JOBS_DIR"], "JOB_HEARTBEAT_SECONDS": "0.3"}  # fmt: skip
    env.pop("REDIS_URL", None)
    args = ["--workers", "1", "--bind", f"127.0.0.1:{port}", "--worker-tmp-dir", str(tmp_path), "wsgi:app"]
    server = start_gunicorn(args, env, tmp_path / "first.log")
    try:
        wait_until_answering(base + "/health", server, tmp_path / "first.log")
        leader = browser_login(base, "leader")
        started = leader.post(base + "/jobs", data={"kind": "reports_zip", "year": THIS_YEAR, "lang": "zh",
                                                    "csrf_token": leader.csrf})  # fmt: skip
        job_id = started.url.rsplit("/", 1)[1]
        deadline = time.monotonic() + 60
        while (status := leader.get(f"{base}/jobs/{job_id}.json").json())["done"] < 3:
            assert status["status"] in ("queued", "running"), status
            assert time.monotonic() < deadline
            time.sleep(0.05)
        kill_group(server)
        assert (job_row(app, job_id).status, job_row(app, job_id).attempts) == ("running", 1)  # as it was left
        messages = set()
        server = start_gunicorn(args, env, tmp_path / "second.log")
        wait_until_answering(base + "/health", server, tmp_path / "second.log")
        deadline = time.monotonic() + 90
        while (status := leader.get(f"{base}/jobs/{job_id}.json").json())["status"] != "done":
            assert status["status"] in ("queued", "running"), status
            messages.add(status["message"])
            assert time.monotonic() < deadline
            time.sleep(0.05)
        assert job_row(app, job_id).attempts == 2
        assert any("started again" in m or "重新开始" in m for m in messages), messages
        archive = zipfile.ZipFile(io.BytesIO(leader.get(base + status["download"]).content))
        assert len(archive.namelist()) == 40
    finally:
        kill_group(server)


def put_job(app, user: str, status: str, *, age: timedelta = timedelta(0), **values) -> str:
    """A job row as a process left it, created `age` ago."""
    with app.app_context():
        owner = db.session.scalar(db.select(User).where(User.username == user))
        job = Job(id=uuid.uuid4().hex, kind="reports_zip", params=json.dumps({"year": str(THIS_YEAR)}),
                  user_id=owner.id, status=status, created_at=utcnow() - age, **values)  # fmt: skip
        db.session.add(job)
        db.session.commit()
        return job.id


def test_a_job_whose_process_stopped_twice_fails_and_says_why(app, client, world):
    long_ago = utcnow() - timedelta(minutes=5)
    job_id = put_job(app, "leader", "running", attempts=2, started_at=long_ago, heartbeat_at=long_ago)
    login(client, "leader")
    status = client.get(f"/jobs/{job_id}.json", headers={"Accept-Language": "en"}).json
    assert status["status"] == "failed"
    assert "interrupted by server restarts" in status["message"]
    assert "interrupted by server restarts" in client.get(f"/jobs/{job_id}", headers={"Accept-Language": "en"}).text
    assert job_row(app, job_id).error == "interrupted"


def test_a_job_past_its_time_is_stopped_and_says_why(app, client, reports):
    app.config["JOB_TIMEOUT_MINUTES"] = 0  # every job is past its time at its first step
    login(client, "leader")
    job_id = start_zip(client)
    job = wait_for(app, job_id)
    assert (job.status, job.error, job.done) == ("failed", "timeout", 0)
    page = client.get(f"/jobs/{job_id}", headers={"Accept-Language": "en"}).text
    assert "took longer than 0 minutes and was stopped" in page
    assert client.get(f"/jobs/{job_id}/download").status_code == 404


def test_one_users_jobs_wait_for_each_other_not_for_another_users(app, world):
    from app.jobs.runner import claim

    first = put_job(app, "leader", "running", age=timedelta(minutes=3), attempts=1, started_at=utcnow(),
                    heartbeat_at=utcnow())  # fmt: skip
    waiting = [put_job(app, "leader", "queued", age=timedelta(minutes=2 - n / 10)) for n in range(9)]
    other = put_job(app, "gleader", "queued", age=timedelta(minutes=1))
    with app.app_context():
        assert claim() == other  # the leader has one running: their nine wait, the other leader's goes first
        assert claim() is None
    with app.app_context():
        db.session.execute(db.update(Job).where(Job.id == first).values(status="done"))
        db.session.commit()
        assert claim() == waiting[0]


def test_prune_deletes_old_jobs_and_files_ended_sessions_and_old_failures(app, client, runner, world):
    login(client, "b1")
    client.post("/logout")  # an ended session
    login(client, "b2")  # a live one
    with app.app_context():
        db.session.add_all([LoginFailure(username="x", address="1", at=utcnow() - timedelta(days=8)),
                            LoginFailure(username="x", address="1")])  # fmt: skip
        db.session.commit()
    old = put_job(app, "leader", "done", finished_at=utcnow() - timedelta(days=8))
    recent = put_job(app, "leader", "done", finished_at=utcnow() - timedelta(days=1))
    folder = Path(app.config["JOBS_DIR"])
    folder.mkdir(parents=True, exist_ok=True)
    for name in (old, recent, "orphan", "fresh-orphan"):
        (folder / name).write_bytes(b"PK")
    two_days_ago = time.time() - 2 * 86400
    os.utime(folder / "orphan", (two_days_ago, two_days_ago))
    result = runner.invoke(args=["prune"])
    assert result.exit_code == 0, result.output
    assert result.output == (
        "Deleted 1 jobs, 2 job files, 1 sessions, 1 login failures, 0 password handouts, 0 uploaded imports.\n"
    )
    assert sorted(p.name for p in folder.iterdir()) == sorted([recent, "fresh-orphan"])
    with app.app_context():
        assert db.session.scalars(db.select(Job.id)).all() == [recent]
        assert db.session.scalar(db.select(func.count()).select_from(LoginSession)) == 1
        assert db.session.scalar(db.select(func.count()).select_from(LoginFailure)) == 1
    assert client.get("/selfcheck/").status_code == 200  # b2 is still logged in
