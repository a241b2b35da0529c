"""The questionnaire file: loaded, validated, traceable to the source texts. No app needed."""

from pathlib import Path

import pytest
import yaml

from app.assessment.items import ITEM_TYPES, CountItem, Counts, PercentItem, ScaleItem, TextItem, YesNoItem
from app.assessment.questionnaire import (
    QUESTIONNAIRE_DIR,
    AnswerError,
    QuestionnaireError,
    available_versions,
    corrected_quote,
    get_questionnaire,
    load_questionnaire,
)

SEEDS = Path(__file__).resolve().parents[3] / "shared" / "seeds"
SEED_FILES = {"004": "004_52b47fe64c4908a0.txt", "000": "000_afaea689d1378313.txt"}


@pytest.fixture(params=available_versions())
def questionnaire(request):
    return get_questionnaire(request.param)


def test_four_pillars_with_at_least_eight_scored_items(questionnaire):
    assert [p.id for p in questionnaire.pillars] == [
        "leadership",
        "collective_study",
        "topical_lectures",
        "institutional_rules",
    ]
    for pillar in questionnaire.pillars:
        assert len(pillar.scored_items) >= 8, pillar.id
        assert {type(i) for i in pillar.items} >= {ScaleItem, YesNoItem}  # ratings and facts


def test_every_item_type_is_used(questionnaire):
    assert {type(i) for i in questionnaire.items.values()} == set(ITEM_TYPES.values())


def test_every_scored_item_has_a_suggestion(questionnaire):
    keyed = {s.item for s in questionnaire.suggestions if s.item}
    assert {i.id for i in questionnaire.items.values() if i.scored} <= keyed


def test_every_reference_quotes_its_source_verbatim(questionnaire):
    """Each item and suggestion is traceable to a passage of the two source texts."""
    if not SEEDS.exists():
        pytest.skip(f"source texts not found at {SEEDS}")
    texts = {key: (SEEDS / name).read_text(encoding="utf-8") for key, name in SEED_FILES.items()}
    refs = [(i.id, i.ref) for i in questionnaire.items.values()]
    refs += [(s.id, s.ref) for s in questionnaire.suggestions]
    for where, ref in refs:
        assert ref.passage in texts[ref.source], f"{where}: {ref.passage!r} is not in source {ref.source}"


def test_every_displayed_quotation_is_its_passage_with_only_the_documented_corrections(questionnaire):
    refs = [(i.id, i.ref) for i in questionnaire.items.values()]
    refs += [(s.id, s.ref) for s in questionnaire.suggestions]
    for where, ref in refs:
        assert ref.quote.zh == corrected_quote(ref.passage), where
        assert ref.quote.en, where


@pytest.mark.parametrize(
    ("passage", "quote"),
    [
        ("领导带头,以身作那么,亲自上课", "领导带头，以身作则，亲自上课"),
        ("根据班子成员的人数,分成假设干组", "根据班子成员的人数，分成若干组"),
        ("予以诫免,同时当年不得提拔使用", "予以诫勉，同时当年不得提拔使用"),
        ("作为一项战略任务,列人重要议程", "作为一项战略任务，列入重要议程"),
        ("人员、时间、内容、效果“四到位", "人员、时间、内容、效果“四到位”"),
        ("由“要我学变为“我要学", "由“要我学”变为“我要学”"),
        ("推广好“学习模式,要把握以下工作程序", "推广好“1+X”学习模式，要把握以下工作程序"),
        ("低于70%,请核实", "低于70%，请核实"),  # beside a Chinese character only
        ("1,000 people, 2:1", "1,000 people, 2:1"),
    ],
)
def test_the_corrections_of_the_source_texts(passage, quote):
    assert corrected_quote(passage) == quote


def write_variant(tmp_path, version, mutate):
    data = yaml.safe_load((QUESTIONNAIRE_DIR / f"{version}.yaml").read_text(encoding="utf-8"))
    mutate(data)
    path = tmp_path / f"{version}.yaml"
    path.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    return path


def first_item(data):
    return data["pillars"][0]["items"][0]


def pillar_rule(data):
    return next(s for s in data["suggestions"] if "pillar" in s)


def all_items_na(data, pillar):
    for item in data["pillars"][pillar]["items"]:
        if item.get("weight"):
            item["not_applicable"] = True


@pytest.mark.parametrize(
    ("mutate", "message"),
    [
        (lambda d: first_item(d).update(type="slider"), "unknown type 'slider'"),
        (lambda d: d["pillars"][1]["items"][0].update(id=first_item(d)["id"]), "duplicate id"),
        (lambda d: first_item(d).update(weight=-1), "weight"),
        (lambda d: first_item(d).update(weight="heavy"), "expected a number"),
        (lambda d: first_item(d)["text"].pop("en"), "missing en translation"),
        (lambda d: first_item(d)["levels"][2].update(zh=""), "missing zh translation"),
        (lambda d: first_item(d)["levels"].pop(), "exactly 5 level descriptions"),
        (lambda d: d["suggestions"][0].update(item="NOPE"), "unknown or unscored item 'NOPE'"),
        (lambda d: d["flags"][0]["when"][0].update(op="~"), "unknown operator"),
        (lambda d: d["levels"].pop(), "exactly four maturity levels"),
        (lambda d: first_item(d)["ref"]["quote"].update(zh="改过的引文"), "ref.quote.zh must be the passage corrected"),
        (lambda d: first_item(d).update(lead="mayor"), "lead must be one of"),
        (lambda d: d["suggestions"][0].update(timeframe="someday"), "timeframe must be one of"),
        (lambda d: pillar_rule(d).pop("covers"), "covers"),
        (lambda d: first_item(d).update(counts={"part": {"zh": "甲", "en": "a"}}), "a scale item has no counts"),
        (lambda d: all_items_na(d, 0), "always applicable"),
    ],
)
def test_a_malformed_definition_names_the_file_and_the_item(tmp_path, mutate, message):
    version = available_versions()[-1]
    path = write_variant(tmp_path, version, mutate)
    with pytest.raises(QuestionnaireError) as excinfo:
        load_questionnaire(path)
    assert str(path) in str(excinfo.value)
    assert message in str(excinfo.value)


def test_the_named_item_is_the_broken_one(tmp_path):
    version = available_versions()[-1]
    path = write_variant(tmp_path, version, lambda d: d["pillars"][2]["items"][3].update(type="dial"))
    broken_id = yaml.safe_load(path.read_text(encoding="utf-8"))["pillars"][2]["items"][3]["id"]
    with pytest.raises(QuestionnaireError, match=f"item {broken_id}: unknown type"):
        load_questionnaire(path)


def plain_item(questionnaire, kind):
    """An item of class `kind` answered by one value (not two counts); skips when there is none."""
    item = next((i for i in questionnaire.items.values() if type(i) is kind and not isinstance(i.entry, Counts)), None)
    if item is None:
        pytest.skip(f"{questionnaire.version} has no plain {kind.__name__}")
    return item


@pytest.mark.parametrize(
    ("kind", "raw", "expected"),
    [
        (ScaleItem, "3", 3),
        (ScaleItem, 5, 5),
        (YesNoItem, "yes", True),
        (YesNoItem, "否", False),
        (YesNoItem, False, False),
        (PercentItem, "87.5", 87.5),
        (CountItem, "4", 4),
        (TextItem, "  有证据  ", "有证据"),
        (ScaleItem, "", None),
    ],
)
def test_parse_accepts(questionnaire, kind, raw, expected):
    item = plain_item(questionnaire, kind)
    assert item.parse(raw) == expected


@pytest.mark.parametrize(
    ("kind", "raw", "code"),
    [
        (ScaleItem, "6", "whole_number"),
        (ScaleItem, "2.5", "whole_number"),
        (ScaleItem, "abc", "whole_number"),
        (ScaleItem, True, "whole_number"),
        (YesNoItem, "maybe", "yes_no"),
        (PercentItem, "101", "percent"),
        (PercentItem, "nan", "percent"),
        (CountItem, "-1", "whole_number"),
        (TextItem, "x" * 5000, "too_long"),
    ],
)
def test_parse_rejects(questionnaire, kind, raw, code):
    item = plain_item(questionnaire, kind)
    with pytest.raises(AnswerError) as excinfo:
        item.parse(raw)
    assert excinfo.value.code == code
    assert excinfo.value.item_id == item.id


def test_unknown_items_are_reported(questionnaire):
    values, errors = questionnaire.parse_answers({"ZZ99": "1"})
    assert values == {}
    assert errors["ZZ99"].code == "unknown_item"


def test_the_domain_imports_no_framework():
    import ast

    for path in Path(QUESTIONNAIRE_DIR).parent.glob("*.py"):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            names = []
            if isinstance(node, ast.Import):
                names = [a.name for a in node.names]
            elif isinstance(node, ast.ImportFrom) and node.level == 0:
                names = [node.module or ""]
            for name in names:
                assert name.split(".")[0] not in {"flask", "flask_babel", "sqlalchemy", "reportlab", "wtforms"}, (
                    f"{path.name} imports {name}"
                )


def test_huge_numbers_are_refused_not_crashed_on(questionnaire):
    for item in questionnaire.items.values():
        if item.scored:
            for raw in (10**400, [1, 10**400]):
                with pytest.raises(AnswerError):
                    item.parse(raw)


def test_the_newest_version_asks_what_a_branch_decides_in_plain_party_building_chinese():
    """No calques ("……的情况如何？"), no central-group or cadre-promotion rules in what branches read,
    help for every scored item, an answer that may not apply for what may not apply."""
    q = get_questionnaire(available_versions()[-1])
    texts = [(i.id, t) for i in q.items.values() for t in i.wording()]
    texts += [(s.id, s.text) for s in q.suggestions]
    for where, text in texts:
        for phrase in ("情况如何", "程度如何", "中心组", "乡科级", "提拔"):
            assert phrase not in text.zh, f"{where}: {phrase} in {text.zh}"
    for item in q.items.values():
        if item.scored:
            assert item.help is not None, item.id
            assert item.lead in q.leads, item.id
    assert any(i.allows_na for i in q.items.values())
    assert any(isinstance(i.entry, Counts) for i in q.items.values())
    assert all(len(p.level_texts) == len(q.levels) for p in q.pillars)
