"""Command line: flask db, translate, users, schools, demo-data."""

import os
import subprocess
import sys

import click
from flask import current_app
from flask.cli import AppGroup, with_appcontext

from db import db
from services import DomainError, schema

ROOT = os.path.dirname(os.path.abspath(__file__))

db_cli = AppGroup("db", help="Database migrations.")
translate_cli = AppGroup("translate", help="Gettext catalogs: extract, update, compile.")
users_cli = AppGroup("users", help="Accounts.")
schools_cli = AppGroup("schools", help="The school directory.")


@db_cli.command("upgrade")
def db_upgrade():
    """Apply pending migrations."""
    with db.connection_context():
        applied = schema.upgrade(db.obj)
    click.echo(f"Applied {len(applied)} migration(s)." if applied else "The database is up to date.")
    for name in applied:
        click.echo(f"  {name}")


@db_cli.command("status")
def db_status():
    """List migrations and whether they are applied."""
    with db.connection_context():
        for name, applied in schema.status(db.obj):
            click.echo(f"{'applied ' + applied.strftime('%Y-%m-%d %H:%M') if applied else 'pending':24} {name}")


def _pybabel(*args):
    subprocess.run([sys.executable, "-m", "babel.messages.frontend", *args], check=True, cwd=ROOT)


@translate_cli.command("extract")
def translate_extract():
    """Extract messages into translations/messages.pot."""
    # Babel skips folders that start with "_" by default, and templates/_macros holds the shared form macros.
    _pybabel("extract", "-F", "babel.cfg", "-k", "_l", "--no-location", "--sort-output", "--ignore-dirs", ".*",
             "-o", "translations/messages.pot", ".")


@translate_cli.command("update")
def translate_update():
    """Extract, then merge new messages into every catalog."""
    translate_extract.callback()
    _pybabel("update", "-i", "translations/messages.pot", "-d", "translations", "--no-fuzzy-matching",
             "--ignore-obsolete")


@translate_cli.command("compile")
def translate_compile():
    """Compile the catalogs into .mo files."""
    _pybabel("compile", "-d", "translations", "--statistics")


@users_cli.command("create")
@click.option("--username", prompt=True)
@click.option("--role", type=click.Choice(["admin", "monitor"]), default="admin", show_default=True)
@click.option("--full-name", default="", help="Shown in the header and the audit trail.")
@click.password_option()
def users_create(username, role, full_name, password):
    """Create a region admin (or monitor) account."""
    from services import auth

    problem = auth.password_problem(password, current_app.config["PASSWORD_MIN_LENGTH"], username, full_name)
    if problem:
        raise click.ClickException(str(problem))
    with db.connection_context():
        try:
            user = auth.create_user(None, username, password, role, full_name or username)
        except DomainError as exc:
            raise click.ClickException(str(exc.message)) from exc
    click.echo(f"Created {user.role} account '{user.username}'.")


@schools_cli.command("import")
@click.argument("path", type=click.Path(exists=True, dir_okay=False))
def schools_import(path):
    """Import schools from CSV or XLSX: district code, school code, Kazakh name, Russian name, BIN."""
    from services import directory

    try:
        rows = directory.read_rows(path)
    except DomainError as exc:
        raise click.ClickException(str(exc.message)) from exc
    with db.connection_context():
        records, errors = directory.validate_rows(rows)
        if errors:
            for line, problems in errors:
                click.echo(f"line {line}: " + "; ".join(str(p) for p in problems), err=True)
            raise click.ClickException(f"{len(errors)} bad row(s); nothing was imported.")
        with click.progressbar(length=len(records), label="Importing schools") as bar:
            report = directory.import_schools(rows, progress=bar.update)
    click.echo(f"Created {report.created}, updated {report.updated} school(s).")


def _bar_progress(label):
    state = {}

    def update(done, total):
        if "bar" not in state:
            state["bar"] = click.progressbar(length=max(total, 1), label=label)
            state["bar"].__enter__()
        state["bar"].update(done - state.get("done", 0))
        state["done"] = done
        if done >= total:
            state["bar"].__exit__(None, None, None)

    return update


@click.command("backup")
@with_appcontext
@click.argument("path", type=click.Path(dir_okay=False))
def backup_command(path):
    """Write a consistent copy of the database to PATH (safe while the service runs)."""
    from db import database_url
    from services import backup

    try:
        backup.backup(database_url(current_app), path, progress=_bar_progress("Backing up"))
    except DomainError as exc:
        raise click.ClickException(str(exc.message)) from exc
    click.echo(f"Backup written to {path}.")


@click.command("restore")
@with_appcontext
@click.argument("path", type=click.Path(exists=True, dir_okay=False))
@click.confirmation_option(prompt="Everything in the database will be replaced by the backup. Continue?")
def restore_command(path):
    """Replace the database with the backup at PATH."""
    from db import database_url
    from services import backup

    if not db.is_closed():
        db.close()
    try:
        backup.restore(database_url(current_app), path, progress=_bar_progress("Restoring"))
    except DomainError as exc:
        raise click.ClickException(str(exc.message)) from exc
    click.echo(f"Database restored from {path}.")


@click.command("demo-data")
@with_appcontext
@click.option("--if-empty", is_flag=True, help="Do nothing when the database already has accounts.")
def demo_data(if_empty):
    """Fill the database with demo districts, schools, accounts and records."""
    from services import demo

    with db.connection_context():
        if if_empty and not demo.is_empty():
            click.echo("The database already has data; demo data not loaded.")
            return
        demo.load(progress=lambda label: click.echo(f"  {label}"))
    click.echo("Demo accounts (password: kelisim-demo): " + ", ".join(demo.DEMO_USERS))


def init_app(app):
    for command in (db_cli, translate_cli, users_cli, schools_cli, demo_data, backup_command, restore_command):
        app.cli.add_command(command)
