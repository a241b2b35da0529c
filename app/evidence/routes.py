"""Evidence pages: the list of a self-check's files, upload, download and removal."""

from __future__ import annotations

from io import BytesIO

from flask import Blueprint, abort, flash, redirect, render_template, request, send_file, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required
from sqlalchemy import select

from ..access import can_attach, can_read_attachment, get_selfcheck_or_404
from ..answers import questionnaire_of
from ..extensions import db
from ..i18n import current_lang
from ..models import Evidence, RectificationAction
from . import service
from .forms import evidence_form, parse_target

bp = Blueprint("evidence", __name__)


def refusal_message(exc: Exception) -> str:
    """Why a file was refused, in the user's language (the API says the same)."""
    if isinstance(exc, service.TooLarge):
        if exc.per_file:
            return _("The file is too large: at most %(mb)s MB per file.", mb=f"{exc.limit_mb:g}")
        return _(
            "This self-check's evidence would exceed %(mb)s MB in all: remove a file first.", mb=f"{exc.limit_mb:g}"
        )
    if isinstance(exc, service.RefusedType):
        if exc.legacy:
            return _("Old Word and Excel files (.doc, .xls) are not accepted: save the file as .docx or .xlsx.")
        return _("This kind of file is not accepted: attach a PDF, a JPEG or PNG image, a .docx or .xlsx file.")
    if isinstance(exc, service.UnknownItem):
        return _("This question is not part of the questionnaire.")
    return _("This self-check can no longer be changed.")


def evidence_or_404(evidence_id: int) -> Evidence:
    """The evidence file if the user may read it; 404 otherwise."""
    evidence = db.session.get(Evidence, evidence_id)
    if evidence is None:
        abort(404)
    get_selfcheck_or_404(current_user, evidence.selfcheck_id)
    if not can_read_attachment(current_user, evidence.action_id):
        abort(404)
    return evidence


def upload_choices(selfcheck, questionnaire, actions) -> list[tuple[str, str]]:
    """What the user may attach a file to now: the questions of a draft, the actions while the cycle is open."""
    choices = []
    if can_attach(current_user, selfcheck, None):
        lang = current_lang()
        choices += [(i.id, f"{i.id} {i.text(lang)}") for p in questionnaire.pillars for i in p.items]
    if actions and can_attach(current_user, selfcheck, actions[0].id):
        choices += [(f"action:{a.id}", _("Rectification: %(problem)s", problem=a.problem)) for a in actions]
    return choices


def actions_of(selfcheck) -> list[RectificationAction]:
    """The self-check's rectification actions, if the user may read them."""
    if not can_read_attachment(current_user, action_id=0):
        return []
    return list(
        db.session.scalars(
            select(RectificationAction)
            .where(RectificationAction.selfcheck_id == selfcheck.id)
            .order_by(RectificationAction.id)
        )
    )


@bp.route("/selfcheck/<int:selfcheck_id>/evidence")
@login_required
def evidence_list(selfcheck_id: int):
    selfcheck = get_selfcheck_or_404(current_user, selfcheck_id)
    questionnaire = questionnaire_of(selfcheck)
    actions = actions_of(selfcheck)
    choices = upload_choices(selfcheck, questionnaire, actions)
    selected = request.args.get("item") or (f"action:{request.args['action']}" if "action" in request.args else None)
    return render_template(
        "evidence/list.html",
        selfcheck=selfcheck,
        questionnaire=questionnaire,
        actions=actions,
        evidence=service.listing(selfcheck, actions=bool(actions)),
        form=evidence_form(choices, selected) if choices else None,
        on_items=can_attach(current_user, selfcheck, None),
        on_actions=bool(actions) and can_attach(current_user, selfcheck, actions[0].id),
        max_file_mb=f"{service.max_file_bytes() / service.MB:g}",
    )


@bp.route("/selfcheck/<int:selfcheck_id>/evidence", methods=["POST"])
@login_required
def upload(selfcheck_id: int):
    selfcheck = get_selfcheck_or_404(current_user, selfcheck_id)
    choices = upload_choices(selfcheck, questionnaire_of(selfcheck), actions_of(selfcheck))
    if not choices:
        abort(403)
    form = evidence_form(choices)
    target = form.target.data
    back = url_for(".evidence_list", selfcheck_id=selfcheck.id, _anchor="upload")
    if not form.validate():
        for field in form:
            for error in field.errors:
                flash(error, "error")
        return redirect(back)
    item_id, action_id = parse_target(target)
    upload = form.file.data
    data = upload.read(service.max_file_bytes() + 1)
    try:
        added = service.add(
            selfcheck, item_id, upload.filename or "", data, current_user._get_current_object(), action_id=action_id
        )
    except (service.TooLarge, service.RefusedType, service.UnknownItem, service.NotEditable) as exc:
        flash(refusal_message(exc), "error")
        return redirect(back)
    flash(_("“%(name)s” is attached.", name=added.name), "success")
    return redirect(url_for(".evidence_list", selfcheck_id=selfcheck.id, _anchor=f"evidence-{item_id or action_id}"))


@bp.route("/evidence/<int:evidence_id>")
@login_required
def download(evidence_id: int):
    evidence = evidence_or_404(evidence_id)
    data, mimetype = service.content(evidence)
    return send_file(BytesIO(data), mimetype=mimetype, as_attachment=True, download_name=evidence.name)


@bp.route("/evidence/<int:evidence_id>/delete", methods=["POST"])
@login_required
def delete(evidence_id: int):
    evidence = evidence_or_404(evidence_id)
    selfcheck = evidence.selfcheck
    if not can_attach(current_user, selfcheck, evidence.action_id):
        abort(403)
    item, name = evidence.item_id or evidence.action_id, evidence.name
    try:
        service.remove(evidence, current_user._get_current_object())
    except service.NotEditable as exc:
        flash(refusal_message(exc), "error")
    else:
        flash(_("“%(name)s” is removed.", name=name), "success")
    return redirect(url_for(".evidence_list", selfcheck_id=selfcheck.id, _anchor=f"evidence-{item}"))
