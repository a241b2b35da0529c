"""Result pages and the overview of the branches under a leader, trainer or admin."""

from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from app.assessment.questionnaire import get_questionnaire
from app.assessment.scoring import change_since
from app.models import RETURNED

from ..access import can_edit, can_read_actions, can_review, get_selfcheck_or_404
from ..evidence import service as evidence
from ..peers import peer_position
from ..rectification import service as actions
from ..review import service as review_service
from ..review.forms import review_form_class
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
        review_form=review_form_class(result.questionnaire)() if can_review(current_user, selfcheck) else None,
        review_actions=review_service.actions_of(selfcheck) if can_review(current_user, selfcheck) else [],
        reviews=review_service.history(selfcheck),
        evidence=evidence.listing(selfcheck),
        peers=peer_position(selfcheck),
        rectification=actions.summary(selfcheck) if can_read_actions(current_user, selfcheck) else None,
    )


@bp.route("/results/<int:selfcheck_id>/review", methods=["POST"])
@login_required
def review(selfcheck_id: int):
    """A leader approves (通过) or returns (退回) a submitted self-check."""
    selfcheck = get_selfcheck_or_404(current_user, selfcheck_id)
    if not can_review(current_user, selfcheck):
        abort(403)
    form = review_form_class(service.questionnaire_of(selfcheck))()
    if not form.validate():
        for field in form:
            for error in field.errors:
                flash(error, "error")
        return redirect(url_for(".result", selfcheck_id=selfcheck.id, _anchor="review"))
    decision = form.decision.data
    try:
        review_service.review(
            selfcheck,
            current_user._get_current_object(),
            decision,
            (form.comment.data or "").strip(),
            form.item_comments(),
            action_comments(request.form),
        )
    except review_service.NotReviewable:
        if decision == RETURNED and selfcheck.submitted:
            flash(_("The %(year)s cycle is closed: its self-checks can no longer be returned.",
                    year=selfcheck.cycle.year), "error")  # fmt: skip
        else:
            flash(_("This self-check is no longer awaiting review."), "error")
    else:
        if decision == RETURNED:
            flash(_("The self-check is returned: the branch can change it and submit it again."), "success")
        else:
            flash(_("The self-check is approved."), "success")
    return redirect(url_for(".result", selfcheck_id=selfcheck.id))


def action_comments(posted) -> dict[int, str]:
    """Action id → the comment typed beside it (`action_<id>`, at most MAX_COMMENT characters); the
    service keeps only the self-check's own actions."""
    comments = {}
    for name, text in posted.items():
        if name.startswith("action_") and name[7:].isdigit() and text.strip():
            comments[int(name[7:])] = text.strip()[: review_service.MAX_COMMENT]
    return comments


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
