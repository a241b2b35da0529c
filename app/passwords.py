"""Password hashes: argon2id (argon2-cffi) at OWASP's parameters; older scrypt hashes still verify.

OWASP's Password Storage Cheat Sheet asks for argon2id with at least m = 19 MiB, t = 2, p = 1.
A check takes about 30 ms of one core here, against 108–120 ms for the scrypt hashes
(Werkzeug's `scrypt:32768:8:1`) the application made before: 1,000 log-ins in 45 seconds need
two thirds of a core instead of more than the machine's two. argon2-cffi releases the GIL while
it hashes, so a server thread checking a password does not stop its process's other threads.

A scrypt hash is replaced by an argon2id hash at its owner's next successful log-in
(`needs_rehash`); so is an argon2id hash made with weaker parameters than these.
"""

from __future__ import annotations

from functools import cache

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from werkzeug.security import check_password_hash

HASHER = PasswordHasher(time_cost=2, memory_cost=19 * 1024, parallelism=1)
ARGON2_PREFIX = "$argon2"


def hash_password(password: str) -> str:
    return HASHER.hash(password)


def verify_password(stored: str, password: str) -> bool:
    """True when `password` matches `stored` (argon2id, or a Werkzeug scrypt/pbkdf2 hash)."""
    if not stored.startswith(ARGON2_PREFIX):
        return check_password_hash(stored, password)
    try:
        return HASHER.verify(stored, password)
    except (VerificationError, InvalidHashError):
        return False


def needs_rehash(stored: str) -> bool:
    return not stored.startswith(ARGON2_PREFIX) or HASHER.check_needs_rehash(stored)


@cache
def _dummy_hash() -> str:
    return hash_password("not anyone's password")


def spend_a_check(password: str) -> None:
    """As long as checking a real password: a log-in for an unknown user takes as long as a
    wrong password for a real one, so the time of the answer does not tell which usernames exist."""
    verify_password(_dummy_hash(), password)
