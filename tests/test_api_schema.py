"""The OpenAPI document tells the truth: schemathesis fuzzes every operation, authenticated as a
branch user and as a leader, against the real database, and no answer is a server error or
breaks the document (status code, content type, body)."""

import pytest
import schemathesis
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from tests.conftest import THIS_YEAR, submitted_selfcheck
from tests.test_api import make_token

CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance, response_schema_conformance]
EXAMPLES = {GenerationMode.POSITIVE: 20, GenerationMode.NEGATIVE: 10}
PDF_EXAMPLES = 5  # each renders a whole report


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
    return ids


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
    assert len(operations) == 12
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
