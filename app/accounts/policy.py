"""What a password must be: long enough, not a common password, not the username, not the old one.

Chosen for secretaries who type on a phone and log in a few times a year (NIST SP 800-63B's
advice, which is also OWASP's): no rules of character classes, which make passwords harder to
remember and no harder to guess, but a length of at least MIN_LENGTH and a refusal of the
passwords that guessers try first. Those are the 30,000 most common passwords of zxcvbn's
frequency list (the `zxcvbn` package, itself drawn from leaked password sets), compared without
case, plus SUPPLEMENT: frequent passwords of Chinese leaks that list lacks.
"""

from __future__ import annotations

from functools import cache

from flask_babel import lazy_gettext as _l
from zxcvbn.frequency_lists import FREQUENCY_LISTS

MIN_LENGTH = 10
MAX_LENGTH = 200
# frequent in Chinese leaks (CSDN, 12306, …) and missing from zxcvbn's list
SUPPLEMENT = (
    "woaini1314",
    "woaini520",
    "5201314520",
    "1314520520",
    "qq123456789",
    "a123456789",
    "aa123456789",
    "zhang123456",
    "wang123456",
    "li123456789",
    "abc123456789",
    "1qaz2wsx3edc",
    "qwe123456789",
    "dearbook",
)

MESSAGES = {
    "too_short": _l("The password needs at least %(num)d characters.", num=MIN_LENGTH),
    "too_long": _l("The password can have at most %(num)d characters.", num=MAX_LENGTH),
    "common": _l("This password is among the most common passwords, which are tried first. Choose another."),
    "username": _l("The password must not contain your username."),
    "unchanged": _l("The new password must differ from the old one."),
}


@cache
def common_passwords() -> frozenset[str]:
    return frozenset(FREQUENCY_LISTS["passwords"]) | frozenset(SUPPLEMENT)


def password_problem(password: str, username: str, old_password: str | None = None) -> str | None:
    """The key in MESSAGES of what is wrong with `password` for the account `username`, or None."""
    if len(password) < MIN_LENGTH:
        return "too_short"
    if len(password) > MAX_LENGTH:
        return "too_long"
    if password.lower() in common_passwords():
        return "common"
    if username and username.lower() in password.lower():
        return "username"
    if old_password is not None and password == old_password:
        return "unchanged"
    return None
