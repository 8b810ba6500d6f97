"""Fixtures: a migrated database per test on SQLite or PostgreSQL, the app, clients, roles.

The engine comes from KELISIM_TEST_ENGINE (sqlite, the default, or postgres); `make test`
runs the suite once per engine. PostgreSQL is reached at TEST_DATABASE_URL (default: the
server on 127.0.0.1:5432 as user postgres); each run creates and drops its own database.
"""

import os
import shutil
import uuid
from urllib.parse import urlsplit, urlunsplit

import pytest
from peewee import AutoField, sort_models

from db import db, open_database, sqlite_url
from models import ALL_MODELS
from services import schema
from tests import factories

ENGINE = os.environ.get("KELISIM_TEST_ENGINE", "sqlite")
PG_URL = os.environ.get("TEST_DATABASE_URL", "postgresql://postgres@127.0.0.1:5432/postgres")


def _pg_admin():
    import psycopg

    parts = urlsplit(PG_URL)
    conninfo = urlunsplit(parts._replace(scheme="postgresql"))
    return psycopg.connect(conninfo, autocommit=True, connect_timeout=5)


def pg_create_database(name):
    with _pg_admin() as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}"')
        conn.execute(f'CREATE DATABASE "{name}"')
    return urlunsplit(urlsplit(PG_URL)._replace(path="/" + name))


def pg_drop_database(name):
    with _pg_admin() as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def compile_catalogs():
    """Build .mo files that are missing or older than their .po (make does this too)."""
    from babel.messages.mofile import write_mo
    from babel.messages.pofile import read_po

    root = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "translations")
    for lang in os.listdir(root):
        po = os.path.join(root, lang, "LC_MESSAGES", "messages.po")
        mo = po[:-2] + "mo"
        if os.path.exists(po) and (not os.path.exists(mo) or os.path.getmtime(mo) < os.path.getmtime(po)):
            with open(po, encoding="utf-8") as src, open(mo, "wb") as dst:
                write_mo(dst, read_po(src, locale=lang))


def pytest_configure(config):
    config.addinivalue_line("markers", "browser: drives real Chromium")
    compile_catalogs()
    if ENGINE != "postgres":
        return
    try:
        _pg_admin().close()
    except Exception as exc:  # any connection failure
        if os.environ.get("CI", "").lower() in ("1", "true", "yes"):
            raise pytest.UsageError(f"PostgreSQL is not reachable at {PG_URL}: {exc}") from exc
        pytest.exit(f"PostgreSQL not reachable at {PG_URL}; skipping the PostgreSQL run ({exc})", returncode=0)


def pytest_report_header(config):
    return f"kelisim database engine: {ENGINE}"


def new_database_url(tmp_dir, name):
    """An empty database of the engine under test (its URL) and a function that drops it."""
    if ENGINE == "postgres":
        dbname = f"kelisim_{name}_{os.getpid()}_{uuid.uuid4().hex[:6]}"
        return pg_create_database(dbname), lambda: pg_drop_database(dbname)
    path = os.path.join(tmp_dir, f"{name}.db")
    return sqlite_url(path), lambda: None


def migrate(url):
    database = open_database(url)
    with database.connection_context():
        schema.upgrade(database)
    database.close()


@pytest.fixture(scope="session")
def template_database(tmp_path_factory):
    """One migrated database for the run; tests get a copy (SQLite) or a reset one (PostgreSQL)."""
    url, drop = new_database_url(str(tmp_path_factory.mktemp("db")), "template")
    migrate(url)
    if ENGINE == "postgres":
        database = open_database(url)
        with database.connection_context(), database.bind_ctx(ALL_MODELS):
            SEEDS[url] = seed_rows()
        database.close()
    yield url
    if db.obj is not None and not db.is_closed():
        db.close()
    drop()


# Per template URL: the seed rows that reset_postgres() puts back.
SEEDS = {}


def seed_rows():
    """The rows that migrations put in (districts, deadlines, ...), in dependency order."""
    return [(model, list(model.select().dicts())) for model in sort_models(ALL_MODELS) if model.select().exists()]


def reset_postgres(database, template_url):
    """Empty every table, then put the migrations' seed rows back with their ids and restart the id sequences.

    DELETE, dependents first, rather than TRUNCATE: a test leaves a few rows, and TRUNCATE makes new files for
    every table (about 80 ms a test against 5)."""
    seeds = SEEDS[template_url]
    with database.atomic():
        for model in reversed(sort_models(ALL_MODELS)):
            database.execute_sql(f'DELETE FROM "{model._meta.table_name}"')
        for model, rows in seeds:
            model.insert_many(rows).execute()
        for model in ALL_MODELS:
            if isinstance(model._meta.primary_key, AutoField):
                table, column = model._meta.table_name, model._meta.primary_key.column_name
                database.execute_sql(f"SELECT setval(pg_get_serial_sequence('\"{table}\"', '{column}'), "
                                     f'COALESCE((SELECT MAX("{column}") FROM "{table}"), 0) + 1, false)')


@pytest.fixture
def database_url(template_database, tmp_path):
    url = template_database
    if ENGINE == "postgres":
        database = open_database(url)
        with database.connection_context(), database.bind_ctx(ALL_MODELS):
            reset_postgres(database, url)
        database.close()
        return url
    path = str(tmp_path / "kelisim.db")
    shutil.copyfile(url[len("sqlite:///"):], path)
    return sqlite_url(path)


@pytest.fixture
def app_overrides():
    """Tests override settings by redefining this fixture or updating the dict."""
    return {}


@pytest.fixture
def app(database_url, tmp_path, app_overrides, monkeypatch):
    from app import create_app

    monkeypatch.setenv("KELISIM_INSTANCE", str(tmp_path / "instance"))
    config = {
        "TESTING": True,
        "DATABASE_URL": database_url,
        "SECRET_KEY": "test-secret",
        "WTF_CSRF_ENABLED": False,
        "LOGIN_MAX_FAILURES": 5,
    }
    config.update(app_overrides)
    application = create_app(config)
    yield application
    if not db.is_closed():
        db.close()


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def runner(app):
    return app.test_cli_runner()


@pytest.fixture
def world(app):
    """Two districts, three schools and one account per role (see factories.make_world)."""
    return factories.make_world()


@pytest.fixture
def login_as(client, world):
    """login_as("school") signs the test client in as that role's account and returns the user."""

    def sign_in(name, target=None):
        user = world.users[name] if isinstance(name, str) else name
        return factories.sign_in(target or client, user)

    return sign_in
