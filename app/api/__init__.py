"""The JSON API at /api/v1: questionnaires, self-checks, results and reports, for other systems.

Clients authenticate with personal API tokens (`auth.py`), never with the session cookie, and
are held to exactly the access rules of the pages (`app.access`). Every error is JSON of one
shape (`errors.py`).

The API is described once. Requests and responses are pydantic models (`schemas.py`; a save of
answers is `app.selfcheck.schemas.SaveAnswers`, which the pages' autosave validates with too);
each view declares its operation with them (`routes.operation`), which validates the request;
`present.py` builds the responses as those models; `openapi.py` makes the OpenAPI 3.1 document
from the same declarations.

Why pydantic v2 alone, with the document generated from the models, and not a framework:

- apiflask 3.1.2 wants its own `APIFlask` application class, adds `/docs` (Swagger UI) and
  answers a schema failure with 422 `{"detail": …, "message": "Validation error"}`; it brings
  flask-marshmallow, marshmallow, webargs, apispec and flask-httpauth.
- flask-smorest 0.47.0 wants its own `Api` and `Blueprint` classes and answers 422
  `{"code", "status", "errors"}`; marshmallow, webargs and apispec, with our answer value (a
  number, a string, true/false or a pair of counts) as a custom field.
- spectree 3.0.0 (pydantic) decorates plain Flask views, but answers 422 with pydantic's error
  list, adds `/apidoc/` pages (Redoc, Swagger, Scalar), and describes path parameters from the
  URL converters only (no bounds).

Here a malformed request is 400 and 422 means answers that were refused while the others were
saved, so each would need its error handling replaced; the token check stays a `before_request`
in every case. All four write OpenAPI 3.1.0; pydantic's JSON Schema 2020-12 is 3.1's own
dialect. Cost per request (a PATCH body like the autosave's, Flask's test client, CPU time,
the least of seven interleaved rounds of 1,500): hand-written checks 124 µs, pydantic 120 µs,
apiflask 150 µs, spectree 159 µs, flask-smorest 191 µs; validating the body alone takes pydantic
1.1 µs and marshmallow 13 µs. Pydantic is among the twenty most downloaded packages on PyPI; the
glue it leaves to us is `routes.operation` and `openapi.py`, about 180 lines.
"""
