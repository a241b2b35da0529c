"""The audit log: `record` one event in the current transaction; admins read it at /admin/audit."""

from __future__ import annotations

from flask import has_request_context, request

from .extensions import db
from .models import AuditEvent, User

# "reopen" is kept for the events recorded before a return (退回) replaced reopening (issue 17)
ACTIONS = (
    "login",
    "logout",
    "login_refused",
    "submit",
    "reopen",
    "return",
    "approve",
    "evidence_upload",
    "evidence_delete",
    "report_download",
    "export",
    "action_create",
    "action_close",
    "action_delete",
    "action_account",
    "org_create",
    "org_rename",
    "org_move",
    "org_close",
    "org_reopen",
    "cycle_open",
    "cycle_change",
    "cycle_close",
    "questionnaire_upload",
    "reminder",
    # the administration of accounts: the event's subject is the account acted upon
    "password_change",
    "password_reset",
    "user_create",
    "user_update",
    "user_disable",
    "user_enable",
    "user_unlock",
    "tree_import",
)


def record(action: str, user: User | None, target: str = "", subject: User | None = None) -> None:
    """Add an event to the session; the caller's commit writes it with the change it describes.

    `user` did it (None: the command line or an anonymous visitor), to `subject` when it is an account.
    """
    assert action in ACTIONS, action
    address = (request.remote_addr or "") if has_request_context() else ""
    db.session.add(
        AuditEvent(
            action=action,
            user_id=user.id if user else None,
            subject_id=subject.id if subject else None,
            target=target[:200],
            address=address[:64],
        )
    )


def record_now(action: str, user: User | None, target: str = "") -> None:
    """Record and commit at once, in a transaction of its own: for downloads, which change nothing else."""
    from .database import write_transaction

    with write_transaction():
        record(action, user, target)
        db.session.commit()
