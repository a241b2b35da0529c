"""Account pages: one's own password (/accounts/password), the users page of administrators and
leaders (/accounts/users) with its actions, the temporary passwords' one-time handout, and the
bulk import of organisations and users (/accounts/import: a dry run, then the import)."""

from __future__ import annotations

import csv
import io
import re
import secrets
from pathlib import Path

from flask import Blueprint, Response, abort, flash, redirect, render_template, request, session, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required
from sqlalchemy import func, or_, select

from forms.accounts import ChangePasswordForm, ConfirmForm, CreateUserForm, EditUserForm, ImportTreeForm

from ..access import can_manage_account, subtree_filter
from ..comparison.exports import inert
from ..comparison.xlsx import Workbook
from ..database import reads_then_writes
from ..extensions import db
from ..jobs.runner import jobs_dir
from ..models import ROLES, Organisation, User
from ..organisations import user_problems
from . import service, tree_import

bp = Blueprint("accounts", __name__, url_prefix="/accounts")
PAGE_SIZE = 100
# what a user who must change their temporary password may still reach
WHILE_PASSWORD_MUST_CHANGE = {"accounts.password", "accounts.change_password", "auth.logout", "set_language", "static"}
STATES = ("active", "disabled", "must_change")
UPLOAD_TOKEN = re.compile(r"[A-Za-z0-9_-]{43}")
XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


@bp.before_app_request
def require_own_password():
    """After logging in with a temporary password, the only page is the one that replaces it.

    Told by the session (`security.start_session` marks it), not the database: this runs before
    every request, and loading the user here would open every POST's transaction with the
    SQLite write lock, before a view marked `@reads_then_writes` could say otherwise.
    """
    if session.get("must_change") and request.endpoint not in WHILE_PASSWORD_MUST_CHANGE:
        return redirect(url_for("accounts.password"))
    return None


@bp.route("/password")
@login_required
def password():
    return render_template("accounts/password.html", form=ChangePasswordForm(current_user))


@bp.route("/password", methods=["POST"])
@reads_then_writes  # checking the current password is slow: the lock is taken only to write
@login_required
def change_password():
    form = ChangePasswordForm(current_user)
    if not form.validate():
        return render_template("accounts/password.html", form=form), 422
    if not current_user.check_password(form.current.data):
        form.current.errors.append(_("The current password is wrong."))
        return render_template("accounts/password.html", form=form), 422
    service.change_own_password(current_user, form.new.data, session.get("sid"))
    session.pop("must_change", None)
    flash(_("Your password has been changed. You were logged out everywhere else."), "success")
    return redirect(url_for("index"))


def may_list_users() -> None:
    if current_user.role not in ("admin", "leader"):
        abort(403)


def require_admin() -> None:
    if current_user.role != "admin":
        abort(403)


def visible_user_or_404(user_id: int) -> User:
    """A user the current administrator or leader may see (in their subtree); 404 otherwise."""
    may_list_users()
    user = db.session.get(User, user_id)
    if user is None or not (current_user.role == "admin" or current_user.organisation.contains(user.organisation)):
        abort(404)
    return user


def managed_user_or_403(user_id: int) -> User:
    user = visible_user_or_404(user_id)
    if not can_manage_account(current_user, user):
        abort(403)
    return user


@bp.route("/users")
@login_required
def users():
    may_list_users()
    filters = {key: request.args.get(key, "").strip() for key in ("q", "org", "role", "state")}
    page = request.args.get("page", 1, type=int)
    page = page if 0 < page <= 2**31 // PAGE_SIZE else 1
    query = select(User).join(User.organisation).where(subtree_filter(current_user))
    if filters["q"]:
        pattern = "%" + filters["q"].replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
        query = query.where(or_(User.username.ilike(pattern, escape="\\"), User.name.ilike(pattern, escape="\\")))
    if filters["org"]:
        root = db.session.scalar(select(Organisation).where(Organisation.code == filters["org"]))
        query = query.where(Organisation.in_subtree(root.path) if root else Organisation.id.is_(None))
    if filters["role"] in ROLES:
        query = query.where(User.role == filters["role"])
    if filters["state"] == "disabled":
        query = query.where(User.disabled_at.is_not(None))
    elif filters["state"] == "active":
        query = query.where(User.disabled_at.is_(None))
    elif filters["state"] == "must_change":
        query = query.where(User.must_change_password.is_(True))
    total = db.session.scalar(select(func.count()).select_from(query.subquery()))
    rows = db.session.scalars(
        query.order_by(Organisation.path, User.username).limit(PAGE_SIZE).offset((page - 1) * PAGE_SIZE)
    ).all()
    return render_template(
        "accounts/users.html",
        users=rows,
        total=total,
        page=page,
        more=page * PAGE_SIZE < total,
        filters=filters,
        role_labels=role_labels(),
        states=STATES,
        organisations=db.session.scalars(
            select(Organisation).where(subtree_filter(current_user)).order_by(Organisation.path)
        ).all(),
        can_manage=lambda user: can_manage_account(current_user, user),
    )


def organisation_choices() -> list[tuple[str, str]]:
    return [
        (org.code, f"{org.code} {org.name}")
        for org in db.session.scalars(select(Organisation).order_by(Organisation.path))
    ]


def role_labels() -> dict[str, str]:
    return {"branch": _("Branch"), "leader": _("Leader"), "trainer": _("Trainer"), "admin": _("Administrator")}


def user_form(form_class, user: User | None = None):
    """The form with its choices (every organisation: only administrators see it), filled from
    `user` on a GET."""
    form = form_class()
    form.role.choices = list(role_labels().items())
    form.organisation.choices = form.assigned.choices = organisation_choices()
    if user is not None and request.method == "GET":
        form.role.data, form.organisation.data = user.role, user.organisation.code
        form.assigned.data = [org.code for org in user.assigned]
    return form


def chosen_organisations(form) -> tuple[Organisation | None, list[Organisation]]:
    codes = [form.organisation.data, *form.assigned.data]
    found = {o.code: o for o in db.session.scalars(select(Organisation).where(Organisation.code.in_(codes)))}
    return found.get(form.organisation.data), [found[c] for c in form.assigned.data if c in found]


def user_page(user: User, form=None, status: int = 200):
    return render_template(
        "accounts/user.html",
        user=user,
        form=form if form is not None else (user_form(EditUserForm, user) if current_user.role == "admin" else None),
        confirm_form=ConfirmForm(),
        can_manage=can_manage_account(current_user, user),
    ), status


@bp.route("/users/<int:user_id>")
@login_required
def user(user_id: int):
    return user_page(visible_user_or_404(user_id))


@bp.route("/users/<int:user_id>", methods=["POST"])
@login_required
def update_user(user_id: int):
    """An administrator changes a user's role, organisation and trainer assignments."""
    require_admin()
    user = managed_user_or_403(user_id)
    form = user_form(EditUserForm, user)
    if not form.validate():
        return user_page(user, form, 422)
    organisation, assigned = chosen_organisations(form)
    problems = user_problems(user.username, user.name, form.role.data, organisation.kind)
    if problems:  # the organisation is one of the choices, so it exists
        form.role.errors = problems
        return user_page(user, form, 422)
    changes = service.update_user(user, current_user, role=form.role.data, organisation=organisation, assigned=assigned)
    flash(_("Saved.") if changes else _("Nothing changed."), "success")
    return redirect(url_for(".user", user_id=user.id))


@bp.route("/users/new")
@login_required
def new_user():
    require_admin()
    return render_template("accounts/new_user.html", form=user_form(CreateUserForm))


@bp.route("/users/new", methods=["POST"])
@login_required
def create_user():
    """An administrator makes an account; its temporary password is shown on this response only."""
    require_admin()
    form = user_form(CreateUserForm)
    if not form.validate():
        return render_template("accounts/new_user.html", form=form), 422
    username, name = form.username.data.strip(), form.name.data.strip()
    organisation, assigned = chosen_organisations(form)
    problems = user_problems(username, name, form.role.data, organisation.kind)
    if problems:
        form.username.errors = problems
        return render_template("accounts/new_user.html", form=form), 422
    if db.session.scalar(select(User.id).where(User.username == username)):
        form.username.errors = [_("This username is taken.")]
        return render_template("accounts/new_user.html", form=form), 422
    user, password = service.create_user(current_user, username, name, form.role.data, organisation, assigned)
    return temporary_passwords_page([(user, password)])


def temporary_passwords_page(issued: list[tuple[User, str]]):
    """Show temporary passwords once; several also go to a one-time download."""
    rows = [(u.username, u.name, u.organisation.name, password) for u, password in issued]
    handout = service.make_handout(current_user, rows) if len(rows) > 1 else None
    return render_template("accounts/temporary_passwords.html", rows=rows, handout=handout)


@bp.route("/users/<int:user_id>/reset", methods=["POST"])
@login_required
def reset(user_id: int):
    user = managed_user_or_403(user_id)
    if not confirmed("reset"):
        return render_template("accounts/confirm.html", user=user, action="reset", form=ConfirmForm())
    password = service.reset_password(user, current_user)
    return temporary_passwords_page([(user, password)])


@bp.route("/users/<int:user_id>/disable", methods=["POST"])
@login_required
def disable(user_id: int):
    user = managed_user_or_403(user_id)
    if not confirmed("disable"):
        return render_template("accounts/confirm.html", user=user, action="disable", form=ConfirmForm())
    service.disable(user, current_user)
    flash(_("%(name)s is disabled: logged out everywhere, API tokens revoked.", name=user.username), "success")
    return redirect(url_for(".user", user_id=user.id))


@bp.route("/users/<int:user_id>/enable", methods=["POST"])
@login_required
def enable(user_id: int):
    user = managed_user_or_403(user_id)
    if ConfirmForm().validate():
        service.enable(user, current_user)
        flash(_("%(name)s can log in again.", name=user.username), "success")
    return redirect(url_for(".user", user_id=user.id))


@bp.route("/users/<int:user_id>/unlock", methods=["POST"])
@login_required
def unlock(user_id: int):
    user = managed_user_or_403(user_id)
    if ConfirmForm().validate():
        service.unlock(user, current_user)
        flash(_("%(name)s can log in again at once: failed log-ins forgotten.", name=user.username), "success")
    return redirect(url_for(".user", user_id=user.id))


def confirmed(action: str) -> bool:
    """The second step of a confirmed action: the confirmation page posted `confirm=<action>`."""
    return ConfirmForm().validate() and request.form.get("confirm") == action


@bp.route("/handouts/<handout_id>.csv")
@login_required
def handout(handout_id: str):
    """The printable list of just-issued temporary passwords: downloadable once, by who issued them."""
    rows = service.take_handout(handout_id[:64], current_user)
    if rows is None:
        abort(404)
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow([_("Username"), _("Full name"), _("Organisation"), _("Temporary password")])
    writer.writerows([inert(v) for v in row] for row in rows)
    return Response(
        ("\ufeff" + out.getvalue()).encode("utf-8"),
        mimetype="text/csv",
        headers={"Content-Disposition": "attachment; filename=temporary-passwords.csv"},
    )


def uploads_dir() -> Path:
    """Where an uploaded import waits between its dry run and the import: beside the job results
    (JOBS_DIR, shared by every server process), in `imports/`; `flask prune` empties it."""
    folder = jobs_dir() / "imports"
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def upload_path(token: str) -> Path | None:
    """The current user's uploaded file of `token`, if it is still there."""
    if not UPLOAD_TOKEN.fullmatch(token):
        return None
    found = sorted(uploads_dir().glob(f"{current_user.id}-{token}.*"))
    return found[0] if found else None


@bp.route("/import")
@login_required
def import_tree():
    require_admin()
    return render_template("accounts/import.html", form=ImportTreeForm(), columns=tree_import.EXPLANATION)


@bp.route("/import/template.<any(csv, xlsx):extension>")
@login_required
def import_template(extension: str):
    """The file to fill in: the header, example rows and (XLSX) a sheet explaining the columns."""
    require_admin()
    if extension == "csv":
        out = io.StringIO()
        csv.writer(out, lineterminator="\r\n").writerows(tree_import.template_rows())
        body, mimetype = ("\ufeff" + out.getvalue()).encode("utf-8"), "text/csv"
    else:
        book = Workbook()
        book.add_sheet("import", tree_import.COLUMNS, tree_import.EXAMPLE)
        book.add_sheet("columns", ("column", "说明", "meaning"), tree_import.EXPLANATION)
        body, mimetype = book.close(), XLSX_TYPE
    return Response(
        body, mimetype=mimetype, headers={"Content-Disposition": f"attachment; filename=import-template.{extension}"}
    )


@bp.route("/import", methods=["POST"])
@login_required
def check_import():
    """The dry run: every bad row by line, or what the import would create and change."""
    require_admin()
    form = ImportTreeForm()
    if not form.validate():
        return render_template("accounts/import.html", form=form, columns=tree_import.EXPLANATION), 422
    upload = form.file.data
    data, extension = upload.read(), upload.filename.rsplit(".", 1)[-1].lower()
    try:
        plan = tree_import.plan(tree_import.read_rows(data, upload.filename))
    except tree_import.ImportFileError as exc:
        form.file.errors = [str(exc)]
        return render_template("accounts/import.html", form=form, columns=tree_import.EXPLANATION), 422
    token = None
    if plan.ok and plan.changes:
        token = secrets.token_urlsafe(32)
        (uploads_dir() / f"{current_user.id}-{token}.{extension}").write_bytes(data)
    return render_template(
        "accounts/import_plan.html", plan=plan, token=token, form=ConfirmForm(), filename=upload.filename
    ), (200 if plan.ok else 422)


@bp.route("/import/<token>", methods=["POST"])
@login_required
def run_import(token: str):
    """The import of a file whose dry run passed, checked again (the database may have changed)."""
    require_admin()
    path = upload_path(token)
    if path is None or not ConfirmForm().validate():
        abort(404)
    plan = tree_import.plan(tree_import.read_rows(path.read_bytes(), path.name))
    if not plan.ok:
        path.unlink(missing_ok=True)
        return render_template("accounts/import_plan.html", plan=plan, token=None, form=None, filename=""), 422
    issued = tree_import.apply(plan, current_user, "web import")
    path.unlink(missing_ok=True)
    flash(_("Imported: %(num)d changes.", num=plan.changes), "success")
    if not issued:
        return redirect(url_for(".users"))
    return temporary_passwords_page(issued)
