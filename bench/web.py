"""Requests per second of the questionnaire page and of autosave, beside a bare Flask page.

`python -m bench web` builds a fresh SQLite demo database in a temporary directory, serves
the app and `bench/bare_app.py` with gunicorn (2 sync workers each) on loopback, logs in
as the branch users whose self-check is still open, and drives each endpoint with `wrk`
at the same concurrency: the bare page (the floor), the stack's floor (`bench/stack_floor.py`:
the bare page's work behind this app's log-in, session, language and CSRF token, the least any
logged-in page here costs), the first pillar page, and autosave POSTs that change a different
answer each time. It prints requests/s, the ratios to both floors, every non-2xx response and
socket error, the "database is locked" count (from the responses and the server logs) and a
check in the database that the saves were written.

Targets (2 cores): questionnaire page ≥ 50% of the bare page; autosave ≥ 400 saves/s with
no "database is locked". This is a benchmark, not a test: it reports, it does not fail.
"""

from __future__ import annotations

import http.cookiejar
import json
import os
import re
import shutil
import sqlite3
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path

from bench.server import free_port, stop, wait_until_answering

ROOT = Path(__file__).resolve().parent.parent
LUA_SCRIPT = Path(__file__).resolve().parent / "wrk_users.lua"

WORKERS = 2
WORKER_CLASS = "sync"
THREADS = 4  # wrk threads: one branch user each
CONNECTIONS = 8  # concurrent client connections, the same for every measurement
WARMUP_S = 2
DURATION_S = 10
# Branch users whose self-check of this year is open (not started, or a draft) in the demo data.
USERS = ["b01", "b06", "b07", "b08"]
PASSWORD = "demo1234"
USER_AGENT = "selfcheck-bench/1.0"
PAGE_TARGET = 0.50
SAVES_TARGET = 400
LOCKED = "database is locked"
STACK_FLOOR_PATH = "/_bench/stack-floor"  # served by bench/stack_floor.py


def main() -> None:
    wrk = shutil.which("wrk")
    if wrk is None:
        print("wrk is not installed: run `make system` (or `apt-get install -y wrk`).")
        return
    tmp = Path(tempfile.mkdtemp(prefix="bench-web-"))
    servers: list[subprocess.Popen] = []
    try:
        run(wrk, tmp, servers)
    finally:
        for proc in servers:
            stop(proc)
        shutil.rmtree(tmp, ignore_errors=True)


def run(wrk: str, tmp: Path, servers: list[subprocess.Popen]) -> None:
    db_file = tmp / "bench.db"
    env = dict(os.environ)
    env.update(
        DATABASE_URL=f"sqlite:///{db_file}",
        SECRET_KEY="bench-" + os.urandom(16).hex(),
        BARE_APP_DIR=str(tmp),
        PYTHONPATH=str(ROOT),
    )
    env.pop("SESSION_COOKIE_SECURE", None)
    for command in ("init-db", "seed-demo"):
        subprocess.run(
            [sys.executable, "-m", "flask", "--app", "wsgi", command],
            cwd=ROOT, env=env, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
        )  # fmt: skip

    app_port, bare_port, floor_port = free_port(), free_port(), free_port()
    logs = {"app": tmp / "app-error.log", "bare": tmp / "bare-error.log", "floor": tmp / "floor-error.log"}
    servers.append(gunicorn("wsgi:app", app_port, logs["app"], env, tmp))
    servers.append(gunicorn("bench.bare_app:app", bare_port, logs["bare"], env, tmp))
    servers.append(gunicorn("bench.stack_floor:app", floor_port, logs["floor"], env, tmp))
    app_url, bare_url = f"http://127.0.0.1:{app_port}", f"http://127.0.0.1:{bare_port}"
    floor_url = f"http://127.0.0.1:{floor_port}"
    wait_until_answering(app_url + "/login", servers[0], logs["app"])
    wait_until_answering(bare_url + "/", servers[1], logs["bare"])
    wait_until_answering(floor_url + "/login", servers[2], logs["floor"])

    load_before = os.getloadavg()[0]
    results = {"bare_warmup": run_wrk(wrk, bare_url + "/", None, "plain", WARMUP_S)}
    results["bare"] = run_wrk(wrk, bare_url + "/", None, "plain", DURATION_S)

    # Log in only now: the app refreshes the session cookie once a minute, wrk's stays as it is.
    questionnaire = load_questionnaire()
    sessions = [login(app_url, username) for username in USERS]
    pillar_id = sessions[0]["page"].rsplit("/", 1)[1]
    ids = [s["selfcheck_id"] for s in sessions]
    config = tmp / "wrk_config.lua"
    config.write_text(lua_config(sessions, autosave_answers(questionnaire, pillar_id)), encoding="utf-8")
    # The stack's floor, with the same users' cookies (same database and secret): its page in place of theirs.
    floor_config = tmp / "wrk_floor.lua"
    floor_config.write_text(lua_config([{**s, "page": STACK_FLOOR_PATH} for s in sessions], []), encoding="utf-8")
    before = db_state(db_file, ids)
    for name, url, mode, wrk_config in (
        ("floor", floor_url + STACK_FLOOR_PATH, "page", floor_config),
        ("page", app_url + sessions[0]["page"], "page", config),
        ("save", app_url + sessions[0]["autosave"], "save", config),
    ):
        results[name + "_warmup"] = run_wrk(wrk, url, wrk_config, mode, WARMUP_S)
        results[name] = run_wrk(wrk, url, wrk_config, mode, DURATION_S)

    after = db_state(db_file, ids)
    report(results, before, after, logs, pillar_id, len(questionnaire.pillar(pillar_id).items), load_before)


# --- servers -------------------------------------------------------------------------


def gunicorn(target: str, port: int, error_log: Path, env: dict, tmp: Path) -> subprocess.Popen:
    # An empty config file of its own: gunicorn would otherwise load ./gunicorn.conf.py (the
    # production settings: access log, worker count, recycling), and the run would measure those.
    config = tmp / "gunicorn.bench.conf.py"
    config.write_text("# bench/web.py: every setting is on the command line\n")
    output = open(error_log.with_suffix(".out"), "wb")  # noqa: SIM115 - the child keeps it
    try:
        return subprocess.Popen(
            [
                sys.executable, "-m", "gunicorn",
                "--config", str(config),
                "--workers", str(WORKERS),
                "--worker-class", WORKER_CLASS,
                "--bind", f"127.0.0.1:{port}",
                "--error-logfile", str(error_log),
                "--log-level", "warning",
                "--worker-tmp-dir", str(tmp),
                target,
            ],
            cwd=ROOT, env=env, stdout=output, stderr=subprocess.STDOUT, start_new_session=True,
        )  # fmt: skip
    finally:
        output.close()


def read_logs(log: Path) -> str:
    return "".join(p.read_text(errors="replace") for p in (log, log.with_suffix(".out")) if p.exists())


# --- client set-up --------------------------------------------------------------------


def load_questionnaire():
    from app.assessment.questionnaire import available_versions, get_questionnaire

    return get_questionnaire(available_versions()[-1])


CSRF_META = re.compile(r'<meta name="csrf-token" content="([^"]+)"')


def login(base: str, username: str) -> dict:
    """Log in, start the self-check, open its first pillar; the cookie and token for wrk."""
    jar = http.cookiejar.CookieJar()
    opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar))
    opener.addheaders = [("User-Agent", USER_AGENT)]

    def fetch(path: str, form: dict | None = None) -> tuple[str, str]:
        data = urllib.parse.urlencode(form).encode() if form is not None else None
        with opener.open(base + path, data=data, timeout=30) as response:
            return urllib.parse.urlsplit(response.geturl()).path, response.read().decode()

    def token(html: str) -> str:
        match = CSRF_META.search(html)
        if not match:
            raise RuntimeError("no csrf-token meta tag in the page")
        return match.group(1)

    _, html = fetch("/login")
    path, html = fetch("/login", {"username": username, "password": PASSWORD, "csrf_token": token(html), "next": ""})
    if not path.startswith("/selfcheck"):
        raise RuntimeError(f"login as {username} failed (ended at {path})")
    page, html = fetch("/selfcheck/start", {"csrf_token": token(html)})
    match = re.fullmatch(r"/selfcheck/(\d+)/([\w-]+)", page)
    if not match:
        raise RuntimeError(f"starting the self-check as {username} ended at {page}")
    csrf = token(html)
    # Check one autosave by hand before wrk repeats it.
    selfcheck_id = int(match.group(1))
    autosave = f"/selfcheck/{selfcheck_id}/autosave"
    cookie = "; ".join(f"{c.name}={c.value}" for c in jar)
    request = urllib.request.Request(
        base + autosave,
        data=b'{"answers": {}}',
        headers={"Content-Type": "application/json", "X-CSRFToken": csrf, "Cookie": cookie, "User-Agent": USER_AGENT},
    )
    try:
        urllib.request.urlopen(request, timeout=30)
        raise RuntimeError("an empty autosave was accepted")
    except urllib.error.HTTPError as exc:  # 400 "invalid" proves login, CSRF and access passed
        if exc.code != 400 or json.loads(exc.read()).get("error") != "invalid":
            raise RuntimeError(f"autosave check as {username}: HTTP {exc.code}") from None
    return {"user": username, "selfcheck_id": selfcheck_id, "page": page, "autosave": autosave, "cookie": cookie,
            "csrf": csrf}  # fmt: skip


def autosave_answers(questionnaire, pillar_id: str, rounds: int = 6) -> list[str]:
    """One answer per save (the JSON of "answers"), through the pillar's items, new values each round."""
    items = questionnaire.pillar(pillar_id).items
    answers = []
    for n in range(rounds):
        for item in items:
            value = item.form_value(item.sample(1 + n % 5))
            values, errors = questionnaire.parse_answers({item.id: value})
            if errors:
                raise RuntimeError(f"bench value {value!r} for {item.id} is invalid: {errors}")
            answers.append(json.dumps({item.id: value}))
    return answers


def lua_string(value: str) -> str:
    return "[==[" + value + "]==]"


def lua_config(sessions: list[dict], answers: list[str]) -> str:
    fields = ("cookie", "csrf", "page", "autosave")
    users = ",\n".join("  { " + ", ".join(f"{key} = {lua_string(s[key])}" for key in fields) + " }" for s in sessions)
    return (
        f"return {{\n user_agent = {lua_string(USER_AGENT)},\n users = {{\n{users}\n }},\n"
        f" answers = {{ {', '.join(lua_string(a) for a in answers)} }},\n}}\n"
    )


# --- load -----------------------------------------------------------------------------


def run_wrk(wrk: str, url: str, config: Path | None, mode: str, seconds: int) -> dict:
    command = [wrk, "-t", str(THREADS), "-c", str(CONNECTIONS), "-d", f"{seconds}s", "--timeout", "15s",
               "-s", str(LUA_SCRIPT), url, "--", str(config or ""), mode]  # fmt: skip
    done = subprocess.run(command, capture_output=True, text=True, timeout=seconds + 60, check=False)
    for line in done.stdout.splitlines():
        if line.startswith("BENCH_RESULT "):
            result = json.loads(line[len("BENCH_RESULT ") :])
            result["statuses"] = {int(k): v for k, v in result["statuses"].items()}
            result["rps"] = result["requests"] / (result["duration_us"] / 1e6)
            time.sleep(0.5)  # let the requests still in flight finish before the next run
            return result
    raise RuntimeError(f"wrk gave no result (exit {done.returncode}):\n{done.stdout}\n{done.stderr}")


def db_state(db_file: Path, ids: list[int]) -> dict:
    marks = ",".join("?" * len(ids))
    with sqlite3.connect(db_file) as conn:
        revision = conn.execute(f"SELECT coalesce(sum(revision), 0) FROM self_check WHERE id IN ({marks})", ids)
        answers = conn.execute(f"SELECT count(*) FROM answer WHERE selfcheck_id IN ({marks})", ids)
        latest = conn.execute(f"SELECT max(updated_at) FROM answer WHERE selfcheck_id IN ({marks})", ids)
        return {"revision": revision.fetchone()[0], "answers": answers.fetchone()[0], "latest": latest.fetchone()[0]}


# --- report ---------------------------------------------------------------------------


def ok_count(result: dict) -> int:
    return sum(n for status, n in result["statuses"].items() if 200 <= status < 300)


def bad_statuses(result: dict) -> str:
    bad = {s: n for s, n in sorted(result["statuses"].items()) if not 200 <= s < 300}
    return ", ".join(f"{s}×{n}" for s, n in bad.items()) or "none"


def socket_errors(result: dict) -> int:
    e = result["errors"]
    return e["connect"] + e["read"] + e["write"] + e["timeout"]


def report(
    results: dict, before: dict, after: dict, logs: dict, pillar_id: str, n_items: int, load_before: float
) -> None:
    bare, floor, page, save = results["bare"], results["floor"], results["page"], results["save"]
    rows = [
        ("bare page (40 rows, small template)", bare),
        ("stack floor (the same, logged in)", floor),
        (f"questionnaire page ({pillar_id}, {n_items} items)", page),
        ("autosave POST (1 answer each)", save),
    ]
    print(
        f"{WORKERS} gunicorn {WORKER_CLASS} workers per app, wrk {THREADS} threads × {CONNECTIONS} connections, "
        f"{WARMUP_S} s warm-up + {DURATION_S} s each, nproc={os.cpu_count()}, "
        f"load average before {load_before:.2f} (other processes skew the figures)"
    )
    print(f"{'endpoint':<42}{'req/s':>9}{'2xx':>8}{'non-2xx':>14}{'sock err':>10}{'p50 ms':>8}{'p99 ms':>8}")
    for label, r in rows:
        print(
            f"{label:<42}{r['rps']:>9.0f}{ok_count(r):>8}{bad_statuses(r):>14}{socket_errors(r):>10}"
            f"{r['latency_us']['p50'] / 1000:>8.1f}{r['latency_us']['p99'] / 1000:>8.1f}"
        )
    ratio = page["rps"] / bare["rps"] if bare["rps"] else 0.0
    saves = (ok_count(save) - save["stale"]) / (save["duration_us"] / 1e6)
    log_locked = sum(read_logs(log).count(LOCKED) for log in logs.values())
    response_locked = sum(n for s, n in save["statuses"].items() if s != 200) + sum(
        n for s, n in results["save_warmup"]["statuses"].items() if s != 200
    )
    meets = "met" if ratio >= PAGE_TARGET else "NOT met"
    print(f"questionnaire / bare: {ratio:.0%} (target ≥ {PAGE_TARGET:.0%}: {meets})")
    if bare["rps"] and floor["rps"]:
        print(
            f"stack floor / bare: {floor['rps'] / bare['rps']:.0%} (log-in, session, language and CSRF token alone); "
            f"questionnaire / stack floor: {page['rps'] / floor['rps']:.0%}"
        )
    meets = "met" if saves >= SAVES_TARGET and log_locked == 0 and response_locked == 0 else "NOT met"
    print(f"autosave: {saves:.0f} saves/s (target ≥ {SAVES_TARGET}/s, no lock errors: {meets})")
    print(f'"{LOCKED}": {log_locked} in the gunicorn logs; autosave responses other than 200: {response_locked}')
    errors = sum(socket_errors(r) for r in results.values())
    tracebacks = sum(read_logs(log).count("Traceback") for log in logs.values())
    print(f"all runs: socket errors {errors}, tracebacks in the server logs {tracebacks}")
    runs = (save, results["save_warmup"])
    expected = sum(ok_count(r) - r["stale"] for r in runs)
    stale = sum(r["stale"] for r in runs)
    written = after["revision"] - before["revision"]
    # wrk stops counting at its deadline; the server still finishes the saves then in flight
    check = "OK" if expected <= written <= expected + CONNECTIONS * len(runs) else "MISMATCH"
    print(
        f"database: self-check revisions +{written} for {expected} counted saves, "
        f"≤ {CONNECTIONS} per run still in flight when wrk stopped ({check}); answers skipped as stale {stale}; "
        f"answer rows {before['answers']} → {after['answers']}; latest answer {after['latest']}"
    )
