"""Result pages and the overview of the branches under a leader, trainer or admin."""

from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from app.assessment.questionnaire import get_questionnaire
from app.assessment.scoring import change_since
from forms.auth import ReopenForm

from ..access import can_edit, can_read_actions, can_reopen, get_selfcheck_or_404
from ..comparison.peers import peer_position
from ..rectification import service as actions
from ..selfcheck import service
from . import overview as overview_list

bp = Blueprint("results", __name__)


@bp.route("/results/<int:selfcheck_id>")
@login_required
def result(selfcheck_id: int):
    selfcheck = get_selfcheck_or_404(current_user, selfcheck_id)
    result = service.result_of(selfcheck)
    previous_sc = service.previous_selfcheck(selfcheck)
    previous = service.result_of(previous_sc) if previous_sc else None
    return render_template(
        "results/result.html",
        selfcheck=selfcheck,
        result=result,
        previous=previous_sc,
        change=change_since(result, previous),
        can_edit=can_edit(current_user, selfcheck),
        reopen_form=ReopenForm() if can_reopen(current_user, selfcheck) and selfcheck.cycle.is_open() else None,
        peers=peer_position(selfcheck),
        rectification=actions.summary(selfcheck) if can_read_actions(current_user, selfcheck) else None,
    )


@bp.route("/results/<int:selfcheck_id>/reopen", methods=["POST"])
@login_required
def reopen(selfcheck_id: int):
    selfcheck = get_selfcheck_or_404(current_user, selfcheck_id)
    if not can_reopen(current_user, selfcheck):
        abort(403)
    form = ReopenForm()
    if form.validate():
        try:
            service.reopen(selfcheck, current_user._get_current_object(), form.reason.data.strip())
        except service.NotEditable:
            flash(_("The %(year)s cycle is closed: its self-checks can no longer be reopened.",
                    year=selfcheck.cycle.year), "error")  # fmt: skip
        else:
            flash(_("The self-check is a draft again; the branch can change and resubmit it."), "success")
    else:
        for error in form.reason.errors:
            flash(error, "error")
    return redirect(url_for(".result", selfcheck_id=selfcheck.id))


@bp.route("/overview")
@login_required
def overview():
    """The branches the user may see, with their state in the chosen cycle, a page at a time."""
    if current_user.role == "branch":
        abort(403)
    cycles, cycle = overview_list.cycle_for(request.args.get("year", type=int))
    try:
        filters = overview_list.filters_from(current_user, request.args)
    except LookupError:
        abort(404)
    page = overview_list.overview_page(current_user, cycle, filters) if cycle else None
    questionnaire = get_questionnaire(cycle.questionnaire_version) if cycle else None
    return render_template(
        "results/overview.html",
        cycles=cycles,
        cycle=cycle,
        filters=filters,
        page=page,
        organisations=overview_list.sub_organisations(current_user),
        levels={lv.id: lv for lv in questionnaire.levels} if questionnaire else {},
        questions=len(questionnaire.items) if questionnaire else 0,
    )
