"""Pages of the rectification list. Each view: load → check access → validate → call the service → respond."""

from __future__ import annotations

from io import BytesIO

from flask import Blueprint, abort, flash, redirect, render_template, request, send_file, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from app.assessment import rectification as rules
from app.assessment.text import MODES

from .. import audit
from ..access import can_edit_actions, can_read_actions, get_selfcheck_or_404
from ..answers import result_of
from ..i18n import current_lang
from ..models import SelfCheck
from . import exports, service
from .forms import AccountForm, ActionForm, CloseForm, DeleteForm, NoteForm

bp = Blueprint("rectification", __name__, url_prefix="/selfcheck/<int:selfcheck_id>")


def readable(selfcheck_id: int) -> SelfCheck:
    """The self-check whose list the user may read: 404 if they may not know it, 403 for a trainer."""
    selfcheck = get_selfcheck_or_404(current_user, selfcheck_id)
    if not can_read_actions(current_user, selfcheck):
        abort(403)
    return selfcheck


def editable(selfcheck_id: int) -> SelfCheck:
    selfcheck = readable(selfcheck_id)
    if not can_edit_actions(current_user, selfcheck):
        abort(403)
    return selfcheck


def action_or_404(selfcheck: SelfCheck, action_id: int):
    action = service.get_action(selfcheck, action_id)
    if action is None:
        abort(404)
    return action


def closed_cycle(selfcheck: SelfCheck):
    flash(_("The %(year)s cycle is closed: its rectification list can no longer be changed.",
            year=selfcheck.cycle.year), "error")  # fmt: skip
    return redirect(url_for(".actions", selfcheck_id=selfcheck.id))


def to_list(selfcheck: SelfCheck, message: str):
    flash(message, "success")
    return redirect(url_for(".actions", selfcheck_id=selfcheck.id))


@bp.route("/actions")
@login_required
def actions(selfcheck_id: int):
    selfcheck = readable(selfcheck_id)
    return render_list(selfcheck)


def render_list(selfcheck: SelfCheck, account_forms: dict | None = None, status: int = 200):
    result = result_of(selfcheck)
    can_edit = can_edit_actions(current_user, selfcheck)
    actions = service.actions_of(selfcheck)
    taken = {(a.origin, a.origin_ref) for a in actions}
    offers = rules.candidates(result) if can_edit and service.plannable(selfcheck, result) else ()
    pending = service.to_account_for(selfcheck) if can_edit else []
    forms = account_forms or {}
    return (
        render_template(
            "rectification/list.html",
            selfcheck=selfcheck,
            result=result,
            actions=actions,
            can_edit=can_edit,
            plannable=can_edit and service.plannable(selfcheck, result),
            offers=[(c, (c.origin, c.ref) in taken) for c in offers],
            pending=[(old, forms.get(old.id) or AccountForm(prefix=f"a{old.id}")) for old in pending],
            tally=service.last_year_tally(selfcheck),
            today=service.today(),
        ),
        status,
    )


@bp.route("/actions/new", methods=["GET", "POST"])
@login_required
def new(selfcheck_id: int):
    selfcheck = editable(selfcheck_id)
    result = result_of(selfcheck)
    if not service.plannable(selfcheck, result):
        flash(_("Answer every question first: actions are planned from the result."), "error")
        return redirect(url_for(".actions", selfcheck_id=selfcheck.id))
    key = request.values.get("from", "")
    candidate = rules.find_candidate(result, key) if key else None
    if key and candidate is None:
        flash(_("The answers have changed: this suggestion no longer applies."), "error")
        return redirect(url_for(".actions", selfcheck_id=selfcheck.id))
    form = ActionForm()
    if request.method == "GET":
        prefill(form, result, candidate)
    elif form.validate():
        try:
            service.create_action(selfcheck, current_user._get_current_object(), plan_of(form), candidate)
        except service.NotEditable:
            return closed_cycle(selfcheck)
        return to_list(selfcheck, _("The action is on the rectification list."))
    return (
        render_template("rectification/new.html", selfcheck=selfcheck, form=form, key=key, candidate=candidate),
        422 if request.method == "POST" else 200,
    )


def prefill(form: ActionForm, result, candidate: rules.Candidate | None) -> None:
    """An action's form filled in from what triggered it; everything stays editable."""
    lang = current_lang()
    timeframe = candidate.timeframe if candidate else None
    form.deadline.data = rules.suggested_deadline(timeframe, service.today())
    if candidate is None:
        return
    form.problem.data = candidate.problem(lang)
    form.measure.data = candidate.measure(lang)
    if candidate.lead:
        form.owner_role.data = result.questionnaire.leads[candidate.lead](lang)


def plan_of(form: ActionForm) -> service.Plan:
    return service.Plan(
        problem=form.problem.data,
        measure=form.measure.data,
        owner_name=form.owner_name.data,
        owner_role=form.owner_role.data or "",
        deadline=form.deadline.data,
    )


@bp.route("/actions/<int:action_id>", methods=["GET", "POST"])
@login_required
def action(selfcheck_id: int, action_id: int):
    """One action: what it says, its notes; the branch changes it here while the cycle is open."""
    if request.method == "POST":
        selfcheck = editable(selfcheck_id)
        action = action_or_404(selfcheck, action_id)
        form = ActionForm()
        if form.validate():
            try:
                status = form.status.data or None  # empty: a done action stays done
                service.update_action(action, current_user._get_current_object(), plan_of(form), status)
            except service.NotEditable:
                return closed_cycle(selfcheck)
            return to_list(selfcheck, _("The action is saved."))
        return render_action(selfcheck, action, edit=form, status=422)
    selfcheck = readable(selfcheck_id)
    return render_action(selfcheck, action_or_404(selfcheck, action_id))


def render_action(selfcheck, action, *, edit=None, note=None, close=None, status=200):
    can_edit = can_edit_actions(current_user, selfcheck)
    if can_edit and edit is None:
        edit = ActionForm(obj=action, formdata=None)
        if action.status != rules.DONE:
            edit.status.data = action.status
    return (
        render_template(
            "rectification/action.html",
            selfcheck=selfcheck,
            action=action,
            today=service.today(),
            can_edit=can_edit,
            edit=edit,
            note=note or (NoteForm(formdata=None, noted_on=service.today()) if can_edit else None),
            close=close or (CloseForm(formdata=None) if can_edit else None),
            delete=DeleteForm(formdata=None) if can_edit else None,
        ),
        status,
    )


@bp.route("/actions/<int:action_id>/notes", methods=["POST"])
@login_required
def add_note(selfcheck_id: int, action_id: int):
    selfcheck = editable(selfcheck_id)
    action = action_or_404(selfcheck, action_id)
    form = NoteForm()
    if not form.validate():
        return render_action(selfcheck, action, note=form, status=422)
    try:
        service.add_note(action, current_user._get_current_object(), form.noted_on.data, form.text.data)
    except service.NotEditable:
        return closed_cycle(selfcheck)
    flash(_("The progress note is added."), "success")
    return redirect(url_for(".action", selfcheck_id=selfcheck.id, action_id=action.id))


@bp.route("/actions/<int:action_id>/close", methods=["POST"])
@login_required
def close(selfcheck_id: int, action_id: int):
    selfcheck = editable(selfcheck_id)
    action = action_or_404(selfcheck, action_id)
    form = CloseForm()
    if not form.validate():
        return render_action(selfcheck, action, close=form, status=422)
    try:
        service.close_action(action, current_user._get_current_object(), form.account.data)
    except service.NotEditable:
        return closed_cycle(selfcheck)
    return to_list(selfcheck, _("The action is closed as done."))


@bp.route("/actions/<int:action_id>/delete", methods=["POST"])
@login_required
def delete(selfcheck_id: int, action_id: int):
    selfcheck = editable(selfcheck_id)
    action = action_or_404(selfcheck, action_id)
    form = DeleteForm()
    if not form.validate():
        flash(_("Tick the box to confirm the removal."), "error")
        return redirect(url_for(".action", selfcheck_id=selfcheck.id, action_id=action.id))
    try:
        service.delete_action(action, current_user._get_current_object())
    except service.NotEditable:
        return closed_cycle(selfcheck)
    return to_list(selfcheck, _("The action is removed from the list."))


@bp.route("/actions/last-year/<int:old_id>", methods=["POST"])
@login_required
def account(selfcheck_id: int, old_id: int):
    """What became of one of last year's unfinished actions."""
    selfcheck = editable(selfcheck_id)
    old = next((a for a in service.to_account_for(selfcheck) if a.id == old_id), None)
    if old is None:
        flash(_("This action of last year has been accounted for already."), "error")
        return redirect(url_for(".actions", selfcheck_id=selfcheck.id))
    form = AccountForm(prefix=f"a{old.id}")
    if not form.validate():
        return render_list(selfcheck, {old.id: form}, status=422)
    done = form.done.data == "yes"
    try:
        service.account_for(
            old,
            selfcheck,
            current_user._get_current_object(),
            done=done,
            account=form.account.data or "",
            deadline=None if done else form.deadline.data,
        )
    except service.NotEditable:
        return closed_cycle(selfcheck)
    except service.AlreadyAccounted:
        flash(_("This action of last year has been accounted for already."), "error")
        return redirect(url_for(".actions", selfcheck_id=selfcheck.id))
    return to_list(selfcheck, _("Last year's action is accounted for."))


@bp.route("/actions.xlsx")
@login_required
def export_xlsx(selfcheck_id: int):
    selfcheck = readable(selfcheck_id)
    name = exports.filename(selfcheck, "xlsx")
    return download(exports.xlsx_bytes(selfcheck), name, exports.XLSX_TYPE)


@bp.route("/actions.pdf")
@login_required
def export_pdf(selfcheck_id: int):
    selfcheck = readable(selfcheck_id)
    lang = request.args.get("lang", "bilingual")
    if lang not in MODES:
        abort(404)
    pdf = exports.pdf_bytes(selfcheck, lang, current_user._get_current_object())
    return download(pdf, exports.filename(selfcheck, "pdf", lang), "application/pdf")


def download(data: bytes, name: str, mimetype: str):
    audit.record_now("export", current_user, name)
    return send_file(BytesIO(data), mimetype=mimetype, as_attachment=True, download_name=name)  # no-store: security.py
