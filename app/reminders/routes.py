"""The leader's reminders page, and a branch dismissing a reminder (shown on its home page)."""

from __future__ import annotations

from flask import Blueprint, abort, current_app, flash, redirect, render_template, url_for
from flask_babel import ngettext
from flask_login import current_user, login_required
from wtforms import SelectChoice

from ..extensions import db
from ..jobs.runner import enqueue
from ..models import Reminder
from . import service
from .forms import ReminderForm

bp = Blueprint("reminders", __name__, url_prefix="/reminders")


def senders_only():
    if current_user.role not in service.SENDERS:
        abort(403)


@bp.route("", methods=["GET", "POST"])
@login_required
def remind():
    """Before the deadline: the branches under the user that are behind, all ticked; send."""
    senders_only()
    cycle = service.open_cycle()
    rows = service.behind(current_user, cycle) if cycle else []
    form = ReminderForm()
    form.branches.choices = [SelectChoice(b.org.id, f"{b.org.code} {b.org.name}") for b in rows]
    if cycle is not None and form.validate_on_submit():
        sent = service.send(current_user, cycle, form.branches.data or [])
        flash(ngettext("Reminder sent to %(num)d branch.", "Reminder sent to %(num)d branches.", len(sent)))
        if sent and current_app.config.get("MAIL_SERVER"):  # the job's page says when the mail has gone, and to whom
            job = enqueue("reminder_mail", {"reminders": [r.id for r in sent]}, current_user)
            return redirect(url_for("jobs.show", job_id=job.id))
        return redirect(url_for(".remind"))
    if not form.is_submitted():
        form.branches.data = [b.org.id for b in rows]
    return render_template("reminders/remind.html", cycle=cycle, rows=rows, form=form), 200 if not form.errors else 422


@bp.route("/<int:reminder_id>/dismiss", methods=["POST"])
@login_required
def dismiss(reminder_id):
    reminder = db.session.get(Reminder, reminder_id)
    if reminder is None or current_user.role != "branch" or reminder.organisation_id != current_user.organisation_id:
        abort(404)
    service.dismiss(current_user, reminder)
    return redirect(url_for("selfcheck.home"))
