"""A new item type needs its class and nothing else: a three-star rating, defined and registered
here only, works in a questionnaire file, on the pillar page, in scoring, in the API's document
and answers, and in the PDF report, with no other file touched."""

from __future__ import annotations

import shutil
from dataclasses import dataclass

import pytest
import yaml

from app.assessment import questionnaire as questionnaires
from app.assessment.items import ITEM_TYPES, Choice, Item, Option, whole_in
from app.assessment.scoring import score_selfcheck
from app.assessment.text import Text
from app.database import write_transaction
from app.extensions import db
from app.models import Cycle
from tests.conftest import THIS_YEAR, VERSION, answers_at, login
from tests.helpers import Api, make_token, pdf_text, read_pdf, squash

STARS_VERSION = "2099-1"
STAR_ITEM = "L01"


@dataclass(frozen=True, kw_only=True)
class StarsItem(Item):
    """One, two or three stars, each described; scores 0, 50, 100."""

    type = "stars"
    keys = ("stars",)

    stars: tuple[Text, Text, Text]

    @classmethod
    def read(cls, raw, reader, where):
        stars = raw.get("stars")
        if not isinstance(stars, list) or len(stars) != 3:
            reader.fail(where, "a stars item describes exactly 3 stars")
        return {"stars": tuple(reader.text(star, f"{where} star {n}") for n, star in enumerate(stars, 1))}

    def read_answer(self, raw):
        return whole_in(self.id, raw, 1, 3)

    def points(self, value):
        return (value - 1) * 50.0

    def next_step(self, score):
        return score + 50

    def words(self, value):
        return Text(f"{value} 颗星", f"{value} of 3 stars")

    def answer_detail(self, value):
        return self.stars[value - 1] if isinstance(value, int) else None

    @property
    def entry(self):
        return Choice(tuple(Option(str(n), star, mark="★" * n) for n, star in enumerate(self.stars, 1)))

    def own_wording(self):
        return self.stars

    def fields(self):
        return {"stars": self.stars}

    @classmethod
    def fields_schema(cls, text):
        return {"stars": {"type": "array", "items": text, "minItems": 3, "maxItems": 3}}

    @classmethod
    def answer_schema(cls):
        return {"type": "integer", "minimum": 1, "maximum": 3, "description": "1, 2 or 3 stars."}

    def sample(self, level):
        return 1 + (level - 1) // 2


STARS = [
    {"zh": "书记讲过一次课", "en": "The secretary lectured once"},
    {"zh": "书记每季度讲一次课", "en": "The secretary lectures every quarter"},
    {"zh": "书记每月讲课并逐一点评", "en": "The secretary lectures monthly and comments on each talk"},
]


@pytest.fixture(autouse=True)
def stars(monkeypatch, tmp_path):
    """The type registered, and a questionnaire whose first item is rated in stars beside the real ones."""
    monkeypatch.setitem(ITEM_TYPES, StarsItem.type, StarsItem)
    folder = tmp_path / "questionnaires"
    shutil.copytree(questionnaires.QUESTIONNAIRE_DIR, folder)
    data = yaml.safe_load((folder / f"{VERSION}.yaml").read_text(encoding="utf-8"))
    data["version"] = STARS_VERSION
    item = data["pillars"][0]["items"][0]
    assert item["id"] == STAR_ITEM
    item.pop("levels")
    item.update(type="stars", stars=STARS, not_applicable=False)
    data["flags"] = [f for f in data["flags"] if all(c["item"] != STAR_ITEM for c in f["when"])]
    (folder / f"{STARS_VERSION}.yaml").write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    monkeypatch.setattr(questionnaires, "QUESTIONNAIRE_DIR", folder)
    yield questionnaires.get_questionnaire(STARS_VERSION)
    questionnaires.get_questionnaire.cache_clear()


@pytest.fixture
def starred(app, world):
    """This year's cycle answered with the questionnaire that has stars."""
    with app.app_context(), write_transaction():
        cycle = db.session.scalar(db.select(Cycle).where(Cycle.year == THIS_YEAR))
        cycle.questionnaire_version = STARS_VERSION
        db.session.commit()


def test_the_file_loads_it_and_scoring_uses_it(stars):
    item = stars.items[STAR_ITEM]
    assert isinstance(item, StarsItem)
    assert [item.score(item.parse(raw)) for raw in ("1", "2", "3")] == [0, 50, 100]
    assert item.step_up(2) == 100
    best = {i.id: i.sample(5) for i in stars.items.values()}
    assert score_selfcheck(stars, best).score == pytest.approx(100)
    one_star = score_selfcheck(stars, {**best, STAR_ITEM: 1})
    assert one_star.pillar("leadership").score < 100
    assert one_star.priorities[0].item_id == STAR_ITEM  # the heaviest step up of the whole self-check


def test_a_malformed_stars_item_names_the_file_and_the_item(stars, tmp_path):
    path = questionnaires.QUESTIONNAIRE_DIR / f"{STARS_VERSION}.yaml"
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    data["pillars"][0]["items"][0]["stars"].pop()
    broken = tmp_path / f"{STARS_VERSION}.yaml"
    broken.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    with pytest.raises(questionnaires.QuestionnaireError, match=f"{broken}: item {STAR_ITEM}: a stars item"):
        questionnaires.load_questionnaire(broken)


def test_the_pillar_page_asks_it_and_keeps_the_answer(app, client, world, starred):
    login(client, "b1")
    page_url = client.post("/selfcheck/start").location
    page = client.get(page_url).get_data(as_text=True)
    for n, star in enumerate(STARS, 1):
        assert f'name="{STAR_ITEM}" value="{n}"' in page
        assert star["zh"] in page
    assert '<span class="point">★★★</span>' in page
    assert client.post(page_url, data={STAR_ITEM: "2", "go": "stay"}).status_code == 302
    page = client.get(page_url).get_data(as_text=True)
    assert f'name="{STAR_ITEM}" value="2" checked' in page
    refused = client.post(page_url, data={STAR_ITEM: "4", "go": "stay"})
    assert refused.status_code == 422
    assert "请输入 1 到 3 之间的整数。" in refused.get_data(as_text=True)
    review = client.get(page_url.rsplit("/", 1)[0] + "/review").get_data(as_text=True)
    assert f"2 颗星 — {STARS[1]['zh']}" in review


def test_the_api_describes_it_and_the_report_shows_it(app, client, world, starred):
    api = Api(client, make_token(app, "b1"))
    document = api.get("/openapi.json").json
    item_schema = document["components"]["schemas"]["Item"]
    assert "stars" in item_schema["properties"]["type"]["enum"]
    stars_schema = next(s for s in item_schema["oneOf"] if s["properties"]["type"] == {"const": "stars"})
    assert stars_schema["properties"]["stars"]["maxItems"] == 3
    answers = document["components"]["schemas"]["SelfCheck"]["properties"]["answers"]["additionalProperties"]
    assert StarsItem.answer_schema() in answers["anyOf"]

    definition = api.get(f"/cycles/{THIS_YEAR}/questionnaire").json
    described = definition["pillars"][0]["items"][0]
    assert (described["id"], described["type"], described["stars"][2]) == (STAR_ITEM, "stars", STARS[2])

    selfcheck_id = api.post("/selfchecks", json={"year": THIS_YEAR}).json["id"]
    saved = api.patch(f"/selfchecks/{selfcheck_id}/answers", json={"answers": {**answers_at(4, STARS_VERSION)}})
    assert saved.status_code == 200, saved.json
    assert api.get(f"/selfchecks/{selfcheck_id}").json["answers"][STAR_ITEM] == 2
    assert api.patch(f"/selfchecks/{selfcheck_id}/answers", json={"answers": {STAR_ITEM: 4}}).status_code == 422
    result = api.post(f"/selfchecks/{selfcheck_id}/submit").json
    row = next(r for r in result["pillars"][0]["items"] if r["id"] == STAR_ITEM)
    assert (row["value"], row["score"]) == (2, 50)

    text = pdf_text(read_pdf(api.get(f"/selfchecks/{selfcheck_id}/report.pdf?lang=en").data))
    assert squash("2 of 3 stars") in text
