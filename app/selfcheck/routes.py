"""Self-check pages. Each view: load → check access → validate → call the service → respond."""

from __future__ import annotations

import secrets
from functools import lru_cache
from types import SimpleNamespace

from flask import (
    Blueprint,
    abort,
    current_app,
    flash,
    jsonify,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_babel import format_datetime, ngettext
from flask_babel import gettext as _
from flask_login import current_user, login_required
from markupsafe import Markup
from sqlalchemy import select

from ..access import can_edit, get_selfcheck_or_404
from ..evidence.service import counts as evidence_counts
from ..extensions import db
from ..i18n import current_lang
from ..models import Cycle, SelfCheck
from ..rectification import service as actions
from ..reminders.service import active_for
from ..review.service import open_return
from . import prefill, service
from .forms import answer_error_message, pillar_form_class
from .schemas import PAGE_ID, Invalid, PageSave, parse

bp = Blueprint("selfcheck", __name__, url_prefix="/selfcheck")


def current_cycle() -> Cycle | None:
    """The open cycle, else the latest one."""
    cycles = db.session.scalars(select(Cycle).order_by(Cycle.year.desc())).all()
    return next((c for c in cycles if c.is_open()), cycles[0] if cycles else None)


def editable_or_403(selfcheck: SelfCheck) -> None:
    if not can_edit(current_user, selfcheck):
        abort(403)


def not_editable_page(selfcheck: SelfCheck):
    """A page for changing answers, asked for a self-check the user may read but not change
    (Back after submitting, a bookmark after the cycle closed): its result instead, not a 403."""
    if request.method != "GET":
        abort(403)
    flash(_("This self-check can no longer be changed."))
    return redirect(url_for("results.result", selfcheck_id=selfcheck.id))


@bp.route("/")
@login_required
def home():
    if current_user.role != "branch":
        return redirect(url_for("results.overview"))
    cycle = current_cycle()
    selfcheck = previous = progress = resume = None
    if cycle:
        selfcheck = db.session.scalar(
            select(SelfCheck).where(
                SelfCheck.organisation_id == current_user.organisation_id, SelfCheck.cycle_id == cycle.id
            )
        )
    returned_review = questionnaire = rectification = None
    if selfcheck:
        questionnaire, answers = service.questionnaire_of(selfcheck), service.typed_answers(selfcheck)
        progress = service.progress_of(questionnaire, answers)
        resume = resume_url(selfcheck, questionnaire, answers)
        returned_review = open_return(selfcheck)
        rectification = actions.summary(selfcheck)
    if cycle:
        previous = service.submitted_before(current_user.organisation_id, cycle.year)
    reminders = active_for(current_user.organisation_id, cycle) if cycle else []
    return render_template(
        "selfcheck/home.html",
        cycle=cycle,
        selfcheck=selfcheck,
        previous=previous,
        progress=progress,
        resume=resume,
        returned_review=returned_review,
        questionnaire=questionnaire,
        rectification=rectification,
        reminders=reminders,
        days_left=cycle.days_left() if cycle else None,
    )


def resume_url(selfcheck: SelfCheck, questionnaire, answers: dict) -> str:
    """Where "continue" leads: the first scored item without an answer, else the review."""
    item = service.first_unanswered(questionnaire, answers)
    if item is None:
        return url_for(".review", selfcheck_id=selfcheck.id)
    return url_for(".pillar", selfcheck_id=selfcheck.id, pillar_id=item.pillar_id, _anchor=f"item-{item.id}")


@bp.route("/start", methods=["POST"])
@login_required
def start():
    cycle = current_cycle()
    if current_user.role != "branch" or cycle is None or not cycle.is_open():
        abort(403)
    selfcheck = service.start_selfcheck(current_user.organisation, cycle)
    first = service.questionnaire_of(selfcheck).pillars[0].id
    return redirect(url_for("selfcheck.pillar", selfcheck_id=selfcheck.id, pillar_id=first))


@bp.route("/<int:selfcheck_id>/<pillar_id>", methods=["GET", "POST"])
@login_required
def pillar(selfcheck_id: int, pillar_id: str):
    selfcheck = get_selfcheck_or_404(current_user, selfcheck_id)
    if not can_edit(current_user, selfcheck):
        return not_editable_page(selfcheck)
    questionnaire = service.questionnaire_of(selfcheck)
    ids = [p.id for p in questionnaire.pillars]
    if pillar_id not in ids:
        abort(404)
    answers = None  # read once on a GET; a POST reads them again after saving
    conflicts = {}
    if request.method == "POST":
        form = pillar_form_class(questionnaire, pillar_id)()
        valid = form.validate()  # CSRFProtect has already refused a request without a valid token
        bases = {k[5:]: v for k, v in request.form.items() if k.startswith("base:")}
        writer, seq = page_order(request.form.get("writer"), request.form.get("seq", type=int))
        posted = form.valid_answers()
        for item_id in prefill.unconfirmed(posted, request.form):  # last year's, offered: not an answer yet
            del posted[item_id]
        outcome = service.save_answers(selfcheck, posted, current_user, writer=writer, seq=seq, base=bases)
        conflicts = outcome.conflicts
        if valid and not conflicts:
            flash(_("Your answers are saved."), "success")
            step = request.form.get("go")
            index = ids.index(pillar_id)
            if step == "next" and index + 1 < len(ids):
                return redirect(url_for(".pillar", selfcheck_id=selfcheck.id, pillar_id=ids[index + 1]))
            if step == "previous" and index > 0:
                return redirect(url_for(".pillar", selfcheck_id=selfcheck.id, pillar_id=ids[index - 1]))
            if step == "review":
                return redirect(url_for(".review", selfcheck_id=selfcheck.id))
            return redirect(url_for(".pillar", selfcheck_id=selfcheck.id, pillar_id=pillar_id))
        if conflicts:
            flash(_("Someone else changed some answers meanwhile. Both versions are shown: save again to keep yours."))
            # saving again now means "keep mine": the other version becomes what this writer has seen
            bases.update(stringify(questionnaire, {k: c.theirs for k, c in conflicts.items()}))
        if not valid:
            flash(_("Some answers need correcting; the others are saved."), "error")
        status = 409 if conflicts else 422
    else:
        answers = service.typed_answers(selfcheck)
        bases = stringify(questionnaire, answers)
        form = None  # a GET shows the stored answers: there is nothing to validate
        status = 200
    if answers is None:
        answers = service.typed_answers(selfcheck)
    offered = prefill.pending(selfcheck)
    return (
        render_template(
            "selfcheck/pillar.html",
            selfcheck=selfcheck,
            questionnaire=questionnaire,
            pillar=questionnaire.pillar(pillar_id),
            items_html=render_items(questionnaire, pillar_id, form, bases, conflicts, offered),
            can_prefill=bool(prefill.offerable(selfcheck, pillar_id, surely_taken=answers.keys() | offered.keys())),
            flags_after=flags_by_item(questionnaire, pillar_id),
            open_flags=service.open_flags(questionnaire, answers),
            progress=service.progress_of(questionnaire, answers),
            returned_review=open_return(selfcheck),
            evidence_counts=evidence_counts(selfcheck),
            page_id=secrets.token_urlsafe(9),  # names this page load, the writer of its saves
        ),
        status,
    )


@lru_cache(maxsize=64)
def flags_by_item(questionnaire, pillar_id: str) -> dict[str, list]:
    """The consistency flags that look at a pillar's items, each under the last of its items on the page."""
    on_page = [item.id for item in questionnaire.pillar(pillar_id).items]
    placed = {}
    for flag in questionnaire.flags:
        here = [c.item for c in flag.when if c.item in on_page]
        if here:
            placed.setdefault(max(here, key=on_page.index), []).append(flag)
    return placed


def render_items(questionnaire, pillar_id: str, form, bases: dict, conflicts: dict, offered: dict) -> list[Markup]:
    """The HTML of each item of a pillar page: the stored answers (`bases`) on a GET, where
    `form` is None, the posted ones with their errors after a POST. An item without an answer
    that has last year's answer `offered` shows it, marked as such (`prefill_marker`).

    An item without an error or a conflict looks the same whenever it has the same value,
    so its HTML is rendered once per language and value and then reused: the page is
    mostly questionnaire text, and rendering it afresh was most of a page's cost.
    """
    lang = current_lang()
    html = []
    for item in questionnaire.pillar(pillar_id).items:
        base = bases.get(item.id) or ""
        field = form[item.id] if form is not None else SimpleNamespace(data=base, errors=())
        if item.id in offered:
            raw = item.form_value(offered[item.id])
            if form is None:
                field = SimpleNamespace(data=raw, errors=())
        if field.errors or item.id in conflicts:
            html.append(
                _render_item(
                    questionnaire,
                    item,
                    field,
                    base,
                    conflict_json(item, conflicts[item.id]) if item.id in conflicts else None,
                )
            )
        else:
            html.append(_cached_item(questionnaire, item, lang, field.data or "", base))
        if item.id in offered:
            html[-1] = prefill_marker(item, item.form_value(offered[item.id])) + html[-1]
    return html


def prefill_marker(item, raw: str) -> Markup:
    """The mark above an item showing last year's answer: not counted until confirmed or changed."""
    template = current_app.jinja_env.get_template("selfcheck/_prefilled.html")
    return Markup(template.render(item=item, raw=raw))


def _render_item(questionnaire, item, field, base, conflict) -> Markup:
    template = current_app.jinja_env.get_template("selfcheck/_item.html")
    return Markup(template.render(item=item, field=field, questionnaire=questionnaire, base=base, conflict=conflict))


@lru_cache(maxsize=8192)
def _cached_item(questionnaire, item, lang: str, value: str, base: str) -> Markup:
    return _render_item(questionnaire, item, SimpleNamespace(data=value, errors=()), base, None)


def conflict_json(item, conflict: service.Conflict) -> dict:
    return {
        "theirs": item.form_value(conflict.theirs),
        "by": conflict.by or "—",
        "at": format_datetime(conflict.at, "short") if conflict.at else "",
    }


def stringify(questionnaire, answers: dict) -> dict:
    """Typed answers as the strings their entries post."""
    return {key: questionnaire.items[key].form_value(value) for key, value in answers.items()}


def page_order(page_id, seq) -> tuple[str | None, int | None]:
    """(writer, seq) of a save from a page: the page load's id counts its saves. Numbered saves
    without a page id (a script on the user's session) are counted per user. Anything else
    is an unnumbered save."""
    if isinstance(seq, bool) or not isinstance(seq, int) or not 0 <= seq <= service.MAX_SEQ:
        return None, None
    if page_id is None:
        return service.user_writer(current_user.id), seq
    if isinstance(page_id, str) and PAGE_ID.fullmatch(page_id):
        return service.page_writer(page_id), seq
    return None, None


@bp.route("/<int:selfcheck_id>/<pillar_id>/prefill", methods=["POST"])
@login_required
def prefill_pillar(selfcheck_id: int, pillar_id: str):
    """Offer last year's answers for this pillar's unanswered items, each to confirm or change."""
    selfcheck = get_selfcheck_or_404(current_user, selfcheck_id)
    editable_or_403(selfcheck)
    if pillar_id not in {p.id for p in service.questionnaire_of(selfcheck).pillars}:
        abort(404)
    try:
        count = prefill.prefill_pillar(selfcheck, pillar_id)
    except service.NotEditable:
        abort(403)
    if count:
        shown = ngettext(
            "Last year's answer is shown for %(num)d question: confirm it or change it.",
            "Last year's answers are shown for %(num)d questions: confirm each or change it.",
            count,
        )
        flash(shown)
    else:
        flash(_("Last year's answers offer nothing more for this page."))
    return redirect(url_for(".pillar", selfcheck_id=selfcheck.id, pillar_id=pillar_id))


@bp.route("/<int:selfcheck_id>/autosave", methods=["POST"])
def autosave(selfcheck_id: int):
    """Save answers as the user types: JSON {"answers": {item id: value}} in, JSON out."""
    if not current_user.is_authenticated:
        return jsonify(
            error="login", message=_("Your session has ended. Log in again; your answers are kept in this browser.")
        ), 401
    selfcheck = get_selfcheck_or_404(current_user, selfcheck_id)
    if not can_edit(current_user, selfcheck):
        return jsonify(error="readonly", message=_("This self-check can no longer be changed.")), 409
    try:
        save = parse(PageSave, request.get_json(silent=True))  # the API's save, with the page's writer
    except Invalid:
        return jsonify(error="invalid", message=_("The answers could not be read.")), 400
    writer = None
    if save.seq is not None:
        writer = service.page_writer(save.writer) if save.writer else service.user_writer(current_user.id)
    try:
        outcome = service.save_answers(
            selfcheck, save.readable(), current_user, writer=writer, seq=save.seq, base=save.base
        )
    except service.NotEditable:  # submitted or closed between the check above and the write
        return jsonify(error="readonly", message=_("This self-check can no longer be changed.")), 409
    errors = {key: _("This answer could not be read.") for key in save.unreadable()}
    errors.update((key, answer_error_message(err)) for key, err in outcome.errors.items())
    questionnaire = service.questionnaire_of(selfcheck)
    body = {
        "saved": outcome.saved,
        "stale": outcome.stale,
        "errors": errors,
        "conflicts": {key: conflict_json(questionnaire.items[key], c) for key, c in outcome.conflicts.items()},
        "newer": {key: conflict_json(questionnaire.items[key], c) for key, c in outcome.newer.items()},
        "newer_seq": outcome.newer_seq,
        "answered": outcome.answered,
    }
    if service.flagged_items(questionnaire).intersection(outcome.saved):
        body["flags"] = service.open_flags(questionnaire, service.typed_answers(selfcheck))
    if outcome.conflicts:
        return jsonify(error="conflict", **body), 409
    return jsonify(body), (422 if errors else 200)


@bp.route("/<int:selfcheck_id>/review")
@login_required
def review(selfcheck_id: int):
    selfcheck = get_selfcheck_or_404(current_user, selfcheck_id)
    if not can_edit(current_user, selfcheck):
        return not_editable_page(selfcheck)
    answers = service.typed_answers(selfcheck)
    result = service.result_of(selfcheck, answers)
    return render_template(
        "selfcheck/review.html",
        selfcheck=selfcheck,
        result=result,
        progress=service.progress_of(result.questionnaire, answers),
        returned_review=open_return(selfcheck),
        resume=resume_url(selfcheck, result.questionnaire, answers),
    )


@bp.route("/<int:selfcheck_id>/submit", methods=["POST"])
@login_required
def submit(selfcheck_id: int):
    selfcheck = get_selfcheck_or_404(current_user, selfcheck_id)
    if selfcheck.submitted and selfcheck.organisation_id == current_user.organisation_id:
        return redirect(url_for("results.result", selfcheck_id=selfcheck.id))  # a second click
    editable_or_403(selfcheck)
    confirmed = request.form.get("confirm_flags", "").split()
    try:
        service.submit(selfcheck, current_user._get_current_object(), confirmed_flags=confirmed)
    except service.Incomplete as exc:
        flash(_("Answer every question before submitting: %(n)d are missing.", n=len(exc.missing)), "error")
        return redirect(url_for(".review", selfcheck_id=selfcheck.id))
    except service.Unconfirmed:
        flash(_("Some answers are flagged below: confirm that they are right, or change them, then submit."), "error")
        return redirect(url_for(".review", selfcheck_id=selfcheck.id))
    flash(_("Self-check submitted."), "success")
    return redirect(url_for("results.result", selfcheck_id=selfcheck.id))
