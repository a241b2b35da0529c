"""The API's requests and responses, each defined once as a pydantic model.

The same models validate what comes in (`app.selfcheck.schemas.parse`; a save of answers is
`SaveAnswers`, which the pages' autosave validates with too), serialise what goes out
(`present.py` builds them, the views send them as JSON), and make the OpenAPI document
(`openapi.py`). A limit or an enumeration is written once, where its rule is: `MAX_SEQ` in the
service, roles and kinds in the models, item types in the questionnaire's registry.

What an item type adds (its fields, its answers) comes from the type itself (`Item.fields_schema`,
`Item.answer_schema`), read when the document is made, so a new type is described with no edit here.
"""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any, Literal

from pydantic import AfterValidator, BaseModel, BeforeValidator, ConfigDict, Field

from app.assessment import rectification as rules
from app.assessment.items import ITEM_TYPES, storable
from app.assessment.scoring import OVERALL
from app.assessment.text import MODES

from ..models import ORG_KINDS, ROLES
from ..review.service import DECISIONS as REVIEW_DECISIONS
from ..review.service import MAX_COMMENT
from ..selfcheck.schemas import Answer, AnswerOrNone, Request, json_integer, no_default

MAX_ID = 2**31 - 1
MAX_YEAR = 9999
TEXT_REF = {"$ref": "#/components/schemas/Text"}


class Model(BaseModel):
    """Responses: every field is always present (null where there is nothing)."""

    model_config = ConfigDict(json_schema_serialization_defaults_required=True)


# ---------------------------------------------------------------- requests (a save: `SaveAnswers`)


class StartSelfCheck(Request):
    year: Annotated[int, Field(ge=0, le=MAX_YEAR), BeforeValidator(json_integer)]


class OrganisationsQuery(Request):
    root: str = Field(None, description="Only this organisation's subtree (its code).", json_schema_extra=no_default)
    kind: Literal[ORG_KINDS] = Field(None, json_schema_extra=no_default)  # type: ignore[valid-type]


class SelfChecksQuery(Request):
    year: Annotated[int, Field(ge=0, le=MAX_YEAR, json_schema_extra=no_default)] = None
    org: str = Field(
        None, description="Only self-checks in this organisation's subtree (its code).", json_schema_extra=no_default
    )


class ReportQuery(Request):
    lang: Literal[MODES] = "bilingual"  # type: ignore[valid-type]


class SelfCheckPath(Request):
    selfcheck_id: Annotated[int, Field(ge=1, le=MAX_ID)]


class YearPath(Request):
    year: Annotated[int, Field(ge=0, le=MAX_YEAR)]


class ActionPath(Request):
    selfcheck_id: Annotated[int, Field(ge=1, le=MAX_ID)]
    action_id: Annotated[int, Field(ge=1, le=MAX_ID)]


def trimmed(value):
    """Text as the pages keep it: without surrounding spaces, and refused if no database can store it."""
    if isinstance(value, str):
        if not storable(value):
            raise ValueError("unstorable text")
        return value.strip()
    return value


def iso_date(value):
    """A date as JSON carries it, "2026-06-30"; never a number."""
    if not isinstance(value, str):
        raise ValueError("expected a date as YYYY-MM-DD")
    return value


def in_years(value: date) -> date:
    if not rules.EARLIEST <= value <= rules.LATEST:
        raise ValueError("a date between 2000 and 2100")
    return value


Prose = Annotated[str, BeforeValidator(trimmed), Field(min_length=1, max_length=rules.TEXT_MAX)]
Name = Annotated[str, BeforeValidator(trimmed), Field(min_length=1, max_length=rules.NAME_MAX)]
Role = Annotated[str, BeforeValidator(trimmed), Field(max_length=rules.NAME_MAX)]
Day = Annotated[date, BeforeValidator(iso_date), AfterValidator(in_years)]


class NewAction(Request):
    """An action for the rectification list; `source` names what triggered it, as the result offers it."""

    source: str = Field(
        None,
        max_length=80,
        description="`flag:<id>`, `priority:<suggestion id>`, `suggestion:<id>` or `item:<question id>`, "
        "as the result offers it now; omitted for a problem of the branch's own.",
        json_schema_extra=no_default,
    )
    problem: Prose
    measure: Prose
    owner_name: Name = Field(description="Who leads it.")
    owner_role: Role = ""
    deadline: Day


class ActionChange(Request):
    """What changes; a field left out stays as it is. A status reopens a done action."""

    problem: Prose = Field(None, json_schema_extra=no_default)
    measure: Prose = Field(None, json_schema_extra=no_default)
    owner_name: Name = Field(None, json_schema_extra=no_default)
    owner_role: Role = Field(None, json_schema_extra=no_default)
    deadline: Day = Field(None, json_schema_extra=no_default)
    status: Literal[rules.PLANNED, rules.IN_PROGRESS] = Field(None, json_schema_extra=no_default)


class NewNote(Request):
    date: Day = Field(description="The day the progress happened: today or earlier.")
    text: Prose


class CloseAction(Request):
    account: Prose = Field(description="A short account of what was done.")


# ---------------------------------------------------------------- responses: errors


class ErrorDetail(Model):
    code: str = Field(description="Stable, for programs: e.g. `not_found`, `incomplete`.")
    message: str = Field(description="In the user's language.")
    fields: dict[str, str] = Field(
        description="Field (body key, query parameter or question id) → what is wrong with it."
    )


class Error(Model):
    error: ErrorDetail


# ---------------------------------------------------------------- responses: the questionnaire


class Text(Model):
    """A text in both languages."""

    zh: str
    en: str


class Reference(Model):
    source: str
    passage: str = Field(description="Verbatim from the source, OCR errors included: for tracing.")
    quote: Text = Field(description="What to show: the passage corrected, and its translation.")


class Level(Model):
    id: str
    min: float
    name: Text
    description: Text


class LevelRef(Model):
    id: str
    name: Text


def item_types_schema(schema: dict) -> None:
    """Each registered type's own fields, chosen by `type`."""
    schema["properties"]["type"] = {"type": "string", "enum": list(ITEM_TYPES)}
    schema["oneOf"] = [
        {
            "title": kind.__name__,
            "properties": {"type": {"const": name}, **kind.fields_schema(TEXT_REF)},
            "required": ["type", *kind.fields_schema(TEXT_REF)],
            "description": f"`{name}`, answered by: {kind.answer_schema()['description']}",
        }
        for name, kind in ITEM_TYPES.items()
    ]


class Item(Model):
    """A question. Its type adds fields of its own (see `oneOf`). Where `not_applicable` is true,
    "n/a" answers "not applicable": answered, left out of every mean. An empty string or null
    clears an answer."""

    model_config = ConfigDict(extra="allow", json_schema_extra=item_types_schema)

    id: str
    pillar: str
    type: str
    weight: float
    scored: bool
    text: Text
    help: Text | None
    ref: Reference
    lead: str | None = Field(description="Who leads actions on it: a key of `leads`.")
    not_applicable: bool = Field(description='Whether "n/a" (not applicable) is an answer.')


class Pillar(Model):
    id: str
    weight: float
    name: Text
    description: Text
    levels: list[Text] = Field(
        description="What each maturity level means for this pillar (empty if the version has none)."
    )
    items: list[Item]


class Condition(Model):
    item: str
    op: str
    value: Annotated[
        Any,
        Field(
            json_schema_extra={
                "anyOf": [
                    {"type": ["string", "number", "boolean"]},
                    {"type": "array", "items": {"type": "string"}},
                ],
            },
            description='The value compared; "n/a" for a not-applicable answer; for `mentions`, the words looked for.',
        ),
    ]


class Flag(Model):
    id: str
    when: list[Condition]
    text: Text


class SuggestionRule(Model):
    id: str
    item: str | None
    pillar: str
    below: float
    covers: list[str] = Field(description="A pillar's advice: its items; it fires only while none is done.")
    lead: str | None
    timeframe: str = Field(description="A key of `timeframes`.")
    text: Text
    ref: Reference


class Questionnaire(Model):
    version: str
    title: Text
    sources: dict[str, Text]
    leads: dict[str, Text] = Field(description="Who leads an action.")
    timeframes: dict[str, Text]
    levels: list[Level]
    pillars: list[Pillar]
    flags: list[Flag]
    suggestions: list[SuggestionRule]


# ---------------------------------------------------------------- responses: people, cycles, self-checks


class Cycle(Model):
    year: int
    questionnaire_version: str
    opens_on: date
    closes_on: date
    open: bool


class Organisation(Model):
    id: int
    code: str
    name: str
    kind: Literal[ORG_KINDS]  # type: ignore[valid-type]
    parent: str | None = Field(description="The parent's code.")


class User(Model):
    username: str
    name: str
    role: Literal[ROLES]  # type: ignore[valid-type]
    locale: str | None
    organisation: Organisation


Timestamp = Annotated[str, Field(json_schema_extra={"format": "date-time"})]


class SelfCheckSummary(Model):
    id: int
    year: int
    organisation: Organisation
    status: Literal["draft", "submitted"]
    score: float | None = Field(description="Stored at submission; null for a draft.")
    level: str | None = Field(description="Maturity level id, stored at submission.")
    revision: int
    updated_at: Timestamp
    submitted_at: Timestamp | None


class SelfCheck(SelfCheckSummary):
    questionnaire_version: str
    editable: bool = Field(description="Whether the caller may save answers now.")
    answered: int
    total: int
    answers: dict[str, Answer]


class Cycles(Model):
    cycles: list[Cycle]


class Organisations(Model):
    organisations: list[Organisation]


class SelfChecks(Model):
    selfchecks: list[SelfCheckSummary]


class SaveOutcome(Model):
    saved: list[str] = Field(description="Question ids written or cleared.")
    stale: list[str] = Field(
        description="Question ids not written: a save of this token with a higher `seq` wrote them already."
    )
    answered: int
    total: int
    revision: int


class SaveError(Error, SaveOutcome):
    """Some answers are invalid (in `error.fields`); the valid ones were saved all the same."""


class ConflictingAnswer(Model):
    theirs: AnswerOrNone
    by: str | None
    at: Timestamp | None


class SaveConflict(SaveError):
    """A conflict also carries what the save did, and the other versions."""

    conflicts: dict[str, ConflictingAnswer]


# ---------------------------------------------------------------- responses: results


class Suggestion(Model):
    id: str
    pillar: str
    item: str | None = Field(description="null for advice on the whole pillar.")
    score: float = Field(description="The item's (pillar's) score now.")
    target: float = Field(description="Its score one realistic step up.")
    gain: float = Field(
        description="Overall points that step is worth: the item's share of the overall × (target − score)."
    )
    priority: bool = Field(description="One of the top three actions.")
    shown: Literal["priority", "pillar", "more"] = Field(
        description="A top-three action; one of at most three more per pillar; or one of the rest."
    )
    lead: str = Field(description="Who leads it: a key of the questionnaire's `leads`.")
    timeframe: Text
    trigger: AnswerOrNone = Field(description="The answer that triggered it; null for a pillar's advice.")
    text: Text
    ref: Reference


class Position(Model):
    score: float
    percentile: float = Field(description="0–100: the share of the other branches scoring lower, ties counting half.")
    quartile: Annotated[int, Field(ge=1, le=4, description="4 = the top quarter.")]
    peers: int = Field(description="Other branches compared (at least three; only once the cycle has closed).")


class PeerPosition(Model):
    """Where a submitted self-check stands among the submitted branches of the same cycle under the
    same committee, naming none of them; null for a draft or with fewer than three such branches."""

    overall: Position | None
    pillars: dict[str, Position]


class ItemResult(Model):
    id: str
    value: AnswerOrNone
    score: float | None
    answered: bool
    not_applicable: bool


class PillarResult(Model):
    id: str
    name: Text
    score: float | None
    level: LevelRef | None
    level_text: Text | None
    missing: list[str]
    items: list[ItemResult]


class Change(Model):
    year: int
    selfcheck_id: int
    score: float | None
    overall: float | None = Field(description=f"The change of the overall score (`{OVERALL}`).")
    pillars: dict[str, float | None]


class RaisedFlag(Model):
    id: str
    text: Text


class Result(Model):
    selfcheck_id: int
    year: int
    organisation: Organisation
    status: Literal["draft", "submitted"]
    provisional: bool = Field(description="A draft's scores, not final.")
    complete: bool
    score: float | None
    level: LevelRef | None
    pillars: list[PillarResult]
    missing: list[str] = Field(description="Unanswered scored questions.")
    flags: list[RaisedFlag]
    suggestions: list[Suggestion] = Field(
        description="The top three, then per pillar at most three more, then the rest (`shown`)."
    )
    change_since_last_year: Change | None
    peer_position: PeerPosition | None


# ---------------------------------------------------------------- responses: the rectification list


class ActionNote(Model):
    date: date
    text: str
    created_at: Timestamp


class Action(Model):
    id: int
    selfcheck_id: int
    origin: Literal[rules.ORIGINS] | None = Field(  # type: ignore[valid-type]
        description="What triggered it; null for a problem of the branch's own."
    )
    origin_ref: str | None = Field(description="The flag's, suggestion's or question's id.")
    item: str | None = Field(description="The question it concerns, if any.")
    problem: str
    measure: str
    owner_name: str
    owner_role: str
    deadline: date
    status: Literal[rules.STATUSES]  # type: ignore[valid-type]
    overdue: bool = Field(description="Not done and past its deadline (computed, never stored).")
    account: str | None = Field(description="What was done, written when it was closed.")
    closed_at: Timestamp | None
    continues: int | None = Field(description="The id of last year's action it accounts for.")
    created_at: Timestamp
    updated_at: Timestamp
    notes: list[ActionNote]


class Tally(Model):
    done: int
    total: int


class Actions(Model):
    selfcheck_id: int
    editable: bool = Field(description="Whether the caller may change the list now.")
    plannable: bool = Field(description="Whether new actions can be planned: the self-check has a result.")
    last_year: Tally | None = Field(description="Last year's actions, and how many of them are done.")
    actions: list[Action]


# ---------------------------------------------------------------- evidence and the review (issue 17)


class EvidencePath(Request):
    evidence_id: Annotated[int, Field(ge=1, le=MAX_ID)]


class EvidenceUploadQuery(Request):
    name: str = Field(min_length=1, max_length=500, description="The file's name, kept for display and downloads.")
    item: str = Field(
        None, max_length=20, description="The question the file is evidence for.", json_schema_extra=no_default
    )
    action: Annotated[int, Field(ge=1, le=MAX_ID, json_schema_extra=no_default)] = Field(
        None, description="Or: the rectification action it is evidence for."
    )


class EvidenceFile(Model):
    id: int
    item_id: str | None = Field(description="The question it is attached to, or null.")
    action_id: int | None = Field(description="The rectification action it is attached to, or null.")
    name: str
    kind: Literal["pdf", "jpg", "png", "docx", "xlsx"] = Field(description="Read from the content.")
    size: int = Field(description="In bytes.")
    uploaded_at: Timestamp
    download: str = Field(description="The URL of its content.")


class EvidenceList(Model):
    files: list[EvidenceFile]
    editable: bool = Field(description="Whether the caller may attach files to the questions now.")


class ReviewBody(Request):
    decision: Literal[REVIEW_DECISIONS]  # type: ignore[valid-type]
    comment: str = Field("", max_length=MAX_COMMENT, description="Needed to return; optional to approve.")
    item_comments: dict[Annotated[str, Field(max_length=20)], Annotated[str, Field(max_length=MAX_COMMENT)]] = Field(
        default_factory=dict, max_length=500, description="Question id → a comment on it."
    )
    action_comments: dict[Annotated[int, Field(ge=1, le=MAX_ID)], Annotated[str, Field(max_length=MAX_COMMENT)]] = (
        Field(default_factory=dict, max_length=500, description="Rectification action id → a comment on it.")
    )


class ReviewComment(Model):
    item_id: str | None
    action_id: int | None
    text: str


class ReviewDecision(Model):
    decision: Literal[REVIEW_DECISIONS]  # type: ignore[valid-type]
    comment: str
    by: str
    at: Timestamp
    comments: list[ReviewComment]


class Review(Model):
    state: Literal["pending", "approved", "returned"] | None = Field(
        description="pending: submitted, awaiting review; returned: a draft again; null: a draft never returned."
    )
    reviewable: bool = Field(description="Whether the caller may approve or return it now.")
    history: list[ReviewDecision] = Field(description="Every decision, oldest first.")
