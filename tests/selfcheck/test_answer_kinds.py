""" "Not applicable" and two-count answers, through every way in: the page, its autosave, the API
and import-answers; and shown as such on the review and result pages."""

import csv
import re

import pytest

from app.assessment.items import NOT_APPLICABLE, Counts, ScaleItem, YesNoItem
from app.assessment.questionnaire import get_questionnaire
from tests.conftest import THIS_YEAR, VERSION, answers_at, login
from tests.helpers import Api, make_token
from tests.selfcheck.test_selfcheck import start, stored
from tests.test_cli import invoke

Q = get_questionnaire(VERSION)
COUNTS = next(i for i in Q.items.values() if isinstance(i.entry, Counts) and i.allows_na)  # L09
YESNO_NA = next(i for i in Q.items.values() if isinstance(i, YesNoItem) and i.allows_na)  # L08
SCALE_NA = next(i for i in Q.items.values() if isinstance(i, ScaleItem) and i.allows_na)  # L04


def page_of(selfcheck_id, item):
    return f"/selfcheck/{selfcheck_id}/{item.pillar_id}"


def test_the_page_offers_two_counts_and_not_applicable(app, client, world):
    login(client, "b1")
    selfcheck_id, _ = start(client)
    page = client.get(page_of(selfcheck_id, COUNTS), headers={"Accept-Language": "zh"}).get_data(as_text=True)
    # text fields with a numeric keyboard: an entry that is no number stays in the field, beside its error
    assert page.count(f'type="text" name="{COUNTS.id}"') == 2
    assert 'type="number"' not in page
    assert f'type="checkbox" name="{COUNTS.id}" value="n/a"' in page
    assert f'type="radio" name="{YESNO_NA.id}" value="n/a"' in page
    assert f'type="radio" name="{SCALE_NA.id}" value="n/a"' in page
    assert COUNTS.counts[0].zh in page
    assert "不适用" in page


def test_the_page_saves_two_counts_and_not_applicable(app, client, world):
    login(client, "b1")
    selfcheck_id, _ = start(client)
    url = page_of(selfcheck_id, COUNTS)
    response = client.post(url, data={COUNTS.id: ["3", "5"], YESNO_NA.id: "n/a", "go": "stay"})
    assert response.status_code == 302
    assert stored(app, selfcheck_id)[COUNTS.id] == "[3, 5]"
    assert stored(app, selfcheck_id)[YESNO_NA.id] == '"n/a"'
    page = client.get(url).get_data(as_text=True)
    assert f'name="{COUNTS.id}" value="3"' in page
    assert f'name="{COUNTS.id}" value="5"' in page
    assert f'name="{YESNO_NA.id}" value="n/a" checked' in page
    # the box wins over numbers left in the fields
    client.post(url, data={COUNTS.id: ["3", "5", "n/a"], "go": "stay"})
    assert stored(app, selfcheck_id)[COUNTS.id] == '"n/a"'
    assert f'name="{COUNTS.id}" value="n/a" checked' in client.get(url).get_data(as_text=True)


def test_a_bad_pair_of_counts_is_refused_with_a_message_and_changes_nothing(app, client, world):
    login(client, "b1")
    selfcheck_id, _ = start(client)
    url = page_of(selfcheck_id, COUNTS)
    client.post(url, data={COUNTS.id: ["3", "5"], "go": "stay"})
    response = client.post(url, data={COUNTS.id: ["6", "5"], "go": "stay"}, headers={"Accept-Language": "zh"})
    assert response.status_code == 422
    assert "前一个不大于后一个" in response.get_data(as_text=True)
    assert stored(app, selfcheck_id)[COUNTS.id] == "[3, 5]"
    autosave = client.post(f"/selfcheck/{selfcheck_id}/autosave", json={"answers": {SCALE_NA.id: "n/a", "L01": "n/a"}})
    assert autosave.status_code == 422
    assert autosave.json["saved"] == [SCALE_NA.id]
    assert autosave.json["errors"]["L01"] == "本题没有“不适用”选项。"


def test_autosave_takes_what_the_page_script_sends(app, client, world):
    login(client, "b1")
    selfcheck_id, _ = start(client)
    response = client.post(
        f"/selfcheck/{selfcheck_id}/autosave", json={"answers": {COUNTS.id: "27/30", YESNO_NA.id: "n/a"}, "seq": 5}
    )
    assert response.status_code == 200, response.json
    assert stored(app, selfcheck_id) == {COUNTS.id: "[27, 30]", YESNO_NA.id: '"n/a"'}


def test_the_api_takes_and_gives_two_counts_and_not_applicable(app, client, world):
    api = Api(client, make_token(app, "b1"))
    selfcheck_id = api.post("/selfchecks", json={"year": THIS_YEAR}).json["id"]
    saved = api.patch(
        f"/selfchecks/{selfcheck_id}/answers", json={"answers": {COUNTS.id: [27, 30], SCALE_NA.id: "n/a"}}
    )
    assert saved.status_code == 200, saved.json
    assert api.get(f"/selfchecks/{selfcheck_id}").json["answers"] == {COUNTS.id: [27, 30], SCALE_NA.id: "n/a"}
    result = api.get(f"/selfchecks/{selfcheck_id}/result").json
    rows = {r["id"]: r for p in result["pillars"] for r in p["items"]}
    assert rows[SCALE_NA.id] == {
        "id": SCALE_NA.id,
        "value": "n/a",
        "score": None,
        "answered": True,
        "not_applicable": True,
    }
    assert rows[COUNTS.id]["score"] == COUNTS.score([27, 30])
    definition = api.get(f"/cycles/{THIS_YEAR}/questionnaire").json
    item = next(i for p in definition["pillars"] for i in p["items"] if i["id"] == COUNTS.id)
    assert item["not_applicable"] is True
    assert item["counts"]["part"] == {"zh": COUNTS.counts[0].zh, "en": COUNTS.counts[0].en}


def test_import_answers_takes_two_counts_and_not_applicable(app, runner, world, tmp_path):
    answers = answers_at(3)
    answers.update({COUNTS.id: "4/5", YESNO_NA.id: "不适用"})
    path = tmp_path / "answers.csv"
    with path.open("w", encoding="utf-8", newline="") as f:
        csv.writer(f).writerows(
            [("branch", "year", "item", "value"), *(("B1", THIS_YEAR, *a) for a in answers.items())]
        )
    result = invoke(runner, "import-answers", path, "--submit")
    assert result.exit_code == 0, result.output
    with app.app_context():
        from app.models import SelfCheck

        selfcheck_id = SelfCheck.query.one().id
    assert stored(app, selfcheck_id)[COUNTS.id] == "[4, 5]"
    assert stored(app, selfcheck_id)[YESNO_NA.id] == '"n/a"'
    path.write_text(f"branch,year,item,value\nB2,{THIS_YEAR},{COUNTS.id},9/5\n", encoding="utf-8")
    refused = invoke(runner, "import-answers", path)
    assert refused.exit_code != 0
    assert "expected two whole numbers as part/whole" in refused.output


def test_review_and_result_show_not_applicable_as_such(app, client, world):
    login(client, "b1")
    selfcheck_id, _ = start(client)
    answers = answers_at(4) | {YESNO_NA.id: "n/a", COUNTS.id: "4/5"}
    client.post(f"/selfcheck/{selfcheck_id}/autosave", json={"answers": answers})
    review = client.get(f"/selfcheck/{selfcheck_id}/review", headers={"Accept-Language": "zh"}).get_data(as_text=True)
    assert "不适用" in review
    assert f"{COUNTS.counts[0].zh} 4，{COUNTS.counts[1].zh} 5（80%）" in review
    client.post(f"/selfcheck/{selfcheck_id}/submit")
    result = client.get(f"/results/{selfcheck_id}", headers={"Accept-Language": "en"}).get_data(as_text=True)
    row = result[result.index(f"<td>{YESNO_NA.id} ") :]
    row = row[: row.index("</tr>")]
    assert "Not applicable" in row
    assert row.endswith("<td>—</td>")  # no score, not zero


@pytest.mark.parametrize("typed", [["abc", "5"], ["3", ""], ["三", "五"], ["3.5", "5"]])
def test_an_unreadable_pair_of_counts_never_clears_the_saved_answer(app, client, world, typed):
    """A half-typed or unreadable pair, by autosave and by the form: refused, the saved pair stays,
    and the page shows what was typed with the error."""
    login(client, "b1")
    selfcheck_id, _ = start(client)
    url = page_of(selfcheck_id, COUNTS)
    client.post(f"/selfcheck/{selfcheck_id}/autosave", json={"answers": {COUNTS.id: "3/5"}})
    autosave = client.post(f"/selfcheck/{selfcheck_id}/autosave", json={"answers": {COUNTS.id: "/".join(typed)}})
    assert (autosave.status_code, autosave.json["saved"], list(autosave.json["errors"])) == (422, [], [COUNTS.id])
    response = client.post(url, data={COUNTS.id: typed, "go": "stay"})
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    for part in typed:
        assert f'name="{COUNTS.id}" value="{part}"' in html
    assert stored(app, selfcheck_id)[COUNTS.id] == "[3, 5]"


def test_between_writers_a_pair_of_counts_and_not_applicable_conflict_as_any_answer(app, client, world):
    login(client, "b1")
    selfcheck_id, _ = start(client)
    url = f"/selfcheck/{selfcheck_id}/autosave"

    def save(writer, seq, value, base):
        body = {"answers": {COUNTS.id: value}, "seq": seq, "writer": writer, "base": {COUNTS.id: base}}
        return client.post(url, json=body, headers={"Accept-Language": "zh"})

    assert save("page-a", 1, "3/5", "").json["saved"] == [COUNTS.id]
    assert save("page-b", 1, "n/a", "3/5").json["saved"] == [COUNTS.id]
    late = save("page-a", 2, "4/5", "3/5")
    assert late.status_code == 409
    assert late.json["conflicts"][COUNTS.id]["theirs"] == NOT_APPLICABLE
    assert stored(app, selfcheck_id)[COUNTS.id] == '"n/a"'
    # page A keeps its pair once it has seen the other version
    assert save("page-a", 3, "4/5", "n/a").json["saved"] == [COUNTS.id]
    assert save("page-a", 2, "1/5", "n/a").json["stale"] == [COUNTS.id]
    assert stored(app, selfcheck_id)[COUNTS.id] == "[4, 5]"
    # the form shows the other version as its answer reads
    page = page_of(selfcheck_id, COUNTS)
    form = client.post(page, data={COUNTS.id: ["2", "5"], f"base:{COUNTS.id}": "n/a", "go": "stay"})
    assert form.status_code == 409
    box = re.search(rf'data-conflict-for="{COUNTS.id}".*?</div>', form.get_data(as_text=True), re.S).group(0)
    assert "<strong data-theirs>" + f"{COUNTS.counts[0].zh} 4，{COUNTS.counts[1].zh} 5（80%）" in box


def raising(flag) -> dict:
    """Raw answers that meet every condition of `flag`."""
    answers = {}
    for c in flag.when:
        item = Q.items[c.item]
        if c.op == "mentions":
            value = f"我们有{c.value[0]}。"
        elif c.value == NOT_APPLICABLE or isinstance(c.value, bool):
            value = {True: "yes", False: "no"}.get(c.value, c.value)
        else:
            value = c.value + {"<": -1, ">": 1}.get(c.op, 0)
            value = f"{value}/100" if isinstance(item.entry, Counts) else str(value)
        answers[c.item] = value
    return answers


@pytest.mark.parametrize(
    "kind",
    [
        lambda c: isinstance(Q.items[c.item].entry, Counts),  # a percentage entered as two counts
        lambda c: c.op == "mentions",  # words in a free text
        lambda c: c.value == NOT_APPLICABLE,
    ],
    ids=["two counts", "mentions", "not applicable"],
)
def test_flags_on_every_kind_of_answer_show_while_filling_in(app, client, world, kind):
    flag = next(f for f in Q.flags if any(kind(c) for c in f.when))
    login(client, "b1")
    selfcheck_id, _ = start(client)
    saved = client.post(f"/selfcheck/{selfcheck_id}/autosave", json={"answers": raising(flag)})
    assert saved.status_code == 200, saved.json
    assert flag.id in saved.json["flags"]
    for item_id in {c.item for c in flag.when}:
        page = client.get(page_of(selfcheck_id, Q.items[item_id]))
        assert page.status_code == 200
        box = re.search(rf'<div class="flag" data-flag="{flag.id}"[^>]*>', page.get_data(as_text=True))
        assert box
        assert "hidden" not in box.group(0)
