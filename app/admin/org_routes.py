"""The organisation tree as a page: create, rename, move, close, reopen (rules in `tree`)."""

from __future__ import annotations

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required
from sqlalchemy import func, select
from wtforms import SelectChoice

from ..access import subtree_filter
from ..extensions import db
from ..models import Organisation, User
from . import tree
from .forms import KIND_CHOICES, MoveForm, OrganisationForm, RenameForm
from .routes import bp


def managers_only():
    if current_user.role not in ("admin", "leader"):
        abort(403)


def org_or_404(org_id: int) -> Organisation:
    """An organisation the current user may change; 404 otherwise, so ids cannot be probed."""
    managers_only()
    org = db.session.get(Organisation, org_id)
    if org is None or not tree.can_manage(current_user, org):
        abort(404)
    return org


def parent_choices(exclude: Organisation | None = None) -> list[tuple[str, str]]:
    return [
        SelectChoice(o.code, f"{o.code} {o.name}")
        for o in tree.parents_for(current_user)
        if exclude is None or not exclude.contains(o)
    ]


def new_org_form() -> OrganisationForm:
    form = OrganisationForm()
    root = [SelectChoice("", _("— none: a new committee —"))] if current_user.role == "admin" else []
    form.parent.choices = root + parent_choices()
    form.kind.choices = [c for c in KIND_CHOICES if c.value != "committee" or current_user.role == "admin"]
    return form


def tree_page(form: OrganisationForm, status: int = 200):
    """The tree the user may read, each organisation's number of users, and the form to create one."""
    orgs = db.session.scalars(select(Organisation).where(subtree_filter(current_user)).order_by(Organisation.path))
    users = dict(db.session.execute(select(User.organisation_id, func.count()).group_by(User.organisation_id)).all())
    page = render_template(
        "admin/organisations.html", orgs=list(orgs), users=users, form=form, can_manage=tree.can_manage
    )
    return page, status


@bp.route("/organisations")
@login_required
def organisations():
    managers_only()
    return tree_page(new_org_form())


@bp.route("/organisations", methods=["POST"])
@login_required
def create_org():
    managers_only()
    form = new_org_form()
    if form.validate_on_submit():
        parent = db.session.scalar(select(Organisation).where(Organisation.code == form.parent.data))
        try:
            org = tree.create(current_user, form.code.data, form.kind.data, form.name.data, parent)
        except tree.TreeError as exc:
            form.code.errors.append(str(exc))
        else:
            flash(_("%(code)s created.", code=org.code))
            return redirect(url_for(".organisations"))
    return tree_page(form, 422)


def org_page(org: Organisation, status: int = 200, **forms):
    forms.setdefault("rename", RenameForm(name=org.name, formdata=None))
    if "move" not in forms:
        forms["move"] = MoveForm(formdata=None)
        forms["move"].parent.choices = parent_choices(exclude=org)
    closing = tree.subtree_open(org) if not org.closed else []
    users = db.session.scalars(select(User).where(User.organisation_id == org.id).order_by(User.username)).all()
    return render_template("admin/organisation.html", org=org, closing=closing, users=users, **forms), status


@bp.route("/organisations/<int:org_id>")
@login_required
def organisation(org_id):
    return org_page(org_or_404(org_id))


@bp.route("/organisations/<int:org_id>/rename", methods=["POST"])
@login_required
def rename_org(org_id):
    org = org_or_404(org_id)
    form = RenameForm()
    if form.validate_on_submit():
        try:
            tree.rename(current_user, org, form.name.data)
        except tree.TreeError as exc:
            form.name.errors.append(str(exc))
        else:
            flash(_("Renamed."))
            return redirect(url_for(".organisation", org_id=org.id))
    return org_page(org, 422, rename=form)


@bp.route("/organisations/<int:org_id>/move", methods=["POST"])
@login_required
def move_org(org_id):
    """First post: the confirmation page listing whose access changes; confirmed: the move."""
    org = org_or_404(org_id)
    form = MoveForm()
    form.parent.choices = parent_choices(exclude=org)
    if not form.validate_on_submit():
        return org_page(org, 422, move=form)
    parent = db.session.scalar(select(Organisation).where(Organisation.code == form.parent.data))
    try:
        if form.confirm.data != "yes":
            plan = tree.plan_move(current_user, org, parent)
            return render_template("admin/move.html", plan=plan, form=form)
        tree.move(current_user, org, parent)
    except tree.TreeError as exc:
        form.parent.errors.append(str(exc))
        return org_page(org, 422, move=form)
    flash(_("%(code)s moved under %(parent)s.", code=org.code, parent=parent.code))
    return redirect(url_for(".organisation", org_id=org.id))


@bp.route("/organisations/<int:org_id>/close", methods=["POST"])
@login_required
def close_org(org_id):
    """Without `confirm`: the confirmation page (what closes with it); with it: the closing."""
    org = org_or_404(org_id)
    if org.closed:
        flash(_("%(code)s is closed already.", code=org.code), "error")
        return redirect(url_for(".organisation", org_id=org.id))
    if request.form.get("confirm") != "yes":
        return render_template("admin/close.html", org=org, closing=tree.subtree_open(org))
    count = tree.close(current_user, org)
    flash(_("%(code)s closed (%(count)d organisations).", code=org.code, count=count))
    return redirect(url_for(".organisation", org_id=org.id))


@bp.route("/organisations/<int:org_id>/reopen", methods=["POST"])
@login_required
def reopen_org(org_id):
    org = org_or_404(org_id)
    if current_user.role != "admin":
        abort(403)
    try:
        tree.reopen(current_user, org)
    except tree.TreeError as exc:
        flash(str(exc), "error")
        return redirect(url_for(".organisation", org_id=org.id))
    flash(_("%(code)s is open again.", code=org.code))
    return redirect(url_for(".organisation", org_id=org.id))
