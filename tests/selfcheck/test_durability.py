"""Kill the server in the middle of autosaves: nothing it acknowledged is lost.

A real gunicorn (2 sync workers) serves the app on a SQLite file. Branch users whose
self-check of this year is open log in and start it; threads autosave with increasing
ordering numbers (`seq`) and distinct values, and remember every save answered 200. In
the middle, the whole gunicorn process group (master and workers) gets SIGKILL. A new
gunicorn starts on the same file and port, the same sessions keep saving, and then the
database itself is read: for every answer ever acknowledged, the stored `seq` is at least
the highest acknowledged one and, when equal, the value is the acknowledged value; a
higher stored `seq` must be a save this test really sent (answered or cut off by the kill).
"""

from __future__ import annotations

import contextlib
import itertools
import json
import os
import random
import re
import signal
import sqlite3
import subprocess
import sys
import threading
import time
from collections import defaultdict
from pathlib import Path

import requests

from app.assessment.questionnaire import available_versions, get_questionnaire
from bench.server import free_port, wait_until_answering

ROOT = Path(__file__).resolve().parents[2]
USERS = ["b01", "b06", "b07", "b08"]  # this year not started (b01, b08) or a draft (b06, b07) in the demo
PASSWORD = "demo1234"
THREADS_PER_USER = 2  # two tabs per user: their saves race each other, ordered by seq
TEST_BUDGET_S = 55
CSRF_META = re.compile(r'<meta name="csrf-token" content="([^"]+)"')
QUESTIONNAIRE = get_questionnaire(available_versions()[-1])
# the free-text items (unique values), and two scored items of each kind of entry
ITEMS = [i.id for i in QUESTIONNAIRE.items.values() if not i.scored] + [
    item_id
    for kind in {i.entry.kind for i in QUESTIONNAIRE.items.values() if i.scored}
    for item_id in [i.id for i in QUESTIONNAIRE.items.values() if i.scored and i.entry.kind == kind][:2]
]


def start_gunicorn(port: int, env: dict, tmp: Path, name: str) -> subprocess.Popen:
    """gunicorn in a session (and process group) of its own, so one killpg reaches master and workers."""
    with open(tmp / f"{name}.out", "wb") as output:
        return subprocess.Popen(
            [sys.executable, "-m", "gunicorn", "--workers", "2", "--worker-class", "sync",
             "--bind", f"127.0.0.1:{port}", "--worker-tmp-dir", str(tmp),
             "--error-logfile", str(tmp / f"{name}.log"), "--log-level", "warning", "wsgi:app"],
            cwd=ROOT, env=env, stdout=output, stderr=subprocess.STDOUT, start_new_session=True,
        )  # fmt: skip


def group_members(pgid: int) -> list[int]:
    """Live (not zombie) processes of the process group `pgid`, read from /proc."""
    members = []
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            stat = Path(f"/proc/{entry}/stat").read_text()
        except OSError:
            continue
        fields = stat[stat.rindex(")") + 2 :].split()  # state ppid pgrp …
        if int(fields[2]) == pgid and fields[0] != "Z":
            members.append(int(entry))
    return members


def kill_group(proc: subprocess.Popen, sig: int = signal.SIGKILL, timeout: float = 10) -> None:
    """Send `sig` to gunicorn's whole process group (master and workers) and wait until none is left."""
    with contextlib.suppress(ProcessLookupError):
        os.killpg(proc.pid, sig)
    try:
        proc.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait(timeout=5)
    deadline = time.monotonic() + 5
    while group_members(proc.pid) and time.monotonic() < deadline:
        time.sleep(0.05)
    if group_members(proc.pid):  # a worker that outlived its master: end it too
        os.killpg(proc.pid, signal.SIGKILL)
        time.sleep(0.2)


def log_in_and_start(base: str, username: str) -> tuple[requests.Session, str, int]:
    """A browser-like session: log in, start (or resume) this year's self-check; (session, CSRF token, id)."""
    session = requests.Session()
    session.trust_env = False  # loopback only, never through a proxy
    page = session.get(base + "/login", timeout=10)
    token = CSRF_META.search(page.text).group(1)
    home = session.post(
        base + "/login", data={"username": username, "password": PASSWORD, "csrf_token": token}, timeout=10
    )
    assert home.status_code == 200, f"login as {username}: {home.status_code}"
    assert home.url.startswith(base + "/selfcheck"), f"login as {username} ended at {home.url}"
    started = session.post(base + "/selfcheck/start", data={"csrf_token": CSRF_META.search(home.text).group(1)},
                           timeout=10)  # fmt: skip
    match = re.search(r"/selfcheck/(\d+)/[\w-]+$", started.url)
    assert started.status_code == 200, f"start as {username}: {started.status_code}"
    assert match, f"start as {username} ended at {started.url}"
    return session, CSRF_META.search(started.text).group(1), int(match.group(1))


def raw_value(item_id: str, seq: int, writer: str) -> str:
    item = QUESTIONNAIRE.items[item_id]
    if not item.scored:
        return f"{writer} seq {seq}"
    return item.form_value(item.sample(1 + seq % 5))


def typed(item_id: str, raw: str):
    values, errors = QUESTIONNAIRE.parse_answers({item_id: raw})
    assert not errors, (item_id, raw, errors)
    return values[item_id]


class Saver(threading.Thread):
    """One tab of one user: autosaves 1–3 answers at a time until told to stop."""

    def __init__(self, name, base, session, csrf, selfcheck_id, seqs, lock, ledger):
        super().__init__(name=name, daemon=True)
        self.base, self.session, self.csrf, self.selfcheck_id = base, session, csrf, selfcheck_id
        self.seqs, self.lock, self.ledger = seqs, lock, ledger
        self.stop = threading.Event()
        self.rng = random.Random(name)
        self.acked_after_restart = 0

    def run(self):
        url = f"{self.base}/selfcheck/{self.selfcheck_id}/autosave"
        while not self.stop.is_set():
            with self.lock:
                seq = next(self.seqs)  # shared by the user's tabs: increasing in the order the saves start
            raws = {i: raw_value(i, seq, self.name) for i in self.rng.sample(ITEMS, self.rng.randint(1, 3))}
            for item_id, raw in raws.items():
                self.ledger.sent[(self.selfcheck_id, item_id, seq)] = typed(item_id, raw)
            try:
                response = self.session.post(
                    url, json={"answers": raws, "seq": seq}, headers={"X-CSRFToken": self.csrf}, timeout=10
                )
            except requests.RequestException:
                self.ledger.count("unanswered")  # cut off by the kill, or refused while the server is down
                time.sleep(0.02)
                continue
            if response.status_code != 200:
                self.ledger.statuses.append((response.status_code, response.text[:200]))
                continue
            body = response.json()
            with self.ledger.lock:
                for item_id in body["saved"]:
                    self.ledger.acked[(self.selfcheck_id, item_id)].append((seq, typed(item_id, raws[item_id])))
                self.ledger.stale += len(body["stale"])
                self.ledger.total_acked += 1
                if self.ledger.restarted:
                    self.acked_after_restart += 1


class Ledger:
    """What the clients sent and what the server acknowledged."""

    def __init__(self):
        self.lock = threading.Lock()
        self.sent: dict[tuple[int, str, int], object] = {}
        self.acked: dict[tuple[int, str], list[tuple[int, object]]] = defaultdict(list)
        self.statuses: list[tuple[int, str]] = []
        self.counts: dict[str, int] = defaultdict(int)
        self.stale = 0
        self.total_acked = 0
        self.restarted = False

    def count(self, what: str) -> None:
        with self.lock:
            self.counts[what] += 1


def wait_for(condition, timeout: float) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.05)
    return condition()


def test_sigkill_mid_saves_loses_nothing_acknowledged(tmp_path):
    began = time.monotonic()
    db_file = tmp_path / "durability.db"
    env = dict(os.environ, DATABASE_URL=f"sqlite:///{db_file}", SECRET_KEY="durability-" + os.urandom(8).hex(),
               PYTHONPATH=str(ROOT))  # fmt: skip
    env.pop("SESSION_COOKIE_SECURE", None)
    for command in ("init-db", "seed-demo"):
        subprocess.run([sys.executable, "-m", "flask", "--app", "wsgi", command], cwd=ROOT, env=env, check=True,
                       capture_output=True, timeout=60)  # fmt: skip

    port = free_port()
    base = f"http://127.0.0.1:{port}"
    servers: list[subprocess.Popen] = []
    savers: list[Saver] = []
    ledger = Ledger()
    try:
        servers.append(start_gunicorn(port, env, tmp_path, "first"))
        wait_until_answering(base + "/login", servers[0], tmp_path / "first.out", 20)

        for username in USERS:
            seqs, lock = itertools.count(1), threading.Lock()
            for tab in range(THREADS_PER_USER):
                session, csrf, selfcheck_id = log_in_and_start(base, username)
                savers.append(Saver(f"{username}-tab{tab}", base, session, csrf, selfcheck_id, seqs, lock, ledger))
        assert len({s.selfcheck_id for s in savers}) == len(USERS)
        for saver in savers:
            saver.start()

        # Kill while saves are in flight: after a good number were acknowledged.
        assert wait_for(lambda: ledger.total_acked >= 60, timeout=15), f"only {ledger.total_acked} saves answered"
        acked_before_kill = ledger.total_acked
        first = servers[0]
        kill_group(first, signal.SIGKILL)
        assert first.returncode == -signal.SIGKILL
        assert group_members(first.pid) == [], "gunicorn processes survived SIGKILL of their group"
        time.sleep(0.3)  # the tabs keep trying against a dead port

        servers.append(start_gunicorn(port, env, tmp_path, "second"))
        wait_until_answering(base + "/login", servers[1], tmp_path / "second.out", 20)
        ledger.restarted = True
        # The server works again for every tab, with the sessions made before the kill.
        assert wait_for(lambda: all(s.acked_after_restart >= 3 for s in savers), timeout=15), [
            (s.name, s.acked_after_restart) for s in savers
        ]
    finally:
        for saver in savers:
            saver.stop.set()
        for saver in savers:
            saver.join(timeout=15)
            saver.session.close()
        for proc in servers:
            kill_group(proc, signal.SIGTERM if proc is servers[-1] else signal.SIGKILL)

    assert not any(s.is_alive() for s in savers)
    assert ledger.statuses == [], f"non-200 answers: {ledger.statuses[:5]}"
    assert acked_before_kill >= 60
    assert ledger.total_acked > acked_before_kill

    # Every acknowledged answer is in the database, as acknowledged or overtaken by a later save we sent.
    with sqlite3.connect(db_file) as conn:
        rows = conn.execute("SELECT selfcheck_id, item_id, seq, value FROM answer").fetchall()
        integrity = conn.execute("PRAGMA integrity_check").fetchone()[0]
    conn.close()
    stored = {(selfcheck_id, item_id): (seq, json.loads(value)) for selfcheck_id, item_id, seq, value in rows}
    assert integrity == "ok"
    lost, wrong = [], []
    for key, acks in ledger.acked.items():
        top_seq, top_value = max(acks, key=lambda a: a[0])
        if key not in stored or stored[key][0] is None or stored[key][0] < top_seq:
            lost.append((key, top_seq, stored.get(key)))
            continue
        seq, value = stored[key]
        if seq == top_seq and value != top_value:
            wrong.append((key, seq, value, top_value))
        elif seq > top_seq and ledger.sent.get((*key, seq)) != value:
            wrong.append((key, seq, value, "a value this test never sent"))
    print(
        f"saves answered 200: {ledger.total_acked} ({acked_before_kill} before the kill); no answer: "
        f"{ledger.counts['unanswered']}; stale items: {ledger.stale}; answers checked: {len(ledger.acked)}"
    )
    assert len(ledger.acked) >= len(USERS) * 4
    assert lost == [], f"acknowledged answers lost: {lost[:5]}"
    assert wrong == [], f"wrong values: {wrong[:5]}"
    assert time.monotonic() - began < TEST_BUDGET_S
