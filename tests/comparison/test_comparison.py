"""The comparison page and its exports, on a small known cohort. (The peer rule: test_peers.py.)"""

from __future__ import annotations

import csv
import io
import re
import statistics
import xml.etree.ElementTree as ET

import pytest
from openpyxl import load_workbook
from pypdf import PdfReader

from app.assessment.questionnaire import get_questionnaire
from app.assessment.scoring import score_selfcheck
from app.comparison import queries
from app.database import write_transaction
from app.extensions import db
from app.models import Cycle, Organisation, SelfCheck, User
from app.review import service as review_service
from app.selfcheck import service
from tests.conftest import THIS_YEAR, VERSION, answers_at, login, run_job, submitted_selfcheck

LAST = THIS_YEAR - 1
# Levels of the answers (1–5) per branch and year; X1 sits under the other committee.
LEVELS = {LAST: {"B1": 2, "B2": 3, "B3": 4, "X1": 5}, THIS_YEAR: {"B1": 3, "B2": 5, "B3": 1}}
Q = get_questionnaire(VERSION)
SVG = "{http://www.w3.org/2000/svg}svg"


def expected(level: int):
    """The scoring result of answers all at `level`, computed by the pure domain."""
    values, errors = Q.parse_answers(answers_at(level))
    assert not errors
    return score_selfcheck(Q, values)


@pytest.fixture
def cohort(app, world):
    ids = {}
    for year, levels in LEVELS.items():
        for code, level in levels.items():
            ids[code, year] = submitted_selfcheck(app, code, year, level)
    with app.app_context():  # a draft that must not count, but shows in the completion rate
        x1 = db.session.scalar(db.select(Organisation).where(Organisation.code == "X1"))
        cycle = db.session.scalar(db.select(Cycle).where(Cycle.year == THIS_YEAR))
        draft = service.start_selfcheck(x1, cycle)
        service.save_answers(draft, answers_at(2), None, enforce_window=False)
    return ids


def selection(app, codes=None, org=None, years=(LAST, THIS_YEAR)):
    roots = (
        None
        if codes is None
        else [db.session.scalar(db.select(Organisation).where(Organisation.code == c)) for c in codes]
    )
    org = db.session.scalar(db.select(Organisation).where(Organisation.code == org)) if org else None
    return queries.make_selection(roots, org, years)


def svgs(html: str) -> list[ET.Element]:
    return [ET.fromstring(s) for s in re.findall(r"<svg.*?</svg>", html, re.S)]


# ---------------------------------------------------------------- numbers


def test_box_stats_match_independent_quartiles(app, cohort):
    with app.app_context():
        sel = selection(app, ["C1", "C2"])
        result = queries.cohort(sel)
        for cycle in sel.cycles:
            levels = LEVELS[cycle.year]
            for pillar in [p.id for p in Q.pillars] + ["overall"]:
                scores = sorted(
                    expected(lv).score if pillar == "overall" else expected(lv).pillar(pillar).score
                    for lv in levels.values()
                )
                box = result.box(cycle, pillar)
                q1, median, q3 = statistics.quantiles(scores, n=4, method="inclusive")
                assert box.n == len(scores)
                assert box.mean == pytest.approx(statistics.mean(scores))
                assert (box.minimum, box.maximum) == pytest.approx((scores[0], scores[-1]))
                assert (box.q1, box.median, box.q3) == pytest.approx((q1, median, q3))


def test_subtree_and_movement_and_completion(app, cohort):
    with app.app_context():
        sel = selection(app, ["C1", "C2"], org="G1")
        result = queries.cohort(sel)
        this = sel.focus
        assert result.units(this) == 2
        assert result.mean(this, "overall") == pytest.approx((expected(3).score + expected(5).score) / 2)
        (move,) = result.movements
        level = {lv: expected(lv).level.id for lv in range(1, 6)}
        assert move.counts == {(level[2], level[3]): 1, (level[3], level[5]): 1}

        everything = queries.cohort(selection(app, ["C1", "C2"]))
        rates = {c.code: (c.branches, c.submitted, c.drafts) for c in everything.completion}
        assert rates == {"G1": (2, 2, 0), "C1": (1, 1, 0), "C2": (1, 0, 1)}
        assert everything.completion[0].code == "C2"  # lowest rate first


def test_weakest_items_share_below_level_two(app, cohort):
    with app.app_context():
        result = queries.cohort(selection(app, ["C1"], years=[THIS_YEAR]))
        stats = {s.item_id: s for s in result.items}
        for item in (i for i in Q.items.values() if i.scored):
            scores = [expected(lv).pillar(item.pillar_id).items for lv in LEVELS[THIS_YEAR].values()]
            item_scores = [next(r.score for r in rows if r.item.id == item.id) for rows in scores]
            assert stats[item.id].units == 3
            assert stats[item.id].below == sum(s < 40 for s in item_scores)
            assert stats[item.id].mean == pytest.approx(statistics.mean(item_scores))
        shares = [s.share_below for s in result.items]
        assert shares == sorted(shares, reverse=True)


def test_unit_page_sorts_in_sql_with_changes(app, cohort):
    with app.app_context():
        sel = selection(app, ["C1"])
        page = queries.unit_page(sel, "overall", True, 1)
        assert [r.code for r in page.rows] == ["B2", "B1", "B3"]
        b1 = next(r for r in page.rows if r.code == "B1")
        assert b1.change == pytest.approx(expected(3).score - expected(2).score)
        pillar = Q.pillars[0].id
        assert b1.pillars[pillar].change == pytest.approx(
            expected(3).pillar(pillar).score - expected(2).pillar(pillar).score
        )
        small = queries.unit_page(sel, "code", False, 2, per_page=2)
        assert (small.total, small.pages, [r.code for r in small.rows]) == (3, 2, ["B3"])


# ---------------------------------------------------------------- the page


@pytest.mark.parametrize("user", ["leader", "admin", "trainer"])
def test_page_draws_each_chart_with_a_table(client, cohort, user):
    login(client, user)
    html = client.get(f"/compare?year={LAST}&year={THIS_YEAR}&pick=B1").get_data(as_text=True)
    figures = re.findall(r'<figure class="card chart".*?</figure>', html, re.S)
    assert len(figures) >= 5
    for figure in figures:
        wide, phone = svgs(figure)  # the page's drawing, and the narrower one with larger text for phones
        for svg in (wide, phone):
            assert svg.tag == SVG
            assert svg.get("role") == "img"
        assert float(phone.get("viewBox").split()[2]) < float(wide.get("viewBox").split()[2])
        titles = [svg.find("{http://www.w3.org/2000/svg}title").get("id") for svg in (wide, phone)]
        assert titles[1] == titles[0].replace("-title", "-phone-title")  # ids unique on the page
        assert "<table>" in figure
        assert "<tbody>" in figure
    assert "style=" not in "".join(figures)  # no inline styles: a strict CSP allows the charts
    assert 'aria-sort="ascending"' in html


def test_labels_follow_the_users_language(client, cohort):
    login(client, "leader")
    client.post("/language/en")
    html = client.get("/compare").get_data(as_text=True)
    assert Q.pillars[0].name.en in html
    client.post("/language/zh")
    html = client.get("/compare").get_data(as_text=True)
    assert Q.pillars[0].name.zh in "".join(re.findall(r"<svg.*?</svg>", html, re.S))


def test_sort_links_and_aria(client, cohort):
    login(client, "leader")
    html = client.get("/compare?sort=-overall").get_data(as_text=True)
    assert 'aria-sort="descending"' in html
    body = html[html.index('class="units"') :]
    assert body.index(">B2<") < body.index(">B1<") < body.index(">B3<")


def test_access(client, cohort):
    login(client, "b1")
    assert client.get("/compare").status_code == 403
    for kind in ("export_csv", "export_xlsx", "cohort_pdf"):
        assert client.post("/jobs", data={"kind": kind}).status_code == 403
    client.post("/logout")

    login(client, "gleader")
    html = client.get("/compare").get_data(as_text=True)
    assert "B1 党组织" in html
    assert "B2 党组织" in html
    assert "B3 党组织" not in html
    assert "X1 党组织" not in html  # its name: a bare code can occur inside a random CSRF token
    assert client.get("/compare?org=C1").status_code == 404
    assert client.get("/compare?org=X1").status_code == 404
    assert client.get("/compare?org=NOPE").status_code == 404
    assert run_job(client, "export_csv", org="C1")[0]["status"] == "failed"  # outside G1: refused
    assert client.get("/compare?org=G1").status_code == 200
    html = client.get("/compare?pick=B3&pick=B1").get_data(as_text=True)
    assert "B3 党组织" not in html  # a pick outside the subtree is ignored
    client.post("/logout")

    login(client, "xleader")
    html = client.get("/compare").get_data(as_text=True)
    for code in ("B1", "B2", "B3", "G1"):
        assert f"{code} 党组织" not in html
    assert client.get("/compare?org=G1").status_code == 404


def test_cache_follows_the_data(app, world, cohort):
    with app.app_context():
        sel = selection(app, ["C1"], years=[THIS_YEAR])
        assert queries.cohort(sel) is queries.cohort(sel)  # the second read comes from the cache
        assert queries.cohort(sel).units(sel.focus) == 3
        review_service.review(  # (only an open cycle's self-checks can be returned)
            db.session.get(SelfCheck, cohort["B1", THIS_YEAR]),
            db.session.get(User, world.users["leader"]),
            "returned",
            "a mistake",
        )
        assert queries.cohort(sel).units(sel.focus) == 2


def test_a_change_in_one_cycle_recomputes_only_that_cycle(app, world, cohort):
    with app.app_context():
        sel = selection(app, ["C1"], years=[LAST, THIS_YEAR])
        before = queries.cohort(sel)
        last, this = sel.cycles
        review_service.review(
            db.session.get(SelfCheck, cohort["B1", THIS_YEAR]),
            db.session.get(User, world.users["leader"]),
            "returned",
            "a mistake",
        )
        after = queries.cohort(sel)
        assert after is not before
        assert after.units(this) == before.units(this) - 1
        assert after.box(last, "overall") is before.box(last, "overall")  # last year's quartiles were kept
        assert after.movements[0].total == before.movements[0].total - 1


# ---------------------------------------------------------------- exports


def test_csv_export(client, cohort):
    login(client, "leader")
    _, response = run_job(client, "export_csv", year=[LAST, THIS_YEAR])
    assert response.status_code == 200
    rows = list(csv.reader(io.StringIO(response.get_data(as_text=True).lstrip("\ufeff"))))
    described, header = rows[:2]  # the columns in the reader's language (Chinese by default), then their ids
    scored = [i.id for i in Q.items.values() if i.scored]
    assert header[:6] == ["code", "name", "parent", "year", "overall", "overall_level"]
    assert header[6:] == [p.id for p in Q.pillars] + scored
    assert described[0] == "党支部代码"
    assert Q.pillars[0].name.zh in described[6]
    assert Q.items[scored[0]].text.zh in described[6 + len(Q.pillars)]
    data = {(r[0], int(r[3])): r for r in rows[2:]}
    assert set(data) == {(c, y) for y, lv in LEVELS.items() for c in lv if c != "X1"}
    b2 = data["B2", THIS_YEAR]
    assert float(b2[4]) == pytest.approx(expected(5).score, abs=0.01)
    first_item = scored[0]
    assert float(b2[header.index(first_item)]) == pytest.approx(
        Q.items[first_item].score(Q.items[first_item].parse(answers_at(5)[first_item])), abs=0.01
    )


def test_xlsx_export_has_a_columns_sheet(client, cohort):
    login(client, "admin")
    _, response = run_job(client, "export_xlsx", year=THIS_YEAR)
    book = load_workbook(io.BytesIO(response.data), read_only=True)
    assert book.sheetnames == ["Results", "Columns"]
    results = list(book["Results"].iter_rows(values_only=True))
    assert len(results) == 1 + 3  # B1, B2, B3 submitted this year; X1 is a draft
    columns = list(book["Columns"].iter_rows(values_only=True))
    assert [c[0] for c in columns[1:]] == list(results[0])
    for _name, zh, en in columns[1:]:
        assert zh
        assert en
    pillar = Q.pillars[0]
    described = {c[0]: c for c in columns}
    assert pillar.name.zh in described[pillar.id][1]
    assert pillar.name.en in described[pillar.id][2]


def test_cohort_pdf_is_bilingual(client, cohort):
    login(client, "leader")
    _, response = run_job(client, "cohort_pdf", year=[LAST, THIS_YEAR])
    assert response.status_code == 200
    assert response.mimetype == "application/pdf"
    text = "".join(page.extract_text() for page in PdfReader(io.BytesIO(response.data)).pages)
    compact = re.sub(r"\s+", "", text)
    assert re.sub(r"\s+", "", Q.pillars[0].name.zh) in compact
    assert re.sub(r"\s+", "", Q.pillars[0].name.en) in compact


def test_cli_export_results(app, runner, cohort, tmp_path):
    out = tmp_path / "results.xlsx"
    result = runner.invoke(
        args=["export-results", "--year", str(THIS_YEAR), "--org", "G1", "--format", "xlsx", "--output", str(out)]
    )
    assert result.exit_code == 0, result.output
    rows = list(load_workbook(out, read_only=True)["Results"].iter_rows(values_only=True))
    assert sorted(r[0] for r in rows[1:]) == ["B1", "B2"]
    out_csv = tmp_path / "results.csv"
    result = runner.invoke(args=["export-results", "--year", str(LAST), "--format", "csv", "--output", str(out_csv)])
    assert result.exit_code == 0, result.output
    assert len(out_csv.read_text(encoding="utf-8-sig").splitlines()) == 2 + 4
    result = runner.invoke(args=["export-results", "--year", "1999", "--format", "csv", "--output", str(out_csv)])
    assert result.exit_code != 0


def test_the_csv_export_neutralises_formulas_in_names(app, client, world):
    names = {"B1": "=1+2+cmd|' /C calc'!A0", "B2": "@SUM(A1)", "B3": "-2+3"}
    with app.app_context(), write_transaction():
        for code, name in names.items():
            db.session.execute(db.update(Organisation).where(Organisation.code == code).values(name=name))
        db.session.commit()
    for code in names:
        submitted_selfcheck(app, code, THIS_YEAR)
    login(client, "leader")
    _, response = run_job(client, "export_csv", year=THIS_YEAR)
    rows = list(csv.reader(io.StringIO(response.get_data(as_text=True).lstrip("\ufeff"))))
    shown = {row[0]: row[1] for row in rows[2:]}  # below the header and the column ids
    assert shown == {code: "'" + name for code, name in names.items()}
    assert all(not cell.startswith(("=", "+", "@")) for row in rows for cell in row)
    assert float(rows[2][4]) > 0  # numbers stay numbers
