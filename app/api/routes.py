"""The JSON API, /api/v1. Each view: authenticate (before_request) → load with the pages' access
rules → validate → call the same service as the pages → answer JSON."""

from __future__ import annotations

import math
from io import BytesIO

from flask import Blueprint, current_app, g, jsonify, request, send_file, url_for
from flask_babel import gettext as _
from sqlalchemy import select
from sqlalchemy.orm import contains_eager
from werkzeug.exceptions import HTTPException, MethodNotAllowed

from forms.selfcheck import answer_error_message

from .. import audit
from ..access import can_edit, can_view_org, get_selfcheck_or_404, subtree_filter
from ..comparison.peers import peer_position
from ..extensions import csrf, db
from ..models import ORG_KINDS, Cycle, Organisation, SelfCheck, User
from ..reports.service import report_filename, report_for
from ..reports.viewmodel import MODES
from ..selfcheck import service
from . import errors, present
from .auth import api_user, authenticate
from .errors import ApiError
from .openapi import openapi_document

bp = Blueprint("api", __name__, url_prefix="/api/v1")
csrf.exempt(bp)  # tokens, not cookies, authenticate the API
errors.register(bp)

MAX_ANSWERS = 200
MAX_SEQ = 2**62
PUBLIC = {"api.openapi"}


@bp.before_request
def require_token():
    if request.endpoint not in PUBLIC:
        g.api_user = authenticate()


@bp.after_request
def no_store(response):
    response.headers.setdefault("Cache-Control", "no-store")
    return response


# ---------------------------------------------------------------- helpers


def not_found() -> ApiError:
    return ApiError(404, "not_found", _("Not found, or not visible to you."))


def forbidden() -> ApiError:
    return ApiError(403, "forbidden", _("You may not do this."))


def bad_request(fields: dict, message: str | None = None) -> ApiError:
    return ApiError(400, "bad_request", message or _("The request could not be read."), fields)


def year_arg(name: str) -> int | None:
    raw = request.args.get(name)
    if raw is None or raw == "":
        return None
    try:
        value = int(raw)
    except ValueError:
        value = None
    if value is None or not 0 <= value < 10_000:
        raise bad_request({name: _("Expected a year, a whole number such as 2026.")})
    return value


def json_body() -> dict:
    payload = request.get_json(force=True, silent=True)
    if not isinstance(payload, dict):
        raise bad_request({}, _("The body must be a JSON object."))
    return payload


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


def whole_number(value) -> int | None:
    """A JSON whole number (JSON Schema counts 2026.0 as an integer too); None for anything else."""
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, int) and not isinstance(value, bool):
        return value
    return None


def answer_value(value):
    """A JSON answer value as the questionnaire parses it: a scalar, or a pair of them (the two
    counts of a percentage); ValueError for any other list or an object.

    A number no float holds exactly (or not at all: 1e400, NaN) goes on as text, which the
    questionnaire then rejects with its own message.
    """
    if value is None or isinstance(value, str | bool):
        return value
    if isinstance(value, list) and len(value) == 2 and not any(isinstance(v, list | dict) for v in value):
        return [answer_value(v) for v in value]
    if isinstance(value, int):
        return value if abs(value) < 10**15 else str(value)
    if isinstance(value, float):
        return value if math.isfinite(value) and abs(value) < 1e15 else str(value)
    raise ValueError(value)


def answer_values(raw: dict) -> tuple[dict, list]:
    """The readable values of `raw` (see `answer_value`), and the keys of the others."""
    values, unreadable = {}, []
    for key, value in raw.items():
        try:
            values[key] = answer_value(value)
        except ValueError:
            unreadable.append(key)
    return values, unreadable


# ---------------------------------------------------------------- documents


@bp.route("/openapi.json")
def openapi():
    return jsonify(openapi_document())


@bp.route("/me")
def me():
    return jsonify(present.user(api_user()))


@bp.route("/cycles")
def cycles():
    rows = db.session.scalars(select(Cycle).order_by(Cycle.year.desc()))
    return jsonify(cycles=[present.cycle(c) for c in rows])


@bp.route("/cycles/<int:year>/questionnaire")
def questionnaire(year: int):
    cycle = cycle_or_404(year)
    return jsonify(present.questionnaire(cycle.questionnaire_version))


@bp.route("/organisations")
def organisations():
    """The organisations the caller may see, optionally one subtree (`root`) and one kind."""
    user = api_user()
    query = select(Organisation).where(subtree_filter(user))
    if user.role == "branch":
        query = query.where(Organisation.id == user.organisation_id)
    root = request.args.get("root")
    if root:
        query = query.where(Organisation.in_subtree(visible_org(user, root).path))
    kind = request.args.get("kind")
    if kind:
        if kind not in ORG_KINDS:
            raise bad_request({"kind": _("Expected one of: %(choices)s.", choices=", ".join(ORG_KINDS))})
        query = query.where(Organisation.kind == kind)
    rows = db.session.scalars(query.order_by(Organisation.path))
    return jsonify(organisations=[present.organisation(org) for org in rows])


# ---------------------------------------------------------------- self-checks


@bp.route("/selfchecks")
def selfchecks():
    """The self-checks the caller may see, newest cycle first, optionally one year and one subtree (`org`)."""
    user = api_user()
    year = year_arg("year")
    query = (
        select(SelfCheck)
        .join(Organisation, SelfCheck.organisation_id == Organisation.id)
        .join(Cycle, SelfCheck.cycle_id == Cycle.id)
        .options(contains_eager(SelfCheck.organisation))
        .where(subtree_filter(user))
    )
    if user.role == "branch":
        query = query.where(Organisation.id == user.organisation_id)
    if year is not None:
        query = query.where(Cycle.year == year)
    code = request.args.get("org")
    if code:
        query = query.where(Organisation.in_subtree(visible_org(user, code).path))
    rows = db.session.scalars(query.order_by(Cycle.year.desc(), Organisation.path))
    return jsonify(selfchecks=[present.selfcheck_summary(sc) for sc in rows])


@bp.route("/selfchecks", methods=["POST"])
def start_selfcheck():
    """A branch user starts (or finds) their branch's self-check of a year: 201 when created, 200 when it existed."""
    user = api_user()
    if user.role != "branch":
        raise forbidden()
    year = whole_number(json_body().get("year"))
    if year is None:
        raise bad_request({"year": _("Expected a year, a whole number such as 2026.")})
    cycle = cycle_or_404(year)
    existing = db.session.scalar(
        select(SelfCheck).where(SelfCheck.organisation_id == user.organisation_id, SelfCheck.cycle_id == cycle.id)
    )
    if existing is None and not cycle.is_open():
        raise ApiError(409, "cycle_closed", _("This cycle is closed."))
    selfcheck = existing or service.start_selfcheck(user.organisation, cycle)
    response = jsonify(selfcheck_json(user, selfcheck))
    if existing is None:
        response.status_code = 201
        response.headers["Location"] = url_for(".selfcheck", selfcheck_id=selfcheck.id)
    return response


def selfcheck_json(user: User, selfcheck: SelfCheck) -> dict:
    return present.selfcheck(selfcheck, service.typed_answers(selfcheck), editable=can_edit(user, selfcheck))


@bp.route("/selfchecks/<int:selfcheck_id>")
def selfcheck(selfcheck_id: int):
    user = api_user()
    return jsonify(selfcheck_json(user, selfcheck_or_404(user, selfcheck_id)))


@bp.route("/selfchecks/<int:selfcheck_id>/answers", methods=["PATCH", "POST"])
def save_answers(selfcheck_id: int):
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
    payload = json_body()
    answers, raw_seq, base = payload.get("answers"), payload.get("seq"), payload.get("base")
    if not isinstance(answers, dict) or len(answers) > MAX_ANSWERS:
        raise bad_request({"answers": _("Expected an object of at most %(n)d answers by question id.", n=MAX_ANSWERS)})
    seq = whole_number(raw_seq) if raw_seq is not None else None
    if raw_seq is not None and (seq is None or not 0 <= seq < MAX_SEQ):
        raise bad_request({"seq": _("Expected a whole number from 0 to %(max)s.", max=MAX_SEQ - 1)})
    base_values, base_unreadable = answer_values(base) if isinstance(base, dict) else ({}, base is not None)
    if base_unreadable:
        raise bad_request({"base": _("Expected an object of the answers as you last saw them, by question id.")})
    answers, unreadable = answer_values(answers)
    try:
        outcome = service.save_answers(
            selfcheck, answers, user, seq=seq, base=base_values if base is not None else None
        )
    except service.NotEditable:
        raise not_editable(selfcheck) from None
    db.session.refresh(selfcheck)
    body = {
        "saved": outcome.saved,
        "stale": outcome.stale,
        "answered": outcome.answered,
        "total": len(service.questionnaire_of(selfcheck).items),
        "revision": selfcheck.revision,
    }
    fields = {key: _("This answer could not be read.") for key in unreadable}
    fields.update((key, answer_error_message(err)) for key, err in outcome.errors.items())
    if outcome.conflicts:
        raise ApiError(
            409,
            "conflict",
            _("Someone else changed some answers meanwhile. Both versions are shown: save again to keep yours."),
            {**fields, **{key: _("Changed meanwhile by someone else.") for key in outcome.conflicts}},
            conflicts={
                key: {"theirs": c.theirs, "by": c.by, "at": present.timestamp(c.at)}
                for key, c in outcome.conflicts.items()
            },
            **body,
        )
    if fields:
        raise ApiError(422, "invalid_answers", _("Some answers need correcting; the others are saved."), fields, **body)
    return jsonify(body)


@bp.route("/selfchecks/<int:selfcheck_id>/submit", methods=["POST"])
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
    return jsonify(result_json(selfcheck))


def result_json(selfcheck: SelfCheck) -> dict:
    previous = service.previous_selfcheck(selfcheck)
    return present.result(
        selfcheck,
        service.result_of(selfcheck),
        previous,
        service.result_of(previous) if previous else None,
        peer_position(selfcheck),
    )


@bp.route("/selfchecks/<int:selfcheck_id>/result")
def result(selfcheck_id: int):
    return jsonify(result_json(selfcheck_or_404(api_user(), selfcheck_id)))


@bp.route("/selfchecks/<int:selfcheck_id>/report.pdf")
def report(selfcheck_id: int):
    selfcheck = selfcheck_or_404(api_user(), selfcheck_id)
    lang = request.args.get("lang", "bilingual")
    if lang not in MODES:
        raise bad_request({"lang": _("Expected one of: %(choices)s.", choices=", ".join(MODES))})
    pdf = report_for(selfcheck, lang)
    audit.record("report_download", api_user(), report_filename(selfcheck, lang))
    db.session.commit()
    return send_file(
        BytesIO(pdf), mimetype="application/pdf", as_attachment=True, download_name=report_filename(selfcheck, lang)
    )


METHODS = ("GET", "POST", "PUT", "PATCH", "DELETE")


@bp.route("/", defaults={"path": ""}, methods=METHODS, strict_slashes=False)
@bp.route("/<path:path>", methods=METHODS)
def unknown(path: str):
    """Any other URL or method under /api/v1 answers JSON (404 or 405), not the pages' HTML."""
    adapter = current_app.create_url_adapter(request)
    allowed = []
    for method in METHODS:
        try:
            endpoint, _args = adapter.match(request.path, method=method)
        except HTTPException:
            continue
        if endpoint != "api.unknown":
            allowed.append(method)
    if allowed:
        raise MethodNotAllowed(valid_methods=allowed)
    raise not_found()
