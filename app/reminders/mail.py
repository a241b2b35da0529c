"""Mailing reminders: a background job of the project's queue (kind "reminder_mail").

Messages are built with the standard library's `email` and sent with `smtplib` (MAIL_SERVER,
MAIL_PORT, MAIL_USE_TLS for STARTTLS, MAIL_USERNAME/MAIL_PASSWORD when the server wants a log-in,
MAIL_DEFAULT_SENDER). Flask-Mail would wrap the same two modules and add nothing the job needs;
the retries and the record of deliveries are ours either way.

Each message is written in its reader's language (their saved language, else Chinese). A message
the server refuses or cannot take (down, timeout) is tried again after MAIL_RETRY_SECONDS, then
twice that, and so on, MAIL_ATTEMPTS times in all; every attempt is recorded (`MailDelivery`:
to whom, when, what the server said). The job's result is a short text report of the deliveries.
"""

from __future__ import annotations

import smtplib
import time
from email.message import EmailMessage
from email.utils import make_msgid

from flask import current_app
from flask_babel import force_locale, format_date
from flask_babel import gettext as _
from sqlalchemy import select

from ..database import write_transaction
from ..extensions import db
from ..models import MailDelivery, Reminder, User

LANGUAGES = ("zh", "en")


def message_for(user: User, reminder: Reminder) -> EmailMessage:
    """The reminder mail to `user`, in their language."""
    config = current_app.config
    with force_locale(user.locale if user.locale in LANGUAGES else config["BABEL_DEFAULT_LOCALE"]):
        cycle, org = reminder.cycle, reminder.organisation
        deadline = format_date(cycle.closes_on, "long")
        message = EmailMessage()
        message["Subject"] = _(
            "Reminder: the self-check of %(year)s is due on %(date)s", year=cycle.year, date=deadline
        )
        message.set_content(
            _(
                "Dear %(name)s,\n\nthe self-check of %(year)s of %(org)s has not been submitted yet. "
                "Please complete and submit it by %(date)s.\n\nThis reminder was sent by %(sender)s.",
                name=user.name,
                year=cycle.year,
                org=org.name,
                date=deadline,
                sender=reminder.sent_by.name if reminder.sent_by else "—",
            )
        )
    message["From"] = config["MAIL_DEFAULT_SENDER"]
    message["To"] = user.email
    message["Message-ID"] = make_msgid(domain=config["MAIL_DEFAULT_SENDER"].rpartition("@")[2] or None)
    return message


def deliver(message: EmailMessage) -> None:
    """Hand one message to the SMTP server; raises what smtplib raises."""
    config = current_app.config
    with smtplib.SMTP(config["MAIL_SERVER"], config["MAIL_PORT"], timeout=config["MAIL_TIMEOUT"]) as smtp:
        if config["MAIL_USE_TLS"]:
            smtp.starttls()
        if config.get("MAIL_USERNAME"):
            smtp.login(config["MAIL_USERNAME"], config.get("MAIL_PASSWORD") or "")
        smtp.send_message(message)


def record(reminder: Reminder, user: User, attempt: int, result: str) -> None:
    with write_transaction():
        db.session.add(
            MailDelivery(
                reminder_id=reminder.id, user_id=user.id, address=user.email, attempt=attempt, result=result[:500]
            )
        )
        db.session.commit()


def send_with_retries(reminder: Reminder, user: User, on_time) -> bool:
    """Mail `user` their reminder, retrying with back-off; whether it went. `on_time()` raises
    once the job has run past its timeout."""
    config = current_app.config
    message = message_for(user, reminder)
    for attempt in range(1, config["MAIL_ATTEMPTS"] + 1):
        try:
            deliver(message)
        except (OSError, smtplib.SMTPException) as exc:
            record(reminder, user, attempt, f"{type(exc).__name__}: {exc}")
            if attempt < config["MAIL_ATTEMPTS"]:
                time.sleep(config["MAIL_RETRY_SECONDS"] * 2 ** (attempt - 1))
                on_time()
        else:
            record(reminder, user, attempt, "sent")
            return True
    return False


def reminder_mail(owner, params, progress):
    """Mail each reminder of `params["reminders"]` (sent by `owner`) to its branch's users with an address."""
    reminders = db.session.scalars(
        select(Reminder).where(
            Reminder.id.in_([int(i) for i in params.get("reminders", [])]), Reminder.sent_by_id == owner.id
        )
    ).all()
    recipients = [
        (reminder, user)
        for reminder in reminders
        for user in db.session.scalars(
            select(User).where(
                User.organisation_id == reminder.organisation_id, User.email.is_not(None), User.email != ""
            )
        )
    ]
    lines, sent = [], 0
    for done, (reminder, user) in enumerate(recipients):
        progress(done, len(recipients))
        ok = send_with_retries(reminder, user, lambda: progress(done, len(recipients)))  # noqa: B023
        sent += ok
        lines.append(f"{reminder.organisation.code}\t{user.username}\t{user.email}\t{'sent' if ok else 'failed'}")
    report = f"{sent} of {len(recipients)} sent\n" + "\n".join(lines) + "\n"
    return report.encode("utf-8"), "reminders.txt", "text/plain; charset=utf-8"
