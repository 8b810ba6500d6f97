"""Command line: flask db, translate, users, schools, demo-data."""

import os
import subprocess
import sys

import click
from flask import current_app
from flask.cli import AppGroup

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
    _pybabel("extract", "-F", "babel.cfg", "-k", "_l", "--no-location", "--sort-output",
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

    problem = auth.password_problem(password, current_app.config["PASSWORD_MIN_LENGTH"], username)
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


@click.command("demo-data")
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
    for command in (db_cli, translate_cli, users_cli, schools_cli, demo_data):
        app.cli.add_command(command)
