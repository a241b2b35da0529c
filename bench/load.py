"""`make load`: 200 branch secretaries fill in and submit their self-checks at the same time
(`--users 1000`: the deadline rush).

For each backend — SQLite (a file in a temporary directory), then PostgreSQL when it
answers on 127.0.0.1:5432 (in a database of its own, `selfcheck_load`, created and
dropped here) — this script:

1. builds the schema with `flask init-db`, then creates through the app context one
   committee, a branch and a branch user per simulated user (one password hash shared by
   all: hashing each password would only slow the set-up) and this year's open cycle;
2. serves the app with gunicorn on loopback, with the product's `gunicorn.conf.py`;
3. runs the simulated users in client processes of up to 250 each, every user a thread
   with its own keep-alive HTTP connection and cookies, arriving over RAMP_S seconds: log
   in, start the self-check, then on every pillar page autosave the answers a few at a
   time as they are typed (changing one of them again later), pausing between steps like
   a person reading and typing; open the review page and submit;
4. prints requests per second, p50/p95/p99 latency per request type and overall, every
   error (an unexpected status, an autosave that did not save, a socket error or
   timeout), the CPU of the server, of PostgreSQL's backends and of the clients, and how
   late the clients' pauses ended (a client that cannot keep up would show there); then
   reads the database: every self-check must be submitted with every answer equal to the
   last value its user saved.

Targets (2 cores): every user finishes, 0 errors, 0 lost answers, p95 ≤ 500 ms for pages
and autosaves and ≤ 1 s for log-ins, on both backends. Each backend is bounded
(LOAD_BUDGET_S for the users), all traffic stays on 127.0.0.1, and every process and
temporary file is removed, also on failure.
"""

from __future__ import annotations

import argparse
import html
import http.client
import json
import multiprocessing
import os
import random
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse
from collections import defaultdict
from dataclasses import dataclass
from datetime import date
from http.cookies import SimpleCookie
from pathlib import Path

from bench import profile, server
from bench.server import free_port, stop, wait_until_answering

ROOT = Path(__file__).resolve().parent.parent
USERS = 200
RAMP_S = 45.0  # users arrive evenly over this many seconds
THINK_S = (2.0, 4.0)  # pause before each step: reading a page, typing a few answers
ANSWERS_PER_SAVE = 4
LOAD_BUDGET_S = 135.0  # the users' part of one backend; a user still busy then counts as unfinished
HTTP_TIMEOUT_S = 30.0
USERS_PER_CLIENT = 250  # simulated users per client process (threads of one GIL)
PASSWORD = "load-pass-1"
COMMITTEE = "LOAD"
PG_ADMIN_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/test"
PG_DATABASE = "selfcheck_load"
USER_AGENT = "selfcheck-load/1.0"
CONFIRM_FLAGS = re.compile(r'name="confirm_flags" value="([^"]*)"')
CSRF_META = re.compile(r'<meta name="csrf-token" content="([^"]+)"')


# --- the servers --------------------------------------------------------------------------------


def start_gunicorn(port: int, env: dict, tmp: Path, overrides: dict) -> subprocess.Popen:
    """gunicorn with the product's settings (`gunicorn.conf.py`), `overrides` as its environment
    variables (GUNICORN_ACCESS_LOG among them when each request's time in the app is wanted)."""
    env = dict(env, GUNICORN_BIND=f"127.0.0.1:{port}", **overrides)
    return server.start_gunicorn(
        ["-c", "gunicorn.conf.py", "--worker-tmp-dir", str(tmp), "--error-logfile", str(tmp / "gunicorn.log"),
         "--log-level", "warning", "--access-logformat", "%(M)s %(m)s %(U)s %(s)s", "wsgi:app"],
        env, tmp / "gunicorn.out",
    )  # fmt: skip


def group_cpu_seconds(pgid: int) -> float:
    """CPU time (user + system) used so far by one process group, from /proc: its live processes,
    and the ended children its leader has reaped (gunicorn's recycled workers)."""
    total, tick = 0.0, os.sysconf("SC_CLK_TCK")
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                stat = Path(f"/proc/{entry}/stat").read_text()
            except OSError:
                continue
            fields = stat[stat.rindex(")") + 2 :].split()
            if int(fields[2]) == pgid:
                total += (int(fields[11]) + int(fields[12])) / tick
                if int(entry) == pgid:
                    total += (int(fields[13]) + int(fields[14])) / tick
    return total


def postgres_backend_cpu_seconds(url: str) -> float:
    """CPU time of the live PostgreSQL backends serving `url`'s database (0 for SQLite)."""
    if not url.startswith("postgresql"):
        return 0.0
    total, tick = 0.0, os.sysconf("SC_CLK_TCK")
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                cmdline = Path(f"/proc/{entry}/cmdline").read_bytes()
                stat = Path(f"/proc/{entry}/stat").read_text()
            except OSError:
                continue
            if cmdline.startswith(b"postgres: ") and f" {PG_DATABASE} ".encode() in cmdline:
                fields = stat[stat.rindex(")") + 2 :].split()
                total += (int(fields[11]) + int(fields[12])) / tick
    return total


def postgres_answers() -> bool:
    try:
        with socket.create_connection(("127.0.0.1", 5432), timeout=1):
            return True
    except OSError:
        return False


# --- the data -----------------------------------------------------------------------------------


def questionnaire():
    from app.assessment.questionnaire import available_versions, get_questionnaire

    return get_questionnaire(available_versions()[-1])


def create_branches(url: str, users: int) -> None:
    """One committee, `users` branches with one branch user each, and this year's open cycle."""
    from app import create_app
    from app.database import write_transaction
    from app.extensions import db
    from app.models import Cycle, Organisation, User
    from app.passwords import hash_password

    app = create_app({"SQLALCHEMY_DATABASE_URI": url, "SECRET_KEY": "load-setup"})
    shared_hash = hash_password(PASSWORD)  # once: hashing is slow on purpose
    with app.app_context():
        with write_transaction():
            committee = Organisation(code=COMMITTEE, kind="committee", name="压力测试党委", path=f"/{COMMITTEE}/")
            db.session.add(committee)
            for n in range(1, users + 1):
                code = f"{COMMITTEE}-{n:03d}"
                branch = Organisation(code=code, kind="branch", name=f"第{n}党支部", parent=committee,
                                      path=f"{committee.path}{code}/")  # fmt: skip
                db.session.add(branch)
                db.session.add(User(username=f"load{n:03d}", name=f"支部书记 {n}", role="branch", organisation=branch,
                                    password_hash=shared_hash))  # fmt: skip
            year = date.today().year
            version = questionnaire().version
            db.session.add(Cycle(year=year, questionnaire_version=version, opens_on=date(year, 1, 1),
                                 closes_on=date(year, 12, 31)))  # fmt: skip
            db.session.commit()
        if db.engine.dialect.name == "postgresql":
            # planner statistics, as a database in use has them: on tables it has never analysed,
            # PostgreSQL scanned the organisation table about ten times a request
            with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
                conn.exec_driver_sql("ANALYZE")
        db.session.remove()
        db.engine.dispose()


def stored_answers(url: str) -> dict[str, tuple[str | None, dict]]:
    """Branch code → (status of this year's self-check or None, item id → typed value)."""
    from sqlalchemy import create_engine, text

    engine = create_engine(url)
    try:
        with engine.connect() as conn:
            rows = conn.execute(
                text(
                    "SELECT o.code, s.status, a.item_id, a.value FROM organisation o"
                    " LEFT JOIN self_check s ON s.organisation_id = o.id"
                    " AND s.cycle_id = (SELECT id FROM cycle WHERE year = :year)"
                    " LEFT JOIN answer a ON a.selfcheck_id = s.id"
                    " WHERE o.kind = 'branch' AND o.code LIKE :prefix"
                ),
                {"year": date.today().year, "prefix": f"{COMMITTEE}-%"},
            ).all()
    finally:
        engine.dispose()
    out: dict[str, tuple[str | None, dict]] = {}
    for code, status, item_id, value in rows:
        _, answers = out.setdefault(code, (status, {}))
        if item_id is not None and value != "null":
            answers[item_id] = json.loads(value)
    return out


# --- the simulated users ------------------------------------------------------------------------


@dataclass(frozen=True)
class Plan:
    """The simulated workload."""

    users: int = USERS
    ramp_s: float = RAMP_S
    think_s: tuple[float, float] = THINK_S
    answers_per_save: int = ANSWERS_PER_SAVE


class TimeUp(Exception):
    pass


class Failed(Exception):
    pass


class Stats:
    """What one client process saw; `merge`d in the parent. `lag_ms`: how much later than asked
    each pause of a simulated user ended, i.e. how far the client itself fell behind."""

    def __init__(self):
        self.lock = threading.Lock()
        self.latencies: dict[str, list[float]] = defaultdict(list)
        self.lag_ms: list[float] = []
        self.errors: list[str] = []
        self.finished = 0
        self.unfinished = 0
        self.hung = 0
        self.cpu_s = 0.0
        self.expected: dict[int, dict[str, object]] = {}

    def __getstate__(self):
        return {k: v for k, v in self.__dict__.items() if k != "lock"}

    def __setstate__(self, state):
        self.__dict__.update(state, lock=threading.Lock())

    def merge(self, other: Stats) -> None:
        for kind, values in other.latencies.items():
            self.latencies[kind].extend(values)
        self.lag_ms += other.lag_ms
        self.errors += other.errors
        self.finished += other.finished
        self.unfinished += other.unfinished
        self.hung += other.hung
        self.cpu_s += other.cpu_s
        self.expected.update(other.expected)

    def record(self, kind: str, ms: float) -> None:
        with self.lock:
            self.latencies[kind].append(ms)

    def error(self, message: str) -> None:
        with self.lock:
            self.errors.append(message)


class Browser:
    """One user's keep-alive connection and cookies; every request timed and checked."""

    def __init__(self, port: int, stats: Stats, deadline: float, name: str):
        self.port, self.stats, self.deadline, self.name = port, stats, deadline, name
        self.conn: http.client.HTTPConnection | None = None
        self.cookies: dict[str, str] = {}

    def close(self) -> None:
        if self.conn is not None:
            self.conn.close()
            self.conn = None

    def request(self, kind, method, path, *, expect, form=None, payload=None, headers=None):
        """(status, location, body) of one request; Failed when the status is not one of `expect`."""
        if time.monotonic() > self.deadline:
            raise TimeUp()
        body, sent = None, {"User-Agent": USER_AGENT, "Accept-Language": "zh-CN,zh;q=0.9"}
        if form is not None:
            body, sent["Content-Type"] = urllib.parse.urlencode(form), "application/x-www-form-urlencoded"
        elif payload is not None:
            body, sent["Content-Type"] = json.dumps(payload), "application/json"
        if self.cookies:
            sent["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        sent.update(headers or {})
        start = time.perf_counter()
        for attempt in (1, 2):
            reused = self.conn is not None
            if self.conn is None:
                self.conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=HTTP_TIMEOUT_S)
            try:
                self.conn.request(method, path, body=body, headers=sent)
                response = self.conn.getresponse()
                data = response.read()
            except (http.client.RemoteDisconnected, ConnectionResetError, BrokenPipeError) as exc:
                self.close()
                if reused and attempt == 1:
                    continue  # the server had closed the idle keep-alive connection: send again, as browsers do
                self.stats.error(f"{kind} {method} {path}: {type(exc).__name__}: {exc}")
                raise Failed() from None
            except (OSError, http.client.HTTPException) as exc:  # timeouts included
                self.close()
                self.stats.error(f"{kind} {method} {path}: {type(exc).__name__}: {exc}")
                raise Failed() from None
            break
        self.stats.record(kind, (time.perf_counter() - start) * 1000)
        for header in response.headers.get_all("Set-Cookie") or ():
            for name, morsel in SimpleCookie(header).items():
                if morsel.value and morsel["max-age"] != "0" and not morsel["expires"].startswith("Thu, 01 Jan 1970"):
                    self.cookies[name] = morsel.value
                else:
                    self.cookies.pop(name, None)
        if response.will_close:
            self.close()
        text_body = data.decode("utf-8", errors="replace")
        if response.status not in expect:
            self.stats.error(f"{kind} {method} {path}: HTTP {response.status} (expected {expect}): {text_body[:120]!r}")
            raise Failed()
        location = response.getheader("Location")
        return response.status, urllib.parse.urlsplit(location).path if location else None, text_body


def csrf_of(page: str) -> str:
    match = CSRF_META.search(page)
    if not match:
        raise RuntimeError("no csrf-token meta tag in the page")
    return match.group(1)


def raw_answer(item, rng: random.Random) -> str:
    """What a secretary types for `item`: its own sample answer at a level drawn at random."""
    return item.form_value(item.sample(rng.randint(1, 5)))


class SimulatedUser(threading.Thread):
    def __init__(self, n: int, port: int, stats: Stats, start_at: float, deadline: float, q, plan: Plan):
        super().__init__(name=f"load{n:03d}", daemon=True)
        self.n, self.stats, self.start_at, self.q, self.plan = n, stats, start_at, q, plan
        self.browser = Browser(port, stats, deadline, self.name)
        self.rng = random.Random(n)
        self.expected: dict[str, object] = {}  # item id → typed value last saved (acknowledged)
        self.seq = 0

    def think(self) -> None:
        pause = self.rng.uniform(*self.plan.think_s)
        began = time.monotonic()
        time.sleep(pause)
        lag = (time.monotonic() - began - pause) * 1000
        with self.stats.lock:
            self.stats.lag_ms.append(lag)

    def run(self) -> None:
        time.sleep(max(0.0, self.start_at - time.monotonic()))
        try:
            self.fill_in()
            with self.stats.lock:
                self.stats.finished += 1
        except (Failed, TimeUp):
            with self.stats.lock:
                self.stats.unfinished += 1
        except Exception as exc:  # a bug in this script must show, not hang the run
            self.stats.error(f"{self.name}: {type(exc).__name__}: {exc}")
            with self.stats.lock:
                self.stats.unfinished += 1
        finally:
            self.browser.close()

    def fill_in(self) -> None:
        b = self.browser
        _, _, page = b.request("login page", "GET", "/login", expect=(200,))
        self.think()
        credentials = {"username": self.name, "password": PASSWORD, "csrf_token": csrf_of(page)}
        _, to, _ = b.request("login", "POST", "/login", expect=(302,), form=credentials)
        _, _, page = b.request("home page", "GET", to, expect=(200,))
        self.think()
        _, to, _ = b.request("start", "POST", "/selfcheck/start", expect=(302,), form={"csrf_token": csrf_of(page)})
        selfcheck_path = to.rsplit("/", 1)[0]
        for index, pillar in enumerate(self.q.pillars):
            _, _, page = b.request("pillar page", "GET", f"{selfcheck_path}/{pillar.id}", expect=(200,))
            csrf = csrf_of(page)
            items = list(pillar.items)
            changed_mind = self.rng.choice(items)
            step = self.plan.answers_per_save
            for first in range(0, len(items), step):
                self.think()
                self.autosave(selfcheck_path, csrf, items[first : first + step])
            if index == self.n % len(self.q.pillars):  # on one page, the user goes back and changes an answer
                self.think()
                self.autosave(selfcheck_path, csrf, [changed_mind])
        self.think()
        _, _, page = b.request("review page", "GET", f"{selfcheck_path}/review", expect=(200,))
        self.think()
        form = {"csrf_token": csrf_of(page)}
        flagged = CONFIRM_FLAGS.search(page)  # answers that contradict each other: the user confirms them
        if flagged:
            form["confirm_flags"] = html.unescape(flagged.group(1))
        _, to, _ = b.request("submit", "POST", f"{selfcheck_path}/submit", expect=(302,), form=form)
        if not to.startswith("/results/"):
            self.stats.error(f"{self.name}: submit was refused (sent to {to})")
            raise Failed()
        b.request("result page", "GET", to, expect=(200,))

    def autosave(self, selfcheck_path: str, csrf: str, items) -> None:
        self.seq += 1
        raws = {}
        for item in items:
            raw = raw_answer(item, self.rng)
            while item.id in self.expected and item.parse(raw) == self.expected[item.id]:
                raw = raw_answer(item, self.rng)  # a change of mind changes the value
            raws[item.id] = raw
        _, _, body = self.browser.request("autosave", "POST", f"{selfcheck_path}/autosave", expect=(200,),
                                          payload={"answers": raws, "seq": self.seq},
                                          headers={"X-CSRFToken": csrf})  # fmt: skip
        saved = set(json.loads(body).get("saved", ()))
        if saved != set(raws):
            self.stats.error(f"{self.name}: autosave seq {self.seq} saved {sorted(saved)} of {sorted(raws)}")
            raise Failed()
        for item in items:
            self.expected[item.id] = item.parse(raws[item.id])


# --- the client processes ----------------------------------------------------------------------


def run_clients(numbers: list[int], port: int, start: float, deadline: float, plan: Plan, results) -> None:
    """One client process: the simulated users `numbers` as threads; its Stats to `results`."""
    q, stats = questionnaire(), Stats()
    cpu_start = time.process_time()
    users = [SimulatedUser(n, port, stats, start + (n - 1) * plan.ramp_s / plan.users, deadline, q, plan)
             for n in numbers]  # fmt: skip
    for user in users:
        user.start()
    for user in users:
        user.join(timeout=max(0.1, deadline + HTTP_TIMEOUT_S + 5 - time.monotonic()))
    stats.hung = sum(1 for u in users if u.is_alive())
    stats.cpu_s = time.process_time() - cpu_start
    stats.expected = {u.n: dict(u.expected) for u in users}
    results.put(stats)


def run_users(port: int, plan: Plan, processes: int) -> tuple[Stats, float]:
    """Every simulated user, spread over `processes` client processes (each user in one of them,
    as a thread); the merged Stats and the seconds from the first arrival to the last user's end.

    One process of 1,000 threads cannot keep up: its threads wait for its one GIL, and the
    latency it measures is partly its own (`lag_ms` shows it)."""
    context = multiprocessing.get_context("fork")  # the parent has started no thread yet
    results = context.Queue()
    start = time.monotonic() + 1.0
    deadline = start + LOAD_BUDGET_S
    children = [
        context.Process(target=run_clients,
                        args=(list(range(k + 1, plan.users + 1, processes)), port, start, deadline, plan, results))
        for k in range(processes)
    ]  # fmt: skip
    for child in children:
        child.start()
    stats = Stats()
    for _ in children:
        stats.merge(results.get(timeout=max(1.0, deadline + HTTP_TIMEOUT_S + 30 - time.monotonic())))
    for child in children:
        child.join(timeout=10)
    return stats, time.monotonic() - start


# --- one backend --------------------------------------------------------------------------------


def percentile(sorted_values: list[float], p: float) -> float:
    if not sorted_values:
        return float("nan")
    rank = max(0, min(len(sorted_values) - 1, round(p / 100 * len(sorted_values) + 0.5) - 1))
    return sorted_values[rank]


def loadavg() -> str:
    try:
        return " ".join(Path("/proc/loadavg").read_text().split()[:3])
    except OSError:
        return "?"


PAGE_TARGET_MS, LOGIN_TARGET_MS = 500.0, 1000.0  # p95 of pages and autosaves; of log-ins (a password check each)


def run_backend(label: str, url: str, tmp: Path, plan: Plan, options: argparse.Namespace) -> bool:
    """Set up, load and check one database; True when every target is met."""
    began = time.monotonic()
    users = plan.users
    chosen = {"WORKERS": options.workers, "THREADS": options.threads, "WORKER_CLASS": options.worker_class,
              "ACCESS_LOG": tmp / "access.log" if options.profile else None}  # fmt: skip
    overrides = {f"GUNICORN_{name}": str(value) for name, value in chosen.items() if value}
    env = dict(os.environ, DATABASE_URL=url, SECRET_KEY="load-" + os.urandom(16).hex(), PYTHONPATH=str(ROOT))
    env.pop("SESSION_COOKIE_SECURE", None)
    settings = "".join(f" {k}={v}" for k, v in overrides.items())
    print(f"\n== {label}: {users} users in {options.clients} client processes; gunicorn.conf.py{settings}; "
          f"load average before: {loadavg()}", flush=True)  # fmt: skip
    subprocess.run([sys.executable, "-m", "flask", "--app", "wsgi", "init-db"], cwd=ROOT, env=env, check=True,
                   capture_output=True, timeout=120)  # fmt: skip
    create_branches(url, users)
    q = questionnaire()
    setup_s = time.monotonic() - began

    port = free_port()
    gunicorn = start_gunicorn(port, env, tmp, overrides)
    profiler = None
    try:
        wait_until_answering(f"http://127.0.0.1:{port}/login", gunicorn, tmp / "gunicorn.out")
        if options.profile:
            profiler = profile.start(gunicorn.pid, options.profile)
        server_cpu_start = group_cpu_seconds(gunicorn.pid)
        database_cpu_start = postgres_backend_cpu_seconds(url)
        stats, wall = run_users(port, plan, options.clients)
        server_cpu = group_cpu_seconds(gunicorn.pid) - server_cpu_start
        database_cpu = postgres_backend_cpu_seconds(url)
    finally:
        if profiler is not None:
            profile.stop(profiler)
        stop(gunicorn)
    log = "".join(p.read_text(errors="replace") for p in (tmp / "gunicorn.log", tmp / "gunicorn.out") if p.exists())
    wal = tmp / "load.db-wal"
    wal_mb = wal.stat().st_size / 1e6 if wal.exists() else None
    server_ms = sorted(access_log_ms(tmp / "access.log"))

    stored = stored_answers(url)
    not_submitted, lost, unsaved = [], 0, 0
    for n in range(1, users + 1):
        status, answers = stored.get(f"{COMMITTEE}-{n:03d}", (None, {}))
        if status != "submitted":
            not_submitted.append(f"load{n:03d}")
        expected = stats.expected.get(n, {})
        for item_id in q.items:
            if item_id not in expected:
                unsaved += 1  # its user stopped (an error or the deadline) before saving it
            elif answers.get(item_id) != expected[item_id]:
                lost += 1  # acknowledged by the server, not (or not so) in the database

    everything = sorted(ms for values in stats.latencies.values() for ms in values)
    total = len(everything)
    print(f"set-up {setup_s:.1f} s; load {wall:.1f} s: {total} requests, {total / wall:.1f} requests/s "
          f"(users arrive over {plan.ramp_s:.0f} s, pause {plan.think_s[0]}–{plan.think_s[1]} s before each step, "
          f"autosave {plan.answers_per_save} answers at a time)")  # fmt: skip
    print(f"{'request':<18}{'count':>7}{'p50 ms':>9}{'p95 ms':>9}{'p99 ms':>9}{'max ms':>9}")
    order = ["login page", "login", "home page", "start", "pillar page", "autosave",
             "review page", "submit", "result page"]  # fmt: skip
    for kind in order + sorted(set(stats.latencies) - set(order)):
        values = sorted(stats.latencies.get(kind, ()))
        if values:
            print(f"{kind:<18}{len(values):>7}{percentile(values, 50):>9.0f}{percentile(values, 95):>9.0f}"
                  f"{percentile(values, 99):>9.0f}{values[-1]:>9.0f}")  # fmt: skip
    pages = sorted(ms for kind, values in stats.latencies.items() if kind != "login" for ms in values)
    logins = sorted(stats.latencies.get("login", ()))
    for name, values in (("overall", everything), ("all but log-in", pages)):
        print(f"{name:<18}{len(values):>7}{percentile(values, 50):>9.0f}{percentile(values, 95):>9.0f}"
              f"{percentile(values, 99):>9.0f}{values[-1] if values else float('nan'):>9.0f}")  # fmt: skip
    if server_ms:
        print(f"{'(in the app)':<18}{len(server_ms):>7}{percentile(server_ms, 50):>9.0f}"
              f"{percentile(server_ms, 95):>9.0f}{percentile(server_ms, 99):>9.0f}{server_ms[-1]:>9.0f}"
              f"   mean {sum(server_ms) / len(server_ms):.1f} ms in the app of {sum(everything) / max(1, total):.1f} ms"
              " seen by the clients; the rest waited for a thread, in the socket queues or in the client")  # fmt: skip
    lags = sorted(stats.lag_ms)
    print(f"errors: {len(stats.errors)}; users finished {stats.finished}/{users}, unfinished {stats.unfinished}, "
          f"still running at the deadline {stats.hung}")  # fmt: skip
    for message in stats.errors[:10]:
        print(f"  {message}")
    database = f"PostgreSQL's backends {database_cpu - database_cpu_start:.0f} s, " if database_cpu else ""
    print(
        f"CPU used in {wall:.0f} s on {os.cpu_count()} cores: server {server_cpu:.0f} s, {database}"
        f"clients {stats.cpu_s:.0f} s ({options.clients} processes); the clients' pauses ended late by "
        f"p50 {percentile(lags, 50):.1f} ms, p95 {percentile(lags, 95):.1f} ms, max {max(lags, default=0):.0f} ms"
    )
    print(f"server log: {log.count('Traceback')} tracebacks, {log.count('database is locked')} 'database is locked'"
          + (f"; SQLite's WAL file at the end: {wal_mb:.1f} MB" if wal_mb is not None else ""))  # fmt: skip
    print(f"database: {users - len(not_submitted)}/{users} self-checks submitted; lost answers: {lost} of "
          f"{users * len(q.items) - unsaved} acknowledged; never saved (user stopped early): {unsaved}")  # fmt: skip
    if not_submitted:
        print(f"  not submitted: {', '.join(not_submitted[:10])}{' …' if len(not_submitted) > 10 else ''}")
    if profiler is not None:
        profile.summarise(options.profile)
    fast = percentile(pages, 95) <= PAGE_TARGET_MS and (not logins or percentile(logins, 95) <= LOGIN_TARGET_MS)
    ok = not stats.errors and not lost and not unsaved and not not_submitted and not stats.hung and fast
    print(f"targets (every user finishes, 0 errors, 0 lost answers, p95 ≤ {PAGE_TARGET_MS:.0f} ms for pages and "
          f"autosaves, ≤ {LOGIN_TARGET_MS:.0f} ms for log-ins): {'met' if ok else 'NOT met'}; "
          f"load average after: {loadavg()}; {time.monotonic() - began:.0f} s in all", flush=True)  # fmt: skip
    return ok


def access_log_ms(path: Path) -> list[float]:
    """Each request's time inside the app (gunicorn's %(M)s, the access log's first field)."""
    if not path.exists():
        return []
    lines = path.read_text(errors="replace").splitlines()
    return [float(line.split(" ", 1)[0]) for line in lines if line[:1].isdigit()]


def run_postgres(plan: Plan, options: argparse.Namespace) -> bool | None:
    """The same run on a database of its own on the local PostgreSQL; None when it cannot be made."""
    from sqlalchemy import create_engine, text
    from sqlalchemy.engine import make_url

    admin = create_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as conn:
            conn.execute(text(f"DROP DATABASE IF EXISTS {PG_DATABASE} WITH (FORCE)"))  # ours, from a broken run
            conn.execute(text(f"CREATE DATABASE {PG_DATABASE}"))
    except Exception as exc:
        print(f"\n== PostgreSQL: cannot create database {PG_DATABASE} ({type(exc).__name__}: {exc}); skipped")
        admin.dispose()
        return None
    url = make_url(PG_ADMIN_URL).set(database=PG_DATABASE).render_as_string(hide_password=False)
    tmp = Path(tempfile.mkdtemp(prefix="load-pg-"))
    try:
        return run_backend("PostgreSQL", url, tmp, plan, options)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
        with admin.connect() as conn:
            conn.execute(text(f"DROP DATABASE IF EXISTS {PG_DATABASE} WITH (FORCE)"))
        admin.dispose()


def main(argv: list[str] | None = None) -> int:
    """Run the load on SQLite, then on PostgreSQL if it answers on 127.0.0.1:5432.

    The server runs with the product's `gunicorn.conf.py`; --workers, --threads and
    --worker-class override it (as GUNICORN_* variables) to compare settings.
    """
    parser = argparse.ArgumentParser(prog="python -m bench.load", description=__doc__.split("\n")[0])
    parser.add_argument("--users", type=int, default=USERS)
    parser.add_argument("--clients", type=int, help="client processes (default: one per 250 users)")
    parser.add_argument("--workers", type=int, help="gunicorn workers (default: gunicorn.conf.py's)")
    parser.add_argument("--threads", type=int, help="threads per worker (default: gunicorn.conf.py's)")
    parser.add_argument("--worker-class", choices=["sync", "gthread"], help="(default: gunicorn.conf.py's)")
    parser.add_argument("--ramp", type=float, default=RAMP_S, help="seconds over which the users arrive")
    parser.add_argument("--think", type=float, nargs=2, default=THINK_S, metavar=("MIN", "MAX"),
                        help="pause before each step, seconds")  # fmt: skip
    parser.add_argument("--answers-per-save", type=int, default=ANSWERS_PER_SAVE)
    parser.add_argument("--backend", choices=["all", "sqlite", "postgresql"], default="all")
    parser.add_argument(
        "--profile",
        type=Path,
        metavar="FILE",
        help="sample the server with py-spy, show where its time goes, keep the stacks in FILE",
    )
    options = parser.parse_args(argv)
    options.clients = options.clients or -(-options.users // USERS_PER_CLIENT)
    plan = Plan(options.users, options.ramp, tuple(options.think), options.answers_per_save)
    print(f"nproc={os.cpu_count()}; load average at start: {loadavg()}")
    results = []
    if options.backend in ("all", "sqlite"):
        tmp = Path(tempfile.mkdtemp(prefix="load-sqlite-"))
        try:
            results.append(run_backend("SQLite", f"sqlite:///{tmp / 'load.db'}", tmp, plan, options))
        finally:
            shutil.rmtree(tmp, ignore_errors=True)
    if options.backend in ("all", "postgresql"):
        if postgres_answers():
            result = run_postgres(plan, options)
            if result is not None:
                results.append(result)
        else:
            print("\n== PostgreSQL: nothing answers on 127.0.0.1:5432; skipped")
    return 0 if all(results) else 1


if __name__ == "__main__":
    sys.exit(main())
