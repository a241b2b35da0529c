"""The OpenAPI 3.1 document of /api/v1, made from the API's own declarations: each view's
`Operation` (`routes.py`) and the pydantic models it names (`schemas.py`). Pydantic writes JSON
Schema 2020-12, the dialect of OpenAPI 3.1, so the models' schemas go in as they are.

The document is made once per set of item types (a type registered later is described too);
the tests run schemathesis against it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cache

from flask import current_app
from pydantic import BaseModel
from pydantic.json_schema import GenerateJsonSchema, models_json_schema

from app.assessment.items import ITEM_TYPES

from .schemas import Error

PREFIX = "/api/v1"
REF = "#/components/schemas/{model}"
ERRORS = {  # the error answers operations share: name → (status, description)
    "BadRequest": ("400", "The request is malformed (`bad_request`): `fields` names what."),
    "Unauthorized": (
        "401",
        "No token, or a token that is unknown, expired or revoked, or of a disabled account "
        "(`authentication_required`, `invalid_token`, `token_expired`, `token_revoked`, `account_disabled`).",
    ),
    "Forbidden": ("403", "Visible to you, but the action is not yours to take (`forbidden`)."),
    "NotFound": ("404", "No such object, or not visible to you (`not_found`)."),
    "Conflict": (
        "409",
        "The self-check cannot change: submitted (`already_submitted`) or its cycle closed (`cycle_closed`).",
    ),
}
DESCRIPTION = (
    "Read questionnaires, fill in and submit self-checks, read results and reports. Authenticate "
    "with a personal API token (`Authorization: Bearer <token>`), made on the page /account/tokens "
    "or with `flask --app wsgi create-token`. The access rules are those of the web pages: what you "
    'may not see answers 404. Every error is JSON: `{"error": {"code", "message", "fields"}}`, '
    "with the message in your language (your saved choice, else Accept-Language)."
)


@dataclass(frozen=True)
class Operation:
    """What one view does, as the document says it: `responses` maps a status to (description,
    a model, a tuple of models (any one) or a JSON schema[, media type]); `errors` names shared
    error answers (`ERRORS`)."""

    summary: str
    op_ids: dict[str, str]  # HTTP method → operationId
    responses: dict[int, tuple]
    errors: tuple[str, ...] = ("Unauthorized",)
    description: str | None = None
    path: type[BaseModel] | None = None
    query: type[BaseModel] | None = None
    body: type[BaseModel] | None = None
    public: bool = False  # no token needed


class Schema(GenerateJsonSchema):
    """Pydantic's schemas without a title on every property."""

    def field_title_should_be_set(self, schema) -> bool:
        return False


def openapi_document() -> dict:
    return document(tuple(ITEM_TYPES))


@cache
def document(item_types: tuple[str, ...]) -> dict:
    """The document, for the item types registered now (`item_types` keys the cache)."""
    operations = []
    for rule in current_app.url_map.iter_rules():
        op = getattr(current_app.view_functions[rule.endpoint], "operation", None)
        if op is not None:
            operations.append((rule, op))
    bodies = {op.body for _, op in operations if op.body is not None}
    answers = {model for _, op in operations for response in op.responses.values() for model in models_in(response[1])}
    _, definitions = models_json_schema(
        [(model, "validation") for model in bodies] + [(model, "serialization") for model in answers | {Error}],
        ref_template=REF,
        schema_generator=Schema,
    )
    paths = {}
    for rule, op in sorted(operations, key=lambda pair: pair[0].rule):
        path = re.sub(r"<(?:\w+:)?(\w+)>", r"{\1}", rule.rule.removeprefix(PREFIX))
        for method, op_id in op.op_ids.items():
            paths.setdefault(path, {})[method.lower()] = operation_object(op, op_id)
    return {
        "openapi": "3.1.0",
        "info": {"title": "Branch self-check API", "version": "1", "description": DESCRIPTION},
        "servers": [{"url": PREFIX}],
        "security": [{"bearerAuth": []}],
        "paths": paths,
        "components": {
            "schemas": definitions["$defs"],
            "responses": {name: content(description, Error) for name, (_, description) in ERRORS.items()},
            "securitySchemes": {"bearerAuth": {"type": "http", "scheme": "bearer"}},
        },
    }


def models_in(answer) -> list[type[BaseModel]]:
    """The models a response names: one, or a tuple of them (any one of which it is)."""
    if isinstance(answer, tuple):
        return list(answer)
    return [answer] if isinstance(answer, type) and issubclass(answer, BaseModel) else []


def schema_of(answer) -> dict:
    """A response's or body's schema: a model's reference, any of several models, or a JSON schema as it is."""
    if isinstance(answer, tuple):
        return {"anyOf": [schema_of(model) for model in answer]}
    if isinstance(answer, type) and issubclass(answer, BaseModel):
        return {"$ref": REF.format(model=answer.__name__)}
    return answer


def content(description: str, model_or_schema, media_type: str = "application/json") -> dict:
    return {"description": description, "content": {media_type: {"schema": schema_of(model_or_schema)}}}


def parameters(model: type[BaseModel] | None, where: str) -> list[dict]:
    if model is None:
        return []
    schema = model.model_json_schema(schema_generator=Schema)
    required = set(schema.get("required", ()))
    out = []
    for name, prop in schema["properties"].items():
        param = {"name": name, "in": where, "schema": prop}
        if "description" in prop:
            param["description"] = prop.pop("description")
        if where == "path" or name in required:
            param["required"] = True
        out.append(param)
    return out


def operation_object(op: Operation, op_id: str) -> dict:
    responses = {str(status): content(*response) for status, response in op.responses.items()}
    for name in op.errors:
        responses.setdefault(ERRORS[name][0], {"$ref": f"#/components/responses/{name}"})
    out = {"summary": op.summary, "operationId": op_id, "responses": responses}
    if op.description:
        out["description"] = op.description
    if op.path or op.query:
        out["parameters"] = parameters(op.path, "path") + parameters(op.query, "query")
    if op.body:
        out["requestBody"] = {"required": True, "content": {"application/json": {"schema": schema_of(op.body)}}}
    if op.public:
        out["security"] = []
    return out
