"""`export-all` while the application writes, and the peak memory of `import-all`.

`python -m bench backup` fills a temporary SQLite database through the application's own
functions (`service.start_selfcheck`, `save_answers`, `submit`): BRANCHES branches × CYCLES
cycles of complete, submitted self-checks, about a 48 MB backup. Then:

- `flask export-all` runs as a real command in its own process while this process saves
  answers to a draft in a loop; the figure is the longest wait of one save (its whole write
  transaction, lock included) during the export;
- `flask import-all` loads the file into a fresh database in its own process; the figure is that
  process's peak resident memory (ru_maxrss), beside the floor of the same command with nothing
  to do (`flask orgs` on an empty database).

Targets: no save waits more than 1 s; the import's peak stays under 2× the floor, whatever the
file's size. This is a benchmark, not a test: it reports, it does not fail. Set BENCH_BACKUP_DB to
a file path to keep the generated database there and reuse it.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from datetime import date
from pathlib import Path

from bench.server import ROOT

BRANCHES, CYCLES = 4600, 3
WAIT_TARGET_S = 1.0


def main() -> None:
    tmp = Path(tempfile.mkdtemp(prefix="bench-backup-"))
    try:
        run(tmp)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def flask(env: dict, *args: str) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-m", "flask", "--app", "wsgi", *args], cwd=ROOT, env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT)  # fmt: skip


def finish(proc: subprocess.Popen) -> tuple[int, float]:
    """Wait for `proc`: (exit status, peak resident memory in MB)."""
    _pid, status, usage = os.wait4(proc.pid, 0)
    proc.returncode = os.waitstatus_to_exitcode(status)
    output = proc.stdout.read().decode()
    if proc.returncode:
        raise RuntimeError(output)
    return proc.returncode, usage.ru_maxrss / 1024


def run(tmp: Path) -> None:
    source = Path(os.environ.get("BENCH_BACKUP_DB") or tmp / "source.db")
    env = {**os.environ, "SECRET_KEY": "bench", "DATABASE_URL": f"sqlite:///{source}"}
    from app import create_app

    app = create_app({"SQLALCHEMY_DATABASE_URI": env["DATABASE_URL"], "SECRET_KEY": "bench"})
    draft = fill(app, source)
    dump = tmp / "backup.json"

    waits, stop = [], threading.Event()
    writer = threading.Thread(target=keep_saving, args=(app, draft, waits, stop))
    writer.start()
    time.sleep(0.5)
    began = time.monotonic()
    finish(flask(env, "export-all", str(dump)))
    seconds = time.monotonic() - began
    stop.set()
    writer.join()
    during = [wait for start, wait in waits if began <= start <= began + seconds]
    longest = max(during, default=0) * 1000
    print(f"export-all: {seconds:.1f} s, {dump.stat().st_size / 1e6:.1f} MB; meanwhile {len(during)} saves, "
          f"the longest waited {longest:.0f} ms (target ≤ {WAIT_TARGET_S * 1000:.0f} ms)")  # fmt: skip

    target = tmp / "target.db"
    env_target = {**env, "DATABASE_URL": f"sqlite:///{target}"}
    finish(flask(env_target, "init-db"))
    _, floor = finish(flask(env_target, "orgs"))
    began = time.monotonic()
    _, peak = finish(flask(env_target, "import-all", str(dump)))
    print(f"import-all: {time.monotonic() - began:.1f} s, peak RSS {peak:.0f} MB (the same command with nothing "
          f"to do: {floor:.0f} MB; {peak / floor:.2f}×; the file {dump.stat().st_size / 1e6:.1f} MB)")  # fmt: skip


def fill(app, path: Path) -> int:
    """The database of BRANCHES × CYCLES submitted self-checks (kept when it exists); a draft's id."""
    from flask_migrate import upgrade

    from app.assessment.questionnaire import available_versions
    from app.database import write_transaction
    from app.extensions import db
    from app.models import Cycle, Organisation
    from app.selfcheck import service
    from tests.conftest import answers_at

    version = available_versions()[-1]
    this_year = date.today().year
    with app.app_context():
        fresh = not path.exists() or db.session.scalar(db.select(Organisation).limit(1)) is None
        if fresh:
            upgrade(directory=str(ROOT / "migrations"))
            started = time.monotonic()
            committee = Organisation(code="BK", kind="committee", name="基准党委", path="/BK/")
            years = range(this_year - CYCLES, this_year + 1)
            cycles = [Cycle(year=year, questionnaire_version=version, opens_on=date(year, 1, 1),
                            closes_on=date(year, 12, 31)) for year in years]  # fmt: skip
            with write_transaction():
                db.session.add_all([committee, *cycles])
                db.session.commit()
            for n in range(BRANCHES):
                branch = Organisation(code=f"BK-{n:05d}", kind="branch", name=f"第{n}党支部", parent=committee,
                                      path=f"/BK/BK-{n:05d}/")  # fmt: skip
                with write_transaction():
                    db.session.add(branch)
                    db.session.commit()
                for cycle in cycles[:-1]:
                    selfcheck = service.start_selfcheck(branch, cycle)
                    service.save_answers(selfcheck, answers_at(1 + (n + cycle.year) % 5), None, enforce_window=False)
                    service.submit(selfcheck, None, enforce_window=False)
            print(f"filled {BRANCHES} branches × {CYCLES} cycles in {time.monotonic() - started:.0f} s")
        branch = db.session.scalar(db.select(Organisation).where(Organisation.code == "BK-00000"))
        cycle = db.session.scalar(db.select(Cycle).where(Cycle.year == this_year))
        return service.start_selfcheck(branch, cycle).id


def keep_saving(app, draft_id: int, waits: list, stop: threading.Event) -> None:
    from app.extensions import db
    from app.models import SelfCheck
    from app.selfcheck import service

    with app.app_context():
        seq = 0
        while not stop.is_set():
            seq += 1
            selfcheck = db.session.get(SelfCheck, draft_id)
            began = time.monotonic()
            service.save_answers(selfcheck, {"L11": f"第{seq}次保存", "L01": str(1 + seq % 5)}, None, seq=seq)
            waits.append((began, time.monotonic() - began))
            db.session.remove()
            time.sleep(0.01)
