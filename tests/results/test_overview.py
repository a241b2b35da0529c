"""The leader's overview: every branch of the user's subtree with its state, filtered, searched,
sorted and paged in SQL, and exported as CSV or XLSX through a job."""

import csv
import io
import re

import pytest
from openpyxl import load_workbook

from app.database import write_transaction
from app.extensions import db
from app.models import Organisation
from tests.conftest import THIS_YEAR, answers_at, login, make_org, run_job, submitted_selfcheck


def rows_of(html: str) -> list[tuple[str, str]]:
    """(code, status) of each row of the overview table."""
    return re.findall(r'<td class="code">([^<]+)</td>.*?<span class="status (\w+)"', html, re.S)


@pytest.fixture
def states(app, client, world):
    """This year: B1 submitted at the top level, B2 a draft with 3 answers, B3 not started;
    X1, under another committee, submitted."""
    submitted_selfcheck(app, "B1", THIS_YEAR, level=5)
    submitted_selfcheck(app, "X1", THIS_YEAR, level=1)
    login(client, "b2")
    selfcheck_id = int(client.post("/selfcheck/start").location.split("/")[2])
    three = {k: v for k, v in answers_at(3).items() if k in ("L01", "L02", "L03")}
    client.post(f"/selfcheck/{selfcheck_id}/autosave", json={"answers": three})
    client.post("/logout")
    login(client, "leader")
    return client


def test_every_branch_of_the_subtree_with_its_state(states):
    html = states.get("/overview").get_data(as_text=True)
    assert rows_of(html) == [("B1", "submitted"), ("B2", "draft"), ("B3", "not_started")]  # by code
    assert "X1 党组织" not in html  # its name: a bare code can occur inside a random CSRF token
    assert "100.0" in html
    assert "已答 3/44" in html  # a draft shows how far it is
    assert re.search(r"未开始：1</a>.*草稿：1</a>.*已提交：1</a>", html, re.S)


def test_filters_search_and_sorts(states):
    def codes(query):
        return [code for code, _ in rows_of(states.get("/overview?" + query).get_data(as_text=True))]

    assert codes("status=draft") == ["B2"]
    assert codes("status=not_started") == ["B3"]
    assert codes("org=G1") == ["B1", "B2"]
    assert codes("q=b3") == ["B3"]  # a code, in any case
    assert codes("q=党组织&org=G1&status=submitted") == ["B1"]  # a part of a name
    assert codes("q=%25") == codes("q=_") == []  # LIKE's wildcards match only themselves
    assert codes("sort=-score") == ["B1", "B2", "B3"]  # unscored last either way
    assert codes("sort=score") == ["B1", "B2", "B3"]
    assert codes("sort=status") == ["B3", "B2", "B1"]  # not started first: whom to chase
    assert states.get("/overview?org=C2").status_code == 404  # another committee's subtree
    assert states.get("/overview?status=bogus&sort=bogus&page=x").status_code == 200


def test_fifty_branches_a_page(app, states, world):
    with app.app_context(), write_transaction():
        g1 = db.session.get(Organisation, world.orgs["G1"])
        for n in range(60):
            make_org(f"P{n:02d}", "branch", g1, name=f"新支部{n:02d}")
        db.session.commit()
    first = states.get("/overview").get_data(as_text=True)
    assert len(rows_of(first)) == 50
    assert "第 1 页，共 2 页（63 个党支部）" in first
    second = states.get("/overview?page=2").get_data(as_text=True)
    assert [c for c, _ in rows_of(second)] == [f"P{n:02d}" for n in range(47, 60)]
    assert 'rel="prev"' in second
    assert len(rows_of(states.get("/overview?page=99").get_data(as_text=True))) == 13  # the last page


def test_the_list_exports_under_its_filters_in_the_readers_language(states):
    status, response = run_job(states, "overview_csv", year=str(THIS_YEAR), org="G1", sort="-score")
    assert status["status"] == "done"
    rows = list(csv.reader(io.StringIO(response.get_data(as_text=True).lstrip("\ufeff"))))
    assert rows[0][:4] == ["代码", "党支部", "上级党组织", "状态"]
    assert rows[1] == ["code", "name", "parent", "status", "answered", "questions", "score", "level", "submitted_at"]
    assert [(r[0], r[3], r[4], r[5]) for r in rows[2:]] == [("B1", "已提交", "44", "44"), ("B2", "草稿", "3", "44")]

    states.post("/language/en", data={"next": "/"})
    _, response = run_job(states, "overview_xlsx", year=str(THIS_YEAR), status="not_started")
    book = load_workbook(io.BytesIO(response.data), read_only=True)
    sheet = list(book.worksheets[0].iter_rows(values_only=True))
    book.close()
    assert sheet[0][:4] == ("Code", "Branch", "Parent organisation", "Status")
    assert [row[:4] for row in sheet[2:]] == [("B3", "B3 党组织", "C1 党组织", "Not started")]


def test_the_list_export_neutralises_formulas_in_names(app, states):
    with app.app_context(), write_transaction():
        db.session.execute(db.update(Organisation).where(Organisation.code == "B3").values(name="=HYPERLINK(1)"))
        db.session.commit()
    _, response = run_job(states, "overview_csv", year=str(THIS_YEAR), status="not_started")
    rows = list(csv.reader(io.StringIO(response.get_data(as_text=True).lstrip("\ufeff"))))
    assert rows[2][:2] == ["B3", "'=HYPERLINK(1)"]
