"""SQL aggregation behind the comparison page, its exports and the cohort PDF.

Every number is computed by the database (GROUP BY, window functions, a pivot by CASE);
Python only reshapes the few aggregated rows it gets back. The same statements run on
SQLite (≥ 3.25, for window functions) and PostgreSQL: quartiles use ROW_NUMBER and COUNT
over a partition with the interpolation of `percentile_cont`, in integer arithmetic that
both dialects evaluate alike.

The aggregates of a selection are kept per process and per cycle, each part keyed by a cheap
fingerprint of its cycles' self-checks (`data_versions`): a repeated request reads them from
memory, and a save, submission or reopening makes the next request compute again only the
parts of that cycle. At the deadline every request finds the current cycle changed, while the
closed years stay as they are: at 10,000 branches × 3 cycles a request after a submission took
630 ms of SQL when every part was recomputed, about a third of it per cycle's quartiles
(`python -m bench comparison`, "cold"); keeping the other cycles' parts brings it under half of that.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from datetime import date
from functools import partial

from flask import current_app
from sqlalchemy import BigInteger, Float, String, and_, case, cast, false, func, literal, or_, select, union_all
from sqlalchemy.orm import aliased

from app.assessment.questionnaire import get_questionnaire
from app.assessment.scoring import OVERALL

from ..extensions import db
from ..models import DRAFT, SUBMITTED, Answer, Cycle, Organisation, PillarScore, SelfCheck

PER_PAGE = 50
CACHE_SIZE = 128  # entries: a selection's cohort and its parts (a cycle's quartiles, a movement, …)


@dataclass(frozen=True)
class CycleRef:
    id: int
    year: int
    version: str
    closes_on: date | None = None  # organisations closed after it still took part (`Organisation.member_of`)


@dataclass(frozen=True)
class Selection:
    """What is compared: the branches under `roots` (the subtrees the user may read, as
    `access.subtree_filter` has them), narrowed to the subtree at `org_path` when one is
    picked, in `cycles` (ascending by year). `previous` is the cycle before the latest
    selected one, selected or not: the table's changes are measured against it."""

    roots: tuple[str, ...]
    org_path: str | None
    cycles: tuple[CycleRef, ...]
    previous: CycleRef | None

    @property
    def focus(self) -> CycleRef:
        return self.cycles[-1]

    @property
    def cycle_ids(self) -> list[int]:
        return [c.id for c in self.cycles]

    def condition(self):
        """The SQL condition on Organisation of the selected subtree."""
        if not self.roots:
            return false()
        condition = or_(*(Organisation.in_subtree(p) for p in self.roots))
        if self.org_path:
            condition = and_(condition, Organisation.in_subtree(self.org_path))
        return condition


def make_selection(roots: Sequence[Organisation] | None, org: Organisation | None, years: Sequence[int]) -> Selection:
    """The selection of `years` (every cycle when none is known) under `roots` (None: everything)."""
    cycles = [
        CycleRef(c.id, c.year, c.questionnaire_version, c.closes_on)
        for c in db.session.scalars(select(Cycle).order_by(Cycle.year))
    ]
    chosen = [c for c in cycles if c.year in set(years)] or cycles
    previous = None
    if chosen:
        earlier = [c for c in cycles if c.year < chosen[-1].year]
        previous = earlier[-1] if earlier else None
    paths = ("/",) if roots is None else tuple(sorted(r.path for r in roots))
    return Selection(paths, org.path if org else None, tuple(chosen), previous)


# ---------------------------------------------------------------- the cohort's aggregates


@dataclass(frozen=True)
class Box:
    """Five-number summary and mean of one measure in one cycle (quartiles as percentile_cont)."""

    n: int
    minimum: float
    q1: float
    median: float
    q3: float
    maximum: float
    mean: float


@dataclass(frozen=True)
class Movement:
    """How many units went from one overall level to another between two cycles."""

    before: CycleRef
    after: CycleRef
    counts: dict[tuple[str, str], int]

    @property
    def total(self) -> int:
        return sum(self.counts.values())


@dataclass(frozen=True)
class Completion:
    """Branches directly under one organisation, and how many submitted (or drafted) in the focus cycle."""

    code: str
    name: str
    branches: int
    submitted: int
    drafts: int

    @property
    def rate(self) -> float:
        return 100.0 * self.submitted / self.branches if self.branches else 0.0


@dataclass(frozen=True)
class ItemStat:
    """One item across the submitted units of the focus cycle."""

    item_id: str
    units: int
    mean: float
    below: int  # units whose item score is below the level-2 boundary

    @property
    def share_below(self) -> float:
        return 100.0 * self.below / self.units if self.units else 0.0


@dataclass
class Cohort:
    selection: Selection
    boxes: dict[tuple[int, str], Box]  # (cycle id, pillar id or "overall") → summary
    movements: list[Movement]
    completion: list[Completion]  # lowest rate first
    items: list[ItemStat]  # weakest first
    figures: dict = field(default_factory=dict)  # rendered charts, kept with the numbers they show

    def box(self, cycle: CycleRef, measure: str) -> Box | None:
        return self.boxes.get((cycle.id, measure))

    def mean(self, cycle: CycleRef, measure: str) -> float | None:
        box = self.boxes.get((cycle.id, measure))
        return box.mean if box else None

    def units(self, cycle: CycleRef) -> int:
        box = self.boxes.get((cycle.id, OVERALL))
        return box.n if box else 0


_lock = threading.Lock()


def cohort(selection: Selection) -> Cohort:
    """The aggregates of `selection`; each part from the per-process cache while its cycles are unchanged."""
    if not selection.cycles:
        return Cohort(selection, {}, [], [], [])
    versions, orgs = data_versions()
    where = (selection.roots, selection.org_path, orgs)
    cycle = {c.id: (c.id, versions.get(c.id)) for c in selection.cycles}
    focus = cycle[selection.focus.id]

    def compute() -> Cohort:
        boxes: dict[tuple[int, str], Box] = {}
        for c in selection.cycles:
            boxes.update(_cached(("boxes", where, cycle[c.id]), partial(box_stats, selection, [c.id])))
        movements = [
            _cached(("movement", where, cycle[x.id], cycle[y.id]), partial(level_movement, selection, x, y))
            for x, y in zip(selection.cycles, selection.cycles[1:], strict=False)
        ]
        completed = _cached(("completion", where, focus), partial(completion, selection))
        items = _cached(("items", where, focus), partial(weakest_items, selection))
        return Cohort(selection, boxes, movements, completed, items)

    return _cached(("cohort", selection, orgs, tuple(cycle.values())), compute)


def _cached(key: tuple, compute):
    cache: OrderedDict = current_app.extensions.setdefault("comparison_cache", OrderedDict())
    with _lock:
        found = cache.get(key)
        if found is not None:
            cache.move_to_end(key)
            return found
    computed = compute()
    with _lock:
        cache[key] = computed
        while len(cache) > CACHE_SIZE:
            cache.popitem(last=False)
    return computed


def data_versions() -> tuple[dict[int, tuple], tuple]:
    """Fingerprints that change with every save, submission and reopening: per cycle; and of the
    organisations (created, closed or reopened, moved: a weighted sum of the parents' ids)."""
    per_cycle = select(
        SelfCheck.cycle_id,
        func.count(SelfCheck.id),
        func.coalesce(func.sum(SelfCheck.revision), 0),
        func.max(SelfCheck.submitted_at),
        func.coalesce(func.sum(case((SelfCheck.status == SUBMITTED, 1), else_=0)), 0),
    ).group_by(SelfCheck.cycle_id)
    versions = {cycle_id: tuple(rest) for cycle_id, *rest in db.session.execute(per_cycle)}
    orgs = tuple(
        db.session.execute(
            select(
                func.count(Organisation.id),
                func.max(Organisation.id),
                func.count(Organisation.closed_on),
                func.max(Organisation.closed_on),
                func.sum(cast(func.coalesce(Organisation.parent_id, 0), BigInteger) * Organisation.id),
            )
        ).one()
    )
    return versions, orgs


def _scope(selection: Selection, cycle_ids: Sequence[int]):
    return (
        Organisation.kind == "branch",
        SelfCheck.status == SUBMITTED,
        SelfCheck.cycle_id.in_(cycle_ids),
        selection.condition(),
    )


def _measures(selection: Selection, cycle_ids: Sequence[int]):
    """One row per submitted unit, cycle of `cycle_ids` and measure (each pillar, and "overall")."""
    scope = _scope(selection, cycle_ids)
    pillars = (
        select(
            SelfCheck.cycle_id.label("cycle_id"), PillarScore.pillar.label("measure"), PillarScore.score.label("score")
        )
        .select_from(PillarScore)
        .join(SelfCheck, SelfCheck.id == PillarScore.selfcheck_id)
        .join(Organisation, Organisation.id == SelfCheck.organisation_id)
        .where(*scope)
    )
    overall = (
        select(SelfCheck.cycle_id, literal(OVERALL, String(40)), SelfCheck.score)
        .join(Organisation, Organisation.id == SelfCheck.organisation_id)
        .where(*scope)
    )
    return union_all(pillars, overall).subquery("m")


def box_stats(selection: Selection, cycle_ids: Sequence[int]) -> dict[tuple[int, str], Box]:
    """Per cycle of `cycle_ids` and measure: count, min, quartiles, max and mean, in one statement.

    The quartile k/4 of n ordered scores interpolates between the rows at 0-based
    positions floor((n-1)k/4) and the next, as percentile_cont does; the position and its
    fraction are integer division and remainder, evaluated alike by SQLite and PostgreSQL.
    """
    m = _measures(selection, cycle_ids)
    partition = (m.c.cycle_id, m.c.measure)
    ranked = select(
        m.c.cycle_id,
        m.c.measure,
        m.c.score,
        func.row_number().over(partition_by=partition, order_by=m.c.score).label("rn"),
        func.count().over(partition_by=partition).label("n"),
    ).subquery("w")

    def quartile(k: int):
        steps = (ranked.c.n - 1) * k
        low = steps.op("/")(4) + 1  # 1-based row of the lower neighbour (integer division)
        fraction = cast(steps % 4, Float) / 4
        return func.sum(
            case(
                (ranked.c.rn == low, ranked.c.score * (1 - fraction)),
                (ranked.c.rn == low + 1, ranked.c.score * fraction),
                else_=0.0,
            )
        )

    statement = select(
        ranked.c.cycle_id,
        ranked.c.measure,
        func.count(),
        func.min(ranked.c.score),
        quartile(1),
        quartile(2),
        quartile(3),
        func.max(ranked.c.score),
        func.avg(ranked.c.score),
    ).group_by(ranked.c.cycle_id, ranked.c.measure)
    return {
        (cycle_id, measure): Box(n, *(float(v) for v in values))
        for cycle_id, measure, n, *values in db.session.execute(statement)
    }


def level_movement(selection: Selection, before: CycleRef, after: CycleRef) -> Movement:
    """Overall level before → after of the units that submitted in both cycles."""
    a, b = aliased(SelfCheck), aliased(SelfCheck)
    rows = db.session.execute(
        select(a.level, b.level, func.count())
        .select_from(a)
        .join(b, b.organisation_id == a.organisation_id)
        .join(Organisation, Organisation.id == a.organisation_id)
        .where(
            a.cycle_id == before.id,
            b.cycle_id == after.id,
            a.status == SUBMITTED,
            b.status == SUBMITTED,
            Organisation.kind == "branch",
            selection.condition(),
        )
        .group_by(a.level, b.level)
    )
    return Movement(before, after, {(x, y): n for x, y, n in rows})


def completion(selection: Selection) -> list[Completion]:
    """Per parent organisation of the selected branches: branches, submitted and drafts in the focus cycle."""
    parent = aliased(Organisation)
    rows = db.session.execute(
        select(
            parent.code,
            parent.name,
            func.count(Organisation.id),
            func.coalesce(func.sum(case((SelfCheck.status == SUBMITTED, 1), else_=0)), 0),
            func.coalesce(func.sum(case((SelfCheck.status == DRAFT, 1), else_=0)), 0),
        )
        .select_from(Organisation)
        .join(parent, parent.id == Organisation.parent_id)
        .outerjoin(
            SelfCheck, and_(SelfCheck.organisation_id == Organisation.id, SelfCheck.cycle_id == selection.focus.id)
        )
        .where(Organisation.kind == "branch", selection.condition(), Organisation.member_of(selection.focus))
        .group_by(parent.id, parent.code, parent.name)
    )
    found = [Completion(code, name, int(n), int(s), int(d)) for code, name, n, s, d in rows]
    return sorted(found, key=lambda c: (c.rate, c.code))


def weakest_items(selection: Selection) -> list[ItemStat]:
    """Every scored item in the focus cycle: units, mean score and units below level 2, weakest first."""
    level_2_min = get_questionnaire(selection.focus.version).levels[1].min  # 发展 Developing
    rows = db.session.execute(
        select(
            Answer.item_id,
            func.count(),
            func.avg(Answer.score),
            func.sum(case((Answer.score < level_2_min, 1), else_=0)),
        )
        .select_from(Answer)
        .join(SelfCheck, SelfCheck.id == Answer.selfcheck_id)
        .join(Organisation, Organisation.id == SelfCheck.organisation_id)
        .where(*_scope(selection, [selection.focus.id]), Answer.score.is_not(None))
        .group_by(Answer.item_id)
    )
    found = [ItemStat(item_id, int(n), float(mean), int(below)) for item_id, n, mean, below in rows]
    return sorted(found, key=lambda s: (-s.share_below, s.mean, s.item_id))


# ---------------------------------------------------------------- units of the focus cycle


@dataclass(frozen=True)
class PillarCell:
    score: float
    level: str
    change: float | None


@dataclass(frozen=True)
class UnitRow:
    code: str
    name: str
    parent: str
    score: float
    level: str
    change: float | None
    pillars: dict[str, PillarCell]


@dataclass(frozen=True)
class UnitPage:
    rows: list[UnitRow]
    total: int
    page: int
    pages: int


def unit_page(selection: Selection, sort: str, descending: bool, page: int, per_page: int = PER_PAGE) -> UnitPage:
    """One page of the submitted units of the focus cycle, sorted in SQL by `sort`.

    `sort` is "code", "name", "overall", "change" (overall change since the previous
    cycle) or a pillar id; ties are broken by code.
    """
    focus, previous = selection.focus, selection.previous
    cur, prev, parent = aliased(SelfCheck), aliased(SelfCheck), aliased(Organisation)
    statement = (
        select(Organisation.code, Organisation.name, parent.name, cur.id, cur.score, cur.level)
        .select_from(Organisation)
        .join(cur, and_(cur.organisation_id == Organisation.id, cur.cycle_id == focus.id, cur.status == SUBMITTED))
        .outerjoin(parent, parent.id == Organisation.parent_id)
        .where(Organisation.kind == "branch", selection.condition())
    )
    total = db.session.scalar(select(func.count()).select_from(statement.subquery()))
    if previous is not None:
        statement = statement.add_columns(prev.id, prev.score).outerjoin(
            prev, and_(prev.organisation_id == Organisation.id, prev.cycle_id == previous.id, prev.status == SUBMITTED)
        )
    else:
        statement = statement.add_columns(literal(None).label("prev_id"), literal(None).label("prev_score"))
    if sort == "code":
        key = Organisation.code
    elif sort == "name":
        key = Organisation.name
    elif sort == "change" and previous is not None:
        key = cur.score - prev.score
    elif sort in ("overall", "change"):
        key = cur.score
    else:
        ps = aliased(PillarScore)
        statement = statement.outerjoin(ps, and_(ps.selfcheck_id == cur.id, ps.pillar == sort))
        key = ps.score
    key = key.desc() if descending else key.asc()
    pages = max(1, -(-total // per_page))
    page = min(max(1, page), pages)
    rows = db.session.execute(
        statement.order_by(key.nulls_last(), Organisation.code).limit(per_page).offset((page - 1) * per_page)
    ).all()
    ids = [r[3] for r in rows] + [r[6] for r in rows if r[6] is not None]
    cells: dict[int, dict[str, tuple[float, str]]] = {}
    if ids:
        for sc_id, pillar, score, level in db.session.execute(
            select(PillarScore.selfcheck_id, PillarScore.pillar, PillarScore.score, PillarScore.level).where(
                PillarScore.selfcheck_id.in_(ids)
            )
        ):
            cells.setdefault(sc_id, {})[pillar] = (score, level)
    units = []
    for code, name, parent_name, sc_id, score, level, prev_id, prev_score in rows:
        before = cells.get(prev_id, {})
        pillars = {
            pillar: PillarCell(s, lv, s - before[pillar][0] if pillar in before else None)
            for pillar, (s, lv) in cells.get(sc_id, {}).items()
        }
        change = score - prev_score if prev_score is not None else None
        units.append(UnitRow(code, name, parent_name or "", score, level, change, pillars))
    return UnitPage(units, total, page, pages)


@dataclass(frozen=True)
class PickedUnit:
    code: str
    name: str
    scores: dict[str, float]


def picked_units(selection: Selection, codes: Sequence[str]) -> list[PickedUnit]:
    """Pillar scores in the focus cycle of the picked units that lie in the selection (others are ignored)."""
    if not codes or not selection.cycles:
        return []
    rows = db.session.execute(
        select(Organisation.code, Organisation.name, PillarScore.pillar, PillarScore.score)
        .select_from(PillarScore)
        .join(SelfCheck, SelfCheck.id == PillarScore.selfcheck_id)
        .join(Organisation, Organisation.id == SelfCheck.organisation_id)
        .where(*_scope(selection, [selection.focus.id]), Organisation.code.in_(list(codes)))
    )
    found: dict[str, PickedUnit] = {}
    for code, name, pillar, score in rows:
        found.setdefault(code, PickedUnit(code, name, {})).scores[pillar] = score
    return [found[c] for c in codes if c in found]


# ---------------------------------------------------------------- export rows


def _pivot(selfcheck_id, key, score, keys: Sequence[str], prefix: str, scope):
    """One row per self-check in `scope`, one column "<prefix>_<key>" per key holding that key's score."""
    return (
        select(selfcheck_id, *(func.max(case((key == k, score))).label(f"{prefix}_{k}") for k in keys))
        .join(SelfCheck, SelfCheck.id == selfcheck_id)
        .join(Organisation, Organisation.id == SelfCheck.organisation_id)
        .where(*scope)
        .group_by(selfcheck_id)
        .subquery(f"{prefix}_scores")
    )


def export_rows(selection: Selection, item_ids: Sequence[str], pillar_ids: Sequence[str]) -> Iterator[tuple]:
    """One row per submitted unit and selected cycle: code, name, parent code, year, overall
    score and level, then one score per pillar and per item (pivoted in SQL)."""
    if not selection.cycles:
        return iter(())
    scope = _scope(selection, selection.cycle_ids)
    items = _pivot(Answer.selfcheck_id, Answer.item_id, Answer.score, item_ids, "i", scope)
    pillars = _pivot(PillarScore.selfcheck_id, PillarScore.pillar, PillarScore.score, pillar_ids, "p", scope)
    parent = aliased(Organisation)
    statement = (
        select(
            Organisation.code,
            Organisation.name,
            parent.code,
            Cycle.year,
            SelfCheck.score,
            SelfCheck.level,
            *(pillars.c[f"p_{p}"] for p in pillar_ids),
            *(items.c[f"i_{i}"] for i in item_ids),
        )
        .select_from(SelfCheck)
        .join(Organisation, Organisation.id == SelfCheck.organisation_id)
        .join(Cycle, Cycle.id == SelfCheck.cycle_id)
        .outerjoin(parent, parent.id == Organisation.parent_id)
        .outerjoin(pillars, pillars.c.selfcheck_id == SelfCheck.id)
        .outerjoin(items, items.c.selfcheck_id == SelfCheck.id)
        .where(*scope)
        .order_by(Organisation.path, Cycle.year)
    )
    return (tuple(row) for row in db.session.execute(statement.execution_options(yield_per=2000)))
