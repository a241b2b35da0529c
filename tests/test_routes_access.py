"""Every route of the pages and the API, for every role, a user of another branch and of another
committee, and an anonymous visitor: the expected status, from one table. A route missing from
the table fails the test, so a new route must say who may use it."""

from __future__ import annotations

import io
from datetime import date

import pytest

from app.api.auth import issue_token
from app.database import write_transaction
from app.extensions import db
from app.models import Evidence, RectificationAction, Reminder, User
from tests.conftest import THIS_YEAR, VERSION, login, submitted_selfcheck

ACTION = {"problem": "p", "measure": "m", "owner_name": "n", "deadline": "2030-01-01"}
USERS = ("anon", "b1", "b2", "x1", "leader", "gleader", "xleader", "trainer", "admin")
BRANCHES = ("b1", "b2", "x1")
READERS_OF_B1 = ("leader", "gleader", "trainer", "admin")  # may read B1, never write
STRANGERS_TO_B1 = ("b2", "x1", "xleader")


def by(default, **overrides):
    return {user: overrides.get(user, default) for user in USERS}


def own_object(own=200, readers=None, strangers=404, anon=302):
    """B1's self-check: its own branch, those who may read it, those who may not know it."""
    readers = own if readers is None else readers
    return {
        "anon": anon,
        "b1": own,
        **dict.fromkeys(READERS_OF_B1, readers),
        **dict.fromkeys(STRANGERS_TO_B1, strangers),
    }


def actions_of_b1(own=200, readers=None, trainer=403, anon=302):
    """B1's rectification list: like its self-check, but not for the trainer; readers never write."""
    return own_object(own, readers, anon=anon) | {"trainer": trainer}


def leaders(allowed, branch=403, anon=302):
    return {"anon": anon, **dict.fromkeys(BRANCHES, branch), **dict.fromkeys(USERS[4:], allowed)}


def managers(allowed):
    """B1's secretary's account: administrators and the leaders above B1 manage it; a leader of
    another tree may not know it; trainers and branches manage nobody."""
    return by(403, anon=302, xleader=404) | dict.fromkeys(("leader", "gleader", "admin"), allowed)


def admins(allowed):
    return by(403, anon=302, admin=allowed)


# (endpoint, method, path, body, expected status per user); {D}: B1's draft of this year,
# {S}: B1's submitted self-check of last year, {J}: a job of the leader, {T}: a token of b1,
# {B}: the organisation B1, {R}: a reminder to B1, {U}: the user b1.
# {A}: an action on B1's draft, {L}: an unfinished action of last year's list.
PAGES = [
    ("index", "GET", "/", None, by(302)),
    ("auth.login", "GET", "/login", None, by(302, anon=200)),
    ("auth.login", "POST", "/login", {"username": "b2", "password": "wrong"}, by(302, anon=200)),
    ("auth.logout", "POST", "/logout", None, by(302)),
    ("set_language", "POST", "/language/en", {"next": "/"}, by(302)),
    ("health", "GET", "/health", None, by(200)),
    ("static", "GET", "/static/app.js", None, by(200)),
    ("selfcheck.home", "GET", "/selfcheck/", None, by(302, b1=200, b2=200, x1=200)),
    ("selfcheck.start", "POST", "/selfcheck/start", None, leaders(403, branch=302)),
    ("selfcheck.pillar", "GET", "/selfcheck/{D}/leadership", None, own_object(readers=302)),  # to the result
    ("selfcheck.pillar", "POST", "/selfcheck/{D}/leadership", {"L01": "3", "go": "stay"}, own_object(302, 403)),
    (
        "selfcheck.autosave",
        "POST",
        "/selfcheck/{D}/autosave",
        {"json": {"answers": {"L01": "4"}}},
        own_object(200, 409, anon=401),
    ),
    ("selfcheck.prefill_pillar", "POST", "/selfcheck/{D}/leadership/prefill", None, own_object(302, 403)),
    ("selfcheck.review", "GET", "/selfcheck/{D}/review", None, own_object(readers=302)),
    ("selfcheck.submit", "POST", "/selfcheck/{D}/submit", None, own_object(302, 403)),  # b1: back to review
    ("results.result", "GET", "/results/{S}", None, own_object()),
    ("results.result", "GET", "/results/{D}", None, own_object()),
    (
        "results.review",
        "POST",
        "/results/{S}/review",
        {"decision": "approved"},
        own_object(403, 403) | {"leader": 302, "gleader": 302, "admin": 302},
    ),
    ("results.overview", "GET", "/overview", None, leaders(200)),
    ("evidence.evidence_list", "GET", "/selfcheck/{D}/evidence", None, own_object()),
    (
        "evidence.upload",
        "POST",
        "/selfcheck/{D}/evidence",
        lambda: {"target": "L01", "file": pdf_upload()},
        own_object(302, 403),
    ),  # fmt: skip
    ("evidence.download", "GET", "/evidence/{E}", None, own_object()),
    ("evidence.delete", "POST", "/evidence/{E}/delete", None, own_object(403) | {"b1": None}),  # b1: test_evidence
    ("reports.diagnostic_pdf", "GET", "/reports/{S}.pdf?lang=zh", None, own_object()),
    ("reports.blank_pdf", "GET", "/reports/blank.pdf?lang=zh", None, by(200, anon=302)),
    ("comparison.compare", "GET", "/compare", None, leaders(200)),
    ("rectification.actions", "GET", "/selfcheck/{D}/actions", None, actions_of_b1()),
    ("rectification.actions", "GET", "/selfcheck/{S}/actions", None, actions_of_b1()),
    ("rectification.new", "GET", "/selfcheck/{D}/actions/new", None, actions_of_b1(302, 403)),  # b1: answer first
    ("rectification.new", "POST", "/selfcheck/{D}/actions/new", {"problem": "x"}, actions_of_b1(302, 403)),
    ("rectification.action", "GET", "/selfcheck/{D}/actions/{A}", None, actions_of_b1()),
    ("rectification.action", "POST", "/selfcheck/{D}/actions/{A}", ACTION, actions_of_b1(302, 403)),
    (
        "rectification.add_note",
        "POST",
        "/selfcheck/{D}/actions/{A}/notes",
        {"noted_on": "2000-01-01", "text": "x"},
        actions_of_b1(302, 403),
    ),
    ("rectification.close", "POST", "/selfcheck/{D}/actions/{A}/close", {"account": "x"}, actions_of_b1(302, 403)),
    ("rectification.close", "POST", "/selfcheck/{S}/actions/{L}/close", {"account": "x"}, actions_of_b1(403, 403)),
    ("rectification.delete", "POST", "/selfcheck/{D}/actions/{A}/delete", {"confirm": "y"}, actions_of_b1(302, 403)),
    (
        "rectification.account",
        "POST",
        "/selfcheck/{D}/actions/last-year/{L}",
        {"a{L}-done": "yes", "a{L}-account": "x"},
        actions_of_b1(302, 403),
    ),
    ("rectification.export_xlsx", "GET", "/selfcheck/{D}/actions.xlsx", None, actions_of_b1()),
    ("rectification.export_pdf", "GET", "/selfcheck/{S}/actions.pdf?lang=zh", None, actions_of_b1()),
    ("jobs.start", "POST", "/jobs", {"kind": "reports_zip", "year": str(THIS_YEAR)}, leaders(302)),
    ("jobs.start", "POST", "/jobs", {"kind": "export_xlsx", "year": str(THIS_YEAR)}, leaders(302)),
    ("jobs.start", "POST", "/jobs", {"kind": "overview_csv", "year": str(THIS_YEAR)}, leaders(302)),
    ("jobs.start", "POST", "/jobs", {"kind": "overview_xlsx", "year": str(THIS_YEAR), "org": "G1"}, leaders(302)),
    ("jobs.start", "POST", "/jobs", {"kind": "report_pdf", "selfcheck_id": "1"}, leaders(403, branch=403)),
    ("jobs.show", "GET", "/jobs/{J}", None, by(404, anon=302, leader=200)),
    ("jobs.status", "GET", "/jobs/{J}.json", None, by(404, anon=302, leader=200)),
    ("jobs.download", "GET", "/jobs/{J}/download", None, by(404, anon=302, leader=200)),
    ("admin.audit_log", "GET", "/admin/audit", None, admins(200)),
    ("admin.organisations", "GET", "/admin/organisations", None, leaders(200) | {"trainer": 403}),
    ("admin.create_org", "POST", "/admin/organisations", {"code": ""}, leaders(422) | {"trainer": 403}),
    ("admin.organisation", "GET", "/admin/organisations/{B}", None, managers(200)),
    (
        "admin.rename_org",
        "POST",
        "/admin/organisations/{B}/rename",
        {"name": ""},
        managers(422),
    ),
    (
        "admin.move_org",
        "POST",
        "/admin/organisations/{B}/move",
        {"parent": "C1"},
        managers(200) | {"gleader": 422},  # C1 lies above the leader of G1
    ),
    ("admin.close_org", "POST", "/admin/organisations/{B}/close", None, managers(200)),  # the confirmation
    (
        "admin.reopen_org",
        "POST",
        "/admin/organisations/{B}/reopen",
        None,
        managers(403) | {"admin": 302},
    ),
    ("admin.cycles_list", "GET", "/admin/cycles", None, admins(200)),
    ("admin.open_cycle", "POST", "/admin/cycles", {}, admins(422)),
    ("admin.cycle", "GET", f"/admin/cycles/{THIS_YEAR}", None, admins(200)),
    ("admin.change_cycle", "POST", f"/admin/cycles/{THIS_YEAR}", {}, admins(422)),
    ("admin.close_cycle", "POST", f"/admin/cycles/{THIS_YEAR}/close", None, admins(200)),
    ("admin.questionnaire_versions", "GET", "/admin/questionnaires", None, admins(200)),
    ("admin.questionnaire_version", "GET", f"/admin/questionnaires/{VERSION}", None, admins(200)),
    ("admin.upload_questionnaire", "POST", "/admin/questionnaires", {}, admins(422)),
    ("reminders.remind", "GET", "/reminders", None, leaders(200) | {"trainer": 403}),
    ("reminders.remind", "POST", "/reminders", {}, leaders(302) | {"trainer": 403}),
    ("reminders.dismiss", "POST", "/reminders/{R}/dismiss", None, by(404, anon=302, b1=302)),
    ("admin.export_audit_log", "GET", "/admin/audit.csv", None, admins(200)),
    ("admin.export_audit_log", "GET", "/admin/audit.xlsx?action=login", None, admins(200)),
    ("accounts.password", "GET", "/accounts/password", None, by(200, anon=302)),
    ("accounts.change_password", "POST", "/accounts/password", {"current": "x"}, by(422, anon=302)),
    ("accounts.users", "GET", "/accounts/users", None, managers(200) | {"xleader": 200}),  # their own tree
    ("accounts.user", "GET", "/accounts/users/{U}", None, managers(200)),
    ("accounts.reset", "POST", "/accounts/users/{U}/reset", None, managers(200)),  # the confirmation page
    ("accounts.disable", "POST", "/accounts/users/{U}/disable", None, managers(200)),  # the confirmation page
    ("accounts.enable", "POST", "/accounts/users/{U}/enable", None, managers(302)),
    ("accounts.unlock", "POST", "/accounts/users/{U}/unlock", None, managers(302)),
    ("accounts.update_user", "POST", "/accounts/users/{U}", {"role": "branch", "organisation": "B1"}, admins(302)),
    ("accounts.new_user", "GET", "/accounts/users/new", None, admins(200)),
    ("accounts.create_user", "POST", "/accounts/users/new", {"username": "x"}, admins(422)),
    ("accounts.handout", "GET", "/accounts/handouts/unknown.csv", None, by(404, anon=302)),
    ("accounts.import_tree", "GET", "/accounts/import", None, admins(200)),
    ("accounts.import_template", "GET", "/accounts/import/template.csv", None, admins(200)),
    ("accounts.import_template", "GET", "/accounts/import/template.xlsx", None, admins(200)),
    ("accounts.check_import", "POST", "/accounts/import", None, admins(422)),  # no file
    ("accounts.run_import", "POST", "/accounts/import/{U}", None, admins(404)),  # no such upload
    ("account.tokens", "GET", "/account/tokens", None, by(200, anon=302)),
    ("account.create_token", "POST", "/account/tokens", {"name": "x"}, by(200, anon=302)),
    ("account.revoke", "POST", "/account/tokens/{T}/revoke", None, by(404, anon=302, b1=302)),
]

API = [
    ("api.openapi", "GET", "/api/v1/openapi.json", None, by(200)),
    ("api.me", "GET", "/api/v1/me", None, by(200, anon=401)),
    ("api.cycles", "GET", "/api/v1/cycles", None, by(200, anon=401)),
    ("api.questionnaire", "GET", f"/api/v1/cycles/{THIS_YEAR}/questionnaire", None, by(200, anon=401)),
    ("api.organisations", "GET", "/api/v1/organisations", None, by(200, anon=401)),
    ("api.selfchecks", "GET", "/api/v1/selfchecks", None, by(200, anon=401)),
    (
        "api.start_selfcheck",
        "POST",
        "/api/v1/selfchecks",
        {"json": {"year": THIS_YEAR}},
        leaders(403, branch=200, anon=401) | {"b2": 201, "x1": 201},
    ),
    ("api.selfcheck", "GET", "/api/v1/selfchecks/{D}", None, own_object(anon=401)),
    (
        "api.save_answers",
        "PATCH",
        "/api/v1/selfchecks/{D}/answers",
        {"json": {"answers": {"L01": 2}}},
        own_object(200, 403, anon=401),
    ),
    (
        "api.save_answers",
        "POST",
        "/api/v1/selfchecks/{D}/answers",
        {"json": {"answers": {"L03": 2}}},
        own_object(200, 403, anon=401),
    ),
    ("api.submit", "POST", "/api/v1/selfchecks/{D}/submit", None, own_object(422, 403, anon=401)),
    ("api.result", "GET", "/api/v1/selfchecks/{S}/result", None, own_object(anon=401)),
    ("api.report", "GET", "/api/v1/selfchecks/{S}/report.pdf?lang=en", None, own_object(anon=401)),
    ("api.actions", "GET", "/api/v1/selfchecks/{D}/actions", None, actions_of_b1(anon=401)),
    (
        "api.create_action",
        "POST",
        "/api/v1/selfchecks/{D}/actions",
        {"json": ACTION},
        actions_of_b1(409, 403, anon=401),  # b1: no result to plan from yet
    ),
    (
        "api.update_action",
        "PATCH",
        "/api/v1/selfchecks/{D}/actions/{A}",
        {"json": {"measure": "m2"}},
        actions_of_b1(200, 403, anon=401),
    ),
    (
        "api.add_action_note",
        "POST",
        "/api/v1/selfchecks/{D}/actions/{A}/notes",
        {"json": {"date": "2000-01-01", "text": "x"}},
        actions_of_b1(201, 403, anon=401),
    ),
    (
        "api.close_action",
        "POST",
        "/api/v1/selfchecks/{D}/actions/{A}/close",
        {"json": {"account": "x"}},
        actions_of_b1(200, 403, anon=401),
    ),
    (
        "api.close_action",
        "POST",
        "/api/v1/selfchecks/{S}/actions/{L}/close",
        {"json": {"account": "x"}},
        actions_of_b1(409, 403, anon=401),
    ),
    ("api.evidence_list", "GET", "/api/v1/selfchecks/{D}/evidence", None, own_object(anon=401)),
    (
        "api.upload_evidence",
        "POST",
        "/api/v1/selfchecks/{D}/evidence?item=L01&name=a.pdf",
        b"%PDF-1.4\n%%EOF\n",
        own_object(201, 403, anon=401),
    ),
    ("api.evidence_content", "GET", "/api/v1/evidence/{E}", None, own_object(anon=401)),
    ("api.delete_evidence", "DELETE", "/api/v1/evidence/{E}", None, own_object(403, anon=401) | {"b1": None}),
    ("api.review", "GET", "/api/v1/selfchecks/{S}/review", None, own_object(anon=401)),
    (
        "api.review_selfcheck",
        "POST",
        "/api/v1/selfchecks/{S}/review",
        {"json": {"decision": "approved"}},
        own_object(403, 403, anon=401) | {"leader": 200, "gleader": 200, "admin": 200},
    ),
]


@pytest.fixture
def objects(app, world):
    last_year = submitted_selfcheck(app, "B1", THIS_YEAR - 1)
    client = app.test_client()
    login(client, "b1")
    draft = int(client.post("/selfcheck/start").location.split("/")[2])
    client = app.test_client()
    login(client, "leader")
    job = client.post("/jobs", data={"kind": "reports_zip", "year": str(THIS_YEAR - 1)}).location.rsplit("/", 1)[1]
    while client.get(f"/jobs/{job}.json").json["status"] not in ("done", "failed"):
        pass
    with app.app_context(), write_transaction():
        tokens = {}
        for username in USERS[1:]:
            user = db.session.scalar(db.select(User).where(User.username == username))
            record, tokens[username] = issue_token(user, "test")
            if username == "b1":
                token_id, b1_id = record.id, user.id
        db.session.commit()
        reminder = Reminder(organisation_id=world.orgs["B1"], cycle_id=world.cycles[THIS_YEAR])
        action = RectificationAction(
            selfcheck_id=draft, problem="p", measure="m", owner_name="n", deadline=date.today()
        )
        earlier = RectificationAction(
            selfcheck_id=last_year, problem="p", measure="m", owner_name="n", deadline=date.today()
        )
        db.session.add_all([reminder, action, earlier])
        db.session.commit()
        ids = {"D": draft, "S": last_year, "J": job, "T": token_id, "B": world.orgs["B1"], "R": reminder.id, "U": b1_id}
        ids.update(A=action.id, L=earlier.id)
    client = app.test_client()
    login(client, "b1")
    client.post(f"/selfcheck/{draft}/evidence", data={"target": "L01", "file": pdf_upload()})
    with app.app_context():
        ids["E"] = db.session.scalar(db.select(Evidence.id))
    return ids, tokens


def pdf_upload():
    return (io.BytesIO(b"%PDF-1.4\n%%EOF\n"), "会议记录.pdf")


def call(app, user, method, path, body, tokens, api):
    client = app.test_client()
    headers = {}
    if api and user != "anon":
        headers["Authorization"] = f"Bearer {tokens[user]}"
    elif user != "anon":
        login(client, user)
    kwargs = {"headers": headers}
    if callable(body):  # a body with a file, made afresh for each request
        body = body()
    if isinstance(body, dict) and "json" in body:
        kwargs["json"] = body["json"]
    elif body:
        kwargs["data"] = body
    response = client.open(path, method=method, **kwargs)
    response.close()
    return response.status_code


@pytest.mark.parametrize(
    ("endpoint", "method", "path", "body", "expected"),
    PAGES + API,
    ids=lambda v: v if isinstance(v, str) and v.startswith("/") else None,
)
def test_every_route_for_every_user(app, objects, endpoint, method, path, body, expected):
    ids, tokens = objects
    url = path.format(**ids)
    if isinstance(body, dict) and "json" not in body:
        body = {key.format(**ids): value for key, value in body.items()}  # a form's field names may hold ids
    got = {}
    for user in USERS:
        if expected[user] is None:
            continue
        got[user] = call(app, user, method, url, body, tokens, api=path.startswith("/api/"))
    assert got == {u: s for u, s in expected.items() if s is not None}


def test_the_table_covers_every_route(app):
    covered = {(endpoint, method) for endpoint, method, *_ in PAGES + API}
    missing = [
        (rule.endpoint, method)
        for rule in app.url_map.iter_rules()
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"})
        if (rule.endpoint, method) not in covered
    ]
    assert missing == []
