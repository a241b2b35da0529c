"""A second floor for `bench.web`: the least any logged-in page of this application costs.

The application itself (same factory, database, secret and settings) with one extra page.
That page does only what this stack makes every logged-in page do before its own work:
- verify the signed session cookie;
- load the user through their live server-side session (Flask-Login);
- choose the language (Flask-Babel);
- issue the CSRF token that every form needs.

Then it does the bare page's work: read 40 rows and render the same small template. Its rate
is the ceiling for any page of this application on this machine. The benchmark prints it
beside the bare page and the questionnaire page. Served by gunicorn as `bench.stack_floor:app`.
"""

from __future__ import annotations

from flask import render_template
from flask_login import login_required
from sqlalchemy import select

from app import create_app
from app.extensions import db
from app.models import Answer
from bench.bare_app import ROWS, TEMPLATE
from bench.web import STACK_FLOOR_PATH

app = create_app()
# The bare page's template, with the language and the CSRF token every page of the app carries.
_template = app.jinja_env.from_string(
    TEMPLATE.replace('lang="en"', 'lang="{{ lang }}"').replace(
        "<title>", '<meta name="csrf-token" content="{{ csrf_token() }}"><title>'
    )
)
_rows = select(Answer.id, Answer.item_id, Answer.selfcheck_id).order_by(Answer.id).limit(ROWS)


@app.route(STACK_FLOOR_PATH)
@login_required
def stack_floor():
    return render_template(_template, title="Rows", rows=db.session.execute(_rows).all())
