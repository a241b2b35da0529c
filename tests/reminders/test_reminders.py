"""Reminders: who is behind, sending to what the leader selects, the branch's home page and
dismissing, and the mail job through a real SMTP server process (aiosmtpd), retried with back-off."""

from __future__ import annotations

import time

import pytest

from app.database import write_transaction
from app.extensions import db
from app.models import AuditEvent, Job, MailDelivery, Organisation, Reminder, User
from tests.conftest import THIS_YEAR, login, submitted_selfcheck
from tests.smtp import SmtpServer


def client_of(app, username, lang=None):
    client = app.test_client()
    login(client, username)
    if lang:
        client.post(f"/language/{lang}", data={"next": "/"})
    return client


def reminders_of(app, code):
    with app.app_context():
        return db.session.scalars(db.select(Reminder).join(Organisation).where(Organisation.code == code)).all()


def org_id(app, code):
    with app.app_context():
        return db.session.scalar(db.select(Organisation.id).where(Organisation.code == code))


def test_a_leader_sees_the_branches_behind_all_ticked(app, world):
    submitted_selfcheck(app, "B2", THIS_YEAR)
    draft = client_of(app, "b3")
    draft.post("/selfcheck/start")
    page = client_of(app, "leader", "en").get("/reminders").text
    assert "B1 党组织" in page
    assert "B3 党组织" in page
    assert "B2 党组织" not in page  # submitted
    assert "X1 党组织" not in page  # another committee
    assert page.count(" checked") == 2
    assert "Draft" in page
    assert "Not started" in page
    gleader = client_of(app, "gleader").get("/reminders").text
    assert "B1 党组织" in gleader
    assert "B3 党组织" not in gleader


def test_sending_reminds_only_the_selected_branches_under_the_sender(app, world):
    leader = client_of(app, "leader")
    r = leader.post("/reminders", data={"branches": [str(org_id(app, "B1")), str(org_id(app, "X1"))]})
    assert r.status_code == 422  # X1 is not under the leader: the whole form is refused
    assert reminders_of(app, "B1") == []
    r = leader.post("/reminders", data={"branches": [str(org_id(app, "B1"))]})
    assert r.status_code == 302
    assert len(reminders_of(app, "B1")) == 1
    assert reminders_of(app, "B3") == []  # not selected
    with app.app_context():
        assert db.session.scalar(db.select(AuditEvent.action).order_by(AuditEvent.id.desc())) == "reminder"
        assert db.session.scalar(db.select(db.func.count()).select_from(Job)) == 0  # no mail configured


def test_the_reminder_shows_on_the_branch_home_until_dismissed_or_submitted(app, world):
    leader = client_of(app, "leader")
    b1, b2 = org_id(app, "B1"), org_id(app, "B2")
    leader.post("/reminders", data={"branches": [str(b1), str(b2)]})
    branch = client_of(app, "b1", "zh")
    home = branch.get("/selfcheck/").text
    assert "LEADER提醒您于" in home
    reminder = reminders_of(app, "B1")[0]
    assert client_of(app, "b2").post(f"/reminders/{reminder.id}/dismiss").status_code == 404  # not theirs
    assert branch.post(f"/reminders/{reminder.id}/dismiss").status_code == 302
    assert "提醒您于" not in branch.get("/selfcheck/").text
    submitted_selfcheck(app, "B2", THIS_YEAR)
    assert "提醒您于" not in client_of(app, "b2").get("/selfcheck/").text


def configure_mail(app, server: SmtpServer, retry_seconds: float = 0.05):
    app.config.update(
        MAIL_SERVER="127.0.0.1",
        MAIL_PORT=server.port,
        MAIL_DEFAULT_SENDER="selfcheck@example.org",
        MAIL_RETRY_SECONDS=retry_seconds,
        MAIL_TIMEOUT=5,
    )
    with app.app_context(), write_transaction():
        for username, locale in (("b1", "en"), ("b2", "zh")):
            user = db.session.scalar(db.select(User).where(User.username == username))
            user.email, user.locale = f"{username}@example.org", locale
        db.session.commit()


def wait_for_job(app, timeout=60) -> Job:
    deadline = time.monotonic() + timeout
    while True:
        with app.app_context():
            job = db.session.scalar(db.select(Job))
            if job is not None and job.status in ("done", "failed"):
                return job
        assert time.monotonic() < deadline, "the mail job did not finish"
        time.sleep(0.05)


def deliveries(app):
    with app.app_context():
        return [
            (d.address, d.attempt, d.result)
            for d in db.session.scalars(db.select(MailDelivery).order_by(MailDelivery.id))
        ]


@pytest.fixture
def smtp(tmp_path):
    server = SmtpServer(tmp_path)
    yield server
    server.stop()


def test_reminders_are_mailed_in_each_readers_language(app, world, smtp):
    smtp.start()
    configure_mail(app, smtp)
    leader = client_of(app, "leader")
    sent = leader.post("/reminders", data={"branches": [str(org_id(app, "B1")), str(org_id(app, "B2"))]})
    assert "/jobs/" in sent.location  # the mail job's page
    assert wait_for_job(app).status == "done"
    report = leader.get(sent.location + "/download")
    assert report.get_data(as_text=True).startswith("2 of 2 sent")
    report.close()
    messages = {m["To"]: m for m in smtp.wait_for(2)}
    english, chinese = messages["b1@example.org"], messages["b2@example.org"]
    assert english["Subject"].startswith(f"Reminder: the self-check of {THIS_YEAR} is due on")
    assert "B1 党组织" in english.get_content()
    assert "has not been submitted yet" in english.get_content()
    assert chinese["Subject"].startswith(f"提醒：{THIS_YEAR}年度自查请于")
    assert "B2 党组织的" in chinese.get_content()
    assert english["From"] == "selfcheck@example.org"
    assert sorted(deliveries(app)) == [("b1@example.org", 1, "sent"), ("b2@example.org", 1, "sent")]


def test_a_delivery_is_retried_until_the_server_answers(app, world, smtp):
    configure_mail(app, smtp, retry_seconds=1)  # the server is down: nothing listens on its port
    client_of(app, "leader").post("/reminders", data={"branches": [str(org_id(app, "B1"))]})
    deadline = time.monotonic() + 30
    while not deliveries(app):
        assert time.monotonic() < deadline, "no delivery attempt was recorded"
        time.sleep(0.02)
    smtp.start()
    assert wait_for_job(app).status == "done"
    attempts = deliveries(app)
    assert attempts[0][:2] == ("b1@example.org", 1)
    assert "ConnectionRefusedError" in attempts[0][2]
    assert attempts[-1][2] == "sent"
    assert len(attempts) >= 2
    assert [m["To"] for m in smtp.wait_for(1)] == ["b1@example.org"]
