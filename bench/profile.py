"""Where a server's threads spend their time under load: py-spy samples every thread of
gunicorn's master and workers (idle ones too), and each sample is put in one category:
waiting for SQLite's write lock, for a pool connection, for a request, checking a password,
running SQL, rendering, and so on. `python -m bench.load --profile` uses it."""

from __future__ import annotations

import shutil
import signal
import subprocess
import sys
from collections import Counter
from pathlib import Path

RATE = 50  # samples per second and thread: enough for shares of a minute-long run, cheap to take

# (category, every fragment a sample's stack must contain), first match wins
CATEGORIES = [
    ("SQLite: waiting for the write lock (BEGIN IMMEDIATE)", ("_sqlite_begin",)),
    ("waiting for a database connection from the pool", ("sqlalchemy/pool", "wait (threading.py")),
    ("database: COMMIT", ("do_commit",)),
    ("password check (argon2id, scrypt)", ("verify_password",)),
    ("database: other statements", ("do_execute",)),
    ("database: other statements", ("psycopg",)),
    ("templates", ("render_template",)),
    ("idle job thread", ("app/jobs/",)),
    ("reading and writing sockets (request and response)", ("gunicorn/http",)),
    ("worker main loop (accepting, keep-alive, waiting on sockets)", ("ThreadWorker.run (",)),
    ("worker main loop (accepting, keep-alive, waiting on sockets)", ("SyncWorker.run (",)),
    ("gunicorn master", ("gunicorn/arbiter.py",)),
    ("gunicorn master", ("gunicorn/ctl/",)),
]
OTHER = "other application work (routing, session, forms, scoring)"


def start(pid: int, output: Path) -> subprocess.Popen | None:
    """py-spy recording `pid` and its children into `output` (collapsed stacks); None if py-spy is missing."""
    exe = shutil.which("py-spy") or str(Path(sys.executable).with_name("py-spy"))
    if not Path(exe).exists():
        print("py-spy is not installed (pip install py-spy); no profile")
        return None
    return subprocess.Popen(
        [exe, "record", "--pid", str(pid), "--subprocesses", "--idle", "--nonblocking", "--rate", str(RATE),
         "--format", "raw", "--output", str(output)],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip


def stop(profiler: subprocess.Popen) -> None:
    profiler.send_signal(signal.SIGINT)  # py-spy writes its file on SIGINT
    try:
        profiler.wait(timeout=60)
    except subprocess.TimeoutExpired:
        profiler.kill()


def categorise(stack: str) -> str:
    if stack.endswith("_worker (concurrent/futures/thread.py:81)"):  # a thread pool's thread waiting for work
        return "idle server thread (waiting for a request)"
    for name, fragments in CATEGORIES:
        if all(f in stack for f in fragments):
            return name
    return OTHER


def summarise(path: Path) -> None:
    """Print each category's thread-seconds and share of the samples."""
    if not path.exists():
        print("profile: py-spy wrote nothing")
        return
    counts: Counter[str] = Counter()
    for line in path.read_text(errors="replace").splitlines():
        stack, _, n = line.rpartition(" ")
        if n.isdigit():
            counts[categorise(stack)] += int(n)
    total = sum(counts.values()) or 1
    print(f"profile (py-spy, {RATE} samples/s of every server thread, idle included; thread-seconds):")
    for name, n in counts.most_common():
        print(f"  {n / RATE:8.1f} s {100 * n / total:5.1f} %  {name}")
