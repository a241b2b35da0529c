"""The peer rule (app/peers.py): other branches only, at least three of them, and only
once the cycle has closed; the same figures on the result page, in the report and in the API."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from app.database import write_transaction
from app.extensions import db
from app.models import Cycle, Organisation, SelfCheck
from app.peers import MIN_PEERS, peer_averages, peer_position
from app.reports import service as reports
from app.selfcheck.service import result_of
from tests.conftest import THIS_YEAR, login, make_org, submitted_selfcheck
from tests.helpers import make_token

LAST = THIS_YEAR - 1
LEVELS = {"B1": 3, "B2": 5, "B3": 4, "B4": 2, "B5": 1}


@pytest.fixture
def group(app, world):
    """Committee C1 with five branches (B1–B3 of the world, B4 and B5 added)."""
    with app.app_context(), write_transaction():
        c1 = db.session.scalar(db.select(Organisation).where(Organisation.code == "C1"))
        make_org("B4", "branch", c1)
        make_org("B5", "branch", c1)
        db.session.commit()


def submit(app, codes, year=LAST) -> dict[str, int]:
    return {code: submitted_selfcheck(app, code, year, LEVELS[code]) for code in codes}


def figures(app, selfcheck_id: int):
    with app.app_context():
        sc = db.session.get(SelfCheck, selfcheck_id)
        return peer_averages(sc), peer_position(sc)


def scores(app, selfcheck_id: int) -> dict[str, float]:
    with app.app_context():
        return result_of(db.session.get(SelfCheck, selfcheck_id)).scores()


def close_cycle(app, year: int, closes_on: date):
    with app.app_context(), write_transaction():
        db.session.scalar(db.select(Cycle).where(Cycle.year == year)).closes_on = closes_on
        db.session.commit()


def test_peers_are_the_other_branches_and_need_three_of_them(app, group):
    ids = submit(app, ["B1", "B2", "B3"])
    # Two other branches: their mean with one's own knowledge of one of them would give the other.
    assert figures(app, ids["B1"]) == (({}, 0), {})
    ids |= submit(app, ["B4"])
    (averages, count), positions = figures(app, ids["B1"])
    assert count == MIN_PEERS == 3
    others = [scores(app, ids[c]) for c in ("B2", "B3", "B4")]
    for measure, mean in averages.items():
        assert mean == pytest.approx(sum(o[measure] for o in others) / 3)  # B1's own score left out
    assert set(averages) == set(others[0])  # every pillar and "overall"
    # B1 (level 3) is above B4 (2), below B2 (5) and B3 (4): one of three peers below it.
    assert positions["overall"].percentile == pytest.approx(100 / 3, abs=0.1)
    assert positions["overall"].quartile == 2
    assert all(p.peers == 3 for p in positions.values())
    # Another committee's branch is never a peer.
    submitted_selfcheck(app, "X1", LAST, 5)
    assert figures(app, ids["B1"])[0] == (averages, count)


def test_no_peer_figure_while_the_cycle_is_open(app, group):
    ids = submit(app, ["B1", "B2", "B3", "B4"], THIS_YEAR)
    assert figures(app, ids["B1"]) == (({}, 0), {})
    close_cycle(app, THIS_YEAR, date.today() - timedelta(days=1))
    (averages, count), positions = figures(app, ids["B1"])
    assert count == 3
    assert positions["overall"].peers == 3


def test_subtracting_two_downloads_around_a_submission_learns_nothing(app, client, group):
    """The attack of issue 14: download your report, let one peer submit, download again;
    (n + 1) × mean after − n × mean before was that peer's score. Every figure a branch
    user can read — result page, report, API — is the same before and after each
    submission while the cycle is open, and there is no figure to subtract."""
    ids = submit(app, ["B1", "B2", "B3", "B4"], THIS_YEAR)
    token = make_token(app, "b1")
    login(client, "b1")

    def seen() -> tuple:
        api = client.get(f"/api/v1/selfchecks/{ids['B1']}/result", headers={"Authorization": f"Bearer {token}"}).json
        page = client.get(f"/results/{ids['B1']}").get_data(as_text=True)
        with app.app_context():
            vm = reports.viewmodel_for(db.session.get(SelfCheck, ids["B1"]))
        return (
            api["peer_position"],
            'class="peers' in page,
            vm.peer_count,
            [p.peer_average for p in vm.pillars],
            [s.key for s in vm.chart.series],
        )

    before = seen()
    api, on_page, count, pillar_means, series = before
    assert (api, on_page, count) == (None, False, 0)
    assert set(pillar_means) == {"—"}
    assert "peers" not in series
    ids |= submit(app, ["B5"], THIS_YEAR)
    assert seen() == before

    # Once the cycle has closed the figures appear, over the four other branches.
    close_cycle(app, THIS_YEAR, date.today() - timedelta(days=1))
    after = seen()
    assert after[0]["overall"]["peers"] == 4
    assert after[1] is True
    assert after[2] == 4
    assert "peers" in after[4]
    b1 = scores(app, ids["B1"])
    others = [scores(app, ids[c]) for c in ("B2", "B3", "B4", "B5")]
    overall_mean = sum(o["overall"] for o in others) / 4
    assert overall_mean != pytest.approx(b1["overall"])
    with app.app_context():
        peers = reports.peer_figures(db.session.get(SelfCheck, ids["B1"]))
    assert peers.averages["overall"] == pytest.approx(overall_mean)


def test_a_draft_has_no_position_but_may_see_the_peers_mean(app, group):
    from app.selfcheck import service

    ids = submit(app, ["B2", "B3", "B4"])
    with app.app_context():
        b1 = db.session.scalar(db.select(Organisation).where(Organisation.code == "B1"))
        cycle = db.session.scalar(db.select(Cycle).where(Cycle.year == LAST))
        draft = service.start_selfcheck(b1, cycle).id
    assert len(ids) == MIN_PEERS
    (averages, count), positions = figures(app, draft)
    assert count == 3
    assert averages
    assert positions == {}


def test_result_page_and_api_show_the_same_position_naming_no_one(app, client, group):
    ids = submit(app, ["B1", "B2", "B3", "B4"])
    submitted_selfcheck(app, "X1", LAST, 5)  # another committee: not a peer
    login(client, "b1")
    html = client.get(f"/results/{ids['B1']}").get_data(as_text=True)
    section = html[html.index('class="peers') :]
    section = section[: section.index("</table>")]
    assert "33.3" in section  # one of the three other branches below B1
    for other in ("B2", "B3", "B4", "X1"):
        assert other not in section
    api = client.get(
        f"/api/v1/selfchecks/{ids['B1']}/result", headers={"Authorization": f"Bearer {make_token(app, 'b1')}"}
    ).json["peer_position"]
    assert api["overall"] == {
        "score": pytest.approx(scores(app, ids["B1"])["overall"]),
        "percentile": pytest.approx(33.3),
        "quartile": 2,
        "peers": 3,
    }
    assert set(api["pillars"]) == set(scores(app, ids["B1"])) - {"overall"}
    assert not any(code in str(api) for code in ("B2", "B3", "B4", "X1"))
