"""Adding, reading and removing evidence files. Views and the API call these; each write is one transaction.

Rules (the views check who may call, these check what is allowed):
- the type is read from the content (`filetypes.kind_of`); the name is only kept, cleaned;
- one file is at most EVIDENCE_MAX_FILE_MB, the files of one self-check at most EVIDENCE_MAX_TOTAL_MB;
- files are added and removed only while the self-check is a draft of an open cycle;
- every upload and removal goes to the audit log.
"""

from __future__ import annotations

import hashlib
import secrets
import unicodedata
from dataclasses import dataclass

from flask import current_app
from sqlalchemy import func, select

from .. import audit
from ..database import write_transaction
from ..extensions import db
from ..models import Evidence, RectificationAction, SelfCheck, User
from .filetypes import RefusedType, kind_of, mime_type
from .storage import evidence_store

__all__ = ["RefusedType", "TooLarge", "NotEditable", "UnknownItem", "add", "remove", "content", "counts", "listing"]

MB = 1024 * 1024


class TooLarge(Exception):
    """Over a limit: `per_file` says which; `limit_mb` is the limit in megabytes."""

    def __init__(self, per_file: bool, limit_mb: float):
        super().__init__(f"over {limit_mb:g} MB {'per file' if per_file else 'per self-check'}")
        self.per_file, self.limit_mb = per_file, limit_mb


class NotEditable(Exception):
    """The self-check is submitted or its cycle is closed: its evidence is fixed."""


class UnknownItem(Exception):
    """The item named is not a question of the self-check's questionnaire, or the action not one of its actions."""


def max_file_bytes() -> int:
    return int(current_app.config["EVIDENCE_MAX_FILE_MB"] * MB)


def clean_name(name: str, kind: str) -> str:
    """The uploader's file name without its folders and control characters, at most 200
    characters, ending in the extension of what the file is (so a download opens in the right program)."""
    name = unicodedata.normalize("NFC", (name or "").replace("\\", "/").rsplit("/", 1)[-1])
    name = "".join(ch for ch in name if unicodedata.category(ch)[0] != "C").strip().strip(".") or "file"
    stem, dot, ext = name.rpartition(".")
    if not dot or ext.lower() not in (kind, "jpeg" if kind == "jpg" else kind):
        stem, ext = name, kind
    return f"{stem[: 199 - len(ext)]}.{ext}"


def _editable(selfcheck: SelfCheck, action_id: int | None) -> None:
    """Files on items change with the answers (a draft of an open cycle); files on actions while the cycle is open."""
    if not selfcheck.cycle.is_open() or (action_id is None and selfcheck.submitted):
        raise NotEditable()


def _target(selfcheck: SelfCheck) -> str:
    return f"{selfcheck.organisation.code} {selfcheck.cycle.year}"


def _attached_to(evidence: Evidence) -> str:
    return evidence.item_id if evidence.action_id is None else f"action {evidence.action_id}"


def add(
    selfcheck: SelfCheck, item_id: str | None, name: str, data: bytes, user: User, action_id: int | None = None
) -> Evidence:
    """Attach a file to an item or (`action_id`) to a rectification action of the self-check.

    Raises RefusedType, TooLarge, NotEditable or UnknownItem.
    """
    from ..answers import questionnaire_of

    _editable(selfcheck, action_id)
    if action_id is not None:
        action = db.session.get(RectificationAction, action_id)
        if action is None or action.selfcheck_id != selfcheck.id:
            raise UnknownItem()
        item_id = None
    elif item_id not in questionnaire_of(selfcheck).items:
        raise UnknownItem()
    config = current_app.config
    if len(data) > max_file_bytes():
        raise TooLarge(per_file=True, limit_mb=config["EVIDENCE_MAX_FILE_MB"])
    kind = kind_of(data)
    store = evidence_store()
    key = secrets.token_hex(16)
    row = Evidence(
        selfcheck_id=selfcheck.id,
        item_id=item_id,
        action_id=action_id,
        name=clean_name(name, kind),
        kind=kind,
        size=len(data),
        sha256=hashlib.sha256(data).hexdigest(),
        key=key,
        uploaded_by_id=user.id,
    )
    if not store.transactional:
        store.put(key, data)  # an object left behind by a refused row is harmless; a row without its object is not
    with write_transaction():
        used = db.session.scalar(
            select(func.coalesce(func.sum(Evidence.size), 0)).where(Evidence.selfcheck_id == selfcheck.id)
        )
        if used + len(data) > config["EVIDENCE_MAX_TOTAL_MB"] * MB:
            db.session.rollback()
            if not store.transactional:
                store.delete(key)
            raise TooLarge(per_file=False, limit_mb=config["EVIDENCE_MAX_TOTAL_MB"])
        if store.transactional:
            store.put(key, data)
        db.session.add(row)
        audit.record("evidence_upload", user, f"{_target(selfcheck)} {_attached_to(row)}: {row.name}")
        db.session.commit()
    return row


def remove(evidence: Evidence, user: User) -> None:
    """Remove a file from a draft, and its content from the store."""
    selfcheck = evidence.selfcheck
    _editable(selfcheck, evidence.action_id)
    store = evidence_store()
    key, target = evidence.key, f"{_target(selfcheck)} {_attached_to(evidence)}: {evidence.name}"
    with write_transaction():
        db.session.delete(evidence)
        if store.transactional:
            store.delete(key)
        audit.record("evidence_delete", user, target)
        db.session.commit()
    if not store.transactional:
        store.delete(key)


def content(evidence: Evidence) -> tuple[bytes, str]:
    """The file's bytes and its MIME type."""
    return evidence_store().get(evidence.key), mime_type(evidence.kind)


@dataclass(frozen=True)
class Listed:
    """What a list of evidence shows of a file: never its content."""

    id: int
    item_id: str | None
    action_id: int | None
    name: str
    kind: str
    size: int
    uploaded_at: object


def counts(selfcheck: SelfCheck) -> dict[str, int]:
    """Item id → how many files are attached to it."""
    rows = db.session.execute(
        select(Evidence.item_id, func.count())
        .where(Evidence.selfcheck_id == selfcheck.id, Evidence.item_id.is_not(None))
        .group_by(Evidence.item_id)
    )
    return dict(rows.all())


LISTED = select(
    Evidence.id, Evidence.item_id, Evidence.action_id, Evidence.name, Evidence.kind, Evidence.size, Evidence.uploaded_at
).order_by(Evidence.uploaded_at, Evidence.id)


def listing(selfcheck: SelfCheck, *, actions: bool = False) -> dict[str | int, list[Listed]]:
    """Item id → its files in upload order, read in one query; with `actions`, also action id → its files."""
    query = LISTED.where(Evidence.selfcheck_id == selfcheck.id)
    if not actions:
        query = query.where(Evidence.action_id.is_(None))
    listed: dict[str | int, list[Listed]] = {}
    for row in db.session.execute(query):
        listed.setdefault(row.item_id if row.action_id is None else row.action_id, []).append(Listed(*row))
    return listed
