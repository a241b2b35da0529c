"""Background jobs: in-process without Redis; on the real Redis with a real worker process when it answers;
progress, download, access; and the health endpoint."""

import io
import os
import socket
import subprocess
import sys
import time
import zipfile
from pathlib import Path

import pytest

from app.extensions import db
from app.models import Job
from tests.conftest import THIS_YEAR, login, submitted_selfcheck

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


def test_the_worker_needs_a_queue(runner):
    result = runner.invoke(args=["worker", "--burst"])
    assert result.exit_code != 0
    assert "REDIS_URL" in result.output
