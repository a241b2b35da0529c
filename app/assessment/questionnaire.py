"""The questionnaire: a versioned YAML file loaded into frozen dataclasses.

A definition is validated as it is loaded; anything malformed raises
`QuestionnaireError` naming the file and the item, so the app refuses to start
instead of showing a broken form.

Each item is an instance of its type's class (`items.py`), which reads its own fields of the
file and its answers. An item that allows it may also be answered `NOT_APPLICABLE`, which
counts as answered and is left out of every mean.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path

from .items import ITEM_TYPES, NOT_APPLICABLE, AnswerError, Item
from .text import LANGUAGES, Text
from .yamlfile import YamlReader

QUESTIONNAIRE_DIR = Path(__file__).parent / "questionnaires"
OPERATORS = ("==", "!=", ">=", "<=", ">", "<")
ITEM_KEYS = {"id", "type", "weight", "text", "help", "ref", "lead", "not_applicable"}  # every type's


class QuestionnaireError(ValueError):
    """A questionnaire definition is malformed."""


# Corrections of the source texts' OCR errors for display. A displayed quotation is its verbatim
# passage with only these replacements applied, then ASCII punctuation beside Chinese characters
# made Chinese (`chinese_punctuation`); the loader refuses a quotation that is anything else.
QUOTE_CORRECTIONS = (
    ("假设干", "若干"),
    ("以身作那么", "以身作则"),
    ("诫免", "诫勉"),
    ("列人", "列入"),
    ("鼓励机制", "激励机制"),
    # the scan dropped "1+X" and most closing quotes; restored where a passage needs them
    ("“学习模式", "“1+X”学习模式"),
    ("效果“四到位", "效果“四到位”"),
    ("“要我学变为“我要学", "“要我学”变为“我要学”"),
    ("“要我学向“我要学", "“要我学”向“我要学”"),
    ("“泛泛学向“深入学", "“泛泛学”向“深入学”"),
    ("“个人学向“团队学", "“个人学”向“团队学”"),
    ("“单纯学向“创新学", "“单纯学”向“创新学”"),
    ("“一人读、众人听的", "“一人读、众人听”的"),
)
_CJK = "\u3400-\u9fff\uf900-\ufaff"
_TO_CHINESE = str.maketrans({",": "，", ";": "；", ":": "：", "?": "？", "!": "！", "(": "（", ")": "）"})
_ASCII_BESIDE_CHINESE = re.compile(f"(?<=[{_CJK}])[,;:?!()]|[,;:?!()](?=[{_CJK}])")


def chinese_punctuation(text: str) -> str:
    """ASCII , ; : ? ! ( ) beside a Chinese character made full-width; numbers and Latin words keep theirs."""
    return _ASCII_BESIDE_CHINESE.sub(lambda m: m.group().translate(_TO_CHINESE), text)


def corrected_quote(passage: str) -> str:
    """The display quotation of a verbatim passage: `QUOTE_CORRECTIONS`, then Chinese punctuation."""
    for wrong, right in QUOTE_CORRECTIONS:
        passage = passage.replace(wrong, right)
    return chinese_punctuation(passage)


@dataclass(frozen=True)
class Reference:
    source: str
    passage: str  # verbatim from the source text, OCR errors included: for tracing, never shown
    quote: Text  # what readers see: `corrected_quote(passage)` and its English translation


@dataclass(frozen=True)
class Level:
    id: str
    min: float
    name: Text
    description: Text


@dataclass(frozen=True)
class Pillar:
    id: str
    weight: float
    name: Text
    description: Text
    items: tuple[Item, ...]
    level_texts: tuple[Text, ...] = ()  # what each maturity level means for this pillar (may be empty)

    @property
    def scored_items(self) -> tuple[Item, ...]:
        return tuple(i for i in self.items if i.scored)


@dataclass(frozen=True)
class Condition:
    """`item op value`. On an unscored (free-text) item the only operator is "mentions": the text
    contains any of the words in `value`. "== n/a" holds for a not-applicable answer, which meets
    no other condition; an unanswered item meets none. Answers are compared as their item's
    `comparable` makes them (two counts as their percentage)."""

    item: str
    op: str
    value: object
    subject: Item = field(compare=False, repr=False)  # the item `item` names

    def holds(self, value) -> bool:
        if value is None or (value == NOT_APPLICABLE) != (self.value == NOT_APPLICABLE):
            return False
        if value == NOT_APPLICABLE:  # "== n/a" is the only condition on it
            return True
        if self.op == "mentions":
            return any(word in value for word in self.value)
        a, b = self.subject.comparable(value), self.value
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
    """Advice on one item (fires while its score is below `below`), or on a pillar (fires while the
    pillar's score is below `below` and one of the items it `covers` is not yet at its best)."""

    id: str
    below: float
    text: Text
    ref: Reference
    timeframe: str  # a key of `Questionnaire.timeframes`
    item: str | None = None
    pillar: str | None = None
    lead: str | None = None  # a key of `Questionnaire.leads`; an item rule's default is its item's
    covers: tuple[str, ...] = ()


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
    leads: dict[str, Text] = field(default_factory=dict)  # who leads an action: secretary, organisation, …
    timeframes: dict[str, Text] = field(default_factory=dict)  # when a suggestion should be acted on

    def pillar(self, pillar_id: str) -> Pillar:
        return next(p for p in self.pillars if p.id == pillar_id)

    def level_for(self, score: float | None) -> Level | None:
        if score is None:
            return None
        return [lv for lv in self.levels if score >= lv.min][-1]

    def level_text(self, pillar: Pillar, level: Level | None) -> Text | None:
        """What `level` means for `pillar`, if the questionnaire says."""
        if level is None or not pillar.level_texts:
            return None
        return pillar.level_texts[self.levels.index(level)]

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
    """The versions shipped as files of questionnaires/ (others may be stored: `set_store`)."""
    return sorted(p.stem for p in QUESTIONNAIRE_DIR.glob("*.yaml"))


# where versions beyond the shipped files come from: version -> (file name, YAML text) or None
_store: Callable[[str], tuple[str, str] | None] | None = None


def set_store(find: Callable[[str], tuple[str, str] | None]) -> None:
    """Name where stored versions are found (the application: its database). A stored version is
    read once per process, so it must not change once used (the application keeps it so)."""
    global _store
    _store = find


@cache
def get_questionnaire(version: str) -> Questionnaire:
    """The questionnaire of `version`, loaded once per process."""
    path = QUESTIONNAIRE_DIR / f"{version}.yaml"
    if path.exists():
        return load_questionnaire(path)
    stored = _store(version) if _store is not None else None
    if stored is None:
        raise QuestionnaireError(f"{path}: no questionnaire of version {version!r}")
    return parse_questionnaire(*stored)


def load_questionnaire(path: str | Path) -> Questionnaire:
    loader = _Loader(path)
    return loader.questionnaire(loader.load())


def parse_questionnaire(filename: str, text: str, path: Path | None = None) -> Questionnaire:
    """A questionnaire from the YAML `text` of a file named `filename` (its stem is the version);
    `QuestionnaireError` names the file, the item and what is wrong, as at start-up."""
    loader = _Loader(path or Path(filename))
    return loader.questionnaire(loader.load(text))


class _Loader(YamlReader):
    error = QuestionnaireError

    def text(self, value, where: str) -> Text:
        value = self.mapping(value, where)
        for lang in LANGUAGES:
            if not isinstance(value.get(lang), str) or not value[lang].strip():
                self.fail(where, f"missing {lang} translation")
        return Text(value["zh"].strip(), value["en"].strip())

    def ref(self, value, where: str, sources) -> Reference:
        value = self.mapping(value, f"{where}.ref")
        if value.get("source") not in sources:
            self.fail(where, f"ref names unknown source {value.get('source')!r}")
        passage = value.get("passage")
        if not isinstance(passage, str) or not passage.strip():
            self.fail(where, "ref has no passage")
        quote = self.text(value.get("quote"), f"{where}.ref.quote")
        if quote.zh != corrected_quote(passage):
            self.fail(where, f"ref.quote.zh must be the passage corrected: {corrected_quote(passage)!r}")
        return Reference(str(value["source"]), passage, quote)

    def texts(self, value, where: str) -> dict[str, Text]:
        return {str(k): self.text(v, f"{where} {k}") for k, v in self.mapping(value, where).items()}

    def key(self, value, table: dict, where: str, what: str) -> str:
        if value not in table:
            self.fail(where, f"{what} must be one of {', '.join(table)}, got {value!r}")
        return value

    def questionnaire(self, data) -> Questionnaire:
        data = self.mapping(data, "top level")
        version = str(data.get("version", ""))
        if version != self.path.stem:
            self.fail("version", f"{version!r} does not match the file name {self.path.stem!r}")
        sources = self.texts(data.get("sources"), "sources")
        self.leads = self.texts(data.get("leads"), "leads")
        self.timeframes = self.texts(data.get("timeframes"), "timeframes")
        levels = self.levels(data.get("levels"))
        self.level_count = len(levels)
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
        suggestions = tuple(self.suggestion(raw, items, sources) for raw in data.get("suggestions") or [])
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
            leads=self.leads,
            timeframes=self.timeframes,
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
        if not any(i.scored and not i.allows_na for i in pillar_items):
            self.fail(where, "needs a scored item that is always applicable (so that it always has a score)")
        level_texts = raw.get("levels") or []
        if level_texts and (not isinstance(level_texts, list) or len(level_texts) != self.level_count):
            self.fail(where, f"levels: expected one text per maturity level ({self.level_count})")
        return Pillar(
            id=pid,
            weight=self.number(raw.get("weight"), where + ".weight", positive=True),
            name=self.text(raw.get("name"), where + ".name"),
            description=self.text(raw.get("description"), where + ".description"),
            items=tuple(pillar_items),
            level_texts=tuple(self.text(t, f"{where} level {n}") for n, t in enumerate(level_texts, 1)),
        )

    def item(self, raw, pillar_id, sources) -> Item:
        raw = self.mapping(raw, f"an item of pillar {pillar_id}")
        iid = raw.get("id")
        where = f"item {iid}"
        if not isinstance(iid, str) or not iid:
            self.fail(f"an item of pillar {pillar_id}", "missing id")
        kind = ITEM_TYPES.get(raw.get("type"))
        if kind is None:
            self.fail(where, f"unknown type {raw.get('type')!r} (expected one of {', '.join(ITEM_TYPES)})")
        unknown = ", ".join(sorted(map(str, set(raw) - ITEM_KEYS - set(kind.keys))))
        if unknown:
            self.fail(where, f"a {kind.type} item has no {unknown} (its own fields: {', '.join(kind.keys) or 'none'})")
        weight = self.number(raw.get("weight", 0), where + ".weight", low=0)
        if not kind.scored and weight != 0:
            self.fail(where, f"a {kind.type} item is not scored: its weight must be 0")
        if kind.scored and weight <= 0:
            self.fail(where, "a scored item needs a positive weight")
        allows_na = raw.get("not_applicable", False)
        if not isinstance(allows_na, bool) or (allows_na and not kind.scored):
            self.fail(where, f"not_applicable must be true or false, and a {kind.type} item has no such answer")
        extra = kind.read(raw, self, where)
        if kind.scored:
            extra["lead"] = self.key(raw.get("lead"), self.leads, where, "lead")
        return kind(
            id=iid,
            pillar_id=pillar_id,
            weight=weight,
            text=self.text(raw.get("text"), where + ".text"),
            help=self.text(raw["help"], where + ".help") if raw.get("help") is not None else None,
            ref=self.ref(raw.get("ref"), where, sources),
            allows_na=allows_na,
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
            if item is None:
                self.fail(where, f"condition on unknown item {cond.get('item')!r}")
            if not item.scored:
                words = cond.get("value")
                if (
                    cond.get("op") != "mentions"
                    or not isinstance(words, list)
                    or not all(isinstance(w, str) and w for w in words)
                ):
                    self.fail(where, f"a text item {item.id} takes only `mentions` with a list of words")
                conditions.append(Condition(item.id, "mentions", tuple(words), item))
                continue
            if cond.get("op") not in OPERATORS:
                self.fail(where, f"unknown operator {cond.get('op')!r}")
            try:
                value = item.condition_value(cond.get("value"))
            except AnswerError:
                value = None
            if value is None or (value == NOT_APPLICABLE and (cond["op"] != "==" or not item.allows_na)):
                self.fail(where, f"value {cond.get('value')!r} does not fit item {item.id}")
            conditions.append(Condition(item.id, cond["op"], value, item))
        return FlagRule(str(raw.get("id")), tuple(conditions), self.text(raw.get("text"), where))

    def suggestion(self, raw, items, sources) -> SuggestionRule:
        raw = self.mapping(raw, "suggestion")
        where = f"suggestion {raw.get('id')}"
        item, pillar = raw.get("item"), raw.get("pillar")
        if (item is None) == (pillar is None):
            self.fail(where, "needs exactly one of `item` or `pillar`")
        if item is not None and (item not in items or not items[item].scored):
            self.fail(where, f"unknown or unscored item {item!r}")
        covers = raw.get("covers") or []
        if pillar is not None:
            own = {i.id for i in items.values() if i.pillar_id == pillar and i.scored}
            if not own:
                self.fail(where, f"unknown pillar {pillar!r}")
            if not isinstance(covers, list) or not covers or not set(covers) <= own:
                self.fail(where, f"a pillar's advice `covers` a list of its scored items ({', '.join(sorted(own))})")
        elif covers:
            self.fail(where, "only a pillar's advice `covers` items")
        lead = raw.get("lead")
        return SuggestionRule(
            id=str(raw.get("id")),
            below=self.number(raw.get("below"), where + ".below", low=1, high=100),
            text=self.text(raw.get("text"), where),
            ref=self.ref(raw.get("ref"), where, sources),
            timeframe=self.key(raw.get("timeframe"), self.timeframes, where, "timeframe"),
            item=item,
            pillar=pillar,
            lead=self.key(lead, self.leads, where, "lead") if lead is not None or pillar is not None else None,
            covers=tuple(covers),
        )
