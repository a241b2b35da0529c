"""Item types: one class per kind of question, registered under the name the questionnaire file uses.

An item type owns everything that differs from one kind of question to another:

- its own fields in the questionnaire file, read and checked (`read`), with the loader's
  "file: item: what is wrong" messages;
- reading a raw answer (a form string, a JSON value, a CSV cell) into its typed value, the one
  the database stores as JSON (`parse`), and back into the string its entry posts (`form_value`);
- "not applicable", where the questionnaire allows it (the same for every scored type);
- its score 0–100 (`score`) and the realistic step up the priorities count on (`step_up`);
- the answer in words, in both languages (`answer_text`, and `answer_detail` where a chosen
  option has a description of its own);
- the entry the pages show, as data (`entry`: one of the widget kinds below), since the domain
  knows nothing of WTForms or templates: the forms and templates build and render by widget kind;
- the JSON schema of its answers and of its own fields, for the API's document;
- a sample answer at a level 1–5 (`sample`), for the demo data, the tests and the benchmarks.

Nothing outside `app.assessment` looks at a type's name; it asks the item. A new type is a
subclass of `Item` with a `type` name, made known with `register`; the API, the forms, the
pages and the report then take it as they take the built-in ones.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, ClassVar

from .text import Text

if TYPE_CHECKING:
    from .questionnaire import Reference

NOT_APPLICABLE = "n/a"  # the typed "not applicable" answer: never a score, never zero
NA_TOKENS = {"n/a", "na", "不适用", "not applicable"}
YES_TOKENS = {"yes", "y", "true", "1", "是", "on"}
NO_TOKENS = {"no", "n", "false", "0", "否", "off"}
MAX_TEXT = 4000  # characters of a free-text answer
MAX_WHOLE = 100_000  # the largest second count of a two-count percentage
SAMPLE_WHOLE = 40  # the whole of a sample two-count answer

# The fixed words of answers, in both languages (the domain knows no message catalog).
NOT_ANSWERED = Text("未作答", "Not answered")
NOT_APPLICABLE_TEXT = Text("不适用", "Not applicable")
YES = Text("是", "Yes")
NO = Text("否", "No")


class AnswerError(ValueError):
    """An answer does not fit its item.

    `code` names the problem (unreadable, too_long, yes_no, percent, whole_number, counts,
    not_applicable, unknown_item) and `params` its numbers; the web layer turns them into a
    message in the user's language. A new item type reuses these codes.
    """

    def __init__(self, item_id: str, code: str, **params):
        super().__init__(f"{item_id}: {code} {params}".rstrip())
        self.item_id = item_id
        self.code = code
        self.params = params


def storable(text: str) -> bool:
    """Text without NUL and without half of a surrogate pair (a JSON "\\ud800"): nobody types
    either, and no database stores them. The one rule for every way text comes in."""
    if "\x00" in text:
        return False
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def whole_number(raw) -> int | None:
    """A whole number from a form string, JSON number or CSV cell; None if it is not one."""
    try:
        number = float(raw) if not isinstance(raw, bool) else math.nan
    except (TypeError, ValueError, OverflowError):
        return None
    if not math.isfinite(number) or number != int(number):
        return None
    return int(number)


def whole_in(item_id: str, raw, low: int, high: int) -> int:
    """A whole number from `low` to `high`; AnswerError `whole_number` otherwise."""
    number = whole_number(raw)
    if number is None or not low <= number <= high:
        raise AnswerError(item_id, "whole_number", min=low, max=high)
    return number


def percent_text(value: float) -> str:
    return f"{value:.1f}".rstrip("0").rstrip(".") + "%"


# ---------------------------------------------------------------- entries: what a page shows


@dataclass(frozen=True)
class Option:
    value: str  # what the input posts
    label: Text
    mark: str = ""  # shown before the label (the point of a scale); "" for none


@dataclass(frozen=True)
class Choice:
    """One of a few options (radio buttons); `inline`: short options side by side."""

    options: tuple[Option, ...]
    inline: bool = False
    kind: ClassVar[str] = "choice"


@dataclass(frozen=True)
class Number:
    """One number typed in, with its unit; `decimal`: it may have a fraction."""

    unit: Text
    decimal: bool = False
    kind: ClassVar[str] = "number"


@dataclass(frozen=True)
class Counts:
    """Two whole numbers typed in, the part and the whole; posted as "part/whole"."""

    labels: tuple[Text, Text]
    kind: ClassVar[str] = "counts"


@dataclass(frozen=True)
class FreeText:
    """Text of at most `max_length` characters."""

    max_length: int = MAX_TEXT
    kind: ClassVar[str] = "text"


Entry = Choice | Number | Counts | FreeText


# ---------------------------------------------------------------- the item and its registry

ITEM_TYPES: dict[str, type[Item]] = {}


def register(cls: type[Item]) -> type[Item]:
    """Make an item type known to the questionnaire loader under `cls.type`."""
    ITEM_TYPES[cls.type] = cls
    return cls


@dataclass(frozen=True, kw_only=True)
class Item:
    """A question. What all types share is here; each type adds its fields and the hooks below."""

    type: ClassVar[str]  # the name in the questionnaire file
    scored: ClassVar[bool] = True  # False: free-text evidence, never scored nor counted as missing
    keys: ClassVar[tuple[str, ...]] = ()  # the type's own keys in the questionnaire file

    id: str
    pillar_id: str
    weight: float
    text: Text
    ref: Reference
    lead: str = "branch"  # who leads the actions on this item: a key of `Questionnaire.leads`
    help: Text | None = None
    allows_na: bool = False

    @classmethod
    def read(cls, raw: dict, reader, where: str) -> dict:
        """The type's own fields from its mapping in the questionnaire file, as keyword arguments;
        `reader` (the loader) checks them and fails naming the file and `where`."""
        return {}

    @property
    def optional(self) -> bool:
        """Free-text evidence: never counted as missing."""
        return not self.scored

    # ------------------------------------------------------------ answers

    def parse(self, raw) -> object:
        """Turn a raw answer (form string, JSON value or CSV cell) into its typed value.

        Returns None for an empty answer; raises AnswerError when it does not fit.
        """
        if isinstance(raw, str) and not storable(raw):
            raise AnswerError(self.id, "unreadable")
        if raw is None or (isinstance(raw, str) and not raw.strip()):
            return None
        if self.scored and isinstance(raw, str) and raw.strip().lower() in NA_TOKENS:
            if not self.allows_na:
                raise AnswerError(self.id, "not_applicable")
            return NOT_APPLICABLE
        return self.read_answer(raw)

    def read_answer(self, raw) -> object:
        """A raw answer that is neither empty nor "not applicable", typed; AnswerError if it does not fit."""
        raise NotImplementedError

    def form_value(self, value) -> str:
        """A typed answer as the string its entry posts ("" for no answer)."""
        if value is None:
            return ""
        return NOT_APPLICABLE if value == NOT_APPLICABLE else self.entry_value(value)

    def entry_value(self, value) -> str:
        return str(value)

    def score(self, value) -> float | None:
        """Map a typed answer to 0–100; None when unanswered, not applicable or not scored."""
        if value is None or value == NOT_APPLICABLE or not self.scored:
            return None
        return self.points(value)

    def points(self, value) -> float:
        """The score 0–100 of a typed answer (neither missing nor "not applicable")."""
        raise NotImplementedError

    def step_up(self, value) -> float | None:
        """The score one realistic step above the answer `value`; None when there is none."""
        score = self.score(value)
        if score is None or score >= 100:
            return None
        return self.next_step(score)

    def next_step(self, score: float) -> float:
        """One realistic step above `score` (below 100): by default the next quarter of the range."""
        return (math.floor(score / 25 + 1e-9) + 1) * 25.0

    def comparable(self, value):
        """The answer as a consistency flag's condition compares it."""
        return value

    def condition_value(self, raw):
        """The value a flag's condition in the questionnaire file compares with; AnswerError if none."""
        return self.parse(raw)

    def answer_text(self, value) -> Text:
        """A typed answer of this item (or None) in words, in both languages."""
        if value is None:
            return NOT_ANSWERED
        if value == NOT_APPLICABLE:
            return NOT_APPLICABLE_TEXT
        return self.words(value)

    def words(self, value) -> Text:
        return Text(str(value), str(value))

    def answer_detail(self, value) -> Text | None:
        """What the chosen option means, where it says more than `answer_text` (a scale's level)."""
        return None

    # ------------------------------------------------------------ the page, the document, samples

    @property
    def entry(self) -> Entry:
        """What the page shows to take an answer (a widget kind and what it needs)."""
        raise NotImplementedError

    def wording(self) -> tuple[Text, ...]:
        """Every text this item shows: the question, its help, and the type's own words."""
        return (self.text, *((self.help,) if self.help else ()), *self.own_wording())

    def own_wording(self) -> tuple[Text, ...]:
        return ()

    def fields(self) -> dict:
        """The type's own fields as the API shows them (texts as `Text`, sequences as tuples)."""
        return {}

    @classmethod
    def fields_schema(cls, text: dict) -> dict[str, dict]:
        """The JSON schema of each of `fields()`; `text` is the schema of a bilingual text."""
        return {}

    @classmethod
    def answer_schema(cls) -> dict:
        """The JSON schema of a typed answer (not "not applicable", which every scored type may take)."""
        raise NotImplementedError

    def sample(self, level: int):
        """A typed answer at `level` 1–5 of the item's range (5 = its best)."""
        raise NotImplementedError


def share(level: int) -> float:
    """Where `level` 1–5 lies in a range: 0 at 1, 1 at 5."""
    return (level - 1) / 4


# ---------------------------------------------------------------- the types


@register
@dataclass(frozen=True, kw_only=True)
class ScaleItem(Item):
    """A rating 1–5 whose every point is described; scores (r − 1) × 25."""

    type = "scale"
    keys = ("levels",)
    POINTS: ClassVar[int] = 5

    levels: tuple[Text, ...]

    @classmethod
    def read(cls, raw, reader, where):
        levels = raw.get("levels")
        if not isinstance(levels, list) or len(levels) != cls.POINTS:
            reader.fail(where, f"a scale item needs exactly {cls.POINTS} level descriptions")
        return {"levels": tuple(reader.text(lv, f"{where} level {n}") for n, lv in enumerate(levels, 1))}

    def read_answer(self, raw):
        return whole_in(self.id, raw, 1, self.POINTS)

    def points(self, value):
        return (value - 1) * 100 / (self.POINTS - 1)

    def words(self, value):
        return Text(f"{value} / {self.POINTS}", f"{value} / {self.POINTS}")

    def answer_detail(self, value):
        return self.levels[value - 1] if value is not None and value != NOT_APPLICABLE else None

    @property
    def entry(self):
        return Choice(tuple(Option(str(n), level, mark=str(n)) for n, level in enumerate(self.levels, 1)))

    def own_wording(self):
        return self.levels

    def fields(self):
        return {"levels": self.levels}

    @classmethod
    def fields_schema(cls, text):
        return {"levels": {"type": "array", "items": text, "description": "What each point 1–5 means."}}

    @classmethod
    def answer_schema(cls):
        return {"type": "integer", "minimum": 1, "maximum": cls.POINTS, "description": "A whole number 1–5."}

    def sample(self, level):
        return level


@register
@dataclass(frozen=True, kw_only=True)
class YesNoItem(Item):
    """Yes or no; scores 100 or 0."""

    type = "yesno"

    def read_answer(self, raw):
        if isinstance(raw, bool):
            return raw
        token = str(raw).strip().lower()
        if token in YES_TOKENS:
            return True
        if token in NO_TOKENS:
            return False
        raise AnswerError(self.id, "yes_no")

    def entry_value(self, value):
        return "yes" if value else "no"

    def points(self, value):
        return 100.0 if value else 0.0

    def next_step(self, score):
        return 100.0

    def words(self, value):
        return YES if value else NO

    @property
    def entry(self):
        return Choice((Option("yes", YES), Option("no", NO)), inline=True)

    @classmethod
    def answer_schema(cls):
        return {"type": "boolean", "description": 'true or false (also "yes" or "no").'}

    def sample(self, level):
        return level >= 3


@register
@dataclass(frozen=True, kw_only=True)
class CountItem(Item):
    """A whole number 0–`max` in `unit`; scores 25 for each of its four thresholds reached."""

    type = "count"
    keys = ("thresholds", "max", "unit")

    thresholds: tuple[int, ...]
    max: int
    unit: Text

    @classmethod
    def read(cls, raw, reader, where):
        thresholds = raw.get("thresholds")
        if (
            not isinstance(thresholds, list)
            or not thresholds
            or any(isinstance(t, bool) or not isinstance(t, int) or t < 0 for t in thresholds)
            or any(a >= b for a, b in zip(thresholds, thresholds[1:], strict=False))
        ):
            reader.fail(where, "thresholds must be strictly increasing whole numbers >= 0")
        return {
            "thresholds": tuple(thresholds),
            "max": int(reader.number(raw.get("max"), where + ".max", low=thresholds[-1])),
            "unit": reader.text(raw.get("unit"), where + ".unit"),
        }

    def read_answer(self, raw):
        return whole_in(self.id, raw, 0, self.max)

    def points(self, value):
        reached = sum(1 for t in self.thresholds if value >= t)
        return reached * 100 / len(self.thresholds)

    def next_step(self, score):
        return min(100.0, score + 100 / len(self.thresholds))

    def words(self, value):
        return Text(f"{value} {self.unit.zh}", f"{value} {self.unit.en}")

    @property
    def entry(self):
        return Number(self.unit)

    def own_wording(self):
        return (self.unit,)

    def fields(self):
        return {"thresholds": self.thresholds, "max": self.max, "unit": self.unit}

    @classmethod
    def fields_schema(cls, text):
        return {
            "thresholds": {"type": "array", "items": {"type": "integer"}, "description": "25 points each."},
            "max": {"type": "integer", "description": "The largest answer."},
            "unit": text,
        }

    @classmethod
    def answer_schema(cls):
        return {"type": "integer", "minimum": 0, "description": "A whole number up to the item's `max`."}

    def sample(self, level):
        return round(self.thresholds[-1] * share(level))


@register
@dataclass(frozen=True, kw_only=True)
class PercentItem(Item):
    """A percentage, linear from 0 points at `zero_at` to 100 at `full_at`; with `counts`, entered
    as the two counts branches record (attendances and expected attendances) and stored as both."""

    type = "percent"
    keys = ("zero_at", "full_at", "counts")

    zero_at: float = 0.0
    full_at: float = 100.0
    counts: tuple[Text, Text] | None = None  # the labels of the part and the whole

    @classmethod
    def read(cls, raw, reader, where):
        fields = {
            "zero_at": reader.number(raw.get("zero_at", 0), where + ".zero_at", low=0, high=100),
            "full_at": reader.number(raw.get("full_at", 100), where + ".full_at", low=0, high=100),
        }
        if fields["zero_at"] >= fields["full_at"]:
            reader.fail(where, "zero_at must be below full_at")
        if raw.get("counts") is not None:
            counts = reader.mapping(raw["counts"], where + ".counts")
            fields["counts"] = (
                reader.text(counts.get("part"), where + ".counts.part"),
                reader.text(counts.get("whole"), where + ".counts.whole"),
            )
        return fields

    def read_answer(self, raw):
        if self.counts is not None:
            return self._two_counts(raw)
        try:
            value = float(raw)
        except (TypeError, ValueError, OverflowError):
            raise AnswerError(self.id, "percent") from None
        if not (0 <= value <= 100):  # also false for NaN
            raise AnswerError(self.id, "percent")
        return value

    def _two_counts(self, raw) -> list[int]:
        """Two counts, "27/30" or [27, 30]: the part, then the whole it is a share of."""
        parts = raw.replace("／", "/").split("/") if isinstance(raw, str) else raw
        if not isinstance(parts, list | tuple) or len(parts) != 2:
            raise AnswerError(self.id, "counts", max=MAX_WHOLE)
        part, whole = (whole_number(p) for p in parts)
        if part is None or whole is None or not (0 <= part <= whole) or not (1 <= whole <= MAX_WHOLE):
            raise AnswerError(self.id, "counts", max=MAX_WHOLE)
        return [part, whole]

    def entry_value(self, value):
        if self.counts is not None:
            return "/".join(map(str, value))
        return str(int(value)) if float(value).is_integer() else str(value)

    def percent(self, value) -> float | None:
        """A percentage answer as a number 0–100, whichever way it was entered."""
        if value is None or value == NOT_APPLICABLE:
            return None
        return value[0] * 100 / value[1] if self.counts is not None else float(value)

    def points(self, value):
        span = self.full_at - self.zero_at
        return min(100.0, max(0.0, (self.percent(value) - self.zero_at) * 100 / span))

    def comparable(self, value):
        return self.percent(value)

    def condition_value(self, raw):
        return replace(self, counts=None).parse(raw)  # two counts are compared as their percentage

    def words(self, value):
        if self.counts is None:
            return Text(percent_text(value), percent_text(value))
        part, whole = self.counts
        share = percent_text(self.percent(value))
        return Text(
            f"{part.zh} {value[0]}，{whole.zh} {value[1]}（{share}）",
            f"{part.en} {value[0]}, {whole.en} {value[1]} ({share})",
        )

    @property
    def entry(self):
        return Counts(self.counts) if self.counts is not None else Number(Text("%", "%"), decimal=True)

    def own_wording(self):
        return self.counts or ()

    def fields(self):
        counts = {"part": self.counts[0], "whole": self.counts[1]} if self.counts else None
        return {"zero_at": self.zero_at, "full_at": self.full_at, "counts": counts}

    @classmethod
    def fields_schema(cls, text):
        return {
            "zero_at": {"type": "number", "description": "Scores 0 at or below."},
            "full_at": {"type": "number", "description": "Scores 100 at or above."},
            "counts": {
                "anyOf": [
                    {"type": "object", "properties": {"part": text, "whole": text}, "required": ["part", "whole"]},
                    {"type": "null"},
                ],
                "description": "Entered as these two counts, the part and the whole.",
            },
        }

    @classmethod
    def answer_schema(cls):
        return {
            "anyOf": [
                {"type": "number", "minimum": 0, "maximum": 100},
                {"type": "array", "items": {"type": "integer", "minimum": 0}, "minItems": 2, "maxItems": 2},
            ],
            "description": 'A number 0–100, or for an item with `counts` [part, whole] (or "part/whole").',
        }

    def sample(self, level):
        percent = self.zero_at + (self.full_at - self.zero_at) * share(level)
        if self.counts is None:
            return round(percent, 1)
        return [round(percent * SAMPLE_WHOLE / 100), SAMPLE_WHOLE]


@register
@dataclass(frozen=True, kw_only=True)
class TextItem(Item):
    """Free-text evidence: not scored, never missing."""

    type = "text"
    scored = False

    def read_answer(self, raw):
        value = str(raw).strip()
        if len(value) > MAX_TEXT:
            raise AnswerError(self.id, "too_long", max=MAX_TEXT)
        return value

    @property
    def entry(self):
        return FreeText(MAX_TEXT)

    @classmethod
    def answer_schema(cls):
        return {"type": "string", "maxLength": MAX_TEXT, "description": f"Text of at most {MAX_TEXT} characters."}

    def sample(self, level):
        return f"学习记录、签到表齐全（示例 {level}）。"
