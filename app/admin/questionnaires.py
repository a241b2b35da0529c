"""Questionnaire versions: those shipped as files and those administrators upload.

An uploaded version is stored in the database (table `questionnaire_file`), so every app server
reads the same text; it is validated by the same loader as the shipped files
(`parse_questionnaire`), with the same messages. It may be uploaded again while no cycle has
chosen it; once a cycle chooses it, it is marked `chosen` for good and never changes (each
process keeps a loaded version for its whole life).
"""

from __future__ import annotations

import re

from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from app.assessment.questionnaire import (
    Questionnaire,
    QuestionnaireError,
    available_versions,
    get_questionnaire,
    parse_questionnaire,
    set_store,
)

from .. import audit
from ..database import write_transaction
from ..extensions import db
from ..models import Cycle, QuestionnaireFile, User

VERSION_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,38}")
MAX_FILE = 1024 * 1024


class UploadError(Exception):
    """An upload that cannot be stored; the message is in the user's language, or the loader's own."""


def stored_text(version: str) -> tuple[str, str] | None:
    """The store of `app.assessment.questionnaire`: (file name, text) of a stored version."""
    row = db.session.execute(
        select(QuestionnaireFile.filename, QuestionnaireFile.text).where(QuestionnaireFile.version == version)
    ).first()
    return (row.filename, row.text) if row else None


set_store(stored_text)


def usable_versions() -> list[str]:
    """Every version a cycle may choose: the shipped ones, then the uploaded ones."""
    stored = db.session.scalars(select(QuestionnaireFile.version).order_by(QuestionnaireFile.version))
    return available_versions() + [v for v in stored if v not in available_versions()]


def is_shipped(version: str) -> bool:
    return version in available_versions()


def version_in_use(version: str) -> bool:
    """Chosen by a cycle now or before (a chosen version stays fixed)."""
    if db.session.scalar(select(Cycle.id).where(Cycle.questionnaire_version == version).limit(1)):
        return True
    return bool(db.session.scalar(select(QuestionnaireFile.chosen).where(QuestionnaireFile.version == version)))


def read(version: str) -> Questionnaire | None:
    """A version for reading: shipped or chosen ones as loaded once; others parsed afresh (they may change)."""
    if is_shipped(version) or version_in_use(version):
        return get_questionnaire(version)
    stored = stored_text(version)
    return parse_questionnaire(*stored) if stored else None


def check(filename: str, data: bytes) -> tuple[Questionnaire, str]:
    """Validate an uploaded file as the loader does at start-up; the questionnaire and its text."""
    if len(data) > MAX_FILE:
        raise UploadError(_l("The file is larger than 1 MB."))
    stem = filename.rsplit("/", 1)[-1].rsplit("\\", 1)[-1]
    if not stem.endswith((".yaml", ".yml")) or not VERSION_NAME.fullmatch(stem.rsplit(".", 1)[0]):
        raise UploadError(_l("Name the file after its version, for example 2027-1.yaml."))
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        raise UploadError(_l("The file is not UTF-8 text.")) from None
    filename = stem.rsplit(".", 1)[0] + ".yaml"
    try:
        questionnaire = parse_questionnaire(filename, text)
    except QuestionnaireError as exc:
        raise UploadError(str(exc)) from None
    if is_shipped(questionnaire.version):
        raise UploadError(_l("Version %(version)s ships with the application.", version=questionnaire.version))
    if version_in_use(questionnaire.version):
        raise UploadError(
            _l("Version %(version)s is used by a cycle and cannot change.", version=questionnaire.version)
        )
    return questionnaire, text


def store(actor: User, filename: str, data: bytes) -> Questionnaire:
    """Validate and store (or replace, while no cycle has chosen it) an uploaded version."""
    questionnaire, text = check(filename, data)
    with write_transaction():
        if version_in_use(questionnaire.version):  # chosen since the check: the lock makes this the last word
            raise UploadError(
                _l("Version %(version)s is used by a cycle and cannot change.", version=questionnaire.version)
            )
        row = db.session.scalar(select(QuestionnaireFile).where(QuestionnaireFile.version == questionnaire.version))
        row = row or QuestionnaireFile(version=questionnaire.version)
        row.filename, row.text, row.uploaded_by_id = f"{questionnaire.version}.yaml", text, actor.id
        db.session.add(row)
        audit.record("questionnaire_upload", actor, questionnaire.version)
        db.session.commit()
    return questionnaire


def mark_chosen(version: str) -> None:
    """Inside the caller's write transaction: a cycle chose `version`; it never changes again."""
    row = db.session.scalar(select(QuestionnaireFile).where(QuestionnaireFile.version == version))
    if row is not None:
        row.chosen = True
