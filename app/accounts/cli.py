"""Accounts on the command line: `users`, `set-password`, `disable-user`, `enable-user`, `set-role`,
`import-tree`.

The same service functions and audit events as the users page; the actor is recorded as none
(the command line), the rules of `organisations.user_problems` and the password policy hold.
"""

from __future__ import annotations

from pathlib import Path

import click
from flask.cli import with_appcontext
from sqlalchemy import select

from ..extensions import db
from ..models import ROLES, Organisation, User
from ..organisations import user_problems
from . import service, tree_import
from .policy import MESSAGES, password_problem


def find_user(username: str) -> User:
    user = db.session.scalar(select(User).where(User.username == username))
    if user is None:
        raise click.ClickException(f"No user {username}.")
    return user


def find_org(code: str) -> Organisation:
    org = db.session.scalar(select(Organisation).where(Organisation.code == code))
    if org is None:
        raise click.ClickException(f"No organisation with code {code!r}.")
    return org


def check_password(password: str, username: str) -> None:
    """Refuse a password the policy refuses, with its English message."""
    problem = password_problem(password, username)
    if problem:
        raise click.ClickException(str(MESSAGES[problem]))  # in English, as outside any request


@click.command("users")
@with_appcontext
@click.option("--org", "org_code", help="Only the users of this organisation's subtree.")
def list_users(org_code):
    """List users, one per line: username, role, organisation code, state, name."""
    query = select(User).join(User.organisation).order_by(Organisation.path, User.username)
    if org_code:
        query = query.where(Organisation.in_subtree(find_org(org_code).path))
    for user in db.session.scalars(query):
        state = "disabled" if user.disabled_at else ("temporary-password" if user.must_change_password else "active")
        click.echo(f"{user.username}\t{user.role}\t{user.organisation.code}\t{state}\t{user.name}")


@click.command("set-password")
@with_appcontext
@click.argument("username")
@click.option("--temporary", is_flag=True, help="Issue a temporary password (printed once) instead of asking for one.")
@click.option("--password", help="The new password (asked when not given).")
def set_password(username, temporary, password):
    """Set USERNAME's password; their sessions end."""
    user = find_user(username)
    if not temporary and password is None:
        password = click.prompt("New password", hide_input=True, confirmation_prompt=True)
    if temporary:
        click.echo(f"Temporary password of {username}: {service.reset_password(user, None)}")
        click.echo("It is shown only now; the user must change it at their next log-in.")
        return
    check_password(password, username)
    service.set_password(user, password, None)
    click.echo(f"Password of {username} set; their sessions ended.")


@click.command("disable-user")
@with_appcontext
@click.argument("username")
def disable_user(username):
    """Disable USERNAME: sessions end, API tokens are revoked, log-in is refused."""
    service.disable(find_user(username), None)
    click.echo(f"Disabled {username}: sessions ended, API tokens revoked.")


@click.command("enable-user")
@with_appcontext
@click.argument("username")
def enable_user(username):
    """Let a disabled USERNAME log in again."""
    service.enable(find_user(username), None)
    click.echo(f"Enabled {username}.")


@click.command("set-role")
@with_appcontext
@click.argument("username")
@click.argument("role", type=click.Choice(ROLES))
@click.option("--org", "org_code", help="Move the user to this organisation too.")
@click.option("--assign", multiple=True, help="For trainers: an organisation code they may read (repeatable).")
def set_role(username, role, org_code, assign):
    """Give USERNAME the ROLE (and organisation, assignments); their sessions end."""
    user = find_user(username)
    organisation = find_org(org_code) if org_code else user.organisation
    assigned = [find_org(code) for code in assign] or (user.assigned if role == "trainer" else [])
    if role == "trainer" and not assigned:
        assigned = [organisation]
    problems = user_problems(user.username, user.name, role, organisation.kind)
    if problems:
        raise click.ClickException("; ".join(problems).capitalize() + ".")
    changes = service.update_user(user, None, role=role, organisation=organisation, assigned=assigned)
    click.echo(f"{username}: " + ("; ".join(changes) if changes else "nothing changed") + ".")


@click.command("import-tree")
@with_appcontext
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--dry-run", is_flag=True, help="Check the file and say what would change; write nothing.")
def import_tree(file, dry_run):
    """Import organisations and users from FILE (the template's XLSX or CSV); all or nothing.

    New users get temporary passwords, printed once (username, organisation, password)."""
    try:
        rows = tree_import.read_rows(file.read_bytes(), file.name)
    except tree_import.ImportFileError as exc:
        raise click.ClickException(str(exc)) from None
    plan = tree_import.plan(rows)
    for line, problem in plan.problems:
        click.echo(f"{file}:{line}: {problem}", err=True)
    if not plan.ok:
        raise click.ClickException(f"{len(plan.problems)} bad row(s); nothing was imported.")
    for line, new in plan.new_orgs:
        click.echo(f"{file}:{line}: create {new['kind']} {new['code']} {new['name']}")
    for line, org, name in plan.renamed_orgs:
        click.echo(f"{file}:{line}: rename {org.code} {org.name} → {name}")
    for line, new in plan.new_users:
        click.echo(f"{file}:{line}: create {new['role']} {new['username']} in {new['org_code']}")
    for line, user, wanted in plan.changed_users:
        click.echo(f"{file}:{line}: change {user.username} to {wanted['role']} in {wanted['org_code']}")
    if dry_run:
        click.echo(f"Dry run: {plan.changes} change(s), {plan.unchanged} row(s) unchanged; nothing written.")
        return
    issued = tree_import.apply(plan, None, file.name)
    click.echo(f"Imported: {plan.changes} change(s). Temporary passwords (shown only now):")
    for user, password in issued:
        click.echo(f"{user.username}\t{user.organisation.code}\t{password}")


COMMANDS = (list_users, set_password, disable_user, enable_user, set_role, import_tree)
