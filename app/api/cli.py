"""`flask --app wsgi create-token --user USERNAME [--days N] [--name LABEL]`."""

from __future__ import annotations

import click
from flask.cli import with_appcontext
from sqlalchemy import select

from ..extensions import db
from ..models import User
from .auth import issue_token


@click.command("create-token")
@with_appcontext
@click.option("--user", "username", required=True, help="The user the token acts as.")
@click.option("--days", type=click.IntRange(1, 3650), help="Valid for this many days (default: until revoked).")
@click.option("--name", default="command line", show_default=True, help="A label shown on the token page.")
def create_token(username, days, name):
    """Create a personal API token and print it, once: only its hash is stored."""
    user = db.session.scalar(select(User).where(User.username == username))
    if user is None:
        raise click.ClickException(f"No user {username}.")
    record, token = issue_token(user, name[:100], days)
    expiry = f"expires {record.expires_at:%Y-%m-%d %H:%M} UTC" if record.expires_at else "valid until revoked"
    click.echo(f"Token for {username} ({expiry}); it is shown only this once:", err=True)
    click.echo(token)
