"""The JSON API at /api/v1: questionnaires, self-checks, results and reports, for other systems.

Clients authenticate with personal API tokens (`auth.py`), never with the session cookie, and
are held to exactly the access rules of the pages (`app.access`). Every error is JSON of one
shape (`errors.py`); the OpenAPI 3.1 document (`openapi.py`) describes every response.
"""
