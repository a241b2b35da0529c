"""The OpenAPI 3.1 document of /api/v1, built once as a dict; the tests run schemathesis against it."""

from __future__ import annotations

from functools import cache

from ..models import ORG_KINDS
from ..selfcheck.service import MAX_SEQ

MAX_ID = 2**31 - 1


def ref(name: str) -> dict:
    return {"$ref": f"#/components/schemas/{name}"}


def nullable(schema: dict) -> dict:
    return {"anyOf": [schema, {"type": "null"}]}


def obj(properties: dict, required: list[str] | None = None, **extra) -> dict:
    return {
        "type": "object",
        "properties": properties,
        "required": list(properties) if required is None else required,
        **extra,
    }


def json_response(description: str, schema: dict) -> dict:
    return {"description": description, "content": {"application/json": {"schema": schema}}}


def error(name: str) -> dict:
    return {"$ref": f"#/components/responses/{name}"}


NUMBER_OR_NULL = {"type": ["number", "null"]}
TWO_COUNTS = {"type": "array", "items": {"type": "integer"}, "minItems": 2, "maxItems": 2}
ANSWER_VALUE = {"anyOf": [{"type": ["string", "number", "boolean"]}, TWO_COUNTS]}
ANSWER_OR_NULL = {"anyOf": [{"type": ["string", "number", "boolean", "null"]}, TWO_COUNTS]}
CONDITION_VALUE = {
    "anyOf": [{"type": ["string", "number", "boolean"]}, {"type": "array", "items": {"type": "string"}}],
    "description": 'The value compared; "n/a" for a not-applicable answer; for `mentions`, the words looked for.',
}

SCHEMAS = {
    "Error": obj(
        {
            "error": obj(
                {
                    "code": {"type": "string", "description": "Stable, for programs: e.g. `not_found`, `incomplete`."},
                    "message": {"type": "string", "description": "In the user's language."},
                    "fields": {
                        "type": "object",
                        "additionalProperties": {"type": "string"},
                        "description": "Field (body key, query parameter or question id) → what is wrong with it.",
                    },
                }
            )
        }
    ),
    "Text": obj({"zh": {"type": "string"}, "en": {"type": "string"}}, description="A text in both languages."),
    "Reference": obj(
        {
            "source": {"type": "string"},
            "passage": {"type": "string", "description": "Verbatim from the source, OCR errors included: for tracing."},
            "quote": {**ref("Text"), "description": "What to show: the passage corrected, and its translation."},
        }
    ),
    "Level": obj(
        {"id": {"type": "string"}, "min": {"type": "number"}, "name": ref("Text"), "description": ref("Text")}
    ),
    "LevelRef": obj({"id": {"type": "string"}, "name": ref("Text")}),
    "Item": obj(
        {
            "id": {"type": "string"},
            "pillar": {"type": "string"},
            "type": {"type": "string", "enum": ["scale", "yesno", "count", "percent", "text"]},
            "weight": {"type": "number"},
            "scored": {"type": "boolean"},
            "text": ref("Text"),
            "help": nullable(ref("Text")),
            "ref": ref("Reference"),
            "levels": {
                "type": "array",
                "items": ref("Text"),
                "description": "scale: what each point 1–5 means.",
            },
            "thresholds": {"type": "array", "items": {"type": "integer"}, "description": "count: 25 points each."},
            "max": {"type": "integer", "description": "count: the largest answer."},
            "unit": ref("Text"),
            "zero_at": {"type": "number", "description": "percent: scores 0 at or below."},
            "full_at": {"type": "number", "description": "percent: scores 100 at or above."},
            "counts": nullable(
                obj(
                    {"part": ref("Text"), "whole": ref("Text")},
                    description="percent: entered as these two counts, the part and the whole.",
                )
            ),
            "lead": {"type": ["string", "null"], "description": "Who leads actions on it: a key of `leads`."},
            "not_applicable": {"type": "boolean", "description": 'Whether "n/a" (not applicable) is an answer.'},
        },
        required=["id", "pillar", "type", "weight", "scored", "text", "help", "ref", "lead", "not_applicable"],
        description=(
            'Answers by type — scale: a whole number 1–5; yesno: true/false (or "yes"/"no"); count: a whole '
            "number 0–max; percent: a number 0–100, or for an item with `counts` the two counts as [part, whole] "
            '(or "part/whole"), the part not larger than the whole; text: a string of at most 4000 characters. '
            'Where `not_applicable` is true, "n/a" answers "not applicable": answered, left out of every mean. '
            "An empty string or null clears an answer."
        ),
    ),
    "Pillar": obj(
        {
            "id": {"type": "string"},
            "weight": {"type": "number"},
            "name": ref("Text"),
            "description": ref("Text"),
            "levels": {
                "type": "array",
                "items": ref("Text"),
                "description": "What each maturity level means for this pillar (empty if the version has none).",
            },
            "items": {"type": "array", "items": ref("Item")},
        }
    ),
    "Questionnaire": obj(
        {
            "version": {"type": "string"},
            "title": ref("Text"),
            "sources": {"type": "object", "additionalProperties": ref("Text")},
            "leads": {"type": "object", "additionalProperties": ref("Text"), "description": "Who leads an action."},
            "timeframes": {"type": "object", "additionalProperties": ref("Text")},
            "levels": {"type": "array", "items": ref("Level")},
            "pillars": {"type": "array", "items": ref("Pillar")},
            "flags": {
                "type": "array",
                "items": obj(
                    {
                        "id": {"type": "string"},
                        "when": {
                            "type": "array",
                            "items": obj(
                                {"item": {"type": "string"}, "op": {"type": "string"}, "value": CONDITION_VALUE}
                            ),
                        },
                        "text": ref("Text"),
                    }
                ),
            },
            "suggestions": {
                "type": "array",
                "items": obj(
                    {
                        "id": {"type": "string"},
                        "item": {"type": ["string", "null"]},
                        "pillar": {"type": "string"},
                        "below": {"type": "number"},
                        "covers": {
                            "type": "array",
                            "items": {"type": "string"},
                            "description": "A pillar's advice: its items; it fires only while none is done.",
                        },
                        "lead": {"type": ["string", "null"]},
                        "timeframe": {"type": "string", "description": "A key of `timeframes`."},
                        "text": ref("Text"),
                        "ref": ref("Reference"),
                    }
                ),
            },
        }
    ),
    "Cycle": obj(
        {
            "year": {"type": "integer"},
            "questionnaire_version": {"type": "string"},
            "opens_on": {"type": "string", "format": "date"},
            "closes_on": {"type": "string", "format": "date"},
            "open": {"type": "boolean"},
        }
    ),
    "Organisation": obj(
        {
            "id": {"type": "integer"},
            "code": {"type": "string"},
            "name": {"type": "string"},
            "kind": {"type": "string", "enum": list(ORG_KINDS)},
            "parent": {"type": ["string", "null"], "description": "The parent's code."},
        }
    ),
    "User": obj(
        {
            "username": {"type": "string"},
            "name": {"type": "string"},
            "role": {"type": "string", "enum": ["branch", "leader", "trainer", "admin"]},
            "locale": {"type": ["string", "null"]},
            "organisation": ref("Organisation"),
        }
    ),
    "SelfCheckSummary": obj(
        {
            "id": {"type": "integer"},
            "year": {"type": "integer"},
            "organisation": ref("Organisation"),
            "status": {"type": "string", "enum": ["draft", "submitted"]},
            "score": {**NUMBER_OR_NULL, "description": "Stored at submission; null for a draft."},
            "level": {"type": ["string", "null"], "description": "Maturity level id, stored at submission."},
            "revision": {"type": "integer"},
            "updated_at": {"type": "string", "format": "date-time"},
            "submitted_at": {"type": ["string", "null"], "format": "date-time"},
        }
    ),
    "SelfCheck": {
        "allOf": [
            ref("SelfCheckSummary"),
            obj(
                {
                    "questionnaire_version": {"type": "string"},
                    "editable": {"type": "boolean", "description": "Whether the caller may save answers now."},
                    "answered": {"type": "integer"},
                    "total": {"type": "integer"},
                    "answers": {"type": "object", "additionalProperties": ANSWER_VALUE},
                }
            ),
        ]
    },
    "SaveOutcome": obj(
        {
            "saved": {"type": "array", "items": {"type": "string"}, "description": "Question ids written or cleared."},
            "stale": {
                "type": "array",
                "items": {"type": "string"},
                "description": "Question ids not written: a save of this token with a higher `seq` wrote them already.",
            },
            "answered": {"type": "integer"},
            "total": {"type": "integer"},
            "revision": {"type": "integer"},
        }
    ),
    "SaveError": {"allOf": [ref("Error"), ref("SaveOutcome")]},
    "SaveConflict": {
        "allOf": [
            ref("Error"),
            {
                "type": "object",
                "description": "A conflict also carries what the save did, and the other versions.",
                "properties": {
                    **{
                        key: {"$ref": f"#/components/schemas/SaveOutcome/properties/{key}"}
                        for key in ("saved", "stale", "answered", "total", "revision")
                    },
                    "conflicts": {
                        "type": "object",
                        "additionalProperties": obj(
                            {
                                "theirs": ANSWER_OR_NULL,
                                "by": {"type": ["string", "null"]},
                                "at": {"type": ["string", "null"], "format": "date-time"},
                            }
                        ),
                    },
                },
            },
        ]
    },
    "Suggestion": obj(
        {
            "id": {"type": "string"},
            "pillar": {"type": "string"},
            "item": {"type": ["string", "null"], "description": "null for advice on the whole pillar."},
            "score": {"type": "number", "description": "The item's (pillar's) score now."},
            "target": {"type": "number", "description": "Its score one realistic step up."},
            "gain": {
                "type": "number",
                "description": "Overall points that step is worth: the item's share of the overall × (target − score).",
            },
            "priority": {"type": "boolean", "description": "One of the top three actions."},
            "shown": {
                "type": "string",
                "enum": ["priority", "pillar", "more"],
                "description": "A top-three action; one of at most three more per pillar; or one of the rest.",
            },
            "lead": {"type": "string", "description": "Who leads it: a key of the questionnaire's `leads`."},
            "timeframe": ref("Text"),
            "trigger": {**ANSWER_OR_NULL, "description": "The answer that triggered it; null for a pillar's advice."},
            "text": ref("Text"),
            "ref": ref("Reference"),
        }
    ),
    "Position": obj(
        {
            "score": {"type": "number"},
            "percentile": {
                "type": "number",
                "description": "0–100: the share of the other branches scoring lower, ties counting half.",
            },
            "quartile": {"type": "integer", "minimum": 1, "maximum": 4, "description": "4 = the top quarter."},
            "peers": {
                "type": "integer",
                "description": "Other branches compared (at least three; only once the cycle has closed).",
            },
        }
    ),
    "PeerPosition": obj(
        {
            "overall": nullable(ref("Position")),
            "pillars": {"type": "object", "additionalProperties": ref("Position")},
        },
        description=(
            "Where a submitted self-check stands among the submitted branches of the same cycle under the same "
            "committee, naming none of them; null for a draft or with fewer than three such branches."
        ),
    ),
    "Result": obj(
        {
            "selfcheck_id": {"type": "integer"},
            "year": {"type": "integer"},
            "organisation": ref("Organisation"),
            "status": {"type": "string", "enum": ["draft", "submitted"]},
            "provisional": {"type": "boolean", "description": "A draft's scores, not final."},
            "complete": {"type": "boolean"},
            "score": NUMBER_OR_NULL,
            "level": nullable(ref("LevelRef")),
            "pillars": {
                "type": "array",
                "items": obj(
                    {
                        "id": {"type": "string"},
                        "name": ref("Text"),
                        "score": NUMBER_OR_NULL,
                        "level": nullable(ref("LevelRef")),
                        "level_text": nullable(ref("Text")),
                        "missing": {"type": "array", "items": {"type": "string"}},
                        "items": {
                            "type": "array",
                            "items": obj(
                                {
                                    "id": {"type": "string"},
                                    "value": ANSWER_OR_NULL,
                                    "score": NUMBER_OR_NULL,
                                    "answered": {"type": "boolean"},
                                    "not_applicable": {"type": "boolean"},
                                }
                            ),
                        },
                    }
                ),
            },
            "missing": {"type": "array", "items": {"type": "string"}, "description": "Unanswered scored questions."},
            "flags": {"type": "array", "items": obj({"id": {"type": "string"}, "text": ref("Text")})},
            "suggestions": {
                "type": "array",
                "items": ref("Suggestion"),
                "description": "The top three, then per pillar at most three more, then the rest (`shown`).",
            },
            "change_since_last_year": nullable(
                obj(
                    {
                        "year": {"type": "integer"},
                        "selfcheck_id": {"type": "integer"},
                        "score": NUMBER_OR_NULL,
                        "overall": NUMBER_OR_NULL,
                        "pillars": {"type": "object", "additionalProperties": NUMBER_OR_NULL},
                    }
                )
            ),
            "peer_position": nullable(ref("PeerPosition")),
        }
    ),
}

RESPONSES = {
    "BadRequest": json_response("The request is malformed (`bad_request`): `fields` names what.", ref("Error")),
    "Unauthorized": json_response(
        "No token, or a token that is unknown, expired or revoked (`authentication_required`, `invalid_token`, "
        "`token_expired`, `token_revoked`).",
        ref("Error"),
    ),
    "Forbidden": json_response("Visible to you, but the action is not yours to take (`forbidden`).", ref("Error")),
    "NotFound": json_response("No such object, or not visible to you (`not_found`).", ref("Error")),
    "Conflict": json_response(
        "The self-check cannot change: submitted (`already_submitted`) or its cycle closed (`cycle_closed`).",
        ref("Error"),
    ),
}

SELFCHECK_ID = {
    "name": "selfcheck_id",
    "in": "path",
    "required": True,
    "schema": {"type": "integer", "minimum": 1, "maximum": MAX_ID},
}
YEAR_QUERY = {"name": "year", "in": "query", "schema": {"type": "integer", "minimum": 0, "maximum": 9999}}


def operation(summary: str, op_id: str, responses: dict, *, errors=("Unauthorized",), **extra) -> dict:
    status_names = {
        "BadRequest": "400",
        "Unauthorized": "401",
        "Forbidden": "403",
        "NotFound": "404",
        "Conflict": "409",
    }
    return {
        "summary": summary,
        "operationId": op_id,
        "responses": {**responses, **{status_names[name]: error(name) for name in errors}},
        **extra,
    }


PATHS = {
    "/openapi.json": {
        "get": operation(
            "This document",
            "openapi",
            {"200": json_response("The OpenAPI 3.1 document.", {"type": "object"})},
            errors=(),
            security=[],
        )
    },
    "/me": {"get": operation("The user the token belongs to", "me", {"200": json_response("The user.", ref("User"))})},
    "/cycles": {
        "get": operation(
            "The self-check cycles, newest first",
            "listCycles",
            {"200": json_response("The cycles.", obj({"cycles": {"type": "array", "items": ref("Cycle")}}))},
        )
    },
    "/cycles/{year}/questionnaire": {
        "get": operation(
            "The whole questionnaire of a cycle, in both languages",
            "getQuestionnaire",
            {"200": json_response("The questionnaire definition.", ref("Questionnaire"))},
            errors=("Unauthorized", "NotFound"),
            parameters=[
                {
                    "name": "year",
                    "in": "path",
                    "required": True,
                    "schema": {"type": "integer", "minimum": 0, "maximum": 9999},
                }
            ],
        )
    },
    "/organisations": {
        "get": operation(
            "The organisations you may see (a branch user: their own branch)",
            "listOrganisations",
            {
                "200": json_response(
                    "The organisations, in tree order.",
                    obj({"organisations": {"type": "array", "items": ref("Organisation")}}),
                )
            },
            errors=("BadRequest", "Unauthorized", "NotFound"),
            parameters=[
                {
                    "name": "root",
                    "in": "query",
                    "schema": {"type": "string"},
                    "description": "Only this organisation's subtree (its code).",
                },
                {"name": "kind", "in": "query", "schema": {"type": "string", "enum": list(ORG_KINDS)}},
            ],
        )
    },
    "/selfchecks": {
        "get": operation(
            "The self-checks you may see, newest cycle first",
            "listSelfChecks",
            {
                "200": json_response(
                    "The self-checks.", obj({"selfchecks": {"type": "array", "items": ref("SelfCheckSummary")}})
                )
            },
            errors=("BadRequest", "Unauthorized", "NotFound"),
            parameters=[
                YEAR_QUERY,
                {
                    "name": "org",
                    "in": "query",
                    "schema": {"type": "string"},
                    "description": "Only self-checks in this organisation's subtree (its code).",
                },
            ],
        ),
        "post": operation(
            "Start your branch's self-check of a year (branch users; idempotent)",
            "startSelfCheck",
            {
                "200": json_response("It existed already.", ref("SelfCheck")),
                "201": json_response("Started.", ref("SelfCheck")),
            },
            errors=("BadRequest", "Unauthorized", "Forbidden", "NotFound", "Conflict"),
            requestBody={
                "required": True,
                "content": {
                    "application/json": {"schema": obj({"year": {"type": "integer", "minimum": 0, "maximum": 9999}})}
                },
            },
        ),
    },
    "/selfchecks/{selfcheck_id}": {
        "get": operation(
            "A self-check with its answers",
            "getSelfCheck",
            {"200": json_response("The self-check.", ref("SelfCheck"))},
            errors=("Unauthorized", "NotFound"),
            parameters=[SELFCHECK_ID],
        )
    },
    "/selfchecks/{selfcheck_id}/answers": {
        method: operation(
            "Save draft answers (the pages' autosave uses the same path)",
            op_id,
            {
                "200": json_response("Saved.", ref("SaveOutcome")),
                "409": json_response(
                    "Submitted (`already_submitted`), cycle closed (`cycle_closed`), or, with `base`, answers "
                    "someone else changed meanwhile (`conflict`): those were kept, the others saved.",
                    ref("SaveConflict"),
                ),
                "422": json_response(
                    "Some answers are invalid (`invalid_answers`, in `fields` by question id); the valid ones "
                    "were saved all the same.",
                    ref("SaveError"),
                ),
            },
            errors=("BadRequest", "Unauthorized", "Forbidden", "NotFound"),
            parameters=[SELFCHECK_ID],
            description=(
                "`answers` maps question ids to values (see `Item`); an empty string or null clears an answer. "
                "`seq` counts the saves made with your token (1, 2, 3, …; at most 2147483647, so a clock "
                "reading is refused): an answer this token last wrote with a higher number is not overwritten "
                "and is listed in `stale`. Numbers of different writers (another token, a page) are never "
                "compared: between writers, `base` decides. `base`, optional, maps question ids to the values "
                "you last read: where the stored answer is no longer that and differs from yours, it is kept "
                "and returned in `conflicts` (409). A save with neither `seq` nor `base` always applies."
            ),
            requestBody={
                "required": True,
                "content": {
                    "application/json": {
                        "schema": obj(
                            {
                                "answers": {
                                    "type": "object",
                                    "maxProperties": 200,
                                    "additionalProperties": ANSWER_OR_NULL,
                                },
                                "seq": {"type": "integer", "minimum": 0, "maximum": MAX_SEQ},
                                "base": {"type": "object", "additionalProperties": ANSWER_OR_NULL},
                            },
                            required=["answers"],
                        )
                    }
                },
            },
        )
        for method, op_id in (("patch", "saveAnswers"), ("post", "saveAnswersPost"))
    },
    "/selfchecks/{selfcheck_id}/submit": {
        "post": operation(
            "Submit a complete draft; it becomes read-only",
            "submitSelfCheck",
            {
                "200": json_response("Submitted: the result.", ref("Result")),
                "422": json_response(
                    "Not complete (`incomplete`): the unanswered question ids are in `fields`.", ref("Error")
                ),
            },
            errors=("Unauthorized", "Forbidden", "NotFound", "Conflict"),
            parameters=[SELFCHECK_ID],
        )
    },
    "/selfchecks/{selfcheck_id}/result": {
        "get": operation(
            "Scores, levels, flags and ranked suggestions (provisional for a draft)",
            "getResult",
            {"200": json_response("The result.", ref("Result"))},
            errors=("Unauthorized", "NotFound"),
            parameters=[SELFCHECK_ID],
        )
    },
    "/selfchecks/{selfcheck_id}/report.pdf": {
        "get": operation(
            "The diagnostic report as a PDF",
            "getReport",
            {
                "200": {
                    "description": "The PDF.",
                    "content": {"application/pdf": {"schema": {"type": "string", "format": "binary"}}},
                }
            },
            errors=("BadRequest", "Unauthorized", "NotFound"),
            parameters=[
                SELFCHECK_ID,
                {
                    "name": "lang",
                    "in": "query",
                    "schema": {"type": "string", "enum": ["zh", "en", "bilingual"], "default": "bilingual"},
                },
            ],
        )
    },
}


@cache
def openapi_document() -> dict:
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "Branch self-check API",
            "version": "1",
            "description": (
                "Read questionnaires, fill in and submit self-checks, read results and reports. Authenticate "
                "with a personal API token (`Authorization: Bearer <token>`), made on the page /account/tokens "
                "or with `flask --app wsgi create-token`. The access rules are those of the web pages: what you "
                'may not see answers 404. Every error is JSON: `{"error": {"code", "message", "fields"}}`, '
                "with the message in your language (your saved choice, else Accept-Language)."
            ),
        },
        "servers": [{"url": "/api/v1"}],
        "security": [{"bearerAuth": []}],
        "paths": PATHS,
        "components": {
            "schemas": SCHEMAS,
            "responses": RESPONSES,
            "securitySchemes": {"bearerAuth": {"type": "http", "scheme": "bearer"}},
        },
    }
