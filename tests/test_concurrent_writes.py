"""Reads while someone else writes (SQLite): a request that began by reading must never turn its
read transaction into a write late, because SQLite cannot upgrade a read snapshot that another
writer has moved past ("database is locked" at once, whatever the busy timeout).

Two ways in, as the outside probe found it: real autosaves running in another thread while
reports are downloaded through the API; and every read route of the access table, for a user
of each role, with a writer that commits right after each statement the request runs.
And `export-all`, which reads everything in one transaction: autosaves go on meanwhile.
"""

from __future__ import annotations

import json
import sqlite3
import threading
import time

import pytest
from flask import has_request_context, request
from sqlalchemy import event, select

from app.extensions import db
from app.models import ApiToken, AuditEvent, User
from tests.conftest import TEXT_ITEM, THIS_YEAR, login
from tests.helpers import make_token
from tests.test_backup import bulk_drafts
from tests.test_routes_access import API, PAGES, call, objects  # noqa: F401  (objects: a fixture)


def sqlite_file(app) -> str:
    url = app.config["SQLALCHEMY_DATABASE_URI"]
    if not url.startswith("sqlite:///"):
        pytest.skip("SQLite only: PostgreSQL reads never block a later write")
    return url.removeprefix("sqlite:///")


class Autosaver(threading.Thread):
    """b2 autosaves its draft as fast as it can, until stopped; counts the saves answered 200."""

    def __init__(self, app):
        super().__init__(daemon=True)
        self.client = app.test_client()
        login(self.client, "b2")
        self.url = self.client.post("/selfcheck/start").location.rsplit("/", 1)[0] + "/autosave"
        self.stop = threading.Event()
        self.saved = 0

    def run(self):
        seq = 0
        while not self.stop.is_set():
            seq += 1
            response = self.client.post(self.url, json={"answers": {TEXT_ITEM: f"第{seq}次", "L01": 1 + seq % 5}})
            self.saved += response.status_code == 200


def test_report_downloads_through_the_api_while_others_autosave(app, world):
    sqlite_file(app)
    token = make_token(app, "b1")
    client = app.test_client()
    headers = {"Authorization": f"Bearer {token}"}
    draft = client.post("/api/v1/selfchecks", json={"year": THIS_YEAR}, headers=headers).json["id"]
    client.patch(f"/api/v1/selfchecks/{draft}/answers", json={"answers": {"L01": 3}}, headers=headers)
    writer = Autosaver(app)
    writer.start()
    try:
        statuses = []
        for _ in range(8):
            response = client.get(f"/api/v1/selfchecks/{draft}/report.pdf?lang=zh", headers=headers)
            statuses.append(response.status_code)
            assert response.data.startswith(b"%PDF") or response.status_code != 200
    finally:
        writer.stop.set()
        writer.join(30)
    assert statuses == [200] * 8
    assert writer.saved > 8  # the writer really wrote in between
    with app.app_context():
        downloads = db.session.scalars(select(AuditEvent).where(AuditEvent.action == "report_download")).all()
        assert len(downloads) == 8


# a real change: SQLite skips an UPDATE that leaves every value as it was, and a skipped write moves nothing
INTERLOPER_WRITE = "INSERT INTO login_failure (username, address, at) VALUES ('interloper', '-', '2000-01-01')"


@pytest.fixture
def interloper(app):
    """While `armed`, another connection commits a write right after every statement a GET
    request runs, so every read snapshot is stale the moment it has been taken."""
    path = sqlite_file(app)
    other = sqlite3.connect(path, isolation_level=None, check_same_thread=False, timeout=0.05)
    armed = threading.Event()
    writes = []

    def after_execute(conn, cursor, statement, parameters, context, executemany):
        if armed.is_set() and has_request_context() and request.method == "GET":
            try:
                other.execute(INTERLOPER_WRITE)
            except sqlite3.OperationalError:  # the request holds the write lock itself: nothing to get between
                return
            writes.append(statement)

    with app.app_context():
        engine = db.engine
    event.listen(engine, "after_cursor_execute", after_execute)
    yield armed, writes
    event.remove(engine, "after_cursor_execute", after_execute)
    other.close()


READ_ROUTES = [entry for entry in PAGES + API if entry[1] == "GET"]
USERS = ("anon", "b1", "gleader", "trainer", "admin")  # each role, and nobody


def test_every_read_route_answers_as_usual_when_a_writer_gets_in_between(app, objects, interloper):  # noqa: F811
    ids, tokens = objects
    armed, writes = interloper
    armed.set()
    got, expected = {}, {}
    for _endpoint, _method, path, _body, statuses in READ_ROUTES:
        url = path.format(**ids)
        for user in USERS:
            if statuses[user] is None:
                continue
            key = f"{user} GET {url}"
            expected[key] = statuses[user]
            got[key] = call(app, user, "GET", url, None, tokens, api=path.startswith("/api/"))
    armed.clear()
    assert writes
    assert {k: v for k, v in got.items() if v != expected[k]} == {}
    with app.app_context():
        # the API's "last used" of each token was written, not lost to the stale snapshot
        unused = db.session.scalars(
            select(User.username).join(ApiToken).where(User.username.in_(USERS), ApiToken.last_used_at.is_(None))
        ).all()
        assert unused == []


class TimedAutosaver(Autosaver):
    """An Autosaver that keeps when each of its saves began and ended."""

    def __init__(self, app):
        super().__init__(app)
        self.spans = []

    def run(self):
        seq = 0
        while not self.stop.is_set():
            seq += 1
            began = time.monotonic()
            response = self.client.post(self.url, json={"answers": {TEXT_ITEM: f"第{seq}次"}})
            if response.status_code == 200:
                self.spans.append((began, time.monotonic()))


def test_export_all_lets_the_application_write_meanwhile(app, world, tmp_path):
    sqlite_file(app)
    bulk_drafts(app, "C1", THIS_YEAR - 1, 1500)  # 66,000 answers: an export of a second or so
    writer = TimedAutosaver(app)
    writer.start()
    try:
        time.sleep(0.2)
        began = time.monotonic()
        result = app.test_cli_runner().invoke(args=["export-all", str(tmp_path / "backup.json")])
        ended = time.monotonic()
    finally:
        writer.stop.set()
        writer.join(30)
    assert result.exit_code == 0, result.output
    waits = [end - start for start, end in writer.spans if start < ended and end > began]
    assert len(waits) >= 3, (ended - began, len(writer.spans))
    assert max(waits) < (ended - began) / 4  # no save waited for the export's read to finish
    backup = json.loads((tmp_path / "backup.json").read_text(encoding="utf-8"))
    assert len(backup["tables"]["answer"]["rows"]) >= 66_000
