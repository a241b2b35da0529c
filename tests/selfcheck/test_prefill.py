"""Last year's answers offered in a new self-check (issue 17): shown marked, never counted as an
answer (progress, scoring, submission, the API) until the user confirms or changes each."""

from __future__ import annotations

import pytest

from app.assessment.questionnaire import get_questionnaire
from app.database import write_transaction
from app.extensions import db
from app.models import PrefilledAnswer, SelfCheck
from app.selfcheck import service
from tests.conftest import THIS_YEAR, VERSION, answers_at, login, submitted_selfcheck

Q = get_questionnaire(VERSION)
PILLAR = Q.pillars[0]
LAST_YEAR = answers_at(4)


@pytest.fixture
def started(app, world, client):
    """B1 submitted last year; this year's self-check just started by b1 (logged in on `client`)."""
    submitted_selfcheck(app, "B1", THIS_YEAR - 1, 4)
    login(client, "b1")
    return int(client.post("/selfcheck/start").location.split("/")[2])


def answers(app, selfcheck_id):
    with app.app_context():
        return service.typed_answers(db.session.get(SelfCheck, selfcheck_id))


def offer(client, selfcheck_id):
    return client.post(f"/selfcheck/{selfcheck_id}/{PILLAR.id}/prefill")


def test_offered_answers_are_shown_marked_and_count_for_nothing(app, client, started):
    page = client.get(f"/selfcheck/{started}/{PILLAR.id}").text
    assert f"/selfcheck/{started}/{PILLAR.id}/prefill" in page
    assert offer(client, started).status_code == 302
    page = client.get(f"/selfcheck/{started}/{PILLAR.id}").text
    for item in PILLAR.items:
        if LAST_YEAR.get(item.id):
            assert f'data-prefilled-for="{item.id}"' in page
            assert f'name="prefilled:{item.id}" value="{LAST_YEAR[item.id]}"' in page
    assert f"/selfcheck/{started}/{PILLAR.id}/prefill" not in page  # nothing more to offer
    assert "<span data-answered>0</span>" in page
    assert answers(app, started) == {}
    with app.app_context():
        selfcheck = db.session.get(SelfCheck, started)
        assert service.result_of(selfcheck).missing  # nothing is answered
        with pytest.raises(service.Incomplete):
            service.submit(selfcheck, None)
    # offering again adds nothing
    offer(client, started)
    with app.app_context():
        assert db.session.scalar(db.select(db.func.count()).select_from(PrefilledAnswer)) == len(
            [i for i in PILLAR.items if LAST_YEAR.get(i.id)]
        )


def test_a_page_post_saves_only_what_was_confirmed_or_changed(app, client, started):
    offer(client, started)
    first, second, third = (i.id for i in PILLAR.items[:3])
    posted = {i.id: LAST_YEAR[i.id] for i in PILLAR.items if LAST_YEAR.get(i.id)}
    posted |= {f"prefilled:{key}": value for key, value in list(posted.items())}
    changed = next(
        v for v in ("1", "2", "3", "4", "5") if Q.items[third].parse(v) != Q.items[third].parse(posted[third])
    )
    posted |= {f"confirm:{first}": "1", third: changed, "go": "stay"}
    assert client.post(f"/selfcheck/{started}/{PILLAR.id}", data=posted).status_code == 302
    saved = answers(app, started)
    assert set(saved) == {first, third}
    assert saved[third] == Q.items[third].parse(changed)
    page = client.get(f"/selfcheck/{started}/{PILLAR.id}").text
    assert f'data-prefilled-for="{first}"' not in page
    assert f'data-prefilled-for="{second}"' in page  # still offered, still not an answer


def test_an_answer_saved_or_cleared_by_autosave_ends_the_offer(app, client, started):
    offer(client, started)
    first, second = (i.id for i in PILLAR.items[:2])
    saved = client.post(f"/selfcheck/{started}/autosave", json={"answers": {first: LAST_YEAR[first], second: ""}})
    assert saved.status_code == 200
    page = client.get(f"/selfcheck/{started}/{PILLAR.id}").text
    assert f'data-prefilled-for="{first}"' not in page
    assert f'data-prefilled-for="{second}"' not in page  # cleared is answered "nothing", not last year's
    assert set(answers(app, started)) == {first}


def test_only_the_branch_offers_itself_last_years_answers_while_it_may_edit(app, world):
    submitted_selfcheck(app, "B1", THIS_YEAR - 1, 4)
    draft_client = app.test_client()
    login(draft_client, "b1")
    draft = int(draft_client.post("/selfcheck/start").location.split("/")[2])
    for username, status in (("leader", 403), ("b2", 404), ("trainer", 403)):
        client = app.test_client()
        login(client, username)
        assert offer(client, draft).status_code == status, username
    assert draft_client.post(f"/selfcheck/{draft}/nope/prefill").status_code == 404
    with app.app_context():
        assert db.session.scalar(db.select(db.func.count()).select_from(PrefilledAnswer)) == 0


def test_nothing_is_offered_without_last_years_self_check(app, world, client):
    login(client, "b1")
    draft = int(client.post("/selfcheck/start").location.split("/")[2])
    assert "/prefill" not in client.get(f"/selfcheck/{draft}/{PILLAR.id}").text
    assert offer(client, draft).status_code == 302
    with app.app_context():
        assert db.session.scalar(db.select(db.func.count()).select_from(PrefilledAnswer)) == 0


def test_last_years_answers_cross_a_questionnaire_change(app, world, client):
    """Last year answered with another version (an item once yes/no may now be two counts): only
    what this year's items read is offered, and no page fails."""
    from app.assessment.questionnaire import available_versions
    from app.models import Cycle

    older = available_versions()[0]
    assert older != VERSION
    with app.app_context(), write_transaction():
        cycle = db.session.scalar(db.select(Cycle).where(Cycle.year == THIS_YEAR - 1))
        cycle.questionnaire_version = older
        db.session.commit()
    submitted_selfcheck(app, "B1", THIS_YEAR - 1, 4)
    login(client, "b1")
    draft = int(client.post("/selfcheck/start").location.split("/")[2])
    before, now = get_questionnaire(older), Q
    for pillar in now.pillars:
        assert client.get(f"/selfcheck/{draft}/{pillar.id}").status_code == 200
        assert client.post(f"/selfcheck/{draft}/{pillar.id}/prefill").status_code == 302
        page = client.get(f"/selfcheck/{draft}/{pillar.id}").text
        for item in pillar.items:
            old = before.items.get(item.id)
            offered = f'data-prefilled-for="{item.id}"' in page
            if old is None:
                assert not offered, item.id
            elif offered:  # what is offered is what this year's item reads from last year's answer
                raw = old.form_value(old.parse(answers_at(4, older)[item.id]))
                assert f'name="prefilled:{item.id}" value="{item.form_value(item.parse(raw))}"' in page
    assert answers(app, draft) == {}
