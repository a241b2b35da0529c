"""Where one branch stands among its peers, per pillar, without naming any other branch.

Peers are the branches with a submitted self-check in the same cycle under the same Party
committee (the first segment of `Organisation.path`). Everything is counted in SQL; what
comes back is the branch's own score, its percentile rank and quartile, the peers' mean per
pillar and how many peers there are: never another branch's name, id or score.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import String, and_, bindparam, case, distinct, func, literal, select, union_all

from ..extensions import db
from ..models import SUBMITTED, Organisation, PillarScore, SelfCheck
from .queries import OVERALL

MIN_PEERS = 3  # with fewer branches (the branch included), a rank would reveal the others' scores


@dataclass(frozen=True)
class PeerPosition:
    """One measure (a pillar id, or "overall") of one branch among its peers."""

    measure: str
    score: float
    percentile: float  # 0–100: share of peers scoring lower, ties counting half (the branch included)
    quartile: int  # 4 = the top quarter of the peers, 1 = the bottom quarter
    peers: int  # branches compared, the branch included


def quartile_of(percentile: float) -> int:
    return 4 if percentile >= 75 else 3 if percentile >= 50 else 2 if percentile >= 25 else 1


def _in_peer_group() -> tuple:
    """The peers of a self-check: the submitted branches of its cycle under its committee.
    Bound when the statement runs, from `peer_group(selfcheck)`."""
    return (
        SelfCheck.cycle_id == bindparam("cycle_id"),
        SelfCheck.status == SUBMITTED,
        Organisation.kind == "branch",
        Organisation.in_subtree(param="committee"),
    )


def peer_group(selfcheck: SelfCheck) -> dict:
    return {"cycle_id": selfcheck.cycle_id, "committee": selfcheck.organisation.committee_path}


# built once: every report runs it
PILLAR_AVERAGES = (
    select(PillarScore.pillar, func.avg(PillarScore.score), func.count(distinct(SelfCheck.id)))
    .join(SelfCheck, PillarScore.selfcheck_id == SelfCheck.id)
    .join(Organisation, SelfCheck.organisation_id == Organisation.id)
    .where(*_in_peer_group())
    .group_by(PillarScore.pillar)
)


def pillar_averages(selfcheck: SelfCheck) -> tuple[dict[str, float], int]:
    """Pillar id → the mean score of the self-check's peers, and how many peers there are."""
    rows = db.session.execute(PILLAR_AVERAGES, peer_group(selfcheck)).all()
    return {pillar: float(avg) for pillar, avg, _ in rows}, max((n for *_, n in rows), default=0)


def _peer_positions_statement():
    """Per measure: the branch's score, how many peers, how many of them below it and level with it."""
    scope = _in_peer_group()
    others = union_all(
        select(PillarScore.pillar.label("measure"), PillarScore.score.label("score"))
        .join(SelfCheck, SelfCheck.id == PillarScore.selfcheck_id)
        .join(Organisation, Organisation.id == SelfCheck.organisation_id)
        .where(*scope),
        select(literal(OVERALL, String(40)), SelfCheck.score)
        .join(Organisation, Organisation.id == SelfCheck.organisation_id)
        .where(*scope),
    ).subquery("peer")
    me = union_all(
        select(PillarScore.pillar.label("measure"), PillarScore.score.label("score")).where(
            PillarScore.selfcheck_id == bindparam("selfcheck_id")
        ),
        select(literal(OVERALL, String(40)), SelfCheck.score).where(SelfCheck.id == bindparam("selfcheck_id")),
    ).subquery("me")
    return (
        select(
            me.c.measure,
            me.c.score,
            func.count(),
            func.sum(case((others.c.score < me.c.score, 1), else_=0)),
            func.sum(case((others.c.score == me.c.score, 1), else_=0)),
        )
        .select_from(me)
        .join(others, and_(others.c.measure == me.c.measure))
        .group_by(me.c.measure, me.c.score)
    )


# built once: every result page and every report runs it
PEER_POSITIONS = _peer_positions_statement()


def peer_position(selfcheck: SelfCheck) -> dict[str, PeerPosition]:
    """Pillar id (and "overall") → the branch's position among its peers in the self-check's cycle.

    For the diagnostic report and the result page. Empty when the self-check is not
    submitted or the committee has fewer than MIN_PEERS submitted branches. The
    percentile rank is (peers below + half the peers with the same score) / peers × 100,
    the branch itself counting among the peers with its own score.
    """
    if not selfcheck.submitted or selfcheck.organisation is None:
        return {}
    rows = db.session.execute(PEER_POSITIONS, {"selfcheck_id": selfcheck.id, **peer_group(selfcheck)})
    positions = {}
    for measure, score, n, below, same in rows:
        if n < MIN_PEERS or score is None:
            continue
        percentile = 100.0 * (below + 0.5 * same) / n
        positions[measure] = PeerPosition(measure, score, round(percentile, 1), quartile_of(percentile), n)
    return positions
