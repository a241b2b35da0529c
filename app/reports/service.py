"""Diagnostic reports of self-checks: the data they need, one PDF, and a ZIP of many."""

from __future__ import annotations

import re
import zipfile
from dataclasses import replace
from io import BytesIO

from flask import current_app
from flask_babel import force_locale, pgettext
from sqlalchemy import select

from .. import peers
from ..access import can_read_actions, subtree_filter
from ..answers import questionnaire_of, result_of
from ..evidence import service as evidence
from ..extensions import db
from ..models import SUBMITTED, Cycle, Organisation, RectificationAction, SelfCheck, User
from ..rectification import service as rectification
from ..selfcheck.service import previous_selfcheck
from .document import render_diagnostic_pdf
from .viewmodel import EvidenceFile, Peers, ReportViewModel, Subject, build_viewmodel, format_size


def peer_figures(selfcheck: SelfCheck) -> Peers:
    """The peers' mean scores and the branch's position among them, as the peer rule allows
    (`app.peers`: other branches only, at least three, once the cycle has closed)."""
    averages, count = peers.peer_averages(selfcheck)
    positions = {measure: (p.percentile, p.quartile) for measure, p in peers.peer_position(selfcheck).items()}
    return Peers(averages, count, positions)


def subject_of(selfcheck: SelfCheck) -> Subject:
    org = selfcheck.organisation
    root = org.committee_path
    committee = org if org.path == root else db.session.scalar(select(Organisation).where(Organisation.path == root))
    return Subject(
        branch=org.name,
        code=org.code,
        parent=org.parent.name if org.parent else "—",
        committee=committee.name,
        year=selfcheck.cycle.year,
        draft=not selfcheck.submitted,
        submitted_at=selfcheck.submitted_at,
        cycle_closes=selfcheck.cycle.closes_on,
    )


def viewmodel_for(selfcheck: SelfCheck, reader: User | None = None) -> ReportViewModel:
    """Everything the report of `selfcheck` shows, loaded and turned into a view-model.

    The rectification list is in it unless `reader` is given and may not read it (a trainer);
    a command run on the server (`reader` None) shows it.
    """
    previous_sc = previous_selfcheck(selfcheck)
    with_actions = reader is None or can_read_actions(reader, selfcheck)
    viewmodel = build_viewmodel(
        result_of(selfcheck),
        subject_of(selfcheck),
        previous=result_of(previous_sc) if previous_sc else None,
        previous_year=previous_sc.cycle.year if previous_sc else None,
        peers=peer_figures(selfcheck),
        actions=rectification.actions_of(selfcheck) if with_actions else None,
        last_year_actions=rectification.last_year_tally(selfcheck) if with_actions else None,
    )
    return replace(viewmodel, files=evidence_files(selfcheck, actions=with_actions))


def evidence_files(selfcheck: SelfCheck, actions: bool = True) -> tuple[EvidenceFile, ...]:
    """The files attached to the self-check's items, in questionnaire order, then to its actions
    (unless `actions` is False: a reader who may not see the rectification list)."""
    listed = evidence.listing(selfcheck, actions=actions)
    order = {item_id: n for n, item_id in enumerate(questionnaire_of(selfcheck).items)}
    problems = dict(
        db.session.execute(
            select(RectificationAction.id, RectificationAction.problem).where(
                RectificationAction.selfcheck_id == selfcheck.id
            )
        ).all()
    )
    keys = sorted(listed, key=lambda k: (isinstance(k, int), order.get(k, k) if isinstance(k, str) else k))
    return tuple(
        EvidenceFile(
            problems.get(key, "") if isinstance(key, int) else key,
            f.name,
            format_size(f.size),
            f.uploaded_at.strftime("%Y-%m-%d"),
        )
        for key in keys
        for f in listed[key]
    )


def report_for(
    selfcheck: SelfCheck, lang: str = "bilingual", template: str | None = None, *, reader: User | None = None
) -> bytes:
    """The diagnostic report of `selfcheck` as PDF bytes, as `reader` may see it (see `viewmodel_for`)."""
    template = template or current_app.config.get("REPORT_TEMPLATE", "default")
    return render_diagnostic_pdf(viewmodel_for(selfcheck, reader), template, lang)


def report_filename(selfcheck: SelfCheck, lang: str) -> str:
    return f"diagnostic-report_{selfcheck.organisation.code}_{selfcheck.cycle.year}_{lang}.pdf"


def bundle_selfchecks(user: User, cycle: Cycle) -> list[SelfCheck]:
    """The submitted self-checks of `cycle` that `user` may read, in tree order."""
    return list(
        db.session.scalars(
            select(SelfCheck)
            .join(Organisation, SelfCheck.organisation_id == Organisation.id)
            .where(SelfCheck.cycle_id == cycle.id, SelfCheck.status == SUBMITTED, subtree_filter(user))
            .order_by(Organisation.path)
        )
    )


_UNSAFE_IN_FILE_NAMES = re.compile(r'[\\/:*?"<>|\x00-\x1f\s]+')


def bundle_entry_name(selfcheck: SelfCheck, lang: str, ui: str) -> str:
    """A report's name inside the ZIP, in the language `ui` of the page that asked for it: code and
    name of the branch first, so that the listing reads like the overview."""
    with force_locale(ui):
        report = pgettext("file name", "diagnostic-report")
        mode = {
            "zh": pgettext("file name", "zh"),
            "en": pgettext("file name", "en"),
            "bilingual": pgettext("file name", "bilingual"),
        }[lang]
    org = selfcheck.organisation
    name = _UNSAFE_IN_FILE_NAMES.sub("-", org.name).strip("-.") or org.code
    return f"{org.code}_{name}_{selfcheck.cycle.year}_{report}_{mode}.pdf"


def bundle_zip(user: User, cycle: Cycle, lang: str = "bilingual", progress=None, ui: str = "zh") -> bytes:
    """One ZIP of the reports of every submitted self-check of `cycle` that `user` may read.

    `progress(done, total)`, when given, is told after each report (the job page shows it).
    """
    buffer = BytesIO()
    selfchecks = bundle_selfchecks(user, cycle)
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_STORED) as archive:  # PDFs are compressed already
        for done, selfcheck in enumerate(selfchecks, 1):
            stamp = (selfcheck.submitted_at or selfcheck.updated_at).timetuple()[:6]
            info = zipfile.ZipInfo(bundle_entry_name(selfcheck, lang, ui), date_time=stamp)
            archive.writestr(info, report_for(selfcheck, lang, reader=user))
            if progress:
                progress(done, len(selfchecks))
    return buffer.getvalue()


def bundle_filename(user: User, cycle: Cycle) -> str:
    return f"diagnostic-reports_{user.organisation.code}_{cycle.year}.zip"
