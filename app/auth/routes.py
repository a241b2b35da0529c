from __future__ import annotations

import math

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import ngettext
from flask_login import current_user, login_required
from sqlalchemy import select

from .. import audit, passwords, security
from ..core import home_url, safe_next
from ..extensions import db
from ..models import User
from .forms import LoginForm

bp = Blueprint("auth", __name__)


@bp.route("/login", methods=["GET", "POST"])
def login():
    if current_user.is_authenticated:
        return redirect(url_for("index"))
    form = LoginForm(next=request.args.get("next"))
    if not form.validate_on_submit():
        return render_template("auth/login.html", form=form)
    username, password = form.username.data.strip(), form.password.data
    attempt, wait = security.begin_attempt(username, request.remote_addr or "")
    if attempt is None:
        audit.record_now("login_refused", None, username)
        flash(wait_message(math.ceil(wait)), "error")
        return render_template("auth/login.html", form=form), 429, {"Retry-After": str(math.ceil(wait))}
    user = db.session.scalar(select(User).where(User.username == username))
    if user is None:
        passwords.spend_a_check(password)
    if user is None or not user.check_password(password):
        security.failed(attempt)
        flash(_("Unknown username or wrong password."), "error")
        return render_template("auth/login.html", form=form), 200
    if not user.is_active:  # told only to whoever knows the password
        security.failed(attempt)
        flash(_("This account is disabled. Ask your administrator or Party committee to enable it."), "error")
        return render_template("auth/login.html", form=form), 200
    if user.organisation.closed:
        flash(_("Your organisation has been closed; you can no longer log in."), "error")
        return render_template("auth/login.html", form=form), 403
    security.start_session(user, password)
    return redirect(safe_next(form.next.data, home_url(user)))  # straight there: one round trip less on a phone


def wait_message(seconds: int) -> str:
    if seconds < 120:
        return ngettext(
            "Too many failed attempts. Try again in %(num)d second.",
            "Too many failed attempts. Try again in %(num)d seconds.",
            seconds,
        )
    minutes = math.ceil(seconds / 60)
    return ngettext(
        "Too many failed attempts. Try again in %(num)d minute.",
        "Too many failed attempts. Try again in %(num)d minutes.",
        minutes,
    )


@bp.route("/logout", methods=["POST"])
@login_required
def logout():
    security.end_session(current_user._get_current_object())
    return redirect(url_for("auth.login"))
