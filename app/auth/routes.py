from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required
from sqlalchemy import select

from forms.auth import LoginForm

from .. import audit, security
from ..database import reads_then_writes
from ..extensions import db
from ..models import User
from ..views import safe_next

bp = Blueprint("auth", __name__)


@bp.route("/login", methods=["GET", "POST"])
@reads_then_writes  # checking a password is slow: the SQLite write lock is taken only to record the outcome
def login():
    if current_user.is_authenticated:
        return redirect(url_for("index"))
    form = LoginForm(next=request.args.get("next"))
    if not form.validate_on_submit():
        return render_template("auth/login.html", form=form)
    username, address = form.username.data.strip(), request.remote_addr or ""
    if security.throttled(username, address):
        audit.record_now("login_refused", None, username)
        flash(_("Too many failed attempts. Wait a quarter of an hour, then try again."), "error")
        return render_template("auth/login.html", form=form), 429
    user = db.session.scalar(select(User).where(User.username == username))
    if user is None or not user.check_password(form.password.data):
        security.record_failure(username, address)
        flash(_("Unknown username or wrong password."), "error")
        return render_template("auth/login.html", form=form), 200
    security.start_session(user)
    return redirect(safe_next(form.next.data, url_for("index")))


@bp.route("/logout", methods=["POST"])
@login_required
def logout():
    security.end_session(current_user._get_current_object())
    return redirect(url_for("auth.login"))
