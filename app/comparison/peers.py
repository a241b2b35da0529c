"""Where one branch stands among its peers, per pillar, without naming any other branch.

Peers are the branches with a submitted self-check in the same cycle under the same Party
committee (the first segment of `Organisation.path`). Everything is counted in SQL; what
comes back is the branch's own score, its percentile rank and quartile, and how many peers
there are: never another branch's name, id or score.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import String, and_, case, func, literal, select, union_all

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


def peer_position(selfcheck: SelfCheck) -> dict[str, PeerPosition]:
    """Pillar id (and "overall") → the branch's position among its peers in the self-check's cycle.

    For the diagnostic report and the result page. Empty when the self-check is not
    submitted or the committee has fewer than MIN_PEERS submitted branches. The
    percentile rank is (peers below + half the peers with the same score) / peers × 100,
    the branch itself counting among the peers with its own score.
    """
    if not selfcheck.submitted or selfcheck.organisation is None:
        return {}
    committee = selfcheck.organisation.committee_path
    scope = (
        SelfCheck.cycle_id == selfcheck.cycle_id,
        SelfCheck.status == SUBMITTED,
        Organisation.kind == "branch",
        Organisation.path.startswith(committee, autoescape=True),
    )
    others = union_all(
        select(PillarScore.pillar.label("measure"), PillarScore.score.label("score"))
        .join(SelfCheck, SelfCheck.id == PillarScore.selfcheck_id)
        .join(Organisation, Organisation.id == SelfCheck.organisation_id)
        .where(*scope),
        select(literal(OVERALL, String(40)), SelfCheck.score)
        .join(Organisation, Organisation.id == SelfCheck.organisation_id)
        .where(*scope),
    ).subquery("peer")
    mine = union_all(
        select(PillarScore.pillar.label("measure"), PillarScore.score.label("score")).where(
            PillarScore.selfcheck_id == selfcheck.id
        ),
        select(literal(OVERALL, String(40)), SelfCheck.score).where(SelfCheck.id == selfcheck.id),
    ).subquery("me")
    me = mine
    rows = db.session.execute(
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
    positions = {}
    for measure, score, n, below, same in rows:
        if n < MIN_PEERS or score is None:
            continue
        percentile = 100.0 * (below + 0.5 * same) / n
        positions[measure] = PeerPosition(measure, score, round(percentile, 1), quartile_of(percentile), n)
    return positions
