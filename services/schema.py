"""Numbered migrations in migrations/, applied and listed through peewee's runner."""

import os

from playhouse.migrations import Runner

MIGRATIONS_DIR = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "migrations")
HISTORY_TABLE = "schema_migration"


def runner(database):
    return Runner(database, directory=MIGRATIONS_DIR, table_name=HISTORY_TABLE)


def upgrade(database):
    """Apply every pending migration, each in its own transaction; returns their names."""
    return runner(database).up()


def status(database):
    """(name, applied_at or None) for every migration file, in order."""
    return [(m.name, m.applied) for m in runner(database).status()]
