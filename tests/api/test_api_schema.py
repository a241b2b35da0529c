"""The OpenAPI document tells the truth: schemathesis fuzzes every operation, authenticated as a
branch user and as a leader, against the real database, and no answer is a server error or
breaks the document (status code, content type, body)."""

from datetime import date

import pytest
import schemathesis
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    negative_data_rejection,
    response_schema_conformance,
    status_code_conformance,
)

from app.database import write_transaction
from app.extensions import db
from app.models import RectificationAction
from tests.conftest import THIS_YEAR, submitted_selfcheck
from tests.helpers import make_token

CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
    negative_data_rejection,  # what the document forbids, the server refuses
]
EXAMPLES = {GenerationMode.POSITIVE: 20, GenerationMode.NEGATIVE: 10}
PDF_EXAMPLES = 5  # each renders a whole report
ACTIONS: list[tuple[int, int]] = []  # (self-check id, action id) of the seeded actions


@pytest.fixture
def seeded(app, world):
    """Last year's results of every branch, this year's result of B2 and a draft of B1: real ids to aim at."""
    ids = [submitted_selfcheck(app, code, THIS_YEAR - 1) for code in ("B1", "B2", "B3", "X1")]
    ids.append(submitted_selfcheck(app, "B2", THIS_YEAR))
    token = make_token(app, "b1")
    draft = app.test_client().post(
        "/api/v1/selfchecks", json={"year": THIS_YEAR}, headers={"Authorization": f"Bearer {token}"}
    )
    ids.append(draft.json["id"])
    attached = app.test_client().post(
        f"/api/v1/selfchecks/{draft.json['id']}/evidence?item=L01&name=a.pdf",
        data=b"%PDF-1.4\n%%EOF\n",
        headers={"Authorization": f"Bearer {token}"},
    )
    EVIDENCE_IDS[:] = [f["id"] for f in attached.json["files"]]
    with app.app_context(), write_transaction():  # an action on B2's list of this year and on B1's of last year
        actions = [
            RectificationAction(selfcheck_id=i, problem="p", measure="m", owner_name="n", deadline=date.today())
            for i in (ids[4], ids[0])
        ]
        db.session.add_all(actions)
        db.session.commit()
        ACTIONS[:] = [(a.selfcheck_id, a.id) for a in actions]
    return ids


EVIDENCE_IDS: list[int] = []  # the seeded evidence files


def case_strategy(operation, mode, selfcheck_ids):
    """Generated cases, half of them aimed at the seeded self-checks and the existing cycles."""
    generated = operation.as_strategy(generation_mode=mode)
    names = {p.name for p in operation.path_parameters}
    if mode is GenerationMode.NEGATIVE:
        return generated
    if operation.label == "POST /selfchecks":
        aimed = st.sampled_from([THIS_YEAR, THIS_YEAR - 1]).flatmap(
            lambda y: operation.as_strategy(generation_mode=mode, body={"year": y})
        )
    elif not names:
        return generated
    elif "action_id" in names:
        aimed = st.sampled_from(ACTIONS).flatmap(
            lambda ids: operation.as_strategy(
                generation_mode=mode, path_parameters={"selfcheck_id": ids[0], "action_id": ids[1]}
            )
        )
    elif "evidence_id" in names:
        aimed = st.sampled_from(EVIDENCE_IDS).flatmap(
            lambda i: operation.as_strategy(generation_mode=mode, path_parameters={"evidence_id": i})
        )
    elif "selfcheck_id" in names:
        aimed = st.sampled_from(selfcheck_ids).flatmap(
            lambda i: operation.as_strategy(generation_mode=mode, path_parameters={"selfcheck_id": i})
        )
    else:
        aimed = st.sampled_from([THIS_YEAR, THIS_YEAR - 1]).flatmap(
            lambda y: operation.as_strategy(generation_mode=mode, path_parameters={"year": y})
        )
    return st.one_of(generated, aimed)


@pytest.mark.parametrize("username", ["b1", "leader"])
def test_the_api_conforms_to_its_openapi_document(app, seeded, username):
    headers = {"Authorization": f"Bearer {make_token(app, username)}"}
    schema = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", app)
    operations = [result.ok() for result in schema.get_all_operations()]
    assert len(operations) == 23
    for operation in operations:
        for mode, examples in EXAMPLES.items():
            if operation.path.endswith("report.pdf"):
                examples = min(examples, PDF_EXAMPLES)

            @settings(
                max_examples=examples,
                deadline=None,
                database=None,
                derandomize=True,
                phases=[Phase.generate],
                suppress_health_check=list(HealthCheck),
            )
            @given(case=case_strategy(operation, mode, seeded))
            def conforms(case):
                case.call_and_validate(headers=headers, checks=CHECKS)

            conforms()


def test_every_path_allows_what_the_document_says_and_nothing_more(app, world):
    """OPTIONS names the documented methods (with HEAD and OPTIONS); any other method is 405 with
    the same Allow, as JSON."""
    headers = {"Authorization": f"Bearer {make_token(app, 'b1')}"}
    client = app.test_client()
    document = client.get("/api/v1/openapi.json").json
    for template, operations in document["paths"].items():
        path = "/api/v1" + template.replace("{selfcheck_id}", "1").replace("{year}", str(THIS_YEAR)).replace(
            "{evidence_id}", "1"
        )
        path = path.replace("{action_id}", "1")
        documented = {method.upper() for method in operations}
        allowed = documented | {"OPTIONS"} | ({"HEAD"} if "GET" in documented else set())
        options = client.options(path, headers=headers)
        assert set(options.headers["Allow"].split(", ")) == allowed, path
        for method in {"GET", "POST", "PUT", "PATCH", "DELETE"} - documented:
            refused = client.open(path, method=method, headers=headers)
            assert refused.status_code == 405, (method, path)
            assert refused.json["error"]["code"] == "method_not_allowed"
            assert set(refused.headers["Allow"].split(", ")) == allowed


@pytest.mark.parametrize(
    ("path", "body", "field"),
    [
        ("/selfchecks/{id}/answers", {"answers": {"L01": 3}, "seq": None}, "seq"),
        ("/selfchecks/{id}/answers", {"answers": {"L01": 3}, "base": None}, "base"),
        ("/organisations?kind=", None, "kind"),
        ("/selfchecks?year=", None, "year"),
    ],
)
def test_what_the_document_forbids_is_refused(app, seeded, path, body, field):
    """The probe's cases: `seq: null` and an empty `?kind=` were accepted though the schema forbids them."""
    headers = {"Authorization": f"Bearer {make_token(app, 'b1')}"}
    url = "/api/v1" + path.format(id=seeded[-1])
    response = app.test_client().open(url, method="PATCH" if body else "GET", json=body, headers=headers)
    assert response.status_code == 400
    assert set(response.json["error"]["fields"]) == {field}
