"""Command line: `flask --app wsgi <command>`."""

from __future__ import annotations

import subprocess
import sys
from datetime import date
from pathlib import Path

import click
from flask import Flask
from flask.cli import with_appcontext
from flask_migrate import upgrade
from sqlalchemy import select

from .accounts import service as accounts
from .accounts.cli import COMMANDS as ACCOUNT_COMMANDS
from .accounts.cli import check_password
from .api.cli import create_token
from .comparison.cli import export_results
from .database import write_transaction
from .extensions import db
from .jobs.cli import worker
from .models import ORG_KINDS, ROLES, Cycle, Organisation, SelfCheck, User
from .organisations import KIND_LABELS, expected_path, organisation_problems, user_problems
from .selfcheck import importer, service

ROOT = Path(__file__).resolve().parent.parent


def init_app(app: Flask) -> None:
    for command in (
        init_db,
        seed_demo,
        create_org,
        rename_org,
        move_org,
        close_org,
        create_user,
        unlock_user,
        open_cycle,
        orgs,
        import_answers,
        translate,
        render_report,
        render_blank,
        export_all,
        import_all,
        create_token,
        export_results,
        worker,
        prune,
        *ACCOUNT_COMMANDS,
    ):
        app.cli.add_command(command)


@click.command("init-db")
@with_appcontext
def init_db():
    """Create or upgrade the database schema (runs the migrations)."""
    upgrade()
    click.echo("Database is up to date.")


@click.command("seed-demo")
@with_appcontext
@click.option("--if-empty", is_flag=True, help="Do nothing when the database already has organisations.")
def seed_demo(if_empty):
    """Create the demo committee, branches, users and two years of answers."""
    from .demo import seed

    if db.session.scalar(select(Organisation).limit(1)) is not None:
        if if_empty:
            click.echo("The database has data already; demo not seeded.")
            return
        raise click.ClickException("The database is not empty; seed the demo into an empty database.")
    summary = seed()
    click.echo(summary)


@click.command("create-org")
@with_appcontext
@click.argument("code")
@click.argument("kind", type=click.Choice(ORG_KINDS))
@click.argument("name")
@click.option("--parent", "parent_code", help="Code of the parent organisation.")
def create_org(code, kind, name, parent_code):
    """Create an organisation: CODE KIND NAME [--parent CODE]."""
    parent = None
    if parent_code:
        parent = db.session.scalar(select(Organisation).where(Organisation.code == parent_code))
        if parent is None:
            raise click.ClickException(f"No organisation with code {parent_code!r}.")
    where = (parent.kind, parent.path) if parent else None
    refuse(organisation_problems(code, kind, name, where))
    if db.session.scalar(select(Organisation).where(Organisation.code == code)):
        raise click.ClickException(f"An organisation with code {code} exists already.")
    with write_transaction():
        org = Organisation(code=code, kind=kind, name=name, parent=parent, path=expected_path(code, where))
        db.session.add(org)
        db.session.commit()
    click.echo(f"Created {org.code} ({KIND_LABELS[kind]}) {org.name}")


def org_by_code(code: str) -> Organisation:
    org = db.session.scalar(select(Organisation).where(Organisation.code == code))
    if org is None:
        raise click.ClickException(f"No organisation with code {code!r}.")
    return org


def tree_change(change, *args):
    """Run a change of `admin.tree` as the operator; its refusal in English."""
    from flask_babel import force_locale

    from .admin import tree

    try:
        return change(None, *args)
    except tree.TreeError as exc:
        with force_locale("en"):
            raise click.ClickException(str(exc)) from None


@click.command("rename-org")
@with_appcontext
@click.argument("code")
@click.argument("name")
def rename_org(code, name):
    """Rename the organisation CODE to NAME."""
    from .admin import tree

    tree_change(tree.rename, org_by_code(code), name)
    click.echo(f"Renamed {code} to {name}")


@click.command("move-org")
@with_appcontext
@click.argument("code")
@click.argument("parent_code")
def move_org(code, parent_code):
    """Move the organisation CODE and its subtree under PARENT_CODE; print whose access changes."""
    from .admin import tree

    plan = tree_change(tree.move, org_by_code(code), org_by_code(parent_code))
    for change in plan.changes:
        click.echo(f"{change.user.username} {'gains' if change.gains else 'loses'} {code}")
    click.echo(f"Moved {code} ({len(plan.branches)} branches) under {parent_code}")


@click.command("close-org")
@with_appcontext
@click.argument("code")
@click.option("--undo", is_flag=True, help="Reopen it, and what was closed with it.")
def close_org(code, undo):
    """Close the organisation CODE and its subtree (history kept; its users cannot log in)."""
    from .admin import tree

    count = tree_change(tree.reopen if undo else tree.close, org_by_code(code))
    click.echo(f"{'Reopened' if undo else 'Closed'} {count} organisation(s) from {code}")


def refuse(problems: list[str]) -> None:
    if problems:
        text = "; ".join(problems)
        raise click.ClickException(text[0].upper() + text[1:] + ".")


@click.command("create-user")
@with_appcontext
@click.argument("username")
@click.option("--org", "org_code", required=True, help="Code of the user's organisation.")
@click.option("--role", type=click.Choice(ROLES), required=True)
@click.option("--name", help="Display name (defaults to the username).")
@click.option("--password", help="Their password; without it, a temporary one is printed once, to change at log-in.")
@click.option("--assign", multiple=True, help="For trainers: an organisation code they may read (repeatable).")
def create_user(username, org_code, role, name, password, assign):
    """Create a user of one organisation with one role."""
    org = db.session.scalar(select(Organisation).where(Organisation.code == org_code))
    if org is None:
        raise click.ClickException(f"No organisation with code {org_code!r}.")
    refuse(user_problems(username, name or username, role, org.kind))
    if db.session.scalar(select(User).where(User.username == username)):
        raise click.ClickException(f"User {username} exists already.")
    if password is not None:
        check_password(password, username)
    assigned = []
    for code in assign:
        target = db.session.scalar(select(Organisation).where(Organisation.code == code))
        if target is None:
            raise click.ClickException(f"No organisation with code {code}.")
        assigned.append(target)
    _user, given = accounts.create_user(None, username, name or username, role, org, assigned, password)
    click.echo(f"Created {role} {username} in {org.code}")
    if password is None:
        click.echo(f"Temporary password (shown only now; to change at the first log-in): {given}")


@click.command("unlock-user")
@with_appcontext
@click.argument("username")
def unlock_user(username):
    """Let USERNAME log in again at once: forget their failed log-ins, from every address."""
    user = db.session.scalar(select(User).where(User.username == username))
    if user is None:
        raise click.ClickException(f"No user {username}.")
    click.echo(f"Forgot {accounts.unlock(user, None)} failed log-ins of {username}.")


@click.command("open-cycle")
@with_appcontext
@click.argument("year", type=click.IntRange(1, 9999))
@click.option("--version", "version", help="Questionnaire version (default: the newest; a cycle keeps its own).")
@click.option("--opens", type=click.DateTime(["%Y-%m-%d"]), help="First day (default: 1 January).")
@click.option("--closes", type=click.DateTime(["%Y-%m-%d"]), help="Last day (default: 31 December).")
def open_cycle(year, version, opens, closes):
    """Open the self-check cycle of YEAR (or change the window of an existing one).

    A cycle with self-checks keeps its questionnaire version: their answers are typed for it.
    """
    from flask_babel import force_locale

    from .admin import cycles, questionnaires

    versions = questionnaires.usable_versions()
    cycle = db.session.scalar(select(Cycle).where(Cycle.year == year))
    version = version or (cycle.questionnaire_version if cycle else versions[-1])
    if version not in versions:
        raise click.ClickException(f"No questionnaire version {version}; there are: {', '.join(versions)}.")
    opens_on = opens.date() if opens else date(year, 1, 1)
    closes_on = closes.date() if closes else date(year, 12, 31)
    try:
        if cycle is None:
            cycles.open_cycle(None, year, version, opens_on, closes_on)
        else:
            cycles.change_cycle(None, cycle, version, opens_on, closes_on)
    except cycles.CycleError as exc:
        with force_locale("en"):
            raise click.ClickException(str(exc)) from None
    click.echo(f"Cycle {year}: questionnaire {version}, open {opens_on} to {closes_on}")


@click.command("orgs")
@with_appcontext
def orgs():
    """List organisations, one per line: code, kind, name."""
    for org in db.session.scalars(select(Organisation).order_by(Organisation.path)):
        click.echo(f"{org.code}\t{KIND_LABELS[org.kind]}\t{org.name}")


@click.command("import-answers")
@with_appcontext
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--submit", is_flag=True, help="Submit the self-check when the file completes it.")
def import_answers(file, submit):
    """Import one branch's answers for one cycle from a JSON or CSV file."""
    batch = importer.read_file(file)
    selfcheck, org, cycle, answers = importer.validate(batch)
    if batch.errors:
        for line, message in batch.errors:
            click.echo(f"{file}:{line}: {message}", err=True)
        raise click.ClickException(f"{len(batch.errors)} bad row(s); nothing was imported.")
    selfcheck = selfcheck or service.start_selfcheck(org, cycle)
    service.save_answers(selfcheck, answers, None, enforce_window=False)
    click.echo(f"Imported {len(answers)} answers for {org.code} {cycle.year}.")
    if submit:
        try:
            service.submit(selfcheck, None, enforce_window=False)
        except service.Incomplete as exc:
            raise click.ClickException(
                f"Saved as a draft; not submitted: {len(exc.missing)} answers missing."
            ) from None
        click.echo("Submitted.")


@click.command("render-report")
@with_appcontext
@click.option("--branch", "branch_code", required=True, help="Code of the branch.")
@click.option("--year", type=click.IntRange(1, 9999), required=True, help="Year of the self-check cycle.")
@click.option("--lang", type=click.Choice(["zh", "en", "bilingual"]), default="bilingual", show_default=True)
@click.option("--output", type=click.Path(dir_okay=False, writable=True, path_type=Path), required=True)
@click.option("--template", default="default", show_default=True, help="A layout of report_templates/.")
def render_report(branch_code, year, lang, output, template):
    """Write the diagnostic report of one branch's self-check to a PDF file."""
    from .reports.service import report_for
    from .reports.template import available_templates

    if template not in available_templates():
        raise click.ClickException(f"No report template {template}; there are: {', '.join(available_templates())}.")
    selfcheck = db.session.scalar(
        select(SelfCheck).join(Organisation).join(Cycle).where(Organisation.code == branch_code, Cycle.year == year)
    )
    if selfcheck is None:
        raise click.ClickException(f"No self-check of {branch_code} for {year}.")
    pdf = report_for(selfcheck, lang, template)
    output.write_bytes(pdf)
    draft = "" if selfcheck.submitted else " (draft: provisional scores)"
    click.echo(f"Wrote {output} ({len(pdf):,} bytes){draft}.")


@click.command("render-blank")
@with_appcontext
@click.option("--year", type=click.IntRange(1, 9999), required=True, help="Year of the self-check cycle.")
@click.option("--lang", type=click.Choice(["zh", "en", "bilingual"]), default="bilingual", show_default=True)
@click.option(
    "--branch", "branch_code", help="Code of a branch, whose name goes on every page (else a line to fill in)."
)
@click.option("--output", type=click.Path(dir_okay=False, writable=True, path_type=Path), required=True)
def render_blank(year, lang, branch_code, output):
    """Write the blank questionnaire of a cycle to a PDF file, for a paper round or a 支委会 discussion."""
    from .reports.blank import blank_questionnaire

    cycle = db.session.scalar(select(Cycle).where(Cycle.year == year))
    if cycle is None:
        raise click.ClickException(f"No cycle {year}.")
    unit = ""
    if branch_code:
        org = db.session.scalar(select(Organisation).where(Organisation.code == branch_code))
        if org is None:
            raise click.ClickException(f"No organisation {branch_code}.")
        unit = org.name
    pdf = blank_questionnaire(cycle, lang, unit)
    output.write_bytes(pdf)
    click.echo(f"Wrote {output} ({len(pdf):,} bytes).")


@click.command("export-all")
@with_appcontext
@click.argument("file", type=click.Path(dir_okay=False, writable=True, path_type=Path))
def export_all(file):
    """Write every table of the database to one JSON FILE (see `import-all`)."""
    from . import backup

    counts = backup.export_to_file(file)
    click.echo(f"Exported {sum(counts.values())} rows of {len(counts)} tables to {file}.")


@click.command("import-all")
@with_appcontext
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
def import_all(file):
    """Load a FILE written by `export-all` into an empty database (run `init-db` first); all or nothing."""
    from . import backup

    try:
        summary = backup.import_file(file)
    except backup.BackupError as exc:
        for message in exc.errors:
            click.echo(f"{file}: {message}", err=True)
        raise click.ClickException("Nothing was imported.") from None
    for name in summary.missing_tables:
        click.echo(f"Note: the file has no table {name}; it stays empty.", err=True)
    click.echo(f"Imported {summary.total} rows into {len(summary.rows)} tables from {file}.")


@click.command("prune")
@with_appcontext
def prune():
    """Delete finished jobs and their files after JOB_KEEP_DAYS, ended sessions and old failed log-ins."""
    from .prune import prune as delete_old

    counts = delete_old()
    click.echo("Deleted " + ", ".join(f"{n} {what}" for what, n in counts.items()) + ".")


@click.group("translate")
def translate():
    """Extract, update and compile the message catalogs in translations/."""


def _pybabel(*args):
    subprocess.run([sys.executable, "-m", "babel.messages.frontend", *args], check=True, cwd=ROOT)


CATALOG_WIDTH = "100"  # the width the catalogs are wrapped at: an update rewraps nothing else


def extract_messages(pot: str | Path) -> None:
    """Write every message the code uses to the template `pot` (also what the i18n test checks)."""
    _pybabel("extract", "-F", "babel.cfg", "-k", "_l", "--no-location", "--sort-output", "-w", CATALOG_WIDTH,
             "-o", str(pot), "app")  # fmt: skip


@translate.command("extract")
def translate_extract():
    """Extract messages to translations/messages.pot and merge them into the catalogs."""
    extract_messages("translations/messages.pot")
    _pybabel("update", "-i", "translations/messages.pot", "-d", "translations", "--no-fuzzy-matching",
             "-w", CATALOG_WIDTH)  # fmt: skip


@translate.command("compile")
def translate_compile():
    """Compile the catalogs (.po → .mo)."""
    _pybabel("compile", "-d", "translations", "--statistics")
