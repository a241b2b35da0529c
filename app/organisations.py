"""What an organisation and a user may be, whichever way they come in: `create-org`, `create-user`,
`import-all` (and any admin page): one set of rules, answering English messages for the operator.

A code is what paths, the subtree rule, URLs and download names are built from, so it is letters,
digits and hyphens only, 1–20 characters, beginning and ending with a letter or digit: no "/" can
graft one tree onto another, no CR/LF can reach a header. A path is the parent's path plus the
code ("/CG/CG-JG/B01/"). Names are printable text: no control characters, no escape sequences,
nothing a database cannot store.
"""

from __future__ import annotations

import re
import unicodedata

from app.assessment.items import storable

from .models import ORG_KINDS, ROLES

CODE = re.compile(r"[A-Za-z0-9](?:[A-Za-z0-9-]{0,18}[A-Za-z0-9])?")
MAX_NAME = 200
MAX_USERNAME = 80
KIND_LABELS = {"committee": "committee", "general_branch": "general branch", "branch": "branch"}


def code_problem(code) -> str | None:
    if isinstance(code, str) and CODE.fullmatch(code):
        return None
    return f"code {code!r} must be 1–20 letters, digits or hyphens, beginning and ending with a letter or digit"


def text_problem(value, what: str, max_length: int) -> str | None:
    """A name or username: not empty, at most `max_length` characters, printable (no control,
    format or unassigned characters, no half of a surrogate pair, no NUL)."""
    if not isinstance(value, str) or not value.strip():
        return f"{what} must not be empty"
    if len(value) > max_length:
        return f"{what} must be at most {max_length} characters"
    if not storable(value) or any(unicodedata.category(ch)[0] == "C" for ch in value):
        return f"{what} {value!r} contains control or unprintable characters"
    return None


def organisation_problems(code, kind, name, parent: tuple[str, str] | None, path=None) -> list[str]:
    """What is wrong with an organisation; `parent` is (its kind, its path) or None for a root.

    `path`, when given (an import), must be the parent's path plus the code.
    """
    problems = [p for p in (code_problem(code), text_problem(name, "name", MAX_NAME)) if p]
    if kind not in ORG_KINDS:
        problems.append(f"kind {kind!r} must be one of {', '.join(ORG_KINDS)}")
    elif parent is None and kind != "committee":
        problems.append("only a committee can stand without a parent")
    elif parent is not None and ORG_KINDS.index(kind) <= ORG_KINDS.index(parent[0]):
        problems.append(f"a {KIND_LABELS[kind]} cannot sit under a {KIND_LABELS[parent[0]]}")
    if path is not None and not problems and path != expected_path(code, parent):
        problems.append(f"path {path!r} must be {expected_path(code, parent)!r} (the parent's path and the code)")
    return problems


def expected_path(code: str, parent: tuple[str, str] | None) -> str:
    return (parent[1] if parent else "/") + code + "/"


EMAIL = re.compile(r"[^@\s]+@[^@\s]+\.[^@\s]+")
MAX_EMAIL = 254


def email_problem(value) -> str | None:
    """A user's e-mail address, where reminders go: empty, or one address of at most 254 characters."""
    if not value:
        return None
    if not isinstance(value, str) or len(value) > MAX_EMAIL or not EMAIL.fullmatch(value) or not storable(value):
        return f"email {value!r} must be one address such as name@example.org"
    return None


def user_problems(username, name, role, organisation_kind: str | None) -> list[str]:
    """What is wrong with a user of an organisation of `organisation_kind`."""
    checks = (text_problem(username, "username", MAX_USERNAME), text_problem(name, "name", MAX_NAME))
    problems = [p for p in checks if p]
    if isinstance(username, str) and any(ch.isspace() for ch in username):
        problems.append(f"username {username!r} must not contain spaces")
    if role not in ROLES:
        problems.append(f"role {role!r} must be one of {', '.join(ROLES)}")
    elif role == "branch" and organisation_kind != "branch":
        problems.append("a branch user must belong to a branch")
    return problems
