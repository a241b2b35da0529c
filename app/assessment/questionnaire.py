"""The questionnaire: a versioned YAML file loaded into frozen dataclasses.

A definition is validated as it is loaded; anything malformed raises
`QuestionnaireError` naming the file and the item, so the app refuses to start
instead of showing a broken form.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path

import yaml

QUESTIONNAIRE_DIR = Path(__file__).parent / "questionnaires"
LANGUAGES = ("zh", "en")
ITEM_TYPES = ("scale", "yesno", "count", "percent", "text")
OPERATORS = ("==", "!=", ">=", "<=", ">", "<")
SCALE_POINTS = 5


class QuestionnaireError(ValueError):
    """A questionnaire definition is malformed."""


class AnswerError(ValueError):
    """An answer does not fit its item.

    `code` names the problem (unreadable, too_long, yes_no, percent, whole_number, unknown_item) and
    `params` its numbers; the web layer turns them into a message in the user's language.
    """

    def __init__(self, item_id: str, code: str, **params):
        super().__init__(f"{item_id}: {code} {params}".rstrip())
        self.item_id = item_id
        self.code = code
        self.params = params


@dataclass(frozen=True)
class Text:
    zh: str
    en: str

    def __call__(self, lang: str) -> str:
        return self.zh if lang == "zh" else self.en


@dataclass(frozen=True)
class Reference:
    source: str
    passage: str


@dataclass(frozen=True)
class Level:
    id: str
    min: float
    name: Text
    description: Text


@dataclass(frozen=True)
class Item:
    id: str
    pillar_id: str
    type: str
    weight: float
    text: Text
    ref: Reference
    help: Text | None = None
    levels: tuple[Text, ...] = ()
    thresholds: tuple[int, ...] = ()
    unit: Text | None = None
    max: int = 0
    zero_at: float = 0.0
    full_at: float = 100.0

    @property
    def scored(self) -> bool:
        return self.type != "text"

    def parse(self, raw) -> object:
        """Turn a raw answer (form string, JSON value or CSV cell) into its typed value.

        Returns None for an empty answer; raises AnswerError when it does not fit.
        """
        if isinstance(raw, str) and not storable(raw):
            raise AnswerError(self.id, "unreadable")
        if raw is None or (isinstance(raw, str) and not raw.strip()):
            return None
        if self.type == "text":
            value = str(raw).strip()
            if len(value) > MAX_TEXT:
                raise AnswerError(self.id, "too_long", max=MAX_TEXT)
            return value
        if self.type == "yesno":
            if isinstance(raw, bool):
                return raw
            token = str(raw).strip().lower()
            if token in YES:
                return True
            if token in NO:
                return False
            raise AnswerError(self.id, "yes_no")
        if self.type == "percent":
            try:
                value = float(raw)
            except (TypeError, ValueError, OverflowError):
                raise AnswerError(self.id, "percent") from None
            if not (0 <= value <= 100):  # also false for NaN
                raise AnswerError(self.id, "percent")
            return value
        # scale and count take whole numbers
        upper = SCALE_POINTS if self.type == "scale" else self.max
        lower = 1 if self.type == "scale" else 0
        try:
            number = float(raw) if not isinstance(raw, bool) else math.nan
        except (TypeError, ValueError, OverflowError):
            number = math.nan
        if not math.isfinite(number) or number != int(number) or not (lower <= number <= upper):
            raise AnswerError(self.id, "whole_number", min=lower, max=upper)
        return int(number)

    def score(self, value) -> float | None:
        """Map a typed answer to 0–100; None when unanswered or not scored."""
        if value is None or not self.scored:
            return None
        if self.type == "scale":
            return (value - 1) * 100 / (SCALE_POINTS - 1)
        if self.type == "yesno":
            return 100.0 if value else 0.0
        if self.type == "count":
            reached = sum(1 for t in self.thresholds if value >= t)
            return reached * 100 / len(self.thresholds)
        span = self.full_at - self.zero_at
        return min(100.0, max(0.0, (value - self.zero_at) * 100 / span))


MAX_TEXT = 4000


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


YES = {"yes", "y", "true", "1", "是", "on"}
NO = {"no", "n", "false", "0", "否", "off"}


@dataclass(frozen=True)
class Pillar:
    id: str
    weight: float
    name: Text
    description: Text
    items: tuple[Item, ...]

    @property
    def scored_items(self) -> tuple[Item, ...]:
        return tuple(i for i in self.items if i.scored)


@dataclass(frozen=True)
class Condition:
    item: str
    op: str
    value: object

    def holds(self, value) -> bool:
        if value is None:
            return False
        a, b = value, self.value
        return {
            "==": a == b,
            "!=": a != b,
            ">=": a >= b,
            "<=": a <= b,
            ">": a > b,
            "<": a < b,
        }[self.op]


@dataclass(frozen=True)
class FlagRule:
    id: str
    when: tuple[Condition, ...]
    text: Text


@dataclass(frozen=True)
class SuggestionRule:
    id: str
    below: float
    text: Text
    ref: Reference
    item: str | None = None
    pillar: str | None = None


@dataclass(frozen=True, eq=False)  # one instance per version: compared and hashed by identity
class Questionnaire:
    version: str
    title: Text
    sources: dict[str, Text]
    levels: tuple[Level, ...]
    pillars: tuple[Pillar, ...]
    flags: tuple[FlagRule, ...]
    suggestions: tuple[SuggestionRule, ...]
    items: dict[str, Item] = field(default_factory=dict)

    def pillar(self, pillar_id: str) -> Pillar:
        return next(p for p in self.pillars if p.id == pillar_id)

    def level_for(self, score: float | None) -> Level | None:
        if score is None:
            return None
        return [lv for lv in self.levels if score >= lv.min][-1]

    def next_level_min(self, score: float) -> float:
        """The lowest score of the level above `score` (100 at the top level)."""
        return next((lv.min for lv in self.levels if lv.min > score), 100.0)

    def parse_answers(self, raw: dict) -> tuple[dict, dict]:
        """Typed answers for the known items of `raw`, and AnswerErrors by item id."""
        values, errors = {}, {}
        for item_id, raw_value in raw.items():
            item = self.items.get(item_id)
            if item is None:
                errors[item_id] = AnswerError(item_id, "unknown_item")
                continue
            try:
                values[item_id] = item.parse(raw_value)
            except AnswerError as exc:
                errors[item_id] = exc
        return values, errors


# ---------------------------------------------------------------- loading


def available_versions() -> list[str]:
    return sorted(p.stem for p in QUESTIONNAIRE_DIR.glob("*.yaml"))


@cache
def get_questionnaire(version: str) -> Questionnaire:
    """The questionnaire of `version`, loaded once per process."""
    path = QUESTIONNAIRE_DIR / f"{version}.yaml"
    if not path.exists():
        raise QuestionnaireError(f"{path}: no questionnaire of version {version!r}")
    return load_questionnaire(path)


def load_questionnaire(path: str | Path) -> Questionnaire:
    path = Path(path)
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except yaml.YAMLError as exc:
        raise QuestionnaireError(f"{path}: not valid YAML: {exc}") from None
    return _Loader(path).questionnaire(data)


class _Loader:
    def __init__(self, path: Path):
        self.path = path

    def fail(self, where: str, message: str):
        raise QuestionnaireError(f"{self.path}: {where}: {message}")

    def mapping(self, value, where: str) -> dict:
        if not isinstance(value, dict):
            self.fail(where, "expected a mapping")
        return value

    def text(self, value, where: str) -> Text:
        value = self.mapping(value, where)
        for lang in LANGUAGES:
            if not isinstance(value.get(lang), str) or not value[lang].strip():
                self.fail(where, f"missing {lang} translation")
        return Text(value["zh"].strip(), value["en"].strip())

    def number(self, value, where: str, *, positive=False, low=None, high=None) -> float:
        if isinstance(value, bool) or not isinstance(value, int | float) or math.isnan(value):
            self.fail(where, f"expected a number, got {value!r}")
        if positive and value <= 0:
            self.fail(where, f"must be positive, got {value!r}")
        if (low is not None and value < low) or (high is not None and value > high):
            self.fail(where, f"must be between {low} and {high}, got {value!r}")
        return value

    def ref(self, value, where: str, sources) -> Reference:
        value = self.mapping(value, f"{where}.ref")
        if value.get("source") not in sources:
            self.fail(where, f"ref names unknown source {value.get('source')!r}")
        passage = value.get("passage")
        if not isinstance(passage, str) or not passage.strip():
            self.fail(where, "ref has no passage")
        return Reference(str(value["source"]), passage)

    def questionnaire(self, data) -> Questionnaire:
        data = self.mapping(data, "top level")
        version = str(data.get("version", ""))
        if version != self.path.stem:
            self.fail("version", f"{version!r} does not match the file name {self.path.stem!r}")
        sources = {str(k): self.text(v, f"source {k}") for k, v in self.mapping(data.get("sources"), "sources").items()}
        levels = self.levels(data.get("levels"))
        pillars, items = [], {}
        raw_pillars = data.get("pillars")
        if not isinstance(raw_pillars, list) or not raw_pillars:
            self.fail("pillars", "expected a non-empty list")
        for raw in raw_pillars:
            pillar = self.pillar(raw, sources, items)
            if any(p.id == pillar.id for p in pillars):
                self.fail(f"pillar {pillar.id}", "duplicate id")
            pillars.append(pillar)
        flags = tuple(self.flag(raw, items) for raw in data.get("flags") or [])
        suggestions = tuple(
            self.suggestion(raw, items, {p.id for p in pillars}, sources) for raw in data.get("suggestions") or []
        )
        for kind, rules in (("flag", flags), ("suggestion", suggestions)):
            seen = set()
            for rule in rules:
                if rule.id in seen:
                    self.fail(f"{kind} {rule.id}", "duplicate id")
                seen.add(rule.id)
        return Questionnaire(
            version=version,
            title=self.text(data.get("title"), "title"),
            sources=sources,
            levels=levels,
            pillars=tuple(pillars),
            flags=flags,
            suggestions=suggestions,
            items=items,
        )

    def levels(self, raw) -> tuple[Level, ...]:
        if not isinstance(raw, list) or len(raw) != 4:
            self.fail("levels", "expected exactly four maturity levels")
        levels = []
        for i, lv in enumerate(raw):
            lv = self.mapping(lv, f"level {i + 1}")
            where = f"level {lv.get('id', i + 1)}"
            minimum = self.number(lv.get("min"), where, low=0, high=100)
            if levels and minimum <= levels[-1].min:
                self.fail(where, "levels must ascend by min")
            if not levels and minimum != 0:
                self.fail(where, "the first level must start at 0")
            levels.append(
                Level(
                    str(lv.get("id")),
                    minimum,
                    self.text(lv.get("name"), where),
                    self.text(lv.get("description"), where),
                )
            )
        return tuple(levels)

    def pillar(self, raw, sources, items) -> Pillar:
        raw = self.mapping(raw, "pillar")
        pid = raw.get("id")
        where = f"pillar {pid}"
        if not isinstance(pid, str) or not pid:
            self.fail(where, "missing id")
        raw_items = raw.get("items")
        if not isinstance(raw_items, list) or not raw_items:
            self.fail(where, "expected a non-empty list of items")
        pillar_items = []
        for raw_item in raw_items:
            item = self.item(raw_item, pid, sources)
            if item.id in items:
                self.fail(f"item {item.id}", "duplicate id")
            items[item.id] = item
            pillar_items.append(item)
        if not any(i.scored for i in pillar_items):
            self.fail(where, "has no scored item")
        return Pillar(
            id=pid,
            weight=self.number(raw.get("weight"), where + ".weight", positive=True),
            name=self.text(raw.get("name"), where + ".name"),
            description=self.text(raw.get("description"), where + ".description"),
            items=tuple(pillar_items),
        )

    def item(self, raw, pillar_id, sources) -> Item:
        raw = self.mapping(raw, f"an item of pillar {pillar_id}")
        iid = raw.get("id")
        where = f"item {iid}"
        if not isinstance(iid, str) or not iid:
            self.fail(f"an item of pillar {pillar_id}", "missing id")
        kind = raw.get("type")
        if kind not in ITEM_TYPES:
            self.fail(where, f"unknown type {kind!r} (expected one of {', '.join(ITEM_TYPES)})")
        weight = self.number(raw.get("weight", 0), where + ".weight", low=0)
        if kind == "text" and weight != 0:
            self.fail(where, "a text item is not scored: its weight must be 0")
        if kind != "text" and weight <= 0:
            self.fail(where, "a scored item needs a positive weight")
        extra = {}
        if kind == "scale":
            levels = raw.get("levels")
            if not isinstance(levels, list) or len(levels) != SCALE_POINTS:
                self.fail(where, f"a scale item needs exactly {SCALE_POINTS} level descriptions")
            extra["levels"] = tuple(self.text(lv, f"{where} level {n}") for n, lv in enumerate(levels, 1))
        elif kind == "count":
            thresholds = raw.get("thresholds")
            if (
                not isinstance(thresholds, list)
                or not thresholds
                or any(isinstance(t, bool) or not isinstance(t, int) or t < 0 for t in thresholds)
                or any(a >= b for a, b in zip(thresholds, thresholds[1:], strict=False))
            ):
                self.fail(where, "thresholds must be strictly increasing whole numbers >= 0")
            extra["thresholds"] = tuple(thresholds)
            extra["max"] = int(self.number(raw.get("max"), where + ".max", low=thresholds[-1]))
            extra["unit"] = self.text(raw.get("unit"), where + ".unit")
        elif kind == "percent":
            extra["zero_at"] = self.number(raw.get("zero_at", 0), where + ".zero_at", low=0, high=100)
            extra["full_at"] = self.number(raw.get("full_at", 100), where + ".full_at", low=0, high=100)
            if extra["zero_at"] >= extra["full_at"]:
                self.fail(where, "zero_at must be below full_at")
        return Item(
            id=iid,
            pillar_id=pillar_id,
            type=kind,
            weight=weight,
            text=self.text(raw.get("text"), where + ".text"),
            help=self.text(raw["help"], where + ".help") if raw.get("help") is not None else None,
            ref=self.ref(raw.get("ref"), where, sources),
            **extra,
        )

    def flag(self, raw, items) -> FlagRule:
        raw = self.mapping(raw, "flag")
        where = f"flag {raw.get('id')}"
        when = raw.get("when")
        if not isinstance(when, list) or not when:
            self.fail(where, "expected a non-empty list of conditions in `when`")
        conditions = []
        for cond in when:
            cond = self.mapping(cond, where)
            item = items.get(cond.get("item"))
            if item is None or not item.scored:
                self.fail(where, f"condition on unknown or unscored item {cond.get('item')!r}")
            if cond.get("op") not in OPERATORS:
                self.fail(where, f"unknown operator {cond.get('op')!r}")
            try:
                value = item.parse(cond.get("value"))
            except AnswerError:
                value = None
            if value is None:
                self.fail(where, f"value {cond.get('value')!r} does not fit item {item.id}")
            conditions.append(Condition(item.id, cond["op"], value))
        return FlagRule(str(raw.get("id")), tuple(conditions), self.text(raw.get("text"), where))

    def suggestion(self, raw, items, pillar_ids, sources) -> SuggestionRule:
        raw = self.mapping(raw, "suggestion")
        where = f"suggestion {raw.get('id')}"
        item, pillar = raw.get("item"), raw.get("pillar")
        if (item is None) == (pillar is None):
            self.fail(where, "needs exactly one of `item` or `pillar`")
        if item is not None and (item not in items or not items[item].scored):
            self.fail(where, f"unknown or unscored item {item!r}")
        if pillar is not None and pillar not in pillar_ids:
            self.fail(where, f"unknown pillar {pillar!r}")
        return SuggestionRule(
            id=str(raw.get("id")),
            below=self.number(raw.get("below"), where + ".below", low=1, high=100),
            text=self.text(raw.get("text"), where),
            ref=self.ref(raw.get("ref"), where, sources),
            item=item,
            pillar=pillar,
        )
