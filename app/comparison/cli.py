"""`flask --app wsgi export-results`: the comparison export of a year from the command line."""

from __future__ import annotations

from pathlib import Path

import click
from flask.cli import with_appcontext
from sqlalchemy import select

from ..extensions import db
from ..models import Cycle, Organisation
from . import exports, queries


@click.command("export-results")
@with_appcontext
@click.option(
    "--year", "years", type=click.IntRange(1, 9999), multiple=True, required=True, help="Year of a cycle (repeatable)."
)
@click.option("--org", "org_code", help="Code of the organisation whose subtree to export (default: all).")
@click.option("--format", "fmt", type=click.Choice(["csv", "xlsx"]), required=True)
@click.option("--output", type=click.Path(dir_okay=False, writable=True, path_type=Path), required=True)
@click.option(
    "--lang", type=click.Choice(["zh", "en"]), default="zh", show_default=True, help="Language of the CSV header."
)
def export_results(years, org_code, fmt, output, lang):
    """Write the results of the branches (one row per branch and cycle) to a CSV or XLSX file."""
    known = set(db.session.scalars(select(Cycle.year).where(Cycle.year.in_(years))))
    missing = sorted(set(years) - known)
    if missing:
        raise click.ClickException(f"No cycle for {', '.join(map(str, missing))}.")
    org = None
    if org_code:
        org = db.session.scalar(select(Organisation).where(Organisation.code == org_code))
        if org is None:
            raise click.ClickException(f"No organisation with code {org_code}.")
    selection = queries.make_selection(None, org, years)
    data = exports.csv_bytes(selection, lang) if fmt == "csv" else exports.xlsx_bytes(selection)
    output.write_bytes(data)
    click.echo(f"Wrote {output} ({len(data):,} bytes).")
