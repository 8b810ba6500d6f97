"""Security (issue #16): a row per signed-in session, and the case surveys' client_uuid in the one form every
other client_uuid column has.

- ``user_session``: user, the digest of the key its cookie carries, the device as the browser names itself,
  created, last seen, ended; checked on every request (models/auth.py UserSession).
- ``case_survey.client_uuid`` was text compared as sent, so an upper-case repeat of a survey's code filed it
  twice. It now holds what ClientUUIDField writes: PostgreSQL's uuid type; on SQLite the 32 lower-case hex digits
  peewee's UUID fields store (the column keeps its text affinity, better for hex than a UUID column's numeric
  one). Codes that were already stored twice in two cases keep the first; the later twins get a fresh code, so no
  survey is lost and the unique constraint holds.
"""

import uuid
from datetime import datetime

from peewee import CharField, DateTimeField, ForeignKeyField, Model


def _canonical_codes(db):
    rows = db.execute_sql('SELECT id, client_uuid FROM "case_survey" ORDER BY id').fetchall()
    seen = set()
    for row_id, text in rows:
        try:
            value = uuid.UUID(str(text).strip())
        except ValueError:
            value = uuid.uuid4()
        while value.hex in seen:
            value = uuid.uuid4()
        seen.add(value.hex)
        yield row_id, value


def up(migrator, db):
    class Base(Model):
        class Meta:
            database = db
            legacy_table_names = False

    class User(Base):  # frozen stub of the existing table, for the foreign key only
        class Meta:
            table_name = "user"

    class UserSession(Base):
        user = ForeignKeyField(User, backref="sessions", on_delete="CASCADE", index=True)
        key_hash = CharField(max_length=64, unique=True)
        device = CharField(max_length=100, default="")
        created_at = DateTimeField(default=datetime.utcnow)
        last_seen_at = DateTimeField(default=datetime.utcnow)
        ended_at = DateTimeField(null=True)

    db.create_tables([UserSession])

    codes = list(_canonical_codes(db))
    update = f'UPDATE "case_survey" SET client_uuid = {db.param} WHERE id = {db.param}'
    # Through a free value first: one row's new form may be another row's old one while the unique index watches.
    for row_id, _value in codes:
        db.execute_sql(update, (f"tmp-{row_id}", row_id))
    for row_id, value in codes:
        db.execute_sql(update, (value.hex, row_id))
    if not _is_sqlite(db):
        db.execute_sql('ALTER TABLE "case_survey" ALTER COLUMN "client_uuid" TYPE uuid USING "client_uuid"::uuid')


def _is_sqlite(db):
    from peewee import SqliteDatabase

    return isinstance(db, SqliteDatabase)


def down(migrator, db):
    if not _is_sqlite(db):
        db.execute_sql('ALTER TABLE "case_survey" ALTER COLUMN "client_uuid" TYPE varchar(36) '
                       'USING "client_uuid"::text')
    db.execute_sql('DROP TABLE IF EXISTS "user_session"')
