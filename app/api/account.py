"""The web page where users make and revoke their personal API tokens: /account/tokens."""

from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from ..extensions import db
from ..models import ApiToken
from .auth import issue_token, revoke_token, user_tokens
from .forms import CreateTokenForm, RevokeTokenForm

bp = Blueprint("account", __name__, url_prefix="/account")


def tokens_page(form: CreateTokenForm, new_token: str | None = None, status: int = 200):
    response = render_template(
        "account/tokens.html",
        form=form,
        revoke_form=RevokeTokenForm(),
        tokens=user_tokens(current_user),
        new_token=new_token,
    )
    return response, status


@bp.route("/tokens")
@login_required
def tokens():
    return tokens_page(CreateTokenForm())


@bp.route("/tokens", methods=["POST"])
@login_required
def create_token():
    """Make a token and show it on this one response; only its hash is kept."""
    form = CreateTokenForm()
    if not form.validate():
        return tokens_page(form, status=422)
    _record, token = issue_token(current_user, form.name.data.strip(), form.days.data)
    flash(_("Token created. Copy it now: it will not be shown again."), "success")
    return tokens_page(CreateTokenForm(formdata=None), new_token=token)


@bp.route("/tokens/<int:token_id>/revoke", methods=["POST"])
@login_required
def revoke(token_id: int):
    record = db.session.get(ApiToken, token_id)
    if record is None or record.user_id != current_user.id:
        abort(404)
    if RevokeTokenForm().validate():
        revoke_token(record)
        flash(_("Token “%(name)s” revoked.", name=record.name), "success")
    return redirect(url_for(".tokens"))
