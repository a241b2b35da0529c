"""What an organisation and a user may be, whichever way they come in: `create-org`, `create-user`,
`import-all`, `import-tree` and the admin pages: one set of rules. Messages go through the catalogs:
English on the command line (`app.select_locale` outside a request), the user's language on a page.

A code is what paths, the subtree rule, URLs and download names are built from, so it is letters,
digits and hyphens only, 1–20 characters, beginning and ending with a letter or digit: no "/" can
graft one tree onto another, no CR/LF can reach a header. A path is the parent's path plus the
code ("/CG/CG-JG/B01/"). Names are printable text: no control characters, no escape sequences,
nothing a database cannot store.
"""

from __future__ import annotations

import re
import unicodedata

from flask_babel import gettext

from app.assessment.items import storable

from .models import ORG_KINDS, ROLES

CODE = re.compile(r"[A-Za-z0-9](?:[A-Za-z0-9-]{0,18}[A-Za-z0-9])?")
MAX_NAME = 200
MAX_USERNAME = 80
KIND_LABELS = {"committee": "committee", "general_branch": "general branch", "branch": "branch"}


def kind_label(kind: str) -> str:
    labels = {
        "committee": gettext("committee"),
        "general_branch": gettext("general branch"),
        "branch": gettext("branch"),
    }
    return labels[kind]


def code_problem(code) -> str | None:
    if isinstance(code, str) and CODE.fullmatch(code):
        return None
    return gettext(
        "code %(code)s must be 1–20 letters, digits or hyphens, beginning and ending with a letter or digit",
        code=repr(code),
    )


def text_problem(value, what: str, max_length: int) -> str | None:
    """A name or username: not empty, at most `max_length` characters, printable (no control,
    format or unassigned characters, no half of a surrogate pair, no NUL)."""
    what = {"name": gettext("name"), "username": gettext("username")}[what]
    if not isinstance(value, str) or not value.strip():
        return gettext("%(what)s must not be empty", what=what)
    if len(value) > max_length:
        return gettext("%(what)s must be at most %(num)d characters", what=what, num=max_length)
    if not storable(value) or any(unicodedata.category(ch)[0] == "C" for ch in value):
        return gettext("%(what)s %(value)s contains control or unprintable characters", what=what, value=repr(value))
    return None


def organisation_problems(code, kind, name, parent: tuple[str, str] | None, path=None) -> list[str]:
    """What is wrong with an organisation; `parent` is (its kind, its path) or None for a root.

    `path`, when given (an import), must be the parent's path plus the code.
    """
    problems = [p for p in (code_problem(code), text_problem(name, "name", MAX_NAME)) if p]
    if kind not in ORG_KINDS:
        problems.append(gettext("kind %(kind)s must be one of %(kinds)s", kind=repr(kind), kinds=", ".join(ORG_KINDS)))
    elif parent is None and kind != "committee":
        problems.append(gettext("only a committee can stand without a parent"))
    elif parent is not None and ORG_KINDS.index(kind) <= ORG_KINDS.index(parent[0]):
        problems.append(
            gettext("a %(kind)s cannot sit under a %(parent)s", kind=kind_label(kind), parent=kind_label(parent[0]))
        )
    if path is not None and not problems and path != expected_path(code, parent):
        problems.append(
            gettext(
                "path %(path)s must be %(expected)s (the parent's path and the code)",
                path=repr(path),
                expected=repr(expected_path(code, parent)),
            )
        )
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
        return gettext("email %(value)s must be one address such as name@example.org", value=repr(value))
    return None


def user_problems(username, name, role, organisation_kind: str | None) -> list[str]:
    """What is wrong with a user of an organisation of `organisation_kind`."""
    checks = (text_problem(username, "username", MAX_USERNAME), text_problem(name, "name", MAX_NAME))
    problems = [p for p in checks if p]
    if isinstance(username, str) and any(ch.isspace() for ch in username):
        problems.append(gettext("username %(username)s must not contain spaces", username=repr(username)))
    if role not in ROLES:
        problems.append(gettext("role %(role)s must be one of %(roles)s", role=repr(role), roles=", ".join(ROLES)))
    elif role == "branch" and organisation_kind != "branch":
        problems.append(gettext("a branch user must belong to a branch"))
    return problems
