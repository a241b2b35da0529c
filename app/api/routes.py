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
from app.assessment.text import MODES

from .. import audit
from ..access import (
    can_attach,
    can_edit,
    can_edit_actions,
    can_read_actions,
    can_read_attachment,
    can_review,
    can_view_org,
    get_selfcheck_or_404,
    subtree_filter,
)
from ..evidence import service as evidence
from ..evidence.filetypes import MEDIA_TYPES
from ..extensions import csrf, db
from ..models import ORG_KINDS, RETURNED, Cycle, Evidence, Organisation, SelfCheck, User
from ..peers import peer_position
from ..rectification import service as rectification
from ..reports.service import report_filename, report_for
from ..review import service as review_service
from ..selfcheck import service
from ..selfcheck.forms import answer_error_message
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


# ---------------------------------------------------------------- evidence


def evidence_json(user: User, selfcheck: SelfCheck) -> s.EvidenceList:
    listed = evidence.listing(selfcheck, actions=can_read_attachment(user, action_id=0))
    return s.EvidenceList(
        files=[
            s.EvidenceFile(
                id=f.id,
                item_id=f.item_id,
                action_id=f.action_id,
                name=f.name,
                kind=f.kind,
                size=f.size,
                uploaded_at=present.timestamp(f.uploaded_at),
                download=url_for(".evidence_content", evidence_id=f.id),
            )
            for files in listed.values()
            for f in files
        ],
        editable=can_attach(user, selfcheck, None),
    )


@bp.route("/selfchecks/<int:selfcheck_id>/evidence")
@operation(
    summary="The evidence files of a self-check (names, sizes, dates; not their content)",
    op_ids={"GET": "listEvidence"},
    path=s.SelfCheckPath,
    responses={200: ("The files.", s.EvidenceList)},
    errors=("Unauthorized", "NotFound"),
)
def evidence_list(selfcheck_id: int):
    user = api_user()
    return respond(evidence_json(user, selfcheck_or_404(user, selfcheck_id)))


@bp.route("/selfchecks/<int:selfcheck_id>/evidence", methods=["POST"])
@operation(
    summary="Attach a file (PDF, JPEG, PNG, .docx, .xlsx) to a question or a rectification action (the branch)",
    description="The body is the file itself. Its type is read from its content, not from `name`. On a question "
    "while the self-check is a draft of an open cycle; on an action while the cycle is open.",
    op_ids={"POST": "uploadEvidence"},
    path=s.SelfCheckPath,
    query=s.EvidenceUploadQuery,
    upload="application/octet-stream",
    responses={
        201: ("Attached.", s.EvidenceList),
        413: ("Over the size limit per file or per self-check (`too_large`).", s.Error),
        415: ("Not an accepted kind of file (`refused_type`).", s.Error),
    },
    errors=("BadRequest", "Unauthorized", "Forbidden", "NotFound", "Conflict"),
)
def upload_evidence(selfcheck_id: int, query: s.EvidenceUploadQuery):
    from ..evidence.routes import refusal_message

    user = api_user()
    selfcheck = selfcheck_or_404(user, selfcheck_id)
    require_own_branch(user, selfcheck)
    if (query.item is None) == (query.action is None):
        raise bad_request({"item": _("Name either a question (item) or an action.")})
    if not can_attach(user, selfcheck, query.action):
        raise not_editable(selfcheck)
    data = request.get_data(cache=False)
    try:
        evidence.add(selfcheck, query.item, query.name, data, user, action_id=query.action)
    except evidence.UnknownItem:
        raise not_found() from None
    except evidence.NotEditable:
        raise not_editable(selfcheck) from None
    except evidence.TooLarge as exc:
        raise ApiError(413, "too_large", refusal_message(exc)) from None
    except evidence.RefusedType as exc:
        raise ApiError(415, "refused_type", refusal_message(exc)) from None
    return respond(evidence_json(user, selfcheck), 201)


def evidence_or_404(user: User, evidence_id: int) -> Evidence:
    if not 0 < evidence_id < 2**31:
        raise not_found()
    found = db.session.get(Evidence, evidence_id)
    if found is None or not can_read_attachment(user, found.action_id):
        raise not_found()
    selfcheck_or_404(user, found.selfcheck_id)
    return found


@bp.route("/evidence/<int:evidence_id>")
@operation(
    summary="The content of an evidence file",
    op_ids={"GET": "getEvidence"},
    path=s.EvidencePath,
    responses={200: ("The file, as its kind's media type.", {"type": "string", "format": "binary"}, MEDIA_TYPES)},
    errors=("Unauthorized", "NotFound"),
)
def evidence_content(evidence_id: int):
    found = evidence_or_404(api_user(), evidence_id)
    data, mimetype = evidence.content(found)
    return send_file(BytesIO(data), mimetype=mimetype, as_attachment=True, download_name=found.name)


@bp.route("/evidence/<int:evidence_id>", methods=["DELETE"])
@operation(
    summary="Remove an evidence file (the branch, while it may attach files there)",
    op_ids={"DELETE": "deleteEvidence"},
    path=s.EvidencePath,
    responses={204: ("Removed.", None)},
    errors=("Unauthorized", "Forbidden", "NotFound", "Conflict"),
)
def delete_evidence(evidence_id: int):
    user = api_user()
    found = evidence_or_404(user, evidence_id)
    selfcheck = found.selfcheck
    require_own_branch(user, selfcheck)
    if not can_attach(user, selfcheck, found.action_id):
        raise not_editable(selfcheck)
    try:
        evidence.remove(found, user)
    except evidence.NotEditable:
        raise not_editable(selfcheck) from None
    return current_app.response_class(status=204)


# ---------------------------------------------------------------- the review


def review_json(user: User, selfcheck: SelfCheck) -> s.Review:
    return s.Review(
        state=selfcheck.review_status,
        reviewable=can_review(user, selfcheck),
        history=[
            s.ReviewDecision(
                decision=r.decision,
                comment=r.comment,
                by=r.user.name,
                at=present.timestamp(r.at),
                comments=[s.ReviewComment(item_id=c.item_id, action_id=c.action_id, text=c.text) for c in r.comments],
            )
            for r in review_service.history(selfcheck)
        ],
    )


@bp.route("/selfchecks/<int:selfcheck_id>/review")
@operation(
    summary="The review state of a self-check and the history of its decisions",
    op_ids={"GET": "getReview"},
    path=s.SelfCheckPath,
    responses={200: ("The review.", s.Review)},
    errors=("Unauthorized", "NotFound"),
)
def review(selfcheck_id: int):
    user = api_user()
    return respond(review_json(user, selfcheck_or_404(user, selfcheck_id)))


@bp.route("/selfchecks/<int:selfcheck_id>/review", methods=["POST"])
@operation(
    summary="Approve (通过) or return (退回) a submitted self-check (leaders of its tree, administrators)",
    description="A return makes it a draft again, its answers kept, and needs a comment and an open cycle.",
    op_ids={"POST": "reviewSelfCheck"},
    path=s.SelfCheckPath,
    body=s.ReviewBody,
    responses={
        200: ("Decided: the review.", s.Review),
        409: ("Not awaiting review (`not_submitted`), or its cycle is closed (`cycle_closed`).", s.Error),
    },
    errors=("BadRequest", "Unauthorized", "Forbidden", "NotFound"),
)
def review_selfcheck(selfcheck_id: int, body: s.ReviewBody):
    user = api_user()
    selfcheck = selfcheck_or_404(user, selfcheck_id)
    if user.role not in ("leader", "admin"):
        raise forbidden()
    if not selfcheck.submitted:
        raise ApiError(409, "not_submitted", _("This self-check is no longer awaiting review."))
    comment = body.comment.strip()
    if body.decision == RETURNED and not comment:
        raise bad_request({"comment": _("Say what the branch should change: a returned self-check needs a comment.")})
    item_comments = {k: v.strip() for k, v in body.item_comments.items() if v.strip()}
    unknown = set(item_comments) - set(service.questionnaire_of(selfcheck).items)
    if unknown:
        raise bad_request({key: _("This question is not part of the questionnaire.") for key in sorted(unknown)})
    try:
        review_service.review(
            selfcheck,
            user,
            body.decision,
            comment,
            item_comments,
            {k: v.strip() for k, v in body.action_comments.items()},
        )
    except review_service.NotReviewable:
        if selfcheck.submitted:
            raise ApiError(409, "cycle_closed", _("This cycle is closed.")) from None
        raise ApiError(409, "not_submitted", _("This self-check is no longer awaiting review.")) from None
    return respond(review_json(user, selfcheck))
