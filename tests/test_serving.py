"""`make run`: gunicorn with gunicorn.conf.py on HOST:PORT, a real process answering, and only the
Debian packages serving needs (the tests' Chromium, wrk, poppler and Pango stay with `make test`)."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
TEST_ONLY = ("chromium", "wrk", "poppler-utils", "libpango")


def make_dry_run(*args: str) -> str:
    return subprocess.run(["make", "-n", *args], cwd=ROOT, capture_output=True, text=True, check=True).stdout


def test_make_run_installs_only_what_serving_needs():
    serving = make_dry_run("run")
    assert "fonts-wqy-microhei" in serving
    assert [package for package in TEST_ONLY if package in serving] == []
    assert "GUNICORN_BIND=127.0.0.1:5000 .venv/bin/gunicorn -c gunicorn.conf.py wsgi:app" in serving
    assert "GUNICORN_BIND=0.0.0.0:8080 " in make_dry_run("run", "HOST=0.0.0.0", "PORT=8080")
    testing = make_dry_run("test")
    assert [package for package in TEST_ONLY if package in testing] == list(TEST_ONLY)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def port_open(port: int) -> bool:
    with socket.socket() as s:
        return s.connect_ex(("127.0.0.1", port)) == 0


def group_alive(pgid: int) -> bool:
    try:
        os.killpg(pgid, 0)
    except ProcessLookupError:
        return False
    return True


class NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None


@pytest.mark.skipif(not (ROOT / ".venv/bin/gunicorn").exists(), reason="needs the project's .venv (make install)")
def test_make_run_serves_with_gunicorn_on_the_port_asked(tmp_path):
    port = free_port()
    env = os.environ | {
        "DATABASE_URL": f"sqlite:///{tmp_path / 'serve.db'}",
        "SECRET_KEY": "serving-test",
        "JOBS_DIR": str(tmp_path / "jobs"),
        "GUNICORN_WORKERS": "1",
    }
    log = (tmp_path / "make-run.log").open("w")
    server = subprocess.Popen(
        ["make", "run", f"PORT={port}"], cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True
    )
    opener = urllib.request.build_opener(NoRedirect)
    try:
        deadline = time.monotonic() + 180  # migrations and the demo data first
        while True:
            assert server.poll() is None, (tmp_path / "make-run.log").read_text()
            try:
                opener.open(f"http://127.0.0.1:{port}/", timeout=5)
            except urllib.error.HTTPError as redirect:  # the redirect to the log-in page
                response = redirect
                response.close()
                break
            except (urllib.error.URLError, ConnectionError):
                assert time.monotonic() < deadline, (tmp_path / "make-run.log").read_text()
                time.sleep(0.5)
        assert response.code == 302
        assert response.headers["Location"].startswith("/login")
        assert response.headers["Server"].startswith("gunicorn")
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/login", timeout=5) as page:
            assert "登录" in page.read().decode()
    finally:
        os.killpg(server.pid, signal.SIGTERM)  # make and gunicorn, which stops its workers
        server.wait(timeout=60)
        log.close()
        stopping = time.monotonic() + 30
        while time.monotonic() < stopping and group_alive(server.pid):
            time.sleep(0.2)
    assert not port_open(port)
    assert "Do not use it in a production deployment" not in (tmp_path / "make-run.log").read_text()
