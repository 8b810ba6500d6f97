"""The database: one proxy bound per app from DATABASE_URL, opened and closed per request."""

import os
import uuid

from flask import Flask
from peewee import DatabaseProxy, Model, SqliteDatabase, UUIDField
from playhouse.db_url import connect

db = DatabaseProxy()


class BaseModel(Model):
    class Meta:
        database = db
        legacy_table_names = False


class ClientUUIDField(UUIDField):
    """The client_uuid of an offline-capable submission, on every model that has one: stored and compared in one
    canonical form (32 lower-case hex digits; PostgreSQL's uuid type), whatever case the phone sent it in, so that
    "ABC..." and "abc..." are one submission. (peewee's UUIDField passes a 32-character string through as is.)"""

    def db_value(self, value):
        if isinstance(value, str):
            try:
                value = uuid.UUID(value.strip())
            except ValueError:
                return value  # not a UUID: compared as is, matches nothing stored
        return super().db_value(value)


def sqlite_url(path):
    return "sqlite:///" + os.path.abspath(path)


def database_url(app: Flask) -> str:
    return app.config.get("DATABASE_URL") or sqlite_url(os.path.join(app.instance_path, "kelisim.db"))


def open_database(url, busy_timeout=10):
    """Make (not connect) the peewee database for a URL, with our SQLite pragmas."""
    if url.startswith("sqlite"):
        database = connect(
            url,
            pragmas={
                "journal_mode": "wal",
                "synchronous": 1,
                "foreign_keys": 1,
                "cache_size": -64000,
                "busy_timeout": busy_timeout * 1000,
            },
            timeout=busy_timeout,
            # A transaction takes the write lock when it begins, where the busy timeout waits for it: a deferred
            # one that reads and then writes fails at once ("database is locked") when another worker wrote meanwhile.
            lock_type="IMMEDIATE",
        )
    else:
        database = connect(url)
    return database


def create_private_file(path):
    """Create ``path`` readable and writable by its owner only (0600), unless it exists. SQLite makes its -wal and
    -shm files with the database file's permissions, so they follow."""
    try:
        os.close(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600))
    except FileExistsError:
        pass


def is_sqlite(database=None) -> bool:
    database = database or db.obj
    return isinstance(database, SqliteDatabase)


def init_app(app: Flask) -> None:
    url = database_url(app)
    if url.startswith("sqlite"):
        os.makedirs(app.instance_path, exist_ok=True)
        path = url[len("sqlite:///"):]
        if path and path != ":memory:" and os.path.isdir(os.path.dirname(path) or "."):
            create_private_file(path)
    db.initialize(open_database(url, app.config["SQLITE_BUSY_TIMEOUT"]))

    # The connection opens on the first query of a request (autoconnect) and closes at its end,
    # so a request that needs no database (static files, health of the process) never waits on one.
    @app.teardown_request
    def _close_connection(exc):
        if not db.is_closed():
            db.close()
