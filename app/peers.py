"""Where one branch stands among its peers, without disclosing any other branch's score.

Peers are the OTHER branches with a submitted self-check in the same cycle under the same
Party committee (the first segment of `Organisation.path`): the branch itself is never one
of them. One rule serves the result page, the diagnostic report and the API alike:

- a figure (the peers' mean, the branch's percentile among them) appears only when at
  least `MIN_PEERS` other branches stand behind it, so no figure is one unit's score or
  the mean of two (which, with one's own knowledge of one of them, is the other's);
- and only once the cycle has closed. While a cycle is open, peers submit one by one and
  each submission moves the mean: with the count shown, two downloads on either side of
  one submission give that peer's score by subtraction, (n + 1) × mean₂ − n × mean₁,
  to within a few tenths. After the close the group no longer changes by submission.

What the rule cannot prevent is said in the README ("Peer figures"): a committee's own
acts after the close (reopening a submitted self-check, typing in a late paper form)
change the group by one, and branches that pool their own scores learn the rest's mean.

Everything is counted in SQL; what comes back is never another branch's name, id or score.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from sqlalchemy import String, and_, bindparam, case, func, literal, select, union_all

from app.assessment.scoring import OVERALL

from .extensions import db
from .models import SUBMITTED, Organisation, PillarScore, SelfCheck

MIN_PEERS = 3  # other branches, the branch itself not counted


@dataclass(frozen=True)
class PeerPosition:
    """One measure (a pillar id, or "overall") of one branch among its peers."""

    measure: str
    score: float
    percentile: float  # 0–100: share of the peers scoring lower, ties counting half
    quartile: int  # 4 = the top quarter of the peers, 1 = the bottom quarter
    peers: int  # other branches compared, the branch itself not counted


def quartile_of(percentile: float) -> int:
    return 4 if percentile >= 75 else 3 if percentile >= 50 else 2 if percentile >= 25 else 1


def peers_allowed(selfcheck: SelfCheck, today: date | None = None) -> bool:
    """Whether peer figures may be shown for this self-check at all: its cycle has closed."""
    return selfcheck.organisation is not None and selfcheck.cycle.closes_on < (today or date.today())


def _in_peer_group() -> tuple:
    """The peers of a self-check: the other submitted branches of its cycle under its committee.
    Bound when the statement runs, from `peer_group(selfcheck)`."""
    return (
        SelfCheck.cycle_id == bindparam("cycle_id"),
        SelfCheck.status == SUBMITTED,
        Organisation.kind == "branch",
        Organisation.in_subtree(param="committee"),
        Organisation.id != bindparam("organisation_id"),
    )


def peer_group(selfcheck: SelfCheck) -> dict:
    return {
        "cycle_id": selfcheck.cycle_id,
        "committee": selfcheck.organisation.committee_path,
        "organisation_id": selfcheck.organisation_id,
    }


def _peer_scores():
    """Measure and score of every peer: one row per pillar and one "overall" per self-check."""
    scope = _in_peer_group()
    return union_all(
        select(PillarScore.pillar.label("measure"), PillarScore.score.label("score"))
        .join(SelfCheck, SelfCheck.id == PillarScore.selfcheck_id)
        .join(Organisation, Organisation.id == SelfCheck.organisation_id)
        .where(*scope),
        select(literal(OVERALL, String(40)), SelfCheck.score)
        .join(Organisation, Organisation.id == SelfCheck.organisation_id)
        .where(*scope),
    ).subquery("peer")


def _averages_statement():
    peer = _peer_scores()
    return (
        select(peer.c.measure, func.avg(peer.c.score), func.count(peer.c.score))
        .where(peer.c.score.is_not(None))
        .group_by(peer.c.measure)
    )


def _positions_statement():
    """Per measure: the branch's score, how many peers, how many of them below it and level with it."""
    others = _peer_scores()
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


# built once: every result page and every report runs them
PEER_AVERAGES = _averages_statement()
PEER_POSITIONS = _positions_statement()


def peer_averages(selfcheck: SelfCheck) -> tuple[dict[str, float], int]:
    """Measure (pillar id, "overall") → the peers' mean score, and how many peers stand behind it.

    Empty (and 0) when the rule forbids it: the cycle is still open, or fewer than
    MIN_PEERS other branches have submitted.
    """
    if not peers_allowed(selfcheck):
        return {}, 0
    rows = db.session.execute(PEER_AVERAGES, peer_group(selfcheck)).all()
    averages = {measure: float(avg) for measure, avg, n in rows if n >= MIN_PEERS}
    return averages, min((n for _, _, n in rows if n >= MIN_PEERS), default=0)


def peer_position(selfcheck: SelfCheck) -> dict[str, PeerPosition]:
    """Measure (pillar id, "overall") → the branch's position among its peers.

    Empty when the self-check is not submitted or the rule forbids it (see the module's
    docstring). The percentile rank is (peers below + half the peers level with it) /
    peers × 100, among the other branches only.
    """
    if not selfcheck.submitted or not peers_allowed(selfcheck):
        return {}
    rows = db.session.execute(PEER_POSITIONS, {"selfcheck_id": selfcheck.id, **peer_group(selfcheck)})
    positions = {}
    for measure, score, n, below, same in rows:
        if n < MIN_PEERS or score is None:
            continue
        percentile = 100.0 * (below + 0.5 * same) / n
        positions[measure] = PeerPosition(measure, score, round(percentile, 1), quartile_of(percentile), n)
    return positions
