"""Configuration read from the environment; tests pass overrides to `create_app`."""

import os
import secrets
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def secret_key(instance_path: str) -> str:
    """SECRET_KEY from the environment, else generated once into instance/ and reused.

    Every server process reads the same file; the exclusive create means two processes
    starting together cannot each write a different key.
    """
    if os.environ.get("SECRET_KEY"):
        return os.environ["SECRET_KEY"]
    path = Path(instance_path) / "secret_key"
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        pass
    else:
        with os.fdopen(fd, "w") as f:
            f.write(secrets.token_hex(32))
    for _ in range(50):  # another process may be between create and write
        key = path.read_text().strip()
        if key:
            return key
        import time

        time.sleep(0.01)
    raise RuntimeError(f"{path} is empty")


def database_url(instance_path: str) -> str:
    url = os.environ.get("DATABASE_URL")
    if url:
        # Heroku-style URLs name the driver "postgres"; SQLAlchemy wants psycopg 3.
        for prefix in ("postgres://", "postgresql://"):
            if url.startswith(prefix):
                return "postgresql+psycopg://" + url[len(prefix) :]
        return url
    return f"sqlite:///{Path(instance_path) / 'selfcheck.db'}"


class Config:
    LANGUAGES = ("zh", "en")
    BABEL_DEFAULT_LOCALE = "zh"
    BABEL_DEFAULT_TIMEZONE = "Asia/Shanghai"
    BABEL_TRANSLATION_DIRECTORIES = str(ROOT / "translations")
    WTF_I18N_ENABLED = False  # every validator message is our own, translated through Babel
    WTF_CSRF_TIME_LIMIT = None  # valid for the whole session, so a long page is not lost to an old token
    SESSION_COOKIE_HTTPONLY = True
    SESSION_COOKIE_SAMESITE = "Lax"
    SESSION_COOKIE_SECURE = os.environ.get("SESSION_COOKIE_SECURE", "") == "1"
    REMEMBER_COOKIE_HTTPONLY = True
    MAX_CONTENT_LENGTH = 2 * 1024 * 1024
    REDIS_URL = os.environ.get("REDIS_URL") or None
    JOBS_DIR = os.environ.get("JOBS_DIR") or None  # where job results are kept (default instance/jobs)
    JOB_THREADS = 2  # per web process, without REDIS_URL
    JOBS_PER_USER = 1  # running at once
    JOB_ATTEMPTS = 2  # a job whose process stopped is started again once
    JOB_TIMEOUT_MINUTES = int(os.environ.get("JOB_TIMEOUT_MINUTES", "30"))
    JOB_HEARTBEAT_SECONDS = float(os.environ.get("JOB_HEARTBEAT_SECONDS", "10"))
    JOB_KEEP_DAYS = int(os.environ.get("JOB_KEEP_DAYS", "7"))  # `flask prune` deletes finished jobs older than this
    TRUSTED_PROXIES = int(os.environ.get("TRUSTED_PROXIES", "0"))
    # a write outside write_transaction() on SQLite raises (app/database.py); always on in tests
    SQLITE_WRITE_GUARD = os.environ.get("SQLITE_WRITE_GUARD", "") == "1"
    # reminders by mail (app/reminders/mail.py): none without MAIL_SERVER
    MAIL_SERVER = os.environ.get("MAIL_SERVER") or None
    MAIL_PORT = int(os.environ.get("MAIL_PORT", "25"))
    MAIL_USE_TLS = os.environ.get("MAIL_USE_TLS", "") == "1"
    MAIL_USERNAME = os.environ.get("MAIL_USERNAME") or None
    MAIL_PASSWORD = os.environ.get("MAIL_PASSWORD") or None
    MAIL_DEFAULT_SENDER = os.environ.get("MAIL_DEFAULT_SENDER", "selfcheck@localhost")
    MAIL_TIMEOUT = 30  # seconds to wait for the mail server
    MAIL_ATTEMPTS = 5  # per message: the first and four retries
    MAIL_RETRY_SECONDS = float(os.environ.get("MAIL_RETRY_SECONDS", "30"))  # doubled after each failure
    SESSION_IDLE_MINUTES = 30
    SESSION_ABSOLUTE_HOURS = 12
    if os.environ.get("REPORT_FONT_PATH"):  # else app/reports/fonts.py's default, the packaged font
        REPORT_FONT_PATH = os.environ["REPORT_FONT_PATH"]
    REPORT_TEMPLATE = os.environ.get("REPORT_TEMPLATE") or "default"  # a layout of report_templates/
    # evidence files (app/evidence/): limits in megabytes, and where they are kept
    EVIDENCE_MAX_FILE_MB = float(os.environ.get("EVIDENCE_MAX_FILE_MB", "20"))
    EVIDENCE_MAX_TOTAL_MB = float(os.environ.get("EVIDENCE_MAX_TOTAL_MB", "200"))  # per self-check
    EVIDENCE_STORE = os.environ.get("EVIDENCE_STORE", "database")  # "database" or "s3"
    EVIDENCE_S3_BUCKET = os.environ.get("EVIDENCE_S3_BUCKET") or None
    EVIDENCE_S3_ENDPOINT_URL = os.environ.get("EVIDENCE_S3_ENDPOINT_URL") or None  # a store other than AWS
    EVIDENCE_S3_REGION = os.environ.get("EVIDENCE_S3_REGION") or None
