"""Returning a submitted self-check: refused once its cycle has closed (the README says why)."""

from sqlalchemy import select

from app.comparison import queries
from app.extensions import db
from app.models import Cycle, Review, SelfCheck
from app.selfcheck import service
from tests.conftest import THIS_YEAR, login, submitted_selfcheck


def test_a_self_check_of_a_closed_cycle_cannot_be_returned(app, client, world):
    last_year = submitted_selfcheck(app, "B1", THIS_YEAR - 1)  # last year's cycle closed on 31 December
    this_year = submitted_selfcheck(app, "B1", THIS_YEAR)
    login(client, "leader")
    assert 'value="returned"' not in client.get(f"/results/{last_year}").get_data(as_text=True)
    assert 'value="returned"' in client.get(f"/results/{this_year}").get_data(as_text=True)

    response = client.post(
        f"/results/{last_year}/review",
        data={"decision": "returned", "comment": "补录"},
        headers={"Accept-Language": "en"},
    )
    assert response.status_code == 302
    page = client.get(response.location, headers={"Accept-Language": "en"}).get_data(as_text=True)
    assert f"The {THIS_YEAR - 1} cycle is closed: its self-checks can no longer be returned." in page
    with app.app_context():
        selfcheck = db.session.get(SelfCheck, last_year)
        assert selfcheck.submitted
        assert selfcheck.score is not None
        assert db.session.scalar(select(Review)) is None
        # still counted where it was: that year's comparison and this year's change since last year
        cycles = [c.year for c in queries.make_selection(None, None, [THIS_YEAR - 1]).cycles]
        assert cycles == [THIS_YEAR - 1]
        assert service.previous_selfcheck(db.session.get(SelfCheck, this_year)).id == last_year


def test_after_the_cycle_is_extended_it_can_be_returned_and_resubmitted(app, client, runner, world):
    last_year = submitted_selfcheck(app, "B1", THIS_YEAR - 1)
    assert runner.invoke(args=["open-cycle", str(THIS_YEAR - 1), "--closes", f"{THIS_YEAR + 1}-01-31"]).exit_code == 0
    login(client, "leader")
    client.post(f"/results/{last_year}/review", data={"decision": "returned", "comment": "补录"})
    client.post("/logout")
    login(client, "b1")
    assert client.get(f"/selfcheck/{last_year}/leadership").status_code == 200
    assert client.post(f"/selfcheck/{last_year}/submit").status_code == 302
    with app.app_context():
        assert db.session.get(SelfCheck, last_year).submitted
        assert db.session.scalar(select(Cycle.closes_on).where(Cycle.year == THIS_YEAR - 1)).year == THIS_YEAR + 1
