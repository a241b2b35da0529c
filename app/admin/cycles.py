"""Cycles: open one, change its window or questionnaire version, extend its deadline, close it.

A cycle is open from `opens_on` to its deadline `closes_on`, both days included. Closing a cycle
early moves its deadline to yesterday, so every rule that reads the window (who may still fill
in, when peer figures appear) reads it the same way. A cycle with self-checks keeps its
questionnaire version: their answers are typed for it. Administrators only (no other role runs
cycles); every change is audited.
"""

from __future__ import annotations

from datetime import date, timedelta

from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select

from .. import audit
from ..database import write_transaction
from ..extensions import db
from ..models import Cycle, SelfCheck, User
from . import questionnaires


class CycleError(Exception):
    """A change that the rules refuse; the message is in the user's language."""


def _check(version: str, opens_on: date, closes_on: date) -> None:
    if version not in questionnaires.usable_versions():
        raise CycleError(_l("There is no questionnaire version %(version)s.", version=version))
    if closes_on < opens_on:
        raise CycleError(_l("The deadline must not be before the opening day."))


def started(cycle: Cycle) -> int:
    """How many self-checks the cycle has."""
    return db.session.scalar(select(func.count()).where(SelfCheck.cycle_id == cycle.id))


def open_cycle(actor: User | None, year: int, version: str, opens_on: date, closes_on: date) -> Cycle:
    if not 2000 <= year <= 2999:
        raise CycleError(_l("Enter a year from 2000 to 2999."))
    if db.session.scalar(select(Cycle.id).where(Cycle.year == year)):
        raise CycleError(_l("The cycle of %(year)s exists already.", year=year))
    _check(version, opens_on, closes_on)
    with write_transaction():
        cycle = Cycle(year=year, questionnaire_version=version, opens_on=opens_on, closes_on=closes_on)
        db.session.add(cycle)
        questionnaires.mark_chosen(version)
        audit.record("cycle_open", actor, f"{year} {version} {opens_on}–{closes_on}")
        db.session.commit()
    return cycle


def change_cycle(actor: User | None, cycle: Cycle, version: str, opens_on: date, closes_on: date) -> None:
    """Set the window (extending the deadline is setting a later one) and the questionnaire version."""
    _check(version, opens_on, closes_on)
    if version != cycle.questionnaire_version and started(cycle):
        raise CycleError(
            _l(
                "Self-checks of %(year)s are answered with questionnaire %(version)s; its version cannot change.",
                year=cycle.year,
                version=cycle.questionnaire_version,
            )
        )
    with write_transaction():
        before = f"{cycle.questionnaire_version} {cycle.opens_on}–{cycle.closes_on}"
        cycle.questionnaire_version, cycle.opens_on, cycle.closes_on = version, opens_on, closes_on
        questionnaires.mark_chosen(version)
        audit.record("cycle_change", actor, f"{cycle.year}: {before} → {version} {opens_on}–{closes_on}")
        db.session.commit()


def close_cycle(actor: User | None, cycle: Cycle, today: date | None = None) -> None:
    """End the cycle now: its deadline becomes yesterday."""
    yesterday = (today or date.today()) - timedelta(days=1)
    if cycle.closes_on <= yesterday:
        raise CycleError(_l("The cycle of %(year)s is closed already.", year=cycle.year))
    if cycle.opens_on > yesterday:
        raise CycleError(_l("The cycle of %(year)s has not opened yet; change its window instead.", year=cycle.year))
    with write_transaction():
        cycle.closes_on = yesterday
        audit.record("cycle_close", actor, f"{cycle.year} {yesterday}")
        db.session.commit()
