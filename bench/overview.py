"""The leader's overview on 10,000 branches: server time and size of a page.

`python -m bench overview` builds the comparison benchmark's database (10 committees × 10
general branches × 100 branches, three cycles; see `bench/comparison.py`) and makes this
year's cycle realistic for an overview: of every ten branches, one has not started and two
have drafts with part of their answers, the rest submitted. Then, through the Flask test
client logged in as an admin (who sees all 10,000 branches), each overview below is asked
for repeatedly and its median server time (wall and CPU) and its size are printed:

- the first page, by code; sorted by score, lowest first; the drafts only; a search by code;
  one general branch's not-started branches; the last page.

Targets (2 cores): median ≤ 150 ms and ≤ 200 KB per page. It reports, it does not fail. Set
BENCH_OVERVIEW_DB to a file path to keep the database and reuse it on the next run.
"""

from __future__ import annotations

import os
import statistics
import time
from pathlib import Path

from .comparison import PASSWORD, check, cohort_app, existing, generate, in_a_temporary_folder, timed

REQUESTS = 15
TIME_TARGET_MS, SIZE_TARGET_KB = 150, 200
PAGES = [
    ("first page, by code", ""),
    ("sorted by score, lowest first", "sort=score"),
    ("drafts only", "status=draft"),
    ("search by code", "q=G05-B0"),
    ("one general branch, not started", "org=C03-G04&status=not_started"),
    ("last page", "page=200"),
]


def main() -> None:
    in_a_temporary_folder(run, "overview")


def run(tmp: Path) -> None:
    app, reuse = cohort_app(tmp, "overview")
    started = time.perf_counter()
    with app.app_context():
        if reuse:
            years, counts = existing(app)
        else:
            years, counts = generate(app)
            unsubmit(years[-1])
        states = state_counts(years[-1])
    print(
        f"{'reused' if reuse else 'generated'} {counts['branches']:,} branches, cycle {years[-1]}: "
        f"{states} in {time.perf_counter() - started:.1f} s"
    )

    client = app.test_client()
    assert client.post("/login", data={"username": "admin", "password": PASSWORD}).status_code == 302
    worst_ms, worst_kb = 0.0, 0.0
    for name, query in PAGES:
        url = f"/overview?year={years[-1]}&{query}"
        size = len(check(client.get(url)).data)  # the first request warms the caches
        times = [timed(lambda u=url: check(client.get(u))) for _ in range(REQUESTS)]
        wall, cpu = (statistics.median(x) * 1000 for x in zip(*times, strict=True))
        worst_ms, worst_kb = max(worst_ms, wall), max(worst_kb, size / 1024)
        print(f"{name:34} median {wall:6.1f} ms (CPU {cpu:5.1f} ms), {size / 1024:6.1f} KB")
    print(
        f"targets: ≤ {TIME_TARGET_MS} ms {'met' if worst_ms <= TIME_TARGET_MS else 'MISSED'} "
        f"(slowest {worst_ms:.1f} ms); ≤ {SIZE_TARGET_KB} KB {'met' if worst_kb <= SIZE_TARGET_KB else 'MISSED'} "
        f"(largest {worst_kb:.1f} KB); load average {os.getloadavg()[0]:.2f} on {os.cpu_count()} cores"
    )


def unsubmit(year: int) -> None:
    """This year: every tenth branch not started, two in ten drafts with about half their answers."""
    from app.extensions import db

    with db.engine.begin() as conn:
        cycle_id = conn.exec_driver_sql("SELECT id FROM cycle WHERE year = ?", (year,)).scalar()
        scope = f"cycle_id = {cycle_id} AND organisation_id % 10"
        drafts = f"SELECT id FROM self_check WHERE {scope} IN (1, 2)"
        conn.exec_driver_sql(f"DELETE FROM pillar_score WHERE selfcheck_id IN ({drafts})")
        conn.exec_driver_sql(f"DELETE FROM answer WHERE selfcheck_id IN ({drafts}) AND (id + selfcheck_id) % 2 = 0")
        conn.exec_driver_sql(
            "UPDATE self_check SET status = 'draft', score = NULL, level = NULL, submitted_at = NULL "
            f"WHERE {scope} IN (1, 2)"
        )
        not_started = f"SELECT id FROM self_check WHERE {scope} = 0"
        for table in ("pillar_score", "answer"):
            conn.exec_driver_sql(f"DELETE FROM {table} WHERE selfcheck_id IN ({not_started})")
        conn.exec_driver_sql(f"DELETE FROM self_check WHERE {scope} = 0")
        conn.exec_driver_sql("ANALYZE")


def state_counts(year: int) -> str:
    from app.extensions import db

    with db.engine.connect() as conn:
        rows = conn.exec_driver_sql(
            "SELECT s.status, count(*) FROM self_check s JOIN cycle c ON c.id = s.cycle_id WHERE c.year = ? "
            "GROUP BY s.status",
            (year,),
        ).all()
    return ", ".join(f"{n:,} {status}" for status, n in sorted(rows))
