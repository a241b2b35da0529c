"""Cycles and questionnaire versions in the web pages (administrators); rules in `cycles` and
`questionnaires`."""

from __future__ import annotations

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required
from sqlalchemy import select

from ..extensions import db
from ..models import Cycle, QuestionnaireFile
from . import cycles, questionnaires
from .forms import CycleChangeForm, CycleForm, QuestionnaireUploadForm
from .routes import bp


def admins_only():
    if current_user.role != "admin":
        abort(403)


def cycles_page(form: CycleForm | None = None, status: int = 200):
    if form is None:
        form = CycleForm(formdata=None)
        form.version.choices = questionnaires.usable_versions()
        form.version.data = form.version.choices[-1]
    rows = db.session.scalars(select(Cycle).order_by(Cycle.year.desc())).all()
    return render_template("admin/cycles.html", cycles=rows, form=form), status


@bp.route("/cycles")
@login_required
def cycles_list():
    admins_only()
    return cycles_page()


@bp.route("/cycles", methods=["POST"])
@login_required
def open_cycle():
    admins_only()
    form = CycleForm()
    form.version.choices = questionnaires.usable_versions()
    if form.validate_on_submit():
        try:
            cycle = cycles.open_cycle(
                current_user, int(form.year.data), form.version.data, form.opens_on.data, form.closes_on.data
            )
        except cycles.CycleError as exc:
            form.year.errors.append(str(exc))
        else:
            flash(_("The cycle of %(year)s is open from %(start)s.", year=cycle.year, start=cycle.opens_on))
            return redirect(url_for(".cycles_list"))
    return cycles_page(form, 422)


def cycle_or_404(year: int) -> Cycle:
    cycle = db.session.scalar(select(Cycle).where(Cycle.year == year))
    if cycle is None:
        abort(404)
    return cycle


def cycle_page(cycle: Cycle, form: CycleChangeForm | None = None, status: int = 200):
    if form is None:
        form = CycleChangeForm(formdata=None, obj=None)
        form.version.data, form.opens_on.data, form.closes_on.data = (
            cycle.questionnaire_version,
            cycle.opens_on,
            cycle.closes_on,
        )
    form.version.choices = questionnaires.usable_versions()
    return render_template("admin/cycle.html", cycle=cycle, form=form, started=cycles.started(cycle)), status


@bp.route("/cycles/<int:year>")
@login_required
def cycle(year):
    admins_only()
    return cycle_page(cycle_or_404(year))


@bp.route("/cycles/<int:year>", methods=["POST"])
@login_required
def change_cycle(year):
    admins_only()
    cycle = cycle_or_404(year)
    form = CycleChangeForm()
    form.version.choices = questionnaires.usable_versions()
    if form.validate_on_submit():
        try:
            cycles.change_cycle(current_user, cycle, form.version.data, form.opens_on.data, form.closes_on.data)
        except cycles.CycleError as exc:
            form.closes_on.errors.append(str(exc))
        else:
            flash(_("Saved."))
            return redirect(url_for(".cycle", year=year))
    return cycle_page(cycle, form, 422)


@bp.route("/cycles/<int:year>/close", methods=["POST"])
@login_required
def close_cycle(year):
    """Without `confirm`: a confirmation page; with it: the cycle closes."""
    admins_only()
    cycle = cycle_or_404(year)
    if request.form.get("confirm") != "yes":
        return render_template("admin/close_cycle.html", cycle=cycle)
    try:
        cycles.close_cycle(current_user, cycle)
    except cycles.CycleError as exc:
        flash(str(exc), "error")
    else:
        flash(_("The cycle of %(year)s is closed.", year=year))
    return redirect(url_for(".cycle", year=year))


@bp.route("/questionnaires")
@login_required
def questionnaire_versions():
    admins_only()
    return versions_page()


def versions_page(errors: list[str] | None = None, status: int = 200):
    stored = {row.version: row for row in db.session.scalars(select(QuestionnaireFile))}
    used = set(db.session.scalars(select(Cycle.questionnaire_version)))
    return render_template(
        "admin/questionnaires.html",
        versions=questionnaires.usable_versions(),
        stored=stored,
        used=used,
        form=QuestionnaireUploadForm(formdata=None),
        errors=errors or [],
    ), status


@bp.route("/questionnaires/<version>")
@login_required
def questionnaire_version(version):
    admins_only()
    if version not in questionnaires.usable_versions():
        abort(404)
    return render_template("admin/questionnaire.html", q=questionnaires.read(version), preview=None)


@bp.route("/questionnaires", methods=["POST"])
@login_required
def upload_questionnaire():
    """A file: validated and shown as a preview; the preview's confirmation (`text`): stored."""
    admins_only()
    form = QuestionnaireUploadForm()
    if request.form.get("confirm") == "yes":
        filename, data = request.form.get("filename", ""), request.form.get("text", "").encode("utf-8")
    elif form.validate_on_submit():
        filename, data = form.file.data.filename or "", form.file.data.read(questionnaires.MAX_FILE + 1)
    else:
        return versions_page(form.file.errors, 422)
    try:
        if request.form.get("confirm") == "yes":
            q = questionnaires.store(current_user, filename, data)
            flash(_("Version %(version)s is stored; a cycle can now choose it.", version=q.version))
            return redirect(url_for(".questionnaire_version", version=q.version))
        q, text = questionnaires.check(filename, data)
    except questionnaires.UploadError as exc:
        return versions_page([str(exc)], 422)
    return render_template("admin/questionnaire.html", q=q, preview=text)
