"""What a save of answers carries, as the pages' autosave and the API's PATCH both send it: one
pydantic model (`SaveAnswers`) validates both, and is the request schema of the API's document.

An answer that no item can read (an object, a list of three) fails only itself: it is reported
by question, and the other answers of the same save are saved (the API's 422, the page's errors).
"""

from __future__ import annotations

import re
from typing import Annotated, Any

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, PlainValidator, ValidationError

from app.assessment.items import ITEM_TYPES, NOT_APPLICABLE

from .service import MAX_SEQ

MAX_ANSWERS = 200  # answers in one save
PAGE_ID = re.compile(r"^[A-Za-z0-9_-]{1,40}$")  # names one page load: the writer of its saves


class Request(BaseModel):
    """A request's body or query: keys the schema does not name are ignored."""

    model_config = ConfigDict(extra="ignore")


class Invalid(ValueError):
    """A request that does not fit its schema; `fields` names each bad field (pydantic's error type)."""

    def __init__(self, fields: dict[str, str]):
        super().__init__(", ".join(fields))
        self.fields = fields


def parse(model: type[Request], data) -> Request:
    """`data` (parsed JSON, or a query string as a dict) as `model`; `Invalid` naming each bad field."""
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        raise Invalid({str(e["loc"][0]) if e["loc"] else "": e["type"] for e in exc.errors()}) from None


def no_default(schema: dict) -> None:
    """An optional field that must hold a value when it is sent: its schema shows no `null` default."""
    schema.pop("default", None)


def json_integer(value):
    """JSON Schema's integer: a number without a fraction (2026.0 too), never true, false or a string."""
    if isinstance(value, bool | str):
        raise ValueError("expected a whole number")
    return value


# ---------------------------------------------------------------- answers


def answer_json_schema(*, nullable: bool) -> dict:
    """An answer as JSON: one of the registered item types' answers, or "n/a" (not applicable)."""
    options = [kind.answer_schema() for kind in ITEM_TYPES.values()]
    options.append({"const": NOT_APPLICABLE, "description": "Not applicable, where the item allows it."})
    if nullable:
        options.append({"type": "null", "description": "No answer (in a save: clear it)."})
    return {"anyOf": options}


class AnswerSchema:
    """Pydantic metadata: an answer's JSON schema, made from the item types when a document is made."""

    def __init__(self, *, nullable: bool):
        self.nullable = nullable

    def __get_pydantic_json_schema__(self, core_schema, handler):
        return answer_json_schema(nullable=self.nullable)


UNREADABLE = object()  # a value in a save that no item can read


def readable(value):
    """A JSON answer as the questionnaire reads it: a scalar, or a pair of them (the two counts of a
    percentage); `UNREADABLE` for any other list or an object. A number no float holds exactly (or
    at all: 1e400, NaN) goes on as text, which the questionnaire then refuses with its own message."""
    if value is None or isinstance(value, str | bool):
        return value
    if isinstance(value, list) and len(value) == 2 and not any(isinstance(v, list | dict) for v in value):
        return [readable(v) for v in value]
    if isinstance(value, int):
        return value if abs(value) < 10**15 else str(value)
    if isinstance(value, float):
        return value if value == value and abs(value) < 1e15 else str(value)
    return UNREADABLE


AnswerIn = Annotated[Any, PlainValidator(readable), AnswerSchema(nullable=True)]
Answer = Annotated[Any, AnswerSchema(nullable=False)]
AnswerOrNone = Annotated[Any, AnswerSchema(nullable=True)]


def count_of_saves(schema: dict) -> None:
    no_default(schema)
    schema["description"] = "This save's number among the saves of its writer (your token): 1, 2, 3, …"


class SaveAnswers(Request):
    """`answers` maps question ids to values (see `Item`); an empty string or null clears an answer.
    `seq` numbers the saves of one writer; `base` holds the values the writer last read."""

    answers: Annotated[dict[str, AnswerIn], Field(max_length=MAX_ANSWERS)]
    seq: Annotated[int, Field(ge=0, le=MAX_SEQ, json_schema_extra=count_of_saves), BeforeValidator(json_integer)] = None
    base: Annotated[dict[str, AnswerIn], Field(json_schema_extra=no_default)] = None

    def unreadable(self) -> list[str]:
        """The question ids whose value no item can read."""
        return [key for key, value in self.answers.items() if value is UNREADABLE]

    def readable(self) -> dict:
        """The answers an item can read (and then accept or refuse)."""
        return {key: value for key, value in self.answers.items() if value is not UNREADABLE}


class PageSave(SaveAnswers):
    """The pages' autosave: the API's save, of at least one answer, numbered by the page load that
    sends it (`writer`); numbered saves without one are counted per user."""

    answers: Annotated[dict[str, AnswerIn], Field(min_length=1, max_length=MAX_ANSWERS)]
    writer: Annotated[str, Field(pattern=PAGE_ID.pattern)] = None
