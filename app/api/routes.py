"""The JSON API, /api/v1. Each view: authenticate (before_request) → load with the pages' access
rules → validate (the operation's schemas) → call the same service as the pages → answer JSON.

Each view is declared once with `@operation`: its summary, its request schemas (query, body) and
its responses, as models of `schemas.py`. The decorator validates the request with them, and
`openapi.py` makes the document from the same declarations.
"""

from __future__ import annotations

from dataclasses import fields
from functools import wraps
from io import BytesIO

from flask import Blueprint, current_app, g, jsonify, request, send_file, url_for
from flask_babel import gettext as _
from pydantic import BaseModel
from sqlalchemy import select
from sqlalchemy.orm import contains_eager

from app.assessment.rectification import find_candidate
from forms.selfcheck import answer_error_message

from .. import audit
from ..access import (
    can_edit,
    can_edit_actions,
    can_read_actions,
    can_view_org,
    get_selfcheck_or_404,
    subtree_filter,
)
from ..comparison.peers import peer_position
from ..extensions import csrf, db
from ..models import ORG_KINDS, Cycle, Organisation, SelfCheck, User
from ..rectification import service as rectification
from ..reports.service import report_filename, report_for
from ..reports.viewmodel import MODES
from ..selfcheck import service
from ..selfcheck.schemas import MAX_ANSWERS, Invalid, SaveAnswers, parse
from . import errors, present
from . import schemas as s
from .auth import api_token_id, api_user, authenticate
from .errors import ApiError
from .openapi import PREFIX, Operation, openapi_document

bp = Blueprint("api", __name__, url_prefix=PREFIX)
csrf.exempt(bp)  # tokens, not cookies, authenticate the API
errors.register(bp)

PUBLIC = {"api.openapi"}


@bp.before_request
def require_token():
    if request.endpoint not in PUBLIC:
        token = authenticate()
        g.api_user, g.api_token_id = token.user, token.id


# ---------------------------------------------------------------- helpers


def not_found() -> ApiError:
    return ApiError(404, "not_found", _("Not found, or not visible to you."))


def forbidden() -> ApiError:
    return ApiError(403, "forbidden", _("You may not do this."))


def bad_request(fields: dict, message: str | None = None) -> ApiError:
    return ApiError(400, "bad_request", message or _("The request could not be read."), fields)


FIELD_MESSAGES = {
    "answers": lambda: _("Expected an object of at most %(n)d answers by question id.", n=MAX_ANSWERS),
    "seq": lambda: _("Expected a count of your saves, from 0 to %(max)s.", max=service.MAX_SEQ),
    "base": lambda: _("Expected an object of the answers as you last saw them, by question id."),
    "year": lambda: _("Expected a year, a whole number such as 2026."),
    "kind": lambda: _("Expected one of: %(choices)s.", choices=", ".join(ORG_KINDS)),
    "lang": lambda: _("Expected one of: %(choices)s.", choices=", ".join(MODES)),
    "deadline": lambda: _("Expected a date between 2000 and 2100, as YYYY-MM-DD."),
    "date": lambda: _("Expected a date between 2000 and 2100, as YYYY-MM-DD."),
    "status": lambda: _("Expected one of: %(choices)s.", choices="planned, in_progress"),
    **dict.fromkeys(("problem", "measure", "text", "account"), lambda: _("Expected a text of 1 to 2000 characters.")),
    **dict.fromkeys(("owner_name", "owner_role"), lambda: _("Expected a name of at most 100 characters.")),
}


def validated(model: type[BaseModel], data):
    """`data` as `model`, or a 400 naming each field that does not fit, in the user's language."""
    try:
        return parse(model, data)
    except Invalid as exc:
        raise bad_request({field: FIELD_MESSAGES.get(field, unreadable)() for field in exc.fields}) from None


def unreadable() -> str:
    return _("The request could not be read.")


def operation(*, query: type[BaseModel] | None = None, body: type[BaseModel] | None = None, **doc):
    """Declare a view's operation (see `openapi.Operation`); the view gets the validated `query` and `body`."""

    def decorate(view):
        @wraps(view)
        def validating(**kwargs):
            if query is not None:
                kwargs["query"] = validated(query, request.args.to_dict())
            if body is not None:
                payload = request.get_json(force=True, silent=True)
                if not isinstance(payload, dict):
                    raise bad_request({}, _("The body must be a JSON object."))
                kwargs["body"] = validated(body, payload)
            return view(**kwargs)

        validating.operation = Operation(query=query, body=body, **doc)
        return validating

    return decorate


def respond(model: BaseModel, status: int = 200):
    """`model` as the JSON response (serialised by pydantic, in one pass)."""
    return current_app.response_class(model.model_dump_json(), status=status, mimetype="application/json")


def visible_org(user: User, code: str) -> Organisation:
    if len(code) > 20 or "\x00" in code:  # no such code; PostgreSQL refuses NUL in text
        raise not_found()
    org = db.session.scalar(select(Organisation).where(Organisation.code == code))
    if org is None or not can_view_org(user, org):
        raise not_found()
    return org


def cycle_or_404(year: int) -> Cycle:
    cycle = db.session.scalar(select(Cycle).where(Cycle.year == year)) if 0 <= year < 10_000 else None
    if cycle is None:
        raise not_found()
    return cycle


def selfcheck_or_404(user: User, selfcheck_id: int) -> SelfCheck:
    """The self-check if `user` may read it (as `get_selfcheck_or_404` decides for the pages)."""
    if not 0 < selfcheck_id < 2**31:
        raise not_found()
    return get_selfcheck_or_404(user, selfcheck_id)


def require_own_branch(user: User, selfcheck: SelfCheck) -> None:
    """Only the branch's own users write; others who may read it get 403."""
    if user.role != "branch" or selfcheck.organisation_id != user.organisation_id:
        raise forbidden()


def not_editable(selfcheck: SelfCheck) -> ApiError:
    if selfcheck.submitted:
        return ApiError(409, "already_submitted", _("This self-check can no longer be changed."))
    return ApiError(409, "cycle_closed", _("This cycle is closed."))


# ---------------------------------------------------------------- documents

SAVE_DESCRIPTION = (
    "`answers` maps question ids to values (see `Item`); an empty string or null clears an answer. "
    "`seq` counts the saves made with your token (1, 2, 3, …; at most 2147483647, so a clock "
    "reading is refused): an answer this token last wrote with a higher number is not overwritten "
    "and is listed in `stale`. Numbers of different writers (another token, a page) are never "
    "compared: between writers, `base` decides. `base`, optional, maps question ids to the values "
    "you last read: where the stored answer is no longer that and differs from yours, it is kept "
    "and returned in `conflicts` (409). A save with neither `seq` nor `base` always applies."
)


@bp.route("/openapi.json")
@operation(
    summary="This document",
    op_ids={"GET": "openapi"},
    responses={200: ("The OpenAPI 3.1 document.", {"type": "object"})},
    errors=(),
    public=True,
)
def openapi():
    return jsonify(openapi_document())


@bp.route("/me")
@operation(summary="The user the token belongs to", op_ids={"GET": "me"}, responses={200: ("The user.", s.User)})
def me():
    return respond(present.user(api_user()))


@bp.route("/cycles")
@operation(
    summary="The self-check cycles, newest first",
    op_ids={"GET": "listCycles"},
    responses={200: ("The cycles.", s.Cycles)},
)
def cycles():
    rows = db.session.scalars(select(Cycle).order_by(Cycle.year.desc()))
    return respond(s.Cycles(cycles=[present.cycle(c) for c in rows]))


@bp.route("/cycles/<int:year>/questionnaire")
@operation(
    summary="The whole questionnaire of a cycle, in both languages",
    op_ids={"GET": "getQuestionnaire"},
    path=s.YearPath,
    responses={200: ("The questionnaire definition.", s.Questionnaire)},
    errors=("Unauthorized", "NotFound"),
)
def questionnaire(year: int):
    cycle = cycle_or_404(year)
    return jsonify(present.questionnaire(cycle.questionnaire_version))


@bp.route("/organisations")
@operation(
    summary="The organisations you may see (a branch user: their own branch)",
    op_ids={"GET": "listOrganisations"},
    query=s.OrganisationsQuery,
    responses={200: ("The organisations, in tree order.", s.Organisations)},
    errors=("BadRequest", "Unauthorized", "NotFound"),
)
def organisations(query: s.OrganisationsQuery):
    """The organisations the caller may see, optionally one subtree (`root`) and one kind."""
    user = api_user()
    rows = select(Organisation).where(subtree_filter(user))
    if user.role == "branch":
        rows = rows.where(Organisation.id == user.organisation_id)
    if query.root:
        rows = rows.where(Organisation.in_subtree(visible_org(user, query.root).path))
    if query.kind is not None:
        rows = rows.where(Organisation.kind == query.kind)
    found = db.session.scalars(rows.order_by(Organisation.path))
    return respond(s.Organisations(organisations=[present.organisation(org) for org in found]))


# ---------------------------------------------------------------- self-checks


@bp.route("/selfchecks")
@operation(
    summary="The self-checks you may see, newest cycle first",
    op_ids={"GET": "listSelfChecks"},
    query=s.SelfChecksQuery,
    responses={200: ("The self-checks.", s.SelfChecks)},
    errors=("BadRequest", "Unauthorized", "NotFound"),
)
def selfchecks(query: s.SelfChecksQuery):
    """The self-checks the caller may see, newest cycle first, optionally one year and one subtree (`org`)."""
    user = api_user()
    rows = (
        select(SelfCheck)
        .join(Organisation, SelfCheck.organisation_id == Organisation.id)
        .join(Cycle, SelfCheck.cycle_id == Cycle.id)
        .options(contains_eager(SelfCheck.organisation))
        .where(subtree_filter(user))
    )
    if user.role == "branch":
        rows = rows.where(Organisation.id == user.organisation_id)
    if query.year is not None:
        rows = rows.where(Cycle.year == query.year)
    if query.org:
        rows = rows.where(Organisation.in_subtree(visible_org(user, query.org).path))
    found = db.session.scalars(rows.order_by(Cycle.year.desc(), Organisation.path))
    return respond(s.SelfChecks(selfchecks=[present.selfcheck_summary(sc) for sc in found]))


@bp.route("/selfchecks", methods=["POST"])
@operation(
    summary="Start your branch's self-check of a year (branch users; idempotent)",
    op_ids={"POST": "startSelfCheck"},
    body=s.StartSelfCheck,
    responses={200: ("It existed already.", s.SelfCheck), 201: ("Started.", s.SelfCheck)},
    errors=("BadRequest", "Unauthorized", "Forbidden", "NotFound", "Conflict"),
)
def start_selfcheck(body: s.StartSelfCheck):
    """A branch user starts (or finds) their branch's self-check of a year: 201 when created, 200 when it existed."""
    user = api_user()
    if user.role != "branch":
        raise forbidden()
    cycle = cycle_or_404(body.year)
    existing = db.session.scalar(
        select(SelfCheck).where(SelfCheck.organisation_id == user.organisation_id, SelfCheck.cycle_id == cycle.id)
    )
    if existing is None and not cycle.is_open():
        raise ApiError(409, "cycle_closed", _("This cycle is closed."))
    selfcheck = existing or service.start_selfcheck(user.organisation, cycle)
    response = respond(selfcheck_json(user, selfcheck), 200 if existing else 201)
    if existing is None:
        response.headers["Location"] = url_for(".selfcheck", selfcheck_id=selfcheck.id)
    return response


def selfcheck_json(user: User, selfcheck: SelfCheck) -> s.SelfCheck:
    return present.selfcheck(selfcheck, service.typed_answers(selfcheck), editable=can_edit(user, selfcheck))


@bp.route("/selfchecks/<int:selfcheck_id>")
@operation(
    summary="A self-check with its answers",
    op_ids={"GET": "getSelfCheck"},
    path=s.SelfCheckPath,
    responses={200: ("The self-check.", s.SelfCheck)},
    errors=("Unauthorized", "NotFound"),
)
def selfcheck(selfcheck_id: int):
    user = api_user()
    return respond(selfcheck_json(user, selfcheck_or_404(user, selfcheck_id)))


@bp.route("/selfchecks/<int:selfcheck_id>/answers", methods=["PATCH", "POST"])
@operation(
    summary="Save draft answers (the pages' autosave uses the same path)",
    op_ids={"PATCH": "saveAnswers", "POST": "saveAnswersPost"},
    description=SAVE_DESCRIPTION,
    path=s.SelfCheckPath,
    body=SaveAnswers,
    responses={
        200: ("Saved.", s.SaveOutcome),
        409: (
            "Submitted (`already_submitted`), cycle closed (`cycle_closed`), or, with `base`, answers someone else "
            "changed meanwhile (`conflict`): those were kept, the others saved.",
            (s.SaveConflict, s.Error),
        ),
        422: (
            "Some answers are invalid (`invalid_answers`, in `fields` by question id); the valid ones were saved "
            "all the same.",
            s.SaveError,
        ),
    },
    errors=("BadRequest", "Unauthorized", "Forbidden", "NotFound"),
)
def save_answers(selfcheck_id: int, body: SaveAnswers):
    """Save draft answers through the same service as the pages' autosave.

    Valid answers are saved even when others are invalid (422, with the invalid ones in
    `fields`). With `seq`, an answer last written by a save with a higher number is kept
    and reported in `stale`. With `base` (the values the client last saw), an answer someone
    else changed meanwhile is not overwritten: 409 `conflict`, with their version in `conflicts`.
    """
    user = api_user()
    selfcheck = selfcheck_or_404(user, selfcheck_id)
    require_own_branch(user, selfcheck)
    if not can_edit(user, selfcheck):
        raise not_editable(selfcheck)
    try:
        outcome = service.save_answers(
            selfcheck,
            body.readable(),
            user,
            writer=service.token_writer(api_token_id()),
            seq=body.seq,
            base=body.base,
        )
    except service.NotEditable:
        raise not_editable(selfcheck) from None
    db.session.refresh(selfcheck)
    saved = s.SaveOutcome(
        saved=outcome.saved,
        stale=outcome.stale,
        answered=outcome.answered,
        total=len(service.questionnaire_of(selfcheck).items),
        revision=selfcheck.revision,
    )
    fields = {key: _("This answer could not be read.") for key in body.unreadable()}
    fields.update((key, answer_error_message(err)) for key, err in outcome.errors.items())
    if outcome.conflicts:
        raise ApiError(
            409,
            "conflict",
            _("Someone else changed some answers meanwhile. Both versions are shown: save again to keep yours."),
            {**fields, **{key: _("Changed meanwhile by someone else.") for key in outcome.conflicts}},
            conflicts={
                key: s.ConflictingAnswer(theirs=c.theirs, by=c.by, at=present.timestamp(c.at)).model_dump()
                for key, c in outcome.conflicts.items()
            },
            **saved.model_dump(),
        )
    if fields:
        message = _("Some answers need correcting; the others are saved.")
        raise ApiError(422, "invalid_answers", message, fields, **saved.model_dump())
    return respond(saved)


@bp.route("/selfchecks/<int:selfcheck_id>/submit", methods=["POST"])
@operation(
    summary="Submit a complete draft; it becomes read-only",
    op_ids={"POST": "submitSelfCheck"},
    path=s.SelfCheckPath,
    responses={
        200: ("Submitted: the result.", s.Result),
        422: ("Not complete (`incomplete`): the unanswered question ids are in `fields`.", s.Error),
    },
    errors=("Unauthorized", "Forbidden", "NotFound", "Conflict"),
)
def submit(selfcheck_id: int):
    user = api_user()
    selfcheck = selfcheck_or_404(user, selfcheck_id)
    require_own_branch(user, selfcheck)
    if not can_edit(user, selfcheck):
        raise not_editable(selfcheck)
    try:
        service.submit(selfcheck, user)
    except service.Incomplete as exc:
        raise ApiError(
            422,
            "incomplete",
            _("Answer every question before submitting: %(n)d are missing.", n=len(exc.missing)),
            {item_id: _("This question needs an answer.") for item_id in exc.missing},
        ) from None
    except service.NotEditable:
        raise not_editable(selfcheck) from None
    return respond(result_json(selfcheck))


def result_json(selfcheck: SelfCheck) -> s.Result:
    previous = service.previous_selfcheck(selfcheck)
    return present.result(
        selfcheck,
        service.result_of(selfcheck),
        previous,
        service.result_of(previous) if previous else None,
        peer_position(selfcheck),
    )


@bp.route("/selfchecks/<int:selfcheck_id>/result")
@operation(
    summary="Scores, levels, flags and ranked suggestions (provisional for a draft)",
    op_ids={"GET": "getResult"},
    path=s.SelfCheckPath,
    responses={200: ("The result.", s.Result)},
    errors=("Unauthorized", "NotFound"),
)
def result(selfcheck_id: int):
    return respond(result_json(selfcheck_or_404(api_user(), selfcheck_id)))


@bp.route("/selfchecks/<int:selfcheck_id>/report.pdf")
@operation(
    summary="The diagnostic report as a PDF",
    op_ids={"GET": "getReport"},
    path=s.SelfCheckPath,
    query=s.ReportQuery,
    responses={200: ("The PDF.", {"type": "string", "format": "binary"}, "application/pdf")},
    errors=("BadRequest", "Unauthorized", "NotFound"),
)
def report(selfcheck_id: int, query: s.ReportQuery):
    selfcheck = selfcheck_or_404(api_user(), selfcheck_id)
    pdf = report_for(selfcheck, query.lang, reader=api_user())
    filename = report_filename(selfcheck, query.lang)
    audit.record_now("report_download", api_user(), filename)
    return send_file(BytesIO(pdf), mimetype="application/pdf", as_attachment=True, download_name=filename)


# ---------------------------------------------------------------- the rectification list


def actions_or_403(user: User, selfcheck_id: int) -> SelfCheck:
    """The self-check whose list `user` may read: 404 if they may not know it, 403 for a trainer."""
    selfcheck = selfcheck_or_404(user, selfcheck_id)
    if not can_read_actions(user, selfcheck):
        raise forbidden()
    return selfcheck


def editable_actions(user: User, selfcheck_id: int) -> SelfCheck:
    selfcheck = actions_or_403(user, selfcheck_id)
    require_own_branch(user, selfcheck)
    if not can_edit_actions(user, selfcheck):
        raise cycle_closed()
    return selfcheck


def cycle_closed() -> ApiError:
    return ApiError(409, "cycle_closed", _("The cycle is closed: the rectification list can no longer be changed."))


def action_or_404(selfcheck: SelfCheck, action_id: int):
    action = rectification.get_action(selfcheck, action_id) if 0 < action_id < 2**31 else None
    if action is None:
        raise not_found()
    return action


def action_json(action) -> s.Action:
    return present.action(action, rectification.today())


ACTION_ERRORS = ("BadRequest", "Unauthorized", "Forbidden", "NotFound")
CLOSED = {409: ("The cycle is closed (`cycle_closed`): the list can no longer be changed.", s.Error)}


@bp.route("/selfchecks/<int:selfcheck_id>/actions")
@operation(
    summary="The rectification list of a self-check (the branch, and the leaders over it)",
    op_ids={"GET": "listActions"},
    path=s.SelfCheckPath,
    responses={200: ("The list, oldest action first.", s.Actions)},
    errors=("Unauthorized", "Forbidden", "NotFound"),
)
def actions(selfcheck_id: int):
    user = api_user()
    selfcheck = actions_or_403(user, selfcheck_id)
    tally = rectification.last_year_tally(selfcheck)
    return respond(
        s.Actions(
            selfcheck_id=selfcheck.id,
            editable=can_edit_actions(user, selfcheck),
            plannable=rectification.plannable(selfcheck),
            last_year=s.Tally(done=tally[0], total=tally[1]) if tally else None,
            actions=[action_json(a) for a in rectification.actions_of(selfcheck)],
        )
    )


@bp.route("/selfchecks/<int:selfcheck_id>/actions", methods=["POST"])
@operation(
    summary="Add an action to the rectification list (the branch, while the cycle is open)",
    op_ids={"POST": "createAction"},
    description="The self-check needs a result: submitted, or a draft with every question answered. "
    "`source` names what triggered the action as the result offers it now (`GET …/result`: a flag's id, "
    "a suggestion's id — `priority:` for one of the top three —, or a question's id for a low-scoring one).",
    path=s.SelfCheckPath,
    body=s.NewAction,
    responses={
        201: ("Added.", s.Action),
        409: ("The cycle is closed (`cycle_closed`), or there is no result yet (`no_result`).", s.Error),
    },
    errors=ACTION_ERRORS,
)
def create_action(selfcheck_id: int, body: s.NewAction):
    user = api_user()
    selfcheck = editable_actions(user, selfcheck_id)
    candidate = None
    if body.source:
        candidate = find_candidate(service.result_of(selfcheck), body.source)
        if candidate is None:
            raise bad_request({"source": _("The result does not offer this now.")})
    plan = rectification.Plan(
        problem=body.problem,
        measure=body.measure,
        owner_name=body.owner_name,
        owner_role=body.owner_role,
        deadline=body.deadline,
    )
    try:
        action = rectification.create_action(selfcheck, user, plan, candidate)
    except rectification.NotEditable:
        raise cycle_closed() from None
    except rectification.NoResult:
        message = _("Answer every question first: actions are planned from the result.")
        raise ApiError(409, "no_result", message) from None
    response = respond(action_json(action), 201)
    response.headers["Location"] = url_for(".actions", selfcheck_id=selfcheck.id)
    return response


@bp.route("/selfchecks/<int:selfcheck_id>/actions/<int:action_id>", methods=["PATCH"])
@operation(
    summary="Change an action (the branch, while the cycle is open)",
    op_ids={"PATCH": "updateAction"},
    path=s.ActionPath,
    body=s.ActionChange,
    responses={200: ("Changed.", s.Action), **CLOSED},
    errors=ACTION_ERRORS,
)
def update_action(selfcheck_id: int, action_id: int, body: s.ActionChange):
    given = body.model_dump(exclude_none=True)

    def update(action, user):
        plan = {f.name: given.get(f.name, getattr(action, f.name)) for f in fields(rectification.Plan)}
        rectification.update_action(action, user, rectification.Plan(**plan), body.status)

    return respond(action_json(change_action(selfcheck_id, action_id, update)))


def change_action(selfcheck_id: int, action_id: int, change):
    """Load an action the caller may change, `change(action, user)` it; the action."""
    user = api_user()
    action = action_or_404(editable_actions(user, selfcheck_id), action_id)
    try:
        change(action, user)
    except rectification.NotEditable:
        raise cycle_closed() from None
    return action


@bp.route("/selfchecks/<int:selfcheck_id>/actions/<int:action_id>/notes", methods=["POST"])
@operation(
    summary="Add a dated progress note to an action",
    op_ids={"POST": "addActionNote"},
    path=s.ActionPath,
    body=s.NewNote,
    responses={201: ("Added: the action with its notes.", s.Action), **CLOSED},
    errors=ACTION_ERRORS,
)
def add_action_note(selfcheck_id: int, action_id: int, body: s.NewNote):
    if body.date > rectification.today():
        raise bad_request({"date": _("A progress note records what has happened: choose today or an earlier day.")})
    action = change_action(
        selfcheck_id, action_id, lambda action, user: rectification.add_note(action, user, body.date, body.text)
    )
    return respond(action_json(action), 201)


@bp.route("/selfchecks/<int:selfcheck_id>/actions/<int:action_id>/close", methods=["POST"])
@operation(
    summary="Close an action as done, with a short account of what was done",
    op_ids={"POST": "closeAction"},
    path=s.ActionPath,
    body=s.CloseAction,
    responses={200: ("Closed.", s.Action), **CLOSED},
    errors=ACTION_ERRORS,
)
def close_action(selfcheck_id: int, action_id: int, body: s.CloseAction):
    action = change_action(
        selfcheck_id, action_id, lambda action, user: rectification.close_action(action, user, body.account)
    )
    return respond(action_json(action))
