"""End-to-end fixtures: the app served by gunicorn on a loopback port over a fresh demo
database, and Debian's Chromium driven by Playwright.

Every test here is marked `e2e`. They run in `make test` like the others: a missing
Chromium is a failure with a message, never a skip, because the set-up installs it.
"""

from __future__ import annotations

import os
import subprocess
import sys
from contextlib import contextmanager
from pathlib import Path

import pytest

from bench.server import free_port, start_gunicorn, stop, wait_until_answering

from .helpers import AXE, ROOT

CHROMIUM = Path("/usr/bin/chromium")
LAUNCH_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
]
DESKTOP = {"width": 1280, "height": 800}


def pytest_collection_modifyitems(items):
    here = Path(__file__).parent
    for item in items:
        if here in item.path.parents:
            item.add_marker(pytest.mark.e2e)


def flask_command(env: dict, *args: str) -> None:
    done = subprocess.run(
        [sys.executable, "-m", "flask", "--app", "wsgi", *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    if done.returncode:
        pytest.fail(f"flask {' '.join(args)} failed ({done.returncode}):\n{done.stdout}\n{done.stderr}")


@contextmanager
def server_on(tmp: Path, fill, env_extra: dict | None = None):
    """gunicorn (2 workers) on a fresh SQLite file under `tmp`, after `fill(env)` has run its
    commands on it: yields its base URL and the environment that reaches its database (for
    `flask_command`)."""
    env = {
        **os.environ,
        "DATABASE_URL": f"sqlite:///{tmp / 'e2e.db'}",
        "SECRET_KEY": "e2e-secret-key-not-for-production",
        "JOBS_DIR": str(tmp / "jobs"),
        "PYTHONUNBUFFERED": "1",
        **(env_extra or {}),
    }
    env.pop("SESSION_COOKIE_SECURE", None)  # plain HTTP on the loopback
    env.pop("REDIS_URL", None)  # background jobs run in the web process
    flask_command(env, "init-db")
    fill(env)
    port = free_port()
    log = tmp / "gunicorn.log"
    server = start_gunicorn(["-w", "2", "-b", f"127.0.0.1:{port}", "wsgi:app"], env, log)
    base = f"http://127.0.0.1:{port}"
    try:
        wait_until_answering(f"{base}/login", server, log)
        yield base, env
    finally:
        stop(server)


@contextmanager
def demo_server(tmp: Path, prepare=None):
    """`server_on` the demo data; `prepare(db_path)`, if given, changes it before the server starts."""

    def fill(env):
        flask_command(env, "seed-demo")
        if prepare is not None:
            prepare(tmp / "e2e.db")

    with server_on(tmp, fill) as served:
        yield served


@pytest.fixture(scope="session")
def live_server(tmp_path_factory) -> str:
    """The base URL of gunicorn (2 workers) serving the demo data from a temporary SQLite file."""
    with demo_server(tmp_path_factory.mktemp("e2e")) as (base, _env):
        yield base


@pytest.fixture(scope="session")
def browser():
    if not CHROMIUM.exists():
        pytest.fail(
            f"{CHROMIUM} is missing: the end-to-end tests need Debian's chromium and chromium-driver "
            "(`make system` installs them)."
        )
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(CHROMIUM), headless=True, args=LAUNCH_ARGS)
        yield browser
        browser.close()


def new_context(browser, live_server: str, **options):
    """A fresh browser profile (no cookies, no localStorage), Chinese by default like most users."""
    options.setdefault("locale", "zh-CN")
    options.setdefault("viewport", DESKTOP)
    context = browser.new_context(base_url=live_server, accept_downloads=True, **options)
    context.set_default_timeout(15_000)
    return context


@pytest.fixture
def make_context(browser, live_server):
    """Browser contexts made on demand (e.g. `make_context(locale="en-US")`), closed after the test."""
    made = []

    def make(**options):
        made.append(new_context(browser, live_server, **options))
        return made[-1]

    yield make
    for ctx in made:
        ctx.close()


@pytest.fixture
def context(make_context):
    """A browser context that obeys the app's Content-Security-Policy."""
    return make_context()


@pytest.fixture
def page(context):
    return context.new_page()


@pytest.fixture(scope="session")
def axe_source() -> Path:
    if not AXE.exists():
        pytest.fail(f"{AXE.relative_to(ROOT)} is missing: run `npm ci --no-audit --no-fund` (`make test` does).")
    return AXE
