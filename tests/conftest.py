"""Fixtures: an app on a fresh real database (SQLite file; PostgreSQL too when
TEST_DATABASE_URL is set), its client and CLI runner, a small organisation tree with a
user of every role, and helpers to log in and to answer a whole questionnaire."""

from __future__ import annotations

import os
import time
from dataclasses import dataclass
from datetime import date
from functools import cache

import pytest
from hypothesis import settings

from app import create_app
from app.assessment.questionnaire import available_versions, get_questionnaire
from app.database import write_transaction
from app.extensions import db
from app.jobs.runner import wait_for_running_jobs
from app.models import Cycle, Organisation, User
from app.passwords import hash_password

# In CI, hypothesis draws the same examples every run: a red build always has a reproducible cause.
settings.register_profile("ci", derandomize=True)
if os.environ.get("CI"):
    settings.load_profile("ci")

PASSWORD = "secret-pass-1"
BACKENDS = ["sqlite"] + (["postgresql"] if os.environ.get("TEST_DATABASE_URL") else [])
VERSION = available_versions()[-1]
# the first free-text (unscored) item of the newest version: where tests type arbitrary text
TEXT_ITEM = next(i.id for i in get_questionnaire(VERSION).items.values() if not i.scored)
THIS_YEAR = date.today().year


@cache
def password_hash() -> str:
    return hash_password(PASSWORD)  # once per run: hashing is slow on purpose


@pytest.fixture(params=BACKENDS)
def app(request, tmp_path):
    url = f"sqlite:///{tmp_path / 'test.db'}" if request.param == "sqlite" else os.environ["TEST_DATABASE_URL"]
    app = create_app(
        {
            "TESTING": True,
            "SQLALCHEMY_DATABASE_URI": url,
            "SECRET_KEY": "test-secret",
            "WTF_CSRF_ENABLED": False,
            "JOBS_DIR": str(tmp_path / "jobs"),
        }
    )
    with app.app_context():
        db.drop_all()
        db.create_all()
    yield app
    assert wait_for_running_jobs(app, timeout=120), "an in-process job outlived its test by two minutes"
    with app.app_context():
        db.session.remove()
        db.drop_all()
        db.engine.dispose()


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def runner(app):
    return app.test_cli_runner()


@dataclass
class World:
    """Ids of a small tree: committee C1 → general branch G1 → branches B1, B2; C1 → B3;
    another committee C2 → branch X1. Users: b1, b2, x1 (branch), leader (C1),
    gleader (G1), xleader (C2), trainer (assigned G1), admin. Cycles: last year
    (closed) and this year (open)."""

    orgs: dict[str, int]
    users: dict[str, int]
    cycles: dict[int, int]


def make_org(code, kind, parent=None, name=None):
    org = Organisation(
        code=code,
        kind=kind,
        name=name or f"{code} 党组织",
        parent=parent,
        path=(parent.path if parent else "/") + code + "/",
    )
    db.session.add(org)
    return org


def make_user(username, role, org, assigned=()):
    user = User(
        username=username,
        name=username.upper(),
        role=role,
        organisation=org,
        password_hash=password_hash(),
        assigned=list(assigned),
    )
    db.session.add(user)
    return user


@pytest.fixture
def world(app) -> World:
    with app.app_context(), write_transaction():
        c1 = make_org("C1", "committee")
        g1 = make_org("G1", "general_branch", c1)
        b1, b2 = make_org("B1", "branch", g1), make_org("B2", "branch", g1)
        b3 = make_org("B3", "branch", c1)
        c2 = make_org("C2", "committee")
        x1 = make_org("X1", "branch", c2)
        users = [
            make_user("b1", "branch", b1),
            make_user("b2", "branch", b2),
            make_user("b3", "branch", b3),
            make_user("x1", "branch", x1),
            make_user("leader", "leader", c1),
            make_user("gleader", "leader", g1),
            make_user("xleader", "leader", c2),
            make_user("trainer", "trainer", c1, assigned=[g1]),
            make_user("admin", "admin", c1),
        ]
        cycles = [
            Cycle(
                year=THIS_YEAR - 1,
                questionnaire_version=VERSION,
                opens_on=date(THIS_YEAR - 1, 1, 1),
                closes_on=date(THIS_YEAR - 1, 12, 31),
            ),
            Cycle(
                year=THIS_YEAR,
                questionnaire_version=VERSION,
                opens_on=date(THIS_YEAR, 1, 1),
                closes_on=date(THIS_YEAR, 12, 31),
            ),
        ]
        db.session.add_all(cycles)
        db.session.commit()
        return World(
            orgs={o.code: o.id for o in (c1, g1, b1, b2, b3, c2, x1)},
            users={u.username: u.id for u in users},
            cycles={c.year: c.id for c in cycles},
        )


def login(client, username: str, password: str = PASSWORD):
    response = client.post("/login", data={"username": username, "password": password})
    assert response.status_code == 302, f"login as {username} failed"
    return response


def run_job(client, kind: str, **params):
    """Start a background job as the logged-in user and wait for it: its status, and the
    download's response when it is done (buffered and closed, so the file behind it is free)."""
    response = client.post("/jobs", data={"kind": kind, **params})
    assert response.status_code == 302, response.status_code
    status_url = response.location + ".json"
    deadline = time.monotonic() + 60
    while (status := client.get(status_url).json)["status"] not in ("done", "failed"):
        assert time.monotonic() < deadline, f"the {kind} job did not finish"
        time.sleep(0.05)
    if status["status"] != "done":
        return status, None
    download = client.get(status["download"])
    download.get_data()
    download.close()
    return status, download


def answers_at(level: int, version: str = VERSION) -> dict:
    """Raw answers for every item, each at `level` 1–5 of its range (5 = best), as its entry posts it."""
    return {item.id: item.form_value(item.sample(level)) for item in get_questionnaire(version).items.values()}


def submitted_selfcheck(app, org_code: str, year: int, level: int = 3) -> int:
    """Create, fill in and submit a self-check directly through the service; its id."""
    from app.selfcheck import service

    with app.app_context():
        org = db.session.scalar(db.select(Organisation).where(Organisation.code == org_code))
        cycle = db.session.scalar(db.select(Cycle).where(Cycle.year == year))
        selfcheck = service.start_selfcheck(org, cycle)
        service.save_answers(selfcheck, answers_at(level, cycle.questionnaire_version), None, enforce_window=False)
        service.submit(selfcheck, None, enforce_window=False)
        return selfcheck.id
